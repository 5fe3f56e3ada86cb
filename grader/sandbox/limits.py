"""Resource limits of a worker and the handles that end it: rlimits, a cgroup, a uid slot.

Everything here acts on the machine (setrlimit, /sys/fs/cgroup, kill); `layers.py` decides
which of these a run can use and reports it.
"""
from __future__ import annotations

import fcntl
import os
import resource
import signal
import time
from dataclasses import dataclass
from pathlib import Path

UID_BASE = 61000  # worker uids: one per parallel slot, never a real account
UID_SLOTS = 256
LOCK_DIR = Path("/tmp/dlgrade-slots")  # one lock file per uid, kept between runs
CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 600  # RLIMIT_CPU over the worker's whole life (a backstop; calls have wall timeouts)
    memory_bytes: int = 2 << 30  # RLIMIT_AS, or the memory cgroup's limit where RLIMIT_AS cannot be used (CUDA)
    file_bytes: int = 64 << 20  # RLIMIT_FSIZE: the largest file the worker may write
    processes: int = 64  # RLIMIT_NPROC for the worker's uid, and the pids cgroup's limit
    open_files: int = 256  # RLIMIT_NOFILE
    tmp_bytes: int = 256 << 20  # size of the worker's private /tmp (bubblewrap)

    def apply(self, address_space: bool = True) -> None:
        """Run in the child before exec (preexec_fn); inherited by everything it starts."""
        settings = [
            (resource.RLIMIT_CPU, self.cpu_seconds),
            (resource.RLIMIT_FSIZE, self.file_bytes),
            (resource.RLIMIT_NPROC, self.processes),
            (resource.RLIMIT_NOFILE, self.open_files),
            (resource.RLIMIT_CORE, 0),
        ]
        if address_space:  # CUDA reserves huge virtual ranges: GPU workers use the cgroup instead
            settings.append((resource.RLIMIT_AS, self.memory_bytes))
        for which, value in settings:
            resource.setrlimit(which, (value, value))


class Cgroup:
    """A memory + pids cgroup for one worker (v1 or v2, root only): a limit that works with CUDA,
    and a list of every process the submission started."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.dirs = cgroup_dirs(name)
        if not self.dirs:
            raise OSError("no writable memory/pids cgroup")
        for directory in self.dirs:
            directory.mkdir(exist_ok=True)
            for filename, value in (("memory.limit_in_bytes", limits.memory_bytes), ("memory.max", limits.memory_bytes),
                                    ("memory.memsw.limit_in_bytes", limits.memory_bytes),
                                    ("memory.swap.max", 0), ("pids.max", limits.processes)):
                if (directory / filename).exists():
                    try:
                        (directory / filename).write_text(str(value))
                    except OSError:  # memsw without swap accounting: the memory limit still holds
                        pass

    def join(self) -> None:
        """Run in the child before exec: it and all its descendants belong to this cgroup."""
        for directory in self.dirs:
            (directory / "cgroup.procs").write_text(str(os.getpid()))

    def kill(self) -> None:
        for _ in range(20):
            pids = {int(p) for d in self.dirs for p in _read(d / "cgroup.procs").split()}
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill()
        for directory in self.dirs:
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except OSError:
                    time.sleep(0.01)


def cgroup_dirs(name: str) -> list[Path]:
    """Where a cgroup named `name` goes: v2's unified tree, or v1's memory and pids trees."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        candidates = [CGROUP_ROOT / name]
    else:
        candidates = [CGROUP_ROOT / "memory" / name, CGROUP_ROOT / "pids" / name]
    return [c for c in candidates if os.access(c.parent, os.W_OK)] if os.geteuid() == 0 else []


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


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
