"""Tests publics du TP4 : lancez `grader check tp4` (ou `python -m pytest tests/test_tp4.py`) à la
racine de votre dépôt.

Un test par fonction (ou par petit groupe) : nombres et formes des paramètres, sorties avec des
poids donnés, erreurs, seuil et coûts comparés à leur formule, gradients de la reparamétrisation,
un pas de GAN comparé à un pas fait à la main, et vos boucles d'entraînement observées par un
« espion » (un modèle qui note ce qu'il reçoit). Un test qui échoue dit ce qui était attendu et ce
que votre code a donné. Les tests cachés, qui donnent la note, vérifient les mêmes idées sur
d'autres données et entraînent vos modèles sur de vrais chiffres manuscrits : réussir ces tests
ne garantit pas la note maximale.
"""
import copy
import math

import numpy as np
import torch
from aides import charge_poids, en_tableau, montre, nombre_de_parametres, sigmoide, verifie_proche
from torch import nn

from tp4.autoencoder import AutoEncoder, detect_anomalies, fit_threshold, reconstruction_error, train_autoencoder
from tp4.gan import Discriminator, Generator, discriminator_loss, generator_loss, train_gan, train_step
from tp4.vae import VAE, generate, reconstruct, train_vae, vae_loss

torch.set_num_threads(1)  # de tout petits modèles : un seul fil de calcul va plus vite


def formes_denses(tailles):
    """Formes (sortie, entrée) puis (sortie,) des couches nn.Linear n₀ → n₁ → …"""
    return [f for n, m in zip(tailles[:-1], tailles[1:]) for f in ((m, n), (m,))]


def poids_au_hasard(formes, graine, echelle=0.5):
    rng = np.random.default_rng(graine)
    return [rng.normal(scale=echelle, size=f).astype(np.float32) for f in formes]


def dense(poids, x, derniere=None):
    """Couches denses avec ReLU entre elles ; `derniere` : rien (linéaire) ou la sigmoïde."""
    a = np.array(x, dtype=float)
    for i in range(0, len(poids), 2):
        a = a @ np.asarray(poids[i], dtype=float).T + poids[i + 1]
        if i < len(poids) - 2:
            a = np.maximum(a, 0)
    return sigmoide(a) if derniere == "sigmoide" else a


def sans_gradient(modele, *entrees):
    with torch.no_grad():
        return modele(*[torch.as_tensor(e) for e in entrees])


# ------------------------------------------------------------------ autoencoder.py

AE = (20, 3, (12, 6))  # input_dim, latent_dim, hidden
AE_ENCODEUR, AE_DECODEUR = [20, 12, 6, 3], [3, 6, 12, 20]


def test_architecture_de_l_auto_encodeur():
    assert nombre_de_parametres(AutoEncoder(64, 8, (32,))) == 4_744, (
        "AutoEncoder(64, 8, (32,)) : 4 744 paramètres attendus")
    formes = [tuple(p.shape) for p in AutoEncoder(*AE).parameters()]
    attendues = formes_denses(AE_ENCODEUR) + formes_denses(AE_DECODEUR)
    assert formes == attendues, (f"AutoEncoder{AE} : paramètres attendus {attendues} (encodeur 20 → 12 → 6 → 3, puis "
                                 f"décodeur en miroir), obtenus {formes}")


def auto_encodeur_donne(graine=6060):
    poids = poids_au_hasard(formes_denses(AE_ENCODEUR) + formes_denses(AE_DECODEUR), graine)
    return charge_poids(AutoEncoder(*AE), poids), poids[:6], poids[6:]


def test_auto_encodeur_avec_des_poids_donnes():
    modele, encodeur, decodeur = auto_encodeur_donne()
    x = np.random.default_rng(6061).uniform(size=(4, 20)).astype(np.float32)
    z = dense(encodeur, x)
    with torch.no_grad():
        verifie_proche(modele.encode(torch.from_numpy(x)), z, "encode(x) avec des poids donnés",
                       "ReLU sur les couches cachées, couche latente LINÉAIRE", rtol=1e-4, atol=1e-5)
        verifie_proche(modele.decode(torch.from_numpy(z.astype(np.float32))), dense(decodeur, z, "sigmoide"),
                       "decode(z) avec des poids donnés", "ReLU sur les couches cachées, sortie sigmoïde", rtol=1e-4, atol=1e-5)
    verifie_proche(sans_gradient(modele, x), dense(decodeur, z, "sigmoide"), "forward(x) avec des poids donnés",
                   "x̂ = decode(encode(x))", rtol=1e-4, atol=1e-5)


