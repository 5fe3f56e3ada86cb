import numpy as np


def sigmoid(z):
    z = np.array(z, dtype=np.float64)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1 + e)
    return out


def sigmoid_prime(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)) - np.logaddexp(0.0, np.asarray(z, dtype=float)))


def tanh(z):
    z = np.asarray(z, dtype=float)
    return 2.0 / (1.0 + np.exp(-2.0 * z)) - 1.0


def tanh_prime(z):
    c = np.cosh(np.asarray(z, dtype=float))
    return 1.0 / (c * c)


def relu(z):
    z = np.array(z, dtype=float)
    z[z < 0] = 0.0
    return z


def relu_prime(z):
    return np.where(np.asarray(z) > 0, 1.0, 0.0)


def softmax(z):
    z = np.asarray(z, dtype=float)
    shifted = z - np.max(z, axis=-1)[..., np.newaxis]
    expo = np.exp(shifted)
    return expo / np.sum(expo, axis=-1)[..., np.newaxis]
