import numpy as np


def softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def bce(p, y):
    p, y = np.clip(np.ravel(p), 1e-12, 1 - 1e-12), np.ravel(y)
    total = 0.0
    for pi, yi in zip(p, y):
        total += -(yi * np.log(pi) + (1 - yi) * np.log(1 - pi))
    return total / len(p)


def bce_grad(p, y):
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    y = np.asarray(y, dtype=float)
    out = np.zeros_like(p)
    for i in np.ndindex(p.shape):
        out[i] = (-y[i] / p[i] + (1 - y[i]) / (1 - p[i])) / p.size
    return out


def cce(p, Y):
    labels = np.argmax(Y, axis=1)
    return float(np.mean([-np.log(p[i, c]) for i, c in enumerate(labels)]))


def softmax_cce_grad(z, Y):
    g = softmax(z)
    for i in range(len(z)):
        g[i] -= Y[i]
    return g / len(z)


def mae(y_pred, y):
    return np.abs(y_pred - y).sum() / np.size(y)


def mse(y_pred, y):
    return np.square(y_pred - y).sum() / np.size(y)
