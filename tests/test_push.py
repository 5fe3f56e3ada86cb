"""Tests of grader/gitlab/push.py and `grader push`: one push graded in a GitLab CI job."""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone

import git
import pytest

from grader.cli import main
from grader.base.errors import UsageError
from grader.grading.marks import Grading, TestResult
from grader.gitlab.push import HIDDEN_SUMMARY_PREFIX, Push, hidden_modules, push_context, student_view

ENV = {"CI_PROJECT_PATH": "l3-ap/binome-1", "CI_COMMIT_SHA": "a" * 40, "CI_COMMIT_REF_NAME": "tp1",
       "CI_COMMIT_TAG": "tp1", "CI_PIPELINE_CREATED_AT": "2026-02-15T21:30:00Z"}


def write_course(folder, deadline="2026-02-15T23:59:00+01:00", policy=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "course.yaml").write_text(
        "course: Essai\nroster: roster.csv\n"
        f"tps:\n  tp1: {{deadline: \"{deadline}\"}}\n"
        "marks:\n  exam: exam.csv\n  project: project.csv\n"  # not there: a push's grade job never reads the marks
        "overrides: overrides.yaml\n"
        "extensions:\n  - {student: e003, tp: tp1, hours: 48, reason: tiers temps}\n"
        + (f"ci: {{before_deadline: {policy}}}\n" if policy else ""), encoding="utf-8")
    (folder / "roster.csv").write_text(
        "id,name,email,repo,group\n"
        "e001,Dupont Jeanne,j@etu.example.fr,https://gitlab.example.fr/l3-ap/e001.git,\n"
        "e002,Durand Jean,d@etu.example.fr,git@gitlab.example.fr:l3-ap/binome-1.git,g1\n"
        "e003,Martin Léa,m@etu.example.fr,,g1\n", encoding="utf-8")
    return folder / "course.yaml"


def test_push_from_gitlab_variables():
    push = Push.from_environment(ENV)
    assert (push.project, push.ref) == ("l3-ap/binome-1", "tag:tp1")
    assert push.created_at == datetime(2026, 2, 15, 21, 30, tzinfo=timezone.utc)
    assert Push.from_environment({**ENV, "CI_COMMIT_TAG": "", "CI_COMMIT_REF_NAME": "main"}).ref == "branch:main"


@pytest.mark.parametrize("broken", [{"CI_COMMIT_SHA": ""}, {"CI_PIPELINE_CREATED_AT": "hier"},
                                    {"CI_PIPELINE_CREATED_AT": "2026-02-15T21:30:00"}])
def test_push_outside_ci_or_with_bad_variables_is_a_usage_error(broken):
    with pytest.raises(UsageError):
        Push.from_environment({**ENV, **broken})


def test_context_finds_the_group_and_its_extension_without_reading_marks(tmp_path):
    course = write_course(tmp_path)
    context = push_context(course, "tp1", Push.from_environment(ENV))
    assert context.owner == "g1" and context.policy == "count" and not context.notes
    assert context.deadline == datetime(2026, 2, 17, 22, 59, tzinfo=timezone.utc)  # + 48 h for e003's group


def test_context_of_a_project_missing_from_the_roster(tmp_path):
    course = write_course(tmp_path, policy="full")
    context = push_context(course, "tp1", Push.from_environment({**ENV, "CI_PROJECT_PATH": "autre/projet"}))
    assert context.owner == "autre/projet" and context.policy == "full" and context.notes
    assert context.deadline == datetime(2026, 2, 15, 22, 59, tzinfo=timezone.utc)


def grading(statuses, files=None):
    files = files or ["test_x.py"] * len(statuses)
    tests = tuple(TestResult(f"{file}::test_{i}", 2.0 if s == "passed" else 0.0, 2.0, s,
                             "" if s == "passed" else "valeur attendue : 3", 0.1)
                  for i, (s, file) in enumerate(zip(statuses, files)))
    score = sum(t.points for t in tests)
    return Grading("tp1", "g1", "a" * 40, None, score, 2.0 * len(tests), score / (2.0 * len(tests)) * 20, 0.0, tests)


