"""Tests publics du TP2 : lancez `grader check tp2` (ou `python -m pytest tests/test_tp2.py`) à la
racine de votre dépôt.

Un test par fonction (ou par petit groupe) : valeurs des coûts en plusieurs points, gradients
comparés à des différences finies, dropout et batch norm comparés à leur définition et à
`torch.nn.BatchNorm1d`, optimiseurs comparés pas à pas à `torch.optim`, découpages des données
suivis échantillon par échantillon, réseaux avec des poids donnés, boucles d'entraînement
comparées à un pas fait à la main. Un test qui échoue dit ce qui était attendu et ce que votre
code a donné. Les tests cachés, qui donnent la note, vérifient les mêmes idées sur d'autres
données et entraînent vos réseaux sur de vraies données : réussir ces tests ne garantit pas la
note maximale.
"""
import numpy as np
import torch
from aides import (charge_poids, en_tableau, gradient_numerique, montre, nombre_de_parametres, sigmoide, un_nombre,
                   verifie_proche)
from torch import nn

from tp2 import data, layers, losses, numpy_nets, optim, torch_nets

torch.set_num_threads(1)  # de tout petits modèles : un seul fil de calcul va plus vite

RNG_COUTS = np.random.default_rng(2718)
P = RNG_COUTS.uniform(0.1, 0.9, size=(10, 1))
Y01 = RNG_COUTS.integers(0, 2, size=(10, 1)).astype(float)
SCORES = RNG_COUTS.normal(scale=1.5, size=(5, 4))
UN_PARMI_K = np.eye(4)[[0, 3, 1, 3, 2]]


def softmax_ref(z):
    e = np.exp(z - np.max(z, axis=1)[:, None])
    return e / e.sum(axis=1)[:, None]


# ------------------------------------------------------------------ losses.py

def test_entropie_croisee_binaire():
    assert np.isclose(losses.bce(np.array([0.5, 0.5]), np.array([0.0, 1.0])), np.log(2)), (
        "bce([0.5, 0.5], [0, 1]) : attendu log 2")
    attendu = -np.sum(Y01 * np.log(P) + (1 - Y01) * np.log(1 - P)) / len(P)
    verifie_proche(losses.bce(P, Y01), attendu, "bce sur 10 probabilités", "−moyenne de [y log p + (1 − y) log(1 − p)]")
    verifie_proche(losses.bce(P[:, 0], Y01[:, 0]), attendu, "bce sur 10 probabilités de forme (N,)",
                   "p et y de forme (N,) ou (N, 1) : la même moyenne")
    bornee = un_nombre(losses.bce(np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 0.0])), "bce([0, 1, 1], [0, 1, 0])")
    assert np.isfinite(bornee), (f"bce([0, 1, 1], [0, 1, 0]) : un coût fini attendu, obtenu {bornee} : bornez p dans "
                                 "[ε, 1 − ε] avant le logarithme (np.clip, ε = 1e−12 par exemple)")
    assert bornee > -np.log(1e-6) / 3, (f"bce([0, 1, 1], [0, 1, 0]) : une prédiction sûre et fausse doit coûter cher "
                                        f"(plus de {-np.log(1e-6) / 3:.2f}), obtenu {bornee:.4f} : la borne ε de np.clip "
                                        "doit rester petite (1e−12 par exemple, pas plus de 1e−6)")


def test_gradient_de_l_entropie_croisee_binaire():
    verifie_proche(losses.bce_grad(np.array([0.5, 0.5]), np.array([0.0, 1.0])), [1.0, -1.0], "bce_grad([0.5, 0.5], [0, 1])")
    attendu = gradient_numerique(lambda p: float(-np.mean(Y01 * np.log(p) + (1 - Y01) * np.log(1 - p))), P)
    verifie_proche(losses.bce_grad(P, Y01), attendu, "bce_grad sur 10 probabilités",
                   "(p − y) / (p (1 − p)) / N, comparé à des différences finies (vérifiez le signe)", rtol=1e-5)


def test_entropie_croisee_categorielle():
    verifie_proche(losses.cce(np.array([[0.25, 0.75]]), np.array([[0.0, 1.0]])), -np.log(0.75), "cce([[0.25, 0.75]], [[0, 1]])")
    p = softmax_ref(SCORES)
    attendu = -np.log(p[np.arange(5), [0, 3, 1, 3, 2]]).mean()
    verifie_proche(losses.cce(p, UN_PARMI_K), attendu, "cce sur 5 échantillons de 4 classes",
                   "somme sur les classes, moyenne sur les N échantillons (pas sur les N·K éléments)")


def test_gradient_softmax_et_entropie_croisee():
    verifie_proche(losses.softmax_cce_grad(np.zeros((1, 2)), np.array([[0.0, 1.0]])), [[0.5, -0.5]],
                   "softmax_cce_grad(zéros, [[0, 1]])")
    attendu = gradient_numerique(lambda z: float(-np.sum(UN_PARMI_K * np.log(softmax_ref(z))) / len(z)), SCORES)
    verifie_proche(losses.softmax_cce_grad(SCORES, UN_PARMI_K), attendu, "softmax_cce_grad sur 5 × 4 scores",
                   "(softmax(z) − Y) / N, comparé à des différences finies", rtol=1e-5)


