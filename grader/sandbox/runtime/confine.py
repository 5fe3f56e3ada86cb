"""Confine the current process as a worker, from inside: what bubblewrap, setpriv and the
launcher's limits do from outside, done with system calls by a child forked from a template.

Used only by `template.py`, as root, in the child it forks for one submission, *before* any byte
of the submission is read: cgroup and resource limits, new mount, PID, network, IPC and UTS
namespaces, a fresh root holding only what the worker may see (the same read-only binds as
bubblewrap's, a private size-capped /tmp, the installed datasets masked), then the slot's uid
with no capabilities and no new privileges. Imports only the standard library.
"""
from __future__ import annotations

import ctypes
import os
import platform
import signal
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(platform.machine())
DEVICES = ("null", "zero", "full", "random", "urandom")
ROOT_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

_libc = ctypes.CDLL(None, use_errno=True)


class ConfineError(Exception):
    """A confinement step failed: the child must not go on (the grader reports the worker dead)."""


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise ConfineError(f"{what}: {os.strerror(errno)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(*(None if v is None else v.encode() for v in (source, target, fstype)), flags,
                       None if data is None else data.encode()), f"mount {target}")


def bind(source: str, target: str, read_only: bool = True) -> None:
    mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def new_root(root: Path, spec: dict) -> None:
    """Mount the worker's view at `root` and make it `/`: only what is listed exists there."""
    mount("tmpfs", str(root), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    tmp = root / "tmp"  # first: the submission and the runtime are bound under it
    tmp.mkdir()
    mount("tmpfs", str(tmp), "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={spec['tmp_bytes']}")
    dev = root / "dev"  # before the binds too: the sandbox's own folders may be under /dev/shm
    dev.mkdir()
    mount("tmpfs", str(dev), "tmpfs", MS_NOSUID, "mode=0755,size=64k")
    for name in [*DEVICES, *(d.removeprefix("/dev/") for d in spec["gpu_devices"])]:
        (dev / name).touch()
        bind(f"/dev/{name}", str(dev / name), read_only=False)
    (dev / "shm").mkdir()
    mount("tmpfs", str(dev / "shm"), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m")
    for link in ROOT_LINKS:
        if os.path.islink(link):
            os.symlink(os.readlink(link), str(root) + link)
        elif os.path.isdir(link):
            _mkdir_bind(root, link)
    for path in ["/usr", "/etc", *spec["binds"]]:
        _mkdir_bind(root, path)
    for path in spec["masked"]:  # an empty read-only folder over it
        target = str(root) + path
        if os.path.isdir(target):
            mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "mode=0555,size=4k")
    (root / "proc").mkdir()
    mount("proc", str(root / "proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    old = root / ".old-root"
    old.mkdir()
    _check(_libc.syscall(SYS_PIVOT_ROOT, str(root).encode(), str(old).encode()), "pivot_root")
    os.chdir("/")
    _check(_libc.umount2(b"/.old-root", MNT_DETACH), "umount old root")
    os.rmdir("/.old-root")
    mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _mkdir_bind(root: Path, path: str) -> None:
    target = Path(str(root) + path)
    if os.path.isdir(path):
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    bind(path, str(target))


def confine(spec: dict) -> None:
    """Everything between the fork and the first byte of student code. On return, this process is
    the worker: pid 1 of its own namespaces when asked, under the slot's uid, limits applied.
    The process that called it ends up waiting, as the namespaces' parent, and never returns."""
    os.setsid()
    for directory in spec["cgroup_dirs"]:  # every process the submission starts stays in it
        Path(directory, "cgroup.procs").write_text(str(os.getpid()))
    for name, value in spec["rlimits"]:
        import resource

        resource.setrlimit(getattr(resource, name), (value, value))
    flags = (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) * bool(spec["view"]) \
        | CLONE_NEWPID * spec["pid_namespace"] | CLONE_NEWNET * spec["network_namespace"]
    if flags:
        _check(_libc.unshare(flags), "unshare")
    if spec["pid_namespace"]:  # the next child is pid 1 of the new namespace: it is the worker
        child = os.fork()
        if child:
            _wait_and_mirror(child)
        _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    if spec["view"]:
        mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here reaches the host
        new_root(Path(spec["root"]), spec)
    if spec["uid"] is not None:
        os.setgroups([])
        os.setresgid(spec["uid"], spec["uid"], spec["uid"])
        os.setresuid(spec["uid"], spec["uid"], spec["uid"])  # every capability goes with root
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.chdir(spec["submission"])


def _wait_and_mirror(child: int) -> None:
    """As the namespaces' parent: wait for the worker, then end the way it ended (same exit code,
    or the same signal), so that the grader reads the worker's own fate."""
    for fd in range(3, 1024):
        try:
            os.close(fd)
        except OSError:
            pass
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
