"""Des réseaux convolutifs en PyTorch : l'exemple de régression du cours, puis un CNN qui
reconnaît des chiffres manuscrits, entraîné par votre propre boucle.

Conventions (les tests cachés les supposent) :
- les images sont des tenseurs (N, C, H, W), canaux d'abord, comme le veut `nn.Conv2d` ;
- activations ReLU après chaque convolution et chaque couche dense cachée ; sortie linéaire ;
- définissez les couches dans l'ordre du réseau (un `nn.Sequential` est le plus simple) : les
  tests chargent des poids dans l'ordre de `model.parameters()` ;
- les tests cachés évaluent votre modèle entraîné de leur côté : ils le reconstruisent à partir de
  ses couches (`torch.nn`) et de ses poids, en suivant `forward` (tracé par `torch.fx`). Dans
  `forward`, n'utilisez donc que les couches du modèle et des opérations de torch (pas de numpy,
  de fichiers, de hasard ni de `if` sur les valeurs des tenseurs) ;
- `train_digits` calcule sur `cuda` si `torch.cuda.is_available()`, sinon sur le CPU.
"""
import torch
from torch import nn


def device():
    """Le GPU s'il y en a un, sinon le CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class RegressionCNN(nn.Module):
    """L'exemple d'architecture du cours (régression) : une image RGB 9×9 → un scalaire.

        entrée (N, 3, 9, 9)
        → Conv2D : 8 noyaux 3×3×3, stride 1, padding 0, ReLU     → (N, 8, 7, 7)
        → Conv2D : `filters` noyaux 3×3×8, stride 2, padding 0, ReLU → (N, filters, 3, 3)
        → Flatten (`nn.Flatten()`, dans l'ordre de PyTorch)      → (N, 9·filters)
        → Dense hidden[0], ReLU → Dense hidden[1], ReLU → Dense 1 (pas d'activation)
    Sortie de forme (N, 1). Les tailles 7 et 3 viennent de la formule du cours :
    ⌊(9 − 3 + 0) / 1⌋ + 1 = 7 puis ⌊(7 − 3 + 0) / 2⌋ + 1 = 3.
    Nombre de paramètres des convolutions : (3·3·3 + 1)·8 = 224 et (3·3·8 + 1)·filters.
    """

    def __init__(self, filters=16, hidden=(64, 32)):
        super().__init__()
        raise NotImplementedError("À compléter : RegressionCNN.__init__")

    def forward(self, x):
        raise NotImplementedError("À compléter : RegressionCNN.forward")


class DigitCNN(nn.Module):
    """Un petit réseau convolutif pour les chiffres manuscrits (MNIST), à vous de le concevoir.

    Entrée (N, 1, 28, 28), niveaux de gris dans [0, 1] ; sortie : les **logits** (N, 10), un
    par chiffre (pas de softmax : `nn.CrossEntropyLoss` l'applique). Des log-probabilités (un
    `log_softmax` à la fin) conviennent aussi : `nn.CrossEntropyLoss` en donne le même coût.
    Au moins une couche `nn.Conv2d`. Une architecture qui marche bien :
    deux blocs [convolution 3×3 avec padding 1 → ReLU → max-pooling 2×2], puis une couche
    dense vers les 10 classes (28 → 14 → 7 : calculez la taille de l'entrée de la couche dense).
    """

    def __init__(self):
        super().__init__()
        raise NotImplementedError("À compléter : DigitCNN.__init__")

    def forward(self, x):
        raise NotImplementedError("À compléter : DigitCNN.forward")


def train_digits(model, X, y, epochs, lr, seed):
    """Entraîne `model` (un `DigitCNN`) sur les images X (N, 1, 28, 28) et leurs chiffres y (N,)
    (entiers 0–9, un tenseur `torch.long`) ; entraîne le modèle reçu (pas une copie) et le renvoie.

    Votre propre boucle : Adam de pas `lr`, coût `nn.CrossEntropyLoss` sur la sortie du modèle
    (pas `F.nll_loss` : le modèle peut renvoyer des logits), mini-lots de 64 mélangés à chaque
    époque, `epochs` passages sur les données. Le mélange ne dépend que de `seed` : la même
    graine redonne les mêmes lots, une autre graine d'autres lots (par exemple
    `DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True,
    generator=torch.Generator().manual_seed(seed))`).
    Pour chaque lot : passez-le sur `device()`, remettez les gradients à zéro, calculez le coût,
    rétropropagez, faites un pas. Le modèle doit être sur `device()` et en mode entraînement.
    Les tests observent votre boucle sur un petit CNN à eux : elle ne doit rien supposer du
    modèle reçu.
    """
    raise NotImplementedError("À compléter : train_digits")
