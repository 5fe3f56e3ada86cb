"""The students' wheel (`outils/` of the starter repo): `grader check` and nothing else.

Built by `grader release` from a copy of the modules `grader check` imports — followed from
grader/cli.py and grader/student/check_plugin.py through their module-level imports (a function-level
import is a lazy one on purpose, like cli.py's of the instructor's commands) — and
pyproject.toml with the students' own dependencies: what those modules import, with PyTorch
and the handouts' libraries as extras, never the instructor's packages (cosmic-ray, copydetect,
python-gitlab, jinja2…: the full list made a 1.7 GB environment). Neither the instructor's
modules nor their docstrings reach students. README's "The student's install" has the figures.
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..base.errors import GraderError
from ..grading.config import Project

# `grader check` (numpy, pytest, pyyaml, gitpython) and, as extras, what the TPs need beyond it.
# Pins as in pyproject.toml (a test compares them).
STUDENT_DEPENDENCIES = ("numpy>=1.24", "pytest>=7.4", "pyyaml>=6.0", "gitpython>=3.1")
STUDENT_EXTRAS = {
    "torch": ("torch==2.13.0",),  # TP2 to TP4: their code and public tests
    "notebooks": ("matplotlib>=3.7", "scikit-learn>=1.3", "mlxtend>=0.23", "notebook>=7"),  # the handouts in Jupyter
}
ENTRY_MODULES = ("cli", "student/check_plugin")  # the console script, and the plugin pytest loads by name
DEPENDENCIES = re.compile(r"^dependencies = \[.*?^\]\n", re.M | re.S)
EXTRAS = re.compile(r"^\[project\.optional-dependencies\]\n.*?(?=^\[)", re.M | re.S)


def student_modules(package: Path) -> list[Path]:
    """The files of `package` (grader/) that `grader check` imports, relative to it."""
    seen: set[Path] = set()
    todo = [package / f"{name}.py" for name in ENTRY_MODULES]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        if path.name != "__init__.py":
            todo.append(path.parent / "__init__.py")  # every package on the way is imported too
        for node in module_level(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
                parts = (node.module or "").split(".") if node.module else []
                target = base.joinpath(*parts)
                todo += [target / "__init__.py", target.with_suffix(".py")] if parts else []
                todo += [target / alias.name / "__init__.py" for alias in node.names]
                todo += [target / f"{alias.name}.py" for alias in node.names]
    return sorted(path.relative_to(package) for path in seen)


def module_level(tree: ast.Module) -> list[ast.stmt]:
    """The statements run at import: the module's body, with its if/try blocks (`if TYPE_CHECKING:`
    aside: annotations only), not functions."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        found.append(node)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            todo += node.orelse
        elif isinstance(node, (ast.If, ast.Try)):
            todo += node.body + node.orelse + getattr(node, "finalbody", []) \
                + [line for handler in getattr(node, "handlers", []) for line in handler.body]
    return found


def build_wheel(project: Project, into: Path) -> Path:
    """The students' wheel, built from a copy holding only the modules `grader check` imports
    (the project's README, which describes the hidden side, stays out of its metadata)."""
    package = project.root / "grader"
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "dlgrade"
        for relative in student_modules(package):
            (source / "grader" / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(package / relative, source / "grader" / relative)
        shutil.copy(project.root / "pyproject.toml", source / "pyproject.toml")
        (source / "pyproject.toml").write_text(student_pyproject(source / "pyproject.toml"), encoding="utf-8")
        (source / "README.md").write_text("dlgrade: `grader check` pour les TP d'Apprentissage profond.\n",
                                          encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                               "--disable-pip-version-check", "-w", str(into), str(source)],
                              capture_output=True, text=True)
        if done.returncode:
            raise GraderError(f"cannot build the grader's wheel: {done.stderr.strip()[-800:]}")
    wheels = sorted(into.glob("dlgrade-*.whl"))
    if len(wheels) != 1:
        raise GraderError(f"{into}: expected one dlgrade wheel, found {len(wheels)}")
    outside = [n for n in zipfile.ZipFile(wheels[0]).namelist()
               if n.split("/")[0] != "grader" and not n.startswith("dlgrade-")]
    if outside:
        raise GraderError(f"the grader's wheel holds more than the package: {outside[:3]}")
    wanted = sorted([*STUDENT_DEPENDENCIES, *(f'{name}; extra == "{extra}"' for extra, names in STUDENT_EXTRAS.items()
                                              for name in names)])
    if requirements(wheels[0]) != wanted:
        raise GraderError(f"the students' wheel depends on {requirements(wheels[0])}, not {wanted}: "
                          "see STUDENT_DEPENDENCIES in grader/authoring/student_wheel.py and pyproject.toml")
    return wheels[0]


def student_pyproject(path: Path) -> str:
    """pyproject.toml with the students' dependencies in place of the full install's."""
    text = path.read_text(encoding="utf-8")
    if not DEPENDENCIES.search(text) or not EXTRAS.search(text):
        raise GraderError(f"{path}: no `dependencies = [` … `]` list or [project.optional-dependencies] table "
                          "to replace with the students' own")
    listed = "".join(f'    "{name}",\n' for name in STUDENT_DEPENDENCIES)
    extras = "".join(f"{extra} = [{', '.join(f'{chr(34)}{name}{chr(34)}' for name in names)}]\n"
                     for extra, names in STUDENT_EXTRAS.items())
    text = DEPENDENCIES.sub(lambda _: f"dependencies = [\n{listed}]\n", text, count=1)
    return EXTRAS.sub(lambda _: f"[project.optional-dependencies]\n{extras}\n", text, count=1)


def requirements(wheel: Path) -> list[str]:
    """The Requires-Dist lines of a wheel's metadata."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        lines = archive.read(metadata).decode("utf-8").splitlines()
    return sorted(line.split(":", 1)[1].strip() for line in lines if line.startswith("Requires-Dist:"))
