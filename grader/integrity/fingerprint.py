"""Code fingerprints of one submission, with copydetect's primitives, and the overlap of two.

copydetect (winnowing, Schleimer et al. 2003) does the parts that matter: `filter_code`
tokenises with Pygments and normalises (every identifier becomes V, F or O, every string S,
comments and whitespace vanish), `hashed_kgrams` hashes the k-grams of the normalised code,
`get_copied_slices` turns matched k-gram positions into slices. Three things are done here
instead of by its `CodeFingerprint` and `compare_files`, which work on one file:
- a submission is several files: each is normalised alone and the results put end to end, and
  the k-grams that straddle two files are dropped (they exist in no file);
- boilerplate is removed from the list of k-gram positions: copydetect 0.5.0 removes it with
  `np.intersect1d(..., assume_unique=True)` on a list with repeats, which also drops every
  k-gram occurring twice in the submission;
- the overlap of two submissions is two `np.isin` on arrays computed once per submission;
  `compare_files` builds one numpy array per shared k-gram (≈ 4 ms a pair of TP2 submissions,
  20 s for 100 students). Tests check that both give the same shares on single files.
Every k-gram is kept (winnowing window 1): nothing depends on which hashes a window picks, so
a pair scores the same whatever the order of the class. `kgrams` is the costly part (Pygments
lexing) and does not depend on the starter: an archive stores its normalised code, and `select`
applies the boilerplate of the year it is compared in. The hashes themselves are never stored:
copydetect hashes k-grams with Python's `hash()`, which differs from one process to the next
(PYTHONHASHSEED), so they are computed again, in the process that compares.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

K = 25  # shortest match counted, in characters of normalised code (copydetect's default noise threshold)


@dataclass(frozen=True)
class Kgrams:
    """Every k-gram of a submission's files, boilerplate included: what an archive keeps (but the hashes)."""

    filtered: str  # the normalised code of every file, one after another
    offsets: np.ndarray  # (n, 2): copydetect's map from normalised positions to characters removed before them
    hashes: np.ndarray  # the hash of the k-gram starting at each normalised position
    ends: tuple[int, ...]  # normalised position where each file ends


@dataclass(frozen=True)
class Fingerprint:
    offsets: np.ndarray  # (n, 2): copydetect's map from normalised positions to characters removed before them
    positions: np.ndarray  # start of each k-gram kept: not boilerplate, within one file
    hashes: np.ndarray  # the hash of the k-gram at each kept position
    distinct: np.ndarray  # sorted distinct hashes of the kept k-grams
    own: int  # normalised characters covered by the kept k-grams: the submission's own code


def normalise(texts: list[tuple[str, str]]) -> tuple[str, np.ndarray, list[int]]:
    """copydetect's filter_code on each (path, text), end to end: (filtered, offsets, where each file ends)."""
    from copydetect.utils import filter_code

    parts, offsets, ends = [], [], []
    raw = normalised = 0
    for path, text in texts:
        filtered, local = filter_code(text, path)
        local = np.asarray(local, dtype=np.int64).reshape(-1, 2) if len(local) else np.zeros((1, 2), np.int64)
        offsets.append(local + [normalised, raw - normalised])
        parts.append(filtered)
        raw, normalised = raw + len(text), normalised + len(filtered)
        ends.append(normalised)
    return "".join(parts), np.concatenate(offsets) if offsets else np.zeros((1, 2), np.int64), ends


def kgram_hashes(filtered: str) -> np.ndarray:
    from copydetect.utils import hashed_kgrams

    return np.asarray(hashed_kgrams(filtered, K), dtype=np.int64).reshape(-1)


def starter_hashes(texts: list[str]) -> np.ndarray:
    """Every k-gram hash of the boilerplate (each text normalised alone)."""
    found = [kgram_hashes(normalise([("starter.py", text)])[0]) for text in texts]
    return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)


def kgrams(texts: list[tuple[str, str]]) -> Kgrams:
    filtered, offsets, ends = normalise(texts)
    return Kgrams(filtered, offsets, kgram_hashes(filtered), tuple(ends))


def select(grams: Kgrams, starter: np.ndarray) -> Fingerprint:
    """The k-grams that count: within one file and not in the boilerplate `starter`."""
    hashes = grams.hashes
    positions = np.arange(len(hashes))
    straddle = np.zeros(len(hashes), dtype=bool)
    for end in grams.ends[:-1]:
        straddle[max(0, end - K + 1):end] = True  # a k-gram starting there reaches into the next file
    keep = ~straddle & ~np.isin(hashes, starter)
    positions, hashes = positions[keep], hashes[keep]
    return Fingerprint(grams.offsets, positions, hashes, np.unique(hashes), covered(positions))


def fingerprint(texts: list[tuple[str, str]], starter: np.ndarray) -> Fingerprint:
    return select(kgrams(texts), starter)


def covered(positions: np.ndarray) -> int:
    from copydetect.utils import get_copied_slices

    slices = get_copied_slices(positions, K)
    return int(np.sum(slices[1] - slices[0])) if len(positions) else 0


def overlap(a: Fingerprint, b: Fingerprint) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(share of a's own code found in b, share of b's found in a, a's and b's copied slices in raw
    characters of their concatenated files, as copydetect's compare_files gives them)."""
    from copydetect.utils import get_copied_slices

    common = np.intersect1d(a.distinct, b.distinct, assume_unique=True)
    found = []
    for side in (a, b):
        slices = get_copied_slices(side.positions[np.isin(side.hashes, common)], K).astype(np.int64)
        share = float(np.sum(slices[1] - slices[0])) / side.own if side.own and slices.size else 0.0
        if slices.size:  # normalised positions → positions in the original text, as compare_files does
            slices = slices + side.offsets[:, 1][np.clip(np.searchsorted(side.offsets[:, 0], slices),
                                                         0, side.offsets.shape[0] - 1)]
        found.append((share, slices))
    (share_a, slices_a), (share_b, slices_b) = found
    return share_a, share_b, slices_a, slices_b
