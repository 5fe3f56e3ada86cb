"""Tests of grader/classrun/collect.py: a realistic class of real git repos, from snapshots to gradebook.

Times are given with a simulated clock (`--now` in these tests, through conftest.simulated_main:
DLGRADE_CLOCK), so that lateness is exact and runs are reproducible. Identical
commits (same content, author, date) have the same sha: the cache grades them once.
"""
from __future__ import annotations

import csv
import multiprocessing.forkserver
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import git
import pytest

from grader.cli import main as real_main  # noqa: F401 - the real --now
from grader.grading.poolstart import PRELOAD_VARIABLE, pool_context
from grader.grading.config import TP, Rubric
from grader.grading.suite import trusted_imports

from .conftest import simulated_main as main, replace_function

DEADLINE = "2026-02-15T23:59:00+01:00"
BEFORE, SNAPSHOT = "2026-02-12T10:00:00+01:00", "2026-02-13T10:00:00+01:00"
HOUR_LATE, WEEK_LATE = "2026-02-16T00:59:00+01:00", "2026-02-24T10:00:00+01:00"
ACTOR = git.Actor("Étudiant", "e@example.org")


def commit(repo: git.Repo, date: str, message: str = "travail") -> str:
    repo.git.add(A=True)
    date = datetime.fromisoformat(date).strftime("%Y-%m-%dT%H:%M:%S%z")  # the form gitpython parses
    return repo.index.commit(message, author=ACTOR, committer=ACTOR, author_date=date, commit_date=date).hexsha


def make_repo(root: Path, source: Path, date: str = BEFORE, tag: bool = True,
              functions: dict | None = None) -> Path:
    shutil.copytree(source / "tp1", root / "tp1", ignore=shutil.ignore_patterns("__pycache__"))
    for (name, function), body in (functions or {}).items():
        path = root / "tp1" / name
        path.write_text(replace_function(path.read_text(encoding="utf-8"), function, body), encoding="utf-8")
    repo = git.Repo.init(root, initial_branch="main")
    commit(repo, date)
    if tag:
        repo.create_tag("tp1")
    return root