def test_erreurs_absolue_et_quadratique_moyennes():
    a, y = RNG_COUTS.normal(size=(6, 2)), RNG_COUTS.normal(size=(6, 2))
    verifie_proche(losses.mae(a, y), np.abs(a - y).sum() / a.size, "mae sur 6 × 2 valeurs", "moyenne des |ŷ − y|")
    verifie_proche(losses.mse(a, y), ((a - y) ** 2).sum() / a.size, "mse sur 6 × 2 valeurs", "moyenne des (ŷ − y)²")
    verifie_proche(losses.mae(np.array([1.0, 3.0]), np.array([0.0, 1.0])), 1.5, "mae([1, 3], [0, 1])")


# ------------------------------------------------------------------ layers.py

X_DROPOUT = np.random.default_rng(3141).uniform(0.5, 1.5, size=(300, 400))


def test_dropout_en_evaluation():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    sortie, masque = layers.dropout_forward(x, 0.4, training=False)
    verifie_proche(sortie, x, "sortie de dropout_forward en évaluation", "en évaluation, le dropout est l'identité")
    verifie_proche(masque, np.ones_like(x), "masque en évaluation", "un tableau de 1")


def test_dropout_en_entrainement():
    for p in (0.3, 0.6):
        sortie, masque = layers.dropout_forward(X_DROPOUT, p, training=True, seed=7)
        assert set(np.unique(en_tableau(masque, "mask"))) <= {0.0, 1.0}, (
            f"avec p = {p}, le masque doit être fait de 0 et de 1 (1 = gardé), obtenu les valeurs "
            f"{montre(np.unique(masque))} : la division par (1 − p) s'applique à out, pas au masque")
        sortie, masque = en_tableau(sortie, "out", X_DROPOUT.shape), en_tableau(masque, "mask", X_DROPOUT.shape)
        eteints = float(np.mean(sortie == 0))
        assert abs(eteints - p) < 0.01, (
            f"avec p = {p}, proportion de neurones éteints : attendu {p}, obtenu {eteints:.3f}")
        assert set(np.unique(masque)) <= {0.0, 1.0}, (
            f"le masque doit être fait de 0 et de 1, obtenu {montre(np.unique(masque))}")
        verifie_proche(sortie, X_DROPOUT * masque / (1 - p), f"out avec p = {p}",
                       "dropout inversé : out = x · mask / (1 − p), où mask vaut 1 pour les neurones gardés")
    encore, _ = layers.dropout_forward(X_DROPOUT, 0.6, training=True, seed=7)
    autre, _ = layers.dropout_forward(X_DROPOUT, 0.6, training=True, seed=8)
    assert np.array_equal(encore, sortie), "seed=7 deux fois : le même masque attendu, obtenu deux masques différents"
    assert not np.array_equal(autre, sortie), "seed=7 puis seed=8 : deux masques différents attendus, obtenu le même"


def test_retropropagation_du_dropout():
    masque = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    dout = np.array([[0.5, -1.0, 2.0], [3.0, 1.0, -4.0]])
    verifie_proche(layers.dropout_backward(dout, masque, 0.75), [[2.0, 0.0, 8.0], [0.0, 0.0, -16.0]],
                   "dropout_backward(dout, mask, p = 0.75)", "dx = dout · mask / (1 − p)")


GAMMA, BETA = np.array([1.5, 0.5, 2.0]), np.array([0.1, -0.3, 1.0])


def batchnorm_torch(x, moyenne, variance, entrainement, momentum):
    couche = nn.BatchNorm1d(3, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        couche.weight.copy_(torch.from_numpy(GAMMA))
        couche.bias.copy_(torch.from_numpy(BETA))
        couche.running_mean.copy_(torch.from_numpy(moyenne))
        couche.running_var.copy_(torch.from_numpy(variance))
        couche.train(entrainement)
        sortie = couche(torch.from_numpy(x)).numpy()
    return sortie, couche.running_mean.numpy().copy(), couche.running_var.numpy().copy()


def test_batchnorm_en_entrainement_comme_torch():
    rng = np.random.default_rng(1618)
    moyenne, variance = np.zeros(3), np.ones(3)
    for pas in range(2):
        x = rng.normal(loc=-2.0, scale=4.0, size=(12, 3))
        gardees = moyenne.copy(), variance.copy()
        obtenu = layers.batchnorm_forward(x, GAMMA, BETA, moyenne, variance, True, momentum=0.2)
        assert len(obtenu) == 4, (
            f"batchnorm_forward : (out, cache, running_mean, running_var) attendu, {len(obtenu)} valeurs obtenues")
        attendu = batchnorm_torch(x, moyenne, variance, True, 0.2)
        assert np.array_equal(moyenne, gardees[0]) and np.array_equal(variance, gardees[1]), (
            "batchnorm_forward ne doit pas modifier les tableaux running_mean et running_var reçus")
        verifie_proche(obtenu[0], attendu[0], f"out au pas {pas + 1}", "γ · (x − μ) / √(σ² + ε) + β avec la moyenne et "
                       "la variance BIAISÉE du lot (axe 0)", rtol=1e-6, atol=1e-8)
        verifie_proche(obtenu[2], attendu[1], f"running_mean au pas {pas + 1}", "(1 − momentum) · running_mean + momentum · μ")
        verifie_proche(obtenu[3], attendu[2], f"running_var au pas {pas + 1}", "mise à jour avec la variance NON "
                       "biaisée σ² · N / (N − 1), comme torch.nn.BatchNorm1d")
        moyenne, variance = attendu[1], attendu[2]


def test_batchnorm_en_evaluation():
    rng = np.random.default_rng(1619)
    moyenne, variance = np.array([1.0, -1.0, 0.5]), np.array([4.0, 0.25, 1.0])
    x = rng.normal(size=(5, 3))
    sortie, _, nouvelle_moyenne, nouvelle_variance = layers.batchnorm_forward(x, GAMMA, BETA, moyenne, variance, False)
    verifie_proche(sortie, batchnorm_torch(x, moyenne, variance, False, 0.1)[0], "out en évaluation",
                   "en évaluation, normalisez avec running_mean et running_var, pas avec le lot", rtol=1e-6, atol=1e-8)
    verifie_proche(nouvelle_moyenne, moyenne, "running_mean en évaluation", "elle ne change pas en évaluation")
    verifie_proche(nouvelle_variance, variance, "running_var en évaluation", "elle ne change pas en évaluation")


def test_retropropagation_de_la_batchnorm():
    rng = np.random.default_rng(1620)
    x, dout = rng.normal(loc=0.5, scale=2.0, size=(6, 3)), rng.normal(size=(6, 3))
    _, cache, _, _ = layers.batchnorm_forward(x, GAMMA, BETA, np.zeros(3), np.ones(3), True)
    assert transmissible(cache), (
        f"le cache de batchnorm_forward doit être un tuple de tableaux numpy et de nombres (il voyage entre les "
        f"processus des tests cachés), obtenu {type(cache).__name__} contenant {sorted(types_dans(cache))}")
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, cache)

    def sortie(x_, gamma, beta):
        return gamma * (x_ - x_.mean(axis=0)) / np.sqrt(x_.var(axis=0) + 1e-5) + beta

    verifie_proche(dx, gradient_numerique(lambda v: float(np.sum(sortie(v, GAMMA, BETA) * dout)), x), "dx",
                   "comparé à des différences finies : μ et σ² dépendent aussi de chaque xᵢ", rtol=1e-5, atol=1e-7)
    verifie_proche(dgamma, gradient_numerique(lambda g: float(np.sum(sortie(x, g, BETA) * dout)), GAMMA), "dgamma",
                   "Σᵢ doutᵢ · x̂ᵢ", rtol=1e-5, atol=1e-7)
    verifie_proche(dbeta, dout.sum(axis=0), "dbeta", "Σᵢ doutᵢ")


def types_dans(valeur):
    if isinstance(valeur, (list, tuple)):
        return set().union(*(types_dans(v) for v in valeur)) if valeur else set()
    return {type(valeur).__name__}


def transmissible(valeur):
    """Ce que les tests cachés savent faire voyager : tableaux numpy, nombres, textes courts, listes et tuples."""
    if isinstance(valeur, (list, tuple)):
        return all(transmissible(v) for v in valeur)
    return valeur is None or isinstance(valeur, (np.ndarray, int, float, bool, np.number)) or (
        isinstance(valeur, str) and len(valeur) <= 200)


# ------------------------------------------------------------------ optim.py

FORMES = [(2, 3), (3,)]


def trajectoires(fabrique_etudiant, fabrique_torch, graine, pas=4):
    """Les paramètres après chaque pas, pour votre optimiseur et pour celui de torch, mêmes gradients."""
    rng = np.random.default_rng(graine)
    depart = [rng.normal(size=f) for f in FORMES]
    gradients = [[rng.normal(scale=3.0, size=f) for f in FORMES] for _ in range(pas)]
    tenseurs = [torch.tensor(p, requires_grad=True) for p in depart]
    reference, etudiant = fabrique_torch(tenseurs), fabrique_etudiant()
    params = [p.copy() for p in depart]
    for t, g in enumerate(gradients, start=1):
        for tenseur, gi in zip(tenseurs, g):
            tenseur.grad = torch.from_numpy(gi.copy())
        reference.step()
        params = etudiant.step(params, [gi.copy() for gi in g])
        assert isinstance(params, list) and len(params) == len(FORMES), (
            f"step doit renvoyer la liste des {len(FORMES)} paramètres mis à jour, obtenu {type(params).__name__}")
        yield t, params, [tenseur.detach().numpy() for tenseur in tenseurs]


def compare_a_torch(nom, fabrique_etudiant, fabrique_torch, graine, regle):
    for t, obtenus, attendus in trajectoires(fabrique_etudiant, fabrique_torch, graine):
        for i, (obtenu, attendu) in enumerate(zip(obtenus, attendus)):
            verifie_proche(obtenu, attendu, f"{nom}, paramètre {i} après le pas {t}", f"comme torch.optim : {regle}",
                           rtol=1e-6, atol=1e-9)


def test_sgd_comme_torch():
    verifie_proche(optim.SGD(0.1).step([np.array([1.0])], [np.array([2.0])])[0], [0.8], "SGD(0.1) sur θ = 1, g = 2")
    compare_a_torch("SGD(lr=0.2)", lambda: optim.SGD(0.2), lambda ps: torch.optim.SGD(ps, lr=0.2), 11, "θ ← θ − lr · g")
    compare_a_torch("SGD(lr=0.1, momentum=0.8)", lambda: optim.SGD(0.1, momentum=0.8),
                    lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.8), 12,
                    "v ← μ · v + g (v = g au premier pas), θ ← θ − lr · v")


def test_rmsprop_comme_torch():
    compare_a_torch("RMSprop(lr=0.05)", lambda: optim.RMSprop(0.05), lambda ps: torch.optim.RMSprop(ps, lr=0.05), 13,
                    "s ← α · s + (1 − α) · g², θ ← θ − lr · g / (√s + ε)")
    compare_a_torch("RMSprop(lr=0.01, alpha=0.8, eps=0.1)", lambda: optim.RMSprop(0.01, alpha=0.8, eps=0.1),
                    lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.8, eps=0.1), 14, "ε s'ajoute APRÈS la racine")


def test_adam_comme_torch():
    nouveau = optim.Adam(0.01).step([np.zeros(3)], [np.array([5.0, -0.1, 2.0])])
    verifie_proche(nouveau[0], [-0.01, 0.01, -0.01], "premier pas d'Adam(0.01)", "grâce à la correction du biais, "
                   "le premier pas vaut environ −lr · signe(g)", rtol=1e-5)
    compare_a_torch("Adam(lr=0.1)", lambda: optim.Adam(0.1), lambda ps: torch.optim.Adam(ps, lr=0.1), 15,
                    "m et v corrigés du biais : m / (1 − β₁ᵗ), v / (1 − β₂ᵗ)")
    compare_a_torch("Adam(lr=0.03, betas=(0.5, 0.9), eps=0.01)", lambda: optim.Adam(0.03, betas=(0.5, 0.9), eps=0.01),
                    lambda ps: torch.optim.Adam(ps, lr=0.03, betas=(0.5, 0.9), eps=0.01), 16,
                    "avec d'autres betas et eps")


# ------------------------------------------------------------------ data.py

def numerotes(n):
    """X dont la ligne i vaut (i, −i) et y = 100 + i : on peut suivre chaque échantillon."""
    numeros = np.arange(n) * 1.0
    return np.stack([numeros, -numeros], axis=1), 100 + np.arange(n)


def numeros_du_decoupage(decoupage, n, quoi):
    assert len(decoupage) == 4, (
        f"{quoi} : (X_train, X_test, y_train, y_test) attendu, {len(decoupage)} valeurs obtenues")
    X_train, X_test, y_train, y_test = (np.asarray(v) for v in decoupage)
    for Xs, ys, base in ((X_train, y_train, "apprentissage"), (X_test, y_test, "test")):
        assert np.array_equal(ys, 100 + Xs[:, 0]), (f"{quoi}, base d'{base} : chaque yᵢ doit rester avec son Xᵢ ; "
                                                    f"y attendus {montre(100 + Xs[:, 0])}, obtenus {montre(ys)}")
    tous = np.sort(np.concatenate([X_train[:, 0], X_test[:, 0]]))
    assert np.array_equal(tous, np.arange(n)), (
        f"{quoi} : chaque échantillon doit être dans exactement une des deux bases ; numéros obtenus {montre(tous)}")
    return X_test[:, 0].astype(int)


def test_decoupage_apprentissage_test():
    X, y = numerotes(20)
    test = numeros_du_decoupage(data.train_test_split(X, y), 20, "train_test_split(X, y)")
    assert len(test) == 6, f"20 échantillons, test_size = 0.3 : 6 en test attendus, obtenu {len(test)}"
    assert not np.array_equal(np.sort(test), np.arange(14, 20)) and not np.array_equal(np.sort(test), np.arange(6)), (
        f"mélangez les échantillons avant de découper : la base de test a reçu {montre(np.sort(test))}")
    quart = numeros_du_decoupage(data.train_test_split(X, y, test_size=0.25, seed=3), 20, "test_size = 0.25")
    assert len(quart) == 5, f"20 échantillons, test_size = 0.25 : 5 en test attendus, obtenu {len(quart)}"
    encore = numeros_du_decoupage(data.train_test_split(X, y, seed=3), 20, "seed = 3")
    autre = numeros_du_decoupage(data.train_test_split(X, y, seed=4), 20, "seed = 4")
    assert np.array_equal(encore, numeros_du_decoupage(data.train_test_split(X, y, seed=3), 20, "seed = 3")), (
        "seed=3 deux fois : le même découpage attendu, obtenu deux découpages différents")
    assert not np.array_equal(np.sort(encore), np.sort(autre)), (
        f"seed=3 puis seed=4 : deux découpages différents attendus, obtenu deux fois le test {montre(np.sort(encore))}")
    deux = data.train_test_split(X, np.stack([y, y], axis=1), seed=3)
    assert np.shape(deux[2]) == (14, 2) and np.shape(deux[3]) == (6, 2), (
        f"avec y de forme (20, 2), y_train (14, 2) et y_test (6, 2) attendus, obtenus {np.shape(deux[2])} et "
        f"{np.shape(deux[3])}")


