"""Tests publics du TP3 : lancez `grader check tp3` (ou `python -m pytest tests/test_tp3.py`) à la
racine de votre dépôt.

Un test par fonction (ou par petit groupe) : les exemples du cours, la convolution et le pooling
comparés à ceux de PyTorch sur des tailles, des strides et des paddings variés, la
rétropropagation comparée à des différences finies, les tailles et les nombres de paramètres
comparés à ceux de PyTorch, les CNN avec des poids donnés, et votre boucle d'entraînement comparée
à une boucle faite à la main. Un test qui échoue dit ce qui était attendu et ce que votre code a
donné. Les tests cachés, qui donnent la note, vérifient les mêmes idées sur d'autres données et
entraînent votre `DigitCNN` sur de vrais chiffres : réussir ces tests ne garantit pas la note
maximale.
"""
import numpy as np
import torch
from aides import charge_poids, en_tableau, gradient_numerique, montre, nombre_de_parametres, verifie_proche
from torch import nn
from torch.nn import functional as F

from tp3 import conv, models

torch.set_num_threads(1)  # de tout petits modèles : un seul fil de calcul va plus vite

# L'exemple du cours : une image 5×5 et un noyau 3×3 en croix de Saint-André.
X = np.array([[4, 0, 4, 3, 0], [1, 2, 7, 5, 2], [4, 8, 1, 6, 5], [1, 5, 0, 7, 8], [8, 2, 6, 3, 1]], dtype=float)
K = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)
# (hauteur, largeur, kh, kw, stride, padding) : images et noyaux pas forcément carrés, strides qui ne tombent pas juste.
REGLAGES = [(5, 7, 3, 2, 1, 0), (8, 6, 2, 2, 2, 1), (9, 9, 4, 3, 3, 2), (6, 10, 1, 3, 1, 1), (7, 7, 5, 5, 2, 2)]


def correlation_torch(x, k, stride=1, padding=0):
    return F.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(k)[None, None], stride=stride,
                    padding=padding)[0, 0].numpy()


def test_convolution_exemples_du_cours():
    verifie_proche(conv.conv2d(X, K), [[15, 24, 15], [17, 20, 23], [24, 19, 20]], "conv2d(x, k) de l'exemple du cours",
                   "chaque pixel : somme des produits terme à terme du noyau et de la fenêtre 3×3")
    verifie_proche(conv.conv2d(X, K, stride=2), [[15, 15], [24, 20]], "conv2d(x, k, stride=2) de l'exemple du cours",
                   "le noyau avance de 2 cases")
    verifie_proche(conv.conv2d(X, K, padding=1), correlation_torch(X, K, padding=1), "conv2d(x, k, padding=1) de "
                   "l'exemple du cours", "une ligne et une colonne de zéros de CHAQUE côté : sortie 5×5")


def test_le_noyau_n_est_pas_retourne():
    coin = np.zeros((3, 3))
    coin[0, 0] = 1  # ne garde que la case en haut à gauche de chaque fenêtre
    verifie_proche(conv.conv2d(X, coin), X[:3, :3], "conv2d(x, noyau qui ne garde que son coin en haut à gauche)",
                   "corrélation croisée : le noyau est appliqué tel quel, sans être retourné")


def test_convolution_comme_torch():
    rng = np.random.default_rng(4242)
    for h, w, kh, kw, stride, padding in REGLAGES:
        x, k = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
        verifie_proche(conv.conv2d(x, k, stride=stride, padding=padding), correlation_torch(x, k, stride, padding),
                       f"conv2d (image {h}×{w}, noyau {kh}×{kw}, stride {stride}, padding {padding})",
                       "comme torch.nn.functional.conv2d : noyau non retourné, padding de chaque côté")


def test_convolution_multi_canaux():
    x = np.stack([X, 2 * X])  # 2 canaux
    w = np.stack([np.stack([K, K]), np.stack([K, np.zeros((3, 3))])])  # 2 filtres
    sortie = en_tableau(conv.conv2d_multi(x, w, np.array([0.0, 1.0])), "conv2d_multi sur l'exemple du cours", (2, 3, 3))
    verifie_proche(sortie[0], 3 * conv.conv2d(X, K), "plan 0 (noyau K sur les deux canaux)", "Σ_c conv2d(x[c], w[f, c])")
    verifie_proche(sortie[1], conv.conv2d(X, K) + 1, "plan 1 (noyau K sur le canal 0, biais 1)", "+ b[f]")
    rng = np.random.default_rng(4343)
    for (h, wd, kh, kw, stride, padding), c, f in zip(REGLAGES, (2, 3, 1, 4, 3), (3, 1, 2, 2, 5)):
        x, w, b = rng.normal(size=(c, h, wd)), rng.normal(size=(f, c, kh, kw)), rng.normal(size=f)
        lot = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), torch.from_numpy(b), stride=stride, padding=padding)
        attendu = lot[0].numpy()
        verifie_proche(conv.conv2d_multi(x, w, b, stride=stride, padding=padding), attendu,
                       f"conv2d_multi ({c} canaux, {f} filtres, noyau {kh}×{kw}, stride {stride}, padding {padding})",
                       "comme torch.nn.functional.conv2d : chaque plan somme tous les canaux, plus son biais")