@pytest.fixture(scope="module")
def klass(tmp_path_factory, project):
    """A class of 30 students (one pair) and its course files; returns (folder, expected)."""
    base = tmp_path_factory.mktemp("class")
    repos = base / "repos"
    good, stub = project.solutions, project.assignments
    rows, expected = [], {}

    def student(sid: str, url: str, exam: str, project_mark: str, final: str, tp1: str, group: str = ""):
        rows.append((sid, f"Nom {sid}", f"{sid}@etu.example.fr", url, group))
        expected[sid] = (exam, project_mark, tp1, final)

    for i in range(12):  # full marks, all with the same commit: graded once
        make_repo(repos / f"full{i}", good)
        student(f"full{i}", str(repos / f"full{i}"), "12", "14", "14.5", "20")
    make_repo(repos / "partial", good, functions={("losses.py", "mse"): "return 0.0"})
    student("partial", str(repos / "partial"), "10", "10", "12.25", "19")
    make_repo(repos / "stub", stub, tag=False)
    student("stub", str(repos / "stub"), "10", "10", "7.5", "0")
    make_repo(repos / "broken", good, functions={("activations.py", "sigmoid"): "return (z"})
    student("broken", str(repos / "broken"), "10", "10", "9.75", "8.5")
    make_repo(repos / "notag", good, tag=False)
    student("notag", str(repos / "notag"), "10", "10", "12.5", "20")
    make_repo(repos / "pair", good)
    student("p1", str(repos / "pair"), "16", "12", "16", "20", group="g1")
    student("p2", str(repos / "pair"), "8", "12", "12", "20", group="g1")
    # Late ones get their TP1 commit after the last snapshot before the deadline.
    for name in ("hour", "week", "forged"):
        make_repo(repos / name, stub, tag=False)
    student("hour", str(repos / "hour"), "10", "10", "12", "18")
    student("week", str(repos / "week"), "10", "10", "7.5", "0")
    student("forged", str(repos / "forged"), "10", "10", "12", "18")
    make_repo(repos / "moved", good, functions={("losses.py", "mse"): "return 0.0"})  # 19 on time
    student("moved", str(repos / "moved"), "10", "10", "12.25", "19")
    student("unreachable", str(repos / "does-not-exist"), "10", "10", "7.5", "0")
    (repos / "empty").mkdir(parents=True)
    git.Repo.init(repos / "empty", initial_branch="main")
    student("empty", str(repos / "empty"), "10", "10", "7.5", "0")
    make_repo(repos / "corrupt", good, date="2026-02-11T09:00:00+01:00")
    for obj in (repos / "corrupt" / ".git" / "objects").glob("??/*"):
        obj.unlink()  # every object gone: the clone fails
    student("corrupt", str(repos / "corrupt"), "10", "10", "7.5", "0")
    repo = git.Repo.init(repos / "nopackage", initial_branch="main")
    (repos / "nopackage" / "README.md").write_text("rien\n")
    commit(repo, BEFORE)
    student("nopackage", str(repos / "nopackage"), "10", "10", "7.5", "0")
    for i in range(4):
        make_repo(repos / f"more{i}", good)
        student(f"more{i}", str(repos / f"more{i}"), "14", "16", "16", "20")

    with open(base / "roster.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "name", "email", "repo", "group"])
        writer.writerows(rows)
    exam = {sid: e for sid, (e, *_rest) in expected.items()}
    proj = {sid: p for sid, (_e, p, *_rest) in expected.items()}
    (base / "exam.csv").write_text("id,mark\n" + "".join(f"{s},{m}\n" for s, m in exam.items()))
    (base / "project.csv").write_text("id,mark\n" + "".join(f"{s},{m}\n" for s, m in proj.items() if s not in ("p1", "p2"))
                                      + "g1,12\n")
    (base / "course.yaml").write_text(f"""course: "Apprentissage profond — classe de test"
roster: roster.csv
late_penalty: {{per_day: 2, max: 10, cutoff_days: 7}}
tps:
  tp1: {{deadline: "{DEADLINE}"}}
marks:
  exam: exam.csv
  project: project.csv
formula: "0.5*exam + 0.5*mean(tp1, project)"
rounding: 0.25
""")
    assert len(expected) == 30
    return base, expected


def run(folder: Path, *args: str) -> None:
    code = main(["collect", "--course", str(folder / "course.yaml"), "--out", str(folder / "out"), "--jobs", "2",
                 "--timeout", "5", *args])
    assert code == 0


def timeline(folder: Path, project) -> None:
    """Snapshots before the deadline, late pushes after it, the final collect a week later."""
    repos = folder / "repos"
    run(folder, "--snapshot", "--now", SNAPSHOT)
    moved = git.Repo(repos / "moved")
    (repos / "moved" / "tp1" / "losses.py").write_text((project.solutions / "tp1" / "losses.py").read_text())
    commit(moved, "2026-02-14T08:00:00+01:00", "corrigé")
    moved.create_tag("tp1", force=True)  # moved after the snapshot that saw the first tp1: seen late
    for name, date in (("hour", HOUR_LATE), ("forged", "2026-02-10T08:00:00+01:00")):
        shutil.rmtree(repos / name / "tp1")
        shutil.copytree(project.solutions / "tp1", repos / name / "tp1", ignore=shutil.ignore_patterns("__pycache__"))
        commit(git.Repo(repos / name), date)
        git.Repo(repos / name).create_tag("tp1")
    run(folder, "--snapshot", "--now", HOUR_LATE)
    shutil.rmtree(repos / "week" / "tp1")
    shutil.copytree(project.solutions / "tp1", repos / "week" / "tp1", ignore=shutil.ignore_patterns("__pycache__"))
    commit(git.Repo(repos / "week"), WEEK_LATE)
    git.Repo(repos / "week").create_tag("tp1")


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", encoding="utf-8") as handle:
        return {row["Numéro d'identification"]: row for row in csv.DictReader(handle)}


def outputs(out: Path) -> dict[str, str]:
    files = [out / "gradebook.csv", out / "gradebook.html", *sorted((out / "feedback").glob("*.md"))]
    return {path.name: path.read_text(encoding="utf-8") for path in files}


@pytest.fixture(scope="module")
def collected(klass, project, tmp_path_factory):
    """The class after its timeline, copied before the final collect (for the resume test)."""
    folder, expected = klass
    timeline(folder, project)
    pristine = tmp_path_factory.mktemp("pristine") / "class"
    shutil.copytree(folder, pristine, symlinks=True, ignore=shutil.ignore_patterns("out"))
    run(folder, "--now", WEEK_LATE)
    return folder, expected, pristine


def test_every_student_gets_the_expected_marks(collected):
    folder, expected, _ = collected
    book = gradebook(folder / "out")
    assert sorted(book) == sorted(expected)
    for sid, (exam, _project, tp1, final) in expected.items():
        assert (book[sid]["TP1"], book[sid]["Note finale"]) == (tp1, final), sid


def test_problems_are_reported_in_the_feedback(collected):
    folder, _, _ = collected
    feedback = {p.stem: p.read_text(encoding="utf-8") for p in (folder / "out" / "feedback").glob("*.md")}
    assert "dépôt inaccessible" in feedback["unreachable"] and "dépôt inaccessible" in feedback["corrupt"]
    assert "dépôt vide" in feedback["empty"]
    assert "déplacée après la date limite" in feedback["moved"]
    assert "ne contient pas de dossier tp1/" in feedback["nopackage"]
    assert "SyntaxError" in feedback["broken"]
    # the student learns which commit stood in for the missing tag
    assert "pas d'étiquette `tp1` dans votre dépôt : c'est le dernier commit de la branche `main`" in feedback["notag"]
    assert "pas d'étiquette" not in feedback["full0"]


def test_unchanged_rerun_regrades_nothing(collected, capsys):
    folder, _, _ = collected
    before = outputs(folder / "out")
    capsys.readouterr()
    run(folder, "--now", WEEK_LATE)
    printed = capsys.readouterr().out
    assert " 0 graded" in printed
    assert outputs(folder / "out") == before
    # The last line times each step, in the order they ran.
    assert re.fullmatch(r"time: fetch and grading \d+\.\d s · similarity \d+\.\d s · gradebook \d+\.\d s",
                        printed.splitlines()[-1])


def test_report_rerenders_without_regrading(collected, tmp_path):
    folder, _, _ = collected
    assert main(["report", "--course", str(folder / "course.yaml"), "--from", str(folder / "out"),
                 "--out", str(tmp_path / "again")]) == 0
    assert outputs(tmp_path / "again") == outputs(folder / "out")


def test_killed_run_resumes_to_identical_outputs(collected, project):
    folder, _, pristine = collected
    command = [str(Path(sys.executable).parent / "grader"), "collect", "--course", str(pristine / "course.yaml"),
               "--out", str(pristine / "out"), "--jobs", "1", "--timeout", "5"]
    clock = {**os.environ, "DLGRADE_CLOCK": WEEK_LATE}
    victim = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=clock)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((pristine / "out" / "results").glob("*/*.json")):
        time.sleep(0.1)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert not (pristine / "out" / "gradebook.csv").exists(), "killed too late to test resuming"
    assert subprocess.run(command, capture_output=True, env=clock).returncode == 0
    assert outputs(pristine / "out") == outputs(folder / "out")


