"""A whole semester, not one run (issue: roster changes, re-runs, regrades, a student's history).

One scripted semester of real git repos and real `grader collect` runs, the clock simulated
(`--now` through conftest.simulated_main is DLGRADE_CLOCK): a collect after TP1, a student who
drops out, a pair that splits, a tag moved after the deadline, a run "as of" a past time (the real
`--now`), a regrade of one student with another delay per call, TP2's collect, and the history of
two students. Every mark is worked out by hand from README's rules; nothing may change silently.
Then one test per problem the issue numbered, each with the command that showed it.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import git
import pytest

from grader.cli import main as real_main

from .conftest import replace_function, simulated_main as main
from .test_collect import ACTOR, commit

TP1_DEADLINE, TP2_DEADLINE = "2026-02-15T23:59:00+01:00", "2026-03-15T23:59:00+01:00"
BEFORE_TP1, AFTER_TP1 = "2026-02-13T10:00:00+01:00", "2026-02-17T10:00:00+01:00"
LATER, BEFORE_TP2, AFTER_TP2 = "2026-02-20T10:00:00+01:00", "2026-03-14T10:00:00+01:00", "2026-03-17T10:00:00+01:00"
BUG = {("losses.py", "mse"): "return 0.0"}  # loses test_mse_value: 19/20 on TP1


def repo_with_tp1(root: Path, project, date: str, functions: dict | None = None, tag: bool = True,
                  mark: str = "") -> git.Repo:
    shutil.copytree(project.solutions / "tp1", root / "tp1", ignore=shutil.ignore_patterns("__pycache__"))
    if mark:  # a comment of the student's own: another commit, graded on its own
        (root / "tp1" / "losses.py").write_text((root / "tp1" / "losses.py").read_text(encoding="utf-8") + f"# {mark}\n")
    for (name, function), body in (functions or {}).items():
        path = root / "tp1" / name
        path.write_text(replace_function(path.read_text(encoding="utf-8"), function, body), encoding="utf-8")
    repo = git.Repo.init(root, initial_branch="main")
    commit(repo, date)
    if tag:
        repo.create_tag("tp1")
    return repo


def write_roster(base: Path, rows: list[tuple[str, str, str]]) -> None:
    with open(base / "roster.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "name", "email", "repo", "group"])
        writer.writerows([(sid, f"Nom {sid}", f"{sid}@etu.example.fr", str(base / "repos" / repo), group)
                          for sid, repo, group in rows])


def collect(base: Path, *args: str) -> int:
    return main(["collect", "--course", str(base / "course.yaml"), "--out", str(base / "out"), "--jobs", "2",
                 "--no-similarity", *args])


def marks(base: Path) -> dict[str, dict[str, str]]:
    with open(base / "out" / "gradebook.csv", encoding="utf-8") as handle:
        return {row["Numéro d'identification"]: {key: row[key] for key in ("TP1", "TP2", "Note finale")}
                for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def semester(tmp_path_factory, project):
    base = tmp_path_factory.mktemp("semester")
    repos = base / "repos"
    repo_with_tp1(repos / "s1", project, BEFORE_TP1)
    repo_with_tp1(repos / "s2", project, BEFORE_TP1, BUG)
    repo_with_tp1(repos / "pair", project, BEFORE_TP1, BUG)
    repo_with_tp1(repos / "s3", project, BEFORE_TP1)
    write_roster(base, [("s1", "s1", ""), ("s2", "s2", ""), ("p1", "pair", "g1"), ("p2", "pair", "g1"), ("s3", "s3", "")])
    (base / "course.yaml").write_text(f"""course: "Semestre de test"
roster: roster.csv
late_penalty: {{per_day: 2, max: 10, cutoff_days: 7}}
tps:
  tp1: {{deadline: "{TP1_DEADLINE}"}}
  tp2: {{deadline: "{TP2_DEADLINE}"}}
