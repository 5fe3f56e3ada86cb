"""Tests of grader/integrity/flags.py and grader/integrity/codescan.py: static scans on real commits, the
last-minute paste on real git histories, the held-out flag on real gradings of TP2's rubric, and a
small class collected end to end: flags reach integrity.csv, the page and the console, and never a
feedback file, Moodle's CSV or a mark."""
from __future__ import annotations

import csv
import gc
import io
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import git
import numpy as np
import pytest

from grader.integrity import codescan, flags, similarity
from grader.cli import main as real_main  # noqa: F401 - the real --now

from .conftest import simulated_main as main  # --now: the simulated clock
from grader.integrity.codescan import data_access, embedded_data, literals, scan_commit
from grader.course.gradebook import Submission
from grader.integrity.flags import held_out_flags, last_minute, starter_lines
from grader.grading.marks import TestResult, grade
from grader.grading.repos import CommitFile, commit_files

from .test_collect import commit as commit_at


def commit(repo: git.Repo, date: str, message: str = "travail") -> str:
    """test_collect's commit, given the time in UTC (gitpython shifts dates given with another offset)."""
    return commit_at(repo, datetime.fromisoformat(date).astimezone(timezone.utc).isoformat(), message)

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = "2026-02-15T23:59:00+01:00"
DUE = datetime.fromisoformat(DEADLINE).astimezone(timezone.utc)


@pytest.mark.parametrize("line, detail", [
    ("from sklearn.datasets import load_breast_cancer", "importe sklearn.datasets"),
    ("from sklearn import datasets", "importe sklearn.datasets"),
    ("import mlxtend.data as d", "importe mlxtend.data"),
    ("from torchvision.datasets import MNIST", "importe torchvision.datasets"),
    ("import requests", "importe requests (accès réseau)"),
    ("from urllib.request import urlopen", "importe urllib.request (accès réseau)"),
    ("import socket", "importe socket (accès réseau)"),
    ("X = np.load('x.npy')", "appelle np.load()"),
    ("X = np.loadtxt(chemin)", "appelle np.loadtxt()"),
    ("X = pd.read_csv('digits.csv')", "appelle pd.read_csv()"),
    ("texte = open(nom).read()", "appelle open()"),
    ("donnees = Path(nom).read_bytes()", "appelle .read_bytes()"),
    ("ICI = os.path.dirname(__file__)", "chemin relatif à __file__"),
    ("CHEMIN = '/home/eleve/mnist.npz'", "chemin absolu '/home/eleve/mnist.npz'"),
    ("CHEMIN = 'C:\\\\Users\\\\eleve\\\\x.csv'", "chemin absolu"),
])
def test_each_data_access_is_found_with_its_line(line, detail):
    source = f'"""Module."""\nimport numpy as np\n\n\ndef f(x):\n    {line}\n    return x\n'
    found = data_access("tp1/mlp.py", source.encode())
    assert [(f.kind, f.where) for f in found] == [("data-access", "tp1/mlp.py:6")]
    assert found[0].detail.startswith(detail)


def test_the_course_code_is_never_flagged():
    """Solutions, alternatives, every classmate variant and the stubs: no data access, no embedded data."""
    paths = [p for root in ("solutions", "assignments", "tests/alternatives", "tests/classmates/v3", "tests/classmates/v4")
             for p in sorted((ROOT / root).glob("tp*/*.py"))]
    assert len(paths) > 40
    for path in paths:
        assert data_access(str(path), path.read_bytes()) == [] and literals(str(path), path.read_bytes()) == [], path
    assert data_access("tp1/x.py", b"def f(:\n") == []  # a syntax error is the grading's business
    assert data_access("tp1/x.py", b"x = 1" + b" + 1" * 300_000) == []  # too deep for ast: no crash of collect


