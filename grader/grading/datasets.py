"""The tabular data of the hidden tests, read on the trusted side without importing scikit-learn
(≈ 1.4 s of imports, paid by every grading process and by every `grader test`): the very arrays
`sklearn.datasets` returns, from the files it ships, and its regression generator, step for step.
tests/test_datasets.py checks both against scikit-learn itself."""
from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np


def sklearn_data() -> Path:
    """scikit-learn's `datasets/data` folder, found without importing the package."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("scikit-learn is not installed: its data files are needed by the hidden tests")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data"


def _csv(name: str, header: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A `load_*` CSV of scikit-learn (gzipped or not): with `header`, a first line of counts and
    names; then rows of features and a target."""
    opener = gzip.open if name.endswith(".gz") else open
    with opener(sklearn_data() / name, "rt") as file:
        data = np.loadtxt(file, delimiter=",", skiprows=int(header))
    return data[:, :-1], data[:, -1].astype(int)


def load_breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """`sklearn.datasets.load_breast_cancer(return_X_y=True)`: 569 × 30, labels 0 (malignant) / 1."""
    return _csv("breast_cancer.csv")


def load_wine() -> tuple[np.ndarray, np.ndarray]:
    """`sklearn.datasets.load_wine(return_X_y=True)`: 178 × 13, labels 0–2."""
    return _csv("wine_data.csv")


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """`sklearn.datasets.load_digits(return_X_y=True)`: 1 797 × 64, values 0–16, labels 0–9."""
    return _csv("digits.csv.gz", header=False)


def make_regression(n_samples: int, n_features: int, n_informative: int, noise: float,
                    random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """`sklearn.datasets.make_regression` with these arguments and the others left to their
    defaults (one target, no bias, well conditioned inputs, shuffled): the same draws from the
    same generator, in the same order, so the same arrays for the same seed."""
    generator = np.random.RandomState(random_state)
    n_informative = min(n_features, n_informative)
    X = generator.standard_normal(size=(n_samples, n_features))
    ground_truth = np.zeros((n_features, 1))
    ground_truth[:n_informative, :] = 100 * generator.uniform(size=(n_informative, 1))
    y = X @ ground_truth
    if noise > 0.0:
        y += generator.normal(scale=noise, size=y.shape)
    rows = np.arange(n_samples)
    generator.shuffle(rows)
    X, y = X[rows], y[rows]
    columns = np.arange(n_features)
    generator.shuffle(columns)
    X[:, :] = X[:, columns]
    return X, np.squeeze(y)
