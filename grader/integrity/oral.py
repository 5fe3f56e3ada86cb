"""`grader oral TP --student ID`: a short oral check of a student's own graded code, prepared.

No fingerprint sees code a student had an assistant write; what instructors fall back on is asking
the student to explain it. The sheet (French, printable, for the instructor only) holds three or
four questions, each on one function of the graded commit, picked in this order:
- functions whose hidden tests failed (a test is tied to a function by its file and name:
  `test_losses.py::test_mse_grad_gradient_check` → `losses.py`, `mse_grad`), most points lost first;
- then the functions that differ most from the class's most common solution, weighted by how much
  the student wrote over the starter. A function is a sequence of syntax nodes (identifiers,
  comments and docstrings do not count); its 4-grams are compared with those of every classmate's
  version of the same function: "rarity" is the share of them that most classmates do not have.
Each question quotes the function's lines as the student's commit has them (docstrings, which are
the starter's, left out), gives the file and lines, and asks about the course notion it belongs
to (grader.integrity.oralquestions), pointing at one line where it can. Nothing runs student code: the
files are read from the mirror and parsed with `ast`.
"""
from __future__ import annotations

import ast
import hashlib
import json
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..base.errors import UsageError
from ..base.files import TEMPLATES, write_atomically
from ..course.gradebook import Gradebook, StudentRow, french_number
from ..course.submissions import read_submissions
from ..grading.config import Project
from ..grading.marks import Grading
from .documents import Document, SourceFile, documents
from .oralquestions import follow_up, line_question, notion
from .sidebyside import units