def test_shards_merge_into_the_same_gradebook(collected, tmp_path):
    folder, _, _ = collected
    shards = []
    for index in (1, 2):
        out = tmp_path / f"shard{index}"
        shutil.copytree(folder / "out" / "results", out / "results")  # a shared cache, as CI would restore
        assert main(["collect", "--course", str(folder / "course.yaml"), "--out", str(out), "--jobs", "2",
                     "--shard", f"{index}/2", "--now", WEEK_LATE]) == 0
        shards.append(out)
    assert main(["report", "--course", str(folder / "course.yaml"), "--from", str(shards[0]), "--from", str(shards[1]),
                 "--out", str(tmp_path / "merged")]) == 0
    assert gradebook(tmp_path / "merged") == gradebook(folder / "out")


@pytest.mark.parametrize("shard", ["0/2", "3/2", "x", "1/0"])
def test_bad_shard_is_usage_error(klass, shard, capsys):
    folder, _ = klass
    assert main(["collect", "--course", str(folder / "course.yaml"), "--out", "/tmp/unused", "--shard", shard]) == 2


def test_formula_naming_an_unknown_mark_stops_before_grading(tmp_path, klass, capsys):
    folder, _ = klass
    course = tmp_path / "course.yaml"
    shutil.copy(folder / "roster.csv", tmp_path)
    shutil.copy(folder / "exam.csv", tmp_path)
    shutil.copy(folder / "project.csv", tmp_path)
    course.write_text((folder / "course.yaml").read_text().replace("mean(tp1, project)", "mean(tp1, projet)"))
    assert main(["collect", "--course", str(course), "--out", str(tmp_path / "out")]) == 2
    assert "projet" in capsys.readouterr().err and not (tmp_path / "out" / "results").exists()


