import numpy as np


class Network:

    def __init__(self, sizes, output, seed):
        rng = np.random.default_rng(seed)
        self.output = output
        shapes = list(zip(sizes[:-1], sizes[1:]))
        self.params = [p for n_in, n_out in shapes
                       for p in (rng.normal(scale=(2.0 / n_in) ** 0.5, size=(n_in, n_out)), np.zeros(n_out))]
        self.acts = None

    def _out(self, z):
        if self.output == "sigmoid":
            return np.exp(-np.logaddexp(0.0, -z))
        if self.output == "softmax":
            return softmax(z)
        return z

    def forward(self, X, training=False):
        self.acts = [np.asarray(X, dtype=float)]
        weights, biases = self.params[0::2], self.params[1::2]
        for i, (W, b) in enumerate(zip(weights, biases)):
            z = self.acts[-1] @ W + b
            self.acts.append(self._out(z) if i == len(weights) - 1 else np.maximum(z, 0))
        return self.acts[-1]

    def backward(self, Y):
        out = self.acts[-1]
        err = out - np.reshape(Y, out.shape)
        delta = err * (2.0 if self.output == "linear" else 1.0) / out.shape[0]
        grads = []
        for i in range(len(self.params) // 2 - 1, -1, -1):
            grads[:0] = [self.acts[i].T @ delta, delta.sum(axis=0)]
            delta = delta @ self.params[2 * i].T * (self.acts[i] > 0)
        return grads


def fit(net, X, Y, loss, optimizer, batch_size, epochs, seed):
    history = []
    for e in range(epochs):
        batch_losses = []
        for xb, yb in minibatches(X, Y, batch_size, seed=seed + e):
            batch_losses.append(LOSSES[loss](net.forward(xb, training=True), yb))
            grads = net.backward(yb)
            net.params = optimizer.step(net.params, grads)
        history.append(sum(batch_losses) / len(batch_losses))
    return [float(h) for h in history]
