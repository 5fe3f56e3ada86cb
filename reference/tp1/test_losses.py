"""Hidden tests of tp1/losses.py: the mean over every element, and a gradient check."""
import numpy as np

from grader.grading.testkit import as_array, as_float, expect, numerical_gradient, rel_error

RNG = np.random.default_rng(21)
A, Y = RNG.normal(size=(7, 3)), RNG.normal(size=(7, 3))


def true_mse(a):
    return float(np.mean((a - Y) ** 2))


def test_mse_value(student):
    value = as_float(student.call("tp1.losses.mse", A, Y), "mse(a, y)")
    expect(abs(value - true_mse(A)) < 1e-10, "mse doit être la moyenne des (a − y)² sur tous les éléments")
    small = as_float(student.call("tp1.losses.mse", np.array([1.0, 3.0]), np.array([0.0, 1.0])), "mse")
    expect(abs(small - 2.5) < 1e-12, "mse([1, 3], [0, 1]) doit valoir 2.5")


def test_mse_grad_gradient_check(student):
    grad = as_array(student.call("tp1.losses.mse_grad", A, Y), "mse_grad(a, y)", A.shape)
    expect(rel_error(grad, numerical_gradient(true_mse, A)) < 1e-6,
           "mse_grad n'est pas le gradient de mse : 2 (a − y) / N avec N le nombre d'éléments")
