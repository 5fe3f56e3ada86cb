"""`grader similarity`: every pair of a TP's submissions compared by code fingerprints.

Runs after grading, from a collect output folder, and grades nothing: each graded commit's
`tpN/*.py` files are read from the bare mirror in `repos/`, concatenated into one document per
repository owner (a group's members share one, so they are never compared with each other),
and fingerprinted once with copydetect (Pygments tokens; every identifier becomes one letter,
comments and whitespace vanish, so renaming, re-commenting and reformatting change nothing).
Fingerprints are a set of k-grams, so reordering functions only breaks the k-grams that straddle
two of them. The starter's stubs (docstrings included) and the handout's code cells are
boilerplate: a k-gram found there is never evidence.

A pair's score is the share of both submissions' own fingerprinted code that the other one also
has: (shared a + shared b) / (own a + own b), from 0 to 1. Each side's share is kept too.
Submissions are also compared with the archive of past classes and the known public sources
(grader.integrity.outside): such a pair's `b` is "2025/s03" or "source:cs231n", with a French label.
The comparison is cached; the page is rendered again at every run (the instructor's decisions,
grader.course.review, change without the code changing).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import __version__
from ..base.errors import UsageError
from ..base.files import write_atomically
from ..course.course import Course
from ..course.submissions import read_submissions
from ..grading.config import Project
from . import outside
from .documents import boilerplate, documents
from .fingerprint import starter_hashes
from .pairs import THRESHOLD, Pair, compare_class, csv_path, fingerprint_all, read_csv, views_path, write_csv
from .similarityreport import refresh, views, write_views


def run(project: Project, course: Course, tp: str, folders: list[Path], out: Path,
        threshold: float = THRESHOLD) -> tuple[list[Pair], list[str]]:
    """Compare a TP's graded submissions of the collect folders with each other, the archive and the
    sources; write similarity-tpN.csv and similarity-tpN.html into `out` (each whole or not at all).
    Returns (pairs, notes)."""
    check_sources(folders)
    submissions = read_submissions(folders)
    starter = boilerplate(project, tp)
    year = max(t.deadline for t in course.tps).year
    # Unchanged since the last run (same graded commits, starter, archive, sources, settings): nothing to redo.
    key = hashlib.sha256(json.dumps([__version__, course.name, tp, threshold, starter, sorted(
        (s.owner, s.commit) for s in submissions if s.tp == tp and s.commit),
        outside.cache_key(course.archives, course.sources, tp, year)]).encode()).hexdigest()
    done = out / f"similarity-{tp}.done.json"
    previous = json.loads(done.read_text(encoding="utf-8")) if done.is_file() else {}
    if previous.get("key") != key or not csv_path(out, tp).is_file() or not views_path(out, tp).is_file():
        docs, notes = documents(folders, submissions, tp)
        printed = fingerprint_all(docs, starter)
        pairs, more = compare_class(tp, printed)
        outsiders, outside_notes = outside.gather(course.archives, course.sources, tp, starter_hashes(starter), year,
                                                  {d.owner for d in docs})
        pairs = sorted(pairs + outside.compare_outside(tp, printed, outsiders), key=lambda p: (-p.score, p.a, p.b))
        notes += more + outside_notes
        counts = {"submissions": len(printed), "archive": sum(o.origin == "archive" for o in outsiders),
                  "sources": sum(o.origin == "source" for o in outsiders)}
        write_csv(csv_path(out, tp), pairs)
        write_views(views_path(out, tp), views(pairs, threshold, printed + [o.printed for o in outsiders], starter))
        previous = {"key": key, "notes": notes, "counts": counts}
        write_atomically(done, json.dumps(previous, ensure_ascii=False))  # last: the others are whole
    refresh(out, course.name, tp, threshold, course.review)
    return read_csv(csv_path(out, tp)), list(previous.get("notes", []))


def check_sources(folders: list[Path]) -> None:
    for folder in folders:
        if not (folder / "submissions").is_dir():
            raise UsageError(f"{folder}: no stored results (run grader collect first)")


def summary_line(tp: str, pairs: list[Pair], threshold: float) -> str:
    """The console line of the class's own pairs; a second one when the archive or sources were compared."""
    mine = [p for p in pairs if not p.origin]
    suspect = sum(p.score >= threshold for p in mine)
    top = f"; highest {mine[0].score:.0%} ({mine[0].a} – {mine[0].b})" if mine else ""
    line = f"similarity {tp}: {len(mine)} pairs, {suspect} at or above {threshold:.0%}{top}"
    others = [p for p in pairs if p.origin]
    if others:
        close = [p for p in others if p.score >= threshold]
        line += (f"\nsimilarity {tp}, archive and sources: {len(others)} pairs compared, {len(close)} at or above "
                 f"{threshold:.0%}" + (f"; highest {others[0].score:.0%} ({others[0].a} – {others[0].b})" if others else ""))
    return line
