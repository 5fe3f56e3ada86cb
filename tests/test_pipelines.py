"""The GitLab pipelines of this project, run for real with gitlab-ci-local (shell executor).

- the student pipeline (`gitlab/student-ci.yml`, the starter repo's `.gitlab-ci.yml`) on a
  released starter repo filled with the solutions, and on the untouched starter;
- the trusted `gitlab/grade.yml` pipeline (check + grade jobs), the hidden reference fetched from
  a local git repo standing in for the private instructor project;
- the instructor's `.gitlab-ci.yml`: its test job, then a snapshot, a two-shard collect and the
  report that merges the shards, on a small class.

`./setup.sh` installs gitlab-ci-local (npm) in `.tools/`. Without it these tests skip, except
under CI=true, where a missing tool is a failure.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import git
import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools" / "node_modules" / ".bin"
ACTOR = git.Actor("Étudiante", "etudiante@example.org")
STUDENT_URL = "https://gitlab.example.fr/l3-ap/e001.git"  # only its path matters: CI_PROJECT_PATH


def gitlab_ci_local() -> Path:
    tool = TOOLS / "gitlab-ci-local"
    if not tool.exists() or shutil.which("rsync") is None:
        message = "gitlab-ci-local or rsync missing: run ./setup.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return tool


def run_pipeline(cwd: Path, *args: str, variables: dict[str, str] | None = None,
                 grader_on_path: bool = True) -> subprocess.CompletedProcess:
    """One gitlab-ci-local run; the job log is in the result's stdout."""
    tool = gitlab_ci_local()
    path = [str(TOOLS)] + ([str(Path(sys.executable).parent)] if grader_on_path else []) + ["/usr/bin", "/bin"]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CI_", "GITLAB_"))}
    env.update(PATH=":".join(path), FORCE_COLOR="0")
    command = [str(tool), "--shell-isolation", "--force-shell-executor", "--concurrency", "2",
               *args]
    for key, value in (variables or {}).items():
        command += ["--variable", f"{key}={value}"]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    print(done.stdout[-20000:], done.stderr[-5000:])  # shown by pytest when the test fails
    return done


