"""Deux couches de régularisation, en numpy : le dropout et la batch normalization.

Chaque couche a une propagation avant (`*_forward`) et une rétropropagation (`*_backward`).
Le paramètre `training` distingue l'entraînement (training=True) de l'évaluation (False) :
ces deux couches ne se comportent pas de la même façon dans les deux cas.
"""
import numpy as np


def dropout_forward(x, p, training, seed=0):
    """Dropout « inversé », comme torch.nn.Dropout(p).

    p est la probabilité d'ÉTEINDRE un neurone (0 ≤ p < 1).
    - En entraînement : chaque élément de x est gardé avec la probabilité 1 − p, indépendamment
      des autres ; `mask` est un tableau de 0 et de 1 de la forme de x (1 = gardé, pas de
      facteur dans le masque), tiré à partir de `seed`, par exemple avec
      `np.random.default_rng(seed)` (même graine → même masque, autre graine → autre masque). Les éléments gardés sont
      divisés par (1 − p) : out = x · mask / (1 − p). Ainsi l'espérance de out est x, et rien
      ne change à l'évaluation.
    - En évaluation : la couche est l'identité, out = x, et mask est un tableau de 1.
    x : tableau de forme quelconque, par exemple (N, d). Renvoie le couple (out, mask).
    Exemple : dropout_forward(x, 0.5, training=False) → (x, np.ones_like(x)) ;
    avec p = 0.5 en entraînement, chaque valeur de out vaut 0 ou 2·x.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    if not training:
        return x.copy(), np.ones_like(x)
    mask = (np.random.default_rng(seed).random(x.shape) >= p).astype(float)
    return x * mask / (1.0 - p), mask
    ### END SOLUTION


def dropout_backward(dout, mask, p):
    """Rétropropagation du dropout en entraînement : dx = ∂C/∂x à partir de dout = ∂C/∂out.

    out = x · mask / (1 − p) est linéaire en x : le gradient ne passe que par les neurones
    gardés, avec le même facteur 1 / (1 − p). `mask` est celui renvoyé par `dropout_forward`.
    dout et mask (de 0 et de 1) ont la forme de x ; le résultat aussi.
    Exemple : dropout_backward(np.array([1.0, 1.0]), np.array([0.0, 1.0]), 0.5) → array([0.0, 2.0])
    """
    ### BEGIN SOLUTION
    return np.asarray(dout, dtype=float) * mask / (1.0 - p)
    ### END SOLUTION


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """Batch normalization d'un mini-lot x de forme (N, d), exactement comme torch.nn.BatchNorm1d(d).

    En entraînement, avec μ et σ² la moyenne et la variance de x sur le lot (axe 0) :
        x̂ = (x − μ) / √(σ² + ε)          out = γ · x̂ + β
    où σ² est la variance **biaisée** (divisée par N, np.var par défaut). Les statistiques
    courantes sont mises à jour avec la variance **non biaisée** (divisée par N − 1) :
        running_mean ← (1 − momentum) · running_mean + momentum · μ
        running_var  ← (1 − momentum) · running_var  + momentum · σ² · N / (N − 1)
    En évaluation, on normalise avec running_mean et running_var (pas avec le lot), qui ne
    changent pas.
    gamma, beta, running_mean, running_var : (d,). Ne modifiez pas les tableaux reçus.
    Renvoie (out, cache, running_mean, running_var) : out (N, d), les statistiques à jour, et
    `cache`, ce dont `batchnorm_backward` aura besoin. Le cache voyage entre les processus de
    test : ce doit être un tuple de tableaux numpy et de nombres (pas de dictionnaire, pas
    d'objet), par exemple (x_hat, gamma, 1 / √(σ² + ε)).
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    if training:
        mean, var = x.mean(axis=0), x.var(axis=0)
        n = len(x)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, np.asarray(gamma, dtype=float), inv_std), running_mean, running_var
    ### END SOLUTION


def batchnorm_backward(dout, cache):
    """Rétropropagation de la batch normalization en entraînement.

    dout : (N, d) = ∂C/∂out ; cache : celui de votre `batchnorm_forward` (training=True) :
    si ce dernier est faux, seul son propre test compte l'erreur.
    Renvoie (dx, dgamma, dbeta) de formes (N, d), (d,), (d,) :
        dβ = Σᵢ doutᵢ      dγ = Σᵢ doutᵢ · x̂ᵢ      dx̂ = dout · γ
        dx = (1 / (N √(σ² + ε))) · (N · dx̂ − Σᵢ dx̂ᵢ − x̂ · Σᵢ dx̂ᵢ x̂ᵢ)
    (μ et σ² dépendent de chaque xᵢ : c'est ce qui donne les deux sommes de dx).
    """
    ### BEGIN SOLUTION
    x_hat, gamma, inv_std = cache
    dout = np.asarray(dout, dtype=float)
    dx_hat = dout * gamma
    n = len(dout)
    dx = inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    ### END SOLUTION
