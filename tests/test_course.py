"""Tests of grader/course/course.py and grader/course/roster.py: course.yaml, the roster, the marks files, the
overrides; every malformed input stops with an error naming the file, the line and the key."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from grader.course.course import load_class, load_course
from grader.base.errors import ConfigError, GraderError
from grader.course.formula import ABI, ABJ, Mark
from tests.test_gradebook import write_class

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    return write_class(tmp_path / "cours").parent


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def error_of(course_dir: Path) -> str:
    with pytest.raises(ConfigError) as error:
        load_class(course_dir / "course.yaml")
    assert error.value.exit_code == 2
    return str(error.value)


def test_the_documented_example_loads():
    course, roster = load_class(EXAMPLES / "course.yaml")
    assert [tp.name for tp in course.tps] == ["tp1", "tp2", "tp3", "tp4"]
    assert course.tp("tp3").deadline == datetime(2026, 3, 29, 21, 59, tzinfo=timezone.utc)
    assert course.tp("tp4").late_penalty.per_day == 1 and course.tp("tp4").late_penalty.max == 10
    assert course.tp("tp4").late_penalty.cutoff_days is None and course.tp("tp1").late_penalty.cutoff_days == 7
    assert course.formula.names == ("exam", "resit", "tp1", "tp2", "tp3", "tp4", "project")
    assert course.round_final(12.375) == 12.5 and course.round_final(12.37) == 12.25
    assert roster.owner_of("e2024003").id == "b02" and roster.members("t04") == ("e2024004", "e2024005", "e2024006")
    b02 = roster.owner_of("e2024002")
    assert b02.url == "git@gitlab.example.fr:l3-ap/binome-02.git" and b02.token_env == "GITLAB_TOKEN_L3AP"
    assert roster.owner_of("e2024010").url == str((EXAMPLES.parent / "depots" / "e2024010").resolve())
    assert course.marks[0].table.marks["e2024006"][0] == Mark(0.0, ABI)
    assert course.overrides[0].reason.startswith("Panne")
    assert course.archives == (Path("/srv/enseignement/archives/apprentissage-profond"),) and course.sources == ()
    assert [(d.pair, d.flag, d.decision) for d in course.review.decisions] == [
        (("b02", "e2024001"), None, "écarté"), (("e2024010", "2025/e2023017"), None, "à discuter"),
        (None, ("t04", "data-access", "tp3/models.py:41"), "confirmé")]  # member ids name their group


def test_default_formula_covers_every_tp_and_the_project(course_dir):
    edit(course_dir / "course.yaml", 'formula: "0.5*max(exam, resit) + 0.5*mean(tp1, tp2, tp3, tp4, project)"\n', "")
    assert load_course(course_dir / "course.yaml").formula.text == "0.5*exam + 0.5*mean(tp1, tp2, tp3, tp4, project)"


def test_rounding_modes(course_dir):
    edit(course_dir / "course.yaml", "rounding: 0.25", "rounding: 0.5\nrounding_mode: up")
    course = load_course(course_dir / "course.yaml")
    assert course.round_final(12.01) == 12.5 and course.round_final(12.5) == 12.5
    edit(course_dir / "course.yaml", "rounding_mode: up", "rounding_mode: down")
    assert load_course(course_dir / "course.yaml").round_final(12.99) == 12.5


def test_marks_on_another_scale_and_group_rows(course_dir):
    edit(course_dir / "course.yaml", "exam: {file: exam.csv, label: Examen}", "exam: {file: exam.csv, out_of: 40}")
    course, _ = load_class(course_dir / "course.yaml")
    assert course.marks[0].table.marks["e01"][0] == Mark(6.0)
    assert course.marks[1].table.marks["g2"][0] == Mark(12.0)
    assert course.marks[0].table.marks["e24"][0] == Mark(None, ABJ)


def test_malformed_yaml_names_file_and_line(course_dir):
    edit(course_dir / "course.yaml", "rounding: 0.25", "rounding: [0.25")
    message = error_of(course_dir)
    assert "course.yaml:" in message and "invalid YAML" in message


@pytest.mark.parametrize("old, new, where, words", [
    ("rounding: 0.25", "rounding: 0.25\nroundign: 0.5", ":18 [roundign]", "unknown key"),
    ("tp1: {deadline:", "tp1: {dedline: x, deadline:", ":6 [tps.tp1.dedline]", "unknown key"),
    ("rounding: 0.25", "rounding: un quart", ":17 [rounding]", "expected a number"),
    ("late_penalty: {per_day: 2,", "late_penalty: {per_day: -2,", ":4 [late_penalty.per_day]", "≥ 0"),
    ("optional: true", "optional: oui", ":15 [marks.resit.optional]", "true or false"),
    ('tp1: {deadline: "2026-02-15T23:59:00+01:00"}', 'tp1: {deadline: "2026-02-15T23:59:00"}', ":6 [tps.tp1.deadline]",
     "needs a time zone"),
    ('tp1: {deadline: "2026-02-15T23:59:00+01:00"}', "tp1: {deadline: 2026-02-15}", ":6 [tps.tp1.deadline]",
     "a date without a time"),
    ('tp1: {deadline: "2026-02-15T23:59:00+01:00"}', 'tp1: {deadline: "le 15 février"}', ":6 [tps.tp1.deadline]",
     "not an ISO date"),
    ('tp1: {deadline: "2026-02-15T23:59:00+01:00"}', "tp1: {tag: tp1}", ":6 [tps.tp1]", "missing key 'tps.tp1.deadline'"),
    ("  tp2: {deadline:", "  TP2: {deadline:", ":7 [tps.TP2]", "TP names are tp1"),
    ("resit: {file:", "mean: {file:", ":15 [marks.mean]", "cannot name a mark"),
    ("timezone: Europe/Paris", "timezone: Europe/Lutece", ":2 [timezone]", "unknown time zone"),
    ("tp: tp2, days: 2", "tp: tp7, days: 2", ":19 [extensions[0].tp]", "unknown TP 'tp7'"),
    ("hours: 24,", "hours: 0,", ":20 [extensions[1]]", "needs days or hours"),
    ("rounding: 0.25", "rounding: 0.25\nrounding: 0.5", ":18 [rounding]", "duplicate key"),
    ("course:", "cours:", ":1 [cours]", "unknown key"),
])
def test_bad_course_yaml_names_line_and_key(course_dir, old, new, where, words):
    edit(course_dir / "course.yaml", old, new)
    message = error_of(course_dir)
    assert f"course.yaml{where}" in message and words in message


def test_formula_naming_an_unknown_mark_is_an_error_naming_it(course_dir):
    edit(course_dir / "course.yaml", "mean(tp1, tp2, tp3, tp4, project)", "mean(tp1, tp2, tp3, tp4, projet)")
    message = error_of(course_dir)
    assert "course.yaml:16 [formula]" in message and "'projet'" in message and "exam, project, resit" in message


@pytest.mark.parametrize("formula", ["exam.__class__", "__import__('os')", "(lambda: 20)()", "[e for e in exam]",
                                     "open('/etc/passwd')", "exam ** 2"])
def test_formula_with_forbidden_syntax_is_refused(course_dir, formula):
    edit(course_dir / "course.yaml", '"0.5*max(exam, resit) + 0.5*mean(tp1, tp2, tp3, tp4, project)"', f'"{formula}"')
    assert "course.yaml:16 [formula]" in error_of(course_dir)


def test_overrides_file_errors(course_dir):
    overrides = course_dir / "overrides.yaml"
    edit(overrides, "value: 18", "value: 25")
    assert "overrides.yaml:1 [[0].value]" in error_of(course_dir)
    edit(overrides, "value: 25", "value: 18")
    edit(overrides, "mark: final", "mark: finale")
    assert "overrides.yaml:2 [[1].mark]" in error_of(course_dir)
    edit(overrides, "mark: finale", "mark: final")
    edit(overrides, "student: e27", "student: e99")
    assert "overrides.yaml:4" in error_of(course_dir) and "e99" in error_of(course_dir)
    edit(overrides, "student: e99", "student: e26")
    edit(overrides, "reason: \"Travail", "raison: \"Travail")
    assert "unknown key 'raison'" in error_of(course_dir)
    overrides.unlink()
    assert "overrides.yaml" in error_of(course_dir) and "cannot read" in error_of(course_dir)
    overrides.write_text("# aucun ajustement pour l'instant\n", encoding="utf-8")
    assert load_course(course_dir / "course.yaml").overrides == ()


@pytest.mark.parametrize("old, new, where, words", [
    ("id,name,email,repo,group", "id,nom,email,repo,group", "roster.csv:1 [name]", "missing column 'name'"),
    ("e02,", "e01,", "roster.csv:3 [id]", "appears twice"),
    ("e03@etu.example.fr", "e03-etu.example.fr", "roster.csv:4 [email]", "not an e-mail"),
    ("depots/e04,", "http://gitlab.example.fr/e04.git,", "roster.csv:5 [repo]", "unsupported repository URL"),
    ("depots/e05,", ",", "roster.csv:6 [repo]", "no repository for 'e05'"),
    ("e22,Étudiant·e 22,e22@etu.example.fr,,g1", "e22,Étudiant·e 22,e22@etu.example.fr,depots/autre,g1",
     "roster.csv:23 [repo]", "different repo"),
    ("e26@etu.example.fr,depots/g3,g3", "e26@etu.example.fr,depots/g2,g2", "roster.csv:27 [group]",
     "more than max_group_size"),
    ("e21@etu.example.fr,depots/g1,g1", "e21@etu.example.fr,depots/g1,e01", "roster.csv:22 [group]", "also a student id"),
    ("e07,", "../e07,", "roster.csv:8 [id]", "letters, digits"),
    ("e08@etu.example.fr,depots/e08,", "e08@etu.example.fr,depots/e08", "roster.csv:9", "4 cells where the header has 5"),
    ("e09@etu.example.fr,depots/e09,", "e09@etu.example.fr,depots/e03/,", "roster.csv:10 [repo]",
     "e09 has the same repository as e03"),  # a copied row: e03's marks would go to e09 too
])
def test_bad_roster_names_line_and_column(course_dir, old, new, where, words):
    edit(course_dir / "roster.csv", old, new)
    message = error_of(course_dir)
    assert where in message and words in message


def test_roster_token_env_column(course_dir):
    roster = course_dir / "roster.csv"
    edit(roster, "id,name,email,repo,group", "id,name,email,repo,group,token_env")
    text = roster.read_text(encoding="utf-8").replace("\n", ",\n").replace("token_env,\n", "token_env\n")
    roster.write_text(text.replace("depots/e02,,", "https://gitlab.example.fr/e02.git,,TOKEN-E02"), encoding="utf-8")
    assert "roster.csv:3 [token_env]" in error_of(course_dir)
    roster.write_text(text.replace("depots/e02,,", "https://gitlab.example.fr/e02.git,,GITLAB_TOKEN"), encoding="utf-8")
    _, loaded = load_class(course_dir / "course.yaml")
    assert loaded.owner_of("e02").token_env == "GITLAB_TOKEN" and loaded.owner_of("e01").token_env is None


@pytest.mark.parametrize("file, old, new, where, words", [
    ("exam.csv", "e05;16", "e05;seize", "exam.csv:6 [mark]", "expected a mark"),
    ("exam.csv", "e05;16", "e05;21", "exam.csv:6 [mark]", "outside 0…20"),
    ("exam.csv", "e05;16", "e99;16", "exam.csv:6", "neither a student nor a group"),
    ("exam.csv", "e05;16", "e04;16", "exam.csv:6 [id]", "appears twice (also line 5)"),
    ("exam.csv", "id;mark", "id;note", "exam.csv:1 [mark]", "missing column 'mark'"),
    ("project.csv", "g1,16", "g1,16\ne21,12", "project.csv", "keep one"),
])
def test_bad_marks_file_names_line_and_column(course_dir, file, old, new, where, words):
    edit(course_dir / file, old, new)
    message = error_of(course_dir)
    assert where in message and words in message


def test_missing_files_are_named(course_dir):
    shutil.copy(course_dir / "resit.csv", course_dir / "resit.bak")
    (course_dir / "resit.csv").unlink()
    assert "resit.csv" in error_of(course_dir)
    (course_dir / "course.yaml").unlink()
    with pytest.raises(GraderError, match="course.yaml"):
        load_course(course_dir / "course.yaml")



def test_default_formula_needs_exam_and_project(course_dir):
    edit(course_dir / "course.yaml", 'formula: "0.5*max(exam, resit) + 0.5*mean(tp1, tp2, tp3, tp4, project)"\n', "")
    edit(course_dir / "course.yaml", "project: {file: project.csv, label: Projet}", "projet: {file: project.csv}")
    message = error_of(course_dir)
    assert "[formula]: the default formula" in message and "names 'project'" in message
