"""Les trois réseaux profonds du cours, écrits en numpy, et leur entraînement par mini-lots.

Architectures (deux couches cachées de 16 puis 4 neurones, ReLU) :
- classification binaire  : n → 16 → 4 → 1, sortie sigmoïde, coût BCE ;
- régression               : n → 16 → 4 → 1, sortie linéaire (pas d'activation), coût MSE ;
- classification 3 classes : n → 16 → 4 → 3, sortie softmax, coût CCE.

Conventions du TP (les tests cachés les supposent) :
- `params` est la liste [W₁, b₁, W₂, b₂, …] ; W de forme (n_entrée, n_sortie), b de forme
  (n_sortie,) ; la couche l calcule z_l = a_{l−1} · W_l + b_l ;
- X a la forme (N, n) ; Y a la forme de la sortie du réseau : (N, 1) de 0/1 (binaire),
  (N, 1) de réels (régression), (N, K) en one-hot (multi-classe) ;
- le coût est une moyenne sur les échantillons (les fonctions de `losses`).
"""
import numpy as np

from .data import minibatches
from .losses import bce, cce, mse, softmax, softmax_cce_grad
from .optim import SGD, Adam, RMSprop

LOSSES = {"bce": bce, "mse": mse, "cce": cce}


from .losses import bce_grad


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Network:
    def __init__(self, sizes, output, seed):
        rng = np.random.default_rng(seed)
        self.output = output
        self.params = []
        for i in range(len(sizes) - 1):
            limit = np.sqrt(6 / (sizes[i] + sizes[i + 1]))
            self.params.append(rng.uniform(-limit, limit, size=(sizes[i], sizes[i + 1])))
            self.params.append(np.zeros(sizes[i + 1]))

    def forward(self, X, training=False):
        self.zs, self.acts = [], [X]
        a = X
        L = len(self.params) // 2
        for l in range(L):
            z = np.dot(a, self.params[2 * l]) + self.params[2 * l + 1]
            self.zs.append(z)
            if l == L - 1:
                a = {"sigmoid": sigmoid, "linear": lambda t: t, "softmax": softmax}[self.output](z)
            else:
                a = z * (z > 0)
            self.acts.append(a)
        return a

    def backward(self, Y):
        out, z = self.acts[-1], self.zs[-1]
        if self.output == "sigmoid":
            delta = bce_grad(out, Y) * out * (1 - out)
        elif self.output == "linear":
            delta = 2 * (out - Y) / out.size
        else:
            delta = softmax_cce_grad(z, Y)
        grads = [None] * len(self.params)
        for l in reversed(range(len(self.params) // 2)):
            grads[2 * l] = self.acts[l].T.dot(delta)
            grads[2 * l + 1] = np.sum(delta, axis=0)
            if l:
                delta = delta.dot(self.params[2 * l].T) * (self.zs[l - 1] > 0)
        return grads


def fit(net, X, Y, loss, optimizer, batch_size, epochs, seed):
    history = []
    f = LOSSES[loss]
    for e in range(epochs):
        total, count = 0.0, 0
        for Xb, Yb in minibatches(X, Y, batch_size, seed + e):
            total += f(net.forward(Xb, True), Yb) * len(Xb)
            count += len(Xb)
            net.params = optimizer.step(net.params, net.backward(Yb))
        history.append(total / count)
    return history


LOSS_OF_OUTPUT = {"sigmoid": "bce", "linear": "mse", "softmax": "cce"}
OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def train_and_predict(sizes, output, X_train, Y_train, X_test, optimizer="sgd", lr=0.1, batch_size=32,
                      epochs=20, seed=0, **options):
    """Fournie (ne la modifiez pas) : crée Network(sizes, output, seed), l'entraîne avec `fit`
    et l'optimiseur nommé ("sgd", "rmsprop" ou "adam", options comprises, par exemple
    momentum=0.9), puis prédit sur X_test. Les tests cachés s'en servent : ils n'envoient
    à votre code que les données d'apprentissage et les entrées de test, jamais les
    étiquettes de test. Renvoie (historique, params appris, sortie du réseau sur X_test).
    """
    net = Network(sizes, output, seed)
    history = fit(net, X_train, Y_train, LOSS_OF_OUTPUT[output], OPTIMIZERS[optimizer](lr, **options),
                  batch_size, epochs, seed)
    return history, net.params, net.forward(X_test)
