"""Tests of grader/course/gradebook.py: a realistic class of 30 (pairs, a trio, extensions, lateness, ABI/ABJ,
a resit, overrides, a student with nothing submitted), built from real files and `grade(...)` results."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader.grading.config import Rubric
from grader.course.course import LatePenalty, load_class
from grader.base.errors import GraderError
from grader.course.formula import ABI, ABJ, MISSING
from grader.course.gradebook import Submission, build_gradebook, late_penalty
from grader.grading.marks import TestResult, grade

COURSE_YAML = """\
course: "Apprentissage profond — L3 (classe de test)"
timezone: Europe/Paris
roster: roster.csv
late_penalty: {per_day: 2, max: 10, cutoff_days: 7}
tps:
  tp1: {deadline: "2026-02-15T23:59:00+01:00"}
  tp2: {deadline: 2026-03-08T23:59:00+01:00}
  tp3: {deadline: 2026-03-29T23:59:00+02:00, label: "TP3 (CNN)"}
  tp4:
    deadline: 2026-04-19T23:59:00+02:00
    late_penalty: {per_day: 1, max: 5, cutoff_days: null}
marks:
  exam: {file: exam.csv, label: Examen}
  project: {file: project.csv, label: Projet}
  resit: {file: resit.csv, label: Rattrapage, optional: true}
formula: "0.5*max(exam, resit) + 0.5*mean(tp1, tp2, tp3, tp4, project)"
rounding: 0.25
extensions:
  - {student: e05, tp: tp2, days: 2, reason: "Tiers temps"}
  - {student: e06, hours: 24, reason: "Aménagement (tiers temps)"}
  - {student: e25, tp: tp1, days: 2, reason: "Hospitalisation"}
