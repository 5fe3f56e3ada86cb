import numpy as np


def train_test_split(X, y, test_size=0.3, seed=0, stratify=False):
    X, y = np.asarray(X), np.asarray(y)
    order = np.random.default_rng(seed).permutation(len(y))
    if stratify:
        test = []
        for c in sorted(set(y.tolist())):
            of_c = [i for i in order if y[i] == c]
            test += of_c[:int(round(test_size * len(of_c)))]
    else:
        test = list(order[:int(round(test_size * len(y)))])
    is_test = np.isin(np.arange(len(y)), test)
    return X[~is_test], X[is_test], y[~is_test], y[is_test]


def kfold_indices(n, k=5, seed=0):
    order = np.random.default_rng(seed).permutation(n)
    folds = np.array_split(order, k)
    return [(np.setdiff1d(order, fold, assume_unique=True), fold) for fold in folds]


def cross_validate(fit_and_score, X, y, k=5, seed=0):
    X, y = np.asarray(X), np.asarray(y)
    results = [float(fit_and_score(X[a], y[a], X[b], y[b])) for a, b in kfold_indices(len(X), k, seed)]
    return float(np.mean(results)), float(np.std(results, ddof=0))


def minibatches(X, y, batch_size, seed):
    X, y = np.asarray(X), np.asarray(y)
    indices = np.random.default_rng(seed).permutation(X.shape[0])
    start = 0
    while start < len(indices):
        chosen = indices[start:start + batch_size]
        start += batch_size
        yield X[chosen], y[chosen]


def polynomial_errors(x_train, y_train, x_test, y_test, degrees):
    def error(coefficients, x, y):
        return float(((np.polyval(coefficients, x) - y) ** 2).mean())

    fits = [np.polyfit(x_train, y_train, degree) for degree in degrees]
    return [error(c, x_train, y_train) for c in fits], [error(c, x_test, y_test) for c in fits]
