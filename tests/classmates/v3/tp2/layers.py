import numpy as np


def dropout_forward(x, p, training, seed=0):
    x = np.array(x, dtype=float)
    mask = np.ones(x.shape)
    if training:
        generator = np.random.default_rng(seed)
        mask = np.where(generator.uniform(size=x.shape) < p, 0.0, 1.0)
        return x * mask * (1.0 / (1.0 - p)), mask
    return x, mask


def dropout_backward(dout, mask, p):
    scale = 1.0 / (1.0 - p)
    return np.multiply(dout, mask) * scale


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    x = np.asarray(x, dtype=float)
    N = x.shape[0]
    if not training:
        xhat = (x - running_mean) / np.sqrt(running_var + eps)
        return gamma * xhat + beta, (xhat, gamma, 1 / np.sqrt(running_var + eps)), running_mean, running_var
    mu = np.sum(x, axis=0) / N
    centered = x - mu
    var = np.sum(centered ** 2, axis=0) / N
    std_inv = 1 / np.sqrt(var + eps)
    xhat = centered * std_inv
    new_mean = running_mean * (1 - momentum) + mu * momentum
    new_var = running_var * (1 - momentum) + var * N / (N - 1) * momentum
    return gamma * xhat + beta, (xhat, gamma, std_inv), new_mean, new_var


def batchnorm_backward(dout, cache):
    xhat, gamma, std_inv = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dx = (1.0 / N) * std_inv * (N * dxhat - np.sum(dxhat, axis=0) - xhat * np.sum(dxhat * xhat, axis=0))
    return dx, dgamma, dbeta