def commit_all(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    return repo.index.commit(message, author=ACTOR, committer=ACTOR).hexsha


def passed_jobs(output: str) -> set[str]:
    return {line.split("PASS", 1)[1].strip() for line in output.splitlines() if line.strip().startswith("PASS ")}


def junit(path: Path) -> tuple[int, int]:
    """(test cases, failed or erred) of a JUnit file."""
    suite = ET.parse(path).getroot().find("testsuite")
    return int(suite.get("tests")), int(suite.get("failures")) + int(suite.get("errors"))


@pytest.fixture(scope="module")
def starter(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "starter"
    assert main(["release", str(out)]) == 0
    return out


def student_clone(starter: Path, target: Path, filled: tuple[str, ...] = ()) -> git.Repo:
    """A student's clone of the starter repo, with the given TPs copied from solutions/."""
    repo = git.Repo.clone_from(starter, target)
    for tp in filled:
        shutil.rmtree(target / tp)
        shutil.copytree(ROOT / "solutions" / tp, target / tp, ignore=shutil.ignore_patterns("__pycache__"))
    if filled:
        commit_all(repo, "TP " + ", ".join(filled))
    repo.git.remote("set-url", "origin", STUDENT_URL)
    return repo


def test_student_pipeline_gives_full_marks_to_the_solutions(starter, tmp_path, project):
    repo = student_clone(starter, tmp_path / "e001", filled=tuple(project.tp_names()))
    repo.create_tag("tp1")
    done = run_pipeline(tmp_path / "e001")
    assert done.returncode == 0
    assert passed_jobs(done.stdout) == {f"check: [{tp}]" for tp in project.tp_names()}
    for tp in project.tp_names():
        tests, failed = junit(tmp_path / "e001" / f"report-{tp}.xml")
        assert tests > 0 and failed == 0
        result = json.loads((tmp_path / "e001" / f"result-{tp}.json").read_text(encoding="utf-8"))
        assert result["mark"] == 20 and result["commit"] == repo.head.commit.hexsha


def test_student_pipeline_stays_green_on_the_untouched_starter(starter, tmp_path, project):
    student_clone(starter, tmp_path / "e002")
    done = run_pipeline(tmp_path / "e002")
    assert done.returncode == 0
    assert passed_jobs(done.stdout) == {f"check: [{tp}]" for tp in project.tp_names()}
    for tp in project.tp_names():
        tests, failed = junit(tmp_path / "e002" / f"report-{tp}.xml")
        assert tests > 0 and failed == tests  # every public test fails, and the job still passes
        assert json.loads((tmp_path / "e002" / f"result-{tp}.json").read_text(encoding="utf-8"))["mark"] == 0


def instructor_reference(target: Path, deadlines: dict[str, str]) -> Path:
    """The private instructor project, as far as the grade job sees it: reference/ and course/."""
    shutil.copytree(ROOT / "reference", target / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    course = target / "course"
    course.mkdir()
    tps = "\n".join(f"  {tp}: {{deadline: \"{moment}\"}}" for tp, moment in deadlines.items())
    (course / "course.yaml").write_text(f"course: Essai\nroster: roster.csv\ntps:\n{tps}\n"
                                        "marks:\n  exam: exam.csv\n  project: project.csv\n"
                                        "extensions:\n  - {student: e001, tp: tp3, days: 3650, reason: essai}\n",
                                        encoding="utf-8")
    (course / "roster.csv").write_text(f"id,name,email,repo\ne001,Martin Léa,lea@example.fr,{STUDENT_URL}\n",
                                       encoding="utf-8")  # exam.csv and project.csv: not needed, not read
    commit_all(git.Repo.init(target, initial_branch="main"), "Référence")
    return target


def test_grade_pipeline_grades_the_push_with_the_hidden_tests(starter, tmp_path, project):
    now = datetime.now(timezone.utc)
    future, past = (now + timedelta(days=30)).isoformat(), (now - timedelta(days=1)).isoformat()
    reference = instructor_reference(tmp_path / "instructor", {"tp1": future, "tp2": past, "tp3": past, "tp4": future})
    repo = student_clone(starter, tmp_path / "e001", filled=("tp1", "tp3"))
    shutil.copy(ROOT / "gitlab" / "grade.yml", tmp_path / "e001" / "grade.yml")  # the CI configuration path
    done = run_pipeline(tmp_path / "e001", "--file", "grade.yml", variables={"DLGRADE_REFERENCE_URL": str(reference)})
    assert done.returncode == 0
    tps = project.tp_names()
    assert passed_jobs(done.stdout) == {f"{job}: [{tp}]" for job in ("check", "grade") for tp in tps}
    out = tmp_path / "e001"
    hidden = {path.stem for path in (ROOT / "reference").rglob("test_*.py")}

    def result(name: str) -> dict:
        return json.loads((out / name).read_text(encoding="utf-8"))

    # Before tp1's deadline: the mark and how many hidden tests of each module passed, not which ones.
    assert result("grade-tp1.json")["mark"] == 20
    modules = ["activations", "descent", "losses", "mlp", "perceptron"]
    assert sorted(t["id"] for t in result("grade-tp1.json")["tests"]) == [f"tests_caches::{m}" for m in modules]
    assert junit(out / "grade-tp1.xml") == (len(modules), 0)
    assert not [name for name in hidden if name in (out / "grade-tp1.xml").read_text(encoding="utf-8")]
    # After tp2's deadline: every hidden test by name (here all failing: tp2 is the stub).
    tp2 = result("grade-tp2.json")
    assert tp2["mark"] == 0 and len(tp2["tests"]) == len(project.tp("tp2").rubric.points) > 1
    # tp3's deadline has passed, but e001's extension (course.yaml) keeps the details hidden.
    assert result("grade-tp3.json")["mark"] == 20 and len(result("grade-tp3.json")["tests"]) == 2  # conv, models
    # The pipeline's creation time, as GitLab set it, is first-seen evidence for the ledger.
    seen = result("sighting-tp1.json")
    assert (seen["owner"], seen["ref"], seen["sha"], seen["source"]) == ("e001", "branch:main", repo.head.commit.hexsha, "ci")
    assert abs(datetime.fromisoformat(seen["seen_at"]) - now) < timedelta(minutes=15)
    # The student's own check job ran beside it.
    assert result("result-tp1.json")["mark"] == 20 and result("result-tp2.json")["mark"] == 0


def instructor_project(target: Path) -> git.Repo:
    """A copy of this project (its files as git sees them) as the instructor's repository."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    repo = git.Repo.init(target, initial_branch="main")
    commit_all(repo, "Instructor project")
    return repo


def test_instructor_pipeline_test_job(tmp_path):
    instructor_project(tmp_path / "course")
    done = run_pipeline(tmp_path / "course", grader_on_path=False,
                        variables={"DLGRADE_PYTEST_ARGS": "tests/test_marks.py tests/test_formula.py",
                                   "DLGRADE_VALIDATE_TPS": "tp1", "DLGRADE_PIPELINE_TOOLS": "0"})
    assert done.returncode == 0
    assert passed_jobs(done.stdout) == {"test"}  # the class's jobs only run on schedules
    assert "dlgrade installed" in done.stdout and " passed" in done.stdout
    assert "tp1 solutions" in done.stdout and "MISMATCH" not in done.stdout


def test_instructor_pipeline_snapshot_then_sharded_collect(tmp_path):
    sys.path.insert(0, str(ROOT / "examples" / "demo"))
    try:
        import make_class
    finally:
        sys.path.pop(0)
    repo = instructor_project(tmp_path / "course")
    make_class.main(tmp_path / "course" / "course")
    course_yaml = tmp_path / "course" / "course" / "course.yaml"  # before the deadline, as a term runs
    course_yaml.write_text(course_yaml.read_text(encoding="utf-8").replace("2026-02-15", "2030-02-15"), encoding="utf-8")
    commit_all(repo, "The class")
    data = tmp_path / "data.git"
    git.Repo.init(data, bare=True)
    variables = {"DLGRADE_DATA_REMOTE": str(data)}

    done = run_pipeline(tmp_path / "course", variables={**variables, "DLGRADE_JOB": "snapshot"})
    assert done.returncode == 0 and passed_jobs(done.stdout) == {"snapshot"}
    ledger = git.Repo(data).git.show("dlgrade-data:ledger.jsonl").splitlines()
    assert {json.loads(line)["owner"] for line in ledger} >= {"e001", "e002", "b01"}

    done = run_pipeline(tmp_path / "course", variables={**variables, "DLGRADE_JOB": "collect"})
    assert done.returncode == 0
    assert passed_jobs(done.stdout) == {"collect: [1/2]", "collect: [2/2]", "report"}
    merged = (tmp_path / "course" / "out" / "class" / "gradebook.csv").read_text(encoding="utf-8")

    # The same class collected in one process, from the same ledger, gives the same gradebook.
    (tmp_path / "ledger.jsonl").write_text("\n".join(ledger) + "\n", encoding="utf-8")
    assert main(["collect", "--course", str(tmp_path / "course" / "course" / "course.yaml"), "--jobs", "2",
                 "--ledger", str(tmp_path / "ledger.jsonl"), "--out", str(tmp_path / "single")]) == 0
    assert merged == (tmp_path / "single" / "gradebook.csv").read_text(encoding="utf-8")
    assert merged.count("\n") == 6  # a header and five students


@pytest.mark.parametrize("name, jobs", [
    ("gitlab/student-ci.yml", ["check: [tp1]", "check: [tp4]"]),
    ("gitlab/grade.yml", ["check: [tp1]", "grade: [tp1]", "grade: [tp4]"]),
    (".gitlab-ci.yml", ["test"]),
])
def test_every_yaml_passes_gitlab_schema(tmp_path, name, jobs):
    """`gitlab-ci-local --list` checks a file against GitLab's CI JSON schema, offline."""
    repo = git.Repo.init(tmp_path, initial_branch="main")
    shutil.copy(ROOT / name, tmp_path / ".gitlab-ci.yml")
    commit_all(repo, "CI")
    done = run_pipeline(tmp_path, "--list")
    assert done.returncode == 0 and "json schema validated" in done.stdout + done.stderr
    listed = [line.split("  ")[0].strip() for line in done.stdout.splitlines()]
    assert all(job in listed for job in jobs)
    # The same file with a keyword GitLab does not know is refused.
    (tmp_path / ".gitlab-ci.yml").write_text((ROOT / name).read_text(encoding="utf-8") + "\nbroken:\n  scrpt: [x]\n",
                                             encoding="utf-8")
    commit_all(repo, "broken")
    assert run_pipeline(tmp_path, "--list").returncode != 0
