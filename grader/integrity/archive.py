"""`grader archive`: what similarity needs of a class's graded submissions, kept from year to year.

An archive is a folder the instructor keeps (course.yaml's `archive:`): one sub-folder per year,
one per TP inside, and per repository owner two files, written whole or not at all:
- `<owner>.json`: the TP's `.py` files as graded (path and text), the owner and its students
  (id, name, TP mark), the course's title, the commit and the year;
- `<owner>.npz`: the files' normalised code and its map to the original characters (grader.
  fingerprint's `Kgrams`: the costly part, Pygments lexing, done once), numpy arrays read back
  with allow_pickle=False. Not the k-gram hashes: copydetect's change from process to process
  (Python's `hash()`), so they are computed again from the normalised code when read.
The boilerplate is removed when the archive is compared, with the starter of the year compared
in. A record made by another fingerprinter (K, copydetect or Pygments version) is fingerprinted
again from its files. The archive holds students' code and names: folders are made mode 0700.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..base.files import write_atomically
from ..course.gradebook import build_gradebook
from ..course.submissions import read_submissions
from .documents import Document, SourceFile, documents
from .fingerprint import K, Kgrams, kgram_hashes, kgrams

SCHEMA = 1
YEAR = re.compile(r"^\d{4}$")


def fingerprinter() -> str:
    """What the stored k-grams depend on: a record made by another is fingerprinted again."""
    import copydetect
    import pygments

    return f"k{K}-copydetect{copydetect.__version__}-pygments{pygments.__version__}-normalised"


@dataclass(frozen=True)
class ArchivedStudent:
    id: str  # student number
    name: str  # as the roster of that year wrote it
    mark: float | None  # the TP mark the student got (after penalty and override); None: no mark


@dataclass(frozen=True)
class Archived:
    year: int  # the class's year
    owner: str  # the repository owner that year (student or group id)
    students: tuple[ArchivedStudent, ...]  # its members
    course: str  # the course's title that year
    document: Document  # the files, as the owner "2025/s03"
    grams: Kgrams  # every k-gram of the files

    @property
    def ref(self) -> str:
        """How a pair's other side names it (CSV, review file): "2025/s03"."""
        return f"{self.year}/{self.owner}"

    @property
    def label(self) -> str:
        """"Martin Léa (e001), 2025": for the instructor's pages only."""
        names = ", ".join(f"{s.name} ({s.id})" for s in self.students) or self.owner
        group = f" — groupe {self.owner}" if len(self.students) > 1 else ""
        return f"{names}{group}, {self.year}"


def current_year(deadlines: list[datetime]) -> int:
    """The year a class is archived under by default: that of its last deadline."""
    return max(deadlines).year


def write_record(folder: Path, year: int, tp: str, doc: Document, students: list[ArchivedStudent],
                 course: str, grams: Kgrams | None = None) -> Path:
    """Store one submission in `folder/<year>/<tp>/`; returns the JSON file's path."""
    where = folder / str(year) / tp
    for level in (folder, folder / str(year), where):
        level.mkdir(mode=0o700, exist_ok=True)
    grams = grams or kgrams([(f.path, f.text) for f in doc.files])
    data = {"schema": SCHEMA, "year": year, "tp": tp, "owner": doc.owner, "course": course, "commit": doc.commit,
            "students": [{"id": s.id, "name": s.name, "mark": s.mark} for s in students],
            "archived_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "fingerprinter": fingerprinter(),
            "files": [{"path": f.path, "text": f.text} for f in doc.files]}
    arrays = where / f"{doc.owner}.npz"
    with open(arrays.with_suffix(".npz.tmp"), "wb") as handle:
        np.savez_compressed(handle, filtered=np.array(grams.filtered), offsets=grams.offsets,
                            ends=np.asarray(grams.ends, np.int64))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(arrays.with_suffix(".npz.tmp"), arrays)
    path = where / f"{doc.owner}.json"
    write_atomically(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")  # last: the record is whole
    return path


def records(folders: tuple[Path, ...] | list[Path], tp: str) -> list[Path]:
    """The JSON files of every archived submission of `tp`, by folder, year and owner."""
    return [path for folder in folders if folder.is_dir()
            for year in sorted(p for p in folder.iterdir() if YEAR.match(p.name) and p.is_dir())
            for path in sorted((year / tp).glob("*.json"))]


def listing(folders: tuple[Path, ...] | list[Path], tp: str) -> list[tuple[str, int, int]]:
    """(file, size, mtime) of every record of `tp`: part of a comparison's cache key."""
    found = []
    for path in records(folders, tp):
        for file in (path, path.with_suffix(".npz")):
            info = file.stat() if file.is_file() else None
            found.append((str(file), info.st_size if info else -1, info.st_mtime_ns if info else -1))
    return found


def read_record(path: Path) -> Archived:
    """One archived submission; its k-grams from the `.npz`, or computed again from its files when
    they were made by another fingerprinter or the arrays are missing."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"archive schema {data.get('schema')!r}, expected {SCHEMA}")
    year, owner = int(data["year"]), str(data["owner"])
    files = tuple(SourceFile(f["path"], f["text"]) for f in data["files"])
    doc = Document(f"{year}/{owner}", str(data.get("commit") or ""), files)
    arrays = path.with_suffix(".npz")
    if data.get("fingerprinter") == fingerprinter() and arrays.is_file():
        with np.load(arrays, allow_pickle=False) as stored:
            filtered = str(stored["filtered"])
            grams = Kgrams(filtered, stored["offsets"], kgram_hashes(filtered), tuple(int(e) for e in stored["ends"]))
    else:
        grams = kgrams([(f.path, f.text) for f in files])
    students = tuple(ArchivedStudent(str(s["id"]), str(s["name"]), s.get("mark")) for s in data.get("students", []))
    return Archived(year, owner, students, str(data.get("course", "")), doc, grams)


def archive_class(course, roster, folders: list[Path], to: Path, year: int,
                  tps: list[str]) -> tuple[dict[str, int], list[str]]:
    """Store every graded submission of `tps` read from the collect folders: (records per TP, French
    notes on what could not be read). Re-archiving a year replaces its records owner by owner."""

    submissions = read_submissions(folders)
    gradebook = build_gradebook(course, roster, submissions)
    counts, notes = {}, []
    for tp in tps:
        docs, more = documents(folders, submissions, tp)
        notes += more
        kept = [doc for doc in docs if doc.files]
        for doc in kept:
            students = [ArchivedStudent(row.student.id, row.student.name, row.tp(tp).mark.value)
                        for row in gradebook.rows if row.tp(tp).owner == doc.owner]
            write_record(to, year, tp, doc, students, course.name)
        counts[tp] = len(kept)
    return counts, notes
