"""Isolation layers for a worker: which exist on this machine, and how to apply them.

Each layer is detected and reported (`IsolationReport`), never dropped silently: the header of
every grading run prints what was active and what was missing, and why.
"""
from __future__ import annotations

import fcntl
import os
import resource
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

UID_BASE = 61000  # worker uids: one per parallel slot, never a real account
UID_SLOTS = 256
LOCK_DIR = Path("/tmp/dlgrade-slots")


@dataclass(frozen=True)
class Layer:
    name: str  # short English name, e.g. "rlimits"
    active: bool  # whether this run has it
    detail: str  # what it does, or why it is missing


@dataclass(frozen=True)
class IsolationReport:
    layers: tuple[Layer, ...]  # every layer the grader knows, active or not

    @property
    def missing(self) -> list[Layer]:
        return [layer for layer in self.layers if not layer.active]

    def lines(self) -> list[str]:
        return [f"[{'x' if layer.active else ' '}] {layer.name}: {layer.detail}" for layer in self.layers]


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 600  # RLIMIT_CPU over the worker's whole life (a backstop; calls have wall timeouts)
    memory_bytes: int = 2 << 30  # RLIMIT_AS
    file_bytes: int = 64 << 20  # RLIMIT_FSIZE: the largest file the worker may write
    processes: int = 64  # RLIMIT_NPROC for the worker's uid
    open_files: int = 256  # RLIMIT_NOFILE

    def apply(self) -> None:
        """Run in the child before exec (preexec_fn); inherited by everything it starts."""
        for which, value in (
            (resource.RLIMIT_CPU, self.cpu_seconds),
            (resource.RLIMIT_AS, self.memory_bytes),
            (resource.RLIMIT_FSIZE, self.file_bytes),
            (resource.RLIMIT_NPROC, self.processes),
            (resource.RLIMIT_NOFILE, self.open_files),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(which, (value, value))


def is_root() -> bool:
    return os.geteuid() == 0


@lru_cache(maxsize=None)
def namespace_prefix() -> tuple[str, ...]:
    """The command prefix that puts the worker in new PID and network namespaces (the best that
    works here, tried in order), or () where `unshare` cannot make any."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    user = () if is_root() else ("--user", "--map-root-user")
    candidates = [
        (unshare, *user, "--pid", "--net", "--fork", "--kill-child"),
        (unshare, *user, "--pid", "--fork", "--kill-child"),
    ]
    for prefix in candidates:
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.SubprocessError):
            continue
    return ()


class UidSlot:
    """An unprivileged uid held for one worker at a time (a lock file per uid)."""

    def __init__(self) -> None:
        LOCK_DIR.mkdir(mode=0o755, exist_ok=True)
        for uid in range(UID_BASE, UID_BASE + UID_SLOTS):
            handle = open(LOCK_DIR / f"{uid}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self.uid, self._handle = uid, handle
            kill_uid(uid)  # leftovers of a grader that died without cleaning up
            return
        raise OSError("no free worker uid slot")

    def release(self) -> None:
        kill_uid(self.uid)
        self._handle.close()


def kill_uid(uid: int, rounds: int = 20) -> None:
    """SIGKILL every process of `uid`: double-forked daemons that called setsid included."""
    for _ in range(rounds):
        found = False
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # A zombie keeps its /proc entry until reaped but runs nothing: skip it.
                if entry.stat().st_uid == uid and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    os.kill(int(entry.name), signal.SIGKILL)
                    found = True
            except (OSError, ValueError, IndexError):
                continue
        if not found:
            return
        time.sleep(0.01)


def hide(paths: list[Path]) -> list[Path]:
    """Remove group/other access from paths the worker's uid must not read; return those changed."""
    changed = []
    for path in paths:
        try:
            mode = path.stat().st_mode
        except OSError:
            continue
        if mode & 0o077:
            path.chmod(mode & 0o700)
            changed.append(path)
    return changed


def describe_layers(uid_drop: bool, prefix: tuple[str, ...], hidden: list[Path]) -> IsolationReport:
    pidns, netns = "--pid" in prefix, "--net" in prefix
    return IsolationReport((
        Layer("rlimits", True, "CPU, mémoire (adresse), taille des fichiers, processus, fichiers ouverts"),
        Layer("uid", uid_drop, "le code étudiant tourne sous un uid non privilégié, un par emplacement"
              if uid_drop else "le grader ne tourne pas en root : le code étudiant garde l'uid du grader "
              "(RLIMIT_NPROC et la protection des fichiers cachés en dépendent)"),
        Layer("pid-namespace", pidns, "tout ce que lance la soumission meurt avec son worker"
              if pidns else "unshare --pid indisponible : arrêt par groupe de processus"
              + (" et par uid" if uid_drop else " seulement (un démon setsid peut survivre)")),
        Layer("hidden-files", uid_drop and bool(hidden),
              "illisibles pour le worker : " + ", ".join(str(p) for p in hidden) if uid_drop and hidden
              else "sans changement d'uid, reference/ et solutions/ restent lisibles par le code étudiant"),
        Layer("network", netns, "espace de noms réseau vide : aucune connexion possible" if netns
              else "unshare --net indisponible : le code étudiant a accès au réseau"),
    ))
