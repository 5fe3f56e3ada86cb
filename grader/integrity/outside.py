"""A class compared with what lies outside it: past classes (course.yaml's `archive:`) and known
public solutions (`sources:`).

Each submission of the class is compared, like a pair of classmates, with
- every source that has the TP's folder (a handful: each is compared exactly);
- the archived submissions closest to it: an archive of 300 is 30 000 pairs per 100 students,
  three times the class's own, so the k-grams each archived submission shares with it are
  counted first for all of them at once (one `np.isin` over the archive's distinct hashes) and
  only the CANDIDATES with the largest share (Dice) are compared exactly, regions included.
A pair's other side is named by a reference ("2025/s03", "source:cs231n") and a French label
("Martin Léa (e001), 2025"; "CS231n — https://…"), shown on the instructor's pages only.
The class's own submissions are never compared with themselves archived (same year and owner).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..course.origins import Source
from .archive import listing, read_record, records
from .documents import MAX_FILE, Document, SourceFile
from .fingerprint import fingerprint, select
from .pairs import MIN_OWN, Fingerprinted, Pair, compare

CANDIDATES = 5  # archived submissions compared exactly with each submission of the class


@dataclass(frozen=True)
class Outsider:
    printed: Fingerprinted  # its files and fingerprint; document.owner is the reference ("2025/s03", "source:x")
    origin: str  # "archive" or "source"
    label: str  # who or what, in French, for the instructor


def cache_key(archives: tuple[Path, ...], sources: tuple[Source, ...], tp: str, year: int) -> list:
    """What the comparison with the outside depends on, for the similarity run's cache key."""
    return [listing(archives, tp), year, [(s.id, s.name, s.url, [(d.path, d.text) for d in source_document(s, tp).files])
                                         for s in sources]]


def gather(archives: tuple[Path, ...], sources: tuple[Source, ...], tp: str, common: np.ndarray, year: int,
           owners: set[str]) -> tuple[list[Outsider], list[str]]:
    """The archived submissions of `tp` (not the class's own of this year) and the sources that have
    it, fingerprinted with this year's boilerplate (`common` k-gram hashes); French notes on the rest."""
    found, notes, seen = [], [], {}
    for path in records(archives, tp):
        try:
            record = read_record(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            notes.append(f"archive : {path} illisible ({type(exc).__name__}), ignoré")
            continue
        if record.year == year and record.owner in owners:
            continue  # this class, archived: its submissions are compared as classmates
        if record.ref in seen:  # two archive folders with the same year and owner id: pages name one only
            notes.append(f"archive : {record.ref} figure dans {seen[record.ref]} et dans {path.parent.parent.parent} ; "
                         "seul le premier est comparé")
            continue
        seen[record.ref] = path.parent.parent.parent
        found.append(Outsider(Fingerprinted(record.document, select(record.grams, common)), "archive", record.label))
    for source in sources:
        doc = source_document(source, tp)
        if doc.files:
            printed = Fingerprinted(doc, fingerprint([(f.path, f.text) for f in doc.files], common))
            found.append(Outsider(printed, "source", f"{source.name} — {source.url}"))
    return found, notes


def source_document(source: Source, tp: str) -> Document:
    """The source's `tp/` folder as one document: its `.py` files, and each notebook's code cells as one file."""
    import nbformat

    files = []
    folder = source.folder / tp
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        relative = path.relative_to(source.folder).as_posix()
        if not path.is_file() or path.stat().st_size > MAX_FILE:
            continue
        if path.suffix == ".py":
            files.append(SourceFile(relative, _ending(path.read_text(encoding="utf-8", errors="replace"))))
        elif path.suffix == ".ipynb":
            try:
                cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
            except Exception:  # not a notebook after all: nothing of it is compared
                continue
            files.append(SourceFile(relative, _ending("\n\n".join(cells))))
    return Document(source.ref, "", tuple(files))


def _ending(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"


def compare_outside(tp: str, printed: list[Fingerprinted], outsiders: list[Outsider],
                    candidates: int = CANDIDATES) -> list[Pair]:
    """Each submission of the class with enough own code against the sources (all) and its closest
    archived submissions (`candidates`), as pairs whose `a` is the classmate."""
    kept = [f for f in printed if f.fingerprint.own >= MIN_OWN]
    sources = [o for o in outsiders if o.origin == "source" and o.printed.fingerprint.own >= MIN_OWN]
    archived = [o for o in outsiders if o.origin == "archive" and o.printed.fingerprint.own >= MIN_OWN]
    pairs = []
    index = Index(archived)
    for mine in kept:
        closest = [archived[i] for i in index.closest(mine, candidates)]
        for other in sources + closest:
            if other.printed.document.commit and other.printed.document.commit == mine.document.commit \
                    and other.printed.document.owner.endswith(f"/{mine.document.owner}"):
                continue  # the same repository's same commit, archived: the student's own work
            pair = compare(tp, mine, other.printed, ordered=True)
            pairs.append(replace(pair, origin=other.origin, label=other.label))
    return pairs


class Index:
    """The archive's distinct k-gram hashes, once for the whole class: unique values and, for each
    occurrence, the archived submission it belongs to."""

    def __init__(self, archived: list[Outsider]) -> None:
        sets = [o.printed.fingerprint.distinct for o in archived]
        self.sizes = np.array([len(s) for s in sets], dtype=np.int64)
        every = np.concatenate(sets) if sets else np.zeros(0, np.int64)
        self.owner = np.repeat(np.arange(len(sets)), self.sizes)
        self.unique, self.inverse = np.unique(every, return_inverse=True)

    def closest(self, mine: Fingerprinted, candidates: int) -> list[int]:
        """Indices of the `candidates` archived submissions sharing the largest part of their distinct
        k-grams with `mine` (Dice: 2 shared / (mine + theirs)); none that share nothing."""
        if not len(self.sizes):
            return []
        hit = np.isin(self.unique, mine.fingerprint.distinct)[self.inverse]
        shared = np.bincount(self.owner[hit], minlength=len(self.sizes))
        dice = 2 * shared / np.maximum(1, self.sizes + len(mine.fingerprint.distinct))
        order = np.argsort(-dice, kind="stable")[:candidates]
        return [int(i) for i in order if shared[i] > 0]
