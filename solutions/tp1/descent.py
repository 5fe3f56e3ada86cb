"""La descente de gradient, seule : x ← x − λ ∇f(x)."""
import numpy as np


def gradient_descent(grad, x0, lr, n_steps):
    """Descente de gradient à pas fixe.

    grad : fonction qui reçoit un tableau x et renvoie ∇f(x) (même forme que x).
    x0 : point de départ (tableau numpy), lr : le pas λ, n_steps : nombre de mises à jour.
    Règle : x_{t+1} = x_t − λ · grad(x_t).
    Renvoie tous les itérés x₀, x₁, …, x_n dans un tableau de forme (n_steps + 1, *x0.shape)
    (la première ligne est x0 lui-même). Le tableau x0 reçu n'est pas modifié (partez d'une copie).

    Exemple : avec f(x) = x², grad = lambda x: 2 * x, x0 = np.array([1.0]), lr = 0.25,
    n_steps = 2 → [[1.0], [0.5], [0.25]].
    """
    ### BEGIN SOLUTION
    x = np.array(x0, dtype=float)
    path = [x.copy()]
    for _ in range(n_steps):
        x = x - lr * np.asarray(grad(x), dtype=float)
        path.append(x.copy())
    return np.stack(path)
    ### END SOLUTION
