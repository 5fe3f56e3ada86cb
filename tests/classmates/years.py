"""Two years of one course for the archive and sources tests and benchmark.

A 2025 class of independent students (archived with `grader archive`), known public solutions
(one folder each, drawn like an independent student), and a 2026 class: independent students and
planted copies of 2025 submissions and of one source, disguised by code (tests/classmates'
renaming, reordering, re-commenting, reformatting, one function rewritten).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from . import ALL, disguise, student, write_class

# (2026 copier, what it copies: a 2025 owner or a source, disguises)
COPIES = (
    ("k01", "a03", ("rename",)), ("k02", "a07", ("reorder",)), ("k03", "a11", ("recomment",)),
    ("k04", "a15", ("reformat",)), ("k05", "a19", ("swap", "rename", "reformat")),
    ("k06", "source:web-a", ALL),
)
DEADLINE_2025 = {"tp1": "2025-02-16T23:59:00+01:00", "tp2": "2025-03-09T23:59:00+01:00"}
DEADLINE_2026 = {"tp1": "2026-02-15T23:59:00+01:00", "tp2": "2026-03-08T23:59:00+01:00"}


@dataclass(frozen=True)
class Years:
    course_2025: Path  # course.yaml of the archived class
    course_2026: Path  # course.yaml of this year's class (archive: and sources: keys)
    archive: Path  # the archive folder both course files name
    planted: dict[str, str]  # 2026 copier → what it copies ("2025/a03", "source:web-a")
    sources: tuple[str, ...]  # the source ids


def source_keys(base: Path, names: list[str]) -> str:
    lines = "".join(f"  {name}:\n    dir: ../sources/{name}\n    url: https://github.com/exemple/{name}\n"
                    f"    name: \"Corrigé publié {name}\"\n" for name in names)
    return f"sources:\n{lines}" if names else ""


def build_years(base: Path, archived: int = 30, independent: int = 26, sources: int = 2, seed: int = 25,
                tp: str = "tp1", copies: tuple = COPIES, archive_2025: bool = True) -> Years:
    """Both classes as real git repos and collect folders (`base/2025`, `base/2026`), the source
    folders (`base/sources/web-a`…). `archive_2025=False` writes no 2025 repositories (the
    benchmark fills the archive itself); the 2025 students' files are in `base/2025/files`."""
    rng = random.Random(seed)
    old = {f"a{i:02d}": {tp: student(tp, rng)} for i in range(archived)}
    names = [f"web-{chr(ord('a') + i)}" for i in range(sources)]
    public = {name: student(tp, rng) for name in names}
    for name, files in public.items():
        for module, text in files.items():
            path = base / "sources" / name / tp / module
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    new = {f"n{i:02d}": {tp: student(tp, rng)} for i in range(independent)}
    planted = {}
    for copier, origin, how in copies:
        files = public[origin.split(":")[1]] if origin.startswith("source:") else old[origin][tp]
        new[copier] = {tp: disguise(tp, files, how, rng)}
        planted[copier] = origin if origin.startswith("source:") else f"2025/{origin}"
    archive_key = "archive: ../archive\n"
    if archive_2025:
        course_2025 = write_class(base / "2025", old, (tp,), deadlines=DEADLINE_2025, course_keys=archive_key)
    else:
        course_2025 = base / "2025" / "course.yaml"
        (base / "2025").mkdir(parents=True, exist_ok=True)
        for owner, work in old.items():
            for module, text in work[tp].items():
                path = base / "2025" / "files" / owner / tp / module
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    course_2026 = write_class(base / "2026", new, (tp,), deadlines=DEADLINE_2026,
                              course_keys=archive_key + source_keys(base, names))
    return Years(course_2025, course_2026, base / "archive", planted, tuple(names))
