import numpy as np


class SGD:

    def __init__(self, lr, momentum=0.0):
        self.lr = lr
        self.momentum = momentum
        self.buffers = []

    def step(self, params, grads):
        updated = []
        first = len(self.buffers) == 0
        for i, (p, g) in enumerate(zip(params, grads)):
            g = np.array(g, dtype=float)
            if first:
                self.buffers.append(g)
            else:
                self.buffers[i] = self.momentum * self.buffers[i] + g
            updated.append(p - self.lr * self.buffers[i])
        return updated


class RMSprop:

    def __init__(self, lr, alpha=0.99, eps=1e-8):
        self.lr = lr
        self.alpha = alpha
        self.eps = eps
        self.cache = {}

    def step(self, params, grads):
        result = []
        for i in range(len(params)):
            g = np.asarray(grads[i], dtype=float)
            s = self.cache.get(i, np.zeros_like(g))
            s = self.alpha * s + (1.0 - self.alpha) * g * g
            self.cache[i] = s
            result.append(params[i] - self.lr * g / (np.sqrt(s) + self.eps))
        return result


class Adam:

    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8):
        self.lr = lr
        self.beta1 = betas[0]
        self.beta2 = betas[1]
        self.eps = eps
        self.step_count = 0
        self.moments = None

    def step(self, params, grads):
        if self.moments is None:
            self.moments = [(np.zeros(np.shape(p)), np.zeros(np.shape(p))) for p in params]
        self.step_count += 1
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            m, v = self.moments[i]
            m = self.beta1 * m + (1 - self.beta1) * g
            v = self.beta2 * v + (1 - self.beta2) * np.square(g)
            self.moments[i] = (m, v)
            correction1 = 1 - self.beta1 ** self.step_count
            correction2 = 1 - self.beta2 ** self.step_count
            out.append(p - self.lr * (m / correction1) / (np.sqrt(v / correction2) + self.eps))
        return out
