"""Fonction de coût : l'erreur quadratique moyenne (MSE) et son gradient."""
import numpy as np


def mse(y_pred, y):
    """Erreur quadratique moyenne : C = moyenne des (a − y)² sur tous les éléments.

    y_pred (la sortie a du réseau) et y ont la même forme, par exemple (N, n_sorties).
    Renvoie un nombre (float).
    Exemple : mse(np.array([1.0, 3.0]), np.array([0.0, 1.0])) → 2.5
    """
    diff = np.asarray(y_pred, dtype=float) - np.asarray(y, dtype=float)
    return float(np.mean(diff ** 2))


def mse_grad(y_pred, y):
    """Gradient de `mse` par rapport à y_pred : ∂C/∂a = 2 (a − y) / N.

    N est le nombre total d'éléments de y_pred (la moyenne porte sur tous les éléments :
    c'est le ∂C/∂a = 2(a − y) du cours, moyenné). Le résultat a la forme de y_pred.
    Exemple : mse_grad(np.array([1.0, 3.0]), np.array([0.0, 1.0])) → array([1.0, 2.0])
    """
    y_pred = np.asarray(y_pred, dtype=float)
    return 2.0 * (y_pred - np.asarray(y, dtype=float)) / y_pred.size
