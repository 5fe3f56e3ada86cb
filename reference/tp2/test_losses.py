"""Hidden tests of tp2/losses.py: values against the formulas (means over the samples), at the
precision of what was returned, for labels of shape (N,) and (N, 1), a finite bce where p is 0 or
1 (any small clipping bound), and gradients against central differences of the true losses."""
import numpy as np

from grader.grading.testkit import as_array, as_float, close, expect, gap, numerical_gradient

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


def number(student, name, *args, what):
    raw = student.call(f"tp2.losses.{name}", *args)
    return raw, as_float(raw, what)


def test_bce_value(student):
    for p, y, shape in ((P, Y_BINARY, "(N, 1)"), (P[:, 0], Y_BINARY[:, 0], "(N,)")):
        raw, value = number(student, "bce", p, y, what=f"bce(p, y) pour p et y de forme {shape}")
        expect(close(np.array(value), np.array(true_bce(P)), 1e-10, raw), f"bce (p et y de forme {shape}) doit valoir "
               f"−moyenne de [y log p + (1 − y) log(1 − p)] sur les échantillons ({gap(value, true_bce(P))})")
    _, flat = number(student, "bce", np.array([0.5, 0.5]), np.array([0.0, 1.0]), what="bce([0.5, 0.5], [0, 1])")
    expect(abs(flat - np.log(2)) < 1e-6, f"bce([0.5, 0.5], [0, 1]) doit valoir log 2 ≈ 0.6931, obtenu {flat:.6g}")
    # p = 1 for a 0 label: log(0) without a bound. Any small bound (1e-15, 1e-12, 1e-7…) gives a large finite cost.
    sure = np.asarray(student.call("tp2.losses.bce", np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 0.0])), dtype=float)
    expect(sure.size == 1 and np.isfinite(sure).all(), "bce([0, 1, 1], [0, 1, 0]) donne l'infini ou NaN : bornez p "
           "dans [ε, 1 − ε] avant le logarithme (np.clip, ε = 1e−12 par exemple)")
    expect(float(sure.reshape(-1)[0]) > -np.log(1e-6) / 3, "bce([0, 1, 1], [0, 1, 0]) : une prédiction sûre et fausse "
           "doit coûter cher ; la borne ε de np.clip doit rester petite (1e−12 par exemple, pas plus de 1e−6)")


def test_bce_grad_gradient_check(student):
    raw = student.call("tp2.losses.bce_grad", P, Y_BINARY)
    grad = as_array(raw, "bce_grad(p, y) pour p de forme (12, 1)", P.shape)
    want = numerical_gradient(true_bce, P)
    expect(close(grad, want, 1e-6, raw), "bce_grad n'est pas le gradient de bce par rapport à p (vérification par "
           f"différences finies) : (p − y) / (p (1 − p)) / N, attention au signe ({gap(grad, want)})")


def test_cce_value(student):
    p = softmax(Z)
    raw, value = number(student, "cce", p, Y_ONE_HOT, what="cce(p, Y)")
    expect(close(np.array(value), np.array(true_cce_of_scores(Z)), 1e-10, raw),
           "cce doit valoir −(1/N) Σᵢ Σₖ Yᵢₖ log pᵢₖ : somme sur les classes, moyenne sur les échantillons "
           f"({gap(value, true_cce_of_scores(Z))})")
    _, one = number(student, "cce", np.array([[0.25, 0.75]]), np.array([[0.0, 1.0]]), what="cce")
    expect(abs(one + np.log(0.75)) < 1e-6, f"cce([[0.25, 0.75]], [[0, 1]]) doit valoir −log 0.75 ≈ 0.2877, obtenu {one:.6g}")
    # A probability of exactly 0 for a wrong class is a valid row: 0 · log 0 must not give NaN.
    sure = np.asarray(student.call("tp2.losses.cce", np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]])), dtype=float)
    expect(sure.size == 1 and np.isfinite(sure).all() and abs(float(sure.reshape(-1)[0])) < 1e-6,
           "cce([[0, 1]], [[0, 1]]) doit valoir 0 : bornez p par un petit ε avant le logarithme (0 · log 0 donne NaN)")


def test_softmax_cce_grad_gradient_check(student):
    raw = student.call("tp2.losses.softmax_cce_grad", Z, Y_ONE_HOT)
    grad = as_array(raw, "softmax_cce_grad(z, Y) pour z de forme (8, 3)", Z.shape)
    want = numerical_gradient(true_cce_of_scores, Z)
    expect(close(grad, want, 1e-6, raw), "softmax_cce_grad n'est pas le gradient de cce(softmax(z), Y) par rapport à z "
           f"(vérification par différences finies) : (softmax(z) − Y) / N ({gap(grad, want)})")


def test_mae_and_mse_values(student):
    rng = np.random.default_rng(202)
    a, y = rng.normal(size=(9, 1)), rng.normal(size=(9, 1))
    raw, mae = number(student, "mae", a, y, what="mae(ŷ, y)")
    expect(close(np.array(mae), np.array(np.mean(np.abs(a - y))), 1e-10, raw), "mae doit être la moyenne des |ŷ − y|")
    raw, mse = number(student, "mse", a, y, what="mse(ŷ, y)")
    expect(close(np.array(mse), np.array(np.mean((a - y) ** 2)), 1e-10, raw), "mse doit être la moyenne des (ŷ − y)²")
