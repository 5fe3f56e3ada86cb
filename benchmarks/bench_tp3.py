"""TP3 speed, as ratios against baselines measured in the same run.

    .venv/bin/python benchmarks/bench_tp3.py [--repeat 3]

1. The solution's numpy `conv2d_multi` (im2col with stride tricks and one tensordot) against
   `torch.nn.functional.conv2d` on the same input, CPU, float64 both: median time per call.
   Target: numpy within 10× of torch (the strictest of torch on one thread and on all of them).
2. `grader test tp3 solutions/`: total wall time (target < 15 s on 2 cores), with the share spent
   importing torch (measured alone) and training the digits CNN.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "solutions"))

from tp3.conv import conv2d_multi  # noqa: E402


def median_time(function, repeat: int) -> float:
    function()  # warm-up: first-call allocations, torch's kernel choice
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def conv_times(repeat: int, threads: int) -> tuple[float, float, float]:
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(16, 64, 64)), rng.normal(size=(32, 16, 3, 3)), rng.normal(size=32)
    tx, tw, tb = torch.from_numpy(x)[None], torch.from_numpy(w), torch.from_numpy(b)
    numpy_time = median_time(lambda: conv2d_multi(x, w, b, stride=1, padding=1), repeat)
    torch.set_num_threads(1)
    one = median_time(lambda: torch.nn.functional.conv2d(tx, tw, tb, stride=1, padding=1), repeat)
    torch.set_num_threads(threads)
    every = median_time(lambda: torch.nn.functional.conv2d(tx, tw, tb, stride=1, padding=1), repeat)
    same = np.allclose(conv2d_multi(x, w, b, 1, 1), torch.nn.functional.conv2d(tx, tw, tb, padding=1)[0].numpy())
    if not same:
        raise SystemExit("conv2d_multi disagrees with torch: fix the solution before timing it")
    return numpy_time, one, every


def grading(repeat: int) -> tuple[float, float, float]:
    walls, training = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([str(Path(sys.executable).parent / "grader"), "test", "tp3", str(ROOT / "solutions"),
                            "--json", str(out)], check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
            tests = json.loads(out.read_text())["tests"]
            training.append(sum(t["duration_s"] for t in tests if "train_digits" in t["id"]))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-c", "import torch"], check=True)
    return statistics.median(walls), time.perf_counter() - start, statistics.median(training)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="gradings to time (median)")
    args = parser.parse_args()
    threads = torch.get_num_threads()
    n, one, every = conv_times(20, threads)
    ratio = n / min(one, every)
    print(f"| numpy `conv2d_multi`, x 16×64×64, w 32×16×3×3, padding 1, float64 (median of 20) | "
          f"{n * 1000:.2f} ms |")
    print(f"| `torch.nn.functional.conv2d`, same input, 1 thread / {threads} threads | {one * 1000:.2f} ms / "
          f"{every * 1000:.2f} ms |")
    print(f"| numpy / torch, the faster torch (target ≤ 10) | {ratio:.1f}× | {'met' if ratio <= 10 else 'MISSED'} |")
    wall, torch_import, training = grading(args.repeat)
    print(f"| `grader test tp3 solutions/` wall time, median of {args.repeat} (target < 15 s) | {wall:.1f} s | "
          f"{'met' if wall < 15 else 'MISSED'} |")
    print(f"| of which: torch import (measured alone, paid by the grader and by the worker) | {torch_import:.1f} s |")
    print(f"| of which: training the DigitCNN (test duration, median) | {training:.1f} s ({training / wall:.0%}) |")


if __name__ == "__main__":
    main()
