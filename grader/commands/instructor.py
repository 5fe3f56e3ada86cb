"""The instructor's commands of `grader`: grading (test, push), checking the TPs (validate,
doctor, reference build, stubs), the starter repo (release), and the class's, GitLab's and a new
TP's commands of their own modules.

Imported by grader/cli.py when it builds its parser. They need the full install (pytest's
sandboxed runs, jinja2, gitpython, python-gitlab, cosmic-ray…); the students' wheel (grader
release) lacks some of these, and then `grader` offers `check` alone.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from pathlib import Path

from .. import __version__
from ..authoring.mutants.command import add_mutant_options, validate_mutants
from ..authoring.release import release
from ..authoring.scaffold import add_new_command
from ..authoring.stubs import drift, generate
from ..base.errors import GraderError, IsolationError, UsageError
from ..gitlab.admin import add_gitlab_commands
from ..gitlab.push import Push, banner, hidden_modules, push_context, sighting, student_view, write_sighting
from ..grading.config import Project
from ..grading.heldout import dataset_folders
from ..grading.reference import build_expected
from ..grading.report import render_table, write_grading_outputs
from ..grading.repos import commit_of, uncommitted
from ..grading.runner import grade_checkout, hidden_paths, sandbox_policy
from ..sandbox import CallFailure, SandboxError, SandboxPolicy, WorkerSession
from .classrun import add_class_commands
from .integrity import add_integrity_commands
from .options import add_isolation_options, check_isolation, run_options


def add_instructor_commands(commands: argparse._SubParsersAction) -> None:
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

    validate = commands.add_parser("validate", help="solutions/ must score full marks and assignments/ 0")
    validate.add_argument("tps", nargs="*", help="TPs to check (default: all)")
    add_isolation_options(validate)
    add_mutant_options(validate)
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
    add_integrity_commands(commands)
    add_gitlab_commands(commands)
    add_new_command(commands)

    release_cmd = commands.add_parser("release", help="build the starter repo students fork (git, one commit)")
    release_cmd.add_argument("out", type=Path, help="a new or empty folder")
    release_cmd.set_defaults(run=cmd_release)

    stubs = commands.add_parser("stubs", help="regenerate assignments/ from solutions/ (or --check it)")
    stubs.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    stubs.set_defaults(run=cmd_stubs)


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
    gpu = next(layer for layer in isolation.layers if layer.name == "gpu")
    print((f"missing: {missing}" if missing else "every isolation layer is active")
          + ("" if gpu.active else " (no GPU here: student code computes on the CPU, which is not a missing layer)"))
    check_isolation(args, isolation)
    return 0


def cmd_test(project: Project, args: argparse.Namespace) -> int:
    tp = project.tp(args.tp)
    repo = args.repo
    if not repo.is_dir():
        raise UsageError(f"{repo}: no such directory")
    options = run_options(args)
    commit = commit_of(repo)
    changed = uncommitted(repo, [tp.name]) if commit else []
    if changed:  # what is graded is the files on disk: no commit may be claimed for them
        print(f"grader: warning: {tp.name}/ has uncommitted changes ({shorten(changed)}): grading the files as "
              f"they are on disk, not commit {commit[:10]}", file=sys.stderr)
    grading, isolation = grade_checkout(project, tp, repo, args.student, None if changed else commit, options)
    if changed:
        grading = dataclasses.replace(grading, errors=(*grading.errors, (
            f"copie de travail modifiée ({shorten(changed)}) : notée telle qu'elle est sur le disque, "
            f"pas le commit {commit[:10]}")))
    check_isolation(args, isolation)
    print(render_table(grading, isolation))
    write_grading_outputs(grading, args.json, args.junit)
    return 0


def shorten(paths: list[str], shown: int = 3) -> str:
    return ", ".join(paths[:shown]) + (f" and {len(paths) - shown} more" if len(paths) > shown else "")


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


def selected(project: Project, names: list[str]) -> list:
    return [project.tp(name) for name in (names or project.tp_names())]


def cmd_validate(project: Project, args: argparse.Namespace) -> int:
    if args.mutants:
        return validate_mutants(project, selected(project, args.tps), args, run_options(args))
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
