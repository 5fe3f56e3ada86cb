"""Hidden tests of tp2/numpy_nets.py: the course's three architectures (shapes, forward pass
against the definition on the student's own parameters, backward against central differences
of the true losses), `fit` as gradient descent when a batch holds the whole set, and held-out
scores on real and seeded data. The network lives in the worker: `student.steps` builds it and
runs its methods; for training, only (secretly transformed) training data crosses, and the
learned parameters are scored here on held-out data the worker never sees."""
import numpy as np
from grader.grading.datasets import load_breast_cancer, load_wine, make_regression  # scikit-learn's, without importing it

from grader.grading.heldout import rotate_features, split
from grader.grading.testkit import as_array, expect, gap, hidden_test, numerical_gradient, rel_error, relies_on

OUTPUTS = ("sigmoid", "linear", "softmax")
LOSS_NAMES = {"sigmoid": "BCE", "linear": "MSE", "softmax": "CCE"}


def activate(z, output):
    if output == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if output == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return z


def true_forward(params, X, output):
    a = X
    for layer in range(0, len(params), 2):
        z = a @ params[layer] + params[layer + 1]
        a = np.maximum(0.0, z) if layer < len(params) - 2 else activate(z, output)
    return a


def true_loss(params, X, Y, output):
    a = true_forward(params, X, output)
    if output == "sigmoid":
        return float(-np.mean(Y * np.log(a) + (1 - Y) * np.log(1 - a)))
    if output == "softmax":
        return float(-np.sum(Y * np.log(a)) / len(a))
    return float(np.mean((a - Y) ** 2))


