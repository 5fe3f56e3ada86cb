"""Le perceptron de Rosenblatt : une somme pondérée, un biais et une activation en marche.

Exemple du cours : reconnaître un arbre malade (1) ou sain (0) à partir de deux mesures,
le nombre de branches cassées et la hauteur de l'arbre.
"""
import numpy as np


def predict(w, b, X):
    """Sortie du perceptron pour chaque ligne de X : f(x) = 1 si x·w + b > 0, sinon 0.

    w : (d,) poids, b : biais (nombre), X : (N, d) échantillons.
    Renvoie un tableau d'entiers 0/1 de forme (N,). Attention : exactement 0 donne 0.
    """
    ### BEGIN SOLUTION
    return (np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b > 0).astype(int)
    ### END SOLUTION


def update(w, b, x, y, lr):
    """Une mise à jour sur un seul échantillon (x, y), règle du perceptron :

        wᵢ ← wᵢ + α (y − f(x)) xᵢ        b ← b + α (y − f(x))

    où α = lr est le taux d'apprentissage et f(x) la prédiction actuelle (0 ou 1).
    x : (d,), y : 0 ou 1. Renvoie le couple (w, b) mis à jour : un NOUVEAU tableau w, sans
    modifier le w reçu (écrivez w = w + …, pas w += …, qui changerait le tableau de l'appelant).
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    error = y - predict(w, b, x[None, :])[0]
    return np.asarray(w, dtype=float) + lr * error * x, float(b + lr * error)
    ### END SOLUTION


def train(X, y, lr=0.1, epochs=50):
    """Apprentissage du perceptron.

    Conventions (tout le monde doit trouver le même résultat) : on part de w = 0 (forme (d,))
    et b = 0 ; une époque parcourt les échantillons de X **dans l'ordre**, un par un, avec
    `update` (et donc `predict`) ; on fait `epochs` époques complètes.
    X : (N, d), y : (N,) de 0/1. Renvoie (w, b).
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for xi, yi in zip(X, y):
            w, b = update(w, b, xi, yi, lr)
    return w, b
    ### END SOLUTION