def test_erreur_de_reconstruction():
    modele, encodeur, decodeur = auto_encodeur_donne()
    x = np.random.default_rng(6062).uniform(size=(7, 20)).astype(np.float32)
    erreurs = reconstruction_error(modele, torch.from_numpy(x))
    assert isinstance(erreurs, np.ndarray), (
        f"reconstruction_error : un tableau numpy attendu, obtenu {type(erreurs).__name__}")
    attendu = ((dense(decodeur, dense(encodeur, x), "sigmoide") - x) ** 2).mean(axis=1)
    verifie_proche(erreurs, attendu, "reconstruction_error sur 7 échantillons", "pour chaque échantillon, la moyenne "
                   "des (x̂ − x)² sur ses valeurs", rtol=1e-4, atol=1e-7)


def test_seuil_de_detection():
    assert math.isclose(fit_threshold(np.arange(101.0), 0.99), 99.0), (
        "fit_threshold(np.arange(101.0), 0.99) : attendu 99.0")
    erreurs = np.random.default_rng(6063).gamma(2.0, 0.01, size=250)
    for q in (0.95, 0.8):
        obtenu = fit_threshold(erreurs, q)
        bas, haut = np.quantile(erreurs, q, method="lower"), np.quantile(erreurs, q, method="higher")
        assert bas - 1e-12 <= obtenu <= haut + 1e-12, (
            f"fit_threshold(erreurs, {q}) : le quantile d'ordre {q} des erreurs, entre {bas:.5f} et {haut:.5f}, est "
            f"attendu, obtenu {montre(obtenu)} (la moyenne des erreurs vaut {erreurs.mean():.5f})")
    obtenu = fit_threshold(erreurs)
    assert np.quantile(erreurs, 0.99, method="lower") <= obtenu <= np.quantile(erreurs, 0.99, method="higher"), (
        f"fit_threshold(erreurs) : par défaut, le quantile d'ordre 0,99 est attendu, obtenu {montre(obtenu)}")


def test_detection_d_anomalies():
    modele, _, _ = auto_encodeur_donne()
    X = torch.from_numpy(np.random.default_rng(6064).uniform(size=(9, 20)).astype(np.float32))
    erreurs = reconstruction_error(modele, X)
    seuil = float(np.sort(erreurs)[4])  # exactement l'erreur du 5e échantillon : lui n'est PAS anormal
    obtenu = np.asarray(detect_anomalies(modele, X, seuil))
    attendu = erreurs > seuil
    assert obtenu.shape == (9,) and np.array_equal(obtenu.astype(bool), attendu), (
        f"detect_anomalies : attendu {montre(attendu)} (erreur > seuil, au sens strict), obtenu {montre(obtenu)}")


class Espion(nn.Module):
    """Un « modèle » qui note chaque lot reçu et renvoie une constante apprise c (départ : 0)."""

    def __init__(self, d):
        super().__init__()
        self.c = nn.Parameter(torch.zeros(d))
        self.lots = []

    def forward(self, x):
        self.lots.append(x.detach().clone())
        return torch.zeros_like(x) + self.c


def donnees_a_suivre(n=12, d=40):
    """La ligne i vaut i / n partout (plus un petit motif) : on reconnaît chaque échantillon, même bruité."""
    motif = np.random.default_rng(6065).uniform(-0.02, 0.02, size=d)
    return torch.from_numpy((np.arange(n)[:, None] / n + motif).astype(np.float32))