def test_retropropagation_de_la_convolution():
    dx, dk = conv.conv2d_backward(np.ones((2, 2)), X, K, stride=2)
    assert np.shape(dx) == X.shape and np.shape(dk) == K.shape, (
        f"conv2d_backward : dx de forme {X.shape} et dk de forme {K.shape} attendus, obtenus {np.shape(dx)} et {np.shape(dk)}")
    verifie_proche(dk[0, 0], X[0, 0] + X[0, 2] + X[2, 0] + X[2, 2], "dk[0, 0] sur l'exemple du cours (stride 2, dout = 1)",
                   "dk[a, b] somme les pixels que la case (a, b) du noyau a vus")
    rng = np.random.default_rng(4444)
    for h, w, kh, kw, stride, padding in REGLAGES[:4]:
        x, k = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
        dout = rng.normal(size=correlation_torch(x, k, stride, padding).shape)
        dx, dk = conv.conv2d_backward(dout, x, k, stride=stride, padding=padding)
        reglage = f"(image {h}×{w}, noyau {kh}×{kw}, stride {stride}, padding {padding})"
        verifie_proche(dx, gradient_numerique(lambda v: float(np.sum(correlation_torch(v, k, stride, padding) * dout)), x),
                       f"dx {reglage}", "comparé à des différences finies : chaque pixel reçoit dout · k de chaque "
                       "fenêtre qui le contient, sans les bords du padding", rtol=1e-5, atol=1e-7)
        verifie_proche(dk, gradient_numerique(lambda v: float(np.sum(correlation_torch(x, v, stride, padding) * dout)), k),
                       f"dk {reglage}", "comparé à des différences finies : la corrélation de x (avec son padding) "
                       "par dout", rtol=1e-5, atol=1e-7)


def test_max_pooling():
    verifie_proche(conv.maxpool2d(X), [[4, 7], [8, 7]], "maxpool2d(x) de l'exemple du cours",
                   "le maximum de chaque fenêtre 2×2, fenêtres décalées de 2")
    rng = np.random.default_rng(4545)
    for h, w, taille, stride in ((6, 6, 2, 2), (7, 8, 3, 2), (5, 6, 2, 1), (9, 7, 3, 3)):
        x = rng.normal(size=(h, w))
        attendu = F.max_pool2d(torch.from_numpy(x)[None, None], taille, stride)[0, 0].numpy()
        verifie_proche(conv.maxpool2d(x, size=taille, stride=stride), attendu,
                       f"maxpool2d (image {h}×{w}, fenêtre {taille}×{taille}, stride {stride})",
                       "comme torch.nn.functional.max_pool2d")


def test_taille_de_sortie():
    for args, attendu in (((5, 3), 3), ((5, 3, 1), 5), ((5, 3, 0, 2), 2), ((9, 3), 7), ((7, 3, 0, 2), 3)):
        obtenu = conv.output_size(*args)
        assert obtenu == attendu, f"output_size{args} : attendu {attendu} (exemple de la docstring), obtenu {obtenu!r}"
    for largeur, k, padding, stride in ((12, 5, 1, 3), (28, 3, 1, 1), (17, 4, 2, 2), (64, 7, 3, 4), (10, 1, 0, 3)):
        sortie = F.conv2d(torch.zeros(1, 1, largeur, largeur), torch.zeros(1, 1, k, k), stride=stride, padding=padding)
        attendu = sortie.shape[-1]
        obtenu = conv.output_size(largeur, k, padding=padding, stride=stride)
        assert obtenu == attendu and float(obtenu).is_integer(), (
            f"output_size(w={largeur}, k={k}, padding={padding}, stride={stride}) : attendu l'entier {attendu} "
            f"(PyTorch, ⌊(W − k + 2p) / s⌋ + 1), obtenu {obtenu!r}")


def test_nombre_de_parametres_d_une_convolution():
    for kx, ky, entree, filtres in ((3, 3, 3, 8), (5, 5, 3, 16), (3, 2, 6, 4), (1, 1, 16, 8)):
        attendu = nombre_de_parametres(nn.Conv2d(entree, filtres, (kx, ky)))
        obtenu = conv.conv_params(kx, ky, entree, filtres)
        assert obtenu == attendu, (f"conv_params({kx}, {ky}, {entree}, {filtres}) : attendu {attendu} (comme "
                                   f"torch.nn.Conv2d : (kx · ky · I + 1) · F), obtenu {obtenu!r}")


