"""The `grader` command: parses arguments and calls the stages, nothing more.

Exit codes (DESIGN.md): 0 the command did its job whatever the marks, 1 `validate` found a
mismatch, 2 bad usage, path or configuration, 3 a required isolation layer is missing.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .check import check
from .classreport import write_outputs
from .collect import CollectOptions, collect, parse_shard, read_submissions
from .config import Project
from .course import load_class
from .gitlab_admin import add_gitlab_commands
from .gradebook import build_gradebook
from .heldout import KEY_ENV, dataset_folders
from .errors import GraderError, IsolationError, UsageError
from .marks import Grading
from .reference import build_expected
from .push import Push, banner, hidden_modules, push_context, sighting, student_view, write_sighting
from .release import release
from .report import render_table, write_junit
from .repos import commit_of
from .runner import RunOptions, grade_checkout, hidden_paths, sandbox_policy
from .sandbox import LAYERS, CallFailure, IsolationReport, SandboxError, SandboxPolicy, WorkerSession
from .stubs import drift, generate


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.run is cmd_check:  # a student's repo: no dlgrade project (reference/) needed
            return cmd_check(None, args)
        project = Project.at(Path(args.project)) if args.project else Project.installed()
        return args.run(project, args)
    except GraderError as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a path the grader itself cannot read or write
        print(f"grader: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="dlgrade: grade the TPs of Apprentissage profond.")
    parser.add_argument("--version", action="version", version=f"dlgrade {__version__}")
    parser.add_argument("--project", help="the dlgrade checkout (default: the one grader is installed from)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    test = commands.add_parser("test", help="grade one TP of one student checkout with the hidden tests")
    test.add_argument("tp", help="tp1, tp2, …")
    test.add_argument("repo", type=Path, help="the student's checkout")
    test.add_argument("--json", type=Path, help="write the result JSON (schema 1) here")
    test.add_argument("--junit", type=Path, help="write a JUnit XML report (French messages only) here")
    test.add_argument("--student", help="student id in the outputs (default: the folder's name)")
    test.add_argument("--only", action="append", default=[], metavar="TEST_ID",
                      help="run only this hidden test (repeatable; e.g. test_losses.py::test_name): "
                           "the score is then out of the selected tests' points")
    test.add_argument("--timeout", type=float, metavar="SECONDS",
                      help="wall-clock limit per call into student code (default: the TP's rubric.yaml)")
    test.add_argument("--heldout-seed", type=int, metavar="N",
                      help="calibration: draw the held-out data from seed N instead of this submission's secret")
    add_isolation_options(test)
    test.set_defaults(run=cmd_test)

    push = commands.add_parser("push", help="grade the pushed commit in a GitLab CI job (gitlab/grade.yml)")
    push.add_argument("tp", help="tp1, tp2, …")
    push.add_argument("repo", type=Path, nargs="?", default=Path("."), help="the pushed checkout (default: .)")
    push.add_argument("--course", type=Path, required=True, help="course.yaml (deadlines, extensions, ci.before_deadline)")
    push.add_argument("--json", type=Path, help="write what the student may see, as result JSON, here")
    push.add_argument("--junit", type=Path, help="write what the student may see, as JUnit XML, here")
    push.add_argument("--sighting", type=Path, help="write the pipeline's first-seen evidence (a ledger line) here")
    push.add_argument("--timeout", type=float, metavar="SECONDS", help="wall-clock limit per call into student code")
    add_isolation_options(push)
    push.set_defaults(run=cmd_push)

    check_cmd = commands.add_parser("check", help="your TP's public tests and a provisional mark (students)")
    check_cmd.add_argument("tp", help="tp1, tp2, …")
    check_cmd.add_argument("repo", type=Path, nargs="?", default=Path("."), help="your repository (default: .)")
    check_cmd.add_argument("--json", type=Path, help="write the result JSON (schema 1) here")
    check_cmd.add_argument("--junit", type=Path, help="write a JUnit XML report here (for GitLab's Tests tab)")
    check_cmd.set_defaults(run=cmd_check)

    validate = commands.add_parser("validate", help="solutions/ must score full marks and assignments/ 0")
    validate.add_argument("tps", nargs="*", help="TPs to check (default: all)")
    add_isolation_options(validate)
    validate.set_defaults(run=cmd_validate)

    doctor = commands.add_parser("doctor", help="start a worker and report which isolation layers it gets")
    add_isolation_options(doctor)
    doctor.set_defaults(run=cmd_doctor)

    reference = commands.add_parser("reference", help="the hidden side")
    actions = reference.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="regenerate expected outputs from solutions/")
    build.add_argument("tps", nargs="*", help="TPs to build (default: all)")
    build.set_defaults(run=cmd_reference_build)

    add_class_commands(commands)
    add_gitlab_commands(commands)

    release_cmd = commands.add_parser("release", help="build the starter repo students fork (git, one commit)")
    release_cmd.add_argument("out", type=Path, help="a new or empty folder")
    release_cmd.set_defaults(run=cmd_release)

    stubs = commands.add_parser("stubs", help="regenerate assignments/ from solutions/ (or --check it)")
    stubs.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    stubs.set_defaults(run=cmd_stubs)
    return parser


def add_class_commands(commands: argparse._SubParsersAction) -> None:
    """`grader collect` and `grader report`: the whole class."""
    collect = commands.add_parser("collect", help="fetch, grade and report the whole class (resumable)")
    add_course_options(collect)
    collect.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="gradings in parallel (default: cores)")
    collect.add_argument("--shard", default="1/1", help="i/N: grade only this slice of the class (1-based)")
    collect.add_argument("--snapshot", action="store_true", help="only fetch and record first-seen times")
    collect.add_argument("--now", help="ISO time to record instead of the clock (re-running a past collection)")
    collect.add_argument("--repo-timeout", type=float, default=120.0, metavar="SECONDS", help="per clone or fetch")
    collect.add_argument("--timeout", type=float, metavar="SECONDS", help="per call into student code")
    add_isolation_options(collect)
    collect.set_defaults(run=cmd_collect)

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
    now = parse_now(args.now)
    options = CollectOptions(out=args.out, ledger=args.ledger or args.course.parent / "ledger.jsonl", jobs=args.jobs,
                             shard=parse_shard(args.shard), snapshot=args.snapshot, now=now,
                             repo_timeout=args.repo_timeout, run=run_options(args))
    summary = collect(project, args.course, options)
    if not args.snapshot:
        written = render_class(args.course, [args.out], args.out)
        print(f"{len(written)} files written to {args.out}")
    print(f"{summary.owners} repositories · {summary.graded} graded · {summary.cached} from the cache · "
          f"{summary.failed} failed" + ("" if not args.snapshot else " (snapshot: nothing graded)"))
    for note in summary.notes:
        print(f"  ! {note}")
    return 0


def parse_now(text: str | None):
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now {text!r}: expected an ISO time with its zone") from None
    if moment.tzinfo is None:
        raise UsageError(f"--now {text!r}: give the time zone (e.g. +01:00 or Z)")
    return moment.astimezone(timezone.utc)


def cmd_report(project: Project, args: argparse.Namespace) -> int:
    written = render_class(args.course, args.sources or [args.out], args.out)
    print(f"{len(written)} files written to {args.out}")
    return 0


def render_class(course_path: Path, sources: list[Path], out: Path) -> list[Path]:
    """Gradebook and feedback from stored submissions only: nothing is graded here."""
    course, roster = load_class(course_path)
    for folder in sources:
        if not (folder / "submissions").is_dir():
            raise UsageError(f"{folder}: no stored results (run grader collect first)")
    return write_outputs(build_gradebook(course, roster, read_submissions(sources)), out)


def add_isolation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--require-isolation", action="store_true",
                        help="exit 3 if any isolation layer is missing (for the instructor's final runs)")
    parser.add_argument("--without", action="append", default=[], choices=LAYERS, metavar="LAYER",
                        help=f"switch an isolation layer off (repeatable): {', '.join(LAYERS)}")


def run_options(args: argparse.Namespace) -> RunOptions:
    timeout = getattr(args, "timeout", None)
    if timeout is not None and timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    return RunOptions(call_timeout=timeout, without=frozenset(args.without), only=tuple(getattr(args, "only", ())),
                      heldout_key=os.environ.get(KEY_ENV, ""), heldout_seed=getattr(args, "heldout_seed", None))


def check_isolation(args: argparse.Namespace, isolation: IsolationReport) -> None:
    """A missing layer is always said (stderr); with --require-isolation it is an error."""
    if isolation.missing and not args.require_isolation:
        print("grader: warning: isolation layers missing: " + ", ".join(layer.name for layer in isolation.missing),
              file=sys.stderr)
    if args.require_isolation and isolation.missing:
        raise IsolationError("missing isolation layers: " + ", ".join(layer.name for layer in isolation.missing))


def cmd_doctor(project: Project, args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as empty:
        policy = SandboxPolicy(probes_path=project.probes, without=frozenset(args.without),
                               hidden_paths=hidden_paths(project), masked_paths=dataset_folders())
        try:
            with WorkerSession(Path(empty), policy) as session:
                session.call("ping", {})
                isolation = session.isolation
        except (SandboxError, OSError) as exc:
            raise IsolationError(f"cannot start a worker: {exc}") from None
    print(f"dlgrade {__version__}: isolation of student code on this machine")
    print("\n".join(isolation.lines()))
    missing = ", ".join(layer.name for layer in isolation.missing)
    print(f"missing: {missing}" if missing else "every layer is active")
    check_isolation(args, isolation)
    return 0


def cmd_check(project: Project | None, args: argparse.Namespace) -> int:
    if not args.repo.is_dir():
        raise UsageError(f"{args.repo}: no such directory")
    grading = check(args.tp, args.repo)
    print("Tests publics seulement, sans bac à sable : votre propre code, sur votre machine. "
          "Note provisoire : les tests cachés décident de la note.")
    print(render_table(grading))
    write_grading_outputs(grading, args.json, args.junit)
    return 0


def cmd_test(project: Project, args: argparse.Namespace) -> int:
    tp = project.tp(args.tp)
    repo = args.repo
    if not repo.is_dir():
        raise UsageError(f"{repo}: no such directory")
    options = run_options(args)
    grading, isolation = grade_checkout(project, tp, repo, args.student, commit_of(repo), options)
    check_isolation(args, isolation)
    print(render_table(grading, isolation))
    write_grading_outputs(grading, args.json, args.junit)
    return 0


def cmd_push(project: Project, args: argparse.Namespace) -> int:
    tp = project.tp(args.tp)
    if not args.repo.is_dir():
        raise UsageError(f"{args.repo}: no such directory")
    push = Push.from_environment(os.environ)
    context = push_context(args.course, tp.name, push)
    if context is None:
        print(f"{tp.name} n'est pas (encore) dans {args.course.name} : rien à noter pour ce TP.")
        return 0
    before_deadline = push.created_at <= context.deadline
    print(banner(push, context, before_deadline))
    if args.sighting:  # first: the evidence stands even if grading fails
        write_sighting(args.sighting, sighting(push, context))
    grading, isolation = grade_checkout(project, tp, args.repo, context.owner, commit_of(args.repo), run_options(args))
    check_isolation(args, isolation)
    view = student_view(grading, context.policy, before_deadline, hidden_modules(tp.reference, tp.name))
    print(render_table(view, isolation))
    write_grading_outputs(view, args.json, args.junit)
    return 0


def write_grading_outputs(grading: Grading, json_path: Path | None, junit_path: Path | None) -> None:
    if json_path:
        grading.write_json(json_path)
    if junit_path:
        write_junit(grading, junit_path)


def selected(project: Project, names: list[str]) -> list:
    return [project.tp(name) for name in (names or project.tp_names())]


def cmd_validate(project: Project, args: argparse.Namespace) -> int:
    ok = True
    problems = drift(project.solutions, project.assignments)
    if problems:
        ok = False
        print(f"assignments/ drifted from solutions/ ({len(problems)} files): run `grader stubs`")
    for tp in selected(project, args.tps):
        for label, folder, wanted in (("solutions", project.solutions, tp.rubric.max_score),
                                      ("assignments", project.assignments, 0.0)):
            grading, isolation = grade_checkout(project, tp, folder, label, options=run_options(args))
            check_isolation(args, isolation)
            good = abs(grading.score - wanted) < 1e-9
            ok &= good
            print(f"{tp.name} {label:<11} {grading.score:g}/{grading.max_score:g}  "
                  f"{'ok' if good else f'MISMATCH (expected {wanted:g})'}")
            if not good:
                for test in grading.tests:
                    if (test.status == "passed") != (wanted > 0):
                        print(f"    {test.id}: {test.status} {test.message}")
    return 0 if ok else 1


def cmd_reference_build(project: Project, args: argparse.Namespace) -> int:
    for tp in selected(project, args.tps):
        if not (tp.reference / "cases.py").exists():
            print(f"{tp.name}: no cases.py, nothing to build")
            continue
        with WorkerSession(project.solutions, sandbox_policy(project, tp)) as session:
            try:
                arrays = build_expected(tp.reference, session)
            except CallFailure as failure:
                raise GraderError(f"{tp.name}: a case failed on solutions/: {failure.message}") from None
        print(f"{tp.name}: {len(arrays)} expected arrays written to {tp.reference / 'expected.npz'}")
    return 0


def cmd_release(project: Project, args: argparse.Namespace) -> int:
    sha = release(project, args.out)
    print(f"starter repo written to {args.out} (commit {sha[:10]}): push it as the project students fork")
    return 0


def cmd_stubs(project: Project, args: argparse.Namespace) -> int:
    if args.check:
        problems = drift(project.solutions, project.assignments)
        print("\n".join(problems) or "assignments/ is up to date")
        return 1 if problems else 0
    count = generate(project.solutions, project.assignments)
    print(f"{count} files written to {project.assignments}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
