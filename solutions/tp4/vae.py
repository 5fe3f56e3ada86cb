"""Auto-encodeur variationnel (VAE) : l'encodeur ne donne plus un point z mais une loi normale
N(μ, σ²) dans l'espace latent ; on y tire z, le décodeur reconstruit x. Comme l'espace latent est
poussé vers N(0, I), décoder des points z tirés au hasard **génère** de nouvelles images.

Conventions (les tests cachés les supposent) :
- données dans [0, 1], tableau (N, input_dim) ; couches cachées ReLU, sortie sigmoïde ;
- l'encodeur donne μ et logvar = log σ² par deux couches linéaires séparées ;
- définissez dans cet ordre `self.encoder` (les couches cachées), `self.mu`, `self.logvar`,
  puis `self.decoder` : les tests chargent des poids dans l'ordre de `model.parameters()` ;
- le bruit ε est **donné** (pas tiré dans `forward`) pour que les résultats soient reproductibles.
"""
import torch
from torch import nn
from torch.nn import functional as F


class VAE(nn.Module):
    """encodeur : input_dim → hidden[0] → … → hidden[-1] (ReLU), puis μ et logvar (linéaires, latent_dim)
    décodeur : latent_dim → hidden[-1] → … → hidden[0] (ReLU) → input_dim (sigmoïde)

    Exemple : VAE(64, 2, (32,)) a 64·32 + 32 + 2·(32·2 + 2) (encodeur) + 2·32 + 32 + 32·64 + 64
    (décodeur) = 4 420 paramètres.
    """

    def __init__(self, input_dim=784, latent_dim=2, hidden=(256,)):
        super().__init__()
        ### BEGIN SOLUTION
        sizes = [input_dim, *hidden]
        encoder, decoder = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            encoder += [nn.Linear(n_in, n_out), nn.ReLU()]
        back = [latent_dim, *hidden[::-1], input_dim]
        for n_in, n_out in zip(back[:-1], back[1:]):
            decoder += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.encoder = nn.Sequential(*encoder)
        self.mu = nn.Linear(hidden[-1], latent_dim)
        self.logvar = nn.Linear(hidden[-1], latent_dim)
        self.decoder = nn.Sequential(*decoder[:-1], nn.Sigmoid())
        ### END SOLUTION

    def encode(self, x):
        """(μ, logvar), deux tenseurs (N, latent_dim)."""
        ### BEGIN SOLUTION
        h = self.encoder(x)
        return self.mu(h), self.logvar(h)
        ### END SOLUTION

    def reparameterize(self, mu, logvar, eps):
        """Astuce de reparamétrisation : z = μ + σ · ε avec σ = exp(½ · logvar), ε ~ N(0, I) donné.

        Le hasard est dans ε seul : le gradient passe par μ et logvar, pas par ε.
        Exemple : μ = 1, logvar = log 4 (σ = 2), ε = 0,5 → z = 2.
        """
        ### BEGIN SOLUTION
        return mu + torch.exp(0.5 * logvar) * eps
        ### END SOLUTION

    def decode(self, z):
        """x̂ = D(z) : (N, latent_dim) → (N, input_dim), valeurs dans [0, 1]."""
        ### BEGIN SOLUTION
        return self.decoder(z)
        ### END SOLUTION

    def forward(self, x, eps):
        """(x̂, μ, logvar) : encode x, tire z avec `reparameterize` et le ε donné, décode z."""
        ### BEGIN SOLUTION
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar, eps)), mu, logvar
        ### END SOLUTION


def vae_loss(recon, x, mu, logvar):
    """Le coût du VAE, un tenseur scalaire : (reconstruction + KL) sommés sur le lot, divisés par N.

    - reconstruction : l'entropie croisée binaire Σ −[x log x̂ + (1 − x) log(1 − x̂)], **sommée**
      sur les valeurs (pas moyennée : `F.binary_cross_entropy(..., reduction="sum")`) ;
    - KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ (1 + logvar − μ² − exp(logvar)), toujours ≥ 0 (nulle pour
      μ = 0, logvar = 0).
    Formes : recon et x (N, d) ; mu et logvar (N, latent_dim).
    """
    ### BEGIN SOLUTION
    reconstruction = F.binary_cross_entropy(recon, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp())
    return (reconstruction + kl) / len(x)
    ### END SOLUTION


def train_vae(model, X, epochs, lr, batch_size, seed):
    """Entraîne le VAE sur X (tenseur (N, d)) : Adam de pas `lr`, lots de `batch_size` dans un ordre
    tiré au hasard à chaque époque, ε ~ N(0, I) tiré pour chaque lot, coût `vae_loss`.
    Le hasard (ordre des lots, ε) ne dépend que de `seed` : la même graine redonne le même
    entraînement, une autre graine un autre (par exemple un `torch.Generator().manual_seed(seed)`
    pour l'ordre et pour ε). `train_vae` appelle votre `vae_loss` et votre modèle : une erreur de
    ceux-ci n'est comptée que par leurs propres tests.
    Renvoie le coût moyen de chaque époque (liste de `epochs` nombres Python) : la moyenne des
    coûts des lots ou la moyenne par échantillon, au choix (vae_loss est déjà divisé par N).
    """
    ### BEGIN SOLUTION
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        model.train()
        total = 0.0
        for batch in torch.randperm(len(X), generator=generator).split(batch_size):
            x = X[batch]
            eps = torch.randn((len(x), model.mu.out_features), generator=generator)
            recon, mu, logvar = model(x, eps)
            loss = vae_loss(recon, x, mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
        history.append(total / len(X))
    return history
    ### END SOLUTION


def reconstruct(model, X, eps):
    """(x̂, μ, logvar) = model(X, eps) en mode évaluation et sans gradient.
    Avec eps = 0, x̂ est la reconstruction « moyenne » D(μ)."""
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        return model(X, eps)
    ### END SOLUTION


def generate(model, z):
    """Génère des images à partir de points z de l'espace latent (tenseur (M, latent_dim)) :
    les sorties du décodeur (M, input_dim), sans gradient."""
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        return model.decode(z)
    ### END SOLUTION