def test_scans_in_threads_all_succeed():
    """collect scans commits in threads. CPython 3.11's AST constructor keeps its recursion depth
    in shared state: a garbage collection during a parse may run a finaliser that lets another
    thread parse, and one of them fails ("SystemError: AST constructor recursion depth mismatch")."""
    class Finalised:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the garbage collector frees it

        def __del__(self) -> None:
            time.sleep(0)  # lets another thread run, as gitpython's finalisers do

    nested = "def f(x):\n" + "".join(f"{'    ' * (depth + 1)}if x > {depth}:\n" for depth in range(30))
    source = ('"""Module."""\nimport numpy as np\n\n\n' + nested + "    " * 31 + "np.load('x.npy')\n").encode()

    def scan(_: int) -> list:
        for _ in range(20):
            Finalised()
        return [(f.kind, f.where) for f in data_access("tp1/mlp.py", source)]

    threshold = gc.get_threshold()
    gc.set_threshold(50)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            found = list(pool.map(scan, range(400)))
    finally:
        gc.set_threshold(*threshold)
    assert found == [[("data-access", "tp1/mlp.py:36")]] * 400


def test_embedded_data_files_and_literals():
    numbers = "POIDS = [" + ", ".join(f"{v:.3f}" for v in np.linspace(-1, 1, 1200)) + "]\n"
    assert [(f.where, f.detail) for f in literals("tp1/poids.py", ("import numpy as np\n" + numbers).encode())] == \
        [("tp1/poids.py:2", "1200 nombres écrits dans le code")]
    assert literals("tp1/ok.py", b"TAILLES = [576, 288, 144, 1]\n") == []
    assert "chaîne de 30000" in literals("tp1/b64.py", f"DATA = '{'A' * 30000}'\n".encode())[0].detail
    big = [CommitFile("data/mnist.npz", 200 << 10, None), CommitFile("notes.txt", 3 << 20, None),
           CommitFile("petit.csv", 2 << 10, None), CommitFile("tp1/enorme.py", 5 << 20, None)]
    assert [f.where for f in big for f in embedded_data(f)] == ["data/mnist.npz", "notes.txt", "tp1/enorme.py"]
    assert embedded_data(big[0])[0].detail == "fichier de données de 200 ko dans le dépôt"


def history(tmp_path: Path, steps: list[tuple[str, dict[str, str]]]) -> tuple[Path, str]:
    """A repo with a starter commit, then one commit per (date, files); returns (repo, last sha)."""
    repo_dir = tmp_path / "depot"
    shutil.copytree(ROOT / "assignments" / "tp1", repo_dir / "tp1")
    repo = git.Repo.init(repo_dir, initial_branch="main")
    sha = commit(repo, "2026-02-01T10:00:00+01:00", "départ")
    for date, files in steps:
        for name, text in files.items():
            (repo_dir / "tp1" / name).write_text(text, encoding="utf-8")
        sha = commit(repo, date)
    return repo_dir / ".git", sha


def solution(*names: str) -> dict[str, str]:
    return {n: (ROOT / "solutions" / "tp1" / n).read_text(encoding="utf-8") for n in names}


EVERYTHING = ("activations.py", "losses.py", "perceptron.py", "descent.py", "mlp.py")


def test_one_big_commit_minutes_before_the_deadline_is_flagged(tmp_path, project):
    mirror, sha = history(tmp_path, [("2026-02-15T23:47:00+01:00", solution(*EVERYTHING))])
    found = last_minute(mirror, sha, "tp1", starter_lines(project, "tp1"), DUE, timedelta(minutes=30))
    assert found is not None and found[0] == sha[:10]
    assert "100 %" in found[1] and "12 min avant la date limite" in found[1]
    assert last_minute(mirror, sha, "tp1", starter_lines(project, "tp1"), DUE, timedelta(minutes=5)) is None


def test_work_spread_over_days_or_done_early_is_not_flagged(tmp_path, project):
    starter = starter_lines(project, "tp1")
    mirror, sha = history(tmp_path / "a", [("2026-02-10T18:00:00+01:00", solution("activations.py", "losses.py")),
                                           ("2026-02-12T18:00:00+01:00", solution("perceptron.py", "descent.py")),
                                           ("2026-02-15T23:50:00+01:00", solution("mlp.py"))])
    assert last_minute(mirror, sha, "tp1", starter, DUE, timedelta(minutes=30)) is None  # the last commit: < 80 %
    mirror, sha = history(tmp_path / "b", [("2026-02-15T20:00:00+01:00", solution(*EVERYTHING))])
    assert last_minute(mirror, sha, "tp1", starter, DUE, timedelta(minutes=30)) is None  # 4 h before
    mirror, sha = history(tmp_path / "c", [("2026-02-15T23:50:00+01:00", solution("descent.py"))])
    assert last_minute(mirror, sha, "tp1", starter, DUE, timedelta(minutes=30)) is None  # too little to judge


