"""Hidden tests of tp1/activations.py: values against the formulas, derivatives against
central differences of the true functions, softmax invariants."""
import numpy as np

from grader.grading.testkit import as_array, expect, numerical_gradient, rel_error

Z = np.linspace(-6.0, 6.0, 25).reshape(5, 5)
Z_AWAY_FROM_ZERO = np.array([-3.7, -1.2, -0.4, 0.3, 0.9, 2.5])


def true_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def elementwise_derivative(f, z):
    """d f(z_i) / d z_i for an elementwise f, by central differences."""
    return numerical_gradient(lambda x: float(np.sum(f(x))), z)


def test_sigmoid_values(student):
    out = as_array(student.call("tp1.activations.sigmoid", Z), "sigmoid(z)", Z.shape)
    expect(rel_error(out, true_sigmoid(Z)) < 1e-9, "sigmoid(z) doit valoir 1 / (1 + exp(-z)) élément par élément")
    big = as_array(student.call("tp1.activations.sigmoid", np.array([-800.0, 800.0])), "sigmoid(±800)", (2,))
    expect(np.allclose(big, [0.0, 1.0]), "sigmoid doit tendre vers 0 en -∞ et vers 1 en +∞ (testé en ±800)")


def test_sigmoid_prime_gradient_check(student):
    out = as_array(student.call("tp1.activations.sigmoid_prime", Z), "sigmoid_prime(z)", Z.shape)
    expect(rel_error(out, elementwise_derivative(true_sigmoid, Z)) < 1e-6,
           "sigmoid_prime(z) n'est pas la dérivée de la sigmoïde (vérification par différences finies)")


def test_tanh_and_derivative(student):
    out = as_array(student.call("tp1.activations.tanh", Z), "tanh(z)", Z.shape)
    expect(rel_error(out, np.tanh(Z)) < 1e-9, "tanh(z) ne donne pas la tangente hyperbolique")
    prime = as_array(student.call("tp1.activations.tanh_prime", Z), "tanh_prime(z)", Z.shape)
    expect(rel_error(prime, elementwise_derivative(np.tanh, Z)) < 1e-6,
           "tanh_prime(z) n'est pas la dérivée de tanh (vérification par différences finies)")


def test_relu_and_derivative(student):
    z = Z_AWAY_FROM_ZERO
    out = as_array(student.call("tp1.activations.relu", z), "relu(z)", z.shape)
    expect(np.array_equal(out, np.maximum(0.0, z)), "relu(z) doit valoir max(0, z)")
    prime = as_array(student.call("tp1.activations.relu_prime", z), "relu_prime(z)", z.shape)
    expect(rel_error(prime, elementwise_derivative(lambda x: np.maximum(0.0, x), z)) < 1e-6,
           "relu_prime(z) doit valoir 1 pour z > 0 et 0 pour z < 0")
    at_zero = as_array(student.call("tp1.activations.relu_prime", np.zeros(3)), "relu_prime(0)", (3,))
    expect(np.all(at_zero == 0.0), "relu_prime(0) doit valoir 0 (la convention de l'énoncé en z = 0)")


def test_softmax_matches_definition(student):
    rng = np.random.default_rng(11)
    z = rng.normal(size=(4, 6))
    out = as_array(student.call("tp1.activations.softmax", z), "softmax(z)", z.shape)
    e = np.exp(z)
    expect(rel_error(out, e / e.sum(axis=1, keepdims=True)) < 1e-9,
           "softmax(z) doit valoir exp(z_i) / Σ_j exp(z_j) sur le dernier axe")
    one_d = as_array(student.call("tp1.activations.softmax", z[0]), "softmax d'un vecteur", (6,))
    expect(rel_error(one_d, out[0]) < 1e-9, "softmax doit aussi accepter un vecteur 1-D")


def test_softmax_rows_are_probabilities(student):
    z = np.random.default_rng(5).normal(scale=3.0, size=(3, 2, 5))
    out = as_array(student.call("tp1.activations.softmax", z), "softmax(z)", z.shape)
    expect(np.all(out > 0), "softmax doit donner des probabilités strictement positives")
    expect(np.allclose(out.sum(axis=-1), 1.0), "chaque vecteur de softmax doit sommer à 1 (sur le dernier axe)")


def test_softmax_is_numerically_stable(student):
    # The last row lies far below the others: only a maximum taken row by row keeps it finite.
    z = np.array([[1000.0, 1000.0, 999.0], [-1000.0, 0.0, 1000.0], [-1000.0, -999.0, -1000.0]])
    out = as_array(student.call("tp1.activations.softmax", z), "softmax de grandes valeurs", z.shape)
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    expect(rel_error(out, shifted / shifted.sum(axis=1, keepdims=True)) < 1e-9,
           "softmax doit rester exact pour z = 1000 : soustrayez le maximum avant l'exponentielle")
