"""Tests of grader/check.py: `grader check TP`, the students' own public tests and provisional mark."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import git
import pytest

from grader.check import public_test_names
from grader.cli import main

from .conftest import commit_fixed


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


def test_a_folder_without_public_tests_is_bad_usage_in_french(tmp_path, capsys):
    assert main(["check", "tp1", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grader check : erreur :") and "pas de tests publics" in err
    (tmp_path / "tests").mkdir()
    for tp in ("tp2", "tp1"):
        (tmp_path / "tests" / f"test_{tp}.py").write_text("")
    assert main(["check", "TP1", str(tmp_path / "tests")]) == 2  # the repository is there: the TP's name is wrong
    assert "les TP de ce dépôt sont tp1, tp2 (par exemple : grader check tp1)" in capsys.readouterr().err


def test_check_works_where_resource_and_fcntl_do_not_exist(project, tmp_path):
    """Windows has neither module: the grader must still import and `check` must still run."""
    repo = tmp_path / "repo"
    shutil.copytree(project.solutions, repo, ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import sys; sys.modules['resource'] = None; sys.modules['fcntl'] = None\n"
            "from grader.cli import main\nsys.exit(main(['check', 'tp1', sys.argv[1]]))")
    done = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Note : 20 / 20" in done.stdout


def student_copy(project, tmp_path, committed=True):
    repo = tmp_path / "repo"
    shutil.copytree(project.solutions, repo, ignore=shutil.ignore_patterns("__pycache__"))
    if committed:
        git_repo = git.Repo.init(repo)
        git_repo.git.add(A=True)
        commit_fixed(git_repo, "TP1")
    return repo


def replace_line(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_an_infinite_loop_costs_its_test_only_with_the_grader_test_message(project, tmp_path, capsys):
    repo = student_copy(project, tmp_path)
    replace_line(repo / "tp1" / "activations.py", "    return np.maximum(0.0, np.asarray(z, dtype=float))",
                 "    while True:\n        pass")
    assert main(["check", "tp1", str(repo), "--timeout", "3", "--json", str(tmp_path / "r.json")]) == 0
    tests = {t["id"]: t for t in json.loads((tmp_path / "r.json").read_text())["tests"]}
    stopped = [t for t in tests.values() if t["status"] == "timeout"]
    assert len(stopped) == 1 and "délai dépassé" in stopped[0]["message"] and "boucle infinie" in stopped[0]["message"]
    assert all(t["status"] == "passed" for t in tests.values() if t is not stopped[0])  # the others still ran


def test_a_syntax_error_names_the_file_and_line_and_counts_every_test(project, tmp_path, capsys):
    repo = student_copy(project, tmp_path)
    lines = (repo / "tp1" / "losses.py").read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "return" in line and "### " not in line)
    lines[number - 1] = "    return ("
    (repo / "tp1" / "losses.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["check", "tp1", str(repo), "--json", str(tmp_path / "r.json")]) == 0
    result = json.loads((tmp_path / "r.json").read_text())
    public = public_test_names(repo / "tests" / "test_tp1.py")
    assert [t["id"] for t in result["tests"]] == public and result["max_score"] == len(public) > 1
    assert all(f"(tp1/losses.py:{number})" in t["message"] and "SyntaxError" in t["message"] for t in result["tests"])
    assert "rewrite.py" not in capsys.readouterr().out


def test_a_failing_public_test_shows_its_french_message_not_pytest_text(project, tmp_path, capsys):
    repo = student_copy(project, tmp_path)
    (repo / "tests" / "test_tp1.py").write_text(
        "import numpy as np\nfrom tp1 import losses\n\n\ndef test_mse():\n"
        "    got = losses.mse(np.array([1.0, 3.0]), np.array([0.0, 1.0])) * 2\n"
        "    assert np.isclose(got, 2.5), f\"mse([1, 3], [0, 1]) : attendu 2.5, obtenu {got}\"\n\n\n"
        "def test_bare():\n    assert np.isclose(losses.mse(np.array([1.0]), np.array([0.0])), 3.0)\n",
        encoding="utf-8")
    assert main(["check", "tp1", str(repo), "--junit", str(tmp_path / "r.xml")]) == 0
    out = capsys.readouterr().out
    assert "mse([1, 3], [0, 1]) : attendu 2.5, obtenu 5.0" in out and "résultat incorrect" in out
    assert "np.False_" not in out and "where" not in out and "isclose at 0x" not in out
    assert "attendu 2.5, obtenu 5.0" in (tmp_path / "r.xml").read_text(encoding="utf-8")


def test_check_finds_the_repository_root_from_a_subfolder(project, tmp_path, capsys, monkeypatch):
    repo = student_copy(project, tmp_path)
    monkeypatch.chdir(repo / "tp1")
    assert main(["check", "tp1"]) == 0
    assert "Note : 20 / 20" in capsys.readouterr().out


def test_uncommitted_work_is_said_and_has_no_commit(project, tmp_path, capsys):
    repo = student_copy(project, tmp_path)
    (repo / "tp1" / "losses.py").write_text((repo / "tp1" / "losses.py").read_text() + "\n# brouillon\n")
    assert main(["check", "tp1", str(repo), "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "Copie de travail non commitée" in out and "commit " not in out.splitlines()[2]
    assert json.loads((tmp_path / "r.json").read_text())["commit"] is None
    untouched = student_copy(project, tmp_path / "clean")
    assert main(["check", "tp1", str(untouched)]) == 0
    assert "non commitée" not in capsys.readouterr().out


def test_help_and_usage_errors_are_in_french(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    help_text = capsys.readouterr().out
    assert "utilisation : grader check" in help_text and "afficher cette aide" in help_text
    assert "tests publics" in help_text and "show this help" not in help_text
    with pytest.raises(SystemExit) as exit_info:
        main(["check"])
    assert exit_info.value.code == 2
    assert "grader check : erreur : arguments manquants : tp" in capsys.readouterr().err
    for extra in (["--bogus"], [".", "de-trop"]):  # argparse's top level would answer in English
        with pytest.raises(SystemExit) as exit_info:
            main(["check", "tp1", *extra])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and f"grader check : erreur : arguments inconnus : {extra[-1]}" in err
        assert "utilisation : grader check" in err and "usage:" not in err
