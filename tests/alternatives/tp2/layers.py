import numpy as np


def dropout_forward(x, p, training, seed=0):
    if not training:
        return x, np.ones(x.shape)
    mask = np.random.default_rng(seed).binomial(1, 1 - p, size=x.shape).astype(bool)
    return np.where(mask, x / (1 - p), 0.0), mask


def dropout_backward(dout, mask, p):
    return np.where(mask, dout / (1 - p), 0.0)


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        n = x.shape[0]
        mean = np.sum(x, axis=0) / n
        var = np.sum((x - mean) ** 2, axis=0) / n
        unbiased = np.sum((x - mean) ** 2, axis=0) / (n - 1)
        out = gamma * (x - mean) / np.sqrt(var + eps) + beta
        new_mean = momentum * mean + (1 - momentum) * running_mean
        new_var = momentum * unbiased + (1 - momentum) * running_var
        return out, (x, mean, var, gamma, eps), new_mean, new_var
    out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    return out, (x, running_mean, running_var, gamma, eps), running_mean, running_var


def batchnorm_backward(dout, cache):
    x, mean, var, gamma, eps = cache
    n = x.shape[0]
    std = np.sqrt(var + eps)
    xc = x - mean
    xhat = xc / std
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dvar = np.sum(dxhat * xc * -0.5 * std ** -3, axis=0)
    dmean = np.sum(-dxhat / std, axis=0) + dvar * np.mean(-2 * xc, axis=0)
    dx = dxhat / std + dvar * 2 * xc / n + dmean / n
    return dx, dgamma, dbeta
