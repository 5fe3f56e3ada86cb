"""Fonctions d'activation et leurs dérivées.

Toutes les fonctions s'appliquent élément par élément à un tableau numpy `z` de forme
quelconque et renvoient un tableau de même forme, sauf `softmax`, qui agit sur le dernier axe.
Les dérivées reçoivent z lui-même (pas σ(z) ni tanh(z)). Les résultats sont comparés à la
précision de ce que vous renvoyez : float64 (le défaut de numpy) ou float32, au choix.
"""
import numpy as np


def sigmoid(z):
    """Sigmoïde : σ(z) = 1 / (1 + exp(−z)), à valeurs dans ]0, 1[.

    Exemple : sigmoid(np.array([0.0])) → array([0.5])
    """
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
    ### END SOLUTION


def sigmoid_prime(z):
    """Dérivée de la sigmoïde par rapport à z : σ'(z) = σ(z) · (1 − σ(z)).

    Exemple : sigmoid_prime(np.array([0.0])) → array([0.25])
    """
    ### BEGIN SOLUTION
    s = sigmoid(z)
    return s * (1.0 - s)
    ### END SOLUTION


def tanh(z):
    """Tangente hyperbolique : tanh(z) = (exp(z) − exp(−z)) / (exp(z) + exp(−z)), dans ]−1, 1[."""
    ### BEGIN SOLUTION
    return np.tanh(np.asarray(z, dtype=float))
    ### END SOLUTION


def tanh_prime(z):
    """Dérivée de tanh par rapport à z : tanh'(z) = 1 − tanh(z)²."""
    ### BEGIN SOLUTION
    return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2
    ### END SOLUTION


def relu(z):
    """ReLU (rectified linear unit) : relu(z) = max(0, z)."""
    ### BEGIN SOLUTION
    return np.maximum(0.0, np.asarray(z, dtype=float))
    ### END SOLUTION


def relu_prime(z):
    """Dérivée de ReLU : 1 là où z > 0, 0 là où z < 0 (convention : 0 en z = 0)."""
    ### BEGIN SOLUTION
    return (np.asarray(z, dtype=float) > 0).astype(float)
    ### END SOLUTION


def softmax(z):
    """Softmax sur le dernier axe : softmax(z)_i = exp(z_i) / Σ_j exp(z_j).

    Chaque ligne du résultat est un vecteur de probabilités (positives, de somme 1).
    Attention : exp(1000) déborde. Comme softmax(z) = softmax(z − c) pour toute constante c,
    soustrayez le maximum de chaque ligne avant l'exponentielle.

    Exemple : softmax(np.array([[1.0, 1.0], [0.0, 1000.0]])) → [[0.5, 0.5], [0.0, 1.0]]
    Forme : (..., K) → (..., K)
    """
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION
