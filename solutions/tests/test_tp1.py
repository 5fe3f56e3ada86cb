"""Tests publics du TP1 : lancez `grader check tp1` (ou `python -m pytest tests/test_tp1.py`) à la
racine de votre dépôt.

Un test par fonction (ou par petit groupe de fonctions) : valeurs en plusieurs points, dont des
points tirés au hasard, dérivées comparées à des différences finies, exemples du cours et des
docstrings, biais, formes. Un test qui échoue dit ce qui était attendu et ce que votre code a
donné. Les tests cachés, qui donnent la note, vérifient les mêmes idées sur d'autres données (et
l'apprentissage sur de vraies données) : un test public qui échoue annonce des points perdus,
mais les réussir tous ne garantit pas la note maximale.
"""
import numpy as np
from aides import en_tableau, gradient_numerique, montre, sigmoide, un_nombre, verifie_proche

from tp1 import activations, descent, losses, mlp, perceptron

# Des points fixes (dont 0) et des points tirés au hasard.
POINTS = np.array([-4.0, -1.5, -0.3, 0.0, 0.7, 2.0, 5.0])
HASARD = np.random.default_rng(1789).normal(scale=2.5, size=(3, 4))


def derivee_numerique(f, z):
    """f'(zᵢ) pour une fonction f appliquée élément par élément, par différences finies."""
    return gradient_numerique(lambda v: float(np.sum(f(v))), z)


# ------------------------------------------------------------------ activations.py

def test_sigmoide():
    for z in (POINTS, HASARD):
        verifie_proche(activations.sigmoid(z), sigmoide(z), f"sigmoid({montre(z)})", "σ(z) = 1 / (1 + exp(−z))")
    extremes = en_tableau(activations.sigmoid(np.array([-900.0, 900.0])), "sigmoid([−900, 900])", (2,))
    assert np.allclose(extremes, [0.0, 1.0]), (
        f"sigmoid([−900, 900]) : attendu [0, 1] (limites en −∞ et +∞), obtenu {montre(extremes)}")


def test_derivee_de_la_sigmoide():
    for z in (POINTS, HASARD):
        assert not np.allclose(en_tableau(activations.sigmoid_prime(z), "sigmoid_prime(z)"), z * (1 - z)), (
            f"sigmoid_prime({montre(z)}) : attendu σ(z) · (1 − σ(z)), obtenu z · (1 − z) : la fonction reçoit z (pas σ(z))")
    verifie_proche(activations.sigmoid_prime(np.array([0.0])), [0.25], "sigmoid_prime([0])")
    for z in (POINTS, HASARD):
        verifie_proche(activations.sigmoid_prime(z), derivee_numerique(sigmoide, z), f"sigmoid_prime({montre(z)})",
                       "σ'(z) = σ(z) · (1 − σ(z)), comparée à des différences finies", rtol=1e-5, atol=1e-8)


def test_tanh():
    for z in (POINTS, HASARD):
        verifie_proche(activations.tanh(z), np.tanh(z), f"tanh({montre(z)})")


def test_derivee_de_tanh():
    for z in (POINTS, HASARD):
        assert not np.allclose(en_tableau(activations.tanh_prime(z), "tanh_prime(z)"), 1 - z ** 2), (
            f"tanh_prime({montre(z)}) : attendu 1 − tanh(z)², obtenu 1 − z² : la fonction reçoit z (pas tanh(z))")
    for z in (POINTS, HASARD):
        verifie_proche(activations.tanh_prime(z), derivee_numerique(np.tanh, z), f"tanh_prime({montre(z)})",
                       "tanh'(z) = 1 − tanh(z)², comparée à des différences finies (pas 1 − z²)", rtol=1e-5, atol=1e-8)


def test_relu_et_sa_derivee():
    verifie_proche(activations.relu(POINTS), [0, 0, 0, 0, 0.7, 2, 5], f"relu({montre(POINTS)})", "max(0, z)")
    verifie_proche(activations.relu(HASARD), np.where(HASARD > 0, HASARD, 0.0), "relu sur des points au hasard")
    verifie_proche(activations.relu_prime(POINTS), [0, 0, 0, 0, 1, 1, 1], f"relu_prime({montre(POINTS)})",
                   "1 là où z > 0, 0 ailleurs (convention : 0 en z = 0)")


def softmax_attendue(z):
    exponentielles = np.exp(z - np.max(z))  # z est petit ici : la référence peut se permettre un max global
    return exponentielles / np.sum(exponentielles, axis=-1)[..., None]


def test_softmax_valeurs():
    z = np.random.default_rng(1848).normal(size=(3, 5))  # 3 lignes de 5 scores : l'axe compte
    verifie_proche(activations.softmax(z), softmax_attendue(z), "softmax de 3 lignes de 5 scores",
                   "exp(zᵢ) / Σⱼ exp(zⱼ) sur le DERNIER axe, pour chaque ligne")
    verifie_proche(activations.softmax(z[1]), softmax_attendue(z[1]), "softmax d'un vecteur 1-D")
    lot = np.stack([z[:2], z[1:]])  # forme (2, 2, 5)
    verifie_proche(activations.softmax(lot), softmax_attendue(lot), "softmax d'un tableau (2, 2, 5)")


def test_softmax_donne_des_probabilites():
    z = np.random.default_rng(1870).normal(scale=4.0, size=(4, 3))
    p = en_tableau(activations.softmax(z), "softmax(z)", z.shape)
    assert np.all(p > 0) and np.allclose(p.sum(axis=-1), 1.0), (
        f"chaque ligne de softmax doit être positive et sommer à 1 : sommes obtenues {montre(p.sum(axis=-1))}")
    assert np.array_equal(p.argmax(axis=-1), z.argmax(axis=-1)), (
        f"softmax garde l'ordre des scores : plus grande probabilité attendue aux colonnes {montre(z.argmax(axis=-1))} "
        f"de chaque ligne, obtenue aux colonnes {montre(p.argmax(axis=-1))}")


def test_softmax_stable_pour_de_grandes_valeurs():
    z = np.array([[1000.0, 999.0], [-1000.0, -1001.0], [0.5, 2.5]])
    attendu = [[0.7311, 0.2689], [0.7311, 0.2689], [0.1192, 0.8808]]
    verifie_proche(activations.softmax(z), attendu, f"softmax({montre(z)})",
                   "soustrayez le maximum de CHAQUE ligne avant l'exponentielle", rtol=1e-3, atol=1e-4)


# ------------------------------------------------------------------ losses.py

def test_mse():
    assert np.isclose(un_nombre(losses.mse(np.array([1.0, 3.0]), np.array([0.0, 1.0])), "mse"), 2.5), (
        "mse([1, 3], [0, 1]) : attendu 2.5")
    rng = np.random.default_rng(1905)
    a, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    obtenu = un_nombre(losses.mse(a, y), "mse sur 5 × 2 valeurs")
    attendu = float(np.sum((a - y) ** 2) / a.size)
    assert np.isclose(obtenu, attendu), (
        f"mse sur 5 × 2 valeurs : attendu {attendu:.6f} (moyenne des (a − y)² sur les 10 éléments), obtenu {montre(obtenu)}")


def test_gradient_de_la_mse():
    verifie_proche(losses.mse_grad(np.array([1.0, 3.0]), np.array([0.0, 1.0])), [1.0, 2.0], "mse_grad([1, 3], [0, 1])")
    rng = np.random.default_rng(1914)
    for forme in ((4, 3), (6,)):
        a, y = rng.normal(size=forme), rng.normal(size=forme)
        attendu = gradient_numerique(lambda v: float(np.mean((v - y) ** 2)), a)
        verifie_proche(losses.mse_grad(a, y), attendu, f"mse_grad sur un tableau {forme}",
                       "2 (a − y) / N avec N le nombre d'ÉLÉMENTS, comparé à des différences finies", rtol=1e-5)


# ------------------------------------------------------------------ perceptron.py

def test_prediction_du_perceptron():
    w, b = np.array([2.0, -1.0]), -1.0
    X = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [-1.0, -4.0]])  # x·w + b = 1, −1, 0, 2.5, 1
    sortie = en_tableau(perceptron.predict(w, b, X), "predict(w, b, X)", (5,))
    assert np.array_equal(sortie, [1, 0, 0, 1, 1]), (
        f"predict : attendu [1, 0, 0, 1, 1] (1 si x·w + b > 0 ; la troisième ligne donne exactement 0), "
        f"obtenu {montre(sortie)}")


def test_regle_de_mise_a_jour_du_perceptron():
    w = np.array([1.0, -1.0])
    gardee = w.copy()
    # (x, y, w attendu, b attendu) avec b = 0.5 et α = 0.25 ; f(x) = 1 si x·w + 0.5 > 0
    cas = [(np.array([0.0, 2.0]), 1, [1.0, -0.5], 0.75),   # f = 0, y = 1 : w + α x, b + α
           (np.array([3.0, 1.0]), 0, [0.25, -1.25], 0.25),  # f = 1, y = 0 : w − α x, b − α
           (np.array([3.0, 1.0]), 1, [1.0, -1.0], 0.5)]     # bonne réponse : rien ne change
    for x, y, w_attendu, b_attendu in cas:
        w = gardee.copy()
        nouveau = perceptron.update(w, 0.5, x, y, 0.25)
        assert np.array_equal(w, gardee), (f"update(x = {montre(x)}, y = {y}) a modifié le w reçu : {montre(gardee)} "
                                           f"avant l'appel, {montre(w)} après (renvoyez un nouveau tableau : w = w + …, "
                                           "pas w += …)")
        assert isinstance(nouveau, (tuple, list)) and len(nouveau) == 2, (
            f"update : le couple (w, b) attendu, obtenu {montre(nouveau)}")
        verifie_proche(nouveau[0], w_attendu, f"w après update(x = {montre(x)}, y = {y})", "wᵢ ← wᵢ + α (y − f(x)) xᵢ")
        verifie_proche(nouveau[1], b_attendu, f"b après update(x = {montre(x)}, y = {y})", "b ← b + α (y − f(x))")


def test_apprentissage_du_perceptron():
    X = np.array([[2.0, 1.0], [1.0, 3.0], [3.0, 2.0], [0.5, 0.5]])
    y = np.array([1, 0, 1, 0])
    w, b = perceptron.train(X, y, lr=0.5, epochs=0)
    verifie_proche(w, [0.0, 0.0], "w avec epochs = 0", "on part de w = 0")
    verifie_proche(b, 0.0, "b avec epochs = 0", "on part de b = 0")
    # Les mêmes époques à la main, avec votre `update`, en parcourant les échantillons dans l'ordre.
    w_attendu, b_attendu = np.zeros(2), 0.0
    for _ in range(3):
        for xi, yi in zip(X, y):
            w_attendu, b_attendu = perceptron.update(w_attendu, b_attendu, xi, yi, 0.5)
    w, b = perceptron.train(X, y, lr=0.5, epochs=3)
    verifie_proche(w, w_attendu, "w après 3 époques", "départ w = 0, b = 0, échantillons dans l'ordre, "
                   "`epochs` époques complètes d'update")
    verifie_proche(b, b_attendu, "b après 3 époques")
    ET = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    w, b = perceptron.train(ET, np.array([0, 0, 0, 1]), lr=0.1, epochs=20)
    sortie = perceptron.predict(w, b, ET)
    assert np.array_equal(sortie, [0, 0, 0, 1]), (
        f"le « et » logique est séparable : attendu [0, 0, 0, 1], obtenu {montre(sortie)}")


# ------------------------------------------------------------------ descent.py

def test_descente_de_gradient_pas_a_pas():
    verifie_proche(descent.gradient_descent(lambda x: 2 * x, np.array([1.0]), 0.25, 2), [[1.0], [0.5], [0.25]],
                   "l'exemple de la docstring")
    depart = np.array([3.0, -1.0])
    chemin = descent.gradient_descent(lambda x: 2 * x, depart, 0.1, 3)  # f(x) = x² : x ← 0,8 x
    verifie_proche(chemin, [[3.0, -1.0], [2.4, -0.8], [1.92, -0.64], [1.536, -0.512]],
                   "gradient_descent(2x, [3, −1], 0.1, 3)", "x₀ d'abord, puis x_{t+1} = x_t − λ · grad(x_t)")
    assert np.array_equal(depart, [3.0, -1.0]), (
        f"gradient_descent ne doit pas modifier x0 : attendu [3, −1], obtenu {montre(depart)}")
    matrice = descent.gradient_descent(lambda x: x - 1.0, np.zeros((2, 2)), 0.5, 4)
    assert en_tableau(matrice, "gradient_descent depuis un x0 de forme (2, 2)").shape == (5, 2, 2), (
        f"avec x0 de forme (2, 2) et 4 pas, forme attendue (5, 2, 2), obtenue {np.shape(matrice)}")


def test_descente_convexe_et_non_convexe():
    chemin = en_tableau(descent.gradient_descent(lambda x: 2 * (x - 2.0), np.array([-1.0]), 0.2, 60), "chemin")
    assert abs(chemin[-1, 0] - 2.0) < 1e-6, (
        f"sur f(x) = (x − 2)², la descente doit atteindre 2, obtenu {montre(chemin[-1])}")
    # f(x) = (x² − 1)² a deux minima, −1 et 1 : le point de départ décide lequel on atteint.
    pente = lambda x: 4 * x * (x ** 2 - 1)  # noqa: E731
    fins = [en_tableau(descent.gradient_descent(pente, np.array([x0]), 0.05, 300), "chemin")[-1, 0] for x0 in (-0.4, 0.4)]
    assert np.allclose(fins, [-1.0, 1.0], atol=1e-4), (
        f"sur f(x) = (x² − 1)², partir de −0,4 et de 0,4 doit mener à −1 et 1 : obtenu {montre(fins)}")


# ------------------------------------------------------------------ mlp.py

def test_nombre_de_parametres():
    for tailles, nombre in (([576, 288, 144, 1], 207_937), ([3, 4, 2], 26), ([10, 1], 11), ([784, 100, 10], 79_510)):
        obtenu = mlp.n_parameters(tailles)
        assert obtenu == nombre and isinstance(obtenu, (int, np.integer)), (
            f"n_parameters({tailles}) : attendu l'entier {nombre} (Σ hᵢ·hᵢ₊₁ + hᵢ₊₁, poids et biais), "
            f"obtenu {obtenu!r} ({type(obtenu).__name__})")


def test_initialisation_des_parametres():
    for tailles in ([3, 6, 2], [5, 4, 3, 1]):
        params = mlp.init_params(tailles, seed=42)
        assert len(params) == len(tailles) - 1, f"init_params({tailles}) : {len(tailles) - 1} couples (W, b) attendus"
        for couche, ((W, b), n_in, n_out) in enumerate(zip(params, tailles[:-1], tailles[1:]), start=1):
            en_tableau(W, f"W de la couche {couche}", (n_in, n_out))
            verifie_proche(b, np.zeros(n_out), f"b de la couche {couche}", "b de forme (n_sortie,), nul au départ")
            assert np.std(W) > 0, f"W de la couche {couche} doit être tiré au hasard (valeurs toutes égales obtenues)"
    encore, autre = mlp.init_params([3, 6, 2], seed=42), mlp.init_params([3, 6, 2], seed=43)
    premier = mlp.init_params([3, 6, 2], seed=42)
    assert all(np.array_equal(a[0], c[0]) for a, c in zip(premier, encore)), (
        "init_params([3, 6, 2], seed=42) deux fois : les mêmes W attendus, obtenu des W différents")
    assert not np.array_equal(premier[0][0], autre[0][0]), (
        "init_params avec seed=42 puis seed=43 : des W différents attendus, obtenu les mêmes")


def parametres_au_hasard(tailles, graine):
    """Des (W, b) quelconques, biais NON nuls : un oubli de b se voit."""
    rng = np.random.default_rng(graine)
    return [(rng.normal(size=(n_in, n_out)), rng.normal(size=n_out)) for n_in, n_out in zip(tailles[:-1], tailles[1:])]


def propagation(params, X):
    couches = [np.asarray(X, dtype=float)]
    for W, b in params:
        couches.append(sigmoide(couches[-1] @ W + b))
    return couches


