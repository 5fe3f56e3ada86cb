"""Hidden tests of tp1/activations.py: values against the formulas, derivatives against
central differences of the true functions, softmax invariants. Results are compared at the
precision of what was returned (a float32 array at float32's)."""
import numpy as np

from grader.grading.testkit import as_array, close, expect, gap, numerical_gradient

Z = np.linspace(-6.0, 6.0, 25).reshape(5, 5)
Z_AWAY_FROM_ZERO = np.array([-3.7, -1.2, -0.4, 0.3, 0.9, 2.5])


def true_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def elementwise_derivative(f, z):
    """d f(z_i) / d z_i for an elementwise f, by central differences."""
    return numerical_gradient(lambda x: float(np.sum(f(x))), z)


def returned(student, name, z, what, shape):
    raw = student.call(f"tp1.activations.{name}", z)
    return raw, as_array(raw, what, shape)


def test_sigmoid_values(student):
    raw, out = returned(student, "sigmoid", Z, "sigmoid(z)", Z.shape)
    expect(close(out, true_sigmoid(Z), 1e-9, raw),
           f"sigmoid(z) doit valoir 1 / (1 + exp(-z)) élément par élément ({gap(out, true_sigmoid(Z))})")
    big = as_array(student.call("tp1.activations.sigmoid", np.array([-800.0, 800.0])), "sigmoid(±800)", (2,))
    expect(np.allclose(big, [0.0, 1.0]), "sigmoid doit tendre vers 0 en -∞ et vers 1 en +∞ (testé en ±800)")


def test_sigmoid_prime_gradient_check(student):
    raw, out = returned(student, "sigmoid_prime", Z, "sigmoid_prime(z)", Z.shape)
    want = elementwise_derivative(true_sigmoid, Z)
    expect(not np.allclose(out, Z * (1 - Z)), "sigmoid_prime(z) calcule z · (1 − z) : la fonction reçoit z, pas σ(z) ; "
           "calculez σ(z) · (1 − σ(z))")
    expect(close(out, want, 1e-6, raw), "sigmoid_prime(z) n'est pas la dérivée de la sigmoïde (vérification par "
           f"différences finies, {gap(out, want)})")


def test_tanh_and_derivative(student):
    raw, out = returned(student, "tanh", Z, "tanh(z)", Z.shape)
    expect(close(out, np.tanh(Z), 1e-9, raw), f"tanh(z) ne donne pas la tangente hyperbolique ({gap(out, np.tanh(Z))})")
    raw, prime = returned(student, "tanh_prime", Z, "tanh_prime(z)", Z.shape)
    expect(not np.allclose(prime, 1 - Z ** 2), "tanh_prime(z) calcule 1 − z² : la fonction reçoit z, pas tanh(z) ; "
           "calculez 1 − tanh(z)²")
    want = elementwise_derivative(np.tanh, Z)
    expect(close(prime, want, 1e-6, raw),
           f"tanh_prime(z) n'est pas la dérivée de tanh (vérification par différences finies, {gap(prime, want)})")


def test_relu_and_derivative(student):
    z = Z_AWAY_FROM_ZERO
    out = as_array(student.call("tp1.activations.relu", z), "relu(z)", z.shape)
    expect(np.allclose(out, np.maximum(0.0, z), rtol=1e-6, atol=0), "relu(z) doit valoir max(0, z)")
    prime = as_array(student.call("tp1.activations.relu_prime", z), "relu_prime(z)", z.shape)
    expect(np.allclose(prime, (z > 0).astype(float)), "relu_prime(z) doit valoir 1 pour z > 0 et 0 pour z < 0")
    at_zero = as_array(student.call("tp1.activations.relu_prime", np.zeros(3)), "relu_prime(0)", (3,))
    expect(np.all(at_zero == 0.0), "relu_prime(0) doit valoir 0 (la convention de l'énoncé en z = 0)")


def test_softmax_matches_definition(student):
    rng = np.random.default_rng(11)
    z = rng.normal(size=(4, 6))
    raw = student.call("tp1.activations.softmax", z)
    out = as_array(raw, "softmax(z) d'un tableau (4, 6)", z.shape)
    e = np.exp(z)
    want = e / e.sum(axis=1, keepdims=True)
    expect(close(out, want, 1e-9, raw),
           f"softmax(z) doit valoir exp(z_i) / Σ_j exp(z_j) sur le dernier axe, pour chaque ligne ({gap(out, want)})")
    one_d = as_array(student.call("tp1.activations.softmax", z[0]), "softmax d'un vecteur 1-D de forme (6,)", (6,))
    expect(close(one_d, want[0], 1e-9, raw), "softmax doit aussi accepter un vecteur 1-D (forme (K,) → (K,))")


def test_softmax_rows_are_probabilities(student):
    z = np.random.default_rng(5).normal(scale=3.0, size=(3, 2, 5))
    out = as_array(student.call("tp1.activations.softmax", z), "softmax(z) d'un tableau (3, 2, 5)", z.shape)
    expect(np.all(out > 0), "softmax doit donner des probabilités strictement positives")
    expect(np.allclose(out.sum(axis=-1), 1.0, atol=1e-5),
           "chaque vecteur de softmax doit sommer à 1 sur le DERNIER axe (ici un tableau (3, 2, 5))")


def test_softmax_is_numerically_stable(student):
    # The last row lies far below the others: only a maximum taken row by row keeps it finite.
    z = np.array([[1000.0, 1000.0, 999.0], [-1000.0, 0.0, 1000.0], [-1000.0, -999.0, -1000.0]])
    raw = student.call("tp1.activations.softmax", z)
    out = as_array(raw, "softmax de grandes valeurs (±1000)", z.shape)
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    expect(close(out, shifted / shifted.sum(axis=1, keepdims=True), 1e-9, raw),
           "softmax doit rester exact pour z = ±1000 : soustrayez le maximum de CHAQUE ligne avant l'exponentielle")