RUBRIC_TP2 = None


def tp2_grading(project, owner: str, held: float, others: float):
    """A real Grading of TP2's rubric: the given share of held-out points and of the others."""
    rubric = project.tp("tp2").rubric
    tests = [TestResult(test, points * (held if test in rubric.held_out else others), points, "passed", "", 0.1)
             for test, points in rubric.points.items()]
    return Submission(owner, "tp2", "a" * 40, None, grade("tp2", owner, "a" * 40, rubric, tests, []))


def test_held_out_flag_compares_with_the_class(project):
    assert project.tp("tp2").rubric.held_out
    normal = [tp2_grading(project, f"e{i:02d}", 1.0, share) for i, share in enumerate([1.0, 0.9, 0.8, 0.95, 0.7, 1.0])]
    weak = tp2_grading(project, "faible", 0.0, 0.2)  # fails everything: nothing to flag
    odd = tp2_grading(project, "suspect", 1.0, 0.2)
    partly = tp2_grading(project, "moyen", 1.0, 0.6)  # more than half the unit points: not flagged
    flags = held_out_flags(project, normal + [weak, odd, partly])
    assert [(f.owner, f.kind) for f in flags] == [("suspect", "held-out")]
    assert "100 % des points sur données cachées, 20 % des autres points" in flags[0].detail
    # A class where every held-out test passes and unit tests fail is the grader's problem: no flag.
    everyone = [tp2_grading(project, f"e{i:02d}", 1.0, 0.2) for i in range(6)]
    assert held_out_flags(project, everyone) == []


def loader_repo(root: Path) -> dict[str, str]:
    mlp = (ROOT / "solutions" / "tp1" / "mlp.py").read_text(encoding="utf-8")
    cheat = ("\n\ndef _triche():\n    from sklearn.datasets import load_breast_cancer\n"
             "    return load_breast_cancer(), np.load('/home/eleve/cancer.npy')\n")
    return {"tp1/mlp.py": mlp + cheat}


@pytest.fixture(scope="module")
def flagged_class(tmp_path_factory, project):
    """Five repos of TP1, collected: two honest, one loading a dataset, one carrying data, one pasting
    everything 10 minutes before the deadline. Returns (folder, console output)."""
    base = tmp_path_factory.mktemp("integrite")
    rows = ["id,name,email,repo,group"]
    plans = {"honnete1": ("2026-02-10T10:00:00+01:00", {}), "honnete2": ("2026-02-11T11:00:00+01:00", {}),
             "chargeur": ("2026-02-12T10:00:00+01:00", loader_repo(base)),
             "donnees": ("2026-02-12T12:00:00+01:00",
                         {"tp1/poids.py": "W = [" + ", ".join(str(i % 7) for i in range(1500)) + "]\n"}),
             "colleur": ("2026-02-15T23:49:00+01:00", {})}
    for owner, (date, files) in plans.items():
        repo_dir = base / "depots" / owner
        shutil.copytree(ROOT / "assignments" / "tp1", repo_dir / "tp1")
        repo = git.Repo.init(repo_dir, initial_branch="main")
        commit(repo, "2026-02-01T10:00:00+01:00", "départ")
        shutil.rmtree(repo_dir / "tp1")
        shutil.copytree(ROOT / "solutions" / "tp1", repo_dir / "tp1", ignore=shutil.ignore_patterns("__pycache__"))
        for name, text in files.items():
            (repo_dir / name).write_text(text, encoding="utf-8")
        if owner == "donnees":
            (repo_dir / "data").mkdir()
            (repo_dir / "data" / "mnist.npy").write_bytes(np.random.default_rng(0).random(20_000).tobytes())
        commit(repo, date)
        repo.create_tag("tp1")
        rows.append(f"{owner},Nom {owner},{owner}@etu.example.fr,depots/{owner},")
    (base / "roster.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (base / "course.yaml").write_text(f'course: "Classe de test"\nroster: roster.csv\ntps:\n  tp1: {{deadline: "{DEADLINE}"}}\n'
                                      'formula: "tp1"\n', encoding="utf-8")
    import contextlib

    console = io.StringIO()
    with contextlib.redirect_stdout(console):  # a snapshot at the deadline, as a scheduled job would take
        assert main(["collect", "--course", str(base / "course.yaml"), "--out", str(base / "out"), "--snapshot",
                     "--now", "2026-02-15T23:58:00+01:00"]) == 0
        code = main(["collect", "--course", str(base / "course.yaml"), "--out", str(base / "out"), "--jobs", "2",
                     "--timeout", "10", "--now", "2026-02-16T09:00:00+01:00"])
    assert code == 0
    return base, console.getvalue()