def test_decoupage_stratifie():
    X, _ = numerotes(30)
    classes = np.array([0, 1, 1] * 10)  # 10 « 0 » et 20 « 1 »
    X_train, X_test, y_train, y_test = data.train_test_split(X, classes, test_size=0.3, seed=5, stratify=True)
    numeros = np.concatenate([np.asarray(X_train)[:, 0], np.asarray(X_test)[:, 0]]).astype(int)
    assert np.array_equal(np.sort(numeros), np.arange(30)), (
        f"chaque échantillon doit être dans une seule des deux bases : numéros attendus 0 à 29, "
        f"obtenus {montre(np.sort(numeros))}")
    assert np.array_equal(np.concatenate([y_train, y_test]), classes[numeros]), (
        f"chaque yᵢ doit rester avec son Xᵢ : classes attendues {montre(classes[numeros])}, obtenues "
        f"{montre(np.concatenate([y_train, y_test]))}")
    comptes = [int(np.sum(np.asarray(y_test) == c)) for c in (0, 1)]
    assert comptes == [3, 6], (
        f"stratify=True : 3 « 0 » et 6 « 1 » attendus en test (30 % de chaque classe), obtenu {comptes}")


def test_plis_de_la_validation_croisee():
    n, k = 17, 4
    plis = data.kfold_indices(n, k=k, seed=2)
    assert len(plis) == k, f"kfold_indices(17, k=4) : 4 couples (train_idx, val_idx) attendus, obtenu {len(plis)}"
    validations = [np.asarray(val).astype(int) for _, val in plis]
    assert np.array_equal(np.sort(np.concatenate(validations)), np.arange(n)), (
        "les plis de validation doivent être disjoints et contenir chaque indice exactement une fois")
    tailles = sorted(len(v) for v in validations)
    assert tailles == [4, 4, 4, 5], f"17 indices en 4 plis : tailles 4, 4, 4, 5 attendues, obtenues {tailles}"
    for train, val in plis:
        assert np.array_equal(np.sort(np.asarray(train).astype(int)), np.setdiff1d(np.arange(n), val)), (
            "train_idx doit contenir tous les indices hors du pli de validation, une fois chacun")
    assert not np.array_equal(np.concatenate(validations), np.arange(n)), (
        "des plis tirés au hasard attendus, obtenu les indices 0 à 16 dans l'ordre : mélangez-les avant de couper")
    encore, autre = data.kfold_indices(n, k=k, seed=2), data.kfold_indices(n, k=k, seed=3)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(plis, encore)), (
        "seed=2 deux fois : les mêmes plis attendus, obtenu d'autres plis")
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(plis, autre)), (
        "seed=2 puis seed=3 : d'autres plis attendus, obtenu les mêmes")


def test_validation_croisee():
    X, y = numerotes(14)
    vus = []

    def apprend_et_note(X_train, y_train, X_val, y_val):  # un « score » qui dépend du pli : la moyenne de y_val
        vus.append((len(X_train), len(X_val)))
        assert np.array_equal(y_val, 100 + np.asarray(X_val)[:, 0]), (
            f"fit_and_score : chaque yᵢ de validation doit rester avec son Xᵢ ; "
            f"attendus {montre(100 + np.asarray(X_val)[:, 0])}, "
            f"obtenus {montre(y_val)}")
        return float(np.mean(y_val))

    moyenne, ecart = data.cross_validate(apprend_et_note, X, y, k=3, seed=6)
    scores = [float(np.mean(100 + val)) for _, val in data.kfold_indices(14, k=3, seed=6)]
    assert len(vus) == 3, f"k = 3 : fit_and_score doit être appelé 3 fois, appelé {len(vus)} fois"
    verifie_proche(moyenne, np.mean(scores), "moyenne des scores", "un score par pli de kfold_indices(len(X), k, seed)")
    verifie_proche(ecart, np.std(scores), "écart-type des scores", "np.std des k scores (ddof = 0)")


def test_mini_lots():
    X, y = numerotes(13)
    lots = list(data.minibatches(X, y, 5, seed=9))
    assert [len(Xb) for Xb, _ in lots] == [5, 5, 3], f"13 échantillons en lots de 5 : tailles 5, 5, 3 attendues, " \
        f"obtenues {[len(Xb) for Xb, _ in lots]}"
    for Xb, yb in lots:
        assert np.array_equal(yb, 100 + np.asarray(Xb)[:, 0]), (
            f"dans chaque lot, chaque yᵢ doit rester avec son Xᵢ : attendus {montre(100 + np.asarray(Xb)[:, 0])}, "
            f"obtenus {montre(yb)}")
    ordre = np.concatenate([np.asarray(Xb)[:, 0] for Xb, _ in lots])
    assert np.array_equal(np.sort(ordre), np.arange(13)), (
        f"chaque échantillon une fois par époque : numéros 0 à 12 attendus, obtenus {montre(np.sort(ordre))}")
    assert not np.array_equal(ordre, np.arange(13)), "un ordre tiré au hasard attendu, obtenu 0 à 12 dans l'ordre"
    encore = np.concatenate([np.asarray(Xb)[:, 0] for Xb, _ in data.minibatches(X, y, 5, seed=9)])
    autre = np.concatenate([np.asarray(Xb)[:, 0] for Xb, _ in data.minibatches(X, y, 5, seed=10)])
    assert np.array_equal(encore, ordre) and not np.array_equal(autre, ordre), (
        "la même graine doit redonner les mêmes lots, une autre graine un autre ordre")
    colonnes = [np.shape(yb) for _, yb in data.minibatches(X, np.stack([y, y], axis=1), 5, seed=9)]
    assert colonnes == [(5, 2), (5, 2), (3, 2)], (
        f"avec y de forme (13, 2) (étiquettes one-hot, par exemple), chaque yb doit garder ses colonnes : formes "
        f"(5, 2), (5, 2), (3, 2) attendues, obtenues {colonnes} (pas de reshape en ligne (1, m) ni en colonne)")