def test_entrainement_de_l_auto_encodeur_observe_par_un_espion():
    X = donnees_a_suivre()
    espion = Espion(40)
    historique = train_autoencoder(espion, X, epochs=2, lr=0.0, batch_size=4, seed=1, noise_std=0.0)
    cout = float((X ** 2).mean())  # avec un pas nul, c reste 0 : le coût de chaque lot est la moyenne de x²
    verifie_proche(historique, [cout, cout], "historique avec lr = 0 et une sortie nulle",
                   "une valeur par époque : l'erreur quadratique moyenne entre x̂ et x, moyenne sur l'époque (moyenne "
                   "des coûts des lots ou par échantillon : ici, 3 lots de 4, les deux se valent ; pas leur somme)",
                   rtol=1e-4)
    assert [len(lot) for lot in espion.lots] == [4] * 6, (
        f"12 échantillons, lots de 4, 2 époques : 6 lots de 4 attendus, obtenu {[len(lot) for lot in espion.lots]}")
    numeros = [int(round(float(lot[i].mean()) * 12)) for lot in espion.lots for i in range(len(lot))]
    assert sorted(numeros[:12]) == list(range(12)) and numeros[:12] != list(range(12)), (
        f"chaque époque doit voir chaque échantillon une fois, dans un ordre tiré au hasard : ordre obtenu {numeros[:12]}")
    for graine, pareil in ((1, True), (2, False)):  # l'ordre ne dépend que de seed, pas du générateur global
        autre = Espion(40)
        torch.manual_seed(1234)
        train_autoencoder(autre, X, epochs=2, lr=0.0, batch_size=4, seed=graine, noise_std=0.0)
        ordre = [int(round(float(lot[i].mean()) * 12)) for lot in autre.lots for i in range(len(lot))]
        assert (ordre == numeros) == pareil, (
            f"train_autoencoder avec seed={graine} après seed=1 : " + (
                "le même ordre attendu, obtenu un autre (tirez l'ordre à partir de seed seulement, pas du générateur "
                "global de torch)" if pareil
                else "un autre ordre attendu, obtenu le même (l'ordre doit dépendre de seed)"))
    espion = Espion(40)
    historique = train_autoencoder(espion, X, epochs=2, lr=0.0, batch_size=4, seed=1, noise_std=0.5)
    verifie_proche(historique, [cout, cout], "historique avec du bruit (noise_std = 0.5), lr = 0 et une sortie nulle",
                   "la CIBLE reste x propre : seule l'entrée du réseau est bruitée", rtol=1e-4)
    bruit = torch.cat([lot - X[(lot.mean(dim=1) * 12).round().long().clamp(0, 11)] for lot in espion.lots])
    assert abs(float(bruit.std()) - 0.5) < 0.05 and abs(float(bruit.mean())) < 0.05, (
        f"entrée bruitée : x + un bruit gaussien de moyenne 0 et d'écart-type noise_std = 0.5 attendu, obtenu moyenne "
        f"{float(bruit.mean()):.3f} et écart-type {float(bruit.std()):.3f}")
    assert not torch.allclose(espion.lots[0], espion.lots[3]), (
        "un nouveau bruit attendu à chaque lot, obtenu le même bruit")
    espion = Espion(40)
    train_autoencoder(espion, X, epochs=1, lr=0.01, batch_size=4, seed=1)
    # Adam : chaque pas déplace c d'environ lr dans le sens qui réduit le coût, ici 3 pas vers le haut.
    verifie_proche(espion.c.detach(), np.full(40, 0.03), "c après une époque (3 lots, pas 0.01)",
                   "l'optimiseur est Adam de pas lr, un pas par lot (gradients remis à zéro)", rtol=0.05, atol=1e-3)


def test_l_auto_encodeur_apprend():
    rng = np.random.default_rng(6066)
    facteurs = rng.normal(size=(200, 3))
    X = torch.from_numpy(sigmoide(facteurs @ rng.normal(size=(3, 16))).astype(np.float32))
    torch.manual_seed(0)
    modele = AutoEncoder(16, 3, (12,))
    historique = train_autoencoder(modele, X, epochs=20, lr=1e-2, batch_size=20, seed=0)
    erreur = float(reconstruction_error(modele, X).mean())
    reference = float(((X - X.mean(dim=0)) ** 2).mean())
    assert len(historique) == 20 and historique[-1] < historique[0] and erreur < 0.3 * reference, (
        f"données de dimension 3 plongées en dimension 16, AutoEncoder(16, 3, (12,)), 20 époques : l'erreur de "
        f"reconstruction doit passer sous 30 % de celle de la moyenne ({reference:.4f}), obtenu {erreur:.4f}")


# ------------------------------------------------------------------ vae.py

VAE_ARGS = (20, 3, (12, 6))


