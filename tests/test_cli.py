"""Tests of grader/cli.py, the way click tests its commands: call main(), check exit code and output."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from grader import __version__
from grader.cli import main
from grader.grading.runner import hidden_lines
from grader.sandbox import LAYERS

SCHEMA_KEYS = ["schema", "tp", "student", "commit", "submitted_at", "score", "max_score", "mark",
               "late_penalty", "tests", "errors", "grader_version"]
TEST_KEYS = ["id", "points", "max_points", "status", "message", "duration_s"]


@pytest.fixture
def project_copy(tmp_path: Path, project) -> Path:
    """A throw-away dlgrade project (reference, solutions, assignments) to break on purpose."""
    root = tmp_path / "course"
    for name in ("reference", "solutions", "assignments"):
        shutil.copytree(getattr(project, name), root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and __version__ in capsys.readouterr().out


def test_grading_writes_table_json_and_junit(project, student_repo, tmp_path, capsys):
    repo = student_repo(functions={("tp1/losses.py", "mse"): "return 0.0"})
    out_json, out_xml = tmp_path / "out" / "r.json", tmp_path / "out" / "r.xml"
    assert main(["test", "tp1", str(repo), "--json", str(out_json), "--junit", str(out_xml), "--student", "e42"]) == 0
    table = capsys.readouterr().out
    assert "Note : 19 / 20" in table and "test_mse_value" in table and "Isolation" in table

    result = json.loads(out_json.read_text())
    assert list(result) == SCHEMA_KEYS and result["schema"] == 1
    assert result["student"] == "e42" and len(result["commit"]) == 40 and result["mark"] == 19
    assert all(list(t) == TEST_KEYS for t in result["tests"])
    failed = [t for t in result["tests"] if t["status"] != "passed"]
    assert [t["id"] for t in failed] == ["test_losses.py::test_mse_value"] and failed[0]["message"]

    suite = ET.parse(out_xml).getroot().find("testsuite")
    assert suite.get("tests") == str(len(result["tests"])) and suite.get("failures") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.get("message") == failed[0]["message"]
    text = out_xml.read_text() + out_json.read_text() + table
    assert not any(line in text for line in hidden_lines(project.reference / "tp1"))


@pytest.mark.parametrize("argv, needle", [
    (["test", "tp9", "."], "unknown TP"),
    (["test", "tp1", "/does/not/exist"], "no such directory"),
    (["--project", "/does/not/exist", "validate"], "not a dlgrade project"),
])
def test_bad_usage_is_one_line_and_exit_2(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["test"])
    assert exit_info.value.code == 2


def test_malformed_rubric_names_file_and_line(project_copy, capsys):
    rubric = project_copy / "reference" / "tp1" / "rubric.yaml"
    rubric.write_text(rubric.read_text().replace("test_losses.py::test_mse_value: 1", "test_losses.py::test_mse_value: [1"))
    assert main(["--project", str(project_copy), "test", "tp1", str(project_copy / "solutions")]) == 2
    err = capsys.readouterr().err
    assert "rubric.yaml:" in err and "invalid YAML" in err


def test_rubric_with_bad_points_names_the_key(project_copy, capsys):
    rubric = project_copy / "reference" / "tp1" / "rubric.yaml"
    rubric.write_text(rubric.read_text().replace("test_losses.py::test_mse_value: 1", "test_losses.py::test_mse_value: -1"))
    assert main(["--project", str(project_copy), "test", "tp1", str(project_copy / "solutions")]) == 2
    assert "[tests.test_losses.py::test_mse_value]" in capsys.readouterr().err


def test_rubric_held_out_entry_must_be_a_test(project_copy, capsys):
    rubric = project_copy / "reference" / "tp1" / "rubric.yaml"
    entry = "  - test_mlp.py::test_train_held_out_accuracy\n"
    rubric.write_text(rubric.read_text().replace(entry, entry + "  - test_nope.py::test_x\n"))
    assert main(["--project", str(project_copy), "test", "tp1", str(project_copy / "solutions")]) == 2
    err = capsys.readouterr().err
    assert "[held_out[1]]" in err and "test_nope.py::test_x" in err and "rubric.yaml:" in err


def test_rubric_missing_a_test_is_a_reference_error(project_copy, capsys):
    rubric = project_copy / "reference" / "tp1" / "rubric.yaml"
    rubric.write_text(rubric.read_text().replace("  test_losses.py::test_mse_value: 1\n", ""))
    assert main(["--project", str(project_copy), "test", "tp1", str(project_copy / "solutions")]) == 2
    assert "tests without points" in capsys.readouterr().err


def test_validate_passes_on_the_project(capsys):
    assert main(["validate", "tp1"]) == 0
    out = capsys.readouterr().out
    assert "tp1 solutions   20/20  ok" in out and "tp1 assignments 0/20  ok" in out


def test_validate_reports_a_broken_solution_with_exit_1(project_copy, capsys):
    losses = project_copy / "solutions" / "tp1" / "losses.py"
    losses.write_text(losses.read_text().replace("np.mean(diff ** 2)", "np.sum(diff ** 2)"))
    assert main(["--project", str(project_copy), "validate", "tp1"]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH" in out and "test_mse_value" in out and "drifted" not in out


def test_validate_reports_drifted_assignments_with_exit_1(project_copy, capsys):
    losses = project_copy / "solutions" / "tp1" / "losses.py"
    losses.write_text(losses.read_text().replace("Erreur quadratique moyenne", "Erreur moyenne"))
    assert main(["--project", str(project_copy), "validate", "tp1"]) == 1
    assert "drifted" in capsys.readouterr().out


def test_reference_build_regenerates_the_committed_expected_outputs(project, project_copy, capsys):
    (project_copy / "reference" / "tp1" / "expected.npz").unlink()
    assert main(["--project", str(project_copy), "reference", "build", "tp1"]) == 0
    with np.load(project.reference / "tp1" / "expected.npz") as committed, \
            np.load(project_copy / "reference" / "tp1" / "expected.npz") as rebuilt:
        assert sorted(committed.files) == sorted(rebuilt.files)
        for key in committed.files:
            np.testing.assert_allclose(rebuilt[key], committed[key], rtol=1e-12)


def test_stubs_check(project_copy, capsys):
    assert main(["--project", str(project_copy), "stubs", "--check"]) == 0
    (project_copy / "assignments" / "tp1" / "losses.py").write_text("oops\n")
    assert main(["--project", str(project_copy), "stubs", "--check"]) == 1
    assert main(["--project", str(project_copy), "stubs"]) == 0
    assert main(["--project", str(project_copy), "stubs", "--check"]) == 0


def test_require_isolation(project, capsys):
    code = main(["test", "tp1", str(project.solutions), "--require-isolation"])
    assert code == (0 if os.geteuid() == 0 else 3)


def test_doctor_lists_every_layer(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in LAYERS:
        assert f"] {name}:" in out
    if "[ ] gpu" in out:  # no GPU is no missing layer, and the summary says why that line is unchecked
        assert "no GPU here" in out.splitlines()[-1]
    assert "[ ] bwrap" in out or "every isolation layer is active" in out


def test_doctor_without_bwrap_says_so_and_require_isolation_fails(capsys):
    assert main(["doctor", "--without", "bwrap", "--require-isolation"]) == 3
    captured = capsys.readouterr()
    assert "[ ] bwrap" in captured.out and "missing isolation layers: bwrap" in captured.err


def test_missing_layer_is_a_warning_on_stderr(project, capsys):
    assert main(["test", "tp1", str(project.solutions), "--without", "bwrap", "--without", "seccomp"]) == 0
    captured = capsys.readouterr()
    assert "warning: isolation layers missing: bwrap, seccomp" in captured.err
    assert "[ ] bwrap" in captured.out and "Note : 20 / 20" in captured.out


def test_unknown_layer_is_bad_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["doctor", "--without", "firewall"])
    assert exit_info.value.code == 2


@pytest.fixture
def example_course(tmp_path):
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples", tmp_path / "course")
    return tmp_path / "course" / "course.yaml"


def test_collect_of_a_tp_the_project_does_not_have_names_file_line_and_key(example_course, tmp_path, capsys):
    text = example_course.read_text()
    example_course.write_text(text.replace("  tp2:\n", "  tp9:\n    deadline: 2026-05-01T23:59:00+02:00\n  tp2:\n", 1))
    line = example_course.read_text().splitlines().index("  tp9:") + 1
    assert main(["collect", "--course", str(example_course), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert f"course.yaml:{line} [tps.tp9]" in err and "no TP 'tp9'" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out" / "repos").exists()  # stopped before any fetch


def test_collect_needs_at_least_one_job(example_course, tmp_path, capsys):
    assert main(["collect", "--course", str(example_course), "--out", str(tmp_path / "out"), "--jobs", "0"]) == 2
    assert "--jobs 0" in capsys.readouterr().err


def test_the_command_exits_with_mains_code_after_the_atexit_handlers_and_flushed_output(tmp_path):
    # `grader` skips the interpreter's tear-down (≈ 1 s with torch), not what must happen at exit.
    script = ("import atexit, sys\n"
              "atexit.register(lambda: print('handler ran'))\n"
              "sys.argv = ['grader', 'test', 'tp9', '.']\n"
              "print('buffered', end='')\n"
              "from grader.cli import run\n"
              "run()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and "tp9" in done.stderr
    assert done.stdout == "bufferedhandler ran\n"


def test_grading_a_checkout_with_uncommitted_changes_says_so_and_claims_no_commit(student_repo, tmp_path, capsys):
    """Issue 24: `grader test` reported the HEAD commit while grading the modified files."""
    repo = student_repo()
    losses = repo / "tp1" / "losses.py"
    losses.write_text(losses.read_text(encoding="utf-8") + "\n# brouillon\n", encoding="utf-8")
    (repo / "tp1" / "nouveau.py").write_text("X = 1\n", encoding="utf-8")  # untracked counts too
    (repo / "tp1" / "__pycache__").mkdir(exist_ok=True)
    (repo / "tp1" / "__pycache__" / "losses.cpython-311.pyc").write_bytes(b"")  # Python's cache does not
    out_json = tmp_path / "r.json"
    assert main(["test", "tp1", str(repo), "--only", "test_losses.py::test_mse_value", "--json", str(out_json)]) == 0
    captured = capsys.readouterr()
    assert "tp1/ has uncommitted changes (tp1/losses.py, tp1/nouveau.py): grading the files as they are on disk, " \
           "not commit" in captured.err
    result = json.loads(out_json.read_text())
    assert result["commit"] is None and result["mark"] == 20
    assert any(error.startswith("copie de travail modifiée (tp1/losses.py, tp1/nouveau.py)") for error in result["errors"])
    header = next(line for line in captured.out.splitlines() if line.startswith("dlgrade "))
    assert "commit" not in header and "copie de travail modifiée" in captured.out
    clean = student_repo(name="clean")
    assert main(["test", "tp1", str(clean), "--only", "test_losses.py::test_mse_value", "--json", str(out_json)]) == 0
    assert "uncommitted" not in capsys.readouterr().err and len(json.loads(out_json.read_text())["commit"]) == 40
