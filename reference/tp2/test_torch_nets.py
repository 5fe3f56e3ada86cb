"""Hidden tests of tp2/torch_nets.py: the course's architectures (parameter counts, outputs with
given weights, against a reference forward written here), the student's training loop on real
data (secretly transformed), the trained model rebuilt and scored here on held-out data that
never reaches the worker, and the evaluation function."""
import numpy as np
import torch
from grader.grading.datasets import load_breast_cancer, load_wine, make_regression  # scikit-learn's, without importing it

from grader.grading.heldout import rotate_features, split
from grader.grading.replayer import numbers, same_architecture
from grader.sandbox import CallFailure
from grader.grading.testkit import Feedback, as_array, as_float, expect, gap, relies_on

MODULE = "tp2.torch_nets"
ARCHITECTURES = {  # factory, args, layer sizes, output: the course's n→16→4→1 / 1 / 3 and 20→128→64→1
    "binary_classifier": ((30,), [30, 16, 4, 1], "sigmoid"),
    "regressor": ((8,), [8, 16, 4, 1], "linear"),
    "multiclass_classifier": ((13, 3), [13, 16, 4, 3], "logits"),
    "course_example_model": ((20,), [20, 128, 64, 1], "linear"),
}


def torch_shapes(sizes):
    shapes = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        shapes += [[n_out, n_in], [n_out]]
    return shapes


def reference_forward(weights, x, output):
    a = torch.as_tensor(x)
    layers = len(weights) // 2
    for layer in range(layers):
        a = a @ torch.as_tensor(weights[2 * layer]).T + torch.as_tensor(weights[2 * layer + 1])
        if layer < layers - 1:
            a = torch.relu(a)
    return (torch.sigmoid(a) if output == "sigmoid" else a).numpy()


def test_architectures_have_the_course_parameter_counts(student):
    for factory, (args, sizes, _) in ARCHITECTURES.items():
        got = student.probe("torch_forward", module=MODULE, factory=factory, args=args)
        want = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
        expect(got["count"] == want, f"{factory}{args} doit avoir {want} paramètres (architecture du cours)")
        expect(sorted(map(tuple, got["shapes"])) == sorted(map(tuple, torch_shapes(sizes))),
               f"{factory}{args} : les couches doivent être " + " → ".join(map(str, sizes)))


def test_outputs_with_given_weights(student):
    for factory in ARCHITECTURES:
        check_outputs(student, factory)


def factory_check(factory):
    """The dependency check of a test that trains one architecture: that factory's own outputs."""
    return (factory, lambda student: check_outputs(student, factory), "test_torch_nets.py::test_outputs_with_given_weights")


def check_outputs(student, factory):
    rng = np.random.default_rng(3 + list(ARCHITECTURES).index(factory))
    for args, sizes, output in (ARCHITECTURES[factory],):
        weights = [rng.normal(scale=0.5, size=shape).astype(np.float32) for shape in torch_shapes(sizes)]
        x = rng.normal(size=(7, sizes[0])).astype(np.float32)
        try:
            got = student.probe("torch_forward", module=MODULE, factory=factory, args=args, weights=weights, inputs=[x])
        except CallFailure as failure:
            if failure.error_type == "NotImplementedError":
                raise
            raise Feedback(f"{factory}{args} avec des poids donnés : {failure.message}") from None
        out = as_array(got["outputs"][0], f"sortie de {factory}")
        want = reference_forward(weights, x, output)
        expect(out.shape == want.shape, f"{factory} : sortie de forme {out.shape}, {want.shape} attendue")
        expect(np.allclose(out, want, atol=1e-5), f"{factory} : la sortie ne correspond pas à l'architecture "
               f"attendue (ReLU sur les couches cachées, sortie {'sigmoïde' if output == 'sigmoid' else 'linéaire'})")


