"""Hidden tests of tp2/data.py: the 70/30 split (sizes, disjoint, pairs kept, stratified), the
k folds (a partition of the samples), cross-validation's mean and standard deviation over the
student's own folds, and mini-batches (every sample once per pass). Each row of X carries its
sample's number, so the tests can follow every sample."""
import numpy as np

from grader.sandbox.runtime.probes import nearest_centroid_score
from grader.sandbox import CallFailure
from grader.grading.testkit import as_array, as_float, expect


def numbered(n):
    """X whose row i is (i, −i, 0.5·i), and y = 10·i: the pairs can be checked after shuffling."""
    i = np.arange(n, dtype=float)
    return np.stack([i, -i, 0.5 * i], axis=1), 10 * np.arange(n)


def split(student, X, y, **kwargs):
    got = student.call("tp2.data.train_test_split", X, y, **kwargs)
    expect(isinstance(got, (tuple, list)) and len(got) == 4,
           "train_test_split doit renvoyer (X_train, X_test, y_train, y_test)")
    X_train, X_test = as_array(got[0], "X_train"), as_array(got[1], "X_test")
    y_train, y_test = as_array(got[2], "y_train"), as_array(got[3], "y_test")
    for Xs, ys, name in ((X_train, y_train, "apprentissage"), (X_test, y_test, "test")):
        expect(Xs.ndim == 2 and Xs.shape[1] == X.shape[1] and ys.shape == (len(Xs),),
               f"base d'{name} : X doit garder ses colonnes et y avoir une valeur par ligne de X")
        expect(np.array_equal(ys, 10 * Xs[:, 0]), f"base d'{name} : chaque yᵢ doit rester avec son Xᵢ")
    ids = np.concatenate([X_train[:, 0], X_test[:, 0]])
    expect(np.array_equal(np.sort(ids), np.arange(len(X))),
           "chaque échantillon doit être dans une seule des deux bases, et aucun ne doit manquer")
    return X_train[:, 0].astype(int), X_test[:, 0].astype(int)


def test_train_test_split_sizes_and_disjoint(student):
    X, y = numbered(50)
    train, test = split(student, X, y)
    expect(abs(len(test) - 15) <= 1, "par défaut (test_size = 0.3), la base de test doit avoir 30 % des échantillons")
    _, test_20 = split(student, X, y, test_size=0.2, seed=0)
    expect(abs(len(test_20) - 10) <= 1, "avec test_size = 0.2, la base de test doit avoir 20 % des échantillons")
    _, again = split(student, X, y, seed=0)
    _, other = split(student, X, y, seed=1)
    got = student.call("tp2.data.train_test_split", X, np.stack([y, y + 1], axis=1), seed=0)
    expect(isinstance(got, (tuple, list)) and len(got) == 4 and np.shape(got[2]) == (35, 2) and np.shape(got[3]) == (15, 2)
           and np.array_equal(np.asarray(got[2])[:, 0], 10 * np.asarray(got[0])[:, 0]),
           "avec y de forme (N, k) (ici (50, 2)), y_train et y_test doivent garder leurs k colonnes, chaque ligne avec son Xᵢ")
    expect(np.array_equal(np.sort(again), np.sort(test)), "la même graine doit redonner le même découpage")
    expect(not np.array_equal(np.sort(other), np.sort(test)), "une autre graine doit donner un autre découpage")
    expect(not np.array_equal(np.sort(test), np.arange(35, 50)) and not np.array_equal(np.sort(test), np.arange(15)),
           "les échantillons doivent être mélangés avant le découpage")


def test_train_test_split_stratified(student):
    X, _ = numbered(100)
    labels = np.repeat([0, 1, 2], [60, 30, 10])
    np.random.default_rng(41).shuffle(labels)
    got = student.call("tp2.data.train_test_split", X, labels, test_size=0.3, seed=2, stratify=True)
    expect(isinstance(got, (tuple, list)) and len(got) == 4,
           "train_test_split doit renvoyer (X_train, X_test, y_train, y_test)")
    X_train, X_test = as_array(got[0], "X_train"), as_array(got[1], "X_test")
    y_train, y_test = as_array(got[2], "y_train"), as_array(got[3], "y_test")
    ids = np.concatenate([X_train[:, 0], X_test[:, 0]]).astype(int)
    expect(np.array_equal(np.sort(ids), np.arange(100)), "chaque échantillon doit être dans une seule des deux bases")
    expect(np.array_equal(np.concatenate([y_train, y_test]), labels[ids]), "chaque yᵢ doit rester avec son Xᵢ")
    for c, n_c in ((0, 60), (1, 30), (2, 10)):
        expect(abs(np.sum(y_test == c) - 0.3 * n_c) <= 1,
               "avec stratify=True, chaque classe doit avoir 30 % de ses échantillons dans la base de test")


