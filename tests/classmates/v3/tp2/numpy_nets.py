import numpy as np


class Network:

    def __init__(self, sizes, output, seed):
        generator = np.random.default_rng(seed)
        self.output = output
        self.params = []
        for i in range(len(sizes) - 1):
            W = generator.normal(0.0, 1.0, size=(sizes[i], sizes[i + 1])) * np.sqrt(2.0 / sizes[i])
            self.params.append(W)
            self.params.append(np.zeros(sizes[i + 1]))
        self.cache = []

    def forward(self, X, training=False):
        a = np.asarray(X, dtype=float)
        self.cache = [a]
        L = len(self.params) // 2
        for l in range(L):
            W, b = self.params[2 * l], self.params[2 * l + 1]
            z = np.dot(a, W) + b
            if l == L - 1:
                if self.output == "sigmoid":
                    z = 1.0 / (1.0 + np.exp(-z))
                elif self.output == "softmax":
                    z = np.exp(z - z.max(axis=1, keepdims=True))
                    z = z / z.sum(axis=1, keepdims=True)
                a = z
            else:
                a = np.where(z > 0, z, 0.0)
            self.cache.append(a)
        return a

    def backward(self, Y):
        a_out = self.cache[-1]
        Y = np.asarray(Y, dtype=float).reshape(a_out.shape)
        n = a_out.shape[0]
        if self.output == "linear":
            delta = 2.0 * (a_out - Y) / a_out.size
        else:
            delta = (a_out - Y) / n
        L = len(self.params) // 2
        grads = [None] * len(self.params)
        for l in reversed(range(L)):
            grads[2 * l] = np.dot(self.cache[l].T, delta)
            grads[2 * l + 1] = np.sum(delta, axis=0)
            if l > 0:
                delta = np.dot(delta, self.params[2 * l].T) * (self.cache[l] > 0)
        return grads


def fit(net, X, Y, loss, optimizer, batch_size, epochs, seed):
    loss_function = LOSSES[loss]
    history = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for X_batch, Y_batch in minibatches(X, Y, batch_size, seed + epoch):
            prediction = net.forward(X_batch, training=True)
            total += loss_function(prediction, Y_batch)
            count += 1
            net.params = optimizer.step(net.params, net.backward(Y_batch))
        history.append(float(total / count))
    return history