def train(student, heldout, factory, args, X_train, y_train, loss, optimizer, lr, batch_size, epochs, classes=False):
    """Train the student's model with the student's fit; return it rebuilt in the replay process
    (grader/grading/replayer.py), to be run there on held-out inputs the worker never sees. Training may
    change its weights only, and the model holds the course architecture's numbers, nothing more
    (no copy of the training rows)."""
    check = heldout.rng(f"{factory} check inputs").normal(size=(8, X_train.shape[1])).astype(np.float32)
    got = student.probe("torch_fit", timeout=120, module=MODULE, factory=factory, args=args, X=X_train, y=y_train,
                        loss=loss, optimizer=optimizer, lr=lr, batch_size=batch_size, epochs=epochs, classes=classes,
                        describe=check, describe_before=True, report=True)
    history = as_array(got["history"], "historique renvoyé par fit")
    expect(history.shape == (epochs,), f"fit doit renvoyer un coût moyen par époque ({epochs} valeurs)")
    expect(history[-1] < history[0], "le coût doit baisser pendant l'entraînement")
    same_architecture(got.get("before"), got["model"], f"{factory} entraîné par fit")
    sizes = ARCHITECTURES[factory][1]
    want = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    expect(numbers(got["model"]) == want, f"{factory} entraîné par fit doit garder l'architecture du cours "
           f"({want} poids et biais) sans autre tenseur")
    return trained_model(student, factory, args, got, check)


class CourseModel:
    """Trained weights run through the course's own forward (written here): what a description of
    the student's could not change."""

    def __init__(self, weights, output):
        self.weights, self.output = weights, output

    def predict(self, X):
        return reference_forward([np.asarray(w, dtype=np.float32) for w in self.weights], np.asarray(X, dtype=np.float32),
                                 self.output)


def trained_model(student, factory, args, got, check):
    """The trained model as the held-out data will see it: the course's forward with the trained
    weights when the student's forward is the course's (checked here, on weights drawn here), so
    that no description can stand for another computation; else the student's own model, replayed
    (their forward is then charged by test_outputs_with_given_weights, not twice)."""
    sizes, output = ARCHITECTURES[factory][1], ARCHITECTURES[factory][2]
    trained = got.get("parameters") or []
    if [list(np.shape(w)) for w in trained] == torch_shapes(sizes) and course_forward(student, factory, args, sizes, output):
        return CourseModel(trained, output)
    return student.replay(got["model"], check, f"{factory} entraîné")


def course_forward(student, factory, args, sizes, output):
    rng = np.random.default_rng(31)
    weights = [rng.normal(scale=0.5, size=shape).astype(np.float32) for shape in torch_shapes(sizes)]
    x = rng.normal(size=(7, sizes[0])).astype(np.float32)
    got = student.probe("torch_forward", module=MODULE, factory=factory, args=args, weights=weights, inputs=[x])
    out = np.asarray(got["outputs"][0], dtype=float)
    want = reference_forward(weights, x, output)
    return out.shape == want.shape and np.allclose(out, want, atol=1e-5)


def tabular(heldout, purpose, X, y):
    """A secret stratified split and rotation of the standardised features (grader/grading/heldout.py)."""
    rng = heldout.rng(purpose)
    fit_rows, test_rows = split(rng, len(X), 0.3, labels=y)
    X_train, X_test = rotate_features(rng, X[fit_rows], X[test_rows])
    return X_train.astype(np.float32), X_test.astype(np.float32), y[fit_rows], y[test_rows]


def test_fit_trains_the_course_example_model(student, heldout):
    # Fresh samples each grading: the generator's seed is secret.
    X, y = make_regression(n_samples=1200, n_features=20, n_informative=10, noise=10.0,
                           random_state=heldout.seed("tp2 torch regression"))
    fit_rows, test_rows = split(heldout.rng("tp2 torch regression split"), len(X), 0.3)
    mean, std, y_mean, y_std = X[fit_rows].mean(0), X[fit_rows].std(0), y[fit_rows].mean(), y[fit_rows].std()
    X_train, X_test = ((X[fit_rows] - mean) / std).astype(np.float32), ((X[test_rows] - mean) / std).astype(np.float32)
    # The course's settings: RMSprop, MSE, batch 64, 20 epochs (targets standardised).
    with relies_on(student, "fit", factory_check("course_example_model"), forgive=False):
        model = train(student, heldout, "course_example_model", (20,), X_train,
                      ((y[fit_rows] - y_mean) / y_std).astype(np.float32), "mse", "rmsprop", 1e-3, 64, 20)
        mae = np.mean(np.abs(model.predict(X_test).reshape(-1) * y_std + y_mean - y[test_rows])) / y_std
        heldout.check("regression, course model 20-128-64-1: MAE / std", mae, at_most=0.3, zero_at=0.6, message=(
            "le modèle du cours entraîné par votre fit (RMSprop, MSE, lots de 64, 20 époques, cibles y de forme (N,)) : "
            "erreur absolue moyenne sur le test, en écarts-types de la cible ; si la sortie (N, 1) n'est pas alignée sur "
            "y (N,), MSELoss compare chaque sortie à chaque cible (N × N) et le modèle n'apprend pas"))


