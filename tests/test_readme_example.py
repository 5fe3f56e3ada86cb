"""README's worked example for instructors, run line by line as written, output compared."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_blocks() -> tuple[list[str], str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("A worked example, from the dlgrade folder")
    commands, output = re.findall(r"```(?:bash)?\n(.*?)```", text[start:], re.S)[:2]
    return [line.split("  #")[0].strip() for line in commands.splitlines() if line.strip()], output


def test_worked_example_runs_as_shown(tmp_path):
    commands, expected = readme_blocks()
    printed = ""
    for command in commands:
        done = subprocess.run(command.replace("/tmp/demo", str(tmp_path / "demo")), shell=True, cwd=ROOT,
                              capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr[-2000:])
        printed = done.stdout
    assert printed == expected
    assert "retard" in (tmp_path / "demo" / "out" / "feedback" / "e005.md").read_text(encoding="utf-8").lower()
