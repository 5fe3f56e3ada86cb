"""Speed of the grading engine on TP1, as ratios against baselines measured in the same run.

    .venv/bin/python benchmarks/bench_tp1.py [--repeat 5]

1. Overhead: wall time of `grader test tp1 solutions/` (sandboxed worker, uid, namespaces) against
   a bare in-process `pytest` of the same hidden tests calling solutions/ directly. Target ≤ 1.3×.
2. Probe round trip: one call sending a 1000×100 float64 array to the worker and receiving one
   back. Target ≤ 3 ms median.
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def wall(command: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed


def overhead(repeat: int) -> tuple[float, float]:
    graded = [BIN / "grader", "test", "tp1", str(ROOT / "solutions")]
    bare = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "benchmarks.direct_plugin",
            "--rootdir", str(ROOT / "reference" / "tp1"), "-c", os.devnull, str(ROOT / "reference" / "tp1")]
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'solutions'}{os.pathsep}{ROOT}")
    wall(graded), wall(bare, env)  # warm the file cache
    sandboxed, direct = [], []
    for _ in range(repeat):  # interleaved, so that machine noise hits both alike
        sandboxed.append(wall(graded))
        direct.append(wall(bare, env))
    return statistics.median(sandboxed), statistics.median(direct)


def round_trip(calls: int = 300) -> float:
    sys.path.insert(0, str(ROOT))
    from grader.grading.config import Project
    from grader.sandbox import SandboxPolicy, WorkerSession

    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "tp0"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "echo.py").write_text("def echo(x):\n    return x\n")
        array = np.random.default_rng(0).normal(size=(1000, 100))
        request = {"module": "tp0.echo", "function": "echo", "args": (array,)}
        with WorkerSession(Path(tmp), SandboxPolicy(probes_path=Project.at(ROOT).probes)) as session:
            session.call("call", request)
            times = []
            for _ in range(calls):
                start = time.perf_counter()
                back = session.call("call", request)
                times.append(time.perf_counter() - start)
            if not np.array_equal(back, array):
                raise SystemExit("round trip corrupted the array")
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sandboxed, direct = overhead(args.repeat)
    ratio = sandboxed / direct
    rtt = round_trip()
    print(f"| grader test tp1 solutions/ (sandboxed) | {sandboxed:.2f} s |")
    print(f"| bare in-process pytest, same hidden tests | {direct:.2f} s |")
    print(f"| overhead ratio (target ≤ 1.3) | {ratio:.2f}× | {'met' if ratio <= 1.3 else 'MISSED'} |")
    print(f"| probe round trip 1000×100 float64, median of 300 (target ≤ 3 ms) | {rtt:.2f} ms | "
          f"{'met' if rtt <= 3 else 'MISSED'} |")


if __name__ == "__main__":
    main()
