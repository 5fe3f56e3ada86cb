"""Each attack in tests/hostile/ is a real git repo graded by `grader test`: it gets exactly the
mark its expect.yaml states, and the grader finishes with exit code 0."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import yaml

from grader.cli import main
from grader.runner import hidden_lines
from grader.sandbox.limits import UID_BASE, UID_SLOTS

HOSTILE = Path(__file__).with_name("hostile")
CASES = sorted(p.name for p in HOSTILE.iterdir() if (p / "expect.yaml").exists())


def overlay_files(case: Path, substitutions: dict[str, str]) -> dict[str, str]:
    files = {}
    for path in case.rglob("*"):
        if path.is_file() and path.name != "expect.yaml" and "__pycache__" not in path.parts:
            text = path.read_text(encoding="utf-8")
            for key, value in substitutions.items():
                text = text.replace(key, value)
            files[path.relative_to(case).as_posix()] = text
    return files


def worker_processes() -> list[int]:
    """Live processes running under one of the grader's worker uids."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and UID_BASE <= entry.stat().st_uid < UID_BASE + UID_SLOTS:
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("name", CASES)
def test_hostile_submission_gets_its_mark(name, project, student_repo, tmp_path, capsys):
    case = HOSTILE / name
    spec = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
    if spec.get("needs_root") and os.geteuid() != 0:
        pytest.skip("this attack is stopped by the uid layer, which needs the grader to run as root")
    result_path = tmp_path / "out" / "result.json"
    substitutions = {"{{JSON}}": str(result_path), "{{REFERENCE}}": str(project.reference)}
    functions = {}
    for target, body in (spec.get("functions") or {}).items():
        for key, value in substitutions.items():
            body = body.replace(key, value)
        functions[tuple(target.split(":"))] = body
    repo = student_repo(files=overlay_files(case, substitutions), functions=functions, name=name)

    assert main(["test", "tp1", str(repo), "--json", str(result_path), "--timeout", "3"]) == 0
    table = capsys.readouterr().out
    written = result_path.read_text()
    time.sleep(spec.get("wait_after_s", 0))
    assert result_path.read_text() == written, "something rewrote the result after grading"

    result = json.loads(written)
    lost = {t["id"].split("::")[1] for t in result["tests"] if t["status"] != "passed"}
    assert lost == set(spec["lost"]), spec["attack"]
    assert result["mark"] == spec["mark"]
    assert all(t["points"] == 0 for t in result["tests"] if t["status"] != "passed")
    assert not worker_processes(), "a process of the submission outlived its grading"
    shown = written + table
    assert not any(line in shown for line in hidden_lines(project.reference / "tp1"))
