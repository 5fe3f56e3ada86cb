"""The contained replay of trained models: what it costs, and the grader's memory, in one run (A/B).

    .venv/bin/python benchmarks/bench_replay.py --before REV [--repeat 3] [--students 100] [--jobs 2]

REV is a revision whose grader ran the replay in its own process (before issue 22), checked out
in a git worktree and run with the same environment (its `grader` first on PYTHONPATH).

1. `grader test tp3 solutions/`: wall time, median of `--repeat`, this tree and REV interleaved.
2. Peak memory (VmHWM) of the grader's own process during one TP3 grading (a fresh process per
   grading; the worker, the replay process and the templates are other processes), for the
   solutions and for submissions built to weigh on the trusted side: the largest model whose
   reply still crosses (a 16.5-million-weight dense layer, sent three times), and the hostile
   replay cases of tests/hostile/. Target: under 1.5 GiB whatever the submission.
3. With `--students N`: `grader collect` of N students × TP3 (the starter with TP3 written,
   bench_collect.py's class), this tree and REV, each from an empty output folder, `--jobs`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_collect import make_class  # noqa: E402

HEAVY = '''

class DigitCNN(DigitCNN):
    """The solution's CNN beside a dense layer of 16.5 million weights that forward reads (times 0)."""

    def __init__(self):
        super().__init__()
        self.ballast = nn.Linear(784, 21_000)

    def forward(self, x):
        return self.layers(x) + self.ballast(x.flatten(1))[:, :10] * 0.0
'''
PEAK = ("import sys; from pathlib import Path; from grader.grading.config import Project; "
        "from grader.grading.runner import RunOptions, grade_checkout; project = Project.at(Path(sys.argv[1])); "
        "grading, _ = grade_checkout(project, project.tp('tp3'), Path(sys.argv[2]), options=RunOptions(only=tuple(sys.argv[3:]))); "
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
        "print(grading.score, grading.max_score, int(hwm) // 1024)")
HELD_OUT = ("test_models.py::test_digit_cnn_is_convolutional", "test_models.py::test_train_digits_accuracy_on_held_out_digits")


def environment(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}


def grader_test(tree: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import grader.cli as cli; cli.run()", "test", "tp3", "solutions"],
                   cwd=tree, env=environment(tree), check=True, capture_output=True)
    return time.perf_counter() - start


def peak(tree: Path, submission: Path, only: tuple[str, ...] = ()) -> tuple[str, int]:
    done = subprocess.run([sys.executable, "-c", PEAK, str(tree), str(submission), *only], cwd=tree,
                          env=environment(tree), check=True, capture_output=True, text=True)
    score, max_score, megabytes = done.stdout.split()[-3:]
    return f"{float(score):g}/{float(max_score):g}", int(megabytes)


def submissions(folder: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """Name -> (a TP3 repo, the hidden tests to grade: all, or the two that replay the DigitCNN)."""
    found = {"solutions": (ROOT / "solutions", ())}
    heavy = folder / "heavy"
    shutil.copytree(ROOT / "solutions", heavy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(heavy / "tp3" / "models.py", "a", encoding="utf-8") as handle:
        handle.write(HEAVY)
    found["16.5 M weights, sent 3 times"] = (heavy, HELD_OUT)
    for case in sorted((ROOT / "tests" / "hostile").glob("replay_*_tp3")):
        spec = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
        repo = folder / case.name
        shutil.copytree(ROOT / "solutions", repo, ignore=shutil.ignore_patterns("__pycache__"))
        for relative, text in (spec.get("append") or {}).items():
            with open(repo / relative, "a", encoding="utf-8") as handle:
                handle.write("\n\n" + text)
        found[f"hostile {case.name}"] = (repo, HELD_OUT)
    return found


def collect(tree: Path, folder: Path, jobs: int, out: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import grader.cli as cli; cli.run()", "collect", "--course",
                    str(folder / "course.yaml"), "--out", str(folder / out), "--jobs", str(jobs), "--no-similarity"],
                   cwd=tree, env=environment(tree), check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="the revision to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--students", type=int, default=0, help="also time collect of N students × TP3")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        before = folder / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(before), args.before], check=True)
        try:
            now_runs, before_runs = [], []
            for _ in range(args.repeat):  # interleaved: the machine's load falls on both alike
                now_runs.append(grader_test(ROOT))
                before_runs.append(grader_test(before))
            now, then = statistics.median(now_runs), statistics.median(before_runs)
            print(f"| `grader test tp3 solutions/`, median of {args.repeat} | {now:.2f} s | {then:.2f} s "
                  f"| {now / then:.2f}× |", flush=True)
            for name, (repo, only) in submissions(folder).items():
                mark, megabytes = peak(ROOT, repo, only)
                line = f"| grader's peak memory, {name} ({'2 tests' if only else 'all tests'}) | {megabytes} MiB ({mark})"
                if name in ("solutions", "16.5 M weights, sent 3 times"):
                    old_mark, old_mb = peak(before, repo, only)
                    line += f" | {old_mb} MiB ({old_mark}) |"
                else:
                    line += " | |"
                print(line + (" under 1.5 GiB |" if megabytes < 1536 else " OVER 1.5 GiB |"), flush=True)
            if args.students:
                klass = folder / "class"
                make_class(klass, args.students, ["tp3"])
                now_c = collect(ROOT, klass, args.jobs, "out-now")
                then_c = collect(before, klass, args.jobs, "out-before")
                print(f"| `grader collect`, {args.students} students × TP3, --jobs {args.jobs} | {now_c:.1f} s "
                      f"| {then_c:.1f} s | {now_c / then_c:.2f}× |")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=True)


if __name__ == "__main__":
    main()
