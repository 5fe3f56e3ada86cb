"""grader/grading/pool.py: a pool whose processes may die or hang under a task still runs every other task;
the task that killed its process is retried once alone, then reported failed; a `grader collect`
where one student's grading kills or hangs its process, or crashes its replay process, gives every
other student the mark they get alone."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest

from grader.classrun import collect as collect_module
from grader.cli import main as real_main  # noqa: F401 - the real --now

from .conftest import simulated_main as main  # --now: the simulated clock
from grader.grading.pool import Pool, Task

from .test_collect import BEFORE, WEEK_LATE, make_repo


def square(x: int) -> int:
    time.sleep(0.05)
    return x * x


def dies(x: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does
    return x


def hangs(x: int) -> int:
    time.sleep(3600)
    return x


def raises(x: int) -> int:
    raise ValueError("its own failure")


def dies_once(marker: str) -> str:
    """Dies the first time (it was only a neighbour of a dying task, say), answers the second."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return "ok"


def run(tasks: list[Task], workers: int = 2) -> tuple[dict, dict, Pool]:
    done, failed = {}, {}
    pool = Pool(workers)
    pool.run(tasks, lambda task, value: done.__setitem__(task.key, value),
             lambda task, why: failed.__setitem__(task.key, why))
    return done, failed, pool


def test_a_process_that_dies_costs_its_own_task_only():
    tasks = [Task(i, square, (i,), 30) for i in range(8)] + [Task("killer", dies, (0,), 30)]
    tasks.insert(3, tasks.pop())  # among the others, not last
    done, failed, pool = run(tasks)
    assert done == {i: i * i for i in range(8)}
    assert set(failed) == {"killer"} and "arrêté" in failed["killer"]
    assert pool.attempts["killer"] == 2  # once among the others, once alone


def test_a_task_that_hangs_is_killed_after_its_time_and_the_others_go_on():
    started = time.monotonic()
    done, failed, _ = run([Task("hangs", hangs, (0,), 1.0), *(Task(i, square, (i,), 30) for i in range(4))])
    assert done == {i: i * i for i in range(4)} and "dépassé 1 s" in failed["hangs"]
    assert time.monotonic() - started < 20


def test_an_exception_is_the_task_s_own_failure_and_is_not_retried():
    done, failed, pool = run([Task("raises", raises, (0,), 30), Task(1, square, (1,), 30)])
    assert done == {1: 1} and "ValueError: its own failure" in failed["raises"] and not pool.attempts


def test_a_task_killed_with_its_neighbour_is_retried_alone(tmp_path):
    done, failed, _ = run([Task("neighbour", dies_once, (str(tmp_path / "once"),), 30), Task(2, square, (2,), 30)], 1)
    assert done == {"neighbour": "ok", 2: 4} and not failed


KILLER = '''

def test_zz_trusted_side_dies(student):
    """Test-only: the grading process dies when this student's mse answers 4242 (the OOM killer, a crash of the
    trusted side)."""
    import os, signal, time
    import numpy as np
    value = student.call("tp1.losses.mse", np.zeros(3), np.zeros(3))
    if value == 4242.0:
        os.kill(os.getpid(), signal.SIGKILL)
    if value == 4343.0:
        time.sleep(3600)
    if value == 4444.0:  # this student's model crashes the replay process (a segfault there)
        from dataclasses import replace
        from pathlib import Path
        from grader.grading.testkit import expect
        student._models.policy = replace(student._models.policy, probes_path=Path(__file__).with_name("crashing.py"))
        student.replay({}, np.zeros((2, 3), dtype=np.float32), "modèle")
'''
CRASHING = '''
import ctypes

def build(**request):
    ctypes.string_at(0)

PROBES = {"build": build, "ping": lambda: "pong"}

def run(name, request):
    return PROBES[name](**request)
'''


