"""Resource limits of a worker and the handles that end it: rlimits, a cgroup, a uid slot.

Everything here acts on the machine (setrlimit, /sys/fs/cgroup, kill); `layers.py` decides
which of these a run can use and reports it.
"""
from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

try:  # POSIX only: on Windows the grader still imports (for `grader check`), without sandbox
    import fcntl
    import resource
except ImportError:  # pragma: no cover - exercised by a test that hides these modules
    fcntl = resource = None

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

    def settings(self, address_space: bool = True) -> list[tuple[str, int]]:
        """(resource name, value) of every limit, e.g. ("RLIMIT_CPU", 600)."""
        settings = [("RLIMIT_CPU", self.cpu_seconds), ("RLIMIT_FSIZE", self.file_bytes),
                    ("RLIMIT_NPROC", self.processes), ("RLIMIT_NOFILE", self.open_files), ("RLIMIT_CORE", 0)]
        if address_space:  # CUDA reserves huge virtual ranges: GPU workers use the cgroup instead
            settings.append(("RLIMIT_AS", self.memory_bytes))
        return settings

    def apply(self, address_space: bool = True) -> None:
        """Run in the child before exec (preexec_fn); inherited by everything it starts."""
        for name, value in self.settings(address_space):
            resource.setrlimit(getattr(resource, name), (value, value))


class Cgroup:
    """A memory + pids cgroup for one worker (v1 or v2, root only): a limit that works with CUDA,
    and a list of every process the submission started."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.dirs = cgroup_dirs(name)
        if not self.dirs:
            raise OSError("no writable memory/pids cgroup")
        remove_stale_cgroups(CGROUP_ROOT)
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

    def processes(self) -> set[int]:
        return {int(p) for d in self.dirs for p in _read(d / "cgroup.procs").split()}

    def kill(self) -> None:
        sweep(self.processes)

    def remove(self) -> None:
        """Kill what is left, reap it, and delete the cgroup (a zombie would keep it busy)."""
        sweep(self.processes)
        for directory in self.dirs:
            try:
                directory.rmdir()
            except OSError:
                pass


STALE = re.compile(r"^dlgrade-(\d+)-")
_stale_removed: set[Path] = set()  # cgroup roots already cleaned by this process (once each: a scan of the tree)


def remove_stale_cgroups(root: Path) -> None:
    """Remove the empty cgroups that a grader killed before its clean-up left behind (SIGKILL, a
    job's timeout): named after a grader pid that no longer runs. rmdir removes only an empty
    cgroup, and a pid in use, even by another process, is left alone."""
    if root in _stale_removed:
        return
    _stale_removed.add(root)
    for directory in [*root.glob("dlgrade-*"), *root.glob("*/dlgrade-*")]:
        match = STALE.match(directory.name)
        if match and process_state(int(match[1])) is None:
            try:
                directory.rmdir()
            except OSError:
                pass


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
        """Give the uid back, once no process of it is left."""
        kill_uid(self.uid)
        self._handle.close()


def become_subreaper() -> None:
    """Orphans of our workers (a killed sandbox's processes) are re-parented to the grader, which
    reaps them, instead of to the machine's init, which may leave them as zombies holding their
    cgroup. Linux only; elsewhere nothing happens."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


# The three fields process_state needs, in /proc/<pid>/status's order (Name, Umask, State, Tgid,
# Ngid, Pid, PPid, TracerPid, Uid, …). Only Name is the process's own text, and the kernel
# escapes its newlines: no line can be forged.
STATUS_FIELDS = re.compile(rb"^State:\s*(\S).*?^PPid:\s*(\d+).*?^Uid:\s*(\d+)", re.S | re.M)


def process_state(pid: int) -> tuple[int, str, int] | None:
    """(real uid, state letter, parent pid) of a process, read from /proc/<pid>/status: the
    owner of /proc/<pid> itself can be root for a process that changed uid. Reads the first
    2 KiB only (the fields come first): sweeps scan every process of the machine."""
    try:
        handle = os.open(f"/proc/{pid}/status", os.O_RDONLY)
        try:
            data = os.read(handle, 2048)
        finally:
            os.close(handle)
    except OSError:
        return None
    match = STATUS_FIELDS.search(data)
    if match is None:
        return None
    return int(match[3]), match[1].decode("ascii", "replace"), int(match[2])


def sweep(pids: Callable[[], set[int]], seconds: float = 5.0) -> None:
    """SIGKILL every process `pids()` lists, and reap those that are our children, until none is
    left, zombies included (or `seconds` pass: a zombie whose parent is not us waits for it).
    Waits between passes start at 0.1 ms and double up to 5 ms: a killed process is usually gone
    within a millisecond, and every grading ends with sweeps."""
    deadline, pause = time.monotonic() + seconds, 0.0001
    while time.monotonic() < deadline:
        remaining = False
        for pid in pids():
            state = process_state(pid)
            if state is None:
                continue
            remaining = True
            if state[1] != "Z":
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            elif state[2] == os.getpid():
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        if not remaining:
            return
        time.sleep(pause)
        pause = min(2 * pause, 0.005)


def uid_processes(uid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            state = process_state(int(entry.name))
            if state and state[0] == uid:
                found.add(int(entry.name))
    return found


def kill_uid(uid: int) -> None:
    """End every process of `uid`: double-forked daemons that called setsid included."""
    sweep(lambda: uid_processes(uid))


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
