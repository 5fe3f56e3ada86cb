"""Hidden tests of tp2/losses.py: values against the formulas (means over the samples),
gradients against central differences of the true losses."""
import numpy as np

from grader.grading.testkit import as_array, as_float, expect, numerical_gradient, rel_error

RNG = np.random.default_rng(201)
P = RNG.uniform(0.05, 0.95, size=(12, 1))
Y_BINARY = RNG.integers(0, 2, size=(12, 1)).astype(float)
Z = RNG.normal(scale=2.0, size=(8, 3))
Y_ONE_HOT = np.eye(3)[RNG.integers(0, 3, size=8)]


def true_bce(p):
    return float(-np.mean(Y_BINARY * np.log(p) + (1 - Y_BINARY) * np.log(1 - p)))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def true_cce_of_scores(z):
    return float(-np.sum(Y_ONE_HOT * np.log(softmax(z))) / len(z))


def test_bce_value(student):
    value = as_float(student.call("tp2.losses.bce", P, Y_BINARY), "bce(p, y)")
    expect(abs(value - true_bce(P)) < 1e-10,
           "bce doit valoir −moyenne de [y log p + (1 − y) log(1 − p)] sur les échantillons")
    flat = as_float(student.call("tp2.losses.bce", np.array([0.5, 0.5]), np.array([0.0, 1.0])), "bce")
    expect(abs(flat - np.log(2)) < 1e-10, "bce([0.5, 0.5], [0, 1]) doit valoir log 2")


def test_bce_grad_gradient_check(student):
    grad = as_array(student.call("tp2.losses.bce_grad", P, Y_BINARY), "bce_grad(p, y)", P.shape)
    expect(rel_error(grad, numerical_gradient(true_bce, P)) < 1e-6,
           "bce_grad n'est pas le gradient de bce par rapport à p (vérification par différences "
           "finies) : (p − y) / (p (1 − p)) / N, attention au signe")


def test_cce_value(student):
    p = softmax(Z)
    value = as_float(student.call("tp2.losses.cce", p, Y_ONE_HOT), "cce(p, Y)")
    expect(abs(value - true_cce_of_scores(Z)) < 1e-10,
           "cce doit valoir −(1/N) Σᵢ Σₖ Yᵢₖ log pᵢₖ : somme sur les classes, moyenne sur les échantillons")
    one = as_float(student.call("tp2.losses.cce", np.array([[0.25, 0.75]]), np.array([[0.0, 1.0]])), "cce")
    expect(abs(one + np.log(0.75)) < 1e-10, "cce([[0.25, 0.75]], [[0, 1]]) doit valoir −log 0.75")
    # A probability of exactly 0 for a wrong class is a valid row: 0 · log 0 must not give NaN.
    sure = np.asarray(student.call("tp2.losses.cce", np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]])), dtype=float)
    expect(sure.size == 1 and np.isfinite(sure).all() and abs(float(sure.reshape(-1)[0])) < 1e-6,
           "cce([[0, 1]], [[0, 1]]) doit valoir 0 : bornez p par 1e−12 avant le logarithme (0 · log 0 donne NaN)")


def test_softmax_cce_grad_gradient_check(student):
    grad = as_array(student.call("tp2.losses.softmax_cce_grad", Z, Y_ONE_HOT), "softmax_cce_grad(z, Y)", Z.shape)
    expect(rel_error(grad, numerical_gradient(true_cce_of_scores, Z)) < 1e-6,
           "softmax_cce_grad n'est pas le gradient de cce(softmax(z), Y) par rapport à z "
           "(vérification par différences finies) : (softmax(z) − Y) / N")


def test_mae_and_mse_values(student):
    rng = np.random.default_rng(202)
    a, y = rng.normal(size=(9, 1)), rng.normal(size=(9, 1))
    mae = as_float(student.call("tp2.losses.mae", a, y), "mae(ŷ, y)")
    expect(abs(mae - np.mean(np.abs(a - y))) < 1e-10, "mae doit être la moyenne des |ŷ − y|")
    mse = as_float(student.call("tp2.losses.mse", a, y), "mse(ŷ, y)")
    expect(abs(mse - np.mean((a - y) ** 2)) < 1e-10, "mse doit être la moyenne des (ŷ − y)²")
