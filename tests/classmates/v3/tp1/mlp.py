import numpy as np

from .activations import sigmoid
from .losses import mse_grad


def n_parameters(sizes):
    total = 0
    for i in range(len(sizes) - 1):
        total += sizes[i] * sizes[i + 1] + sizes[i + 1]
    return int(total)


def init_params(sizes, seed):
    generator = np.random.default_rng(seed)
    layers = []
    for i in range(1, len(sizes)):
        W = generator.standard_normal((sizes[i - 1], sizes[i])) / np.sqrt(sizes[i - 1])
        layers.append((W, np.zeros(sizes[i])))
    return layers


def forward(params, X):
    outputs = [np.asarray(X, dtype=float)]
    a = outputs[0]
    for i in range(len(params)):
        W, b = params[i]
        a = sigmoid(np.dot(a, W) + b)
        outputs.append(a)
    return outputs


def backward(params, X, Y):
    acts = forward(params, X)
    L = len(params)
    grads = [None] * L
    error = mse_grad(acts[L], Y)
    for l in range(L, 0, -1):
        dz = error * acts[l] * (1 - acts[l])
        grads[l - 1] = (np.dot(acts[l - 1].T, dz), np.sum(dz, axis=0))
        error = np.dot(dz, params[l - 1][0].T)
    return grads


def train(X, Y, sizes, lr, epochs, seed):
    params = init_params(sizes, seed)
    for epoch in range(epochs):
        grads = backward(params, X, Y)
        for i in range(len(params)):
            W, b = params[i]
            params[i] = (W - lr * grads[i][0], b - lr * grads[i][1])
    return params
