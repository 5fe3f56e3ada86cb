"""Cases whose outputs `grader reference build` stores in expected.npz (from solutions/).

The perceptron's conventions (w = 0, b = 0, samples in order, `epochs` full passes) make its
result unique, so the solution's (w, b) is the expected one for every correct submission.
"""
import numpy as np

from grader.grading.reference import Case

# The course's tree-disease example: (broken branches, height in metres) -> sick (1) or not (0).
TREES_X = np.array([[1, 8.0], [2, 9.5], [0, 6.0], [3, 10.0], [2, 5.5], [1, 4.0],
                    [6, 5.0], [7, 8.0], [5, 3.5], [8, 9.0], [6, 4.5], [9, 7.0]])
TREES_Y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])


def separable_set(seed: int, n: int = 60, d: int = 3, margin: float = 0.3):
    """Points on both sides of a random hyperplane, none closer to it than `margin`."""
    rng = np.random.default_rng(seed)
    w, b = rng.normal(size=d), rng.normal()
    X = rng.normal(scale=2.0, size=(4 * n, d))
    score = (X @ w + b) / np.linalg.norm(w)
    keep = np.abs(score) > margin
    return X[keep][:n], (score[keep][:n] > 0).astype(int)


SEPARABLE_X, SEPARABLE_Y = separable_set(seed=2024)

CASES = {
    "perceptron_trees": Case("tp1.perceptron.train", (TREES_X, TREES_Y), {"lr": 0.1, "epochs": 50}),
    "perceptron_separable": Case("tp1.perceptron.train", (SEPARABLE_X, SEPARABLE_Y), {"lr": 0.05, "epochs": 40}),
}