QUESTIONS = 4  # at most, per sheet (three or four when the student wrote that many functions)
FAILED_FIRST = 2  # at most this many questions come from failed tests
GRAM = 4  # syntax nodes per compared gram
MIN_OWN = 6  # grams of its own (not the starter's) below which a function counts as not written
EXCERPT = 30  # lines quoted at most per question
CODE = hashlib.sha256(b"".join(Path(__file__).with_name(n).read_bytes() for n in ("oral.py", "oralquestions.py"))
                      + (TEMPLATES / "oral.html").read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class Unit:
    path: str  # "tp1/mlp.py"
    name: str  # "backward", "Network.forward"
    first: int  # line of the `def`
    last: int  # its last line
    grams: frozenset[int]  # 4-grams of its syntax nodes
    lines: tuple[tuple[int, str], ...]  # its lines as written, docstrings left out


@dataclass(frozen=True)
class Question:
    unit: Unit  # the function asked about
    why: tuple[str, ...]  # French: why this function was picked
    notion: str  # the course notion, French
    ask: str  # the question
    follow_up: str  # what to ask next


@dataclass(frozen=True)
class Sheet:
    tp: str  # "tp1"
    label: str  # "TP1"
    course: str  # the course's title
    student: str  # "Martin Léa (e001)"
    student_id: str  # e001
    group: str  # "" or "groupe b01 : …"
    commit: str  # the graded commit, 10 characters, or ""
    mark: str  # "19 / 20", or ""
    questions: tuple[Question, ...]  # three or four, fewer when fewer functions were written
    note: str  # French: why there are no or few questions, else ""


def structure(node: ast.AST, out: list[str]) -> list[str]:
    """The syntax nodes of `node`, depth first: identifiers and docstrings do not count, attributes,
    keywords and numbers do."""
    if isinstance(node, ast.expr_context):
        return out
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        return out  # a docstring: the starter's words
    label = type(node).__name__
    if isinstance(node, ast.Attribute):
        label += "." + node.attr
    elif isinstance(node, ast.keyword):
        label += ":" + str(node.arg)
    elif isinstance(node, ast.Constant):
        label += ":" + (repr(node.value) if isinstance(node.value, (int, float, bool)) or node.value is None else "S")
    out.append(label)
    for child in ast.iter_child_nodes(node):
        structure(child, out)
    return out


def grams_of(node: ast.AST) -> frozenset[int]:
    tokens = structure(node, [])
    return frozenset(zlib.crc32("|".join(tokens[i:i + GRAM]).encode()) for i in range(max(1, len(tokens) - GRAM + 1)))


def units_of(files: tuple[SourceFile, ...]) -> dict[tuple[str, str], Unit]:
    """(file, name) → each top-level function and method of the files that parse."""
    found = {}
    for file in files:
        try:
            tree = ast.parse(file.text)
        except (SyntaxError, ValueError):
            continue
        lines = file.text.split("\n")
        for name, node in units(tree):
            docs = {n for d in ast.walk(node) if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                    and d.body and isinstance(d.body[0], ast.Expr) and isinstance(d.body[0].value, ast.Constant)
                    and isinstance(d.body[0].value.value, str)
                    for n in range(d.body[0].lineno, d.body[0].end_lineno + 1)}
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            kept = tuple((n, lines[n - 1]) for n in range(first, node.end_lineno + 1) if n not in docs)
            found[(file.path, name)] = Unit(file.path, name, first, node.end_lineno, grams_of(node), kept)
    return found


def failed_units(grading: Grading | None, mine: dict[tuple[str, str], Unit]) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """The functions each failed hidden test is about: (file, name) → [(test, points lost)]."""
    found: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for test in (grading.tests if grading else ()):
        if test.status == "passed":
            continue
        module, _, name = test.id.partition("::")
        module = re.sub(r"^test_", "", Path(module).name)
        words = "_" + re.sub(r"^test_", "", name.split("[")[0]).lower() + "_"
        here = [key for key in mine if Path(key[0]).name == module]
        named = [k for k in here if f"_{k[1].split('.')[-1].lower()}_" in words]
        if not named:  # the class's name only: its biggest method
            named = sorted((k for k in here if "." in k[1] and f"_{k[1].split('.')[0].lower()}_" in words),
                           key=lambda k: -len(mine[k].grams))[:1]
        for key in sorted(named, key=lambda k: -len(k[1].split(".")[-1]))[:1]:  # the longest name: mse_grad, not mse
            found.setdefault(key, []).append((name, round(test.max_points - test.points, 2)))
    return found


class ClassVersions:
    """Every classmate's version of each function: how many wrote it, and in how many versions
    each gram appears."""

    def __init__(self, docs: list[Document], starter: dict[tuple[str, str], Unit]) -> None:
        self.starter = starter
        self.starter_lines = {code.strip() for unit in starter.values() for _, code in unit.lines}
        self.writers: Counter[tuple[str, str]] = Counter()
        self.counts: dict[tuple[str, str], Counter[int]] = {}
        self.by_owner = {}
        for doc in docs:
            mine = units_of(doc.files)
            self.by_owner[doc.owner] = mine
            for key, unit in mine.items():
                if len(self.own(key, unit)) >= MIN_OWN:
                    self.writers[key] += 1
                    self.counts.setdefault(key, Counter()).update(unit.grams)

    def own(self, key: tuple[str, str], unit: Unit) -> frozenset[int]:
        """The grams of the student's function that the starter's does not have."""
        return unit.grams - self.starter[key].grams if key in self.starter else unit.grams

    def rarity(self, key: tuple[str, str], unit: Unit) -> float | None:
        """Share of the function's own grams that most other versions do not have; None with fewer
        than two other versions to compare with."""
        others = self.writers[key] - 1
        own = self.own(key, unit)
        if others < 2 or not own:
            return None
        common = sum(self.counts[key][g] - 1 >= others / 2 for g in own)
        return 1 - common / len(own)


def questions(owner: str, student: str, versions: ClassVersions, grading: Grading | None) -> list[Question]:
    """Three or four questions on `owner`'s functions (see the module's docstring for the order)."""
    mine = versions.by_owner.get(owner, {})
    written = {k: u for k, u in mine.items() if len(versions.own(k, u)) >= MIN_OWN}
    failed = failed_units(grading, written)
    picked: list[tuple[tuple[str, str], list[str]]] = []
    for key in sorted(failed, key=lambda k: (-sum(p for _, p in failed[k]), k))[:FAILED_FIRST]:
        tests = ", ".join(f"{t} (−{french_number(p)} pt)" for t, p in failed[key])
        picked.append((key, [f"test(s) caché(s) échoué(s) : {tests}"]))
    ranked = []
    for key, unit in written.items():  # how far from the starter (size) and from the class (rarity)
        rarity, size = versions.rarity(key, unit), len(versions.own(key, unit))
        ranked.append(((0.5 + (rarity if rarity is not None else 0.5)) * math.sqrt(size), key, rarity))
    for _, key, rarity in sorted(ranked, key=lambda r: (-r[0], r[1])):
        if len(picked) >= QUESTIONS and all(p[0] != key for p in picked):
            continue
        own = sum(1 for _, code in mine[key].lines if code.strip() and not code.strip().startswith("#")
                  and code.strip() not in versions.starter_lines)
        why = [f"{own} ligne{'s' * (own > 1)} de code propre (hors squelette et commentaires)"]
        if rarity is not None:
            why.insert(0, f"{round(rarity * 100)} % de sa structure ne se retrouve pas dans la majorité des "
                          f"{versions.writers[key] - 1} autres versions de la classe")
        found = next((p for p in picked if p[0] == key), None)
        if found:
            found[1].extend(why)
        else:
            picked.append((key, why))
    return [_question(mine[key], why, student) for key, why in picked]


def _question(unit: Unit, why: list[str], student: str) -> Question:
    chosen = notion(Path(unit.path).name, unit.name)
    quoted = _excerpt(unit)
    return Question(Unit(unit.path, unit.name, unit.first, unit.last, unit.grams, quoted), tuple(why), chosen.label,
                    line_question(list(quoted)) or chosen.ask, follow_up(chosen, f"{student}:{unit.path}:{unit.name}"))


def _excerpt(unit: Unit) -> tuple[tuple[int, str], ...]:
    """The function's lines, blank ends trimmed, at most EXCERPT of them."""
    lines = list(unit.lines)
    while lines and not lines[-1][1].strip():
        lines.pop()
    return tuple(lines[:EXCERPT])


def build_sheets(project: Project, gradebook: Gradebook, folders: list[Path], tp: str,
                 only: set[str] | None = None) -> list[Sheet]:
    """The sheets of a TP for every student of the roster (or those in `only`)."""

    submissions = read_submissions(folders)
    docs, _ = documents(folders, submissions, tp)
    starter_files = tuple(SourceFile(f"{tp}/{p.relative_to(project.assignments / tp).as_posix()}", p.read_text("utf-8"))
                          for p in sorted((project.assignments / tp).rglob("*.py")))
    versions = ClassVersions(docs, units_of(starter_files))
    return [sheet(row, tp, gradebook, versions) for row in gradebook.rows if only is None or row.student.id in only]


def sheet(row: StudentRow, tp: str, gradebook: Gradebook, versions: ClassVersions) -> Sheet:
    mark = row.tp(tp)
    members = [r for r in gradebook.rows if r.owner == row.owner]
    group = f"groupe {row.owner} : " + ", ".join(f"{r.student.name} ({r.student.id})" for r in members) \
        if len(members) > 1 else ""
    found = questions(row.owner, row.student.id, versions, mark.grading) if mark.commit else []
    note = "" if len(found) >= 3 else (
        "Aucun rendu noté pour ce TP." if not mark.commit else
        "Aucune fonction écrite au-delà du squelette : rien à interroger." if not found else
        "Moins de trois fonctions écrites au-delà du squelette.")
    return Sheet(tp, mark.tp.label, gradebook.course.name, f"{row.student.name} ({row.student.id})", row.student.id,
                 group, (mark.commit or "")[:10], f"{french_number(mark.mark.value)} / 20" if mark.mark.value is not None
                 else "", tuple(found), note)


def sheet_path(out: Path, tp: str, student: str) -> Path:
    return out / "oral" / f"{tp}-{student}.html"


def render(found: Sheet) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    return env.get_template("oral.html").render(sheet=found)


def write_sheets(project: Project, gradebook: Gradebook, folders: list[Path], out: Path, tp: str,
                 only: set[str] | None = None) -> list[Path]:
    """Write `out/oral/<tp>-<student>.html`. For the whole class (`only` None) nothing is redone
    when the graded commits and this module are those of the last run."""

    known = {row.student.id for row in gradebook.rows}
    if only is not None and only - known:
        raise UsageError(f"{', '.join(sorted(only - known))}: not a student of the roster")
    key = hashlib.sha256(json.dumps([CODE, gradebook.course.name, tp, sorted(
        (s.owner, s.commit, s.grading.to_json() if s.grading else None) for s in read_submissions(folders)
        if s.tp == tp)]).encode()).hexdigest()
    done = out / "oral" / f"{tp}.done.json"
    if only is None and done.is_file() and json.loads(done.read_text(encoding="utf-8")).get("key") == key \
            and all(sheet_path(out, tp, s).is_file() for s in known):
        return [sheet_path(out, tp, s) for s in sorted(known)]
    written = []
    (out / "oral").mkdir(mode=0o700, parents=True, exist_ok=True)
    for found in build_sheets(project, gradebook, folders, tp, only):
        path = sheet_path(out, tp, found.student_id)
        write_atomically(path, render(found))
        written.append(path)
    if only is None:
        write_atomically(done, json.dumps({"key": key}))
    return written