def test_biais_et_variance():
    rng = np.random.default_rng(2020)
    x_train, x_test = rng.uniform(-1, 1, 12), rng.uniform(-1, 1, 50)
    y_train, y_test = np.cos(2 * x_train) + rng.normal(0, 0.1, 12), np.cos(2 * x_test) + rng.normal(0, 0.1, 50)
    train, test = data.polynomial_errors(x_train, y_train, x_test, y_test, [0, 2, 4])
    attendus = []
    for degre in (0, 2, 4):
        polynome = np.poly1d(np.polyfit(x_train, y_train, degre))
        attendus.append(([np.mean((polynome(x_train) - y_train) ** 2)], [np.mean((polynome(x_test) - y_test) ** 2)]))
    verifie_proche(train, [a[0][0] for a in attendus], "erreurs d'entraînement des degrés 0, 2, 4",
                   "erreur quadratique moyenne du polynôme ajusté par moindres carrés", rtol=1e-4)
    verifie_proche(test, [a[1][0] for a in attendus], "erreurs de test des degrés 0, 2, 4", rtol=1e-4)


# ------------------------------------------------------------------ numpy_nets.py

SORTIES = {"sigmoid": 1, "linear": 1, "softmax": 3}


def reseau_au_hasard(sortie, graine, tailles=(4, 5, 3)):
    tailles = [*tailles, SORTIES[sortie]]
    reseau = numpy_nets.Network(tailles, sortie, seed=0)
    rng = np.random.default_rng(graine)
    reseau.params = [rng.normal(scale=0.8, size=np.shape(p)) for p in reseau.params]  # biais non nuls
    return reseau


def sortie_attendue(params, X, sortie):
    a = X
    for i in range(0, len(params), 2):
        z = a @ params[i] + params[i + 1]
        a = np.where(z > 0, z, 0.0) if i < len(params) - 2 else z
    return sigmoide(a) if sortie == "sigmoid" else softmax_ref(a) if sortie == "softmax" else a


def cout_attendu(params, X, Y, sortie):
    a = sortie_attendue(params, X, sortie)
    if sortie == "sigmoid":
        return -float(np.mean(Y * np.log(a) + (1 - Y) * np.log(1 - a)))
    if sortie == "softmax":
        return -float(np.sum(Y * np.log(a))) / len(a)
    return float(((a - Y) ** 2).mean())


def cibles(sortie, n, graine):
    rng = np.random.default_rng(graine)
    if sortie == "sigmoid":
        return (rng.uniform(size=(n, 1)) < 0.5) * 1.0
    return np.eye(3)[rng.integers(0, 3, size=n)] if sortie == "softmax" else rng.normal(size=(n, 1))


def test_reseau_formes_et_initialisation():
    for tailles, sortie in (([30, 16, 4, 1], "sigmoid"), ([13, 16, 4, 3], "softmax")):
        reseau = numpy_nets.Network(tailles, sortie, seed=4)
        formes = [np.shape(p) for p in reseau.params]
        attendues = [(tailles[0], 16), (16,), (16, 4), (4,), (4, tailles[-1]), (tailles[-1],)]
        assert formes == attendues, f"Network({tailles}).params : formes attendues {attendues}, obtenues {formes}"
        assert all(np.all(b == 0) for b in reseau.params[1::2]), (
            f"biais nuls attendus au départ, obtenu {[montre(b) for b in reseau.params[1::2]]}")
        assert all(np.std(W) > 0 for W in reseau.params[::2]), (
            "des poids W tirés au hasard attendus, obtenu des W constants")
        encore, autre = numpy_nets.Network(tailles, sortie, seed=4), numpy_nets.Network(tailles, sortie, seed=5)
        assert np.array_equal(encore.params[0], reseau.params[0]), (
            "seed=4 deux fois : les mêmes poids attendus, obtenu d'autres")
        assert not np.array_equal(autre.params[0], reseau.params[0]), (
            "seed=4 puis seed=5 : d'autres poids attendus, obtenu les mêmes")


def test_reseau_propagation_avant():
    X = np.random.default_rng(2100).normal(size=(6, 4))
    for sortie in SORTIES:
        reseau = reseau_au_hasard(sortie, 2101)
        verifie_proche(reseau.forward(X), sortie_attendue(reseau.params, X, sortie), f"forward (sortie {sortie})",
                       f"relu(a · W + b) sur les couches cachées, puis la sortie {sortie} (biais compris)")


