"""Hidden tests of tp1/mlp.py: the course's parameter counts, shapes, the forward pass against
the definition, backward against numerical gradients of the true loss, full-batch gradient
descent, and held-out accuracy on real data (scikit-learn's breast-cancer set).

`backward` calls the activations, `forward` and `mse_grad`, and `train` calls `init_params` and
`backward`: when one of those is wrong, it is charged by its own test, not again here."""
import numpy as np
from grader.grading.datasets import load_breast_cancer  # scikit-learn's data, without importing it

from grader.grading.heldout import rotate_features, split
from grader.grading.testkit import as_array, close, expect, gap, hidden_test, numerical_gradient, relies_on

SIZES = [4, 5, 3]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def true_forward(params, X):
    activations = [X]
    for W, b in params:
        activations.append(sigmoid(activations[-1] @ W + b))
    return activations


def random_params(sizes, seed):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(n_in, n_out)), rng.normal(size=n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def as_params(value, sizes, what):
    expect(isinstance(value, (list, tuple)) and len(value) == len(sizes) - 1,
           f"{what} : une liste de {len(sizes) - 1} couples (W, b) est attendue")
    params = []
    for layer, (pair, n_in, n_out) in enumerate(zip(value, sizes[:-1], sizes[1:]), start=1):
        expect(isinstance(pair, (list, tuple)) and len(pair) == 2, f"{what} : la couche {layer} doit être un couple (W, b)")
        params.append((as_array(pair[0], f"{what}, W de la couche {layer}", (n_in, n_out)),
                       as_array(pair[1], f"{what}, b de la couche {layer}", (n_out,))))
    return params


def test_n_parameters_course_counts(student):
    for sizes, count in (([576, 288, 144, 1], 207_937), ([262_144, 131_072, 65_536, 1], 42_949_935_105),
                         ([20, 128, 64, 1], 11_009), ([2, 1], 3)):
        got = student.call("tp1.mlp.n_parameters", sizes)
        expect(isinstance(got, int) and not isinstance(got, bool) and got == count,
               f"n_parameters({sizes}) doit compter Σ hᵢ·hᵢ₊₁ + hᵢ₊₁ (un entier)")


def test_init_params_shapes_and_seed(student):
    sizes = [6, 4, 3, 2]
    first = as_params(student.call("tp1.mlp.init_params", sizes, 7), sizes, "init_params")
    again = as_params(student.call("tp1.mlp.init_params", sizes, 7), sizes, "init_params")
    other = as_params(student.call("tp1.mlp.init_params", sizes, 8), sizes, "init_params")
    expect(all(np.array_equal(a[0], b[0]) for a, b in zip(first, again)), "la même graine doit redonner les mêmes poids")
    expect(any(not np.array_equal(a[0], b[0]) for a, b in zip(first, other)), "deux graines différentes doivent donner des poids différents")
    expect(all(np.std(W) > 0 for W, _ in first), "les poids W doivent être tirés au hasard (pas tous égaux)")
    # 8 000 weights: a centred draw has |mean| ≈ 0.01 σ; a shifted one (mean 1, or loc and scale swapped) ≥ 0.5 σ.
    (W, _), = as_params(student.call("tp1.mlp.init_params", [4, 2000], 3), [4, 2000], "init_params")
    expect(abs(W.mean()) < 0.1 * W.std(), "les poids W doivent être tirés selon une loi centrée (de moyenne nulle)")


def test_forward_activations(student):
    with relies_on(student, "forward", BACKWARD_CALLS[0]):
        check_forward(student)


def check_forward(student):
    params = random_params(SIZES, 3)
    X = np.random.default_rng(4).normal(size=(6, SIZES[0]))
    got = student.call("tp1.mlp.forward", params, X)
    expect(isinstance(got, (list, tuple)) and len(got) == len(SIZES), "forward doit renvoyer [X, a₁, …, a_L]")
    want = true_forward(params, X)
    for layer, (raw, w) in enumerate(zip(got, want)):
        a = as_array(raw, f"activation {layer} de forward (réseau {SIZES}, 6 échantillons)", w.shape)
        expect(close(a, w, 1e-9, raw), f"l'activation {layer} ne vaut pas σ(a_précédent · W + b) ({gap(a, w)})")


def test_backward_gradient_check(student):
    params = random_params(SIZES, 5)
    rng = np.random.default_rng(6)
    X, Y = rng.normal(size=(6, SIZES[0])), rng.uniform(size=(6, SIZES[-1]))
    with relies_on(student, "backward", *BACKWARD_CALLS):
        check_backward(student, params, X, Y)


def check_backward(student, params, X, Y):
    raw = student.call("tp1.mlp.backward", params, X, Y)
    got = as_params(raw, SIZES, "backward")
    for layer, ((W, b), (dW, db)) in enumerate(zip(params, got), start=1):
        def loss_of_W(value, layer=layer - 1):
            trial = list(params)
            trial[layer] = (value, params[layer][1])
            return float(np.mean((true_forward(trial, X)[-1] - Y) ** 2))

        def loss_of_b(value, layer=layer - 1):
            trial = list(params)
            trial[layer] = (params[layer][0], value)
            return float(np.mean((true_forward(trial, X)[-1] - Y) ** 2))

        want_W, want_b = numerical_gradient(loss_of_W, W), numerical_gradient(loss_of_b, b)
        expect(close(dW, want_W, 1e-6, raw), f"dW de la couche {layer} (réseau {SIZES}, 6 échantillons) n'est pas le "
               f"gradient du coût (vérification par différences finies, {gap(dW, want_W)})")
        expect(close(db, want_b, 1e-6, raw), f"db de la couche {layer} (réseau {SIZES}, 6 échantillons) n'est pas le "
               f"gradient du coût (vérification par différences finies, {gap(db, want_b)})")


def test_train_is_full_batch_gradient_descent(student):
    rng = np.random.default_rng(9)
    X, Y = rng.normal(size=(10, SIZES[0])), rng.uniform(size=(10, SIZES[-1]))
    start = as_params(student.call("tp1.mlp.init_params", SIZES, 3), SIZES, "init_params")
    with relies_on(student, "train", *TRAIN_CALLS):
        check_train(student, X, Y, start)


def check_train(student, X, Y, start):
    got = as_params(student.call("tp1.mlp.train", X, Y, SIZES, 0.5, 2, 3), SIZES, "train")
    params = start
    for _ in range(2):
        activations = true_forward(params, X)
        delta = 2 * (activations[-1] - Y) / Y.size * activations[-1] * (1 - activations[-1])
        new = []
        for layer in range(len(params) - 1, -1, -1):
            W, b = params[layer]
            new.append((W - 0.5 * activations[layer].T @ delta, b - 0.5 * delta.sum(axis=0)))
            delta = delta @ W.T * activations[layer] * (1 - activations[layer])
        params = new[::-1]
    # 1e-6 of each array's scale: a float32 activation of the student's (an allowed choice) is not a wrong train.
    expect(all(close(a[0], w[0], 1e-6) and close(a[1], w[1], 1e-6) for a, w in zip(got, params)),
           "train (réseau [4, 5, 3], 10 échantillons, 2 époques, lr = 0,5) doit partir de init_params(sizes, seed) et "
           "faire W ← W − lr·dW, b ← b − lr·db sur tout le jeu à chaque époque")


def test_train_held_out_accuracy(student, heldout):
    # A secret split and rotation of the standardised features (grader/grading/heldout.py): the test rows
    # never cross to the worker, and the training rows match no row of a copy of the dataset.
    X, y = load_breast_cancer()
    rng = heldout.rng("tp1 mlp breast cancer")
    train, test = split(rng, len(X), 0.3, labels=y)
    X_train, X_test = rotate_features(rng, X[train], X[test])
    sizes = [X.shape[1], 16, 1]
    with relies_on(student, "l'apprentissage (train)", *TRAIN_CALLS, forgive=False):
        got = as_params(student.call("tp1.mlp.train", X_train, y[train][:, None].astype(float), sizes, 2.0, 300, 0,
                                     timeout=120), sizes, "train")
        accuracy = np.mean((true_forward(got, X_test)[-1][:, 0] > 0.5) == y[test])
        heldout.check("breast cancer, MLP 30-16-1: accuracy", accuracy, at_least=0.90, zero_at=0.75, percent=True,
                      message="sur le jeu « breast cancer » (70 % / 30 %, variables transformées par le correcteur), le "
                      "réseau appris par train doit reconnaître les données de test")


BACKWARD_CALLS = (("sigmoid", hidden_test(__file__, "test_activations.py::test_sigmoid_values")),
                  ("forward", test_forward_activations),
                  ("mse_grad", hidden_test(__file__, "test_losses.py::test_mse_grad_gradient_check")))
TRAIN_CALLS = (("init_params", test_init_params_shapes_and_seed), ("backward", test_backward_gradient_check))