def test_what_to_check_is_counted_listed_and_written(collected, capsys):
    folder, _, _ = collected
    capsys.readouterr()
    assert main(["report", "--course", str(folder / "course.yaml"), "--out", str(folder / "out")]) == 0
    summary = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("À vérifier :"))
    with open(folder / "out" / "a-verifier.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    found = {(row["Numéro d'identification"], row["À vérifier"]) for row in rows}
    wanted = {("unreachable", "dépôt injoignable"), ("corrupt", "dépôt ou commit illisible"), ("empty", "dépôt vide"),
              ("nopackage", "pas de dossier du TP"), ("notag", "sans étiquette"), ("stub", "sans étiquette"),
              ("moved", "étiquette déplacée"), ("broken", "module qui ne s'importe pas"),
              ("hour", "en retard"), ("forged", "en retard"), ("week", "au-delà de la limite")}
    assert wanted <= found, wanted - found
    assert not {sid for sid, _ in found} & {f"full{i}" for i in range(12)}  # nothing for those with nothing wrong
    broken = next(row for row in rows if row["Numéro d'identification"] == "broken")
    assert re.search(r"tp1/activations\.py:\d+", broken["Détail"])
    for label in ("1 dépôt vide", "3 sans étiquette", "1 étiquette déplacée", "1 module qui ne s'importe pas",
                  "1 au-delà de la limite", "1 pas de dossier du TP"):
        assert label in summary, summary
    html = (folder / "out" / "gradebook.html").read_text(encoding="utf-8")
    assert f"À vérifier ({len(rows)})" in html and "étiquette déplacée" in html


def small_class(base: Path, project, dates: dict[str, str]) -> Path:
    rows = ["id,name,email,repo,group"]
    for sid, date in dates.items():
        make_repo(base / "repos" / sid, project.solutions, date=date)
        rows.append(f"{sid},Nom {sid},{sid}@etu.example.fr,{base / 'repos' / sid},")
    (base / "roster.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (base / "course.yaml").write_text(f'course: "Petite classe"\nroster: roster.csv\n'
                                      f'late_penalty: {{per_day: 2, max: 10, cutoff_days: 7}}\n'
                                      f'tps:\n  tp1: {{deadline: "{DEADLINE}"}}\nformula: "tp1"\n', encoding="utf-8")
    return base / "course.yaml"


def test_a_collect_that_would_zero_the_class_stops_and_says_the_two_ways_out(project, tmp_path, capsys):
    course = small_class(tmp_path, project, {"a": BEFORE, "b": BEFORE})
    args = ["collect", "--course", str(course), "--out", str(tmp_path / "out"), "--now", WEEK_LATE, "--no-similarity"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no sighting" in err and "every student would be late" in err
    assert "--snapshot" in err and "gitlab:" in err and "--trust-commit-dates" in err
    assert not list((tmp_path / "out" / "results").rglob("*.json"))  # stopped before any grading
    assert main([*args, "--trust-commit-dates"]) == 0
    assert {row["TP1"] for row in gradebook(tmp_path / "out").values()} == {"20"}  # dated before the deadline
    html = (tmp_path / "out" / "gradebook.html").read_text(encoding="utf-8")
    assert "Dates de commit prises sur parole" in html and 'class="notice"' in html
    capsys.readouterr()
    assert main(["report", "--course", str(course), "--out", str(tmp_path / "out")]) == 0  # remembered by report
    assert "Dates de commit prises sur parole" in (tmp_path / "out" / "gradebook.html").read_text(encoding="utf-8")


def test_more_than_half_the_class_late_is_a_loud_warning(project, tmp_path, capsys):
    course = small_class(tmp_path, project, {"a": BEFORE})
    assert main(["collect", "--course", str(course), "--out", str(tmp_path / "out"), "--snapshot", "--now", SNAPSHOT]) == 0
    for sid in ("b", "c"):  # two of three push after the deadline
        make_repo(tmp_path / "repos" / sid, project.solutions, date=HOUR_LATE)
    (tmp_path / "roster.csv").write_text((tmp_path / "roster.csv").read_text(encoding="utf-8") + "".join(
        f"{sid},Nom {sid},{sid}@etu.example.fr,{tmp_path / 'repos' / sid},\n" for sid in ("b", "c")), encoding="utf-8")
    capsys.readouterr()
    assert main(["collect", "--course", str(course), "--out", str(tmp_path / "out"), "--now", WEEK_LATE,
                 "--no-similarity"]) == 0
    err = capsys.readouterr().err
    assert "grader: warning: TP1 : 2 rendus sur 3 comptés en retard" in err
    html = (tmp_path / "out" / "gradebook.html").read_text(encoding="utf-8")
    assert 'class="notice">TP1 : 2 rendus sur 3 comptés en retard' in html


def test_a_roster_whose_repositories_mostly_cannot_be_fetched_stops_before_zeroing_them(project, tmp_path, capsys):
    course = small_class(tmp_path, project, {"a": BEFORE, "b": BEFORE, "c": BEFORE})
    roster = tmp_path / "roster.csv"
    good = roster.read_text(encoding="utf-8")
    roster.write_text(good.replace(f"{tmp_path / 'repos'}/b", "/nulle/part/b").replace(f"{tmp_path / 'repos'}/c",
                                                                                         "/nulle/part/c"))
    out = tmp_path / "out"
    snapshot = ["collect", "--course", str(course), "--out", str(out), "--snapshot", "--now", SNAPSHOT]
    assert main(snapshot) == 2  # a scheduled snapshot fails loudly: its evidence would be missing
    err = capsys.readouterr().err
    assert "2 of the 3 repositories could not be fetched" in err and "b: dépôt inaccessible" in err
    assert "first-seen times are not recorded" in err
    args = ["collect", "--course", str(course), "--out", str(out), "--now", HOUR_LATE, "--no-similarity"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "each of them would get 0" in err and "--allow-unreachable" in err
    assert not (out / "gradebook.csv").exists() and not list((out / "results").rglob("*.json"))
    assert main([*args, "--allow-unreachable"]) == 0  # the instructor's choice: the others are graded
    assert {sid: row["TP1"] for sid, row in gradebook(out).items()} == {"a": "20", "b": "0", "c": "0"}
    roster.write_text(good.replace(f"{tmp_path / 'repos'}/c", "/nulle/part/c"))  # one gone: said, the class goes on
    capsys.readouterr()
    assert main(args) == 0
    assert "c: dépôt inaccessible" in capsys.readouterr().out
    # b first seen now, after the deadline (the failed snapshot recorded a only): late by a day, −2
    assert {sid: row["TP1"] for sid, row in gradebook(out).items()} == {"a": "20", "b": "18", "c": "0"}


def test_a_second_collect_on_the_same_folder_waits_for_the_first(tmp_path, capsys):
    import fcntl

    from grader.classrun.collect import LOCK_FILE, out_lock

    out = tmp_path / "out"
    with out_lock(out):
        assert (out / LOCK_FILE).read_text() == f"{os.getpid()}\n"
        handle = os.open(out / LOCK_FILE, os.O_RDWR)  # another process's view: the lock is taken
        with pytest.raises(BlockingIOError):
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(handle)
    # released: taken again at once, by a new holder
    handle = os.open(out / LOCK_FILE, os.O_RDWR)
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    waiting = subprocess.Popen([sys.executable, "-c", "import sys; from pathlib import Path; "
                                "from grader.classrun.collect import out_lock\n"
                                "with out_lock(Path(sys.argv[1])): print('got it', flush=True)", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = waiting.stderr.readline()  # it says who holds the folder, then waits
        assert f"another grader collect (pid {os.getpid()}) is using {out}: waiting" in line
        time.sleep(0.3)
        assert waiting.poll() is None
        os.close(handle)  # the first run ends
        assert waiting.communicate(timeout=30)[0] == "got it\n" and waiting.returncode == 0
    finally:
        waiting.kill()


def test_the_pools_fork_server_imports_what_the_hidden_tests_import(tmp_path):
    reference = tmp_path / "tp7"
    reference.mkdir()
    (reference / "test_one.py").write_text("import numpy as np\nimport os.path, json\nfrom sklearn.datasets import load_wine\n"
                                           "from . import cases\nfrom cases import CASES\nimport test_two\n")
    (reference / "test_two.py").write_text("def f(:\n")  # does not parse: its collection will say so
    (reference / "cases.py").write_text("from grader.grading.testkit import expect\n")
    tp = TP("tp7", reference, Rubric("TP7", {}), 1 << 30, 10.0, preload=("torch",))
    names = trusted_imports([tp])
    # the grading process's own
    assert names[:4] == ["grader.classrun.collect", "grader.grading.runner", "grader.grading.suite", "grader.cli"]
    assert set(names[4:]) == {"numpy", "os.path", "json", "sklearn.datasets", "grader.grading.testkit", "torch"}


def test_the_pools_fork_server_gets_its_imports_without_changing_the_environment(project, monkeypatch):
    seen = {}
    monkeypatch.setenv(PRELOAD_VARIABLE, "kept")
    monkeypatch.setattr(multiprocessing.forkserver, "ensure_running", lambda: seen.update(at_start=os.environ[PRELOAD_VARIABLE]))
    context = pool_context([project.tp("tp1")])
    assert context.get_start_method() == "forkserver"  # never a fork of the grader, which runs threads
    assert "grader.grading.datasets" in seen["at_start"].split(",") and os.environ[PRELOAD_VARIABLE] == "kept"


def test_the_console_count_of_what_to_check_is_in_correct_french():
    from grader.classrun.attention import Item, summary_line

    items = [Item(f"s{i}", "Nom", "TP1", kind, "") for i, kind in enumerate(
        ["unreachable", "unreachable", "unreachable", "missing-tag", "missing-tag", "moved-tag", "import", "import"])]
    assert summary_line(items) == ("À vérifier : 3 dépôts injoignables · 2 sans étiquette · 1 étiquette déplacée · "
                                   "2 modules qui ne s'importent pas")
    assert summary_line([]) == "À vérifier : rien"