def test_reseau_retropropagation_differences_finies():
    rng = np.random.default_rng(2200)
    X, autre_X = rng.normal(size=(5, 4)), rng.normal(size=(3, 4))
    for sortie in SORTIES:
        reseau = reseau_au_hasard(sortie, 2201)
        Y = cibles(sortie, 5, 2202)
        reseau.forward(autre_X, training=True)
        reseau.forward(X, training=True)  # backward doit servir les activations de ce dernier forward
        gradients = reseau.backward(Y)
        params = [p.copy() for p in reseau.params]
        assert len(gradients) == len(params), (
            f"backward : {len(params)} gradients [dW₁, db₁, …] attendus, obtenu {len(gradients)}")
        for i, (g, p) in enumerate(zip(gradients, params)):
            def cout(v, i=i):
                essai = list(params)
                essai[i] = v
                return cout_attendu(essai, X, Y, sortie)

            nom = f"{'dW' if i % 2 == 0 else 'db'}{i // 2 + 1}"
            verifie_proche(g, gradient_numerique(cout, p), f"sortie {sortie} : {nom}", "comparé à des différences "
                           "finies du coût moyen (δ_L = (a_L − Y) / N, ou 2 (a_L − Y) / N en régression)",
                           rtol=1e-4, atol=1e-7)


def test_fit_descente_de_gradient_sur_tout_le_jeu():
    rng = np.random.default_rng(2300)
    X, Y = rng.normal(size=(9, 4)), cibles("softmax", 9, 2301)
    reseau = reseau_au_hasard("softmax", 2302)
    attendu = [p.copy() for p in reseau.params]
    historique_attendu = []
    for _ in range(3):  # un lot = tout le jeu : chaque époque est un pas θ ← θ − lr · ∇C
        modele = reseau_au_hasard("softmax", 2302)
        modele.params = attendu
        historique_attendu.append(cout_attendu(attendu, X, Y, "softmax"))
        modele.forward(X, training=True)
        attendu = [p - 0.4 * g for p, g in zip(attendu, modele.backward(Y))]
    historique = numpy_nets.fit(reseau, X, Y, "cce", optim.SGD(0.4), batch_size=50, epochs=3, seed=1)
    verifie_proche(historique, historique_attendu, "historique de fit (un lot, 3 époques)",
                   "pour chaque époque, le coût moyen des lots calculé AVANT leur mise à jour (fit s'appuie sur "
                   "minibatches, cce, forward, backward et SGD : si l'un de leurs tests échoue, corrigez-le d'abord)")
    for i, (obtenu, voulu) in enumerate(zip(reseau.params, attendu)):
        verifie_proche(obtenu, voulu, f"net.params[{i}] après fit", "chaque lot : forward, coût, puis "
                       "net.params = optimizer.step(net.params, net.backward(Yb))")


def test_fit_historique_par_mini_lots():
    rng = np.random.default_rng(2350)
    X, Y = rng.normal(size=(8, 4)), cibles("softmax", 8, 2351)
    reseau = reseau_au_hasard("softmax", 2352)  # avec un pas nul, les paramètres ne bougent pas
    cout = cout_attendu(reseau.params, X, Y, "softmax")  # deux lots de 4 : la moyenne de leurs coûts est le coût du jeu
    historique = numpy_nets.fit(reseau, X, Y, "cce", optim.SGD(0.0), batch_size=4, epochs=2, seed=3)
    verifie_proche(historique, [cout, cout], "historique de fit (deux lots de 4, pas nul, 2 époques)",
                   "pour chaque époque, la MOYENNE des coûts des lots (pas leur somme)")


def test_fit_apprend_deux_nuages_de_points():
    rng = np.random.default_rng(2400)
    X = np.concatenate([rng.normal(-1.0, 0.7, size=(60, 2)), rng.normal(1.0, 0.7, size=(60, 2))])
    Y = np.repeat([0.0, 1.0], 60)[:, None]
    historique, params, sortie = numpy_nets.train_and_predict([2, 16, 4, 1], "sigmoid", X, Y, X, optimizer="adam",
                                                              lr=0.02, batch_size=16, epochs=15)
    justes = float(np.mean((np.asarray(sortie) > 0.5) == Y))
    assert historique[-1] < historique[0] and justes >= 0.9, (
        f"deux nuages de points, réseau 2 → 16 → 4 → 1, Adam, 15 époques : le coût doit baisser et au moins 90 % de "
        f"bonnes réponses sont attendues ; coût {historique[0]:.3f} → {historique[-1]:.3f}, {justes:.0%} obtenu")


# ------------------------------------------------------------------ torch_nets.py

USINES = {  # fabrique : (arguments, tailles des couches, sortie)
    "binary_classifier": ((7,), [7, 16, 4, 1], "sigmoid"),
    "regressor": ((5,), [5, 16, 4, 1], "linear"),
    "multiclass_classifier": ((6, 4), [6, 16, 4, 4], "logits"),
    "course_example_model": ((9,), [9, 128, 64, 1], "linear"),
}


def poids_torch(tailles, rng):
    return [w for n, m in zip(tailles[:-1], tailles[1:])
            for w in (rng.normal(scale=0.5, size=(m, n)).astype(np.float32), rng.normal(size=m).astype(np.float32))]


