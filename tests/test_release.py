"""Tests of grader/release.py: the starter repo is a one-commit git repo with the stubs, the public
tests and the student CI, and nothing of solutions/ or reference/ — not even in its git objects."""
from __future__ import annotations

import json
import re
import subprocess
import zipfile

import git
import pytest
import yaml

from grader.cli import main
from tests.conftest import answer_lines


def solution_lines(project) -> set[str]:
    """Lines of the answers that the given code of the stubs does not also contain."""
    given = "\n".join(path.read_text(encoding="utf-8") for folder in (project.assignments, project.root / "grader")
                      for path in folder.rglob("*.py"))  # the stubs, and the grader's own (public) code
    # A line the given code also holds (e.g. a docstring that spells a step out) is no leak.
    return {line for _, line in answer_lines(project.solutions) if line not in given}


def hidden_test_names(project) -> set[str]:
    return {name for path in project.reference.rglob("test_*.py")
            for name in re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M)}


@pytest.fixture(scope="module")
def released(tmp_path_factory, project):
    out = tmp_path_factory.mktemp("starter")
    assert main(["release", str(out)]) == 0
    return out


def test_one_commit_with_stubs_public_tests_and_ci(released, project):
    repo = git.Repo(released)
    assert len(list(repo.iter_commits())) == 1 and not repo.is_dirty(untracked_files=True)
    for tp in project.tp_names():
        assert (released / tp / "__init__.py").exists() and (released / "tests" / f"test_{tp}.py").exists()
    ci = yaml.safe_load((released / ".gitlab-ci.yml").read_text())
    job = ci["check"]
    assert job["parallel"]["matrix"] == [{"TP": project.tp_names()}]
    assert job["script"] == ['grader check "$TP" --junit "report-$TP.xml" --json "result-$TP.json"']
    assert job["artifacts"]["reports"]["junit"] == "report-$TP.xml" and "report-$TP.xml" in job["artifacts"]["paths"]
    assert "raise NotImplementedError" in (released / "tp1" / "losses.py").read_text()
    for tp in project.tp_names():
        notebook = json.loads((released / "handouts" / f"{tp}.ipynb").read_text(encoding="utf-8"))
        assert any(cell["cell_type"] == "code" for cell in notebook["cells"])
    assert not list((released / "handouts").glob("*.md"))  # the notebooks, not their sources
    # What grader check, the pipelines and gitlab-ci-local leave in a clone is never committed by mistake.
    ignored = (released / ".gitignore").read_text().splitlines()
    assert {"report-*.xml", "result-*.json", "grade-*.xml", "sighting-*.json", ".gitlab-ci-local/", ".venv/"} <= set(ignored)
    grade = yaml.safe_load((project.root / "gitlab" / "grade.yml").read_text())["check"]
    assert grade["script"] == job["script"] and grade["artifacts"]["paths"] == job["artifacts"]["paths"]


def test_the_wheel_holds_the_grader_package_only(released):
    [wheel] = (released / "outils").glob("dlgrade-*-py3-none-any.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "grader/check.py" in names and "grader/cli.py" in names
    assert {name.split("/")[0] for name in names} == {"grader", wheel.name.split("-py3")[0] + ".dist-info"}


def test_nothing_hidden_reaches_the_starter_repo(released, project):
    objects = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=released,
                             capture_output=True, check=True).stdout.decode("utf-8", "replace")
    files = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in released.rglob("*")
                      if p.is_file() and ".git" not in p.parts)
    for wheel in released.rglob("*.whl"):  # compressed: read what it holds, not its bytes
        with zipfile.ZipFile(wheel) as archive:
            files += "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    for text in (objects, files):
        leaked = [line for line in solution_lines(project) if line in text]
        assert not leaked, leaked[:3]
        named = [name for name in hidden_test_names(project) if name in text]
        assert not named, named[:3]
    assert not list(released.rglob("expected.npz")) and not (released / "reference").exists()


def test_release_refuses_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "x").write_text("déjà là")
    assert main(["release", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
