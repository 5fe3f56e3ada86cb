"""Tests of grader/authoring/scaffold.py (`grader new`): README's "Adding a TP" walk on a toy TP5, in a
temporary copy of the project, from the scaffold down to a collect of two students."""
from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import git
import pytest

from grader.cli import main
from grader.authoring.scaffold import CI_FILES, TEMPLATES, matrix_of

from .conftest import ROOT, commit_fixed

COPIED = ("reference", "solutions", "assignments", "gitlab", "grader", "pyproject.toml")


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """A throw-away dlgrade project with everything `grader new` and `grader release` touch."""
    root = tmp_path / "dlgrade"
    root.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(source, root / name)
    return root


def grader(root: Path, *argv: str) -> int:
    return main(["--project", str(root), *argv])


def student(starter: Path, folder: Path, standardize: str | None) -> Path:
    """A student's clone of the starter with TP5 written (the solution's, or the given body)."""
    repo = git.Repo.clone_from(starter, folder)
    source = (starter.parent / "dlgrade" / "solutions" / "tp5" / "example.py").read_text(encoding="utf-8")
    if standardize is not None:
        source = re.sub(r"(### BEGIN SOLUTION\n).*?(\s*### END SOLUTION)", rf"\g<1>    {standardize}\g<2>", source, flags=re.S)
    (folder / "tp5" / "example.py").write_text(source, encoding="utf-8")
    repo.git.add(A=True)
    commit_fixed(repo, "TP5")
    repo.create_tag("tp5")
    return folder


def test_adding_a_tp_walk(course_copy, tmp_path, capsys):
    root = course_copy
    assert grader(root, "new", "tp5", "--title", "Essai") == 0
    for path in CI_FILES:
        assert matrix_of((root / path).read_text(encoding="utf-8")) == ["tp1", "tp2", "tp3", "tp4", "tp5"]
    assert "À compléter" not in (root / "solutions" / "tp5" / "example.py").read_text(encoding="utf-8")

    assert grader(root, "stubs") == 0
    assert grader(root, "reference", "build", "tp5") == 0 and (root / "reference" / "tp5" / "expected.npz").exists()
    assert grader(root, "validate", "tp5") == 0
    capsys.readouterr()
    report = tmp_path / "mutants.json"
    assert grader(root, "validate", "tp5", "--mutants", "--jobs", "2", "--json", str(report), "--fail-under", "85") == 0
    assert "kill rate 100.0 %" in capsys.readouterr().out
    run = json.loads(report.read_text(encoding="utf-8"))["runs"][0]
    assert run["tp"] == "tp5" and run["mutants"] >= 5 and run["killed"] == run["mutants"]

    starter = tmp_path / "starter"
    assert grader(root, "release", str(starter)) == 0
    assert matrix_of((starter / ".gitlab-ci.yml").read_text(encoding="utf-8"))[-1] == "tp5"
    assert (starter / "handouts" / "tp5.ipynb").exists() and (starter / "tests" / "test_tp5.py").exists()
    assert "raise NotImplementedError" in (starter / "tp5" / "example.py").read_text(encoding="utf-8")

    student(starter, tmp_path / "e001", None)
    student(starter, tmp_path / "e002", "return X - X.mean(axis=0)  # pas réduit")
    (tmp_path / "roster.csv").write_text("id,name,email,repo\n"
                                         f"e001,Martin Léa,lea@example.fr,{tmp_path / 'e001'}\n"
                                         f"e002,Petit Hugo,hugo@example.fr,{tmp_path / 'e002'}\n", encoding="utf-8")
    (tmp_path / "course.yaml").write_text('course: Essai\nroster: roster.csv\n'
                                          'tps:\n  tp5: {deadline: "2030-06-30T23:59:00+02:00"}\nformula: tp5\n',
                                          encoding="utf-8")
    out = tmp_path / "out"
    assert grader(root, "collect", "--course", str(tmp_path / "course.yaml"), "--out", str(out), "--jobs", "2",
                  "--no-similarity") == 0
    rows = {row[0]: row for row in csv.reader((out / "gradebook.csv").open(encoding="utf-8"))}
    assert rows["e001"][3] == "20" and float(rows["e002"][3]) < 20


def test_new_refuses_an_existing_tp_in_one_line(course_copy, capsys):
    before = (course_copy / "gitlab" / "grade.yml").read_text(encoding="utf-8")
    for argv in (["new", "tp3"], ["new", "projet"]):
        assert grader(course_copy, *argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and ("already exists" in err or "tp followed by its number" in err)
    assert not (course_copy / "solutions" / "handouts" / "projet.md").exists()
    assert (course_copy / "gitlab" / "grade.yml").read_text(encoding="utf-8") == before


def test_ci_matrices_list_the_projects_tps(project):
    for path in CI_FILES:
        assert matrix_of((ROOT / path).read_text(encoding="utf-8")) == project.tp_names(), path


def test_readme_names_every_file_the_walk_touches():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Ajouter un TP / Adding a TP"):]
    section = section[: section.index("\n## ", 1)]
    made = [t.relative_to(TEMPLATES).as_posix()[: -len(".j2")] for t in TEMPLATES.rglob("*.j2")]
    touched = [*made, *CI_FILES, "assignments/tpN/", "assignments/handouts/tpN.ipynb", "assignments/tests/test_tpN.py",
               "reference/tpN/expected.npz", "reference/tpN/mutants.yaml", "course.yaml"]
    missing = [path for path in touched if path.replace("tpN", "tp5") not in section]
    assert not missing, missing
    for step in ("grader new", "grader stubs", "grader reference build", "grader validate", "--mutants", "grader release"):
        assert step in section, step
