"""The instructor's class commands: `grader collect`, `grader report`, `grader similarity`.

Wired into the parser by instructor.py; each handler calls the stages (collect, similarity, integrity,
the gradebook and its renderers) and prints what the instructor must see: the run's summary, what
to check, the warnings. Nothing here grades or renders by itself.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..base.errors import GraderError, UsageError
from ..classrun.attention import attention_items, mostly_late, summary_line
from ..classrun.classreport import write_outputs
from ..classrun.collect import CollectOptions, collect, parse_shard
from ..classrun.history import history, write_histories
from ..course.course import load_class
from ..course.gradebook import build_gradebook
from ..course.submissions import read_submissions, trusted_commit_dates
from ..grading.config import Project
from ..integrity import similarity
from ..integrity.flags import ClassIntegrity
from ..integrity.flags import load as load_integrity
from ..integrity.oral import write_sheets
from ..integrity.similarityreport import refresh
from .options import add_isolation_options, run_options


def add_class_commands(commands: argparse._SubParsersAction) -> None:
    """`grader collect` and `grader report`: the whole class."""
    collect = commands.add_parser("collect", help="fetch, grade and report the whole class (resumable)")
    add_course_options(collect)
    collect.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="gradings in parallel (default: cores)")
    collect.add_argument("--shard", default="1/1", help="i/N: grade only this slice of the class (1-based)")
    collect.add_argument("--snapshot", action="store_true", help="only fetch and record first-seen times")
    collect.add_argument("--now", help="ISO time to judge lateness at (re-running a past collection): nothing is "
                                        "recorded in the ledger by such a run")
    collect.add_argument("--student", action="append", default=[], metavar="ID",
                         help="collect only this student's (or group's) repository (repeatable); the gradebook is "
                              "re-rendered for everyone from what is stored")
    collect.add_argument("--tp", action="append", default=[], metavar="TP", help="with --regrade: only these TPs")
    collect.add_argument("--regrade", action="store_true",
                         help="grade the selection again even where the cache holds a result (after a fix, say)")
    collect.add_argument("--repo-timeout", type=float, default=120.0, metavar="SECONDS", help="per clone or fetch")
    collect.add_argument("--timeout", type=float, metavar="SECONDS", help="per call into student code")
    collect.add_argument("--trust-commit-dates", action="store_true",
                         help="take each commit's own (forgeable) date as evidence of when it was submitted, for a "
                              "class with no recorded sighting before a deadline; the gradebook says so")
    collect.add_argument("--allow-unreachable", action="store_true",
                         help="go on when more than half of the repositories cannot be fetched (they get 0); "
                              "without it collect stops with exit 2 before grading")
    collect.add_argument("--no-similarity", action="store_true",
                         help="skip the similarity step (every pair of submissions of each TP compared)")
    collect.add_argument("--paste-window", type=float, default=30.0, metavar="MINUTES",
                         help="integrity: flag a commit adding most of a TP this close to the deadline (default 30)")
    add_isolation_options(collect)
    collect.set_defaults(run=cmd_collect)

    similar = commands.add_parser("similarity", help="compare every pair of graded submissions of a TP (no regrading)")
    similar.add_argument("tps", nargs="*", metavar="TP", help="TPs to compare (default: every TP of course.yaml)")
    add_course_options(similar)
    similar.add_argument("--from", dest="sources", action="append", type=Path, default=[], metavar="DIR",
                         help="collect output folder to read (repeatable, e.g. each shard; default: --out)")
    similar.set_defaults(run=cmd_similarity)

    past = commands.add_parser("history", help="one student's semester: sightings, gradings, lateness, overrides")
    past.add_argument("student", metavar="ID", help="the student's id (roster)")
    add_course_options(past)
    past.set_defaults(run=cmd_history)

    report = commands.add_parser("report", help="re-render gradebook and feedback from stored results")
    add_course_options(report)
    report.add_argument("--from", dest="sources", action="append", type=Path, default=[], metavar="DIR",
                        help="output folder of a shard to merge (repeatable; default: --out)")
    report.set_defaults(run=cmd_report)


def add_course_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course", type=Path, default=Path("course.yaml"), help="the course file (default: ./course.yaml)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: ./out)")
    parser.add_argument("--ledger", type=Path, help="first-seen ledger (default: ledger.jsonl beside course.yaml)")


def cmd_collect(project: Project, args: argparse.Namespace) -> int:
    if not args.course.is_file():
        raise UsageError(f"{args.course}: no such course file")
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: at least one grading at a time")
    now = parse_now(args.now)
    clock = parse_now(os.environ.get(CLOCK_ENV), CLOCK_ENV)  # demos and tests replay a semester in a minute
    if args.paste_window <= 0:
        raise UsageError("--paste-window must be a positive number of minutes")
    options = CollectOptions(out=args.out, ledger=args.ledger or args.course.parent / "ledger.jsonl", jobs=args.jobs,
                             shard=parse_shard(args.shard), snapshot=args.snapshot, now=now, clock=clock,
                             owners=tuple(args.student), tps=tuple(args.tp), regrade=args.regrade,
                             repo_timeout=args.repo_timeout, run=run_options(args),
                             paste_window=timedelta(minutes=args.paste_window),
                             trust_commit_dates=args.trust_commit_dates, allow_unreachable=args.allow_unreachable)
    steps = Stopwatch()
    with steps("fetch" if args.snapshot else "fetch and grading"):
        summary = collect(project, args.course, options)
    lines = []
    if not args.snapshot:
        if options.shard != (1, 1) and not args.no_similarity:
            lines.append("similarity: skipped in a shard (run grader similarity --from each shard's folder)")
        elif not args.no_similarity:
            with steps("similarity"):
                lines += similarity_step(project, args.course, [args.out], args.out, [])
        with steps("gradebook"):
            written, integrity = render_class(project, args.course, [args.out], args.out, args.ledger)
        print(f"{len(written)} files written to {args.out}")
        lines.append(integrity.summary())
    print(f"{summary.owners} repositor{'y' if summary.owners == 1 else 'ies'} · {summary.graded} graded · {summary.cached} from the cache · "
          f"{summary.failed} failed" + ("" if not args.snapshot else " (snapshot: nothing graded)"))
    for note in summary.notes:
        print(f"  ! {note}")
    for line in lines:
        print(line)
    print(steps.summary())
    return 0


class Stopwatch:
    """How long each step of a command took, for its last line ("time: fetch and grading 86.0 s ·
    similarity 14.5 s · gradebook 0.4 s"): what an instructor plans a deadline's run by, and what
    benchmarks/bench_collect.py reads to leave the similarity step out of the grading's time."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.steps.append((name, time.monotonic() - start))

    def summary(self) -> str:
        return "time: " + " · ".join(f"{name} {seconds:.1f} s" for name, seconds in self.steps)


def similarity_step(project: Project, course_path: Path, sources: list[Path], out: Path, names: list[str]) -> list[str]:
    """Compare each TP's submissions (with each other, the archive and the sources) and write the
    oral check sheets of the class; a TP whose comparison fails is reported and skipped, so that
    the gradebook is still rendered (what it had already written stays whole)."""
    course, roster = load_class(course_path)
    gradebook = build_gradebook(course, roster, read_submissions(sources))
    lines = []
    for name in names or [tp.name for tp in course.tps]:
        try:
            pairs, notes = similarity.run(project, course, project.tp(name).name, sources, out)
        except GraderError:
            raise
        except Exception as exc:  # a bug or an unreadable mirror must not cost the gradebook
            lines.append(f"similarity {name}: failed ({type(exc).__name__}: {exc})"[:300])
            continue
        lines.append(similarity.summary_line(name, pairs, similarity.THRESHOLD))
        lines += [f"  ! {note}" for note in notes]
        try:
            write_sheets(project, gradebook, sources, out, name)
        except Exception as exc:  # likewise: the sheets are a help, never worth the gradebook
            lines.append(f"oral {name}: failed ({type(exc).__name__}: {exc})"[:300])
    return lines


def cmd_similarity(project: Project, args: argparse.Namespace) -> int:
    sources = args.sources or [args.out]
    similarity.check_sources(sources)
    course, _ = load_class(args.course)
    unknown = [name for name in args.tps if name not in {tp.name for tp in course.tps}]
    if unknown:
        raise UsageError(f"{', '.join(unknown)}: not a TP of {args.course}")
    lines = similarity_step(project, args.course, sources, args.out, args.tps)
    written, integrity = render_class(project, args.course, sources, args.out, args.ledger)
    print(f"{len(written)} files written to {args.out}")
    for line in lines + [integrity.summary()]:
        print(line)
    return 0


CLOCK_ENV = "DLGRADE_CLOCK"  # what the clock says for this run (sightings are recorded at it): demos and tests only


def parse_now(text: str | None, what: str = "--now"):
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{what} {text!r}: expected an ISO time with its zone") from None
    if moment.tzinfo is None:
        raise UsageError(f"{what} {text!r}: give the time zone (e.g. +01:00 or Z)")
    return moment.astimezone(timezone.utc)


def cmd_history(project: Project, args: argparse.Namespace) -> int:
    if not args.course.is_file():
        raise UsageError(f"{args.course}: no such course file")
    print(history(project, args.course, args.out, args.ledger or args.course.parent / "ledger.jsonl", args.student), end="")
    return 0


def cmd_report(project: Project, args: argparse.Namespace) -> int:
    written, integrity = render_class(project, args.course, args.sources or [args.out], args.out, args.ledger)
    print(f"{len(written)} files written to {args.out}")
    print(integrity.summary())
    return 0


def render_class(project: Project, course_path: Path, sources: list[Path], out: Path,
                 ledger: Path | None = None) -> tuple[list[Path], ClassIntegrity]:
    """Gradebook, feedback, a-verifier.csv and integrity.csv from stored results only: nothing is
    graded here. What needs the instructor's eye is also said on the console."""
    course, roster = load_class(course_path)
    similarity.check_sources(sources)
    submissions = read_submissions(sources)
    integrity = load_integrity(project, course, sources, [out, *sources], submissions)
    gradebook = build_gradebook(course, roster, submissions)
    if gradebook.set_aside:
        owners = sorted({entry.split()[0] for entry in gradebook.set_aside})
        print(f"set aside: the stored results of {len(owners)} repository owner(s) or TP(s) no longer in the course "
              f"({', '.join(owners[:8])}{', …' if len(owners) > 8 else ''}): kept in {sources[0] / 'submissions'}, "
              "not in the gradebook")
    for row in gradebook.rows:
        if row.final.error and not row.final.override:
            print(f"grader: warning: {row.student.id}: final mark not computed: {row.final.error}", file=sys.stderr)
    for tp in course.tps:  # the instructor's decisions, on the pages of the last comparison
        if similarity.views_path(out, tp.name).is_file() and (out / f"similarity-{tp.name}.done.json").is_file():
            refresh(out, course.name, tp.name, similarity.THRESHOLD, course.review)
    late = mostly_late(gradebook)
    notices = tuple(f"Dates de commit prises sur parole (--trust-commit-dates, collecte du {at[:16]}) : elles sont "
                    "falsifiables par les étudiants." for at in trusted_commit_dates(sources)) + tuple(late)
    for warning in late:
        print(f"grader: warning: {warning}", file=sys.stderr)
    print(summary_line(attention_items(gradebook)) + " (a-verifier.csv)")
    written = write_outputs(gradebook, out, integrity, notices, [out, *sources])
    written += write_histories(gradebook, roster, out, ledger or course_path.parent / "ledger.jsonl")
    return written, integrity