def test_fit_binary_classifier_breast_cancer(student, heldout):
    X_train, X_test, y_train, y_test = tabular(heldout, "tp2 torch breast cancer", *load_breast_cancer())
    with relies_on(student, "fit", factory_check("binary_classifier"), forgive=False):
        model = train(student, heldout, "binary_classifier", (30,), X_train, y_train.astype(np.float32),
                      "bce", "adam", 1e-2, 32, 30)
        accuracy = np.mean((model.predict(X_test).reshape(-1) > 0.5) == y_test)
        heldout.check("breast cancer, torch 30-16-4-1: accuracy", accuracy, at_least=0.90, zero_at=0.75, percent=True,
                      message="sur « breast cancer » (variables transformées par le correcteur), le classifieur binaire "
                      "entraîné par votre fit, bonnes réponses sur des données de test qu'il n'a jamais vues")


def test_fit_multiclass_classifier_wine(student, heldout):
    X_train, X_test, y_train, y_test = tabular(heldout, "tp2 torch wine", *load_wine())
    with relies_on(student, "fit", factory_check("multiclass_classifier"), forgive=False):
        model = train(student, heldout, "multiclass_classifier", (13, 3), X_train, y_train, "cross_entropy", "adam",
                      1e-2, 16, 50, classes=True)
        accuracy = np.mean(model.predict(X_test).argmax(axis=1) == y_test)
        heldout.check("wine, torch 13-16-4-3: accuracy", accuracy, at_least=0.85, zero_at=0.65, percent=True,
                      message="sur « wine » (3 classes, variables transformées par le correcteur), le classifieur "
                      "entraîné par votre fit, bonnes réponses sur des données de test qu'il n'a jamais vues")


def test_fit_steps_are_gradient_descent(student):
    # One batch holding every sample, so that neither the batches' order nor an extra pass over the
    # loader matters: three epochs are three steps of gradient descent from the given weights,
    # each from the gradient of that step alone (zero_grad before backward).
    with relies_on(student, "fit", factory_check("regressor")):
        check_gradient_descent(student)


def check_gradient_descent(student):
    rng = np.random.default_rng(10)
    sizes = ARCHITECTURES["regressor"][1]
    weights = [rng.normal(scale=0.5, size=shape).astype(np.float32) for shape in torch_shapes(sizes)]
    X, y = rng.normal(size=(64, 8)).astype(np.float32), rng.normal(size=(64, 1)).astype(np.float32)
    check = rng.normal(size=(16, 8)).astype(np.float32)
    got = student.probe("torch_fit", timeout=120, module=MODULE, factory="regressor", args=(8,), X=X, y=y, loss="mse",
                        optimizer="sgd", lr=0.1, batch_size=64, epochs=3, weights=weights, X_test=check, spy=True)
    modes = got.get("modes") or []
    expect(modes and all(modes), "fit doit calculer en mode entraînement : appelez model.train() avant les lots (le "
           f"modèle reçu peut être en mode évaluation) ; mode entraînement à {sum(map(bool, modes))} appels de forward "
           f"sur {len(modes)}")
    params = [torch.tensor(w, requires_grad=True) for w in weights]
    for _ in range(3):
        loss = torch.mean((forward(params, torch.as_tensor(X)) - torch.as_tensor(y)) ** 2)
        gradients = torch.autograd.grad(loss, params)
        with torch.no_grad():
            params = [(p - 0.1 * g).requires_grad_(True) for p, g in zip(params, gradients)]
    want = forward(params, torch.as_tensor(check)).detach().numpy()
    out = as_array(got["outputs"], "sorties du modèle entraîné")
    expect(out.shape == want.shape and np.allclose(out, want, atol=1e-4), "avec un seul lot par époque, fit doit "
           "faire une descente de gradient : à chaque lot, remise à zéro des gradients (optimizer.zero_grad()), "
           "coût, backward, optimizer.step()")


