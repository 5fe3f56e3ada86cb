"""TP2 speed, as ratios against baselines measured in the same run.

    .venv/bin/python benchmarks/bench_tp2.py

1. The solution's numpy n→16→4→3 network against the same network in PyTorch (CPU, one
   thread, same data, same batches, SGD): time per epoch. Target: numpy within 3× of torch.
2. `grader test tp2 solutions/`: total wall time (target < 15 s on 2 cores), with the share
   spent importing torch in the worker and in the training tests.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import make_classification

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "solutions"))

from tp2 import numpy_nets  # noqa: E402
from tp2.optim import SGD  # noqa: E402


def per_epoch_numpy(X, Y, epochs: int) -> float:
    net = numpy_nets.Network([X.shape[1], 16, 4, 3], "softmax", 0)
    start = time.perf_counter()
    numpy_nets.fit(net, X, Y, "cce", SGD(0.05), 32, epochs, 0)
    return (time.perf_counter() - start) / epochs


def per_epoch_torch(X, y, epochs: int) -> float:
    torch.set_num_threads(1)
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 16), torch.nn.ReLU(), torch.nn.Linear(16, 4),
                                torch.nn.ReLU(), torch.nn.Linear(4, 3))
    data = torch.utils.data.TensorDataset(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y))
    loader = torch.utils.data.DataLoader(data, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    optimiser, loss_fn = torch.optim.SGD(model.parameters(), lr=0.05), torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in loader:
            optimiser.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimiser.step()
    return (time.perf_counter() - start) / epochs


def grading() -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "grader"), "test", "tp2", str(ROOT / "solutions"),
                        "--json", str(out)], check=True, capture_output=True)
        wall = time.perf_counter() - start
        tests = json.loads(out.read_text())["tests"]
    training = sum(t["duration_s"] for t in tests if "fit" in t["id"] or "accuracy" in t["id"] or "baseline" in t["id"])
    start = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-c", "import torch"], check=True)
    return wall, time.perf_counter() - start, training


def main() -> None:
    X, y = make_classification(n_samples=4000, n_features=13, n_informative=8, n_classes=3, random_state=0)
    Y = np.eye(3)[y]
    numpy_times = [per_epoch_numpy(X, Y, 5) for _ in range(3)]
    torch_times = [per_epoch_torch(X, y, 5) for _ in range(3)]
    n, t = statistics.median(numpy_times), statistics.median(torch_times)
    wall, torch_import, training = grading()
    print(f"| numpy n→16→4→3, 4000×13, batch 32, per epoch (median of 3×5) | {n * 1000:.1f} ms |")
    print(f"| PyTorch CPU, same network and batches, per epoch | {t * 1000:.1f} ms |")
    print(f"| numpy / torch (target ≤ 3) | {n / t:.2f}× | {'met' if n / t <= 3 else 'MISSED'} |")
    print(f"| `grader test tp2 solutions/` wall time (target < 15 s) | {wall:.1f} s | {'met' if wall < 15 else 'MISSED'} |")
    print(f"| of which: torch import in the worker (measured alone) | {torch_import:.1f} s ({torch_import / wall:.0%}) |")
    print(f"| of which: training tests (sum of their durations) | {training:.1f} s ({training / wall:.0%}) |")


if __name__ == "__main__":
    main()
