import numpy as np


def gradient_descent(grad, x0, lr, n_steps):
    x0 = np.asarray(x0, dtype=float)
    xs = np.zeros((n_steps + 1,) + x0.shape)
    xs[0] = x0
    for t in range(1, n_steps + 1):
        xs[t] = xs[t - 1] - lr * grad(xs[t - 1])
    return xs
