import numpy as np


def mse(y_pred, y):
    a, t = np.ravel(y_pred).astype(float), np.ravel(y).astype(float)
    total = 0.0
    for ai, ti in zip(a, t):
        total += (ai - ti) ** 2
    return float(total / len(a))


def mse_grad(y_pred, y):
    a = np.array(y_pred, dtype=float)
    n = a.size
    return (a - y) * (2.0 / n)
