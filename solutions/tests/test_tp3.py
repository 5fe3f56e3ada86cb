"""Tests publics du TP3 : lancez `python -m pytest tests/` à la racine de votre dépôt.

Ils vérifient les exemples du cours et quelques formes. Les tests de notation, cachés, vont
plus loin (comparaison avec PyTorch sur des tailles, strides et paddings au hasard, gradients
par différences finies, chiffres manuscrits réels…) : réussir ceux-ci ne garantit pas la note
maximale.
"""
import numpy as np

from tp3 import conv

X = np.array([[4, 0, 4, 3, 0], [1, 2, 7, 5, 2], [4, 8, 1, 6, 5], [1, 5, 0, 7, 8], [8, 2, 6, 3, 1]], dtype=float)
K = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)


def test_convolution_exemples_du_cours():
    assert np.allclose(conv.conv2d(X, K), [[15, 24, 15], [17, 20, 23], [24, 19, 20]])
    avec_padding = conv.conv2d(X, K, padding=1)
    assert avec_padding.shape == (5, 5) and np.allclose(avec_padding[1:4, 1:4], conv.conv2d(X, K))
    assert np.allclose(conv.conv2d(X, K, stride=2), [[15, 15], [24, 20]])


def test_le_noyau_n_est_pas_retourne():
    # Un noyau qui ne garde que sa case en haut à gauche recopie l'image, sans la retourner.
    coin = np.zeros((3, 3))
    coin[0, 0] = 1
    assert np.allclose(conv.conv2d(X, coin), X[:3, :3])


def test_convolution_multi_canaux():
    x = np.stack([X, 2 * X])  # 2 canaux
    w = np.stack([np.stack([K, K]), np.stack([K, np.zeros((3, 3))])])  # 2 filtres
    sortie = conv.conv2d_multi(x, w, np.array([0.0, 1.0]))
    assert sortie.shape == (2, 3, 3)
    assert np.allclose(sortie[0], 3 * conv.conv2d(X, K)) and np.allclose(sortie[1], conv.conv2d(X, K) + 1)


def test_formes_de_la_retropropagation():
    dx, dk = conv.conv2d_backward(np.ones((2, 2)), X, K, stride=2)
    assert dx.shape == X.shape and dk.shape == K.shape
    # dk[a, b] somme les pixels que la case (a, b) du noyau a vus : ici x[a, b] + x[a, b + 2] + …
    assert np.isclose(dk[0, 0], X[0, 0] + X[0, 2] + X[2, 0] + X[2, 2])


def test_max_pooling_exemple_du_cours():
    assert np.allclose(conv.maxpool2d(X), [[4, 7], [8, 7]])


def test_tailles_et_nombres_de_parametres():
    assert conv.output_size(5, 3) == 3 and conv.output_size(5, 3, padding=1) == 5
    assert conv.output_size(5, 3, stride=2) == 2 and conv.output_size(7, 3, stride=2) == 3
    assert conv.conv_params(3, 3, 3, 8) == 224
    assert conv.mlp_image_params(24) == 207_937 and conv.mlp_image_params(512) == 42_949_935_105


def test_reseaux_convolutifs_torch():
    import torch

    from tp3 import models

    modele = models.RegressionCNN()
    assert modele(torch.zeros(4, 3, 9, 9)).shape == (4, 1)
    assert [tuple(p.shape) for p in modele.parameters()][:4] == [(8, 3, 3, 3), (8,), (16, 8, 3, 3), (16,)]
    chiffres = models.DigitCNN()
    assert chiffres(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    X_chiffres, y_chiffres = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
    assert models.train_digits(chiffres, X_chiffres, y_chiffres, epochs=1, lr=1e-3, seed=0) is chiffres
