import numpy as np

from .activations import sigmoid
from .losses import mse_grad


def n_parameters(sizes):
    sizes = [int(s) for s in sizes]
    return sum(a * b for a, b in zip(sizes, sizes[1:])) + sum(sizes[1:])


def init_params(sizes, seed):
    rng = np.random.default_rng(seed)
    return [(rng.normal(scale=np.sqrt(1.0 / fan_in), size=(fan_in, fan_out)), np.zeros((fan_out,)))
            for fan_in, fan_out in zip(sizes, sizes[1:])]


def forward(params, X):
    acts = [np.asarray(X, dtype=float)]
    for weights, bias in params:
        acts += [sigmoid(acts[-1].dot(weights) + bias)]
    return acts


def backward(params, X, Y):
    *hidden, out = forward(params, X)
    d = mse_grad(out, Y) * out * (1 - out)
    result = []
    layer_inputs = hidden[::-1]
    for (W, b), a_in in zip(params[::-1], layer_inputs):
        result.insert(0, (a_in.T.dot(d), d.sum(0)))
        d = d.dot(W.T) * a_in * (1 - a_in)
    return result


def train(X, Y, sizes, lr, epochs, seed):
    params = init_params(sizes, seed)
    for _ in range(epochs):
        params = [(W - lr * gW, b - lr * gb) for (W, b), (gW, gb) in zip(params, backward(params, X, Y))]
    return params
