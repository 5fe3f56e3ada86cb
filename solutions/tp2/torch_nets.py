"""Les mêmes réseaux en PyTorch, puis la boucle d'entraînement et l'évaluation écrites à la main.

Conventions (les tests cachés les supposent) :
- couches cachées ReLU ; définissez les couches dans l'ordre du réseau (un `nn.Sequential` est
  le plus simple) : les tests chargent des poids dans l'ordre de `model.parameters()` ;
- `binary_classifier` renvoie une **probabilité** (sigmoïde en sortie, à utiliser avec
  `nn.BCELoss`) ; `multiclass_classifier` renvoie des **logits** (pas de softmax : `nn.CrossEntropyLoss`
  l'applique) ; `regressor` et `course_example_model` ont une sortie linéaire ;
- les tests cachés évaluent votre modèle entraîné de leur côté : ils le reconstruisent à partir de
  ses couches (`torch.nn`) et de ses poids, en suivant `forward` (tracé par `torch.fx`). Dans
  `forward`, n'utilisez donc que les couches du modèle et des opérations de torch (pas de numpy,
  de fichiers, de hasard ni de `if` sur les valeurs des tenseurs) ;
- `fit` et `evaluate` calculent sur `cuda` si `torch.cuda.is_available()`, sinon sur le CPU.
"""
import torch
from torch import nn


def device():
    """Le GPU s'il y en a un, sinon le CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def binary_classifier(n):
    """Classification binaire du cours : n → 16 → 4 → 1, ReLU, sortie sigmoïde (une probabilité).

    Nombre de paramètres : 16n + 16 + 16·4 + 4 + 4 + 1 (569 pour n = 30).
    """
    ### BEGIN SOLUTION
    return nn.Sequential(nn.Linear(n, 16), nn.ReLU(), nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid())
    ### END SOLUTION


def regressor(n):
    """Régression du cours : n → 16 → 4 → 1, ReLU, sortie linéaire."""
    ### BEGIN SOLUTION
    return nn.Sequential(nn.Linear(n, 16), nn.ReLU(), nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, 1))
    ### END SOLUTION


def multiclass_classifier(n, n_classes=3):
    """Classification multi-classe du cours : n → 16 → 4 → n_classes, ReLU, sortie en logits."""
    ### BEGIN SOLUTION
    return nn.Sequential(nn.Linear(n, 16), nn.ReLU(), nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, n_classes))
    ### END SOLUTION


def course_example_model(n=20):
    """Le modèle d'exemple du cours (écrit en Keras dans les diapositives) :
    n → 128 (ReLU) → 64 (ReLU) → 1 (linéaire). Pour n = 20 : 11 009 paramètres."""
    ### BEGIN SOLUTION
    return nn.Sequential(nn.Linear(n, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 1))
    ### END SOLUTION


def fit(model, loader, loss_fn, optimizer, epochs):
    """Entraîne `model` pendant `epochs` époques et renvoie l'historique : la liste des coûts
    moyens de chaque époque, des nombres Python : la moyenne par échantillon (chaque lot pondéré
    par sa taille) ou la moyenne des coûts des lots, au choix (pas leur somme).

    Pour chaque lot (X, y) de `loader` : passez-les sur `device()`, calculez la sortie et le coût
    `loss_fn(sortie, y)` (si la sortie a la forme (N, 1) et y la forme (N,), alignez-les),
    remettez les gradients à zéro, rétropropagez, faites un pas de `optimizer`. Le modèle doit
    être en mode entraînement (`model.train()`) et sur `device()` (`model.to(device())`).
    """
    ### BEGIN SOLUTION
    model.to(device())
    history = []
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for X, y in loader:
            X, y = X.to(device()), y.to(device())
            output = model(X)
            if output.dim() == 2 and output.shape[1] == 1 and y.dim() == 1:
                output = output.squeeze(1)
            loss = loss_fn(output, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(X)
            count += len(X)
        history.append(total / count)
    return history
    ### END SOLUTION


def evaluate(model, loader, metric):
    """La métrique `metric(sortie, y)` (par exemple l'erreur absolue moyenne) sur tout `loader`,
    en mode évaluation (`model.eval()`) et sans calcul de gradient (`torch.no_grad()`).

    Attention : les lots n'ont pas tous la même taille ; renvoyez la moyenne **par échantillon**
    (pondérez chaque lot par sa taille). Renvoie un nombre Python.
    """
    ### BEGIN SOLUTION
    model.to(device())
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device()), y.to(device())
            output = model(X)
            if output.dim() == 2 and output.shape[1] == 1 and y.dim() == 1:
                output = output.squeeze(1)
            total += float(metric(output, y)) * len(X)
            count += len(X)
    return total / count
    ### END SOLUTION