def flags_csv(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "integrity.csv").read_text(encoding="utf-8"))))


def test_flags_reach_integrity_csv_the_page_and_the_console(flagged_class):
    base, console = flagged_class
    rows = flags_csv(base / "out")
    found = {(r["owner"], r["kind"], r["where"]) for r in rows}
    cheat = len((ROOT / "solutions" / "tp1" / "mlp.py").read_text(encoding="utf-8").splitlines()) + 3  # def _triche
    assert {w for o, k, w in found if o == "chargeur"} == {f"tp1/mlp.py:{cheat + 1}", f"tp1/mlp.py:{cheat + 2}"}
    assert ("donnees", "embedded-data", "data/mnist.npy") in found and ("donnees", "embedded-data", "tp1/poids.py:1") in found
    assert {(r["owner"], r["kind"]) for r in rows if r["kind"] == "last-minute"} == {("colleur", "last-minute")}
    assert not [r for r in rows if r["owner"].startswith("honnete")]
    assert "integrity: 6 flag(s) for 3 repositories (integrity.csv)" in console
    assert "similarity tp1: 10 pairs" in console
    html = (base / "out" / "gradebook.html").read_text(encoding="utf-8")
    assert "Intégrité (6)" in html and "tout ajouté juste avant la date limite" in html and "importe sklearn.datasets" in html


def test_flags_never_reach_a_student_nor_a_mark(flagged_class):
    base, _ = flagged_class
    out = base / "out"
    book = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8"))))
    assert list(book[0]) == ["Numéro d'identification", "Adresse de courriel", "Nom", "TP1", "Note finale"]
    assert {row["TP1"] for row in book} == {"20"}  # flagged or not, every mark is the hidden tests' 20
    for path in (out / "feedback").glob("*.md"):
        text = path.read_text(encoding="utf-8").lower()
        assert not any(word in text for word in ("intégrité", "similarité", "sklearn", "données embarquées",
                                                 "date limite (date du commit", "mnist.npy"))


def test_report_rerenders_flags_without_the_repositories(flagged_class, tmp_path, project):
    base, _ = flagged_class
    copy = tmp_path / "out"
    shutil.copytree(base / "out", copy, ignore=shutil.ignore_patterns("repos", "gradebook.html", "integrity.csv"))
    assert main(["report", "--course", str(base / "course.yaml"), "--out", str(copy)]) == 0
    for name in ("integrity.csv", "gradebook.html"):
        assert (copy / name).read_text(encoding="utf-8") == (base / "out" / name).read_text(encoding="utf-8")


def test_no_similarity_option_and_a_failing_similarity_step(flagged_class, tmp_path, monkeypatch, capsys):
    base, _ = flagged_class
    common = ["collect", "--course", str(base / "course.yaml"), "--jobs", "2", "--now", "2026-02-16T09:00:00+01:00"]
    shutil.copytree(base / "out", tmp_path / "skip", ignore=shutil.ignore_patterns("similarity-*"))
    assert main([*common, "--out", str(tmp_path / "skip"), "--no-similarity"]) == 0
    assert not list((tmp_path / "skip").glob("similarity-*")) and (tmp_path / "skip" / "gradebook.html").is_file()

    def broken(*args, **kwargs):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(similarity, "run", broken)
    shutil.copytree(base / "out", tmp_path / "broken", ignore=shutil.ignore_patterns("similarity-*", "gradebook.*"))
    capsys.readouterr()
    assert main([*common, "--out", str(tmp_path / "broken")]) == 0
    assert "similarity tp1: failed (RuntimeError: panne simulée)" in capsys.readouterr().out
    assert (tmp_path / "broken" / "gradebook.csv").is_file() and (tmp_path / "broken" / "integrity.csv").is_file()


