import numpy as np


class SGD:

    def __init__(self, lr, momentum=0.0):
        self.lr, self.mu, self.v = lr, momentum, None

    def step(self, params, grads):
        g = [np.asarray(x, dtype=float) for x in grads]
        self.v = g if self.v is None else [self.mu * a + b for a, b in zip(self.v, g)]
        return [theta - self.lr * vel for theta, vel in zip(params, self.v)]


class RMSprop:

    def __init__(self, lr, alpha=0.99, eps=1e-8):
        self.hyper = {"lr": lr, "alpha": alpha, "eps": eps}
        self.sq = None

    def step(self, params, grads):
        lr, alpha, eps = self.hyper["lr"], self.hyper["alpha"], self.hyper["eps"]
        if self.sq is None:
            self.sq = [0.0 * np.asarray(p, dtype=float) for p in params]
        new_params = []
        for k, (theta, grad) in enumerate(zip(params, grads)):
            self.sq[k] = alpha * self.sq[k] + (1 - alpha) * np.power(grad, 2)
            new_params.append(theta - lr * np.divide(grad, np.sqrt(self.sq[k]) + eps))
        return new_params


class Adam:

    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8):
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.t = 0
        self.state = []

    def step(self, params, grads):
        self.t = self.t + 1
        if not self.state:
            self.state = [[0.0, 0.0] for _ in params]
        result = []
        for st, theta, grad in zip(self.state, params, grads):
            grad = np.asarray(grad, dtype=float)
            st[0] = self.b1 * st[0] + (1 - self.b1) * grad
            st[1] = self.b2 * st[1] + (1 - self.b2) * grad * grad
            lr_t = self.lr * np.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
            eps_t = self.eps * np.sqrt(1 - self.b2 ** self.t)
            result.append(theta - lr_t * st[0] / (np.sqrt(st[1]) + eps_t))
        return result
