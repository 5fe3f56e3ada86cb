import numpy as np


def gradient_descent(grad, x0, lr, n_steps):
    current = np.copy(np.asarray(x0, dtype=float))
    history = [current]
    step = 0
    while step < n_steps:
        current = current - lr * np.asarray(grad(current))
        history.append(current)
        step += 1
    return np.array(history)
