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
(grader.outside): such a pair's `b` is "2025/s03" or "source:cs231n", with a French label.
The comparison is cached; the page is rendered again at every run (the instructor's decisions,
grader.course.review, change without the code changing).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import __version__
from .grading.config import Project
from .course.course import Course
from .base.errors import UsageError
from .fingerprint import Fingerprint, fingerprint, overlap, starter_hashes
from .course.gradebook import Submission
from .base.files import write_atomically
from .grading.repos import commit_files

THRESHOLD = 0.8  # a pair at or above it is suspect: chosen on the test class (benchmarks/RESULTS.md)
MIN_OWN = 100  # characters of own normalised code below which a submission is not compared
MAX_FILE = 256 << 10  # bytes: a larger .py file is data, not code (grader.codescan reports it)
CSV_HEADER = ["tp", "a", "b", "score", "score_a", "score_b", "shared_lines_a", "shared_lines_b",
              "regions_a", "regions_b", "origin", "label"]
ORIGINS = {"": "classe", "archive": "archive", "source": "source"}  # where a pair's b comes from


@dataclass(frozen=True)
class SourceFile:
    path: str  # "tp1/mlp.py"
    text: str  # its content


@dataclass(frozen=True)
class Document:
    owner: str  # the repository owner (student or group id)
    commit: str  # the graded commit the files come from
    files: tuple[SourceFile, ...]  # the TP package's .py files, sorted by path


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


def documents(folders: list[Path], submissions: list[Submission], tp: str) -> tuple[list[Document], list[str]]:
    """Each owner's graded `tp/*.py` files, read from the mirror of the folder that holds them;
    (documents, French notes on what could not be read)."""
    docs, notes = [], []
    for submission in sorted(submissions, key=lambda s: s.owner):
        if submission.tp != tp or submission.commit is None:
            continue
        mirror = next((f / "repos" / f"{submission.owner}.git" for f in folders
                       if (f / "repos" / f"{submission.owner}.git").is_dir()), None)
        if mirror is None:
            notes.append(f"{submission.owner}: {tp} : miroir du dépôt absent, rendu non comparé")
            continue
        try:
            found = commit_files(mirror, submission.commit, max_read=MAX_FILE,
                                 skip=lambda path, blob: not path.startswith(f"{tp}/"))  # the TP's files only
        except Exception as exc:  # a corrupt mirror or a vanished commit: this owner only
            notes.append(f"{submission.owner}: {tp} : commit illisible ({type(exc).__name__}), rendu non comparé")
            continue
        files = tuple(SourceFile(f.path, _text(f.data)) for f in found
                      if f.path.startswith(f"{tp}/") and f.path.endswith(".py") and f.data is not None)
        docs.append(Document(submission.owner, submission.commit, files))
    return docs, notes


def _text(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if text.endswith("\n") or not text else text + "\n"


def boilerplate(project: Project, tp: str) -> list[str]:
    """What every student starts from: the stubs of assignments/tpN/ and the handout's code cells."""
    import nbformat

    texts = [p.read_text(encoding="utf-8") for p in sorted((project.assignments / tp).rglob("*.py"))]
    notebook = project.assignments / "handouts" / f"{tp}.ipynb"
    if notebook.is_file():
        cells = [cell.source + "\n" for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
        texts += cells + ["".join(cells)]  # one by one, and pasted in a row
    return texts


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


def run(project: Project, course: Course, tp: str, folders: list[Path], out: Path,
        threshold: float = THRESHOLD) -> tuple[list[Pair], list[str]]:
    """Compare a TP's graded submissions of the collect folders with each other, the archive and the
    sources; write similarity-tpN.csv and similarity-tpN.html into `out` (each whole or not at all).
    Returns (pairs, notes)."""
    from . import outside
    from .course.submissions import read_submissions
    from .similarityreport import refresh, views, write_views

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


def check_sources(folders: list[Path]) -> None:
    for folder in folders:
        if not (folder / "submissions").is_dir():
            raise UsageError(f"{folder}: no stored results (run grader collect first)")


def percent(share: float) -> str:
    """0.92 → "92 %", as French writes it."""
    return f"{share:.0%}".replace("%", " %")


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
