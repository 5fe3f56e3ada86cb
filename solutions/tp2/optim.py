"""Trois optimiseurs de la descente de gradient, avec exactement les règles de torch.optim.

Interface commune : on crée l'optimiseur avec ses hyperparamètres, puis chaque appel
`step(params, grads)` reçoit la liste des paramètres [W₁, b₁, W₂, b₂, …] et la liste de leurs
gradients (mêmes formes, même ordre) et renvoie la liste des paramètres mis à jour (une
nouvelle liste ; vous pouvez créer de nouveaux tableaux ou modifier ceux reçus sur place, comme
torch.optim, au choix). L'optimiseur garde son état (vitesse, moyennes) d'un appel à l'autre,
un état par paramètre. Les paramètres doivent suivre torch.optim à 1e−6 près (relatif).
"""
import numpy as np


class SGD:
    """Descente de gradient stochastique, avec ou sans momentum μ (torch.optim.SGD) :

        v ← μ · v + g        θ ← θ − lr · v

    Au premier pas, v est initialisée à g (comme torch). Sans momentum (μ = 0) : θ ← θ − lr · g.
    Exemple : SGD(0.1).step([np.array([1.0])], [np.array([2.0])]) → [array([0.8])]
    """

    def __init__(self, lr, momentum=0.0):
        """Gardez les hyperparamètres ; la vitesse v de chaque paramètre est créée au premier pas."""
        ### BEGIN SOLUTION
        self.lr, self.momentum = lr, momentum
        self.velocity = None
        ### END SOLUTION

    def step(self, params, grads):
        """Un pas de la règle ci-dessus pour chaque paramètre ; renvoie la liste des nouveaux θ."""
        ### BEGIN SOLUTION
        grads = [np.asarray(g, dtype=float) for g in grads]
        if self.velocity is None:
            self.velocity = grads
        else:
            self.velocity = [self.momentum * v + g for v, g in zip(self.velocity, grads)]
        return [p - self.lr * v for p, v in zip(params, self.velocity)]
        ### END SOLUTION


class RMSprop:
    """RMSprop (torch.optim.RMSprop) : une moyenne glissante s des carrés des gradients,
    initialisée à 0, divise le pas de chaque paramètre :

        s ← α · s + (1 − α) · g²        θ ← θ − lr · g / (√s + ε)

    Attention : ε s'ajoute APRÈS la racine carrée.
    """

    def __init__(self, lr, alpha=0.99, eps=1e-8):
        """Gardez les hyperparamètres ; la moyenne s de chaque paramètre part de 0 au premier pas."""
        ### BEGIN SOLUTION
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.square_avg = None
        ### END SOLUTION

    def step(self, params, grads):
        """Un pas de la règle ci-dessus pour chaque paramètre ; renvoie la liste des nouveaux θ."""
        ### BEGIN SOLUTION
        if self.square_avg is None:
            self.square_avg = [np.zeros_like(p, dtype=float) for p in params]
        self.square_avg = [self.alpha * s + (1 - self.alpha) * g ** 2 for s, g in zip(self.square_avg, grads)]
        return [p - self.lr * g / (np.sqrt(s) + self.eps) for p, g, s in zip(params, grads, self.square_avg)]
        ### END SOLUTION


class Adam:
    """Adam (torch.optim.Adam) : moyennes glissantes du gradient (m) et de son carré (v),
    initialisées à 0, corrigées de leur biais vers 0. Au pas t (t = 1 au premier appel) :

        m ← β₁ · m + (1 − β₁) · g          v ← β₂ · v + (1 − β₂) · g²
        m̂ = m / (1 − β₁ᵗ)                  v̂ = v / (1 − β₂ᵗ)
        θ ← θ − lr · m̂ / (√v̂ + ε)

    Sans la correction de biais, les premiers pas seraient faussés (m et v partent de 0).
    """

    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8):
        """Gardez les hyperparamètres (betas = (β₁, β₂)) ; t = 0, et m, v partent de 0 au premier pas."""
        ### BEGIN SOLUTION
        self.lr, self.betas, self.eps = lr, betas, eps
        self.t, self.m, self.v = 0, None, None
        ### END SOLUTION

    def step(self, params, grads):
        """Un pas de la règle ci-dessus pour chaque paramètre ; renvoie la liste des nouveaux θ."""
        ### BEGIN SOLUTION
        beta1, beta2 = self.betas
        if self.m is None:
            self.m = [np.zeros_like(p, dtype=float) for p in params]
            self.v = [np.zeros_like(p, dtype=float) for p in params]
        self.t += 1
        self.m = [beta1 * m + (1 - beta1) * g for m, g in zip(self.m, grads)]
        self.v = [beta2 * v + (1 - beta2) * g ** 2 for v, g in zip(self.v, grads)]
        new = []
        for p, m, v in zip(params, self.m, self.v):
            m_hat, v_hat = m / (1 - beta1 ** self.t), v / (1 - beta2 ** self.t)
            new.append(p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps))
        return new
        ### END SOLUTION