def formes_du_vae():
    return formes_denses([20, 12, 6]) + formes_denses([6, 3]) * 2 + formes_denses([3, 6, 12, 20])


def test_architecture_du_vae():
    assert nombre_de_parametres(VAE(64, 2, (32,))) == 4_420, "VAE(64, 2, (32,)) : 4 420 paramètres attendus"
    formes = [tuple(p.shape) for p in VAE(*VAE_ARGS).parameters()]
    assert formes == formes_du_vae(), (f"VAE{VAE_ARGS} : paramètres attendus {formes_du_vae()} (couches cachées de "
                                       f"l'encodeur, puis μ, puis logvar, puis le décodeur en miroir), obtenus {formes}")


def vae_donne():
    poids = poids_au_hasard(formes_du_vae(), 7070, echelle=0.4)
    return charge_poids(VAE(*VAE_ARGS), poids), poids


def test_vae_avec_des_poids_donnes():
    modele, poids = vae_donne()
    rng = np.random.default_rng(7071)
    x, eps = rng.uniform(size=(5, 20)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)
    h = np.maximum(dense(poids[:4], x), 0)
    mu, logvar = dense(poids[4:6], h), dense(poids[6:8], h)
    with torch.no_grad():
        obtenu_mu, obtenu_logvar = modele.encode(torch.from_numpy(x))
    verifie_proche(obtenu_mu, mu, "μ de encode(x)", "couches cachées ReLU, puis une couche linéaire pour μ",
                   rtol=1e-4, atol=1e-5)
    verifie_proche(obtenu_logvar, logvar, "logvar de encode(x)", "une seconde couche linéaire, après celle de μ",
                   rtol=1e-4, atol=1e-5)
    z = mu + np.exp(0.5 * logvar) * eps
    reconstruction, _, _ = sans_gradient(modele, x, eps)
    verifie_proche(reconstruction, dense(poids[8:], z, "sigmoide"), "x̂ de forward(x, ε)", "z = μ + exp(½ · logvar) · ε, "
                   "puis le décodeur (ReLU, sortie sigmoïde)", rtol=1e-4, atol=1e-5)


def test_reparametrisation_et_ses_gradients():
    modele = VAE(*VAE_ARGS)
    z = modele.reparameterize(torch.tensor([1.0]), torch.log(torch.tensor([4.0])), torch.tensor([0.5]))
    verifie_proche(z, [2.0], "reparameterize(μ = 1, logvar = log 4, ε = 0.5)", "σ = exp(½ · logvar) = 2, z = μ + σ · ε")
    rng = np.random.default_rng(7072)
    mu = torch.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    logvar = torch.tensor(rng.normal(scale=0.6, size=(4, 3)), requires_grad=True)
    eps = torch.tensor(rng.normal(size=(4, 3)))
    z = modele.reparameterize(mu, logvar, eps)
    attendu = mu.detach() + torch.exp(0.5 * logvar.detach()) * eps
    verifie_proche(z, attendu, "reparameterize sur des valeurs au hasard", "z = μ + exp(½ · logvar) · ε")
    assert z.requires_grad, (
        "z relié à μ et logvar par le graphe des gradients attendu, obtenu un z détaché : ne détachez rien")
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None, "des gradients attendus pour μ et logvar, obtenu aucun"
    verifie_proche(mu.grad, torch.ones(4, 3), "∂z/∂μ", "vaut 1")
    verifie_proche(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * eps, "∂z/∂logvar",
                   "vaut ½ · exp(½ · logvar) · ε")


def test_cout_du_vae():
    rng = np.random.default_rng(7073)
    recon = rng.uniform(0.1, 0.9, size=(4, 6))
    x = rng.uniform(size=(4, 6))
    mu, logvar = rng.normal(size=(4, 2)), rng.normal(scale=0.5, size=(4, 2))
    bce = float(-(x * np.log(recon) + (1 - x) * np.log(1 - recon)).sum() / 4)
    kl = float(-0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum() / 4)
    t = [torch.tensor(v) for v in (recon, x, mu, logvar)]
    zero = torch.zeros(4, 2, dtype=torch.float64)
    verifie_proche(vae_loss(t[0], t[1], zero, zero), bce, "vae_loss avec μ = 0 et logvar = 0 (KL nulle)",
                   "l'entropie croisée binaire SOMMÉE sur les valeurs, divisée par la taille du lot", rtol=1e-5)
    verifie_proche(vae_loss(*t), bce + kl, "vae_loss", f"(BCE + KL) / N, avec KL = −½ Σ (1 + logvar − μ² − exp(logvar)) "
                   f"= {kl:.4f} par échantillon ici (positive)", rtol=1e-5)