def test_nombre_de_parametres_du_reseau_dense():
    for cote, attendu in ((24, 207_937), (512, 42_949_935_105)):
        obtenu = conv.mlp_image_params(cote)
        assert obtenu == attendu, f"mlp_image_params({cote}) : attendu {attendu} (exemple du cours), obtenu {obtenu!r}"
    for cote in (6, 8):
        s = cote * cote
        attendu = sum(nombre_de_parametres(nn.Linear(n, m)) for n, m in ((s, s // 2), (s // 2, s // 4), (s // 4, 1)))
        obtenu = conv.mlp_image_params(cote)
        assert obtenu == attendu, (f"mlp_image_params({cote}) : attendu {attendu} (s → s/2 → s/4 → 1 avec s = {s}, "
                                   f"poids et biais), obtenu {obtenu!r}")


def formes_du_cnn(filtres, cachees):
    return [(8, 3, 3, 3), (8,), (filtres, 8, 3, 3), (filtres,), (cachees[0], 9 * filtres), (cachees[0],),
            (cachees[1], cachees[0]), (cachees[1],), (1, cachees[1]), (1,)]


def test_cnn_de_regression_formes():
    for args in ((), (6, (12, 5))):
        modele = models.RegressionCNN(*args)
        filtres, cachees = args or (16, (64, 32))
        formes = [tuple(p.shape) for p in modele.parameters()]
        assert formes == formes_du_cnn(filtres, cachees), (
            f"RegressionCNN{args} : paramètres attendus {formes_du_cnn(filtres, cachees)} (Conv2d(3, 8, 3), "
            f"Conv2d(8, {filtres}, 3, stride=2), puis les couches denses), obtenus {formes}")
        with torch.no_grad():
            sortie = modele(torch.zeros(2, 3, 9, 9))
        assert tuple(sortie.shape) == (2, 1), (
            f"RegressionCNN{args} : sortie (2, 1) attendue, obtenue {tuple(sortie.shape)}")


def test_cnn_de_regression_avec_des_poids_donnes():
    rng = np.random.default_rng(4646)
    poids = [rng.normal(scale=0.3, size=f).astype(np.float32) for f in formes_du_cnn(6, (12, 5))]
    x = rng.normal(size=(3, 3, 9, 9)).astype(np.float32)
    p = [torch.from_numpy(w) for w in poids]
    a = F.relu(F.conv2d(torch.from_numpy(x), p[0], p[1]))
    a = F.relu(F.conv2d(a, p[2], p[3], stride=2)).flatten(1)
    a = F.relu(F.relu(a @ p[4].T + p[5]) @ p[6].T + p[7])
    attendu = (a @ p[8].T + p[9]).numpy()
    modele = charge_poids(models.RegressionCNN(6, (12, 5)), poids)
    with torch.no_grad():
        obtenu = modele(torch.from_numpy(x))
    verifie_proche(obtenu, attendu, "sortie de RegressionCNN(6, (12, 5)) avec des poids donnés", "ReLU après chaque "
                   "convolution et chaque couche dense cachée, stride 2 pour la seconde convolution, nn.Flatten, "
                   "sortie linéaire", rtol=1e-4, atol=1e-5)


def test_cnn_des_chiffres():
    torch.manual_seed(0)
    modele = models.DigitCNN()
    assert any(isinstance(couche, nn.Conv2d) for couche in modele.modules()), (
        f"DigitCNN : au moins une couche nn.Conv2d attendue, obtenu les couches {[type(c).__name__ for c in modele.modules()][1:]}")
    modele.eval()
    with torch.no_grad():
        sortie = modele(torch.rand(5, 1, 28, 28))
    assert tuple(sortie.shape) == (5, 10), (
        f"DigitCNN : sortie (5, 10) attendue pour 5 images, obtenue {tuple(sortie.shape)}")
    assert not torch.allclose(sortie.sum(dim=1), torch.ones(5)), (
        "DigitCNN doit renvoyer des logits, pas des probabilités : pas de softmax à la fin (nn.CrossEntropyLoss l'applique)")


class Espion(nn.Module):
    """Un CNN minuscule, sans hasard à l'entraînement (pas de dropout), qui note chaque lot reçu."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(4747)
        self.reseau = nn.Sequential(nn.Conv2d(1, 2, 5, stride=3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 8 * 8, 10))
        self.lots = []

    def forward(self, x):
        self.lots.append(x.detach().cpu().clone())
        return self.reseau(x)


def test_train_digits_observe_par_un_espion():
    X = torch.rand(150, 1, 28, 28, generator=torch.Generator().manual_seed(4848))
    y = torch.randint(0, 10, (150,), generator=torch.Generator().manual_seed(4849))
    espion = Espion()
    rendu = models.train_digits(espion, X, y, epochs=2, lr=0.01, seed=3)
    assert rendu is espion, (
        f"train_digits : le modèle reçu, entraîné, est attendu en retour (pas une copie), obtenu {type(rendu).__name__}")
    # Chaque image se reconnaît à son premier pixel : on retrouve les numéros des échantillons de chaque lot.
    numero = {round(float(v), 6): i for i, v in enumerate(X[:, 0, 0, 0])}
    lots = [[numero.get(round(float(v), 6), -1) for v in lot[:, 0, 0, 0]] for lot in espion.lots]
    tailles = [len(lot) for lot in lots]
    assert tailles == [64, 64, 22] * 2, (
        f"150 images, lots de 64, 2 époques : tailles 64, 64, 22, 64, 64, 22 attendues, obtenues {tailles}")
    for epoque in (lots[:3], lots[3:]):
        vus = sorted(i for lot in epoque for i in lot)
        assert vus == list(range(150)), (f"chaque époque doit passer chaque image une fois exactement : 150 images "
                                         f"différentes attendues, obtenu {len(set(vus))}")
    assert lots[0] != sorted(lots[0]) and lots[0] != lots[3], (
        "des lots mélangés à chaque époque sont attendus, obtenu le même ordre")
    for graine, pareil in ((3, True), (4, False)):  # le mélange ne dépend que de seed
        autre = Espion()
        models.train_digits(autre, X, y, epochs=2, lr=0.01, seed=graine)
        memes = [[numero.get(round(float(v), 6), -1) for v in lot[:, 0, 0, 0]] for lot in autre.lots] == lots
        assert memes == pareil, (f"train_digits avec seed={graine} après seed=3 : "
                                 + ("les mêmes lots attendus, obtenu d'autres (tirez l'ordre à partir de seed)" if pareil
                                    else "d'autres lots attendus, obtenu les mêmes (l'ordre doit dépendre de seed)"))
    # Les mêmes lots, dans le même ordre, à la main : Adam de pas lr, entropie croisée, gradients remis à zéro.
    reference, nll = Espion().reseau, Espion().reseau
    for modele, cout in ((reference, F.cross_entropy), (nll, F.nll_loss)):
        opt = torch.optim.Adam(modele.parameters(), lr=0.01)
        for lot in lots:
            opt.zero_grad()
            cout(modele(X[lot]), y[lot]).backward()
            opt.step()
    assert not all(torch.allclose(a, b, atol=1e-5) for a, b in zip(espion.reseau.parameters(), nll.parameters())) or \
        all(torch.allclose(a, b, atol=1e-5) for a, b in zip(espion.reseau.parameters(), reference.parameters())), (
        "train_digits calcule F.nll_loss sur les sorties du modèle : le modèle reçu renvoie des logits, le coût demandé "
        "est nn.CrossEntropyLoss (nll_loss n'irait qu'avec un log_softmax à la fin du modèle)")
    for i, (obtenu, voulu) in enumerate(zip(espion.reseau.parameters(), reference.parameters())):
        verifie_proche(obtenu, voulu, f"paramètre {i} après train_digits (2 époques, 150 images)",
                       "pour chaque lot : gradients remis à zéro, nn.CrossEntropyLoss, rétropropagation, un pas d'Adam "
                       "de pas lr", rtol=1e-4, atol=1e-5)


def chiffres_synthetiques(n, graine):
    """Des « chiffres » faciles : la classe c allume un carré 6×6 à une place qui lui est propre, plus du bruit."""
    rng = np.random.default_rng(graine)
    y = rng.integers(0, 10, size=n)
    images = rng.uniform(0, 0.3, size=(n, 1, 28, 28)).astype(np.float32)
    for i, c in enumerate(y):
        ligne, colonne = 2 + 8 * (c // 4), 2 + 6 * (c % 4)
        images[i, 0, ligne:ligne + 6, colonne:colonne + 6] += 0.7
    return torch.from_numpy(images), torch.from_numpy(y)


def test_train_digits_apprend_des_chiffres_synthetiques():
    X, y = chiffres_synthetiques(400, 4949)
    torch.manual_seed(0)
    modele = models.train_digits(models.DigitCNN(), X, y, epochs=3, lr=5e-3, seed=0).cpu()
    X_test, y_test = chiffres_synthetiques(200, 5050)
    modele.eval()
    with torch.no_grad():
        justes = float((modele(X_test).argmax(dim=1) == y_test).float().mean())
    assert justes >= 0.9, (f"DigitCNN entraîné par train_digits (400 images synthétiques faciles, 3 époques) : au moins "
                           f"90 % de bonnes réponses attendues sur d'autres images, obtenu {justes:.0%} ({montre(justes)})")