def sortie_torch_attendue(poids, x, sortie):
    a = x
    for i in range(0, len(poids), 2):
        a = a @ poids[i].T + poids[i + 1]
        a = np.maximum(a, 0) if i < len(poids) - 2 else a
    return sigmoide(a) if sortie == "sigmoid" else a


def test_architectures_torch_du_cours():
    assert nombre_de_parametres(torch_nets.course_example_model(20)) == 11_009, (
        "course_example_model(20) : 11 009 paramètres attendus (20 → 128 → 64 → 1)")
    for usine, (args, tailles, _) in USINES.items():
        modele = getattr(torch_nets, usine)(*args)
        formes = [tuple(p.shape) for p in modele.parameters()]
        attendues = [f for n, m in zip(tailles[:-1], tailles[1:]) for f in ((m, n), (m,))]
        assert formes == attendues, (f"{usine}{args} : paramètres de formes {attendues} attendus (couches "
                                     f"{' → '.join(map(str, tailles))}, dans l'ordre), obtenu {formes}")


def test_sorties_torch_avec_des_poids_donnes():
    rng = np.random.default_rng(2500)
    for usine, (args, tailles, sortie) in USINES.items():
        poids = poids_torch(tailles, rng)
        x = rng.normal(size=(4, tailles[0])).astype(np.float32)
        modele = charge_poids(getattr(torch_nets, usine)(*args), poids)
        with torch.no_grad():
            obtenu = modele(torch.from_numpy(x))
        verifie_proche(obtenu, sortie_torch_attendue(poids, x, sortie), f"sortie de {usine}{args} avec des poids donnés",
                       "ReLU sur les couches cachées ; sortie " + {"sigmoid": "sigmoïde (une probabilité)",
                                                                   "logits": "en logits (pas de softmax)"}.get(sortie, "linéaire"),
                       rtol=1e-4, atol=1e-5)


def donnees_de_regression():
    rng = np.random.default_rng(2600)
    X = torch.from_numpy(rng.normal(size=(10, 5)).astype(np.float32))
    y = torch.from_numpy(rng.normal(size=10).astype(np.float32))
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=4)  # lots de 4, 4 et 2


def test_fit_torch_comme_une_boucle_faite_a_la_main():
    chargeur, poids = donnees_de_regression(), poids_torch(USINES["regressor"][1], np.random.default_rng(2601))
    reference = charge_poids(torch_nets.regressor(5), poids)
    opt = torch.optim.SGD(reference.parameters(), lr=0.05)
    historique_attendu, couts_des_lots = [], []
    for _ in range(2):
        somme, couts_des_lots = 0.0, couts_des_lots + [[]]
        for X, y in chargeur:
            perte = nn.functional.mse_loss(reference(X)[:, 0], y)
            opt.zero_grad()
            perte.backward()
            opt.step()
            somme += perte.item() * len(X)
            couts_des_lots[-1].append(perte.item())
        historique_attendu.append(somme / 10)
    modele = charge_poids(torch_nets.regressor(5), poids)
    modele.eval()  # fit doit remettre le modèle en mode entraînement
    historique = torch_nets.fit(modele, chargeur, nn.MSELoss(), torch.optim.SGD(modele.parameters(), lr=0.05), 2)
    for i, (obtenu, voulu) in enumerate(zip(modele.parameters(), reference.parameters())):
        verifie_proche(obtenu, voulu, f"paramètre {i} du modèle après fit", "pour chaque lot : sortie (N, 1) alignée "
                       "sur y (N,), gradients remis à zéro, rétropropagation, un pas de l'optimiseur", rtol=1e-4, atol=1e-6)
    moyenne_des_lots = [float(np.mean(couts)) for couts in couts_des_lots]
    if not np.allclose(historique, moyenne_des_lots, rtol=1e-4):  # l'autre lecture permise : la moyenne des lots
        verifie_proche(historique, historique_attendu, "historique de fit (2 époques, lots de 4, 4 et 2)",
                       "le coût moyen de chaque époque : par échantillon (chaque lot pondéré par sa taille) ou la "
                       f"moyenne des coûts des lots ({montre(moyenne_des_lots)} ici)", rtol=1e-4)
    assert modele.training, "après fit, le mode entraînement (model.train()) est attendu, obtenu le mode évaluation"


def test_evaluate_moyenne_par_echantillon_en_mode_evaluation():
    torch.manual_seed(2700)
    modele = nn.Sequential(nn.Linear(5, 8), nn.Dropout(0.5), nn.Linear(8, 1))  # le dropout ne doit pas jouer
    chargeur = donnees_de_regression()
    X, y = chargeur.dataset.tensors
    with torch.no_grad():
        modele.eval()
        attendu = float((modele(X)[:, 0] - y).abs().mean())
    modele.train()
    obtenu = torch_nets.evaluate(modele, chargeur, lambda sortie, cible: (sortie - cible).abs().mean())
    verifie_proche(obtenu, attendu, "evaluate avec l'erreur absolue moyenne (lots de 4, 4 et 2)",
                   "la moyenne PAR ÉCHANTILLON sur tout le chargeur, en mode évaluation (model.eval()), sans gradient",
                   rtol=1e-5)
    assert all(p.grad is None for p in modele.parameters()), (
        "evaluate : aucun gradient attendu (torch.no_grad()), obtenu des gradients dans les paramètres")
