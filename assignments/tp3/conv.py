"""La convolution et le pooling en numpy, et le nombre de paramètres qu'ils font gagner.

Conventions (les tests cachés les supposent) :
- comme dans les bibliothèques d'apprentissage profond (PyTorch, Keras), la « convolution »
  d'un réseau convolutif est une **corrélation croisée** : le noyau est appliqué tel quel, sans
  être retourné ;
- le padding p ajoute p lignes / colonnes de zéros de **chaque** côté de l'image ;
- les images sont des tableaux numpy (H, W) ou, avec plusieurs canaux, (C, H, W) ; les
  résultats sont comparés à la précision de ce que vous renvoyez (float64 ou float32) ;
- `conv2d_multi` et `conv2d_backward` peuvent appeler `conv2d` : une erreur de `conv2d` n'est
  comptée que par ses propres tests ;
- conseil (non noté) : écrivez du numpy vectorisé, sans boucle sur les pixels de sortie (une
  boucle sur les cases du noyau suffit). `np.lib.stride_tricks.sliding_window_view` donne toutes
  les fenêtres d'une image sans les copier. Des boucles donnent le même résultat, plus lentement.

L'exemple du cours (image 5×5 et noyau 3×3 en forme de croix de Saint-André) :

    x = [[4, 0, 4, 3, 0],        k = [[1, 0, 1],
         [1, 2, 7, 5, 2],             [0, 1, 0],
         [4, 8, 1, 6, 5],             [1, 0, 1]]
         [1, 5, 0, 7, 8],
         [8, 2, 6, 3, 1]]
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv2d(x, k, stride=1, padding=0):
    """Convolution 2-D d'une image x (H, W) par un noyau k (kh, kw).

    Chaque pixel de sortie est la somme du produit terme à terme (produit d'Hadamard) du noyau
    et de la fenêtre de l'image qu'il recouvre :
        y[i, j] = Σₐ Σ_b x̃[i·s + a, j·s + b] · k[a, b]
    où x̃ est x entouré de `padding` zéros de chaque côté et s = `stride`.
    Sortie de forme (H′, W′) avec H′ = ⌊(H − kh + 2p) / s⌋ + 1 (voir `output_size`).
    Exemple du cours : conv2d(x, k) → [[15, 24, 15], [17, 20, 23], [24, 19, 20]]
    (le premier pixel : 4·1 + 4·1 + 2·1 + 4·1 + 1·1 = 15) ;
    conv2d(x, k, padding=1) donne une sortie 5×5 ; conv2d(x, k, stride=2) → [[15, 15], [24, 20]].
    """
    raise NotImplementedError("À compléter : conv2d")


def conv2d_multi(x, w, b, stride=1, padding=0):
    """Une couche de convolution complète : C canaux d'entrée, F filtres (« feature maps »).

    x : (C, H, W) ; w : (F, C, kh, kw), un noyau 3-D par filtre ; b : (F,), un biais par filtre.
    Le plan de sortie f somme les convolutions de chaque canal par sa tranche du noyau :
        y[f] = Σ_c conv2d(x[c], w[f, c]) + b[f]
    Sortie (F, H′, W′), exactement `torch.nn.functional.conv2d` sur un lot d'une image.
    Indice : rangez toutes les fenêtres (C·kh·kw valeurs chacune) dans une matrice
    (« im2col ») et faites un seul produit matriciel avec w mis à plat en (F, C·kh·kw).
    """
    raise NotImplementedError("À compléter : conv2d_multi")


def conv2d_backward(dout, x, k, stride=1, padding=0):
    """Rétropropagation de `conv2d` : à partir de dout = ∂C/∂y (H′, W′), renvoie (dx, dk).

    y[i, j] = Σₐ Σ_b x̃[i·s + a, j·s + b] · k[a, b], donc :
        dk[a, b] = Σᵢ Σⱼ dout[i, j] · x̃[i·s + a, j·s + b]   (une corrélation de x̃ par dout)
        dx̃[i·s + a, j·s + b] += dout[i, j] · k[a, b]       (chaque pixel reçoit de chaque
                                                            fenêtre qui le contient)
    puis dx est dx̃ sans les bords ajoutés par le padding. dx a la forme de x, dk celle de k.
    """
    raise NotImplementedError("À compléter : conv2d_backward")


def maxpool2d(x, size=2, stride=2):
    """Max-pooling 2-D de x (H, W) : le maximum de chaque fenêtre size × size, fenêtres
    décalées de `stride` (sans padding). Aucun paramètre à apprendre.
    Sortie (⌊(H − size) / stride⌋ + 1, ⌊(W − size) / stride⌋ + 1), comme
    `torch.nn.functional.max_pool2d` ; la dernière ligne et la dernière colonne de x peuvent
    ne tomber dans aucune fenêtre.
    Exemple du cours : maxpool2d(x) sur l'image 5×5 ci-dessus → [[4, 7], [8, 7]].
    """
    raise NotImplementedError("À compléter : maxpool2d")


def output_size(w, k, padding=0, stride=1):
    """Taille de sortie d'une convolution (formule du cours), pour une dimension :
        W_out = ⌊(W_in − k + 2p) / s⌋ + 1
    Renvoie un entier. Exemples : output_size(5, 3) → 3 ; output_size(5, 3, padding=1) → 5 ;
    output_size(5, 3, stride=2) → 2 ; output_size(9, 3) → 7 puis output_size(7, 3, stride=2) → 3.
    """
    raise NotImplementedError("À compléter : output_size")


def conv_params(kx, ky, in_channels, filters):
    """Nombre de paramètres d'une couche convolutive (formule du cours) :
        P = (kx · ky · I + 1) · F
    un noyau kx × ky × I et un biais par plan de sortie. I : plans d'entrée (3 pour une image
    RGB), F : plans de sortie (filtres). Exemple : conv_params(3, 3, 3, 8) → 224.
    """
    raise NotImplementedError("À compléter : conv_params")


def mlp_image_params(side):
    """Pourquoi des convolutions ? Le nombre de paramètres du réseau dense du cours sur une
    image side × side : s = side² entrées, deux couches cachées de s/2 et s/4 neurones
    (divisions entières), une sortie (s → s/2 → s/4 → 1), chaque couche avec ses poids et ses biais.
    Exemples du cours : mlp_image_params(24) → 207 937 ; mlp_image_params(512) →
    42 949 935 105 (« outch... »). Renvoie un entier Python (attention aux débordements des
    entiers numpy de 32 bits).
    """
    raise NotImplementedError("À compléter : mlp_image_params")
