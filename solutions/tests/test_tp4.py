"""Tests publics du TP4 : lancez `python -m pytest tests/` à la racine de votre dépôt.

Ils vérifient les exemples des énoncés, les formes et les intervalles de valeurs. Les tests de
notation, cachés, vont plus loin (sorties avec des poids donnés, formules exactes des coûts, un pas
de GAN comparé à un pas de référence, entraînement sur de vrais chiffres manuscrits…) : réussir
ceux-ci ne garantit pas la note maximale.
"""
import math

import numpy as np
import torch


def test_formes_de_l_auto_encodeur():
    from tp4.autoencoder import AutoEncoder

    modele = AutoEncoder(64, 8, (32,))
    assert sum(p.numel() for p in modele.parameters()) == 4_744
    x = torch.rand(5, 64)
    assert modele.encode(x).shape == (5, 8)
    sortie = modele(x)
    assert sortie.shape == (5, 64) and bool(((sortie >= 0) & (sortie <= 1)).all())


def test_entrainement_et_erreur_de_reconstruction():
    from tp4.autoencoder import AutoEncoder, detect_anomalies, reconstruction_error, train_autoencoder

    torch.manual_seed(0)
    X = torch.rand(64, 16)
    modele = AutoEncoder(16, 4, (8,))
    historique = train_autoencoder(modele, X, epochs=5, lr=1e-2, batch_size=16, seed=0, noise_std=0.1)
    assert len(historique) == 5 and historique[-1] < historique[0]
    erreurs = reconstruction_error(modele, X)
    assert erreurs.shape == (64,) and np.all(erreurs >= 0)
    assert detect_anomalies(modele, X, float(np.median(erreurs))).sum() == 32


def test_seuil_exemple():
    from tp4.autoencoder import fit_threshold

    assert math.isclose(fit_threshold(np.arange(101.0), 0.99), 99.0)
    assert math.isclose(fit_threshold(np.array([1.0, 1.0, 1.0, 100.0]), 0.5), 1.0)


def test_reparametrisation_exemple():
    from tp4.vae import VAE

    modele = VAE(64, 2, (32,))
    assert sum(p.numel() for p in modele.parameters()) == 4_420
    z = modele.reparameterize(torch.tensor([1.0]), torch.log(torch.tensor([4.0])), torch.tensor([0.5]))
    assert torch.allclose(z, torch.tensor([2.0]))


def test_vae_formes_et_cout():
    from tp4.vae import VAE, generate, vae_loss

    modele = VAE(64, 2, (32,))
    x = torch.rand(5, 64)
    reconstruction, mu, logvar = modele(x, torch.zeros(5, 2))
    assert reconstruction.shape == (5, 64) and mu.shape == logvar.shape == (5, 2)
    # Avec μ = 0 et logvar = 0, la KL est nulle : il reste l'entropie croisée binaire, ici d · log 2.
    cout = vae_loss(torch.full((3, 4), 0.5), torch.ones(3, 4), torch.zeros(3, 2), torch.zeros(3, 2))
    assert math.isclose(float(cout), 4 * math.log(2), rel_tol=1e-6)
    assert float(vae_loss(torch.full((3, 4), 0.5), torch.ones(3, 4), torch.ones(3, 2), torch.zeros(3, 2))) > float(cout)
    assert generate(modele, torch.zeros(7, 2)).shape == (7, 64)


def test_gan_exemples():
    from tp4.gan import Discriminator, Generator, discriminator_loss, generator_loss

    assert sum(p.numel() for p in Generator(4, 1, (16,)).parameters()) == 97
    assert sum(p.numel() for p in Discriminator(1, (16,)).parameters()) == 49
    probabilites = Discriminator(1, (16,))(torch.randn(10, 1))
    assert probabilites.shape == (10, 1) and bool(((probabilites > 0) & (probabilites < 1)).all())
    moitie = torch.full((8, 1), 0.5)
    assert math.isclose(float(discriminator_loss(moitie, moitie)), 2 * math.log(2), rel_tol=1e-6)
    assert math.isclose(float(generator_loss(moitie)), math.log(2), rel_tol=1e-6)


def test_un_pas_de_gan_change_les_deux_reseaux():
    from tp4.gan import Discriminator, Generator, train_step

    torch.manual_seed(0)
    G, D = Generator(4, 1, (16,)), Discriminator(1, (16,))
    avant_g, avant_d = [p.detach().clone() for p in G.parameters()], [p.detach().clone() for p in D.parameters()]
    pertes = train_step(G, D, torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1),
                        torch.randn(16, 1) + 3, torch.randn(16, 4))
    assert len(pertes) == 2 and all(isinstance(p, float) for p in pertes)
    assert any(not torch.equal(a, p) for a, p in zip(avant_g, G.parameters()))
    assert any(not torch.equal(a, p) for a, p in zip(avant_d, D.parameters()))
