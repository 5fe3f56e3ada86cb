"""Reliability of the engine: the same commit grades to the same JSON, and grading many hostile
repos in a row leaves no stray process behind and does not grow the grader's memory."""
from __future__ import annotations

import json
import os
import resource
from pathlib import Path

import yaml

from grader.grading.runner import RunOptions, grade_checkout
from grader.sandbox.templates import PROCESS_TEMPLATES

from .test_hostile import HOSTILE, overlay_files, worker_processes


def without_timings(grading) -> dict:
    data = json.loads(grading.to_json())
    for test in data["tests"]:
        test["duration_s"] = 0
    return data


def test_same_commit_gives_identical_results(project, student_repo):
    repo = student_repo(functions={("tp1/losses.py", "mse"): "return 0.0",
                                   ("tp1/activations.py", "relu"): "raise ValueError('non')"})
    tp = project.tp("tp1")
    first, _ = grade_checkout(project, tp, repo)
    second, _ = grade_checkout(project, tp, repo)
    assert json.dumps(without_timings(first)) == json.dumps(without_timings(second))
    assert first.commit is None  # grade_checkout alone does not look at git; the CLI does


def rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_twenty_hostile_repos_in_a_row_stay_clean(project, student_repo):
    tp = project.tp("tp1")
    specs = {p: yaml.safe_load((p / "expect.yaml").read_text()) for p in sorted(HOSTILE.iterdir())
             if (p / "expect.yaml").exists()}
    cases = [p for p, spec in specs.items()  # the TP1 attacks on the solutions (held-out ones start elsewhere)
             if not spec.get("wait_after_s") and "grade" not in spec and "base" not in spec
             and not spec.get("append") and not spec.get("generated")]  # those are built by test_hostile only
    repos, expected = [], []
    for case in cases:
        spec = yaml.safe_load((case / "expect.yaml").read_text())
        functions = {tuple(t.split(":")): body.replace("{{REFERENCE}}", str(project.reference))
                     .replace("{{PORT}}", "9").replace("{{JSON}}", "/nonexistent")
                     for t, body in (spec.get("functions") or {}).items()}
        repos.append(student_repo(files=overlay_files(case, {}), functions=functions, name=case.name))
        expected.append(spec["mark"])
    marks, before, workers_before = [], children(), set(worker_processes())
    for index in range(20):
        grading, _ = grade_checkout(project, tp, repos[index % len(repos)], options=RunOptions(call_timeout=3))
        marks.append((grading.mark, expected[index % len(repos)]))
        if index == 4:
            baseline = rss_kib()
    assert not set(worker_processes()) - workers_before, "a process of a submission outlived its grading"
    assert rss_kib() - baseline < 50_000, "the grader's peak memory grew by more than 50 MB over 15 gradings"
    templates = {template.pid for template in PROCESS_TEMPLATES.running()}  # kept on purpose, one per process
    assert children() - templates <= before, "the grader kept child processes (zombies included)"
    if os.geteuid() == 0:  # some attacks are only stopped by the uid layer
        assert all(got == want for got, want in marks), marks


def children() -> set[int]:
    """This process's children, zombies included (other tests may have left some: only new ones count)."""
    return {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == os.getpid()}


def _parent(entry: Path) -> int:
    try:
        return int(next(line for line in (entry / "status").read_text().splitlines() if line.startswith("PPid:")).split()[1])
    except (OSError, StopIteration, ValueError):
        return -1
