"""`grader release OUT_DIR`: the starter repo students fork, as a git repo with one commit.

It holds what `assignments/` holds (stubs generated from `solutions/`, public tests, handout
notebooks, the French README), the student `.gitlab-ci.yml` (dlgrade's `gitlab/student-ci.yml`,
its matrix listing the project's TPs), and `outils/`, the students' wheel of the grader
(grader/authoring/student_wheel.py: `grader check` alone), so that students install it with one pip
command and no access to the instructor's project. Nothing of `solutions/` or `reference/` is
copied; a test greps the result, the wheel and the git objects.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import git

from ..base.errors import UsageError
from ..grading.config import Project
from .scaffold import with_tp_matrix
from .stubs import SKIPPED, drift
from .student_wheel import build_wheel

AUTHOR = git.Actor("dlgrade", "dlgrade@localhost")
TOOLS = "outils"  # where the starter repo keeps the grader's wheel
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