def true_gradients(params, X, Y, output):
    """Backpropagation on the trusted side (checked against central differences below)."""
    activations = [X]
    for layer in range(0, len(params), 2):
        z = activations[-1] @ params[layer] + params[layer + 1]
        activations.append(np.maximum(0.0, z) if layer < len(params) - 2 else activate(z, output))
    delta = (activations[-1] - Y) / len(X) * (2.0 if output == "linear" else 1.0)
    grads = []
    for layer in range(len(params) // 2 - 1, -1, -1):
        grads = [activations[layer].T @ delta, delta.sum(axis=0)] + grads
        delta = (delta @ params[2 * layer].T) * (activations[layer] > 0)
    return grads


def as_params(value, sizes, what):
    shapes = [s for n_in, n_out in zip(sizes[:-1], sizes[1:]) for s in ((n_in, n_out), (n_out,))]
    expect(isinstance(value, (list, tuple)) and len(value) == len(shapes),
           f"{what} : une liste [W₁, b₁, W₂, b₂, …] de {len(shapes)} tableaux est attendue")
    return [as_array(v, f"{what}, tableau {i}", shape) for i, (v, shape) in enumerate(zip(value, shapes))]


def targets(output, n, n_out, seed):
    rng = np.random.default_rng(seed)
    if output == "sigmoid":
        return rng.integers(0, 2, size=(n, 1)).astype(float)
    if output == "softmax":
        return np.eye(n_out)[rng.integers(0, n_out, size=n)]
    return rng.normal(size=(n, 1))


def test_network_shapes_course_architectures(student):
    for sizes, output in (([30, 16, 4, 1], "sigmoid"), ([20, 16, 4, 1], "linear"), ([13, 16, 4, 3], "softmax")):
        X = np.random.default_rng(51).normal(size=(7, sizes[0]))
        params, out = student.steps("tp2.numpy_nets.Network", sizes, output, 0,
                                    steps=[(".params", ()), ("forward", (X,))])
        params = as_params(params, sizes, f"Network({sizes}, {output!r}).params")
        as_array(out, f"forward de Network({sizes}, {output!r})", (7, sizes[-1]))
        again, = student.steps("tp2.numpy_nets.Network", sizes, output, 0, steps=[(".params", ())])
        other, = student.steps("tp2.numpy_nets.Network", sizes, output, 1, steps=[(".params", ())])
        expect(all(np.array_equal(a, b) for a, b in zip(params, as_params(again, sizes, "params"))),
               "la même graine doit redonner les mêmes paramètres initiaux")
        expect(any(not np.array_equal(a, b) for a, b in zip(params, as_params(other, sizes, "params"))),
               "deux graines différentes doivent donner des paramètres initiaux différents")
        expect(all(np.std(W) > 0 for W in params[::2]), "les poids W doivent être tirés au hasard")


def test_forward_matches_architecture(student):
    sizes = [5, 16, 4, 3]
    X = np.random.default_rng(52).normal(size=(9, 5))
    for output in OUTPUTS:
        layer_sizes = sizes[:-1] + [3 if output == "softmax" else 1]
        params, out = student.steps("tp2.numpy_nets.Network", layer_sizes, output, 2,
                                    steps=[(".params", ()), ("forward", (X,))])
        params = as_params(params, layer_sizes, "params")
        out = as_array(out, f"forward (sortie {output})", (9, layer_sizes[-1]))
        expect(rel_error(out, true_forward(params, X, output)) < 1e-9,
               f"forward (sortie {output}) ne calcule pas relu(a · W + b) sur les couches cachées puis "
               f"la sortie {output} sur la dernière couche")


def test_backward_gradient_check(student):
    # backward uses the activations the student's forward kept: a wrong forward is charged by its own test.
    with relies_on(student, "Network.backward", ("Network.forward", test_forward_matches_architecture)):
        check_backward(student)


def check_backward(student):
    rng = np.random.default_rng(53)
    X, X_other = rng.normal(size=(6, 5)), rng.normal(size=(4, 5))
    for output in OUTPUTS:
        sizes = [5, 7, 4, 3 if output == "softmax" else 1]
        Y = targets(output, 6, sizes[-1], 54)
        # A first forward on other inputs: backward must use the activations of the last one.
        params, _, _, grads = student.steps("tp2.numpy_nets.Network", sizes, output, 3, steps=[
            (".params", ()), ("forward", (X_other,), {"training": True}), ("forward", (X,), {"training": True}),
            ("backward", (Y,))])
        params = as_params(params, sizes, "params")
        grads = as_params(grads, sizes, f"backward (sortie {output})")
        for i, (value, grad) in enumerate(zip(params, grads)):
            def loss_of(v, i=i):
                trial = list(params)
                trial[i] = v
                return true_loss(trial, X, Y, output)

            kind = "dW" if i % 2 == 0 else "db"
            want = numerical_gradient(loss_of, value)
            expect(rel_error(grad, want) < 1e-6,
                   f"sortie {output} (réseau {sizes}, 6 échantillons) : {kind}{i // 2 + 1} n'est pas le gradient du coût "
                   f"{LOSS_NAMES[output]} (moyenne sur les échantillons, vérification par différences finies, "
                   f"{gap(grad, want)})")


def test_fit_full_batch_is_gradient_descent(student):
    """With one batch holding the whole set, an epoch of fit is one step of gradient descent,
    and the epoch's loss is the loss before that step, whatever the shuffling. With lr = 0 and
    even batches, every epoch's value is the loss of the whole set (the mean of the batches'
    costs, which equals the mean per sample here; not their sum)."""
    with relies_on(student, "fit", *FIT_CALLS, ("cce", hidden_test(__file__, "test_losses.py::test_cce_value"))):
        check_fit(student)


def check_fit(student):
    rng = np.random.default_rng(55)
    sizes, lr, epochs = [4, 6, 4, 3], 0.5, 3
    X, X_test = rng.normal(size=(12, 4)), rng.normal(size=(5, 4))
    Y = targets("softmax", 12, 3, 56)
    start, = student.steps("tp2.numpy_nets.Network", sizes, "softmax", 8, steps=[(".params", ())])
    params = as_params(start, sizes, "params initiaux")
    got = student.call("tp2.numpy_nets.train_and_predict", sizes, "softmax", X, Y, X_test, optimizer="sgd", lr=lr,
                       batch_size=100, epochs=epochs, seed=8)
    expect(isinstance(got, (tuple, list)) and len(got) == 3, "train_and_predict (fournie) doit renvoyer "
           "(historique, params, sortie) : ne la modifiez pas")
    history = as_array(got[0], "historique de fit", (epochs,))
    learned = as_params(got[1], sizes, "params appris")
    losses = []
    for _ in range(epochs):
        losses.append(true_loss(params, X, Y, "softmax"))
        params = [p - lr * g for p, g in zip(params, true_gradients(params, X, Y, "softmax"))]
    expect(all(rel_error(a, b) < 1e-8 for a, b in zip(learned, params)),
           "avec un seul lot (batch_size ≥ N) et SGD, chaque époque de fit doit faire un pas "
           "θ ← θ − lr · ∇C sur tout le jeu, avec les gradients de net.backward")
    expect(rel_error(history, np.array(losses)) < 1e-8,
           "l'historique (un seul lot par époque) doit donner, pour chaque époque, le coût du lot calculé avant sa mise à jour "
           f"({gap(history, np.array(losses))})")
    out = as_array(got[2], "sortie sur X_test", (5, 3))
    expect(rel_error(out, true_forward(params, X_test, "softmax")) < 1e-8,
           "après fit, net.forward doit utiliser les paramètres appris")
    start = as_params(student.steps("tp2.numpy_nets.Network", sizes, "softmax", 8, steps=[(".params", ())])[0], sizes,
                      "params initiaux")
    got = student.call("tp2.numpy_nets.train_and_predict", sizes, "softmax", X, Y, X_test, optimizer="sgd", lr=0.0,
                       batch_size=4, epochs=2, seed=8)
    history = as_array(got[0], "historique de fit", (2,))
    whole = true_loss(start, X, Y, "softmax")
    expect(np.allclose(history, whole, rtol=1e-8), "avec lr = 0 et 3 lots de 4, chaque valeur de l'historique doit être "
           f"la moyenne des coûts des lots de l'époque, soit le coût de tout le jeu ici ({gap(history, np.full(2, whole))})")


FIT_CALLS = (("minibatches", hidden_test(__file__, "test_data.py::test_minibatches_cover_each_sample_once")),
             ("Network.forward", test_forward_matches_architecture), ("Network.backward", test_backward_gradient_check),
             ("SGD", hidden_test(__file__, "test_optim.py::test_sgd_matches_torch")))
ADAM = ("Adam", hidden_test(__file__, "test_optim.py::test_adam_matches_torch"))


def train_network(student, sizes, output, X_train, Y_train, **options):
    """Train the student's network through the provided `train_and_predict`; return the learned
    parameters. The held-out inputs never cross: the network is evaluated here, by `true_forward`
    (the student's forward is checked against it above), on data the worker has never seen."""
    got = student.call("tp2.numpy_nets.train_and_predict", sizes, output, X_train, Y_train, X_train[:4],
                       seed=0, **options)
    expect(isinstance(got, (tuple, list)) and len(got) == 3, "train_and_predict (fournie) doit renvoyer "
           "(historique, params, sortie) : ne la modifiez pas")
    return as_params(got[1], sizes, "paramètres appris par fit")


def test_binary_breast_cancer_accuracy(student, heldout):
    # A secret split and rotation of the standardised features (grader/grading/heldout.py).
    X, y = load_breast_cancer()
    rng = heldout.rng("tp2 numpy breast cancer")
    train, test = split(rng, len(X), 0.3, labels=y)
    X_train, X_test = rotate_features(rng, X[train], X[test])
    with relies_on(student, "fit", *FIT_CALLS, forgive=False):
        params = train_network(student, [30, 16, 4, 1], "sigmoid", X_train, y[train][:, None].astype(float),
                               optimizer="sgd", lr=0.05, momentum=0.9, batch_size=32, epochs=30)
        accuracy = np.mean((true_forward(params, X_test, "sigmoid")[:, 0] > 0.5) == y[test])
        heldout.check("breast cancer, numpy 30-16-4-1: accuracy", accuracy, at_least=0.90, zero_at=0.75, percent=True,
                      message="classification binaire (« breast cancer », variables transformées par le correcteur, "
                      "30 → 16 → 4 → 1, sigmoïde + BCE, SGD avec momentum), bonnes réponses sur la base de test")


def test_multiclass_wine_accuracy(student, heldout):
    X, y = load_wine()
    rng = heldout.rng("tp2 numpy wine")
    train, test = split(rng, len(X), 0.3, labels=y)
    X_train, X_test = rotate_features(rng, X[train], X[test])
    with relies_on(student, "fit", *FIT_CALLS, forgive=False):
        params = train_network(student, [13, 16, 4, 3], "softmax", X_train, np.eye(3)[y[train]],
                               optimizer="sgd", lr=0.05, momentum=0.9, batch_size=16, epochs=50)
        accuracy = np.mean(true_forward(params, X_test, "softmax").argmax(axis=1) == y[test])
        heldout.check("wine, numpy 13-16-4-3: accuracy", accuracy, at_least=0.85, zero_at=0.65, percent=True,
                      message="classification en 3 classes (« wine », variables transformées par le correcteur, "
                      "13 → 16 → 4 → 3, softmax + CCE), bonnes réponses sur la base de test")


def test_regression_beats_baseline(student, heldout):
    # Fresh samples each grading: the generator's seed is secret.
    X, y = make_regression(n_samples=600, n_features=20, n_informative=10, noise=10.0,
                           random_state=heldout.seed("tp2 numpy regression"))
    train, test = split(heldout.rng("tp2 numpy regression split"), len(X), 0.3)
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    X_train, X_test = (X[train] - mean) / std, (X[test] - mean) / std
    y_mean, y_std = y[train].mean(), y[train].std()
    with relies_on(student, "fit", *FIT_CALLS[:3], ADAM, forgive=False):
        params = train_network(student, [20, 16, 4, 1], "linear", X_train, ((y[train] - y_mean) / y_std)[:, None],
                               optimizer="adam", lr=0.01, batch_size=32, epochs=40)
        out = true_forward(params, X_test, "linear")[:, 0] * y_std + y_mean
        r2 = 1 - np.mean((out - y[test]) ** 2) / np.mean((y_mean - y[test]) ** 2)
        heldout.check("regression, numpy 20-16-4-1: R²", r2, at_least=0.8, zero_at=0.5, message=(
            "régression (20 → 16 → 4 → 1, sortie linéaire + MSE, Adam) : sur la base de test, R² = 1 − erreur "
            "quadratique / celle de la prédiction constante (la moyenne)"))
