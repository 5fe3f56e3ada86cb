import numpy as np


class SGD:
    def __init__(self, lr, momentum=0.0):
        self.lr, self.mu, self.v = lr, momentum, {}

    def step(self, params, grads):
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            self.v[i] = self.mu * self.v.get(i, 0.0) + g
            out.append(p - self.lr * self.v[i])
        return out


class RMSprop:
    def __init__(self, lr, alpha=0.99, eps=1e-8):
        self.lr, self.alpha, self.eps, self.s = lr, alpha, eps, {}

    def step(self, params, grads):
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            self.s[i] = self.alpha * self.s.get(i, 0.0) + (1 - self.alpha) * g * g
            out.append(p - self.lr * g / (np.sqrt(self.s[i]) + self.eps))
        return out


class Adam:
    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, betas[0], betas[1], eps
        self.m, self.v, self.t = {}, {}, 0

    def step(self, params, grads):
        self.t += 1
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            self.m[i] = self.b1 * self.m.get(i, 0.0) + (1 - self.b1) * g
            self.v[i] = self.b2 * self.v.get(i, 0.0) + (1 - self.b2) * g ** 2
            step_size = self.lr / (1 - self.b1 ** self.t)
            denom = np.sqrt(self.v[i]) / np.sqrt(1 - self.b2 ** self.t) + self.eps
            out.append(p - step_size * self.m[i] / denom)
        return out
