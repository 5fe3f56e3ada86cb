"""Un perceptron multicouche écrit à la main : propagation avant, rétropropagation, entraînement.

Conventions du TP (les tests cachés les supposent) :
- `sizes` liste les tailles des couches, entrée comprise : [n, h₁, …, n_sorties] ;
- la couche l a des poids W de forme (n_entrée, n_sortie) et un biais b de forme (n_sortie,),
  et calcule a = σ(a_précédent · W + b) avec la sigmoïde σ sur **toutes** les couches ;
- X a la forme (N, n) et Y la forme (N, n_sorties) ;
- le coût est C = mse(sortie, Y) du module `losses` (moyenne sur tous les éléments) ;
- `backward` s'appuie sur `forward`, `sigmoid` et `mse_grad`, `train` sur `init_params` et
  `backward` : une erreur dans l'une d'elles n'est comptée qu'une fois, par son propre test.
"""
import numpy as np

from .activations import sigmoid
from .losses import mse_grad


def n_parameters(sizes):
    """Nombre de paramètres à apprendre : Σ hᵢ · hᵢ₊₁ + hᵢ₊₁ (poids puis biais de chaque couche).

    Exemple du cours : un réseau 576 → 288 → 144 → 1 (une image 24×24 aplatie) en a 207 937.
    Renvoie un entier Python (attention aux très grands réseaux).
    """
    raise NotImplementedError("À compléter : n_parameters")


def init_params(sizes, seed):
    """Paramètres initiaux : une liste de couples (W, b), un par couche.

    W de forme (n_entrée, n_sortie), tiré au hasard selon une loi centrée (par exemple normale
    d'écart-type 1/√n_entrée) à partir de `seed`, par exemple avec `np.random.default_rng(seed)` ;
    b de forme (n_sortie,), nul. La même graine doit redonner les mêmes paramètres, une autre
    graine d'autres poids.
    """
    raise NotImplementedError("À compléter : init_params")


def forward(params, X):
    """Propagation avant : renvoie la liste [X, a₁, …, a_L] des activations de chaque couche.

    a_l = σ(a_{l−1} · W_l + b_l). La dernière activation a_L est la sortie du réseau.
    """
    raise NotImplementedError("À compléter : forward")


def backward(params, X, Y):
    """Rétropropagation : le gradient de C = mse(forward(params, X)[-1], Y) par rapport à
    chaque paramètre, sous la forme d'une liste [(dW₁, db₁), …] de mêmes formes que params.

    Règle de dérivation en chaîne, de la sortie vers l'entrée (σ' = a (1 − a)) :
        δ_L = ∂C/∂a_L · σ'(z_L)            avec ∂C/∂a_L = 2 (a_L − Y) / N  (N : nombre d'éléments)
        dW_l = a_{l−1}ᵀ · δ_l               db_l = somme de δ_l sur les échantillons
        δ_{l−1} = (δ_l · W_lᵀ) · σ'(z_{l−1})
    """
    raise NotImplementedError("À compléter : backward")


def train(X, Y, sizes, lr, epochs, seed):
    """Entraînement par descente de gradient sur tout le jeu à chaque pas (full batch).

    Part de `init_params(sizes, seed)`, puis à chaque époque : W ← W − lr · dW et
    b ← b − lr · db pour chaque couche, avec les gradients de `backward`.
    Renvoie les paramètres appris (même format que `init_params`).
    """
    raise NotImplementedError("À compléter : train")
