"""Auto-encodeur : un encodeur E envoie la donnée x dans un espace latent z (de petite dimension),
un décodeur D reconstruit x̂ = D(E(x)) à partir de z. On l'entraîne à reconstruire son entrée.

Applications du cours écrites ici : la réduction de dimension (z), le débruitage (entrée bruitée,
cible propre) et la détection d'anomalies (entraîné sur des données d'un seul type, il reconstruit
mal ce qu'il n'a jamais vu).

Conventions (les tests cachés les supposent) :
- données : des images aplaties de valeurs dans [0, 1], tableau (N, input_dim) ;
- couches cachées ReLU, couche latente linéaire (sans activation), sortie sigmoïde (dans [0, 1]) ;
- définissez `self.encoder` puis `self.decoder` (deux `nn.Sequential`) : les tests chargent des
  poids dans l'ordre de `model.parameters()` ;
- les tests cachés évaluent votre modèle entraîné de leur côté : ils le reconstruisent à partir de
  ses couches (`torch.nn`) et de ses poids, en suivant `forward` (tracé par `torch.fx`). Dans
  `forward`, n'utilisez donc que les couches du modèle et des opérations de torch (pas de numpy,
  de fichiers, de hasard ni de `if` sur les valeurs des tenseurs) ;
- tout se calcule sur le CPU, en float32.
"""
import numpy as np
import torch
from torch import nn


class AutoEncoder(nn.Module):
    """Auto-encodeur dense symétrique.

    encodeur : input_dim → hidden[0] → … → hidden[-1] → latent_dim   (ReLU, puis latent linéaire)
    décodeur : latent_dim → hidden[-1] → … → hidden[0] → input_dim   (ReLU, puis sigmoïde)

    Exemple : AutoEncoder(64, 8, (32,)) a 64·32 + 32 + 32·8 + 8 (encodeur) + 8·32 + 32 + 32·64 + 64
    (décodeur) = 4 744 paramètres ; une entrée (N, 64) donne z de forme (N, 8) et x̂ de forme (N, 64).
    """

    def __init__(self, input_dim=784, latent_dim=32, hidden=(256,)):
        super().__init__()
        raise NotImplementedError("À compléter : AutoEncoder.__init__")

    def encode(self, x):
        """z = E(x) : (N, input_dim) → (N, latent_dim)."""
        raise NotImplementedError("À compléter : AutoEncoder.encode")

    def decode(self, z):
        """x̂ = D(z) : (N, latent_dim) → (N, input_dim), valeurs dans [0, 1]."""
        raise NotImplementedError("À compléter : AutoEncoder.decode")

    def forward(self, x):
        """La reconstruction x̂ = D(E(x))."""
        raise NotImplementedError("À compléter : AutoEncoder.forward")


def train_autoencoder(model, X, epochs, lr, batch_size, seed, noise_std=0.0):
    """Entraîne `model` à reconstruire X (tenseur (N, d)) et renvoie le coût moyen de chaque époque
    (une liste de `epochs` nombres Python) : la moyenne des coûts des lots, ou la moyenne par
    échantillon (chaque lot pondéré par sa taille), au choix ; pas leur somme.

    - optimiseur Adam de pas `lr` ; coût : l'erreur quadratique moyenne (MSE) entre x̂ et la cible ;
    - à chaque époque, parcourez X en lots de `batch_size` dans un ordre tiré au hasard ;
    - **auto-encodeur débruiteur** : si noise_std > 0, l'entrée du réseau est x + bruit gaussien
      N(0, noise_std²) (un nouveau bruit à chaque lot) et la **cible reste x propre** ;
    - le hasard (ordre des lots, bruit) ne dépend que de `seed` : la même graine redonne le même
      entraînement, une autre graine un autre (par exemple un `torch.Generator().manual_seed(seed)`
      pour l'ordre et pour le bruit).
    """
    raise NotImplementedError("À compléter : train_autoencoder")


def reconstruction_error(model, X):
    """L'erreur de reconstruction de chaque échantillon : la moyenne des (x̂ − x)² sur ses d valeurs.

    X : tenseur (N, d) → tableau numpy (N,). Modèle en mode évaluation, sans gradient.
    Exemple : si x̂ = x pour tous les échantillons, le résultat est un tableau de N zéros.
    """
    raise NotImplementedError("À compléter : reconstruction_error")


def fit_threshold(errors, quantile=0.99):
    """Le seuil de détection appris sur des erreurs de données **normales** : leur quantile d'ordre
    `quantile` (99 % des données normales ont une erreur inférieure ou égale au seuil). Renvoie un
    nombre Python. Exemple : fit_threshold(np.arange(101.0), 0.99) → 99.0
    """
    raise NotImplementedError("À compléter : fit_threshold")


def detect_anomalies(model, X, threshold):
    """Un échantillon est anormal quand son erreur de reconstruction dépasse strictement le seuil.
    X : tenseur (N, d) → tableau numpy de booléens (N,)."""
    raise NotImplementedError("À compléter : detect_anomalies")
