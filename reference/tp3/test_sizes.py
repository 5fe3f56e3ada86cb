"""Hidden tests of tp3/conv.py (the counts): the output-size formula against the shapes PyTorch
really gives, the parameters of a convolutional layer against torch.nn.Conv2d's own count, and
the course's comparison with a dense network (207 937 and 42 949 935 105 parameters)."""
import numpy as np
import torch

from grader.grading.testkit import as_float, expect

MODULE = "tp3.conv"


def as_count(value, what):
    number = as_float(value, what)
    expect(number == int(number), f"{what} : un nombre entier est attendu")
    return int(number)


def test_output_size_matches_torch(student):
    # (W, k, padding, stride): the course's 5×5 examples and 9 → 7 → 3, then strides that do not divide.
    cases = [(5, 3, 0, 1), (5, 3, 1, 1), (5, 3, 0, 2), (9, 3, 0, 1), (7, 3, 0, 2), (28, 5, 2, 1), (32, 3, 1, 2),
             (10, 4, 0, 3), (11, 2, 3, 4), (224, 7, 3, 2)]
    got = student.call_many(f"{MODULE}.output_size", cases)
    for (width, k, padding, stride), value in zip(cases, got):
        want = torch.nn.functional.conv2d(torch.zeros(1, 1, width, width), torch.zeros(1, 1, k, k), stride=stride,
                                          padding=padding).shape[-1]
        expect(as_count(value, "output_size") == want,
               f"output_size(w={width}, k={k}, padding={padding}, stride={stride}) ne donne pas la taille de sortie "
               "de PyTorch : ⌊(W − k + 2p) / s⌋ + 1")


def test_conv_params_matches_torch(student):
    cases = [(3, 3, 3, 8), (3, 3, 8, 16), (5, 5, 1, 6), (3, 5, 4, 2), (1, 1, 64, 32), (7, 7, 3, 64)]
    got = student.call_many(f"{MODULE}.conv_params", cases)
    for (kx, ky, channels, filters), value in zip(cases, got):
        want = sum(p.numel() for p in torch.nn.Conv2d(channels, filters, (kx, ky)).parameters())
        expect(as_count(value, "conv_params") == want,
               f"conv_params({kx}, {ky}, {channels}, {filters}) ne compte pas les paramètres de torch.nn.Conv2d : "
               "un noyau kx × ky × I par filtre, plus un biais par filtre")


def test_mlp_image_params_course_values(student):
    for side, want in ((24, 207_937), (512, 42_949_935_105)):
        expect(as_count(student.call(f"{MODULE}.mlp_image_params", side), "mlp_image_params") == want,
               f"mlp_image_params({side}) doit redonner le nombre du cours pour une image {side}×{side} "
               "(s → s/2 → s/4 → 1, poids et biais, en entiers Python)")
    for side in (4, 5, 7, 10, 16):  # odd sides: s/2 and s/4 are integer divisions
        s = side * side
        layers = torch.nn.Sequential(torch.nn.Linear(s, s // 2), torch.nn.Linear(s // 2, s // 4),
                                     torch.nn.Linear(s // 4, 1))
        want = sum(p.numel() for p in layers.parameters())
        expect(as_count(student.call(f"{MODULE}.mlp_image_params", side), "mlp_image_params") == want,
               f"mlp_image_params({side}) ne compte pas les paramètres du réseau dense s → s/2 → s/4 → 1 "
               "(s = side², poids et biais de chaque couche)")