def test_generer_et_reconstruire():
    modele, poids = vae_donne()
    z = np.random.default_rng(7074).normal(size=(6, 3)).astype(np.float32)
    images = generate(modele, torch.from_numpy(z))
    verifie_proche(images, dense(poids[8:], z, "sigmoide"), "generate(model, z)", "le décodage des points z",
                   rtol=1e-4, atol=1e-5)
    assert not images.requires_grad, (
        "generate : des images sans gradient attendues (torch.no_grad()), obtenu requires_grad=True")
    x = torch.rand(3, 20, generator=torch.Generator().manual_seed(7075))
    reconstruction, mu, _ = reconstruct(modele, x, torch.zeros(3, 3))
    with torch.no_grad():
        attendu = modele.decode(modele.encode(x)[0])
    verifie_proche(reconstruction, attendu, "reconstruct(model, x, ε = 0)", "avec ε = 0, x̂ = D(μ)", rtol=1e-4, atol=1e-6)
    assert not reconstruction.requires_grad, (
        "reconstruct : x̂ sans gradient attendu (torch.no_grad()), obtenu requires_grad=True")


def test_entrainement_du_vae():
    X = torch.from_numpy(np.random.default_rng(7076).uniform(size=(64, 20)).round().astype(np.float32))
    modele, _ = vae_donne()
    figee = copy.deepcopy(modele)
    historique = train_vae(modele, X, epochs=2, lr=0.0, batch_size=16, seed=0)
    generateur = torch.Generator().manual_seed(1)
    couts = []
    with torch.no_grad():  # avec un pas nul, le modèle ne bouge pas : son coût moyen se calcule, au tirage de ε près
        for eps in torch.randn(20, 64, 3, generator=generateur):
            reconstruction, mu, logvar = figee(X, eps)
            couts.append(float(vae_loss(reconstruction, X, mu, logvar)))
    attendu = float(np.mean(couts))
    verifie_proche(historique, [attendu, attendu], "historique de train_vae avec lr = 0", "le coût moyen de chaque "
                   "époque : moyenne des coûts des lots ou par échantillon (vae_loss est déjà divisé par la taille du "
                   "lot : pas de nouvelle division, pas de somme ; train_vae s'appuie sur vae_loss, vérifiez d'abord "
                   "test_cout_du_vae)", rtol=0.05)
    essais = []
    for graine, globale in ((0, 1), (0, 2), (1, 1)):  # l'ordre et ε ne dépendent que de seed, pas du générateur global
        modele, _ = vae_donne()
        torch.manual_seed(globale)
        essais.append(train_vae(modele, X, epochs=1, lr=0.01, batch_size=16, seed=graine))
    assert np.allclose(essais[0], essais[1]) and not np.allclose(essais[0], essais[2]), (
        f"train_vae : la même graine doit redonner le même entraînement (quel que soit le générateur global de torch) et "
        f"une autre graine un autre ; historiques obtenus avec seed = 0, 0, 1 : {montre(essais)}")
    torch.manual_seed(0)
    modele = VAE(20, 2, (12,))
    historique = train_vae(modele, X, epochs=15, lr=1e-2, batch_size=16, seed=0)
    assert len(historique) == 15 and historique[-1] < historique[0] and min(historique) >= 0, (
        f"train_vae (15 époques, pas 0.01) : 15 coûts positifs et décroissants attendus, obtenu {montre(historique)}")


# ------------------------------------------------------------------ gan.py

