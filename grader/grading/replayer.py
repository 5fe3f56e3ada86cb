"""The trusted side's handle on the replay process: a student's trained model, run elsewhere.

A held-out test gets a trained model as plain data from the worker (`probes.describe_model`) and
scores it on inputs the worker never sees. Nothing computed from that description runs in the
grader's process: `Replayer` starts a process of its own for the grading (`grader/sandbox/runtime/replay.py` as
its probes, no student code, no secret but the inputs it is handed, the sandbox's layers and
limits, the grading's time budget), sends it the description, and gets outputs back as plain
data. Its crash, hang or blow-up is a French message that costs the test, nothing else.

Also here: what training may change in a model (its weights, never its graph), compared on the
descriptions themselves, as plain data.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..sandbox import CallFailure, Limits, SandboxError, SandboxPolicy, WorkerSession
from ..sandbox.layers import linux_root_templates, seccomp_available
from ..sandbox.policy import Budget, base_environment, fast_scratch
from ..sandbox.runtime import REPLAY
from ..sandbox.templates import PROCESS_TEMPLATES
from .testkit import Feedback, expect

REPLAY_PROBES = REPLAY  # the replay process's "probes": grader/sandbox/runtime/replay.py
REPLAY_TIMEOUT = 60.0  # seconds for one rebuild or one prediction (the graph's work is bounded before it runs)
REPLAY_LIMITS = Limits(memory_bytes=3 << 30, cpu_seconds=600, processes=16)
FAILED = "le correcteur n'a pas pu évaluer votre modèle"


def replay_policy(worker: SandboxPolicy) -> SandboxPolicy:
    """The replay process's policy: the worker's layers and hidden paths, the installed datasets
    masked too (it is handed held-out inputs: no copy of a dataset to match them against), torch
    preloaded, its own limits."""
    return replace(worker, probes_path=REPLAY_PROBES, limits=REPLAY_LIMITS, call_timeout=REPLAY_TIMEOUT,
                   timeout_cap=None, preload=("torch",))


class ReplayedModel:
    """A model rebuilt in the replay process: what its graph holds, and `predict`."""

    def __init__(self, replayer: Replayer, handle: int, layers: dict[str, str], functions: list[str],
                 bottleneck: int, what: str) -> None:
        self._replayer, self._handle, self.what = replayer, handle, what
        self.layers = layers  # layer path -> torch.nn class name, for the layers forward calls
        self.functions = functions  # qualified names of the torch functions forward calls
        self._bottleneck = bottleneck

    def bottleneck(self) -> int:
        """The fewest numbers per sample every path from the input to the output goes through."""
        return self._bottleneck

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The model's outputs on X (float64), one row per input, computed in the replay process."""
        answer = self._replayer.ask("predict", {"model": self._handle, "X": np.ascontiguousarray(X, dtype=np.float32)},
                                    self.what)
        outputs = answer.get("outputs")
        expect(isinstance(outputs, np.ndarray) and outputs.ndim >= 1 and len(outputs) == len(X)
               and outputs.dtype.kind == "f", f"{self.what} : sorties du modèle illisibles")
        return outputs.astype(float)


