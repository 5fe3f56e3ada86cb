"""The instructor's integrity commands beyond the class: `grader archive` and `grader oral`.

Wired into the parser by instructor.py; each handler calls its stage (grader.integrity.archive,
grader.integrity.oral) on a collect output folder and prints what it wrote. Nothing here grades,
compares or renders by itself.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..base.errors import UsageError
from ..course.course import load_class
from ..course.gradebook import build_gradebook
from ..course.submissions import read_submissions
from ..grading.config import Project
from ..integrity.archive import archive_class, current_year
from ..integrity.oral import write_sheets
from ..integrity.similarity import check_sources
from .classrun import add_course_options


def add_integrity_commands(commands: argparse._SubParsersAction) -> None:
    archive = commands.add_parser("archive", help="keep the graded submissions for the next years' similarity")
    archive.add_argument("tps", nargs="*", metavar="TP", help="TPs to archive (default: every TP of course.yaml)")
    add_course_options(archive)
    archive.add_argument("--from", dest="sources", action="append", type=Path, default=[], metavar="DIR",
                         help="collect output folder to read (repeatable, e.g. each shard; default: --out)")
    archive.add_argument("--year", type=int, help="the class's year (default: the year of its last deadline)")
    archive.add_argument("--to", type=Path, metavar="DIR",
                         help="the archive folder (default: the first folder of course.yaml's archive:)")
    archive.set_defaults(run=cmd_archive)

    oral = commands.add_parser("oral", help="a printable oral check sheet on a student's own code (instructor only)")
    oral.add_argument("tp", metavar="TP", help="the TP")
    oral.add_argument("--student", action="append", required=True, metavar="ID", help="student id (repeatable)")
    add_course_options(oral)
    oral.add_argument("--from", dest="sources", action="append", type=Path, default=[], metavar="DIR",
                      help="collect output folder to read (repeatable; default: --out)")
    oral.set_defaults(run=cmd_oral)


def cmd_archive(project: Project, args: argparse.Namespace) -> int:
    sources = args.sources or [args.out]
    check_sources(sources)
    course, roster = load_class(args.course)
    target = args.to or (course.archives[0] if course.archives else None)
    if target is None:
        raise UsageError(f"no archive folder: give --to DIR or an archive: key in {args.course}")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: not a folder")
    tps = _tps(course, args.tps, args.course)
    year = args.year or current_year([tp.deadline for tp in course.tps])
    if not 1900 <= year <= 9999:
        raise UsageError(f"--year {year}: a four-digit year")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    counts, notes = archive_class(course, roster, sources, target, year, tps)
    for tp, count in counts.items():
        print(f"archive {tp}: {count} submission{'s' * (count != 1)} of {year} in {target / str(year) / tp}")
    for note in notes:
        print(f"  ! {note}")
    return 0


def cmd_oral(project: Project, args: argparse.Namespace) -> int:
    sources = args.sources or [args.out]
    check_sources(sources)
    course, roster = load_class(args.course)
    tp = _tps(course, [args.tp], args.course)[0]
    gradebook = build_gradebook(course, roster, read_submissions(sources))
    for path in write_sheets(project, gradebook, sources, args.out, tp, set(args.student)):
        print(path)
    return 0


def _tps(course, names: list[str], path: Path) -> list[str]:
    known = [tp.name for tp in course.tps]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"{', '.join(unknown)}: not a TP of {path}")
    return names or known
