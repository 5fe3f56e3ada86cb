"""README's worked example for instructors, run line by line as written, output compared."""
from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

from tests.test_classreport import CHROMIUM, chromium
from tests.test_pipelines import gitlab_ci_local

ROOT = Path(__file__).resolve().parents[1]


def readme_blocks() -> tuple[list[str], str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("A worked example, from the dlgrade folder")
    commands, output = re.findall(r"```(?:bash)?\n(.*?)```", text[start:], re.S)[:2]
    return [line.split("  #")[0].strip() for line in commands.splitlines() if line.strip()], output


def test_worked_example_runs_as_shown(tmp_path):
    commands, expected = readme_blocks()
    printed, done_outputs = "", []
    for command in commands:
        done = subprocess.run(command.replace("/tmp/demo", str(tmp_path / "demo")), shell=True, cwd=ROOT,
                              capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr[-2000:])
        printed = done.stdout
        done_outputs.append(printed)
    assert printed == expected
    assert "retard" in (tmp_path / "demo" / "out" / "feedback" / "e005.md").read_text(encoding="utf-8").lower()
    if CHROMIUM:  # the per-test class table of the worked example, as a browser shows it
        run = chromium(tmp_path / "demo" / "out" / "gradebook.html", tmp_path / "profile", "--dump-dom")
        assert run.returncode == 0 and not [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
        table = re.search(r'<table class="sortable" id="tests-tp1-table">(.*?)</table>', run.stdout, re.S).group(1)
        rows = re.findall(r"<tr><td><code>(test_\w+\.py::test_\w+)</code>", table)
        assert len(rows) == 22 and rows[0] == "test_losses.py::test_mse_value"  # the demo's bug: the hardest test
        assert "2 / 4" in table and "<svg" in table  # e001 and e005 pass it, e002 (stubs) and b01 (the bug) do not
    sheet = tmp_path / "demo" / "out" / "oral" / "tp1-e003.html"  # written by the example's `grader oral` line
    assert f"{sheet}\n" in done_outputs[next(i for i, c in enumerate(commands) if " oral " in c)]
    if CHROMIUM:  # e003's oral check sheet opens, and quotes only e003's own lines (group b01's graded files)
        run = chromium(sheet, tmp_path / "profile", "--dump-dom")
        assert run.returncode == 0 and not [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
        quoted = [(path, int(n), html.unescape(text)) for path, table in re.findall(
            r'<table class="code" data-path="([^"]+)">(.*?)</table>', run.stdout, re.S)
            for n, text in re.findall(r'data-line="(\d+)">(.*?)</td>', table)]
        assert len(quoted) > 10 and "Petit Chloé (e003)" in run.stdout
        graded = tmp_path / "demo" / "repos" / "b01"
        for path, number, text in quoted:
            assert (graded / path).read_text(encoding="utf-8").split("\n")[number - 1] == text, (path, number)
        assert quoted[0][0] == "tp1/losses.py" and any("np.sum(diff ** 2)" in t for _, _, t in quoted)  # mse first


def test_gitlab_walkthrough_runs_as_shown(tmp_path):
    """README's GitLab walk-through: release, a student's clone, check, commit, tag, the student
    pipeline and the grade.yml pipeline with gitlab-ci-local, then collect — one bash script."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("A walk-through, from the dlgrade folder")
    script, expected = re.findall(r"```(?:bash)?\n(.*?)```", text[start:], re.S)[:2]

    gitlab_ci_local()  # skips (or fails under CI) when ./setup.sh has not installed it
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script.replace("/tmp/loop", str(tmp_path / "loop"))],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout[-4000:], done.stderr[-3000:])
    assert done.stdout.endswith(expected)
    assert "Note : 20 / 20" in done.stdout  # grader check tp1, as the student ran it
    assert "PASS  grade: [tp1]" in done.stdout and "PASS  check: [tp1]" in done.stdout
    sighting = json.loads((tmp_path / "loop" / "e001" / "sighting-tp1.json").read_text(encoding="utf-8"))
    assert sighting["source"] == "ci" and sighting["ref"] == "branch:main"
