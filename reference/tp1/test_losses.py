"""Hidden tests of tp1/losses.py: the mean over every element, and a gradient check, at the
precision of what was returned."""
import numpy as np

from grader.grading.testkit import as_array, as_float, close, expect, gap, numerical_gradient

RNG = np.random.default_rng(21)
A, Y = RNG.normal(size=(7, 3)), RNG.normal(size=(7, 3))


def true_mse(a):
    return float(np.mean((a - Y) ** 2))


def test_mse_value(student):
    raw = student.call("tp1.losses.mse", A, Y)
    value = as_float(raw, "mse(a, y)")
    expect(close(np.array(value), np.array(true_mse(A)), 1e-10, raw),
           f"mse doit être la moyenne des (a − y)² sur tous les éléments ({gap(value, true_mse(A))})")
    small = as_float(student.call("tp1.losses.mse", np.array([1.0, 3.0]), np.array([0.0, 1.0])), "mse")
    expect(abs(small - 2.5) < 1e-6, f"mse([1, 3], [0, 1]) doit valoir 2.5, obtenu {small:.6g}")


def test_mse_grad_gradient_check(student):
    raw = student.call("tp1.losses.mse_grad", A, Y)
    grad = as_array(raw, "mse_grad(a, y) pour a et y de forme (7, 3)", A.shape)
    want = numerical_gradient(true_mse, A)
    expect(close(grad, want, 1e-6, raw), "mse_grad n'est pas le gradient de mse : 2 (a − y) / N avec N le nombre "
           f"d'éléments ({gap(grad, want)})")