formula: "mean(tp1, tp2)"
""", encoding="utf-8")
    steps = {}
    assert collect(base, "--snapshot", "--now", BEFORE_TP1) == 0
    # After TP1's deadline: TP1 as submitted, TP2 not yet (no tp2/ folder: 0 for now).
    assert collect(base, "--now", AFTER_TP1, "--timeout", "20") == 0
    steps["after tp1"] = marks(base)
    # s2 drops out; the pair splits: p1 keeps the repository, p2 pushes the same work to a new one.
    shutil.copytree(repos / "pair", repos / "p2")
    write_roster(base, [("s1", "s1", ""), ("p1", "pair", ""), ("p2", "p2", ""), ("s3", "s3", "")])
    assert collect(base, "--now", LATER, "--timeout", "20") == 0
    steps["after the changes"] = marks(base)
    # s3 moves its tag after the deadline to a commit with a bug: the better of the two is kept.
    s3 = git.Repo(repos / "s3")
    path = repos / "s3" / "tp1" / "losses.py"
    path.write_text(replace_function(path.read_text(encoding="utf-8"), "mse", "return 0.0"), encoding="utf-8")
    commit(s3, LATER, "oups")
    s3.create_tag("tp1", force=True)
    ledger_lines = (base / "ledger.jsonl").read_text(encoding="utf-8").count("\n")
    # A run "as of" a past time (the real --now): it judges, it records nothing.
    assert real_main(["collect", "--course", str(base / "course.yaml"), "--out", str(base / "past"), "--jobs", "2",
                      "--no-similarity", "--now", BEFORE_TP1, "--trust-commit-dates"]) == 0
    steps["ledger after the past run"] = (base / "ledger.jsonl").read_text(encoding="utf-8").count("\n") - ledger_lines
    # s1, regraded alone with a delay no call can meet, then the class at the usual delay.
    # 1 µs per call: no reply can come back in time (at 1 ms a quick call sometimes did, on a calm machine)
    assert collect(base, "--now", LATER, "--student", "s1", "--regrade", "--timeout", "0.000001") == 0
    steps["s1 at 0.001 s"] = marks(base)
    assert collect(base, "--now", LATER, "--timeout", "20") == 0
    steps["class again"] = marks(base)
    # TP2: s1 writes it before its deadline (seen by a snapshot), then TP2's collect.
    shutil.copytree(project.solutions / "tp2", repos / "s1" / "tp2", ignore=shutil.ignore_patterns("__pycache__"))
    commit(git.Repo(repos / "s1"), BEFORE_TP2, "tp2")
    git.Repo(repos / "s1").create_tag("tp2")
    assert collect(base, "--snapshot", "--now", BEFORE_TP2) == 0
    assert collect(base, "--now", AFTER_TP2, "--timeout", "60") == 0
    steps["after tp2"] = marks(base)
    return base, steps


def test_every_mark_of_the_semester_is_the_one_worked_out_by_hand(semester):
    base, steps = semester
    # TP1: s1, s3 full marks; the pair and s2 have the mse bug (19). TP2 not submitted yet: 0. Final: mean.
    assert steps["after tp1"] == {"s1": {"TP1": "20", "TP2": "0", "Note finale": "10"},
                                  "s2": {"TP1": "19", "TP2": "0", "Note finale": "9.5"},
                                  "p1": {"TP1": "19", "TP2": "0", "Note finale": "9.5"},
                                  "p2": {"TP1": "19", "TP2": "0", "Note finale": "9.5"},
                                  "s3": {"TP1": "20", "TP2": "0", "Note finale": "10"}}
    # s2 left (set aside, not in the gradebook). p1 keeps the pair's repository, and with it the
    # pair's evidence: 19 on time. p2's new repository was first seen on 20/02 at 10:00, 4 days
    # 10 h after the deadline: evidence follows a repository, never a commit copied elsewhere, so
    # 5 started days, −10 (the cap): 9.
    assert steps["after the changes"] == {**{sid: steps["after tp1"][sid] for sid in ("s1", "p1", "s3")},
                                          "p2": {"TP1": "9", "TP2": "0", "Note finale": "4.5"}}
    assert steps["ledger after the past run"] == 0
    # At 1 µs per call s1 fails everything; the class run at the usual delay finds its own result again.
    assert steps["s1 at 0.001 s"]["s1"]["TP1"] == "0" and steps["s1 at 0.001 s"]["s3"] == steps["after tp1"]["s3"]
    assert steps["class again"]["s1"] == steps["after tp1"]["s1"]
    # s3's moved tag: the commit before the deadline (20) beats the new one (19).
    assert steps["class again"]["s3"]["TP1"] == "20"
    assert steps["after tp2"] == {"s1": {"TP1": "20", "TP2": "20", "Note finale": "20"},
                                  "p1": {"TP1": "19", "TP2": "0", "Note finale": "9.5"},
                                  "p2": {"TP1": "9", "TP2": "0", "Note finale": "4.5"},
                                  "s3": {"TP1": "20", "TP2": "0", "Note finale": "10"}}


def test_a_student_who_left_is_set_aside_and_said_once(semester, capsys):
    base, _ = semester
    assert real_main(["report", "--course", str(base / "course.yaml"), "--out", str(base / "out")]) == 0
    printed = capsys.readouterr().out
    assert printed.count("set aside") == 1 and "s2" in printed and "g1" in printed
    assert (base / "out" / "submissions" / "s2.json").is_file()  # kept, not deleted


def test_history_of_two_students(semester, capsys):
    base, _ = semester
    assert real_main(["history", "s3", "--course", str(base / "course.yaml"), "--out", str(base / "out")]) == 0
    s3 = capsys.readouterr().out
    assert s3.startswith("# Historique de Nom s3 (s3)") and "étiquette tp1" in s3 and "déplacée" in s3
    assert s3.count("corrigé le") >= 2 and "20 / 20" in s3 and "19 / 20" in s3 and "← retenue" in s3
    assert real_main(["history", "p2", "--course", str(base / "course.yaml"), "--out", str(base / "out")]) == 0
    p2 = capsys.readouterr().out
    tp1 = p2.split("## TP2")[0]
    # p2's own repository, seen from 20/02: late, the cap taken off
    assert "## TP1 : 9 / 20" in tp1 and "- 20/02/2026" in tp1 and "- 13/02/2026" not in tp1
    assert "vu pour la première fois le 20/02/2026" in tp1 and "pénalité : −10 point(s)" in tp1
    assert "## TP2 : 0 / 20" in p2
    assert real_main(["history", "nobody", "--course", str(base / "course.yaml"), "--out", str(base / "out")]) == 2
    # The same, for every student, beside the feedback files: the instructor's view of each
    assert (base / "out" / "history" / "s3.md").read_text(encoding="utf-8") == s3


# ---------------------------------------------------------------- one test per numbered problem

def small(base: Path, project, formula: str = "tp1", penalty: str = "") -> Path:
    repo_with_tp1(base / "repos" / "a", project, BEFORE_TP1)
    write_roster(base, [("a", "a", "")])
    (base / "course.yaml").write_text(f'course: "Classe"\nroster: roster.csv\ntps:\n  tp1: {{deadline: "{TP1_DEADLINE}"}}\n'
                                      f'formula: "{formula}"\nmarks:\n  exam: {{file: exam.csv}}\n{penalty}', encoding="utf-8")
    (base / "exam.csv").write_text("id,mark\na,0\n", encoding="utf-8")
    return base / "course.yaml"


@pytest.mark.parametrize("formula, says", [("exam/0 + tp1", "division by zero"), ("tp1/(exam - exam)", "exam - exam"),
                                           ("0,5*exam + 0,5*tp1", "decimal comma")])
def test_4_a_formula_that_cannot_be_computed_stops_before_anything_is_fetched(tmp_path, project, capsys, formula, says):
    # grader collect with formula: "exam/0 + tp1" graded the class, then stopped with no file, line nor gradebook
    course = small(tmp_path, project, formula)
    assert real_main(["collect", "--course", str(course), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"course\.yaml:5 \[formula\]", err) and says in err, err
    assert not (tmp_path / "out" / "repos").exists()


def test_4_a_division_by_one_student_s_zero_names_them_and_the_others_are_written(tmp_path, project, capsys):
    course = small(tmp_path, project, "tp1/exam")
    repo_with_tp1(tmp_path / "repos" / "b", project, BEFORE_TP1)
    write_roster(tmp_path, [("a", "a", ""), ("b", "b", "")])
    (tmp_path / "exam.csv").write_text("id,mark\na,0\nb,10\n", encoding="utf-8")
    assert main(["collect", "--course", str(course), "--out", str(tmp_path / "out"), "--now", AFTER_TP1,
                 "--no-similarity", "--trust-commit-dates"]) == 0
    assert "a: final mark not computed" in capsys.readouterr().err
    rows = (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    assert rows[1].endswith(",") and rows[2].endswith(",2")  # a's final is an empty cell; b's is 20 / 10
    checks = (tmp_path / "out" / "a-verifier.csv").read_text(encoding="utf-8")
    assert "note finale non calculée" in checks and "division par zéro" in checks and "0" in checks


def test_1_a_roster_that_changed_needs_no_hand_edit_of_out(tmp_path, project):
    # collect, remove a student from the roster, collect and report again: exit 2 "who owns no repository"
    course = small(tmp_path, project)
    repo_with_tp1(tmp_path / "repos" / "b", project, BEFORE_TP1)
    write_roster(tmp_path, [("a", "a", ""), ("b", "b", "")])
    args = ["collect", "--course", str(course), "--out", str(tmp_path / "out"), "--no-similarity"]
    assert main([*args, "--now", AFTER_TP1, "--trust-commit-dates"]) == 0
    write_roster(tmp_path, [("a", "a", "")])
    assert main([*args, "--now", AFTER_TP1, "--trust-commit-dates"]) == 0
    assert real_main(["report", "--course", str(course), "--out", str(tmp_path / "out")]) == 0


def test_2_a_past_time_run_cannot_change_a_later_mark(tmp_path, project):
    # grader collect --now <past time> recorded today's refs as seen then: a late student went from 16 to 20
    course = small(tmp_path, project, penalty="late_penalty: {per_day: 2, max: 10, cutoff_days: 7}\n")
    repo_with_tp1(tmp_path / "repos" / "b", project, BEFORE_TP1, mark="b")
    shutil.rmtree(tmp_path / "repos" / "a")  # a pushes two days late: not there at the snapshot
    write_roster(tmp_path, [("a", "a", ""), ("b", "b", "")])
    args = ["collect", "--course", str(course), "--out", str(tmp_path / "out"), "--no-similarity"]
    assert main([*args, "--snapshot", "--now", BEFORE_TP1]) == 0
    repo_with_tp1(tmp_path / "repos" / "a", project, AFTER_TP1)
    assert main([*args, "--now", "2026-02-18T10:00:00+01:00"]) == 0
    before = (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8")
    assert before.splitlines()[1].split(",")[3] == "14"  # 2 days 10 h late: 3 started days, −6
    lines = (tmp_path / "ledger.jsonl").read_text(encoding="utf-8")
    assert real_main([*args[:3], "--out", str(tmp_path / "past"), "--no-similarity", "--now", BEFORE_TP1]) == 0
    assert (tmp_path / "ledger.jsonl").read_text(encoding="utf-8") == lines  # nothing recorded as seen then
    assert main([*args, "--now", "2026-02-19T10:00:00+01:00"]) == 0
    assert (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8") == before


def test_3_a_mark_made_with_other_settings_is_not_reused(tmp_path, project):
    # after --timeout 0.05, a re-run at the normal timeout regraded nothing: the student kept 19
    course = small(tmp_path, project)
    args = ["collect", "--course", str(course), "--out", str(tmp_path / "out"), "--no-similarity", "--now", AFTER_TP1,
            "--trust-commit-dates"]
    assert main([*args, "--timeout", "0.001"]) == 0
    assert "délai dépassé" in (tmp_path / "out" / "a-verifier.csv").read_text(encoding="utf-8")
    assert main(args) == 0
    assert (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[3] == "20"


def test_5_ctrl_c_stops_a_collect_within_two_seconds_and_the_run_resumes(tmp_path, project):
    # Ctrl-C during a collect took 20–24 s and ended in a Python traceback
    base = tmp_path
    slow = {("losses.py", "mse"): "import time\ntime.sleep(0.3)\nreturn float(np.mean((y_pred - y) ** 2))"}
    for index in range(6):  # each grading lasts a few seconds: the Ctrl-C falls in the middle of the run
        repo_with_tp1(base / "repos" / f"e{index}", project, BEFORE_TP1, slow, mark=f"e{index}")
    write_roster(base, [(f"e{index}", f"e{index}", "") for index in range(6)])
    (base / "course.yaml").write_text(f'course: "Classe"\nroster: roster.csv\ntps:\n  tp1: {{deadline: "{TP1_DEADLINE}"}}\n'
                                      'formula: "tp1"\n', encoding="utf-8")
    command = [str(Path(sys.executable).parent / "grader"), "collect", "--course", str(base / "course.yaml"),
               "--out", str(base / "out"), "--jobs", "2", "--no-similarity", "--trust-commit-dates"]
    env = {**os.environ, "DLGRADE_CLOCK": AFTER_TP1}
    victim = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((base / "out" / "results").glob("*/*.json")):
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends to the whole foreground group
    pressed = time.monotonic()
    out, err = victim.communicate(timeout=30)
    assert time.monotonic() - pressed < 2.5, "Ctrl-C took too long"
    assert victim.returncode == 130 and "Traceback" not in err and "interrupted" in err, err[-2000:]
    assert subprocess.run(command, env=env, capture_output=True).returncode == 0  # resumes
    assert set(marks_of(base).values()) == {"20"} and len(marks_of(base)) == 6


def marks_of(base: Path) -> dict[str, str]:
    with open(base / "out" / "gradebook.csv", encoding="utf-8") as handle:
        return {row["Numéro d'identification"]: row["TP1"] for row in csv.DictReader(handle)}


def test_5_feedback_files_keep_their_line_breaks(semester):
    base, _ = semester
    for path in (base / "out" / "feedback").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        glued = re.findall(r"[^\n]- (?:Vu pour|Date limite|Retard|Rendu|Note des tests|Ajustement|À signaler|Aucun commit)",
                           text)
        assert not glued, (path.name, glued)
        assert re.search(r"(?m)^- Commit évalué : `[0-9a-f]{40}`$", text) or "Aucun commit évalué" in text


def test_5_an_override_is_said_wherever_the_mark_appears(tmp_path, project):
    course = small(tmp_path, project)
    (tmp_path / "course.yaml").write_text(course.read_text(encoding="utf-8") + "overrides: overrides.yaml\n", encoding="utf-8")
    (tmp_path / "overrides.yaml").write_text('- {student: a, mark: tp1, value: 15, reason: "plagiat partiel"}\n'
                                             '- {student: a, mark: final, value: 12, reason: "jury"}\n', encoding="utf-8")
    assert main(["collect", "--course", str(course), "--out", str(tmp_path / "out"), "--no-similarity", "--now",
                 AFTER_TP1, "--trust-commit-dates"]) == 0
    feedback = (tmp_path / "out" / "feedback" / "a.md").read_text(encoding="utf-8")
    assert "plagiat partiel" in feedback and "jury" in feedback and "aucun rendu évaluable (note 0)" not in feedback
    page = (tmp_path / "out" / "gradebook.html").read_text(encoding="utf-8")
    assert re.search(r'class="[^"]*final[^"]*override[^"]*"[^>]*title="ajustement manuel : jury', page)


def test_7_a_branch_other_than_the_default_is_said(tmp_path, project):
    # a student who pushed only to master while the default branch is main got 0 without a word
    course = small(tmp_path, project)
    shutil.rmtree(tmp_path / "repos" / "a")
    repo = git.Repo.init(tmp_path / "repos" / "a", initial_branch="main")
    (tmp_path / "repos" / "a" / "README.md").write_text("starter\n")
    commit(repo, BEFORE_TP1)
    repo.git.checkout("-b", "master")
    shutil.copytree(project.solutions / "tp1", tmp_path / "repos" / "a" / "tp1", ignore=shutil.ignore_patterns("__pycache__"))
    commit(repo, BEFORE_TP1, "tp1 sur master")
    repo.git.checkout("main")
    assert main(["collect", "--course", str(course), "--out", str(tmp_path / "out"), "--no-similarity", "--now",
                 AFTER_TP1, "--trust-commit-dates"]) == 0
    feedback = (tmp_path / "out" / "feedback" / "a.md").read_text(encoding="utf-8")
    assert "la branche master contient des commits absents de main" in feedback


def test_7_what_to_check_has_no_repeated_prefix_and_a_missing_exam_is_a_missing_mark(semester, tmp_path, project):
    base, _ = semester
    checks = (base / "out" / "a-verifier.csv").read_text(encoding="utf-8")
    assert "TP1 : tp1 :" not in checks and ",TP1,étiquette déplacée," in checks and ",TP1,TP1 :" not in checks
    course = small(tmp_path, project, "0.5*exam + 0.5*tp1")
    (tmp_path / "exam.csv").write_text("id,mark\n", encoding="utf-8")
    assert main(["collect", "--course", str(course), "--out", str(tmp_path / "out"), "--no-similarity", "--now",
                 AFTER_TP1, "--trust-commit-dates"]) == 0
    assert ",note manquante,exam : note manquante." in (tmp_path / "out" / "a-verifier.csv").read_text(encoding="utf-8")


def test_5_the_fetch_shows_progress_on_a_terminal(tmp_path, project):
    # the fetch phase showed no progress: the bar appeared only while grading
    import pty

    course = small(tmp_path, project)
    import fcntl
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal 100 columns wide
    env = {**os.environ, "DLGRADE_CLOCK": BEFORE_TP1}
    done = subprocess.run([str(Path(sys.executable).parent / "grader"), "collect", "--course", str(course), "--out",
                           str(tmp_path / "out"), "--snapshot"], env=env, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert done.returncode == 0 and "récupération" in shown.decode("utf-8", "replace")


def test_7_a_full_disk_is_the_machine_s_problem_not_the_roster_s(tmp_path):
    from grader.classrun.collect import CollectOptions, check_reachable
    from grader.base.errors import GraderError
    from grader.grading.repos import DISK_FULL, Fetched, classify

    assert classify("error: unable to write file objects/pack: No space left on device") == DISK_FULL
    fetched = [(Fetched("a", None, f"dépôt inaccessible : {DISK_FULL}", "disk"), {}),
               (Fetched("b", tmp_path, None), {}), (Fetched("c", tmp_path, None), {})]
    with pytest.raises(GraderError, match="no space left on this machine's disk while fetching a"):
        check_reachable(fetched, CollectOptions(out=tmp_path, ledger=tmp_path / "l"))


def test_7_the_unreachable_message_names_the_roster_s_token_column(tmp_path, project, capsys):
    course = small(tmp_path, project)
    write_roster(tmp_path, [("a", "nowhere", ""), ("b", "nowhere-either", ""), ("c", "a", "")])
    assert real_main(["collect", "--course", str(course), "--out", str(tmp_path / "out"), "--snapshot"]) == 2
    err = capsys.readouterr().err
    assert "the roster's token_env column" in err and "course.yaml" not in err.split("could not be fetched")[1]