def forward(params, x):
    """The regressor's forward (ReLU between layers, linear output) on torch tensors, differentiable."""
    for layer in range(len(params) // 2):
        x = x @ params[2 * layer].T + params[2 * layer + 1]
        if layer < len(params) // 2 - 1:
            x = torch.relu(x)
    return x


def test_fit_history_is_the_mean_loss_of_each_epoch(student):
    # lr = 0: the model never changes, so each epoch's value is a mean of the initial model's losses.
    # 97 samples in batches of 32 (32, 32, 32, 1): the mean per sample (each batch weighed by its
    # size) and the mean of the batches' means differ; the stub accepts both readings, not a sum.
    # y is (N, 1), like the output: nothing to align (squeezing the output would broadcast to N × N).
    with relies_on(student, "fit", factory_check("regressor")):
        check_history(student)


def check_history(student):
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(97, 8)).astype(np.float32), rng.normal(size=(97, 1)).astype(np.float32)
    check = rng.normal(size=(4, 8)).astype(np.float32)
    got = student.probe("torch_fit", timeout=120, module=MODULE, factory="regressor", args=(8,), X=X, y=y, loss="mse",
                        optimizer="sgd", lr=0.0, batch_size=32, epochs=2, describe=check)
    history = as_array(got["history"], "historique renvoyé par fit")
    expect(history.shape == (2,), f"fit doit renvoyer un coût moyen par époque (2 valeurs), forme {history.shape} obtenue")
    model = student.replay(got["model"], check, "regressor passé à fit")
    errors = ((model.predict(X).reshape(-1, 1) - y) ** 2).reshape(-1)
    per_sample = np.full(2, errors.mean())
    # The probe's loader shuffles with torch.Generator().manual_seed(0): the same batches, here.
    loader = torch.utils.data.DataLoader(np.arange(97), batch_size=32, shuffle=True,
                                         generator=torch.Generator().manual_seed(0))
    per_batch = np.array([np.mean([errors[batch.numpy()].mean() for batch in loader]) for _ in range(2)])
    expect(np.allclose(history, per_sample, rtol=1e-4) or np.allclose(history, per_batch, rtol=1e-4),
           "avec lr = 0 et des lots de 32, 32, 32 et 1, chaque valeur de l'historique doit être le coût moyen de "
           "l'époque : la moyenne par échantillon (chaque lot pondéré par sa taille) ou la moyenne des coûts des lots "
           f"({gap(history, per_sample)} par rapport à la moyenne par échantillon)")


def test_evaluate_is_a_mean_over_samples(student):
    with relies_on(student, "evaluate", factory_check("regressor")):
        check_evaluate(student)


def check_evaluate(student):
    rng = np.random.default_rng(8)
    sizes = ARCHITECTURES["regressor"][1]
    weights = [rng.normal(scale=0.5, size=shape).astype(np.float32) for shape in torch_shapes(sizes)]
    X, y = rng.normal(size=(100, 8)).astype(np.float32), rng.normal(size=100).astype(np.float32)
    got = student.probe("torch_evaluate", module=MODULE, factory="regressor", args=(8,), weights=weights, X=X, y=y,
                        metric="mae", batch_size=32, spy=True)
    modes = got.get("modes", []) if isinstance(got, dict) else []
    got = as_float(got.get("value") if isinstance(got, dict) else got, "evaluate(...)")
    expect(modes and not any(modes), "evaluate doit calculer en mode évaluation : appelez model.eval() (dropout et "
           f"batch norm s'y comportent autrement) ; mode entraînement à {sum(map(bool, modes))} appels de forward "
           f"sur {len(modes)}")
    want = float(np.mean(np.abs(reference_forward(weights, X, "linear").reshape(-1) - y)))
    expect(abs(got - want) < 1e-4, "evaluate doit renvoyer la métrique moyenne sur tous les échantillons "
           "(lots de tailles différentes : pondérez par la taille du lot), modèle en mode évaluation")
    # Targets of shape (N, 1), like the output: nothing to align (a squeezed output would broadcast to N × N).
    column = as_float(student.probe("torch_evaluate", module=MODULE, factory="regressor", args=(8,), weights=weights,
                                    X=X, y=y[:, None], metric="mae", batch_size=32), "evaluate(...)")
    expect(abs(column - want) < 1e-4, "evaluate doit aussi accepter des cibles de forme (N, 1), comme la sortie : "
           "n'alignez les formes que si la sortie est (N, 1) et la cible (N,)")
