"""Hidden tests of tp1/perceptron.py: the step, the update rule (which must not change the w it
receives), training on the course's tree-disease example and on a seeded linearly separable set.
Training calls `predict` and `update`: a wrong one of those is charged by its own test only."""
import numpy as np

from grader.grading.testkit import as_array, as_float, expect, relies_on


def step(w, b, X):
    return (X @ w + b > 0).astype(int)


def test_predict_is_a_step_function(student):
    w, b = np.array([1.0, -2.0]), 0.5
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.25], [3.0, 1.0], [-1.0, -1.0]])  # x·w+b = .5 -.5 0 1.5 1.5
    out = as_array(student.call("tp1.perceptron.predict", w, b, X), "predict(w, b, X)", (5,))
    expect(set(np.unique(out)) <= {0.0, 1.0}, "predict doit renvoyer des 0 et des 1")
    expect(out[2] == 0, "predict doit renvoyer 0 quand x·w + b vaut exactement 0 (f(x) = 1 seulement si x·w + b > 0)")
    expect(np.array_equal(out, [1, 0, 0, 1, 1]), "predict doit renvoyer 1 là où x·w + b > 0 et 0 sinon")


def test_update_rule(student):
    w, b, lr = np.array([0.5, -1.0]), 0.0, 0.1
    for x, y in ((np.array([2.0, 3.0]), 1), (np.array([4.0, 1.0]), 0), (np.array([1.0, -1.0]), 1)):
        got, changed = student.call_checked("tp1.perceptron.update", w, b, x, y, lr)
        f = int(x @ w + b > 0)
        expect("0" not in changed, f"update a modifié le tableau w reçu (cas y = {y}, f(x) = {f}) : renvoyez un "
               "nouveau tableau (w = w + …) au lieu de le changer sur place (w += …)")
        expect(isinstance(got, (tuple, list)) and len(got) == 2, "update doit renvoyer le couple (w, b)")
        new_w, new_b = as_array(got[0], "w mis à jour", (2,)), as_float(got[1], "b mis à jour")
        expect(np.allclose(new_w, w + lr * (y - f) * x) and abs(new_b - (b + lr * (y - f))) < 1e-12,
               f"règle du perceptron incorrecte pour y = {y}, f(x) = {f} : wᵢ ← wᵢ + α(y − f(x))xᵢ, b ← b + α(y − f(x))")


def training_calls(student):
    """What train relies on: the own tests of predict and update."""
    return ("predict", test_predict_is_a_step_function), ("update", test_update_rule)


def check_training(student, reference, name):
    case = reference.case(name)
    with relies_on(student, "train", *training_calls(student)):
        got = reference.run(student, name)
        expect(isinstance(got, (tuple, list)) and len(got) == 2, "train doit renvoyer le couple (w, b)")
        X, y = case.args
        w, b = as_array(got[0], "w appris", (X.shape[1],)), as_float(got[1], "b appris")
        expect(np.array_equal(step(w, b, X), y), "le perceptron appris ne sépare pas les données d'entraînement")
        want_w, want_b = reference.expected_value(name)
        expect(np.allclose(w, want_w, atol=1e-9) and abs(b - float(want_b)) < 1e-9,
               "(w, b) appris ne suit pas les conventions : départ w = 0, b = 0, échantillons dans l'ordre, "
               "`epochs` époques complètes")


def test_train_on_tree_disease(student, reference):
    check_training(student, reference, "perceptron_trees")
    # Two epochs only, before the trees are separated: every epoch counts, the last one too.
    X, y = reference.case("perceptron_trees").args
    with relies_on(student, "train", *training_calls(student)):
        got = student.call("tp1.perceptron.train", X, y, lr=0.1, epochs=2)
        expect(isinstance(got, (tuple, list)) and len(got) == 2, "train doit renvoyer le couple (w, b)")
        w, b = np.zeros(X.shape[1]), 0.0
        for _ in range(2):
            for row, label in zip(X, y):
                error = label - int(row @ w + b > 0)
                w, b = w + 0.1 * error * row, b + 0.1 * error
        expect(np.allclose(as_array(got[0], "w appris", (2,)), w) and abs(as_float(got[1], "b appris") - b) < 1e-9,
               "train(X, y, lr=0.1, epochs=2) sur les arbres : (w, b) ne suit pas les conventions (départ w = 0, b = 0, "
               "échantillons dans l'ordre, exactement `epochs` époques complètes)")


def test_train_on_separable_set(student, reference):
    check_training(student, reference, "perceptron_separable")
