"""Tests publics du TP1 : lancez `python -m pytest tests/` à la racine de votre dépôt.

Ils vérifient les exemples des énoncés. Les tests de notation, cachés, vont plus loin
(vérification des gradients par différences finies, données réelles…) : réussir ceux-ci
ne garantit pas la note maximale.
"""
import numpy as np

from tp1 import activations, descent, losses, mlp, perceptron


def test_sigmoid_en_zero():
    assert np.allclose(activations.sigmoid(np.array([0.0])), [0.5])
    assert np.allclose(activations.sigmoid_prime(np.array([0.0])), [0.25])


def test_relu_et_tanh():
    z = np.array([-2.0, 3.0])
    assert np.allclose(activations.relu(z), [0.0, 3.0])
    assert np.allclose(activations.relu_prime(z), [0.0, 1.0])
    assert np.allclose(activations.tanh_prime(np.array([0.0])), [1.0])


def test_softmax_exemple():
    out = activations.softmax(np.array([[1.0, 1.0], [0.0, 1000.0]]))
    assert np.allclose(out, [[0.5, 0.5], [0.0, 1.0]])


def test_mse_exemple():
    assert np.isclose(losses.mse(np.array([1.0, 3.0]), np.array([0.0, 1.0])), 2.5)
    assert np.allclose(losses.mse_grad(np.array([1.0, 3.0]), np.array([0.0, 1.0])), [1.0, 2.0])


def test_perceptron_et():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 0, 0, 1])  # le « et » logique est linéairement séparable
    w, b = perceptron.train(X, y, lr=0.1, epochs=20)
    assert np.array_equal(perceptron.predict(w, b, X), y)


def test_descente_exemple():
    path = descent.gradient_descent(lambda x: 2 * x, np.array([1.0]), 0.25, 2)
    assert np.allclose(path, [[1.0], [0.5], [0.25]])


def test_nombre_de_parametres_du_cours():
    assert mlp.n_parameters([576, 288, 144, 1]) == 207_937


def test_formes_du_mlp():
    params = mlp.init_params([3, 4, 2], seed=0)
    assert [W.shape for W, _ in params] == [(3, 4), (4, 2)]
    activations_ = mlp.forward(params, np.zeros((5, 3)))
    assert [a.shape for a in activations_] == [(5, 3), (5, 4), (5, 2)]
    grads = mlp.backward(params, np.zeros((5, 3)), np.ones((5, 2)))
    assert [dW.shape for dW, _ in grads] == [(3, 4), (4, 2)]
