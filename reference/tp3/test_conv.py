"""Hidden tests of tp3/conv.py (the operations): the course's worked examples exactly, conv2d,
conv2d_multi and maxpool2d against PyTorch's own ops on random shapes, strides and paddings,
and conv2d_backward against central differences of the true cross-correlation. Results are
compared at the precision of what was returned (float32 at float32's); conv2d_multi and
conv2d_backward may call conv2d: a wrong conv2d is charged by its own tests only."""
import numpy as np
import torch
import torch.nn.functional as F

from grader.grading.testkit import as_array, close, expect, gap, numerical_gradient, relies_on

MODULE = "tp3.conv"
# The course's 5×5 image and 3×3 kernel (slides "Principe de convolution").
X_COURSE = np.array([[4, 0, 4, 3, 0], [1, 2, 7, 5, 2], [4, 8, 1, 6, 5], [1, 5, 0, 7, 8], [8, 2, 6, 3, 1]], dtype=float)
K_COURSE = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)
COURSE_PADDED = np.array([[6, 8, 11, 12, 5], [9, 15, 24, 15, 11], [11, 17, 20, 23, 17], [11, 24, 19, 20, 17],
                          [13, 3, 18, 11, 8]], dtype=float)
# (H, W, kh, kw, stride, padding): square and not, kernels of 1 to 5, strides that do not divide.
CONFIGS = [(6, 6, 3, 3, 1, 0), (7, 9, 2, 4, 1, 1), (9, 8, 3, 3, 2, 0), (10, 7, 5, 3, 3, 2), (8, 8, 1, 1, 2, 0),
           (5, 11, 4, 2, 2, 1), (12, 12, 3, 5, 1, 2)]


def torch_conv(x, k, stride=1, padding=0):
    """The trusted cross-correlation of one 2-D image, in float64."""
    out = F.conv2d(torch.from_numpy(np.asarray(x, dtype=float))[None, None],
                   torch.from_numpy(np.asarray(k, dtype=float))[None, None], stride=stride, padding=padding)
    return out[0, 0].numpy()


def test_conv2d_course_examples(student):
    got = as_array(student.call(f"{MODULE}.conv2d", X_COURSE, K_COURSE), "conv2d sur l'exemple du cours", (3, 3))
    expect(np.allclose(got, [[15, 24, 15], [17, 20, 23], [24, 19, 20]]),
           "conv2d ne redonne pas la sortie 3×3 de l'exemple du cours (somme des produits terme à terme "
           "du noyau et de chaque fenêtre 3×3)")
    got = as_array(student.call(f"{MODULE}.conv2d", X_COURSE, K_COURSE, padding=1),
                   "conv2d(x, k, padding=1) sur l'exemple du cours", (5, 5))
    expect(np.allclose(got, COURSE_PADDED), "avec padding = 1, conv2d doit redonner la sortie 5×5 du cours "
           "(une ligne / colonne de zéros de chaque côté de l'image)")
    got = as_array(student.call(f"{MODULE}.conv2d", X_COURSE, K_COURSE, stride=2),
                   "conv2d(x, k, stride=2) sur l'exemple du cours", (2, 2))
    expect(np.allclose(got, [[15, 15], [24, 20]]), "avec stride = 2, conv2d doit redonner la sortie 2×2 du cours "
           "(le noyau avance de 2 cases à la fois)")


def test_conv2d_matches_torch(student):
    rng = np.random.default_rng(30)
    for height, width, kh, kw, stride, padding in CONFIGS:
        x, k = rng.normal(size=(height, width)), rng.normal(size=(kh, kw))
        setting = f"image {height}×{width}, noyau {kh}×{kw}, stride {stride}, padding {padding}"
        want = torch_conv(x, k, stride, padding)
        raw = student.call(f"{MODULE}.conv2d", x, k, stride=stride, padding=padding)
        got = as_array(raw, f"conv2d ({setting})", want.shape)
        expect(close(got, want, 1e-9, raw), f"conv2d ne correspond pas à torch.nn.functional.conv2d ({setting} ; "
               f"{gap(got, want)}) : corrélation croisée, noyau non retourné, padding de chaque côté")


CONV2D = ("conv2d", test_conv2d_matches_torch)


