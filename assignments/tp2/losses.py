"""Fonctions de coût des trois architectures du cours, et leurs gradients.

Conventions du TP (les tests cachés les supposent) :
- N est le nombre d'échantillons, K le nombre de classes ;
- chaque coût est une **moyenne sur les échantillons** et renvoie un nombre (float) ;
- un gradient a toujours la forme de la grandeur par rapport à laquelle on dérive ;
- les résultats sont comparés à la précision de ce que vous renvoyez (float64 ou float32).
"""
import numpy as np

EPS = 1e-12  # borne de p dans les logarithmes : log(0) donnerait −∞


def softmax(z):
    """Fournie (vue au TP1) : softmax sur le dernier axe, stable pour les grandes valeurs."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def bce(p, y):
    """Entropie croisée binaire (classification binaire, sortie sigmoïde) :

        C = −(1/N) Σᵢ [ yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ) ]

    p : probabilités prédites dans ]0, 1[, y : étiquettes 0/1, de même forme, (N,) ou (N, 1)
    (la moyenne porte sur tous les éléments). Bornez p dans [ε, 1 − ε] avant le logarithme
    (np.clip) pour éviter log(0) : ε = 1e−12 par exemple ; toute petite borne convient (de
    1e−15 à 1e−6) tant que le coût d'une prédiction sûre et fausse reste fini et grand.
    Exemple : bce(np.array([0.5, 0.5]), np.array([0.0, 1.0])) → log 2 ≈ 0.6931
    """
    raise NotImplementedError("À compléter : bce")


def bce_grad(p, y):
    """Gradient de `bce` par rapport à p (pas par rapport à z) :

        ∂C/∂pᵢ = (1/N) · (pᵢ − yᵢ) / (pᵢ (1 − pᵢ))

    N est le nombre d'éléments de p. Le résultat a la forme de p. Bornez p comme dans `bce`.
    Vérifiez le signe : si p > y, augmenter p augmente le coût, donc le gradient est positif.
    Exemple : bce_grad(np.array([0.5, 0.5]), np.array([0.0, 1.0])) → array([1.0, −1.0])
    """
    raise NotImplementedError("À compléter : bce_grad")


def cce(p, Y):
    """Entropie croisée catégorielle (classification multi-classe, sortie softmax) :

        C = −(1/N) Σᵢ Σₖ Yᵢₖ log pᵢₖ

    p : (N, K) probabilités (chaque ligne somme à 1), Y : (N, K) codage one-hot des classes.
    Attention : on somme sur les classes et on moyenne sur les échantillons (pas sur les N·K
    éléments). Bornez p par un petit ε (1e−12 par exemple) avant le logarithme : 0 · log 0
    donnerait NaN.
    Exemple : cce(np.array([[0.25, 0.75]]), np.array([[0.0, 1.0]])) → −log 0.75 ≈ 0.2877
    """
    raise NotImplementedError("À compléter : cce")


def softmax_cce_grad(z, Y):
    """Gradient de C = cce(softmax(z), Y) par rapport aux scores z (avant la softmax).

    La softmax et l'entropie croisée se simplifient : ∂C/∂z = (softmax(z) − Y) / N,
    avec N le nombre d'échantillons (lignes). z, Y : (N, K) ; le résultat est (N, K).
    Exemple : softmax_cce_grad(np.zeros((1, 2)), np.array([[0.0, 1.0]])) → [[0.5, −0.5]]
    """
    raise NotImplementedError("À compléter : softmax_cce_grad")


def mae(y_pred, y):
    """Erreur absolue moyenne (régression) : C = moyenne des |ŷ − y| sur tous les éléments.

    Exemple : mae(np.array([1.0, 3.0]), np.array([0.0, 1.0])) → 1.5
    """
    raise NotImplementedError("À compléter : mae")


def mse(y_pred, y):
    """Erreur quadratique moyenne (régression) : C = moyenne des (ŷ − y)² sur tous les éléments.

    Exemple : mse(np.array([1.0, 3.0]), np.array([0.0, 1.0])) → 2.5
    """
    raise NotImplementedError("À compléter : mse")