def test_before_the_deadline_the_count_policy_shows_each_module_s_count_not_which_tests():
    full = grading(["passed", "failed", "passed", "error", "passed"],
                   ["test_activations.py", "test_activations.py", "test_mlp.py", "test_sizes.py", "test_sizes.py"])
    view = student_view(full, "count", before_deadline=True, modules={"test_sizes.py": "conv"})
    assert [t.id for t in view.tests] == [HIDDEN_SUMMARY_PREFIX + m for m in ("activations", "mlp", "conv")]
    activations, mlp, conv = view.tests
    assert activations.status == "failed" and activations.message.startswith("activations : 1/2 tests cachés réussis")
    assert (activations.points, activations.max_points) == (2.0, 4.0)
    assert mlp.status == "passed" and mlp.message == "mlp : 1/1 tests cachés réussis"
    assert conv.status == "failed" and "conv : 1/2 tests cachés réussis" in conv.message  # test_sizes.py → conv
    text = view.to_json()
    assert "test_1" not in text and "test_x" not in text and "test_sizes" not in text and "valeur attendue" not in text
    assert (view.score, view.mark) == (full.score, full.mark)
    assert student_view(grading(["passed"]), "count", True).tests[0].status == "passed"


def test_hidden_test_files_are_named_by_the_module_they_call(project):
    modules = hidden_modules(project.tp("tp3").reference, "tp3")
    assert modules == {"test_conv.py": "conv", "test_sizes.py": "conv", "test_models.py": "models"}
    tp1 = hidden_modules(project.tp("tp1").reference, "tp1")
    assert set(tp1.values()) == {p.stem for p in (project.solutions / "tp1").glob("*.py")} - {"__init__"}


def test_full_policy_and_after_the_deadline_show_every_test():
    full = grading(["passed", "failed"])
    assert student_view(full, "full", before_deadline=True) == full
    assert student_view(full, "count", before_deadline=False) == full


def test_unknown_policy_names_the_key(tmp_path):
    course = write_course(tmp_path, policy="tout")
    with pytest.raises(Exception, match="ci.before_deadline"):
        push_context(course, "tp1", Push.from_environment(ENV))


def test_grader_push_grades_the_checkout_and_writes_the_evidence(tmp_path, monkeypatch, project, capsys):
    checkout = tmp_path / "e001"
    shutil.copytree(project.solutions / "tp1", checkout / "tp1", ignore=shutil.ignore_patterns("__pycache__"))
    repo = git.Repo.init(checkout, initial_branch="main")
    repo.git.add(A=True)
    sha = repo.index.commit("TP1", author=git.Actor("a", "a@b"), committer=git.Actor("a", "a@b")).hexsha
    course = write_course(tmp_path / "course", deadline=(datetime.now(timezone.utc) + timedelta(days=3)).isoformat())
    created = datetime.now(timezone.utc).replace(microsecond=0)
    for key, value in {**ENV, "CI_PROJECT_PATH": "l3-ap/e001", "CI_COMMIT_SHA": sha, "CI_COMMIT_TAG": "",
                       "CI_COMMIT_REF_NAME": "main", "CI_PIPELINE_CREATED_AT": created.isoformat()}.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "out"
    assert main(["push", "tp1", str(checkout), "--course", str(course), "--json", str(out / "r.json"),
                 "--junit", str(out / "r.xml"), "--sighting", str(out / "s.json")]) == 0
    printed = capsys.readouterr().out
    assert "le nombre de tests cachés réussis par module" in printed and "Note : 20 / 20" in printed
    result = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert result["mark"] == 20 and result["commit"] == sha
    assert sorted(t["id"] for t in result["tests"]) == [HIDDEN_SUMMARY_PREFIX + m for m in
                                                        ("activations", "descent", "losses", "mlp", "perceptron")]
    hidden = [p.stem for p in project.reference.joinpath("tp1").glob("test_*.py")]
    assert not [name for name in hidden if name in (out / "r.xml").read_text(encoding="utf-8")]
    assert json.loads((out / "s.json").read_text(encoding="utf-8")) == {
        "owner": "e001", "ref": "branch:main", "sha": sha, "seen_at": created.isoformat(), "source": "ci"}


def test_grader_push_outside_ci_exits_2(tmp_path, monkeypatch, capsys):
    for key in ENV:
        monkeypatch.delenv(key, raising=False)
    assert main(["push", "tp1", str(tmp_path), "--course", str(write_course(tmp_path))]) == 2
    assert "GitLab CI job" in capsys.readouterr().err


def test_a_tp_the_course_does_not_give_is_not_graded(tmp_path, monkeypatch, capsys):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    assert push_context(write_course(tmp_path), "tp2", Push.from_environment(ENV)) is None
    assert main(["push", "tp2", str(tmp_path), "--course", str(tmp_path / "course.yaml"),
                 "--junit", str(tmp_path / "r.xml")]) == 0
    assert "rien à noter" in capsys.readouterr().out and not (tmp_path / "r.xml").exists()
