"""`grader new tpN`: a new TP's files, from the templates of `grader/templates/new_tp/`.

It writes the solution package (one example function between the solution markers, with its
French docstring), the hidden side (`rubric.yaml`, `cases.py`, one test module using only
`grader.grading.testkit`), the public test file and the handout's source, then puts the TP into the
`parallel: matrix` lists of `gitlab/student-ci.yml` and `gitlab/grade.yml`. It never
overwrites: an existing file of the TP stops it before anything is written.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import jinja2

from ..base.errors import GraderError, UsageError
from ..base.files import TEMPLATES as GRADER_TEMPLATES
from ..grading.config import TP_NAME, Project

TEMPLATES = GRADER_TEMPLATES / "new_tp"
CI_FILES = ("gitlab/student-ci.yml", "gitlab/grade.yml")  # their matrix lists every TP of reference/
MATRIX = re.compile(r"^(\s*- TP: )\[[^\]\n]*\]\s*$", re.M)


def new_tp(project: Project, name: str, title: str) -> list[Path]:
    """Write the new TP's files; return them, CI files included."""
    if not TP_NAME.match(name):
        raise UsageError(f"{name!r}: a TP's name is tp followed by its number (tp5)")
    if not TEMPLATES.is_dir():
        raise GraderError(f"{TEMPLATES}: missing; this grader was installed without the TP templates (students' wheel)")
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                                     keep_trailing_newline=True, autoescape=False)
    values = {"tp": name, "number": name[2:], "title": title}
    planned = {}
    for template in sorted(TEMPLATES.rglob("*.j2")):
        relative = template.relative_to(TEMPLATES).as_posix()
        target = project.root / relative[: -len(".j2")].replace("tpN", name)
        planned[target] = environment.get_template(relative).render(values)
    folders = [project.reference / name, project.solutions / name, project.assignments / name]
    existing = [path for path in [*folders, *planned] if path.exists()]
    if existing:
        raise UsageError(f"{existing[0]} already exists: {name} is not new (nothing written)")
    ci_files = [project.root / relative for relative in CI_FILES if (project.root / relative).exists()]
    ci_texts = {path: with_tp_matrix(path.read_text(encoding="utf-8"), sorted_tps([*project.tp_names(), name]), path)
                for path in ci_files}
    for path, text in [*planned.items(), *ci_texts.items()]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return [*planned, *ci_files]


def sorted_tps(names: list[str]) -> list[str]:
    return sorted(set(names), key=lambda n: int(n[2:]))


def with_tp_matrix(text: str, names: list[str], origin: object = "<ci>") -> str:
    """`text` with its `- TP: [...]` matrix line listing `names` (one such line is expected)."""
    if len(MATRIX.findall(text)) != 1:
        raise GraderError(f"{origin}: expected one `- TP: [tp1, …]` line under parallel: matrix")
    return MATRIX.sub(lambda match: f"{match.group(1)}[{', '.join(names)}]", text)


def matrix_of(text: str) -> list[str]:
    """The TPs of a CI file's matrix line."""
    match = MATRIX.search(text)
    inside = match.group(0).split("[", 1)[1].rsplit("]", 1)[0] if match else ""
    return [name.strip() for name in inside.split(",") if name.strip()]


def add_new_command(commands: argparse._SubParsersAction) -> None:
    new = commands.add_parser("new", help="scaffold a new TP (solution, hidden tests, public tests, handout, CI)")
    new.add_argument("tp", help="the new TP's name: tp5, tp6, …")
    new.add_argument("--title", default="Titre du TP", help="its French title (rubric, handout, package docstring)")
    new.set_defaults(run=cmd_new)


def cmd_new(project: Project, args: argparse.Namespace) -> int:
    written = new_tp(project, args.tp, args.title)
    for path in written:
        print(f"  {path.relative_to(project.root)}")
    print(f"{args.tp} created. Next: write solutions/{args.tp}/ and reference/{args.tp}/, then grader stubs, "
          f"grader reference build {args.tp}, grader validate {args.tp}, grader validate {args.tp} --mutants; "
          f"add {args.tp} to course.yaml's tps (README: Adding a TP)")
    return 0
