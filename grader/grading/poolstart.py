"""A pool of grading processes, made ready: the fork server its processes come from (the trusted
side imported once) and the workers' templates they share (torch imported once).

`grader collect` and `grader validate --mutants` grade through it (with grader/grading/pool.py):
each grading runs in a process forked by multiprocessing's fork server, never in a fork of the
caller (which runs threads), and is killed past its TP's budget plus JOB_MARGIN.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
from functools import lru_cache
from pathlib import Path

from ..sandbox.templates import Template, shared_templates
from .config import TP, Project
from .replayer import replay_policy
from .runner import RunOptions, sandbox_policy
from .suite import trusted_imports

JOB_MARGIN = 180.0  # seconds a grading may take beyond its TP's budget (export, start, pytest) before it is killed
PRELOAD_VARIABLE = "DLGRADE_TRUSTED_IMPORTS"  # read by grader/grading/preload.py in the fork server


class PoolStart:
    """What the grading pool needs before its first grading, started ahead and in the background:
    the fork server of its processes (importing the trusted side) and the workers' templates
    (importing torch). `start` may be called early (collect starts them before fetching when a
    grading is likely) and again for more TPs; `close` ends the templates."""

    def __init__(self, project: Project, run: RunOptions) -> None:
        self.project, self.run = project, run
        self.context: multiprocessing.context.BaseContext | None = None
        self.templates: dict[tuple, Template] = {}

    def start(self, tps: list[TP]) -> PoolStart:
        if self.context is None:
            self.context = pool_context(tps)
        policies = [sandbox_policy(self.project, tp, self.run) for tp in tps]
        policies += [replay_policy(policy) for policy in policies if "torch" in policy.preload]  # trained models' replay
        for key, template in shared_templates(policies, set(self.templates)).items():
            self.templates[key] = template
        return self

    def offers(self) -> dict[tuple, tuple[str, int]]:
        return {key: (template.address, template.pid) for key, template in self.templates.items() if template.alive}

    def close(self) -> None:
        for template in self.templates.values():
            template.close()
        self.templates.clear()


def pool_context(tps: list[TP]) -> multiprocessing.context.BaseContext:
    """The pool's processes are forked by multiprocessing's fork server, a fresh single-threaded
    interpreter that has imported the trusted side once (pytest, torch, scikit-learn's datasets…:
    seconds per process otherwise). Never a fork of this process, which runs threads. The server
    is started here, without waiting for its imports, and kept for this process's later pools."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows: fresh interpreters
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["grader.grading.preload"])  # imports the list below, whatever fails
    previous = os.environ.get(PRELOAD_VARIABLE)
    os.environ[PRELOAD_VARIABLE] = ",".join(trusted_imports(tps))  # read when the server starts: its first pool's
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        if previous is None:
            os.environ.pop(PRELOAD_VARIABLE, None)
        else:
            os.environ[PRELOAD_VARIABLE] = previous
    return context


@lru_cache(maxsize=None)
def project_tp(root: Path, name: str) -> tuple[Project, TP]:
    """The project and one TP, read once per pool process (the TP's version hashes every hidden file)."""
    project = Project.at(root)
    return project, project.tp(name)