def folds_of(student, n, k, seed):
    got = student.call("tp2.data.kfold_indices", n, k=k, seed=seed)
    expect(isinstance(got, (list, tuple)) and len(got) == k, f"kfold_indices(n, k={k}) doit renvoyer {k} couples")
    folds = []
    for pair in got:
        expect(isinstance(pair, (list, tuple)) and len(pair) == 2, "chaque pli doit être un couple (train_idx, val_idx)")
        train, val = as_array(pair[0], "train_idx"), as_array(pair[1], "val_idx")
        expect(train.ndim == 1 and val.ndim == 1 and np.all(train == np.round(train)) and np.all(val == np.round(val)),
               "train_idx et val_idx doivent être des tableaux d'indices entiers")
        folds.append((train.astype(int), val.astype(int)))
    return folds


def test_kfold_folds_partition_the_samples(student):
    for n, k in ((23, 5), (10, 3)):
        folds = folds_of(student, n, k, 0)
        everything = np.concatenate([val for _, val in folds])
        expect(np.array_equal(np.sort(everything), np.arange(n)), f"avec n = {n} et k = {k}, les plis de validation "
               "doivent être disjoints et contenir chaque échantillon exactement une fois")
        sizes = [len(val) for _, val in folds]
        expect(max(sizes) - min(sizes) <= 1, "les plis doivent avoir la même taille, à un près")
        for train, val in folds:
            expect(np.array_equal(np.sort(train), np.setdiff1d(np.arange(n), val)),
                   "train_idx doit contenir tous les échantillons qui ne sont pas dans le pli de validation, une fois chacun")
    first, again, other = (folds_of(student, 23, 5, seed) for seed in (0, 0, 1))
    expect(all(np.array_equal(a[1], b[1]) for a, b in zip(first, again)), "la même graine doit redonner les mêmes plis")
    expect(any(not np.array_equal(np.sort(a[1]), np.sort(b[1])) for a, b in zip(first, other)),
           "une autre graine doit donner d'autres plis (mélangez les indices)")


