"""Worker templates and the kept pytest session: what they save, measured in one run (A/B).

    .venv/bin/python benchmarks/bench_templates.py [--repeat 3] [--before REV]

1. Worker start-up to its first answer (median of `--repeat`, after one warm-up): a fork of the
   template (confined by confine.py) against a fresh interpreter (`--without templates`), for a
   numpy TP (tp1) and a torch TP (tp2, whose worker imports torch).
2. One grading in a process that already graded one (what `collect`, `validate` and the mutants
   do): the share of its wall time outside the hidden tests, templates on and off.
3. `grader test tp2 solutions/` as a command, templates on and off; with `--before REV`, also the
   grader of that revision (a git worktree of it, same environment): "today's time" of the issue.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.grading.config import Project  # noqa: E402
from grader.grading.runner import RunOptions, grade_checkout, sandbox_policy  # noqa: E402
from grader.sandbox import WorkerSession  # noqa: E402

# The `grader` command as installed (its entry point, `run`, where the revision has one), from
# whichever checkout is first on sys.path: the working tree, or --before's worktree.
GRADER = [sys.executable, "-c", "import sys, grader.cli as cli; cli.run() if hasattr(cli, 'run') else "
          "sys.exit(cli.main(sys.argv[1:]))"]


def start_up(project: Project, tp: str, without: frozenset[str], repeat: int) -> float:
    times = []
    for index in range(repeat + 1):
        start = time.perf_counter()
        with WorkerSession(project.solutions, sandbox_policy(project, project.tp(tp), RunOptions(without=without))) as session:
            session.call("ping", {})
            if index:  # the first one starts the template (or warms the disk cache)
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def outside_share(project: Project, tp: str, without: frozenset[str], repeat: int) -> tuple[float, float]:
    """(wall time, share outside the hidden tests) of a grading after a first one in this process."""
    shares, walls = [], []
    for index in range(repeat + 1):
        start = time.perf_counter()
        grading, _ = grade_checkout(project, project.tp(tp), project.solutions, options=RunOptions(without=without))
        wall = time.perf_counter() - start
        if index:
            walls.append(wall)
            shares.append(1 - sum(t.duration_s for t in grading.tests) / wall)
    return statistics.median(walls), statistics.median(shares)


def command(cwd: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([*GRADER, *args], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", help="a revision to time `grader test tp2 solutions/` with as well")
    args = parser.parse_args()
    project = Project.at(ROOT)
    on, off = frozenset(), frozenset({"templates"})
    print("| what | templates | fresh worker | ratio |")
    print("|---|---|---|---|")
    for tp in ("tp1", "tp2"):
        a, b = start_up(project, tp, on, args.repeat), start_up(project, tp, off, args.repeat)
        print(f"| worker start-up, {tp} (median of {args.repeat}) | {a * 1000:.0f} ms | {b * 1000:.0f} ms | {a / b:.2f}× |",
              flush=True)
    for tp in ("tp1", "tp2"):
        (wall_on, share_on), (wall_off, share_off) = (outside_share(project, tp, on, args.repeat),
                                                      outside_share(project, tp, off, args.repeat))
        print(f"| a {tp} grading after the first in the process: wall | {wall_on:.2f} s | {wall_off:.2f} s | "
              f"{wall_on / wall_off:.2f}× |")
        print(f"| … share of it outside the hidden tests | {share_on:.0%} | {share_off:.0%} | |", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        worktree = Path(folder) / "before"
        if args.before:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(worktree), args.before],
                           check=True)
        runs = {"on": [], "off": [], "before": []}
        try:
            for _ in range(args.repeat):  # interleaved, so that the machine's load falls on all alike
                runs["on"].append(command(ROOT, "test", "tp2", "solutions"))
                runs["off"].append(command(ROOT, "test", "tp2", "solutions", "--without", "templates"))
                if args.before:
                    runs["before"].append(command(worktree, "test", "tp2", "solutions"))
        finally:
            if args.before:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=True)
    on_s, off_s = statistics.median(runs["on"]), statistics.median(runs["off"])
    print(f"| `grader test tp2 solutions/` (median of {args.repeat}) | {on_s:.2f} s | {off_s:.2f} s | {on_s / off_s:.2f}× |")
    if args.before:
        before = statistics.median(runs["before"])
        print(f"| `grader test tp2 solutions/` at {args.before} (median of {args.repeat}, interleaved) | {before:.2f} s "
              f"| | templates / before: {on_s / before:.2f}× |")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
