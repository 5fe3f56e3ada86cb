"""`grader release OUT_DIR`: the starter repo students fork, as a git repo with one commit.

It holds what `assignments/` holds (stubs generated from `solutions/`, public tests, handout
notebooks, the French README), the student `.gitlab-ci.yml` (dlgrade's `gitlab/student-ci.yml`,
its matrix listing the project's TPs), and `outils/`, a wheel of the grader alone (`grader/`,
nothing else), so that students install `grader check` with one pip command and no access to
the instructor's project. Nothing of `solutions/` or `reference/` is copied; a test greps the
result, the wheel and the git objects.
"""
from __future__ import annotations

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
    return wheels[0]