def test_propagation_avant():
    un = mlp.forward([(np.array([[1.0], [2.0]]), np.array([0.5]))], np.array([[1.0, -1.0]]))
    verifie_proche(un[-1], [[sigmoide(-0.5)]], "une couche, W = [[1], [2]], b = [0.5], x = [[1, −1]]",
                   "σ(1·1 + (−1)·2 + 0.5) = σ(−0.5) : n'oubliez pas le biais")
    params = parametres_au_hasard([3, 6, 2], 1815)
    X = np.random.default_rng(1830).normal(size=(7, 3))
    obtenu, attendu = mlp.forward(params, X), propagation(params, X)
    assert isinstance(obtenu, (list, tuple)) and len(obtenu) == 3, (
        f"forward doit renvoyer la liste [X, a₁, a₂] (3 tableaux ici), obtenu {type(obtenu).__name__} "
        f"de longueur {len(obtenu) if hasattr(obtenu, '__len__') else '?'}")
    for couche, (a, w) in enumerate(zip(obtenu, attendu)):
        verifie_proche(a, w, f"activation a_{couche} de forward", "a₀ = X puis a_l = σ(a_{l−1} · W_l + b_l) sur "
                       "toutes les couches")


def test_retropropagation_differences_finies():
    for tailles, graine in (([3, 5, 2], 1871), ([2, 3, 4, 1], 1903)):
        params = parametres_au_hasard(tailles, graine)
        rng = np.random.default_rng(graine + 1)
        X, Y = rng.normal(size=(5, tailles[0])), rng.uniform(size=(5, tailles[-1]))
        gradients = mlp.backward(params, X, Y)
        assert len(gradients) == len(params), (f"backward : un couple (dW, db) par couche attendu ({len(params)}), "
                                               f"obtenu {len(gradients)}")
        for couche, (dW, db) in enumerate(gradients):
            def cout(valeur, indice):
                essai = [list(p) for p in params]
                essai[couche][indice] = valeur
                return float(np.mean((propagation(essai, X)[-1] - Y) ** 2))

            verifie_proche(dW, gradient_numerique(lambda v: cout(v, 0), params[couche][0]),
                           f"réseau {tailles}, dW de la couche {couche + 1}",
                           "comparé à des différences finies du coût mse (backward s'appuie sur forward : "
                           "vérifiez d'abord test_propagation_avant)", rtol=1e-4, atol=1e-8)
            verifie_proche(db, gradient_numerique(lambda v: cout(v, 1), params[couche][1]),
                           f"réseau {tailles}, db de la couche {couche + 1}",
                           "db = somme de δ sur les échantillons, comparé à des différences finies", rtol=1e-4, atol=1e-8)


def test_entrainement_pas_a_pas():
    rng = np.random.default_rng(1944)
    tailles, X, Y = [3, 4, 2], rng.normal(size=(8, 3)), rng.uniform(size=(8, 2))
    attendu = mlp.init_params(tailles, 5)
    for epoque in range(2):
        gradients = mlp.backward(attendu, X, Y)
        attendu = [(W - 0.3 * dW, b - 0.3 * db) for (W, b), (dW, db) in zip(attendu, gradients)]
        obtenu = mlp.train(X, Y, tailles, 0.3, epoque + 1, 5)
        for couche, ((W, b), (W_att, b_att)) in enumerate(zip(obtenu, attendu), start=1):
            indice = ("départ init_params(sizes, seed), puis à chaque époque W ← W − lr·dW et b ← b − lr·db "
                      "avec les gradients de backward sur TOUT le jeu")
            verifie_proche(W, W_att, f"W de la couche {couche} après {epoque + 1} époque(s)", indice)
            verifie_proche(b, b_att, f"b de la couche {couche} après {epoque + 1} époque(s)", indice)


def test_entrainement_apprend_deux_nuages_de_points():
    rng = np.random.default_rng(1968)
    X = np.concatenate([rng.normal(loc=-1.0, scale=0.6, size=(40, 2)), rng.normal(loc=1.0, scale=0.6, size=(40, 2))])
    Y = np.repeat([0.0, 1.0], 40)[:, None]
    params = mlp.train(X, Y, [2, 4, 1], 2.0, 300, 0)
    justes = float(np.mean((propagation(params, X)[-1] > 0.5) == Y))
    assert justes >= 0.9, (f"deux nuages de points bien séparés, réseau 2 → 4 → 1, 300 époques de pas 2 : au moins "
                           f"90 % de bonnes réponses attendues, obtenu {justes:.0%}")
