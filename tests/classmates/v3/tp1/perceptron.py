import numpy as np


def predict(w, b, X):
    X = np.atleast_2d(np.asarray(X, dtype=float))
    out = np.zeros(len(X), dtype=int)
    for i in range(len(X)):
        if np.dot(X[i], w) + b > 0:
            out[i] = 1
    return out


def update(w, b, x, y, lr):
    prediction = 1 if float(np.dot(w, x)) + b > 0 else 0
    delta = lr * (y - prediction)
    new_w = np.array(w, dtype=float, copy=True)
    new_w += delta * np.asarray(x, dtype=float)
    return new_w, float(b) + delta


def train(X, y, lr=0.1, epochs=50):
    X = np.asarray(X, dtype=float)
    w = np.zeros(X.shape[1])
    b = 0.0
    for epoch in range(epochs):
        errors = 0
        for i in range(X.shape[0]):
            old = w.copy()
            w, b = update(w, b, X[i], y[i], lr)
            errors += int(not np.array_equal(old, w))
    return w, b
