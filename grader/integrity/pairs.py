"""Pairs of submissions, compared: their scores, where the shared code is, and the files that keep them.

A pair's score is the share of both submissions' own fingerprinted code that the other one also
has: (shared a + shared b) / (own a + own b), from 0 to 1; each side's share is kept too, and the
regions of each side's files the shared k-grams cover. `similarity-tpN.csv` holds a run's pairs
(read by the gradebook page and the integrity flags without comparing anything again).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..base.files import write_atomically
from .documents import Document
from .fingerprint import Fingerprint, fingerprint, overlap, starter_hashes

THRESHOLD = 0.8  # a pair at or above it is suspect: chosen on the test class (benchmarks/RESULTS.md)
MIN_OWN = 100  # characters of own normalised code below which a submission is not compared
CSV_HEADER = ["tp", "a", "b", "score", "score_a", "score_b", "shared_lines_a", "shared_lines_b",
              "regions_a", "regions_b", "origin", "label"]
ORIGINS = {"": "classe", "archive": "archive", "source": "source"}  # where a pair's b comes from


@dataclass(frozen=True)
class Region:
    path: str  # file of the region
    first: int  # first line (1-based)
    last: int  # last line, included

    def __str__(self) -> str:
        return f"{self.path}:{self.first}-{self.last}"


@dataclass(frozen=True)
class Pair:
    tp: str  # "tp1"
    a: str  # owner, the smaller id of the two
    b: str  # the other owner
    score: float  # shared share of both submissions' own code, 0…1
    score_a: float  # share of a's own code that b also has
    score_b: float  # share of b's own code that a also has
    shared_lines_a: int  # lines of a's files in a shared region
    shared_lines_b: int  # lines of b's files in a shared region
    regions_a: tuple[Region, ...]  # where in a's files
    regions_b: tuple[Region, ...]  # where in b's files
    origin: str = ""  # "" when b is a classmate, "archive" ("2025/s03") or "source" ("source:cs231n")
    label: str = ""  # who or what b is, in French, when it is outside the class (instructor only)

    @property
    def anchor(self) -> str:
        """The pair's id in the HTML report (owner ids are [A-Za-z0-9._-]; "2025/s03" → "archive-2025-s03")."""
        other = {"archive": "archive-", "source": ""}.get(self.origin, "") + re.sub(r"[^A-Za-z0-9._-]", "-", self.b)
        return f"{self.a}--{other}"


@dataclass(frozen=True)
class Fingerprinted:
    document: Document  # the submission
    fingerprint: Fingerprint  # its k-grams, boilerplate removed


def fingerprint_all(docs: list[Document], starter: list[str]) -> list[Fingerprinted]:
    """One fingerprint per submission, computed once (never once per pair)."""
    common = starter_hashes(starter)
    return [Fingerprinted(doc, fingerprint([(f.path, f.text) for f in doc.files], common)) for doc in docs]


def compare(tp: str, first: Fingerprinted, second: Fingerprinted, ordered: bool = False) -> Pair:
    """`ordered`: `first` stays a (a classmate against the outside), else the smaller owner id is."""
    a, b = (first, second) if ordered else sorted((first, second), key=lambda f: f.document.owner)
    share_a, share_b, slices_a, slices_b = overlap(a.fingerprint, b.fingerprint)
    own_a, own_b = a.fingerprint.own, b.fingerprint.own
    regions_a, regions_b = regions(a.document, slices_a), regions(b.document, slices_b)
    return Pair(tp, a.document.owner, b.document.owner, round((share_a * own_a + share_b * own_b) / (own_a + own_b), 4),
                round(share_a, 4), round(share_b, 4), _lines(regions_a), _lines(regions_b), regions_a, regions_b)


def regions(doc: Document, slices) -> tuple[Region, ...]:
    """Character slices of the concatenated document → line ranges of its files (adjacent ones merged)."""
    found: list[Region] = []
    start = 0
    spans = sorted(zip(slices[0].tolist(), slices[1].tolist())) if slices.size else []
    for file in doc.files:
        end = start + len(file.text)
        for left, right in spans:
            left, right = max(left, start), min(right, end)
            if left >= right:
                continue
            first = file.text.count("\n", 0, left - start) + 1
            last = max(first, file.text.count("\n", 0, right - start - 1) + 1)
            if found and found[-1].path == file.path and first <= found[-1].last + 1:
                found[-1] = Region(file.path, found[-1].first, max(last, found[-1].last))
            else:
                found.append(Region(file.path, first, last))
        start = end
    return tuple(found)


def _lines(found: tuple[Region, ...]) -> int:
    return len({(r.path, line) for r in found for line in range(r.first, r.last + 1)})


def compare_class(tp: str, printed: list[Fingerprinted]) -> tuple[list[Pair], list[str]]:
    """Every pair of submissions with enough own code, best first."""
    kept = [f for f in printed if f.fingerprint.own >= MIN_OWN]
    notes = [f"{f.document.owner}: {tp} : trop peu de code propre pour être comparé"
             for f in printed if f.fingerprint.own < MIN_OWN]
    pairs = [compare(tp, kept[i], kept[j]) for i in range(len(kept)) for j in range(i + 1, len(kept))]
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b)), notes


def write_csv(path: Path, pairs: list[Pair]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for p in pairs:
        writer.writerow([p.tp, p.a, p.b, f"{p.score:.4f}", f"{p.score_a:.4f}", f"{p.score_b:.4f}", p.shared_lines_a,
                         p.shared_lines_b, " ".join(map(str, p.regions_a)), " ".join(map(str, p.regions_b)),
                         p.origin, p.label])
    write_atomically(path, out.getvalue())


def read_csv(path: Path) -> list[Pair]:
    """The pairs a run stored, for the gradebook page (nothing is recomputed). Read once per
    process while the file is unchanged: the summary line and the page both want them."""
    info = path.stat()
    return list(_read_csv(path, info.st_mtime_ns, info.st_size))


@lru_cache(maxsize=16)
def _read_csv(path: Path, mtime_ns: int, size: int) -> tuple[Pair, ...]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(Pair(r["tp"], r["a"], r["b"], float(r["score"]), float(r["score_a"]), float(r["score_b"]),
                      int(r["shared_lines_a"]), int(r["shared_lines_b"]), _regions(r["regions_a"]),
                      _regions(r["regions_b"]), r.get("origin") or "", r.get("label") or "") for r in rows)


REGION = re.compile(r"(\S+):(\d+)-(\d+)")


def _regions(text: str) -> tuple[Region, ...]:
    return tuple(Region(path, int(first), int(last)) for path, first, last in REGION.findall(text))


def csv_path(out: Path, tp: str) -> Path:
    return out / f"similarity-{tp}.csv"


def html_path(out: Path, tp: str) -> Path:
    return out / f"similarity-{tp}.html"


def views_path(out: Path, tp: str) -> Path:
    """The side-by-side views of the pairs shown, kept so that the page is rendered again without the code."""
    return out / f"similarity-{tp}.views.json"


def stored(folders: list[Path], tp: str) -> list[Pair] | None:
    """The pairs of the first folder that holds this TP's similarity CSV, else None."""
    for folder in folders:
        if csv_path(folder, tp).is_file():
            return read_csv(csv_path(folder, tp))
    return None


def percent(share: float) -> str:
    """0.92 → "92 %", as French writes it."""
    return f"{share:.0%}".replace("%", " %")
