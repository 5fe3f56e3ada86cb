"""Réseaux antagonistes génératifs (GAN) : un générateur G part d'un point z tiré au hasard dans un
espace latent et produit une donnée ; un discriminateur D dit avec quelle probabilité une donnée
est réelle. D apprend à distinguer le vrai du généré, G apprend de l'erreur de D à le tromper.

Conventions (les tests cachés les supposent) :
- couches cachées ReLU ; la sortie de G est linéaire, celle de D une sigmoïde (une probabilité) ;
- définissez les couches dans l'ordre du réseau (un `nn.Sequential` `self.net`) : les tests
  chargent des poids dans l'ordre de `model.parameters()`.
"""
import torch
from torch import nn


def mlp(sizes):
    """Couches linéaires n₀ → n₁ → … avec ReLU entre elles (pas après la dernière). Donnée."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return layers[:-1]


class Generator(nn.Module):
    """G : latent_dim → hidden[0] → … → out_dim (ReLU, sortie linéaire).
    Exemple : Generator(4, 1, (16,)) a 4·16 + 16 + 16 + 1 = 97 paramètres ; z (N, 4) → (N, 1)."""

    def __init__(self, latent_dim, out_dim, hidden=(128,)):
        super().__init__()
        raise NotImplementedError("À compléter : Generator.__init__")

    def forward(self, z):
        """Un lot de points latents z (N, latent_dim) → des données générées (N, out_dim)."""
        raise NotImplementedError("À compléter : Generator.forward")


class Discriminator(nn.Module):
    """D : in_dim → hidden[0] → … → 1 (ReLU, sortie sigmoïde) : la probabilité que x soit réel.
    Exemple : Discriminator(1, (16,)) a 16 + 16 + 16 + 1 = 49 paramètres ; x (N, 1) → (N, 1)."""

    def __init__(self, in_dim, hidden=(128,)):
        super().__init__()
        raise NotImplementedError("À compléter : Discriminator.__init__")

    def forward(self, x):
        """Un lot de données x (N, in_dim) → la probabilité que chacune soit réelle (N, 1)."""
        raise NotImplementedError("À compléter : Discriminator.forward")


def discriminator_loss(d_real, d_fake):
    """Entropie croisée binaire de D : les vraies données ont l'étiquette 1, les générées 0.

        L_D = −moyenne(log D(x)) − moyenne(log(1 − D(G(z))))

    d_real, d_fake : probabilités données par D, tenseurs (N, 1). Renvoie un tenseur scalaire.
    Exemple : d_real = d_fake = 0,5 partout → L_D = 2 log 2.
    """
    raise NotImplementedError("À compléter : discriminator_loss")


def generator_loss(d_fake):
    """Coût « non saturant » de G : L_G = −moyenne(log D(G(z))).

    (Minimiser log(1 − D(G(z))) donne des gradients presque nuls au début, quand D rejette
    facilement les données générées ; −log D(G(z)) a le même but et de bons gradients.)
    Exemple : d_fake = 0,5 partout → L_G = log 2.
    """
    raise NotImplementedError("À compléter : generator_loss")


def train_step(G, D, opt_g, opt_d, real, z):
    """Un pas d'entraînement du GAN ; renvoie (L_D, L_G) en nombres Python.

    1. pas de D : fake = G(z) ; L_D = discriminator_loss(D(real), D(fake **détaché**)) — `detach()`
       empêche le gradient de L_D d'atteindre G ; gradients remis à zéro, rétropropagation,
       `opt_d.step()` ;
    2. pas de G : L_G = generator_loss(D(fake)) avec le D **mis à jour** (calculez de nouveau
       D(fake)) ; gradients de G remis à zéro, rétropropagation à travers D, `opt_g.step()`.
    real : (N, d) ; z : (N, latent_dim).
    """
    raise NotImplementedError("À compléter : train_step")


def train_gan(G, D, opt_g, opt_d, real, latent_dim, steps, batch_size, seed):
    """Entraîne le GAN pendant `steps` pas de `train_step` ; renvoie la liste des (L_D, L_G).

    À chaque pas : un lot de `batch_size` données réelles tirées au hasard (avec remise) dans
    `real` (N, d) et z ~ N(0, I) de forme (batch_size, latent_dim). Le hasard ne dépend que de
    `seed` : la même graine redonne le même entraînement, une autre graine un autre (par exemple
    un `torch.Generator().manual_seed(seed)` pour les indices et pour z).
    """
    raise NotImplementedError("À compléter : train_gan")