@pytest.fixture
def fragile_project(project, tmp_path):
    """A copy of the project whose TP1 has one more hidden test that kills (or hangs) the grading process."""
    root = tmp_path / "project"
    shutil.copytree(project.root / "reference", root / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("solutions", "assignments"):
        (root / name).symlink_to(getattr(project, name))
    with open(root / "reference" / "tp1" / "test_losses.py", "a", encoding="utf-8") as handle:
        handle.write(KILLER)
    (root / "reference" / "tp1" / "crashing.py").write_text(CRASHING, encoding="utf-8")
    rubric = root / "reference" / "tp1" / "rubric.yaml"
    rubric.write_text(rubric.read_text(encoding="utf-8").replace("tests:\n", "tests:\n  test_losses.py::test_zz_trusted_side_dies: 1\n", 1))
    return root


@pytest.mark.parametrize("answer", ["4242.0", "4343.0", "4444.0"])
def test_a_collect_where_one_grading_kills_or_hangs_its_process_grades_everyone_else(
        fragile_project, project, tmp_path, monkeypatch, capsys, answer):
    monkeypatch.setattr(collect_module, "JOB_MARGIN", 4.0)  # a hung grading is killed 4 s past its budget
    rubric = fragile_project / "reference" / "tp1" / "rubric.yaml"
    rubric.write_text(re.sub(r"(?m)^budget_s: .*$", "budget_s: 4", rubric.read_text(encoding="utf-8")))
    base = tmp_path / "class"
    rows = ["id,name,email,repo,group"]
    for sid, functions in (("a", None), ("killer", {("losses.py", "mse"): f"return {answer}"}),
                           ("c", {("losses.py", "mse"): "return 0.0"})):
        make_repo(base / "repos" / sid, project.solutions, date=BEFORE, functions=functions)
        rows.append(f"{sid},Nom {sid},{sid}@etu.example.fr,{base / 'repos' / sid},")
    (base / "roster.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (base / "course.yaml").write_text('course: "Classe"\nroster: roster.csv\ntps:\n  tp1: {deadline: "2026-02-15T23:59:00+01:00"}\n'
                                      'formula: "tp1"\n', encoding="utf-8")
    code = main(["--project", str(fragile_project), "collect", "--course", str(base / "course.yaml"), "--out", str(base / "out"), "--jobs", "2",
                 "--now", WEEK_LATE, "--trust-commit-dates", "--no-similarity", "--timeout", "5"])
    assert code == 0
    with open(base / "out" / "gradebook.csv", encoding="utf-8") as handle:
        marks = {row["Numéro d'identification"]: row for row in csv.DictReader(handle)}
    column = next(key for key in marks["a"] if key.upper().startswith("TP1"))
    replay_crash = answer == "4444.0"  # contained: the grading goes on, that test is lost
    for sid in ("a", "c", "killer") if replay_crash else ("a", "c"):  # the mark each gets when graded alone
        assert main(["--project", str(fragile_project), "test", "tp1", str(base / "repos" / sid), "--json",
                     str(tmp_path / f"{sid}.json"), "--timeout", "5"]) == 0
        alone = json.loads((tmp_path / f"{sid}.json").read_text())
        assert float(marks[sid][column].replace(",", ".")) == pytest.approx(alone["mark"], abs=0.01), (sid, marks[sid])
    stored = [p for p in (base / "out" / "results" / "tp1").glob("*.json") if not p.name.endswith(".notes.json")]
    if replay_crash:
        lost = {t["id"]: t["message"] for t in alone["tests"] if t["status"] != "passed"}
        assert "n'a pas pu évaluer votre modèle" in lost["test_losses.py::test_zz_trusted_side_dies"]
        assert len(stored) == 3
        return
    checks = (base / "out" / "a-verifier.csv").read_text(encoding="utf-8")
    assert "killer" in checks and "notation impossible" in checks
    assert len(stored) == 2  # the failed grading is not cached: a later run tries it again
