"""TP4 speed and calibration, as markdown rows.

    .venv/bin/python benchmarks/bench_tp4.py              # grading time
    .venv/bin/python benchmarks/bench_tp4.py --calibrate  # + the hidden tests' measures over 5 seeds

1. `grader test tp4 solutions/`: total wall time (target < 15 s on 2 cores), with the share spent
   importing torch in the worker and in the training tests.
2. `--calibrate`: each training test of reference/tp4 redone here with the solution (same data,
   sizes, epochs and learning rates; the seed of the model's initialisation and of the loop
   varies over 0–4), next to the bound the hidden test uses. The bounds keep a margin over the
   worst seed; the rows for known bugs show that the bounds separate them.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ("held_out", "denoising", "anomaly", "trains_on_digits", "learns_a_gaussian")


def grading() -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "grader"), "test", "tp4", str(ROOT / "solutions"),
                        "--json", str(out)], check=True, capture_output=True)
        wall = time.perf_counter() - start
        result = json.loads(out.read_text())
    if result["score"] != 20:
        raise SystemExit(f"the solution got {result['score']}/20")
    training = sum(t["duration_s"] for t in result["tests"] if any(word in t["id"] for word in TRAINING))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-c", "import torch"], check=True)
    return wall, time.perf_counter() - start, training


def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    order = np.random.default_rng(0).permutation(len(X))
    return X[order[:1200]], y[order[:1200]], X[order[1200:]], y[order[1200:]]


def auc(normal: np.ndarray, anomalous: np.ndarray) -> float:
    return float(np.mean((anomalous[:, None] > normal[None, :]) + 0.5 * (anomalous[:, None] == normal[None, :])))


def autoencoder_measures(seed: int) -> dict[str, float]:
    """The four auto-encoder trainings of test_autoencoder.py, one seed."""
    import torch
    from tp4 import autoencoder

    X_train, y_train, X_test, y_test = digits()
    noisy = X_test + np.random.default_rng(100).normal(scale=0.5, size=X_test.shape).astype(np.float32)

    def trained(X, latent, epochs, batch, noise_std=0.0):
        torch.manual_seed(seed)  # as the torch_call probe does before building the model
        model = autoencoder.AutoEncoder(64, latent, (32,))
        autoencoder.train_autoencoder(model, torch.as_tensor(X), epochs, 1e-2, batch, seed, noise_std=noise_std)
        model.eval()
        return lambda inputs: model(torch.as_tensor(inputs)).detach().numpy()

    rows = {"AE held-out MSE (bound < 0.03)": float(np.mean((trained(X_train, 8, 20, 32)(X_test) - X_test) ** 2)),
            "DAE, noisy held-out → clean MSE (bound < 0.055; identity 0.25)":
                float(np.mean((trained(X_train, 8, 20, 32, 0.5)(noisy) - X_test) ** 2)),
            "bug: same, trained without noise (must be ≥ 0.055)":
                float(np.mean((trained(X_train, 8, 20, 32)(noisy) - X_test) ** 2))}
    normal = X_train[y_train == 0]
    model = trained(normal, 4, 30, 16)
    train, zeros, sixes = (((model(X) - X) ** 2).mean(axis=1) for X in (normal, X_test[y_test == 0], X_test[y_test == 6]))
    rows["anomalies: AUC 0 vs 6 (bound ≥ 0.95)"] = auc(zeros, sixes)
    rows["held-out 0 flagged, quantile 0.99 (bound ≤ 0.25)"] = float(np.mean(zeros > np.quantile(train, 0.99)))
    rows["held-out 6 flagged, quantile 0.99 (bound ≥ 0.9)"] = float(np.mean(sixes > np.quantile(train, 0.99)))
    rows["bug: held-out 0 flagged, mean threshold (must be > 0.25)"] = float(np.mean(zeros > np.mean(train)))
    return rows


def vae_and_gan_measures(seed: int) -> dict[str, float]:
    """The VAE training of test_vae.py and the GAN training of test_gan.py, one seed."""
    import torch
    from tp4 import gan, vae

    X_train, _, X_test, _ = digits()
    torch.manual_seed(seed)
    model = vae.VAE(64, 2, (32,))
    history = vae.train_vae(model, torch.as_tensor(X_train), 20, 1e-2, 32, seed)
    recon, mu, logvar = vae.reconstruct(model, torch.as_tensor(X_test), torch.zeros(len(X_test), 2))
    real = torch.as_tensor(np.random.default_rng(25).normal(3.0, 0.5, size=(2000, 1)).astype(np.float32))
    z = torch.as_tensor(np.random.default_rng(26).normal(size=(2000, 4)).astype(np.float32))
    torch.manual_seed(seed)
    G, D = gan.Generator(4, 1, (32,)), gan.Discriminator(1, (32,))
    gan.train_gan(G, D, torch.optim.Adam(G.parameters(), lr=2e-3), torch.optim.Adam(D.parameters(), lr=2e-3),
                  real, 4, 600, 64, seed)
    samples = G(z).detach().numpy()
    return {"VAE held-out MSE of D(μ) (bound < 0.06)": float(((recon.numpy() - X_test) ** 2).mean()),
            "VAE held-out KL per digit (bound < 4)": float((-0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)).mean()),
            "VAE last / first epoch loss (must be < 1)": history[-1] / history[0],
            "GAN on N(3, 0.5²): sample mean (bound |m − 3| < 0.6)": float(samples.mean()),
            "GAN on N(3, 0.5²): sample std (bound 0.15 < s < 1)": float(samples.std())}


def worst(name: str, values: list[float]) -> float:
    """The seed nearest the hidden test's bound."""
    if "mean (bound" in name:
        return max(values, key=lambda v: abs(v - 3.0))
    if "std (bound" in name:
        return min(values, key=lambda v: min(v - 0.15, 1 - v))
    bound = name.split("(")[-1]
    return max(values) if "< " in bound or "≤" in bound else min(values)


def calibrate(seeds: range = range(5)) -> None:
    import torch

    sys.path.insert(0, str(ROOT / "solutions"))
    torch.set_num_threads(1)
    rows: dict[str, list[float]] = {}
    for seed in seeds:
        for name, value in {**autoencoder_measures(seed), **vae_and_gan_measures(seed)}.items():
            rows.setdefault(name, []).append(value)
    print(f"| measure (solution, seeds {seeds.start}–{seeds.stop - 1}) | " + " | ".join(f"seed {s}" for s in seeds)
          + " | worst |")
    print("|---|" + "---|" * (len(seeds) + 1))
    for name, values in rows.items():
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {worst(name, values):.3f} |")


def main() -> None:
    wall, torch_import, training = grading()
    print(f"| `grader test tp4 solutions/` wall time (target < 15 s) | {wall:.1f} s | {'met' if wall < 15 else 'MISSED'} |")
    print(f"| of which: torch import in the worker (measured alone) | {torch_import:.1f} s ({torch_import / wall:.0%}) |")
    print(f"| of which: training tests (sum of their durations) | {training:.1f} s ({training / wall:.0%}) |")
    if "--calibrate" in sys.argv:
        print()
        calibrate()


if __name__ == "__main__":
    main()
