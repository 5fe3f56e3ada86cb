"""Cost of the isolation layers, as ratios against baselines measured in the same run.

    .venv/bin/python benchmarks/bench_isolation.py [--repeat 15]

1. Worker start-up with every layer on (uid, bubblewrap, namespaces, cgroup, seccomp), up to its
   first answer, against a bare `python -c "import numpy"`. Target ≤ 1.5×.
2. `grader test tp1 solutions/` with every layer on against rlimits only. Target ≤ 1.2×.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.grading.config import Project  # noqa: E402
from grader.sandbox import LAYERS, SandboxPolicy, WorkerSession  # noqa: E402

GRADER = Path(sys.executable).parent / "grader"
RLIMITS_ONLY = [arg for name in LAYERS if name not in ("rlimits", "gpu") for arg in ("--without", name)]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{command} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - start


def start_up(repeat: int) -> tuple[float, float, list[str]]:
    bare, sandboxed = [], []
    with tempfile.TemporaryDirectory() as empty:
        with WorkerSession(Path(empty), SandboxPolicy(probes_path=Project.at(ROOT).probes)) as session:
            session.call("ping", {})
            active = [layer.name for layer in session.isolation.layers if layer.active]
            for _ in range(repeat):  # interleaved, so that machine noise hits both alike
                bare.append(timed([sys.executable, "-c", "import numpy"]))
                session.stop()
                start = time.perf_counter()
                session.call("ping", {})
                sandboxed.append(time.perf_counter() - start)
    return statistics.median(sandboxed), statistics.median(bare), active


def grading(repeat: int) -> tuple[float, float]:
    command = [str(GRADER), "test", "tp1", str(ROOT / "solutions")]
    timed(command)
    full, light = [], []
    for _ in range(repeat):
        full.append(timed(command))
        light.append(timed([*command, *RLIMITS_ONLY]))
    return statistics.median(full), statistics.median(light)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    sandboxed, bare, active = start_up(args.repeat)
    full, light = grading(max(3, args.repeat // 3))
    print(f"layers active: {', '.join(active)}")
    print(f"| worker start-up to first answer, every layer (median of {args.repeat}) | {sandboxed * 1000:.0f} ms |")
    print(f"| bare `python -c 'import numpy'` (median of {args.repeat}) | {bare * 1000:.0f} ms |")
    print(f"| start-up ratio (target ≤ 1.5) | {sandboxed / bare:.2f}× | {'met' if sandboxed / bare <= 1.5 else 'MISSED'} |")
    print(f"| grader test tp1 solutions/, every layer | {full:.2f} s |")
    print(f"| grader test tp1 solutions/, rlimits only | {light:.2f} s |")
    print(f"| layers ratio (target ≤ 1.2) | {full / light:.2f}× | {'met' if full / light <= 1.2 else 'MISSED'} |")


if __name__ == "__main__":
    main()
