"""Préparer les données : base d'apprentissage et base de test, validation croisée, mini-lots.

Le hasard ne dépend que de `seed` (par exemple avec `np.random.default_rng(seed)`) : la même
graine redonne le même découpage, une autre graine en donne un autre.
"""
import numpy as np


def train_test_split(X, y, test_size=0.3, seed=0, stratify=False):
    """Découpe (X, y) en une base d'apprentissage et une base de test (70 % / 30 % par défaut).

    Mélangez les indices 0…N−1 avec la graine, puis mettez round(test_size · N) échantillons en
    test et les autres en apprentissage ; chaque échantillon va dans une seule des deux bases,
    et chaque yᵢ reste avec son Xᵢ.
    Avec stratify=True (y : étiquettes de classes, forme (N,)), on découpe classe par classe :
    round(test_size · N_c) échantillons de chaque classe c vont en test, pour garder les mêmes
    proportions de classes dans les deux bases.
    X : (N, d), y : (N,) ou (N, k). Renvoie (X_train, X_test, y_train, y_test).
    Exemple : avec N = 10 et test_size = 0.3, X_test a 3 lignes et X_train 7.
    """
    ### BEGIN SOLUTION
    X, y = np.asarray(X), np.asarray(y)
    order = np.random.default_rng(seed).permutation(len(X))
    if stratify:
        groups = [order[y[order] == c] for c in np.unique(y)]
        test = np.concatenate([g[:int(round(test_size * len(g)))] for g in groups])
    else:
        test = order[:int(round(test_size * len(X)))]
    in_test = np.zeros(len(X), dtype=bool)
    in_test[test] = True
    train, test = order[~in_test[order]], order[in_test[order]]
    return X[train], X[test], y[train], y[test]
    ### END SOLUTION


def kfold_indices(n, k=5, seed=0):
    """Les k plis de la validation croisée sur n échantillons.

    Mélangez les indices 0…n−1 avec la graine et coupez-les en k plis de tailles égales à un
    près (np.array_split). Le pli i sert de validation ; les k − 1 autres, réunis, servent à
    l'apprentissage. Chaque indice est dans exactement un pli de validation.
    Renvoie une liste de k couples (train_idx, val_idx) de tableaux d'entiers.
    Exemple : kfold_indices(10, k=5) → 5 couples, chaque val_idx a 2 indices et train_idx 8.
    """
    ### BEGIN SOLUTION
    folds = np.array_split(np.random.default_rng(seed).permutation(n), k)
    return [(np.concatenate(folds[:i] + folds[i + 1:]), fold) for i, fold in enumerate(folds)]
    ### END SOLUTION


def cross_validate(fit_and_score, X, y, k=5, seed=0):
    """Validation croisée à k plis, avec les plis de `kfold_indices(len(X), k, seed)`.

    Pour chaque pli, `fit_and_score(X_train, y_train, X_val, y_val)` apprend un modèle sur
    l'apprentissage et renvoie son score P (un nombre) sur la validation. On fait donc k
    apprentissages, puis on résume les k scores par leur moyenne et leur écart-type
    (np.std avec ddof=0, l'écart-type de numpy par défaut).
    Renvoie le couple (moyenne, écart_type) de deux floats.
    """
    ### BEGIN SOLUTION
    X, y = np.asarray(X), np.asarray(y)
    scores = [fit_and_score(X[train], y[train], X[val], y[val]) for train, val in kfold_indices(len(X), k, seed)]
    return float(np.mean(scores)), float(np.std(scores))
    ### END SOLUTION


def minibatches(X, y, batch_size, seed):
    """Les mini-lots d'une époque : un générateur (écrivez-le avec `yield`) de couples (Xb, yb).

    Mélangez les indices avec la graine, puis découpez-les dans l'ordre en lots de
    `batch_size` échantillons ; le dernier lot peut être plus petit. Chaque échantillon
    apparaît une et une seule fois par époque, et chaque yᵢ reste avec son Xᵢ.
    X : (N, d) ; y : (N,) ou (N, k) (étiquettes one-hot, cibles (N, 1)) : chaque lot garde la
    forme de y, yb de forme (taille du lot,) ou (taille du lot, k) (pas de reshape en ligne
    (1, m) ni en colonne). Un générateur (yield) ou une liste de couples conviennent.
    Exemple : 10 échantillons et batch_size = 4 → trois lots de 4, 4 et 2 échantillons.
    """
    ### BEGIN SOLUTION
    X, y = np.asarray(X), np.asarray(y)
    order = np.random.default_rng(seed).permutation(len(X))
    for start in range(0, len(X), batch_size):
        batch = order[start:start + batch_size]
        yield X[batch], y[batch]
    ### END SOLUTION


def polynomial_errors(x_train, y_train, x_test, y_test, degrees):
    """Biais et variance sur un exemple : ajuster des polynômes de degré croissant.

    Pour chaque degré d de `degrees`, ajustez un polynôme de degré d aux points (x_train,
    y_train) par moindres carrés (`np.polyfit(x_train, y_train, d)`), puis calculez son erreur
    quadratique moyenne sur l'entraînement et sur le test (`np.polyval`).
    Renvoie le couple (erreurs_train, erreurs_test) de deux listes de floats, dans l'ordre
    de `degrees`.

    À observer : l'erreur d'entraînement ne fait que baisser quand le degré monte ; l'erreur de
    test baisse d'abord (moins de biais), puis remonte (trop de variance : le modèle apprend le
    bruit, il généralise mal — comme la ligne de séparation « sans erreur » de l'exemple des arbres).
    """
    ### BEGIN SOLUTION
    train_errors, test_errors = [], []
    for degree in degrees:
        coefs = np.polyfit(x_train, y_train, degree)
        train_errors.append(float(np.mean((np.polyval(coefs, x_train) - y_train) ** 2)))
        test_errors.append(float(np.mean((np.polyval(coefs, x_test) - y_test) ** 2)))
    return train_errors, test_errors
    ### END SOLUTION
