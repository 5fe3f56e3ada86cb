import math
import numpy as np


def train_test_split(X, y, test_size=0.3, seed=0, stratify=False):
    rng = np.random.default_rng(seed)
    n = len(X)
    if not stratify:
        idx = rng.permutation(n)
        n_test = math.ceil(test_size * n)
        te, tr = idx[:n_test], idx[n_test:]
    else:
        te, tr = [], []
        for c in np.unique(y):
            ids = np.flatnonzero(y == c)
            rng.shuffle(ids)
            k = math.ceil(test_size * len(ids))
            te += list(ids[:k]); tr += list(ids[k:])
        te, tr = np.array(te), np.array(tr)
    return X[tr], X[te], y[tr], y[te]


def kfold_indices(n, k=5, seed=0):
    idx = list(np.random.default_rng(seed).permutation(n))
    out = []
    start = 0
    for i in range(k):
        size = n // k + (1 if i < n % k else 0)
        val = idx[start:start + size]
        train = idx[:start] + idx[start + size:]
        out.append((np.array(train), np.array(val)))
        start += size
    return out


def cross_validate(fit_and_score, X, y, k=5, seed=0):
    scores = []
    for tr, va in kfold_indices(len(X), k, seed):
        scores.append(fit_and_score(X[tr], y[tr], X[va], y[va]))
    m = sum(scores) / k
    return m, math.sqrt(sum((s - m) ** 2 for s in scores) / k)


def minibatches(X, y, batch_size, seed):
    idx = np.random.default_rng(seed).permutation(len(X))
    return [(X[idx[i:i + batch_size]], y[idx[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


def polynomial_errors(x_train, y_train, x_test, y_test, degrees):
    """Least squares through a Vandermonde matrix instead of np.polyfit."""
    train_errors, test_errors = [], []
    for degree in degrees:
        design = np.vander(np.asarray(x_train, dtype=float), degree + 1)
        coefs, *_ = np.linalg.lstsq(design, np.asarray(y_train, dtype=float), rcond=None)
        predict = lambda x: np.vander(np.asarray(x, dtype=float), degree + 1) @ coefs  # noqa: E731
        train_errors.append(float(np.mean((predict(x_train) - y_train) ** 2)))
        test_errors.append(float(np.mean((predict(x_test) - y_test) ** 2)))
    return train_errors, test_errors
