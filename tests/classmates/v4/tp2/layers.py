import numpy as np


def dropout_forward(x, p, training, seed=0):
    x = np.asarray(x, dtype=float)
    if training:
        keep = np.random.default_rng(seed).binomial(1, 1 - p, size=x.shape).astype(float)
    else:
        keep = np.ones_like(x)
    out = x * keep / (1 - p) if training else x.copy()
    return out, keep


def dropout_backward(dout, mask, p):
    return np.where(np.asarray(mask) > 0, np.asarray(dout, dtype=float) / (1 - p), 0.0)


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    x = np.asarray(x, dtype=float)
    if training:
        n = x.shape[0]
        mean = np.mean(x, axis=0)
        var = np.var(x, axis=0)
        running_mean = momentum * mean + (1 - momentum) * running_mean
        running_var = momentum * np.var(x, axis=0, ddof=1) + (1 - momentum) * running_var
    else:
        mean, var = running_mean, running_var
    denom = np.sqrt(var + eps)
    x_norm = (x - mean) / denom
    out = x_norm * gamma + beta
    return out, (x_norm, np.array(gamma, dtype=float), 1.0 / denom), running_mean, running_var


def batchnorm_backward(dout, cache):
    x_norm, gamma, inv = cache
    dout = np.asarray(dout, dtype=float)
    g = dout * gamma
    dx = inv * (g - g.mean(axis=0) - x_norm * (g * x_norm).mean(axis=0))
    return dx, np.einsum("nd,nd->d", dout, x_norm), dout.sum(axis=0)
