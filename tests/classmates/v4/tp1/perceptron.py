import numpy as np


def predict(w, b, X):
    scores = np.einsum("nd,d->n", np.asarray(X, dtype=float), np.asarray(w, dtype=float)) + b
    return np.where(scores > 0, 1, 0)


def update(w, b, x, y, lr):
    x = np.asarray(x, dtype=float)
    f = int(x.dot(w) + b > 0)
    if f == y:
        return np.copy(w).astype(float), float(b)
    return w + lr * (y - f) * x, b + lr * (y - f)


def train(X, y, lr=0.1, epochs=50):
    w, b = np.zeros(np.shape(X)[1]), 0.0
    epoch = 0
    while epoch < epochs:
        for features, label in zip(np.asarray(X, dtype=float), y):
            w, b = update(w, b, features, label, lr)
        epoch += 1
    return w, float(b)
