import numpy as np

EPS = 1e-12


def bce(p, y):
    prob = np.clip(p, 1e-12, 1 - 1e-12).astype(float)
    target = np.asarray(y, dtype=float)
    return -float(np.mean(target * np.log(prob)) + np.mean((1 - target) * np.log1p(-prob)))


def bce_grad(p, y):
    prob = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    num = prob - y
    den = prob * (1 - prob) * np.size(prob)
    return num / den


def cce(p, Y):
    log_p = np.log(np.clip(p, 1e-12, None))
    return float(-np.einsum("nk,nk->", np.asarray(Y, dtype=float), log_p) / np.shape(p)[0])


def softmax_cce_grad(z, Y):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return (e / np.sum(e, axis=1, keepdims=True) - np.asarray(Y, dtype=float)) / len(z)


def mae(y_pred, y):
    return float(np.abs(np.subtract(y_pred, y, dtype=float)).mean())


def mse(y_pred, y):
    return float(np.square(np.subtract(y_pred, y, dtype=float)).mean())