def blobs(seed):
    """Three overlapping classes in the plane: the nearest-mean accuracy changes from fold to fold."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], 20)
    X = rng.normal(scale=1.3, size=(60, 2)) + np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.7]])[y]
    return X, y


def test_cross_validate_mean_and_std(student):
    X, y = blobs(42)
    for k, seed in ((5, 7), (4, 3)):
        got = student.call("tp2.data.cross_validate", None, X, y, k=k, seed=seed,
                           callables={"0": {"kind": "nearest_centroid"}})
        expect(isinstance(got, (tuple, list)) and len(got) == 2, "cross_validate doit renvoyer (moyenne, écart_type)")
        mean, std = as_float(got[0], "moyenne des scores"), as_float(got[1], "écart-type des scores")
        # The student's own folds: cross_validate must use kfold_indices(len(X), k, seed).
        folds = folds_of(student, len(X), k, seed)
        scores = [nearest_centroid_score(X[train], y[train], X[val], y[val]) for train, val in folds]
        expect(abs(mean - np.mean(scores)) < 1e-9, "cross_validate doit renvoyer la moyenne des k scores de "
               "fit_and_score, un par pli de kfold_indices(len(X), k, seed)")
        expect(abs(std - np.std(scores)) < 1e-9, "cross_validate doit renvoyer l'écart-type des k scores, "
               "avec ddof=0 (np.std par défaut)")


def run_minibatches(student, X, y, batch_size, seed):
    """One pass of the student's minibatches: a list of batches, or a generator run in the worker."""
    try:
        return student.call("tp2.data.minibatches", X, y, batch_size, seed)
    except CallFailure:  # a generator, which cannot cross: run in the worker
        student.expected_failure()
        n_batches = -(-len(X) // batch_size)
        return student.steps("tp2.data.minibatches", X, y, batch_size, seed, steps=[("send", (None,))] * n_batches)


def batches_of(student, X, y, batch_size, seed):
    """The batches of one pass. A generator cannot cross to the grader: the worker runs it with
    `send(None)` (next) once per expected batch. A list of batches is accepted as well."""
    n_batches = -(-len(X) // batch_size)
    got = run_minibatches(student, X, y, batch_size, seed)
    expect(isinstance(got, (list, tuple)) and len(got) == n_batches,
           f"minibatches doit donner {n_batches} lots pour {len(X)} échantillons et batch_size = {batch_size}")
    batches = []
    for pair in got:
        expect(isinstance(pair, (list, tuple)) and len(pair) == 2, "chaque lot doit être un couple (Xb, yb)")
        Xb, yb = as_array(pair[0], "Xb"), as_array(pair[1], "yb")
        expect(Xb.ndim == 2 and Xb.shape[1] == X.shape[1] and yb.shape == (len(Xb),), "Xb doit garder les colonnes de X "
               f"et yb, pour y de forme (N,), la forme (taille du lot,) : forme {yb.shape} obtenue pour un lot de {len(Xb)}")
        expect(np.array_equal(yb, 10 * Xb[:, 0]), "dans chaque lot, chaque yᵢ doit rester avec son Xᵢ")
        batches.append(Xb[:, 0].astype(int))
    return batches


def test_minibatches_cover_each_sample_once(student):
    X, y = numbered(23)
    batches = batches_of(student, X, y, 5, 0)
    expect([len(b) for b in batches] == [5, 5, 5, 5, 3],
           "les lots doivent avoir batch_size échantillons, sauf le dernier qui peut être plus petit")
    order = np.concatenate(batches)
    expect(np.array_equal(np.sort(order), np.arange(23)),
           "chaque échantillon doit apparaître une et une seule fois par époque")
    expect(not np.array_equal(order, np.arange(23)), "les échantillons doivent être mélangés avec la graine")
    expect(np.array_equal(np.concatenate(batches_of(student, X, y, 5, 0)), order),
           "la même graine doit redonner les mêmes lots")
    expect(not np.array_equal(np.concatenate(batches_of(student, X, y, 5, 1)), order),
           "une autre graine doit donner un autre ordre")
    whole = batches_of(student, X, y, 50, 0)
    expect(len(whole) == 1 and len(whole[0]) == 23, "avec batch_size ≥ N, il doit y avoir un seul lot de N échantillons")
    # Labels of shape (N, k), as fit passes them (one-hot classes, (N, 1) targets): each batch keeps that shape.
    got = run_minibatches(student, X, np.stack([y, y], axis=1), 10, 0)
    expect(isinstance(got, (list, tuple)) and [np.shape(pair[1]) for pair in got] == [(10, 2), (10, 2), (3, 2)],
           "avec y de forme (N, k) (ici (23, 2), lots de 10), chaque yb doit avoir la forme (taille du lot, k) : "
           "gardez la forme de y (pas de reshape en ligne (1, m) ni en colonne (m, 1))")


def test_bias_and_variance_with_polynomials(student):
    rng = np.random.default_rng(12)
    x_train, x_test = np.sort(rng.uniform(-1, 1, 15)), np.sort(rng.uniform(-1, 1, 200))
    truth = lambda x: np.sin(3 * x)  # noqa: E731
    y_train, y_test = truth(x_train) + rng.normal(0, 0.2, 15), truth(x_test) + rng.normal(0, 0.2, 200)
    degrees = [1, 3, 5, 9, 12]
    got = student.call("tp2.data.polynomial_errors", x_train, y_train, x_test, y_test, degrees)
    expect(isinstance(got, (list, tuple)) and len(got) == 2, "polynomial_errors doit renvoyer (erreurs_train, erreurs_test)")
    train = as_array(got[0], "erreurs d'entraînement", (len(degrees),))
    test = as_array(got[1], "erreurs de test", (len(degrees),))
    want_train, want_test = [], []
    for degree in degrees:
        coefs = np.polyfit(x_train, y_train, degree)
        want_train.append(np.mean((np.polyval(coefs, x_train) - y_train) ** 2))
        want_test.append(np.mean((np.polyval(coefs, x_test) - y_test) ** 2))
    expect(np.allclose(train, want_train, rtol=1e-4, atol=1e-8) and np.allclose(test, want_test, rtol=1e-4, atol=1e-8),
           "les erreurs doivent être les erreurs quadratiques moyennes des polynômes ajustés par moindres carrés")
    expect(np.all(np.diff(train) <= 1e-12) and test.argmin() not in (0, len(degrees) - 1),
           "l'erreur d'entraînement doit baisser avec le degré, l'erreur de test baisser puis remonter")