overrides: overrides.yaml
outputs: {french_csv: true}
"""

OVERRIDES_YAML = """\
- {student: e12, mark: tp3, value: 18, reason: "Erreur du correcteur sur le test de convolution, corrigée à la main."}
- {student: e13, mark: final, value: 10, reason: "Décision du jury du 30/06."}
- {student: g3, mark: tp2, value: 15, reason: "Dépôt du groupe restauré après incident GitLab."}
- {student: e27, mark: tp2, value: 17, reason: "Travail individuel vérifié en TD."}
- {student: e30, mark: tp4, value: ABJ, reason: "Dispensé du TP4 (certificat médical)."}
"""

GROUPS = {"e21": "g1", "e22": "g1", "e23": "g2", "e24": "g2", "e25": "g2", "e26": "g3", "e27": "g3"}
EXAM = {"e02": "13", "e05": "16", "e06": "10", "e07": ABI, "e08": ABJ, "e10": "6", "e11": ABI, "e15": "14",
        "e19": "11,05", "e20": "20", "e21": "10", "e22": "14", "e23": "10", "e24": ABJ, "e25": "10", "e26": "10",
        "e27": "10", "e30": ABJ}
PROJECT = {"e09": ABJ, "e20": "20", "e28": ABI, "e30": ABJ, "g1": "16", "g2": "12", "g3": "10"}
HOUR = timedelta(hours=1)
# owner -> {tp: (raw mark /20, first seen relative to the TP's deadline, or None: unknown)}
SPECIAL = {
    "e02": {"tp1": (16, HOUR)},                                   # late by 1 h: 1 started day, −2
    "e03": {"tp2": (14, timedelta(days=7) + HOUR)},                # past the 7-day cut-off: 0
    "e04": {"tp2": (14, timedelta(days=6, hours=2))},              # 7 started days = 14, capped at 10
    "e05": {"tp2": (14, timedelta(days=1))},                       # within its 2-day extension
    "e06": {"tp3": (12, timedelta(hours=25))},                     # 1 h past its 24 h extension
    "e15": {"tp4": (10, None)},                                    # never seen: late, TP4's cap (5)
    "e17": {"tp4": (10, timedelta(days=2, minutes=30))},           # TP4 rule: 1 per started day → −3
    "e18": {"tp1": (3, timedelta(days=3))},                        # penalty 6 > mark 3: 0, not −3
    "e20": {tp: (20, -HOUR) for tp in ("tp1", "tp2", "tp3", "tp4")},
    "g1": {"tp1": (15, -HOUR), "tp2": (13, -HOUR), "tp3": (11, -HOUR), "tp4": (9, -HOUR)},
    "g2": {"tp1": (18, HOUR), "tp2": (17, -HOUR), "tp3": (16, -HOUR), "tp4": (15, -HOUR)},
    "g3": {"tp1": (10, -HOUR), "tp2": (9, -HOUR), "tp3": (10, -HOUR), "tp4": (10, -HOUR)},
}
DEFAULT_TPS = {"tp1": 16, "tp2": 14, "tp3": 12, "tp4": 10}
EXPECTED_FINAL = {
    "e01": 12.5, "e02": 13.0, "e03": 11.25, "e04": 11.5, "e05": 14.5, "e06": 11.5, "e07": 6.5, "e08": 13.25,
    "e09": 12.5, "e10": 13.5, "e11": 12.0, "e12": 13.25, "e13": 10.0, "e14": 7.5, "e15": 13.0, "e16": None,
    "e17": 12.25, "e18": 11.0, "e19": 12.25, "e20": 20.0, "e21": 11.5, "e22": 13.5, "e23": 12.5, "e24": 15.25,
    "e25": 12.75, "e26": 10.5, "e27": 10.75, "e28": 11.25, "e29": None, "e30": 14.0,
}
RUBRIC = Rubric("TP", {f"test_{i}.py::test_{i}": 5.0 for i in range(4)})


def student_ids() -> list[str]:
    return [f"e{i:02d}" for i in range(1, 31)]


def write_class(folder: Path) -> Path:
    """Write course.yaml, the roster, the marks files and the overrides of the class; return course.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "course.yaml").write_text(COURSE_YAML, encoding="utf-8")
    (folder / "overrides.yaml").write_text(OVERRIDES_YAML, encoding="utf-8")
    lines = ["id,name,email,repo,group"]
    for sid in student_ids():
        group = GROUPS.get(sid, "")
        repo = f"depots/{group or sid}" if sid not in ("e22", "e24", "e25") else ""  # one member names the repo
        lines.append(f"{sid},Étudiant·e {sid[1:]},{sid}@etu.example.fr,{repo},{group}")
    (folder / "roster.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    exam = {sid: "12" for sid in student_ids() if sid != "e16"} | EXAM  # e16: no exam mark yet
    (folder / "exam.csv").write_text("id;mark\n" + "".join(f"{k};{v}\n" for k, v in exam.items()), encoding="utf-8")
    project = {sid: "14" for sid in student_ids() if sid not in GROUPS} | PROJECT
    (folder / "project.csv").write_text("id,mark\n" + "".join(f"{k},{v}\n" for k, v in project.items()), encoding="utf-8")
    (folder / "resit.csv").write_text("id,mark\ne10,14\ne11,11\n", encoding="utf-8")
    return folder / "course.yaml"


def grading_for(tp: str, owner: str, mark: float, commit: str):
    """A real `Grading` whose four 5-point tests add up to `mark` /20."""
    tests, left = [], mark
    for i in range(4):
        points = min(5.0, left)
        left -= points
        status = "passed" if points == 5 else "failed"
        message = "" if status == "passed" else f"la sortie de la fonction {i} n'a pas la bonne forme"
        tests.append(TestResult(f"test_{i}.py::test_{i}", points, 5.0, status, message, 0.01))
    return grade(tp, owner, commit, RUBRIC, tests, [])


def submissions(course, roster) -> list[Submission]:
    result = []
    for owner in roster.owners:
        if owner.id == "e29":
            continue  # the run produced nothing for this repository
        for tp in course.tps:
            commit = f"{abs(hash((owner.id, tp.name))):040x}"[:40]
            if owner.id == "e14":
                result.append(Submission(owner.id, tp.name, None, None, None, ("dépôt vide : aucun commit",)))
                continue
            raw, offset = SPECIAL.get(owner.id, {}).get(tp.name, (DEFAULT_TPS[tp.name], -2 * HOUR))
            seen = None if offset is None else tp.deadline + offset
            result.append(Submission(owner.id, tp.name, commit, seen, grading_for(tp.name, owner.id, raw, commit)))
    return result


@pytest.fixture
def gradebook(tmp_path: Path):
    course, roster = load_class(write_class(tmp_path / "cours"))
    return build_gradebook(course, roster, submissions(course, roster))


def test_class_of_thirty_gets_exact_final_marks(gradebook):
    finals = {row.student.id: row.final.mark.value for row in gradebook.rows}
    assert finals == EXPECTED_FINAL


def test_lateness_penalties_and_cutoff(gradebook):
    rows = {row.student.id: row for row in gradebook.rows}
    one_hour = rows["e02"].tp("tp1")
    assert (one_hour.lateness.days, one_hour.lateness.penalty, one_hour.mark.value) == (1, 2.0, 14.0)
    assert rows["e03"].tp("tp2").lateness.past_cutoff and rows["e03"].tp("tp2").mark.value == 0.0
    capped = rows["e04"].tp("tp2").lateness
    assert (capped.days, capped.penalty, capped.past_cutoff) == (7, 10.0, False)
    assert not rows["e05"].tp("tp2").lateness.late and rows["e05"].tp("tp2").lateness.extension.reason == "Tiers temps"
    assert rows["e06"].tp("tp3").lateness.late_by == HOUR and rows["e06"].tp("tp3").mark.value == 10.0
    unknown = rows["e15"].tp("tp4")
    assert unknown.lateness.late and unknown.lateness.late_by is None and unknown.mark.value == 5.0
    assert any("inconnue" in note for note in unknown.notes)
    assert rows["e17"].tp("tp4").lateness.penalty == 3.0
    assert rows["e18"].tp("tp1").mark.value == 0.0 and rows["e18"].tp("tp1").raw == 3.0


def test_groups_share_marks_with_their_own_deadlines(gradebook):
    rows = {row.student.id: row for row in gradebook.rows}
    assert {rows[s].owner for s in ("e23", "e24", "e25")} == {"g2"}
    assert rows["e23"].tp("tp1").mark.value == 16.0 and rows["e24"].tp("tp1").mark.value == 16.0
    assert rows["e25"].tp("tp1").mark.value == 18.0  # the same commit, on time for her extension
    assert rows["e21"].tp("tp3").commit == rows["e22"].tp("tp3").commit
    assert rows["e21"].marks[1].mark.value == 16.0  # the group's project mark


def test_absences_overrides_and_missing_marks(gradebook):
    rows = {row.student.id: row for row in gradebook.rows}
    assert rows["e07"].marks[0].mark.code == ABI and rows["e07"].marks[0].mark.value == 0.0
    assert rows["e08"].marks[0].mark.code == ABJ and rows["e08"].final.unrounded == pytest.approx(13.2)
    assert rows["e12"].tp("tp3").override.reason.startswith("Erreur") and rows["e12"].tp("tp3").mark.value == 18
    assert rows["e13"].final.unrounded == pytest.approx(12.6) and rows["e13"].final.override is not None
    assert rows["e26"].tp("tp2").mark.value == 15 and rows["e27"].tp("tp2").mark.value == 17
    assert rows["e16"].final.missing == ("Examen",) and rows["e16"].final.mark.code == MISSING
    assert any("Examen : note manquante" in n for n in rows["e16"].notes)
    assert rows["e29"].final.missing == ("TP1", "TP2", "TP3 (CNN)", "TP4")
    assert rows["e14"].tp("tp1").mark.value == 0.0 and any("dépôt vide" in n for n in rows["e14"].notes)
    assert rows["e30"].tp("tp4").mark.code == ABJ and rows["e30"].marks[2].mark.code == "—"
    assert rows["e10"].final.worked == "0,5 × max(6 ; 14) + 0,5 × moyenne(16 ; 14 ; 12 ; 10 ; 14)"


def test_late_penalty_rules():
    deadline = datetime(2026, 2, 15, 22, 59, tzinfo=timezone.utc)
    rule = LatePenalty(per_day=2, max=None, cutoff_days=None)
    assert late_penalty(rule, deadline, deadline, 15).penalty == 0  # exactly at the deadline: on time
    assert late_penalty(rule, deadline, deadline + timedelta(seconds=1), 15).days == 1
    assert late_penalty(rule, deadline, deadline + timedelta(days=20), 15).penalty == 15  # never below 0
    assert late_penalty(rule, deadline, None, 12).penalty == 12  # no evidence and no cap: the whole mark
    assert late_penalty(LatePenalty(0, None, 3), deadline, None, 12).penalty == 0


def test_bad_submissions_are_refused_and_former_ones_set_aside(tmp_path: Path):
    course, roster = load_class(write_class(tmp_path / "cours"))
    good = Submission("e01", "tp1", "a" * 40, datetime(2026, 2, 1, tzinfo=timezone.utc), None)
    # e21 is in group g1 now (a pair formed), tp9 left the course: kept where they are, not shown, named once
    book = build_gradebook(course, roster, [Submission("e21", "tp1", None, None, None),
                                            Submission("e01", "tp9", None, None, None), good])
    assert book.set_aside == ("e21 tp1", "e01 tp9") and len(book.rows) == len(roster.students)
    assert book.rows[0].tp("tp1").commit == "a" * 40
    with pytest.raises(GraderError, match="two submissions"):
        build_gradebook(course, roster, [good, good])
    with pytest.raises(GraderError, match="time zone"):
        build_gradebook(course, roster, [Submission("e01", "tp1", "a" * 40, datetime(2026, 2, 1), None)])