def test_architectures_du_gan():
    assert nombre_de_parametres(Generator(4, 1, (16,))) == 97, "Generator(4, 1, (16,)) : 97 paramètres attendus"
    assert nombre_de_parametres(Discriminator(1, (16,))) == 49, "Discriminator(1, (16,)) : 49 paramètres attendus"
    for modele, tailles in ((Generator(3, 2, (8, 5)), [3, 8, 5, 2]), (Discriminator(2, (8, 5)), [2, 8, 5, 1])):
        formes = [tuple(p.shape) for p in modele.parameters()]
        assert formes == formes_denses(tailles), (f"{type(modele).__name__} {' → '.join(map(str, tailles))} : paramètres "
                                                  f"attendus {formes_denses(tailles)}, obtenus {formes}")


def test_gan_avec_des_poids_donnes():
    rng = np.random.default_rng(8080)
    for usine, tailles, derniere in ((lambda: Generator(3, 2, (8, 5)), [3, 8, 5, 2], None),
                                     (lambda: Discriminator(2, (8, 5)), [2, 8, 5, 1], "sigmoide")):
        poids = poids_au_hasard(formes_denses(tailles), int(rng.integers(1000)))
        x = rng.normal(size=(6, tailles[0])).astype(np.float32)
        modele = charge_poids(usine(), poids)
        verifie_proche(sans_gradient(modele, x), dense(poids, x, derniere), f"sortie de {type(modele).__name__} avec des "
                       "poids donnés", "ReLU entre les couches ; sortie " + ("sigmoïde" if derniere else "linéaire"),
                       rtol=1e-4, atol=1e-5)


def test_couts_du_gan():
    moitie = torch.full((5, 1), 0.5)
    verifie_proche(discriminator_loss(moitie, moitie), 2 * math.log(2), "discriminator_loss(0.5, 0.5)", "2 log 2", rtol=1e-5)
    verifie_proche(generator_loss(moitie), math.log(2), "generator_loss(0.5)", "log 2", rtol=1e-5)
    rng = np.random.default_rng(8081)
    vrais, faux = rng.uniform(0.1, 0.9, size=(7, 1)), rng.uniform(0.1, 0.9, size=(7, 1))
    verifie_proche(discriminator_loss(torch.tensor(vrais), torch.tensor(faux)),
                   -np.log(vrais).mean() - np.log(1 - faux).mean(), "discriminator_loss(d_real, d_fake)",
                   "−moyenne(log D(x)) − moyenne(log(1 − D(G(z)))) : étiquette 1 pour les vraies données, 0 pour les "
                   "générées", rtol=1e-5)
    verifie_proche(generator_loss(torch.tensor(faux)), -np.log(faux).mean(), "generator_loss(d_fake)",
                   "le coût non saturant −moyenne(log D(G(z))), pas moyenne(log(1 − D(G(z))))", rtol=1e-5)


def pas_fait_a_la_main(G, D, vrais, z, lr):
    """D apprend sur des données générées DÉTACHÉES, puis G apprend à travers le D mis à jour (SGD)."""
    generees = G(z)
    perte_d = -torch.log(D(vrais)).mean() - torch.log(1 - D(generees.detach())).mean()
    with torch.no_grad():
        for p, g in zip(D.parameters(), torch.autograd.grad(perte_d, list(D.parameters()))):
            p -= lr * g
    perte_g = -torch.log(D(generees)).mean()
    with torch.no_grad():
        for p, g in zip(G.parameters(), torch.autograd.grad(perte_g, list(G.parameters()))):
            p -= lr * g
    return perte_d.item(), perte_g.item()


def test_deux_pas_de_gan_comme_a_la_main():
    torch.manual_seed(8082)
    G, D = Generator(2, 1, (6,)), Discriminator(1, (6,))
    G_ref, D_ref = copy.deepcopy(G), copy.deepcopy(D)
    opt_g, opt_d = torch.optim.SGD(G.parameters(), lr=0.3), torch.optim.SGD(D.parameters(), lr=0.3)
    for pas in (1, 2):  # au second pas, des gradients laissés par le premier fausseraient tout
        vrais, z = torch.randn(10, 1) * 0.5 + 2, torch.randn(10, 2)
        attendues = pas_fait_a_la_main(G_ref, D_ref, vrais, z, 0.3)
        pertes = train_step(G, D, opt_g, opt_d, vrais, z)
        assert len(pertes) == 2 and all(isinstance(p, float) for p in pertes), (
            f"train_step doit renvoyer (L_D, L_G), deux nombres Python, obtenu {pertes!r}")
        verifie_proche(pertes, attendues, f"(L_D, L_G) renvoyés par train_step au pas {pas}",
                       "L_G se calcule avec le D déjà mis à jour", rtol=1e-4)
        for nom, modele, reference in (("D", D, D_ref), ("G", G, G_ref)):
            for i, (obtenu, voulu) in enumerate(zip(modele.parameters(), reference.parameters())):
                verifie_proche(obtenu, voulu, f"paramètre {i} de {nom} après le pas {pas}", "pas de D sur fake.detach() "
                               "(le gradient de L_D ne doit pas atteindre G), puis pas de G sur −log D(G(z)) ; gradients "
                               "de D et de G remis à zéro avant chaque rétropropagation", rtol=1e-4, atol=1e-6)


