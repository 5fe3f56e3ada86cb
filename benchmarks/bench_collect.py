"""Speed of `grader collect` on a synthetic class, on this machine's cores.

    .venv/bin/python benchmarks/bench_collect.py [--students 100] [--jobs 2] [--tp tp1 …] [--without LAYER]
    .venv/bin/python benchmarks/bench_collect.py --students 100 --tp tp1 tp2 tp3 tp4   # the whole module

Builds N real git repos, each the starter repo (assignments/) with the given TPs' packages taken
from solutions/ (every file a little different per student, a few with a bug), then times: a `--snapshot` of the class, the full collect (similarity step included,
as by default; the command's last line gives each step's time, the similarity step's among
them), the
share of the grading's wall time spent outside the hidden tests (fetching, exporting, starting
workers, collecting tests, the ledger, rendering; the similarity step left out: it is no
grading), split in three by the times the results were written (start-up until the first
results, the steady state's share, what follows the last result), and an unchanged re-run
(target < 5 s, everything from the cache).
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import git

ROOT = Path(__file__).resolve().parents[1]
GRADER = str(Path(sys.executable).parent / "grader")
BUGS = {"losses.py": ("np.mean(diff ** 2)", "np.sum(diff ** 2)"), "activations.py": ("1.0 - s", "1.0 + s")}


def make_class(folder: Path, students: int, tps: list[str]) -> None:
    rows = []
    actor = git.Actor("Étudiant", "e@example.org")
    for index in range(students):
        repo_dir = folder / "repos" / f"e{index:03d}"
        # What a student's repository holds: the starter (every TP's stubs, the public tests, the
        # handouts), with the benchmarked TPs written — each file a little different per student.
        shutil.copytree(ROOT / "assignments", repo_dir, ignore=shutil.ignore_patterns("__pycache__"))
        for tp in tps:
            shutil.rmtree(repo_dir / tp)
            shutil.copytree(ROOT / "solutions" / tp, repo_dir / tp, ignore=shutil.ignore_patterns("__pycache__"))
            for path in (repo_dir / tp).rglob("*.py"):
                path.write_text(path.read_text(encoding="utf-8") + f"# rendu de l'étudiant {index}\n", encoding="utf-8")
            (repo_dir / tp / "__init__.py").write_text(f'"""{tp} de l\'étudiant {index}."""\n')
        if "tp1" in tps and index % 5 == 0:  # a fifth of the class has a bug
            name, (old, new) = list(BUGS.items())[index % 2]
            path = repo_dir / "tp1" / name
            path.write_text(path.read_text().replace(old, new))
        repo = git.Repo.init(repo_dir, initial_branch="main")
        repo.git.add(A=True)
        repo.index.commit("TP", author=actor, committer=actor)
        for tp in tps:
            repo.create_tag(tp)
        rows.append((f"e{index:03d}", f"Étudiant {index}", f"e{index}@etu.example.fr", str(repo_dir)))
    with open(folder / "roster.csv", "w", newline="") as out:
        csv.writer(out).writerows([("id", "name", "email", "repo"), *rows])
    (folder / "course.yaml").write_text('course: "bench"\nroster: roster.csv\ntps:\n' + "".join(
        f'  {tp}: {{deadline: "2030-01-01T00:00:00+01:00"}}\n' for tp in tps) + f'formula: "mean({", ".join(tps)})"\n')


def timed(*args: str) -> tuple[float, str]:
    """Wall time of one `grader` command, and what it printed."""
    start = time.perf_counter()
    done = subprocess.run([GRADER, *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout


def step_time(printed: str, step: str) -> float:
    """A step's time from the command's last line ("time: fetch and grading 86.0 s · similarity 14.5 s · …")."""
    found = re.search(rf"^time: .*\b{step} (\d+\.\d+) s", printed, re.M)
    if not found:
        raise SystemExit(f"no {step!r} time in the command's output:\n{printed[-500:]}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tp", nargs="+", default=["tp1"])
    parser.add_argument("--without", action="append", default=[], help="an isolation layer or templates, off")
    args = parser.parse_args()
    without = [arg for layer in args.without for arg in ("--without", layer)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_class(folder, args.students, args.tp)
        common = ["collect", "--course", str(folder / "course.yaml"), "--out", str(folder / "out")]
        snapshot, _ = timed(*common, "--snapshot")
        started = time.time()
        full, printed = timed(*common, "--jobs", str(args.jobs), *without)
        similar = step_time(printed, "similarity")  # in this run, as the command timed it
        # When each result was written (atomically: the file's mtime), to split the run in three.
        results = sorted((path.stat().st_mtime, sum(t["duration_s"] for t in json.loads(path.read_text())["tests"]))
                         for path in (folder / "out" / "results").glob("*/*[0-9].json"))
        rerun, _ = timed(*common, "--jobs", str(args.jobs), *without)
        in_tests = sum(t["duration_s"] for path in (folder / "out" / "results").glob("*/*[0-9].json")
                       for t in json.loads(path.read_text())["tests"])
    outside = 1 - in_tests / ((full - similar) * args.jobs)
    # Steady state: between the first `jobs` results (each pool process's first grading, which
    # waits for the pool's start) and the last one, the share of the pool's time outside the tests.
    window = results[-1][0] - results[args.jobs - 1][0]
    steady = 1 - sum(tests for _, tests in results[args.jobs:]) / (window * args.jobs)
    first, last = results[args.jobs - 1][0] - started, started + full - results[-1][0]
    print(f"| class | {args.students} students × {' '.join(args.tp)}, --jobs {args.jobs} {' '.join(without)} |")
    print(f"| `--snapshot` of the class | {snapshot:.1f} s |")
    print(f"| full collect, similarity step included | {full:.1f} s = {full / 60:.1f} min "
          f"({args.students / full * 60:.0f} students/min) |")
    print(f"| of which the similarity step (timed by the command, last line) | {similar:.1f} s |")
    print(f"| time inside hidden tests (sum over gradings) | {in_tests:.1f} s |")
    print(f"| share of worker-time outside the hidden tests (target ≤ 10 %) | {outside:.1%} | "
          f"{'met' if outside <= 0.10 else 'MISSED'} |")
    print(f"| … start: from the command to the first {args.jobs} results (CLI, fetch, pool and templates, first gradings) "
          f"| {first:.1f} s |")
    print(f"| … steady state: share of the pool's time outside the hidden tests, from there to the last result "
          f"| {steady:.0%} |")
    print(f"| … end: after the last result (submissions, gradebook, feedback files, the similarity step) "
          f"| {last:.1f} s |")
    print(f"| unchanged re-run (target < 5 s) | {rerun:.2f} s | {'met' if rerun < 5 else 'MISSED'} |")


if __name__ == "__main__":
    main()
