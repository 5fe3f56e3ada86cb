"""Tests of grader/grading/marks.py (the arithmetic of a mark, the JSON layout) and grader/base/files.py
(atomic writes)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from grader.base import files
from grader.grading.config import Rubric
from grader.grading.marks import TestResult, grade

RUBRIC = Rubric("TP", {"a": 1.5, "b": 2.5})


def result(test_id: str, points: float, status: str = "passed") -> TestResult:
    return TestResult(test_id, points, RUBRIC.points[test_id], status, "" if status == "passed" else "non", 0.01)


def test_score_is_scaled_to_twenty_and_penalised():
    grading = grade("tp1", "e1", None, RUBRIC, [result("a", 1.5), result("b", 0, "failed")], [], late_penalty=2)
    assert grading.score == 1.5 and grading.max_score == 4
    assert grading.mark == pytest.approx(1.5 / 4 * 20 - 2)


def test_mark_never_goes_below_zero():
    grading = grade("tp1", "e1", None, RUBRIC, [result("a", 0, "error"), result("b", 0, "timeout")], [], late_penalty=5)
    assert grading.mark == 0


def test_json_has_the_schema_keys_in_order(tmp_path: Path):
    grading = grade("tp1", "e1", "abc", RUBRIC, [result("a", 1.5), result("b", 2.5)], ["note"])
    grading.write_json(tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert list(data)[:3] == ["schema", "tp", "student"] and data["schema"] == 1
    assert data["tests"][0] == {"id": "a", "points": 1.5, "max_points": 1.5, "status": "passed", "message": "",
                                "duration_s": 0.01}


def test_writes_are_atomic(tmp_path: Path, monkeypatch):
    target = tmp_path / "gradebook.csv"
    target.write_text("ancien\n", encoding="utf-8")

    def crash(*args):
        raise OSError("disque plein")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(OSError):
        files.write_atomically(target, b"nouveau\n")
    assert target.read_text(encoding="utf-8") == "ancien\n" and os.listdir(tmp_path) == ["gradebook.csv"]


def test_an_unchanged_file_is_not_rewritten(tmp_path: Path, monkeypatch):
    """A re-run writes the same results again: nothing is replaced or synced; a change still is."""
    target = tmp_path / "r.json"
    files.write_atomically(target, "{}\n")
    replaced = []
    monkeypatch.setattr(files.os, "replace", lambda *args: replaced.append(args))
    files.write_atomically(target, "{}\n")
    files.write_atomically(target, b"{}\n")
    assert replaced == [] and os.listdir(tmp_path) == ["r.json"]
    monkeypatch.undo()
    files.write_atomically(target, '{"a": 1}\n')
    files.write_atomically(target, '{"a": 2}\n')  # same size, other bytes
    assert target.read_text(encoding="utf-8") == '{"a": 2}\n'


def test_text_from_student_code_cannot_forge_the_table_or_break_the_junit(tmp_path: Path):
    """An exception message with a carriage return, terminal escapes (erase the line, hide what
    follows) and a fake row: one plain line in the table, valid XML for GitLab."""
    from xml.etree import ElementTree

    from grader.grading.report import render_table, write_junit

    forged = ("votre code a levé RuntimeError : x\r\x1b[2K\x1b[1A  test_b  2.5/2.5  réussi\n"
              "Score : 4 / 4 · Note : 20 / 20\x1b[8m\u202e\x00\ud800")
    tests = [TestResult("a", 0, 1.5, "error", forged, 0.01), result("b", 0, "failed")]
    grading = grade("tp1", "e1", None, RUBRIC, tests, ["erreur\r\x1b[8m"])
    table = render_table(grading)
    assert not any(c in table for c in "\r\x1b\x00\u202e\ud800") and "\x1b" not in grading.to_json()
    assert [line for line in table.splitlines() if line.startswith("Score")] == ["Score : 0 / 4 · Note : 0 / 20"]
    assert sum("réussi" in line for line in table.splitlines()) == 1  # the forged row is inside the message line
    write_junit(grading, tmp_path / "r.xml")
    cases = ElementTree.parse(tmp_path / "r.xml").getroot().iter("testcase")
    assert "RuntimeError" in next(cases).find("error").get("message")