class EspionDuGan(nn.Module):
    """Enveloppe un réseau et note ce qu'il reçoit."""

    def __init__(self, reseau):
        super().__init__()
        self.reseau, self.entrees = reseau, []

    def forward(self, x):
        self.entrees.append(x.detach().clone())
        return self.reseau(x)


def test_entrainement_du_gan_observe_par_des_espions():
    torch.manual_seed(8083)
    G, D = EspionDuGan(Generator(3, 1, (8,))), EspionDuGan(Discriminator(1, (8,)))
    vrais = 100.0 + torch.arange(30.0)[:, None]  # des valeurs que G ne peut pas produire : on les reconnaît
    avant = [p.detach().clone() for p in G.parameters()]
    historique = train_gan(G, D, torch.optim.SGD(G.parameters(), lr=1e-3), torch.optim.SGD(D.parameters(), lr=1e-3),
                           vrais, 3, 25, 8, 0)
    assert len(historique) == 25 and all(len(pas) == 2 for pas in historique), (
        f"train_gan(…, steps=25, …) : 25 couples (L_D, L_G) attendus, obtenu {len(historique)} éléments")
    points = torch.cat(G.entrees)
    assert all(tuple(e.shape) == (8, 3) for e in G.entrees), (
        f"G doit recevoir des lots z de forme (batch_size, latent_dim) = (8, 3), formes obtenues "
        f"{sorted({tuple(e.shape) for e in G.entrees})}")
    assert abs(float(points.mean())) < 0.2 and abs(float(points.std()) - 1) < 0.15, (
        f"z ~ N(0, I) : moyenne 0 et écart-type 1 attendus, obtenu {float(points.mean()):.2f} et {float(points.std()):.2f}")
    vus = torch.cat([e for e in D.entrees if float(e.min()) > 50])
    assert len(vus) == 25 * 8 and bool(torch.isin(vus, vrais).all()), (
        f"à chaque pas, D doit voir un lot de batch_size = 8 données tirées dans `real` : {len(vus)} données réelles vues "
        f"en 25 pas")
    assert 20 <= len(torch.unique(vus)) < len(vus), (
        f"chaque lot de données réelles est tiré au hasard, avec remise, parmi les 30 de `real` : {len(torch.unique(vus))} "
        f"données différentes vues en {len(vus)} tirages")
    assert any(not torch.equal(a, p) for a, p in zip(avant, G.parameters())), (
        "train_gan : G doit changer, obtenu G inchangé")
    vus_par_graine = []
    for graine, globale in ((0, 1), (0, 2), (1, 1)):  # les lots et z ne dépendent que de seed, pas du générateur global
        torch.manual_seed(8084)
        G, D = EspionDuGan(Generator(3, 1, (8,))), EspionDuGan(Discriminator(1, (8,)))
        torch.manual_seed(globale)
        train_gan(G, D, torch.optim.SGD(G.parameters(), lr=1e-3), torch.optim.SGD(D.parameters(), lr=1e-3), vrais, 3, 5,
                  8, graine)
        vus_par_graine.append((torch.cat(G.entrees), torch.cat([e for e in D.entrees if float(e.min()) > 50])))
    for quoi, i in (("z", 0), ("lots de données réelles", 1)):
        assert torch.equal(vus_par_graine[0][i], vus_par_graine[1][i]) and not torch.equal(vus_par_graine[0][i],
                                                                                          vus_par_graine[2][i]), (
            f"train_gan : la même graine doit redonner les mêmes {quoi} (quel que soit le générateur global de torch), "
            "une autre graine d'autres")
