"""`grader release OUT_DIR`: the starter repo students fork, as a git repo with one commit.

It holds what `assignments/` holds (stubs generated from `solutions/`, public tests, handout
notebooks, the French README), the student `.gitlab-ci.yml` (dlgrade's `gitlab/student-ci.yml`,
its matrix listing the project's TPs), and `outils/`, a wheel of the grader alone (`grader/`,
nothing else), so that students install `grader check` with one pip command and no access to
the instructor's project. Nothing of `solutions/` or `reference/` is copied; a test greps the
result, the wheel and the git objects.

The wheel has dependencies of its own: what `grader check` imports, with PyTorch and the
handouts' libraries as extras, never the instructor's packages (cosmic-ray, copydetect,
python-gitlab, Jupyter's build tools…): the full list made a 1.7 GB environment that took six
minutes to install; README's "The student's install" has the figures of this one.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import git

from .config import Project
from .errors import GraderError, UsageError
from .scaffold import TEMPLATES, with_tp_matrix
from .stubs import SKIPPED, drift

AUTHOR = git.Actor("dlgrade", "dlgrade@localhost")
TOOLS = "outils"  # where the starter repo keeps the grader's wheel
GRADER_FILES = ("grader", "pyproject.toml")  # what the wheel is built from: the package, not the project
IGNORED = ("__pycache__/\n*.pyc\n.pytest_cache/\n.ipynb_checkpoints/\nreport-*.xml\nresult-*.json\ngrade-*.xml\n"
           "grade-*.json\nsighting-*.json\n.gitlab-ci-local/\n"  # outputs of grader check and of the pipelines
           ".venv/\nvenv/\n")  # the README's virtual environment: hundreds of MB of torch


# The students' wheel: `grader check` (numpy, pytest, pyyaml, gitpython) and, as extras, what the
# TPs need beyond it. Pins as in pyproject.toml (a test compares them).
STUDENT_DEPENDENCIES = ("numpy>=1.24", "pytest>=7.4", "pyyaml>=6.0", "gitpython>=3.1")
STUDENT_EXTRAS = {
    "torch": ("torch==2.13.0",),  # TP2 to TP4: their code and public tests
    "notebooks": ("matplotlib>=3.7", "scikit-learn>=1.3", "mlxtend>=0.23", "notebook>=7"),  # the handouts in Jupyter
}
DEPENDENCIES = re.compile(r"^dependencies = \[.*?^\]\n", re.M | re.S)
EXTRAS = re.compile(r"^\[project\.optional-dependencies\]\n.*?(?=^\[)", re.M | re.S)


def release(project: Project, out: Path) -> str:
    """Write the starter repo into `out` (new or empty) and commit it; return the commit sha."""
    problems = drift(project.solutions, project.assignments)
    if problems:
        raise UsageError(f"assignments/ is not what solutions/ generates ({problems[0]}…): run grader stubs first")
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out}: exists and is not empty")
    shutil.copytree(project.assignments, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*SKIPPED))
    student_ci = project.root / "gitlab" / "student-ci.yml"  # its matrix: one check job per TP of the project
    (out / ".gitlab-ci.yml").write_text(with_tp_matrix(student_ci.read_text(encoding="utf-8"), project.tp_names(),
                                                       student_ci), encoding="utf-8")
    (out / ".gitignore").write_text(IGNORED, encoding="utf-8")
    build_wheel(project, out / TOOLS)
    repo = git.Repo.init(out, initial_branch="main")
    repo.git.add(A=True)
    return repo.index.commit("Dépôt de départ des TP", author=AUTHOR, committer=AUTHOR).hexsha


def build_wheel(project: Project, into: Path) -> Path:
    """A wheel of the grader package, built from a copy holding only what the package needs
    (the project's README, which describes the hidden side, stays out of its metadata)."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "dlgrade"
        source.mkdir()
        for name in GRADER_FILES:
            origin = project.root / name
            if origin.is_dir():
                # The scaffold's templates (`grader new`) are the instructor's: not in the students' wheel.
                shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns(*SKIPPED, TEMPLATES.name))
            else:
                shutil.copy(origin, source / name)
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
                          "see STUDENT_DEPENDENCIES in grader/release.py and pyproject.toml")
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
