"""Tests of grader/check.py: `grader check TP`, the students' own public tests and provisional mark."""
from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

from grader.cli import main


def test_solutions_get_a_full_provisional_mark_and_a_junit_file(project, tmp_path, capsys):
    repo = tmp_path / "repo"
    shutil.copytree(project.solutions, repo, ignore=shutil.ignore_patterns("__pycache__"))
    assert main(["check", "tp1", str(repo), "--junit", str(tmp_path / "r.xml")]) == 0
    out = capsys.readouterr().out
    assert "Note : 20 / 20" in out and "provisoire" in out
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert int(suite.get("tests")) >= 5 and suite.get("failures") == "0"


def test_stubs_get_zero_with_the_reason(project, tmp_path, capsys):
    repo = tmp_path / "repo"
    shutil.copytree(project.assignments, repo, ignore=shutil.ignore_patterns("__pycache__"))
    assert main(["check", "tp1", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "Note : 0 / 20" in out and "NotImplementedError" in out


def test_a_folder_without_public_tests_is_bad_usage(tmp_path, capsys):
    assert main(["check", "tp1", str(tmp_path)]) == 2
    assert "no public tests" in capsys.readouterr().err


def test_check_works_where_resource_and_fcntl_do_not_exist(project, tmp_path):
    """Windows has neither module: the grader must still import and `check` must still run."""
    repo = tmp_path / "repo"
    shutil.copytree(project.solutions, repo, ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import sys; sys.modules['resource'] = None; sys.modules['fcntl'] = None\n"
            "from grader.cli import main\nsys.exit(main(['check', 'tp1', sys.argv[1]]))")
    done = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Note : 20 / 20" in done.stdout
