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
- le coût est une moyenne sur les échantillons (les fonctions de `losses`) ;
- `fit` appelle `minibatches`, un coût de `losses`, `net.forward`, `net.backward` et
  `optimizer.step` : une erreur dans l'une d'elles n'est comptée qu'une fois, par son propre test.
"""
import numpy as np

from .data import minibatches
from .losses import bce, cce, mse, softmax
from .optim import SGD, Adam, RMSprop

LOSSES = {"bce": bce, "mse": mse, "cce": cce}


class Network:
    """Un perceptron multicouche : ReLU sur les couches cachées, `output` en sortie.

    sizes : tailles des couches, entrée comprise, par exemple [n, 16, 4, 1].
    output : "sigmoid", "linear" ou "softmax".
    seed : graine de l'initialisation (np.random.default_rng(seed)) : W tirés selon une loi
    normale d'écart-type √(2 / n_entrée) (initialisation de He, adaptée à ReLU), b nuls.
    Exemple : Network([30, 16, 4, 1], "sigmoid", 0).params a 6 tableaux, de formes
    (30, 16), (16,), (16, 4), (4,), (4, 1), (1,).
    """

    def __init__(self, sizes, output, seed):
        """Créez self.params, la liste [W₁, b₁, W₂, b₂, …] : `fit` la remplace à chaque pas."""
        ### BEGIN SOLUTION
        rng = np.random.default_rng(seed)
        self.output = output
        self.params = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            self.params += [rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out)), np.zeros(n_out)]
        self.activations = []
        ### END SOLUTION

    def forward(self, X, training=False):
        """Propagation avant : renvoie la sortie a_L, de forme (N, n_sorties).

        a₀ = X, puis a_l = relu(a_{l−1} · W_l + b_l) pour les couches cachées, et la dernière
        couche applique `output` (sigmoïde, rien, ou softmax par ligne). Gardez les activations
        a₀, …, a_L dans l'objet : `backward` en a besoin. `training` n'a pas d'effet ici (ce
        réseau n'a ni dropout ni batch norm) ; il garde l'interface des réseaux de la suite.
        """
        ### BEGIN SOLUTION
        a = np.asarray(X, dtype=float)
        self.activations = [a]
        n_layers = len(self.params) // 2
        for layer in range(n_layers):
            z = a @ self.params[2 * layer] + self.params[2 * layer + 1]
            if layer < n_layers - 1:
                a = np.maximum(0.0, z)
            elif self.output == "sigmoid":
                a = 1.0 / (1.0 + np.exp(-z))
            elif self.output == "softmax":
                a = softmax(z)
            else:
                a = z
            self.activations.append(a)
        return a
        ### END SOLUTION

    def backward(self, Y):
        """Rétropropagation : les gradients du coût par rapport à chaque paramètre, pour les
        activations du dernier `forward`, dans l'ordre de `params` : [dW₁, db₁, dW₂, db₂, …].

        Le coût est celui qui va avec la sortie (BCE pour "sigmoid", MSE pour "linear", CCE
        pour "softmax"), moyenné sur les N échantillons. Sur la dernière couche, la dérivée
        du coût et celle de l'activation se simplifient (n_sorties = 1 pour les deux premiers) :
            sigmoïde + BCE : δ_L = (a_L − Y) / N     linéaire + MSE : δ_L = 2 (a_L − Y) / N
            softmax + CCE  : δ_L = (a_L − Y) / N
        (utilisez ces formes simplifiées : bce_grad(a, Y) · σ'(z) donnerait 0/0 dès que la
        sigmoïde sature à exactement 1), puis, de la sortie vers l'entrée :
            dW_l = a_{l−1}ᵀ · δ_l     db_l = Σ δ_l sur les échantillons
            δ_{l−1} = (δ_l · W_lᵀ) ⊙ relu'(z_{l−1})   avec relu'(z) = 1 si z > 0, sinon 0
        """
        ### BEGIN SOLUTION
        out = self.activations[-1]
        delta = (out - np.asarray(Y, dtype=float).reshape(out.shape)) / len(out)
        if self.output == "linear":
            delta = 2.0 * delta
        grads = []
        for layer in range(len(self.params) // 2 - 1, -1, -1):
            a_prev = self.activations[layer]
            grads = [a_prev.T @ delta, delta.sum(axis=0)] + grads
            delta = (delta @ self.params[2 * layer].T) * (a_prev > 0)
        return grads
        ### END SOLUTION


def fit(net, X, Y, loss, optimizer, batch_size, epochs, seed):
    """Entraînement par mini-lots : `epochs` passages sur (X, Y).

    loss : le nom du coût qui va avec la sortie du réseau, "bce", "mse" ou "cce" (les
    fonctions de `losses`) ; il sert à suivre l'apprentissage, les gradients venant de
    `net.backward`. optimizer : un objet de `optim` (SGD, RMSprop ou Adam).
    À l'époque e (e = 0, 1, …), parcourez `minibatches(X, Y, batch_size, seed + e)` ; pour
    chaque lot : sortie = net.forward(Xb, training=True), coût du lot, puis
    net.params = optimizer.step(net.params, net.backward(Yb)).
    Renvoie l'historique : la liste (une valeur par époque) de la moyenne des coûts des lots de
    l'époque, chacun calculé avant sa mise à jour (pondérer chaque lot par sa taille, ce qui
    donne le coût moyen par échantillon, est accepté aussi ; leur somme ne l'est pas).
    """
    ### BEGIN SOLUTION
    history = []
    for epoch in range(epochs):
        costs = []
        for Xb, Yb in minibatches(X, Y, batch_size, seed + epoch):
            costs.append(LOSSES[loss](net.forward(Xb, training=True), Yb))
            net.params = optimizer.step(net.params, net.backward(Yb))
        history.append(float(np.mean(costs)))
    return history
    ### END SOLUTION


LOSS_OF_OUTPUT = {"sigmoid": "bce", "linear": "mse", "softmax": "cce"}
OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def train_and_predict(sizes, output, X_train, Y_train, X_test, optimizer="sgd", lr=0.1, batch_size=32,
                      epochs=20, seed=0, **options):
    """Fournie (ne la modifiez pas) : crée Network(sizes, output, seed), l'entraîne avec `fit`
    et l'optimiseur nommé ("sgd", "rmsprop" ou "adam", options comprises, par exemple
    momentum=0.9), puis prédit sur X_test. Les tests cachés s'en servent : ils n'envoient à
    votre code que des données d'apprentissage (transformées en secret), puis évaluent
    eux-mêmes les paramètres appris sur leurs données de test, qui ne vous parviennent jamais.
    Renvoie (historique, params appris, sortie du réseau sur X_test).
    """
    net = Network(sizes, output, seed)
    history = fit(net, X_train, Y_train, LOSS_OF_OUTPUT[output], OPTIMIZERS[optimizer](lr, **options),
                  batch_size, epochs, seed)
    return history, net.params, net.forward(X_test)
