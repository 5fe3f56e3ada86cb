"""What a worker session is given and what it raises, and where workers live.

`SandboxPolicy` (the probes, limits, delays and layers of a worker) and `Budget` (the time of a
grading) come in; `CallFailure` (what student code did, in French) and `SandboxError` (the sandbox
itself failed) go out. Also the workers' environment, the grader's own interpreter, and the
scratch space sessions and exports use (/dev/shm when it can), swept of what a killed grader left.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .limits import Limits, process_state

PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # needed by OpenBLAS on some CPUs


class SandboxError(Exception):
    """The sandbox itself could not be set up (never caused by student code)."""


@dataclass(frozen=True)
class SandboxPolicy:
    probes_path: Path  # grader/sandbox/runtime/probes.py, copied into the worker as `probes.py`
    limits: Limits = field(default_factory=Limits)  # resource limits of the worker
    call_timeout: float = 30.0  # default wall-clock seconds per call
    timeout_cap: float | None = None  # the most any call may wait, its own delay included (grader test --timeout)
    python: str = field(default_factory=lambda: default_python())  # must be readable by the worker uid
    hidden_paths: tuple[Path, ...] = ()  # never visible to the worker (reference/, solutions/, outputs…)
    masked_paths: tuple[Path, ...] = ()  # folders shown empty to the worker where bubblewrap runs (installed datasets)
    preload: tuple[str, ...] = ()  # modules a template imports for the worker (torch…): numpy and the probes always
    without: frozenset[str] = frozenset()  # layers switched off on purpose (see layers.LAYERS)


class Budget:
    """The wall-clock seconds that all the calls of one grading may take together (the worker's
    and the replay's): once they are spent, a call fails at once instead of waiting out its own
    delay, so that a grading ends in bounded time whatever the submission does."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()


class CallFailure(Exception):
    """A call into student code did not give a value: why, in French, for the student."""

    def __init__(self, kind: str, message: str, error_type: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.kind = kind  # "exception", "import", "invalid", "timeout", "crash"
        self.message = message  # French; student text in it is already capped
        self.error_type = error_type  # the Python exception's type name, when there was one
        self.detail = detail  # the bare fact, French: "12 s", "tué par le signal SIGFPE"; "budget": none was left


def describe_exit(code: int | None) -> str:
    if code is None:
        return "arrêt inattendu"
    if code < 0:
        return f"tué par le signal {signal.Signals(-code).name}" if -code in signal.valid_signals() else f"signal {-code}"
    return f"code de sortie {code}"


STALE_SCRATCH = re.compile(r"^dlgrade-(?:export-)?(\d+)-")  # sandbox folders and exports, named after their grader's pid


@lru_cache(maxsize=1)
def remove_stale_scratch() -> None:
    """Once per process: remove the sandbox folders and exports that a grader killed before its
    clean-up left behind (SIGKILL, the OOM killer, a job's timeout), named after a pid that no
    longer runs: in /dev/shm they hold memory until the machine restarts. A folder of a running
    process, even another one's, is left alone."""
    for folder in {fast_scratch(), tempfile.gettempdir()} - {None}:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            match = STALE_SCRATCH.match(entry.name)
            if match and entry.is_dir(follow_symlinks=False) and process_state(int(match[1])) is None:
                shutil.rmtree(entry.path, ignore_errors=True)


@lru_cache(maxsize=1)
def fast_scratch() -> str | None:
    """/dev/shm when it is a writable tmpfs (Linux): sandbox folders there cost no disk journal.
    None: the usual temporary folder."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    tmpfs = any(line.split()[1:3] == ["/dev/shm", "tmpfs"] for line in mounts if len(line.split()) > 2)
    return "/dev/shm" if tmpfs and os.access("/dev/shm", os.W_OK) else None


def base_environment() -> dict[str, str]:
    """The worker's environment but its home: also the template's, before it imports torch."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.update({k: os.environ[k] for k in PASSED_ENV if k in os.environ})
    return env


def default_python() -> str:
    """The grader's own interpreter, reached through the real path of its virtual environment:
    `.venv` may be a link to a world-readable place from a checkout other users cannot enter."""
    if sys.prefix != sys.base_prefix:
        return str(Path(sys.prefix).resolve() / "bin" / Path(sys.executable).name)
    return sys.executable
