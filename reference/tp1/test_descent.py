"""Hidden tests of tp1/descent.py: iterates against the update rule (x0 left as it is),
convergence on a convex function, dependence on the start on a non-convex one. Gradients are
polynomials: the worker builds them (functions cannot cross the sandbox boundary)."""
import numpy as np

from grader.grading.testkit import as_array, expect

SQUARE = {"kind": "polynomial", "coefs": [2.0, 0.0]}  # f(x) = x², f'(x) = 2x
# f(x) = x⁴ − 3x² + x: a global minimum near −1.30 and a local one near 1.13.
NON_CONVEX = {"kind": "polynomial", "coefs": [4.0, 0.0, -6.0, 1.0]}


def descend(student, spec, x0, lr, n_steps):
    out = student.call("tp1.descent.gradient_descent", None, x0, lr, n_steps, callables={"0": spec})
    return as_array(out, f"gradient_descent(grad, x0 de forme {x0.shape}, lr, {n_steps})", (n_steps + 1, *x0.shape))


def test_iterates_follow_the_rule(student):
    x0, lr = np.array([1.5, -0.5, 0.2]), 0.02
    got, changed = student.call_checked("tp1.descent.gradient_descent", None, x0, lr, 12, callables={"0": NON_CONVEX})
    expect("1" not in changed, "gradient_descent a modifié le x0 reçu : partez d'une copie (x = x0.copy(), "
           "puis x = x − λ · grad(x))")
    path = as_array(got, "gradient_descent(grad, x0 de forme (3,), lr, 12)", (13, 3))
    want = [x0]
    for _ in range(12):
        want.append(want[-1] - lr * np.polyval(NON_CONVEX["coefs"], want[-1]))
    expect(np.allclose(path[0], x0), "la première ligne doit être x0 lui-même")
    expect(np.allclose(path, np.stack(want), rtol=1e-10, atol=1e-12),
           "les itérés ne suivent pas x_{t+1} = x_t − λ · grad(x_t)")


def test_converges_on_convex_function(student):
    path = descend(student, SQUARE, np.array([3.0, -2.0]), 0.1, 100)
    values = (path ** 2).sum(axis=1)
    expect(np.all(np.diff(values) <= 0), "sur f(x) = x² avec un petit pas, f doit décroître à chaque itération")
    expect(np.abs(path[-1]).max() < 1e-6, "sur f(x) = x², la descente doit atteindre le minimum 0")


def test_minimum_depends_on_start_when_non_convex(student):
    left = descend(student, NON_CONVEX, np.array([-2.0]), 0.01, 500)[-1, 0]
    right = descend(student, NON_CONVEX, np.array([2.0]), 0.01, 500)[-1, 0]
    expect(abs(left + 1.3008) < 1e-3 and abs(right - 1.1309) < 1e-3,
           "sur une fonction non convexe, partir à gauche ou à droite doit mener à deux minima différents")
