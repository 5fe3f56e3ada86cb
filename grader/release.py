"""`grader release OUT_DIR`: the starter repo students fork, as a git repo with one commit.

It holds what `assignments/` holds (stubs generated from `solutions/`, public tests, the French
README) plus the student `.gitlab-ci.yml`: one job per TP running `grader check`. Nothing of
`solutions/` or `reference/` is copied; a test greps the result and its git objects for them.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import git

from .config import Project
from .errors import UsageError
from .stubs import SKIPPED, drift

AUTHOR = git.Actor("dlgrade", "dlgrade@localhost")


def student_ci(tps: list[str]) -> str:
    """One job per TP: the public tests and a provisional mark, shown in GitLab's Tests tab. A low
    mark never fails the pipeline; only a real error (no tests, a crash of pytest) does."""
    jobs = [f"""check-{tp}:
  stage: test
  script:
    - grader check {tp} --junit report-{tp}.xml --json result-{tp}.json
  artifacts:
    when: always
    paths: [report-{tp}.xml, result-{tp}.json]
    reports:
      junit: report-{tp}.xml
""" for tp in tps]
    return ("# Notation provisoire de chaque TP à chaque push (tests publics seulement).\n"
            "# L'image contient dlgrade et PyTorch (CPU) : votre enseignant en donne le nom.\n"
            "image: $DLGRADE_IMAGE\n\nstages: [test]\n\n" + "\n".join(jobs))


def release(project: Project, out: Path) -> str:
    """Write the starter repo into `out` (new or empty) and commit it; return the commit sha."""
    problems = drift(project.solutions, project.assignments)
    if problems:
        raise UsageError(f"assignments/ is not what solutions/ generates ({problems[0]}…): run grader stubs first")
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out}: exists and is not empty")
    shutil.copytree(project.assignments, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*SKIPPED))
    tps = sorted((p.name for p in out.iterdir() if p.is_dir() and p.name.startswith("tp")), key=lambda n: int(n[2:]))
    (out / ".gitlab-ci.yml").write_text(student_ci(tps), encoding="utf-8")
    (out / ".gitignore").write_text("__pycache__/\n*.pyc\n.pytest_cache/\nreport-*.xml\nresult-*.json\n", encoding="utf-8")
    repo = git.Repo.init(out, initial_branch="main")
    repo.git.add(A=True)
    return repo.index.commit("Dépôt de départ des TP", author=AUTHOR, committer=AUTHOR).hexsha