def test_conv2d_multi_matches_torch(student):
    with relies_on(student, "conv2d_multi", CONV2D):
        check_conv2d_multi(student)


def check_conv2d_multi(student):
    rng = np.random.default_rng(31)
    for channels, filters, (height, width, kh, kw, stride, padding) in zip((1, 3, 2, 4, 3), (1, 4, 5, 2, 8), CONFIGS):
        x = rng.normal(size=(channels, height, width))
        w, b = rng.normal(size=(filters, channels, kh, kw)), rng.normal(size=filters)
        want = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), torch.from_numpy(b), stride=stride,
                        padding=padding)[0].numpy()
        setting = f"{channels} canaux {height}×{width}, {filters} filtres {kh}×{kw}, stride {stride}, padding {padding}"
        raw = student.call(f"{MODULE}.conv2d_multi", x, w, b, stride=stride, padding=padding)
        got = as_array(raw, f"conv2d_multi ({setting})", want.shape)
        expect(close(got, want, 1e-9, raw), f"conv2d_multi ne correspond pas à torch.nn.functional.conv2d ({setting} ; "
               f"{gap(got, want)}) : chaque plan de sortie somme les convolutions de tous les canaux, plus son biais")


def test_conv2d_backward_gradient_check(student):
    with relies_on(student, "conv2d_backward", CONV2D):
        check_conv2d_backward(student)


def check_conv2d_backward(student):
    rng = np.random.default_rng(32)
    for height, width, kh, kw, stride, padding in CONFIGS[1:5]:
        x, k = rng.normal(size=(height, width)), rng.normal(size=(kh, kw))
        dout = rng.normal(size=torch_conv(x, k, stride, padding).shape)
        setting = f"(image {height}×{width}, noyau {kh}×{kw}, stride {stride}, padding {padding})"
        got = student.call(f"{MODULE}.conv2d_backward", dout, x, k, stride=stride, padding=padding)
        expect(isinstance(got, (tuple, list)) and len(got) == 2, f"conv2d_backward {setting} doit renvoyer le couple (dx, dk)")
        dx, dk = as_array(got[0], f"dx {setting}", x.shape), as_array(got[1], f"dk {setting}", k.shape)
        want_dx = numerical_gradient(lambda v: np.sum(torch_conv(v, k, stride, padding) * dout), x)
        expect(close(dx, want_dx, 1e-6, got), f"dx n'est pas le gradient de conv2d {setting} (vérification par "
               f"différences finies, {gap(dx, want_dx)}) : chaque pixel reçoit dout · k de chaque fenêtre qui le "
               "contient, et les bords du padding sont retirés")
        want_dk = numerical_gradient(lambda v: np.sum(torch_conv(x, v, stride, padding) * dout), k)
        expect(close(dk, want_dk, 1e-6, got), f"dk n'est pas le gradient de conv2d par rapport au noyau {setting} "
               f"(vérification par différences finies, {gap(dk, want_dk)}) : la corrélation de l'image (avec son "
               "padding) par dout")


def test_maxpool2d_course_example(student):
    got = as_array(student.call(f"{MODULE}.maxpool2d", X_COURSE), "maxpool2d sur l'exemple du cours", (2, 2))
    expect(np.allclose(got, [[4, 7], [8, 7]]), "maxpool2d ne redonne pas la sortie 2×2 de l'exemple du cours "
           "(le maximum de chaque fenêtre 2×2, fenêtres décalées de 2)")


def test_maxpool2d_matches_torch(student):
    rng = np.random.default_rng(33)
    for height, width, size, stride in ((8, 8, 2, 2), (7, 9, 3, 2), (6, 5, 2, 1), (10, 11, 3, 3)):
        x = rng.normal(size=(height, width))
        want = F.max_pool2d(torch.from_numpy(x)[None, None], size, stride)[0, 0].numpy()
        raw = student.call(f"{MODULE}.maxpool2d", x, size=size, stride=stride)
        got = as_array(raw, f"maxpool2d(x {height}×{width}, size={size}, stride={stride})", want.shape)
        expect(close(got, want, 1e-12, raw), f"maxpool2d ne correspond pas à torch.nn.functional.max_pool2d "
               f"(image {height}×{width}, fenêtre {size}×{size}, stride {stride}) : le maximum de chaque fenêtre")
