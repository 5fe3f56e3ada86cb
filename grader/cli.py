"""The `grader` command: parses arguments and calls the stages, nothing more.

`grader check`, the students' command, is here and imports only what it needs (numpy, pytest,
pyyaml, gitpython: the students' wheel, see grader/authoring/student_wheel.py). The instructor's
commands are in grader/commands/, imported when the parser is built; where their dependencies
are not installed (the students' wheel), `grader` offers `check` alone and says so.

Exit codes (DESIGN.md): 0 the command did its job whatever the marks, 1 `validate` found a
mismatch, 2 bad usage, path or configuration, 3 a required isolation layer is missing.
"""
from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
from pathlib import Path

from . import __version__
from .base.errors import GraderError, UsageError
from .grading.config import Project
from .grading.marks import TestResult
from .grading.report import STATUS_FR, render_table, write_grading_outputs
from .student.check import TEST_TIMEOUT, locate, run_check


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, missing = build_parser()
    command = command_word(argv)
    if missing is not None and command not in (None, "check"):
        print(f"grader: error: `grader {command}`: this installation is the students' one, `grader check` only "
              f"({missing}); the instructor's commands need dlgrade with its dependencies (./setup.sh, or "
              "pip install -e <the dlgrade checkout>)", file=sys.stderr)
        return 2
    args, extra = parser.parse_known_args(argv)
    if extra:  # argparse would say so in English, with the top-level usage: check's own parser says it in French
        (args.parser_of_command if args.run is cmd_check else parser).error(
            f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.run is cmd_check:  # a student's repo: no dlgrade project (reference/) needed
            return cmd_check(None, args)
        project = Project.at(Path(args.project)) if args.project else Project.installed()
        return args.run(project, args)
    except GraderError as exc:
        prefix = "grader check : erreur :" if args.run is cmd_check else "grader: error:"  # students read check's
        print(f"{prefix} {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a path the grader itself cannot read or write
        print(f"grader: error: {exc.filename}: {exc.strerror or exc}" if exc.filename
              else f"grader: error: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line; every result and file already written stays whole
        print("\ngrader: interrupted: what was finished is stored; the same command resumes from there"
              if args.run is not cmd_check else "\ngrader check : interrompu", file=sys.stderr)
        return 130


def command_word(argv: list[str]) -> str | None:
    """The command's name in `argv` ("check", "test"…), past the global options."""
    words = iter(argv)
    for word in words:
        if word == "--project":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def run() -> None:
    """The `grader` command: `main`, then the atexit handlers (templates closed, multiprocessing's
    finalizers), the output flushed, and an exit that skips tearing the interpreter down: with
    torch loaded that took ≈ 1 s after every command's work was done. Nothing is left to
    finalize: every file the grader writes is closed (and most are renamed into place) by then."""
    code = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C: the work is done, let the clean-up finish
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code if isinstance(code, int) else 0)


def build_parser() -> tuple[argparse.ArgumentParser, str | None]:
    """The parser, and what is missing for the instructor's commands (None: they are all there)."""
    parser = argparse.ArgumentParser(prog="grader", description="dlgrade: grade the TPs of Apprentissage profond.")
    parser.add_argument("--version", action="version", version=f"dlgrade {__version__}")
    parser.add_argument("--project", help="the dlgrade checkout (default: the one grader is installed from)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check_cmd = commands.add_parser(
        "check", help="les tests publics de votre TP et une note provisoire (étudiants)", add_help=False,
        description="Lance les tests publics de votre TP (tests/test_tpN.py) sur votre code, sur votre machine, "
                    "et donne une note provisoire : la note réelle vient des tests cachés.",
        formatter_class=FrenchHelpFormatter)
    check_cmd._positionals.title, check_cmd._optionals.title = "arguments", "options"
    check_cmd.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    check_cmd.add_argument("tp", help="le TP : tp1, tp2, …")
    check_cmd.add_argument("repo", type=Path, nargs="?", default=Path("."),
                           help="votre dépôt, ou un de ses sous-dossiers (par défaut : le dossier courant)")
    check_cmd.add_argument("--json", type=Path, metavar="FICHIER", help="écrire le résultat en JSON (schéma 1) ici")
    check_cmd.add_argument("--junit", type=Path, metavar="FICHIER",
                           help="écrire un rapport JUnit XML ici (pour l'onglet Tests de GitLab)")
    check_cmd.add_argument("--timeout", type=float, default=TEST_TIMEOUT, metavar="SECONDES",
                           help=f"temps maximal par test public (par défaut : {TEST_TIMEOUT:g} s)")
    check_cmd.error = lambda message: french_usage_error(check_cmd, message)
    check_cmd.set_defaults(run=cmd_check, parser_of_command=check_cmd)

    try:
        from .commands.instructor import add_instructor_commands  # the full install's dependencies
    except ModuleNotFoundError as exc:  # the students' wheel has neither grader/commands/ nor its libraries
        if not exc.name or (exc.name.split(".")[0] == "grader"
                            and exc.name not in ("grader.commands", "grader.commands.instructor")):
            raise  # a module of the grader itself is missing from a full install: a bug, said as it is
        parser.description += (" This is the students' installation: `grader check` only "
                               f"(no module named {exc.name!r}).")
        return parser, f"no module named {exc.name!r}"
    add_instructor_commands(commands)
    return parser, None


class FrenchHelpFormatter(argparse.HelpFormatter):
    """`grader check` is the students' command: its help is in French."""

    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001 - argparse's signature
        super().add_usage(usage, actions, groups, "utilisation : " if prefix is None else prefix)


ARGPARSE_FR = (("the following arguments are required:", "arguments manquants :"),
               ("unrecognized arguments:", "arguments inconnus :"), ("expected one argument", "une valeur est attendue"),
               ("invalid float value:", "nombre invalide :"))


def french_usage_error(parser: argparse.ArgumentParser, message: str) -> None:
    for english, french in ARGPARSE_FR:
        message = message.replace(english, french)
    parser.print_usage(sys.stderr)
    parser.exit(2, f"grader check : erreur : {message}\n")


def cmd_check(project: Project | None, args: argparse.Namespace) -> int:
    if not args.repo.is_dir():
        raise UsageError(f"{args.repo} : ce dossier n'existe pas")
    if args.timeout <= 0:
        raise UsageError("--timeout : un nombre de secondes positif est attendu")
    checkout = locate(args.tp, args.repo)
    print("Tests publics seulement, sans bac à sable : votre propre code, sur votre machine. "
          "Note provisoire : les tests cachés décident de la note.")
    if checkout.dirty:
        shown = ", ".join(checkout.changed[:3]) + (" …" if len(checkout.changed) > 3 else "")
        print(f"Copie de travail non commitée ({shown}) : la note porte sur vos fichiers tels qu'ils sont, pas sur "
              f"un commit (dernier commit : {checkout.commit[:10]}). Commitez et poussez pour rendre ce travail.")
    print(f"{args.tp} : chaque test public a {args.timeout:g} s au plus (--timeout pour changer)", flush=True)
    grading = run_check(checkout, args.tp, timeout=args.timeout, progress=print_progress)
    print(render_table(grading))
    write_grading_outputs(grading, args.json, args.junit)
    return 0


def print_progress(result: TestResult, rank: int, total: int) -> None:
    """One line per public test as it finishes: the student sees the run go on."""
    status = STATUS_FR.get(result.status, result.status)
    print(f"  [{rank:>{len(str(total))}}/{total}] {status:<13} {result.id} ({result.duration_s:.2f} s)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