def test_commit_files_reads_without_a_checkout(flagged_class):
    base, _ = flagged_class
    mirror = base / "out" / "repos" / "donnees.git"
    sha = git.Repo(mirror).tags["tp1"].commit.hexsha
    files = {f.path: f for f in commit_files(mirror, sha, max_read=1 << 16)}
    assert files["tp1/mlp.py"].data.startswith(b'"""') and files["data/mnist.npy"].data is None
    assert files["data/mnist.npy"].size == 160_000
    assert {f.kind for f in scan_commit(list(files.values()), "tp1")} == {"embedded-data"}
    # `skip`: listed, with the id of their content, but not read.
    skipped = {f.path: f for f in commit_files(mirror, sha, max_read=1 << 16, skip=lambda path, blob: path == "tp1/mlp.py")}
    assert skipped["tp1/mlp.py"].data is None and skipped["tp1/mlp.py"].blob == files["tp1/mlp.py"].blob
    assert skipped["tp1/mlp.py"].blob == git.Repo(mirror).commit(sha).tree["tp1/mlp.py"].hexsha
    assert [f.data for f in skipped.values() if f.path != "tp1/mlp.py"] == [f.data for f in files.values()
                                                                           if f.path != "tp1/mlp.py"]


def test_scans_parse_each_content_once_per_run(monkeypatch):
    """The memo of a run: a content met again (another student, another path) is not parsed,
    and gives the same findings, at its own path; the package's rules still depend on where it is."""
    code = b"import numpy as np\nX = np.load('/home/moi/x.npy')\nP = [" + b", ".join(b"1" for _ in range(1200)) + b"]\n"
    parsed = []
    real_parse = codescan.parse
    monkeypatch.setattr(codescan, "parse", lambda data: parsed.append(data) or real_parse(data))
    memo = codescan.ScanMemo()
    first = scan_commit([CommitFile("tp1/mlp.py", len(code), code, "b1")], "tp1", memo)
    assert [f.kind for f in first] == ["data-access", "data-access", "embedded-data"] and len(parsed) == 1
    again = scan_commit([CommitFile("tp1/autre.py", len(code), None, "b1")], "tp1", memo)  # known: not even read
    assert [(f.kind, f.where, f.detail) for f in again] == [(f.kind, f.where.replace("mlp", "autre"), f.detail)
                                                           for f in first]
    assert len(parsed) == 1 and memo.knows("b1", True) and not memo.knows("b1", False)
    outside = scan_commit([CommitFile("notes/mlp.py", len(code), code, "b1")], "tp1", memo)  # not the package
    assert [f.kind for f in outside] == ["embedded-data"] and len(parsed) == 2
    assert scan_commit([CommitFile("tp1/mlp.py", len(code), code, "b1")], "tp1") == first  # without a memo


def test_a_rerun_reads_the_scans_back_unless_what_they_depend_on_changed(flagged_class, tmp_path, monkeypatch):
    """An unchanged class is not scanned again (its flags come from out/scans/); a change of the
    paste window (or of the deadline, the starter, the commit) scans again."""
    base, _ = flagged_class
    copy = tmp_path / "out"
    shutil.copytree(base / "out", copy)
    common = ["collect", "--course", str(base / "course.yaml"), "--out", str(copy), "--jobs", "2",
              "--now", "2026-02-16T09:00:00+01:00", "--no-similarity"]
    scanned = []
    real = flags.scan_submission
    monkeypatch.setattr(flags, "scan_submission", lambda *args: scanned.append(args[1].id) or real(*args))
    assert main(common) == 0
    assert scanned == [] and flags_csv(copy) == flags_csv(base / "out")
    assert main([*common, "--paste-window", "5"]) == 0
    assert sorted(scanned) == ["chargeur", "colleur", "donnees", "honnete1", "honnete2"]
    assert not {(r["owner"], r["kind"]) for r in flags_csv(copy) if r["kind"] == "last-minute"}  # 11 min before
