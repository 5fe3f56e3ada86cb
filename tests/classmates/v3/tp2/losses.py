import numpy as np

EPS = 1e-12


def bce(p, y):
    p = np.minimum(np.maximum(np.ravel(p).astype(float), EPS), 1 - EPS)
    y = np.ravel(y).astype(float)
    losses = np.where(y == 1, -np.log(p), -np.log(1 - p)) if np.all((y == 0) | (y == 1)) \
        else -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(losses.sum() / losses.size)


def bce_grad(p, y):
    p = np.asarray(p, dtype=float)
    q = np.clip(p, EPS, 1 - EPS)
    n = q.size
    return (-np.asarray(y, dtype=float) / q + (1 - np.asarray(y, dtype=float)) / (1 - q)) / n


def cce(p, Y):
    p, Y = np.asarray(p, dtype=float), np.asarray(Y, dtype=float)
    total = 0.0
    for i in range(p.shape[0]):
        total -= np.dot(Y[i], np.log(np.maximum(p[i], EPS)))
    return float(total / p.shape[0])


def softmax_cce_grad(z, Y):
    z = np.asarray(z, dtype=float)
    n = z.shape[0]
    probabilities = softmax(z)
    return (probabilities - Y) / n


def mae(y_pred, y):
    diff = np.ravel(y_pred).astype(float) - np.ravel(y).astype(float)
    return float(np.sum(np.abs(diff)) / diff.size)


def mse(y_pred, y):
    diff = np.ravel(y_pred).astype(float) - np.ravel(y).astype(float)
    return float(np.dot(diff, diff) / len(diff))