class Replayer:
    """The replay process of one grading, started at its first use and ended with the grading."""

    def __init__(self, worker_policy: SandboxPolicy, budget: Budget | None = None) -> None:
        self.policy, self.budget = replay_policy(worker_policy), budget
        self._session: WorkerSession | None = None
        self.problems: list[str] = []  # the replay process could not start: the grading's errors say so

    def warm(self) -> None:
        """Start the replay process's template now (it imports torch, ≈ 1.5 s), while the first
        tests run: the first model then finds it ready. Nothing where no template would be used."""
        if not linux_root_templates() or {"uid", "seccomp", "templates"} & self.policy.without \
                or not seccomp_available():
            return
        try:
            PROCESS_TEMPLATES.get(self.policy.python, self.policy.probes_path, self.policy.preload, base_environment())
        except OSError:  # started again, or not, at first use
            pass

    def model(self, description: Any, check: np.ndarray, what: str = "modèle") -> ReplayedModel:
        """Rebuild the model of `description` there and check it on `check` (public inputs the
        worker ran at this batch size): Feedback if it cannot be rebuilt or gives other outputs."""
        answer = self.ask("build", {"description": description, "check": np.ascontiguousarray(check, dtype=np.float32),
                                    "what": what}, what)
        layers, functions, bottleneck = answer.get("layers"), answer.get("functions"), answer.get("bottleneck")
        expect(isinstance(answer.get("model"), int) and isinstance(layers, dict) and isinstance(functions, list)
               and isinstance(bottleneck, int), f"{what} : réponse illisible du processus d'évaluation")
        return ReplayedModel(self, answer["model"], {str(k): str(v) for k, v in layers.items()},
                             [str(f) for f in functions], bottleneck, what)

    def ask(self, probe: str, request: dict, what: str) -> dict:
        try:
            answer = self._started().call(probe, request)
        except CallFailure as failure:
            reason = {"timeout": "le temps de notation du TP est épuisé" if failure.detail == "budget"
                      else f"son évaluation a dépassé {failure.detail or 'son délai'}",
                      "crash": f"son évaluation a arrêté le processus d'évaluation ({failure.detail or 'arrêt'})"}
            raise Feedback(f"{FAILED} ({what}) : {reason.get(failure.kind, 'erreur pendant son évaluation')}") from None
        expect(isinstance(answer, dict), f"{what} : réponse illisible du processus d'évaluation")
        if "refused" in answer:
            raise Feedback(str(answer["refused"])[:600])
        return answer

    def _started(self) -> WorkerSession:
        if self._session is None:
            empty = tempfile.mkdtemp(prefix=f"dlgrade-{os.getpid()}-replay-", dir=fast_scratch())
            try:
                self._session = WorkerSession(Path(empty), self.policy, take=True, budget=self.budget)
            except (OSError, SandboxError) as exc:
                self.problems.append(f"le processus d'évaluation des modèles n'a pas démarré : {exc}"[:300])
                raise Feedback(f"{FAILED} : le processus d'évaluation n'a pas démarré") from None
            finally:
                shutil.rmtree(empty, ignore_errors=True)  # copied rather than moved in (another file system)
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def architecture(description: Any) -> Any:
    """What training may not change in a model: its graph, its layers' types, settings and
    parameter shapes, the shapes of the tensors its forward reads (plain data, whatever was sent)."""
    if not isinstance(description, dict):
        return None
    shapes = lambda d: {str(k): np.shape(v) for k, v in d.items()} if isinstance(d, dict) else None  # noqa: E731
    layers = description.get("layers")
    return (repr(description.get("nodes")), shapes(description.get("constants")),
            {str(name): (repr(spec.get("type")), repr(spec.get("settings")), shapes(spec.get("state")))
             for name, spec in layers.items() if isinstance(spec, dict)} if isinstance(layers, dict) else None)


def same_architecture(before: Any, after: Any, what: str) -> None:
    """Training changes a model's weights, never its graph, layers or tensors: a forward that
    switched to another computation once trained (a lookup of the training data…) is refused."""
    expect(architecture(before) is not None and architecture(before) == architecture(after),
           f"{what} : l'entraînement ne doit changer que les poids du modèle ; son graphe, ses couches ou ses "
           "tenseurs ne sont plus ceux du modèle construit avant l'entraînement")


def numbers(description: Any) -> int:
    """How many numbers a described model holds (parameters, buffers, constants)."""
    return int(sum(array.size for array in described_arrays(description)))


def holds_weights(description: Any, weights: list[np.ndarray], what: str) -> None:
    """The model described as built must hold the weights the grader loaded into it (each of them,
    exactly) and little else: a description written to describe another model (a lookup of the
    training rows, say) cannot, since the grader drew those weights. Buffers (batch-norm
    statistics, a small constant) may come on top, up to a tenth of the weights."""
    arrays = described_arrays(description)
    remaining = list(arrays)
    for weight in weights:
        weight = np.asarray(weight, dtype=np.float32)
        match = next((i for i, array in enumerate(remaining) if array.shape == weight.shape
                      and np.array_equal(array.astype(np.float32), weight)), None)
        expect(match is not None, f"{what} : le modèle décrit avant l'entraînement ne porte pas les poids que le "
               "correcteur a chargés dans votre modèle (la description du modèle ne doit pas être modifiée)")
        remaining.pop(match)
    extra = sum(array.size for array in remaining)
    expect(extra <= max(10_000, sum(np.size(w) for w in weights) // 10),
           f"{what} : le modèle décrit porte {extra} nombres de plus que ses paramètres (des données recopiées ?)")


def described_arrays(description: Any) -> list[np.ndarray]:
    """Every array a description holds (layer states but batch-norm counters, and constants)."""
    if not isinstance(description, dict):
        return []
    layers, constants = description.get("layers"), description.get("constants")
    found = [value for spec in (layers.values() if isinstance(layers, dict) else ()) if isinstance(spec, dict)
             and isinstance(spec.get("state"), dict) for key, value in spec["state"].items()
             if key != "num_batches_tracked"]
    found += list(constants.values()) if isinstance(constants, dict) else []
    return [array for array in found if isinstance(array, np.ndarray) and array.dtype.kind in "iuf"]
