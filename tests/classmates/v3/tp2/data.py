import numpy as np


def train_test_split(X, y, test_size=0.3, seed=0, stratify=False):
    X = np.asarray(X)
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    if not stratify:
        idx = rng.permutation(X.shape[0])
        n_test = int(round(test_size * X.shape[0]))
        test_idx, train_idx = idx[:n_test], idx[n_test:]
    else:
        test_parts, train_parts = [], []
        for label in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == label))
            cut = int(round(test_size * len(members)))
            test_parts.append(members[:cut])
            train_parts.append(members[cut:])
        test_idx, train_idx = np.concatenate(test_parts), np.concatenate(train_parts)
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def kfold_indices(n, k=5, seed=0):
    shuffled = np.random.default_rng(seed).permutation(n)
    chunks = np.array_split(shuffled, k)
    result = []
    for i in range(k):
        others = [chunks[j] for j in range(k) if j != i]
        result.append((np.concatenate(others), chunks[i]))
    return result


def cross_validate(fit_and_score, X, y, k=5, seed=0):
    X, y = np.asarray(X), np.asarray(y)
    scores = np.zeros(k)
    for i, (tr, va) in enumerate(kfold_indices(len(X), k=k, seed=seed)):
        scores[i] = fit_and_score(X[tr], y[tr], X[va], y[va])
    mean = scores.sum() / k
    return float(mean), float(np.sqrt(((scores - mean) ** 2).sum() / k))


def minibatches(X, y, batch_size, seed):
    X, y = np.asarray(X), np.asarray(y)
    perm = np.random.default_rng(seed).permutation(len(X))
    n_batches = int(np.ceil(len(X) / batch_size))
    for b in range(n_batches):
        sel = perm[b * batch_size:(b + 1) * batch_size]
        yield X[sel], y[sel]


def polynomial_errors(x_train, y_train, x_test, y_test, degrees):
    errors_train = []
    errors_test = []
    for d in degrees:
        model = np.poly1d(np.polyfit(x_train, y_train, d))
        errors_train.append(float(np.mean(np.square(model(x_train) - y_train))))
        errors_test.append(float(np.mean(np.square(model(x_test) - y_test))))
    return errors_train, errors_test
