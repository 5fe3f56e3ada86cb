"""The worker: the only process that imports student code (the untrusted side).

Started by `session.py` as `python -I worker.py IN_FD OUT_FD SUBMISSION_DIR`, already inside its
limits, under its own uid where the grader is root. It answers one request at a time: a probe
name and its arguments in, a value or an error description out. Nothing it sends is trusted:
the grader validates every frame, and the marks are computed on the grader's side.
"""
from __future__ import annotations

import os
import sys
import traceback

# `python -I` leaves the script's directory off sys.path: put the runtime first, then import
# numpy and the probes before the submission is on sys.path, so that a student's `numpy.py`
# or `probes.py` cannot shadow them; the submission goes last on the path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy  # noqa: E402,F401

import probes  # noqa: E402
import protocol  # noqa: E402

MESSAGE_LIMIT = 2000
CLONE_THREAD = 0x10000
DENIED_SYSCALLS = (
    "execve", "execveat", "fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2",
    "pivot_root", "chroot", "unshare", "setns", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
    "kexec_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff", "io_uring_setup",
)


def install_seccomp() -> str:
    """Deny new processes, new programs, network sockets and kernel-level tricks; threads stay
    allowed (clone with CLONE_THREAD). Returns "active", or why it could not be loaded."""
    try:
        import errno
        import socket

        import pyseccomp as sc

        rules = sc.SyscallFilter(sc.ALLOW)
        for name in DENIED_SYSCALLS:
            rules.add_rule(sc.ERRNO(errno.EPERM), name)
        rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")  # its flags are out of reach: libc falls back to clone
        rules.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
        for family in (socket.AF_INET, socket.AF_INET6, socket.AF_PACKET, socket.AF_NETLINK):
            rules.add_rule(sc.ERRNO(errno.EACCES), "socket", sc.Arg(0, sc.EQ, family))
        rules.load()
        return "active"
    except Exception as exc:  # no pyseccomp, no libseccomp, an unknown syscall name...
        return f"{type(exc).__name__}: {exc}"[:200]


def describe(exc: BaseException, submission: str) -> dict:
    """Type, message and the last line of student code in the traceback of `exc`."""
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(submission + os.sep):
            where = f"{os.path.relpath(frame.filename, submission)}:{frame.lineno}"
    kind = "import" if getattr(exc, "_dlgrade_import", False) else "exception"
    filename, line = getattr(exc, "location", None) or ((exc.filename, exc.lineno) if isinstance(exc, SyntaxError)
                                                          else (None, None))
    if isinstance(filename, str) and filename.startswith(submission + os.sep):
        where = f"{os.path.relpath(filename, submission)}:{line}"
    try:
        message = str(exc)[:MESSAGE_LIMIT]
    except BaseException:  # a student exception whose __str__ raises
        message = "?"
    return {"kind": kind, "type": type(exc).__name__[:100], "message": message, "where": where}


def serve(in_fd: int, out_fd: int, submission: str, seccomp: bool) -> None:
    status = {"seccomp": install_seccomp() if seccomp else "off"}
    probes.PROBES["ping"] = lambda: status
    sys.path.append(submission)
    os.chdir(submission)
    worker_pid = os.getpid()
    while True:
        try:
            header, request = protocol.receive(in_fd)
        except protocol.StreamClosed:
            return
        reply = {"id": header.get("id"), "ok": True}
        try:
            value = probes.run(header.get("probe"), request)
        except BaseException as exc:  # SystemExit and pytest.skip() from student code included
            reply.update(ok=False, error=describe(exc, submission))
            value = None
        if os.getpid() != worker_pid:  # a child forked by student code must not answer nor read requests
            os._exit(0)
        try:
            protocol.send(out_fd, reply, value)
        except TypeError as exc:  # the student returned something we cannot send
            reply.update(ok=False, error={"kind": "invalid", "type": "TypeError", "message": str(exc), "where": None})
            protocol.send(out_fd, reply, None)


if __name__ == "__main__":
    options = sys.argv[4:]
    if "--preload" in options:  # what the TP needs (torch…), imported before the submission is on the path
        for name in options[options.index("--preload") + 1].split(","):
            __import__(name)
    serve(int(sys.argv[1]), int(sys.argv[2]), os.path.realpath(sys.argv[3]), "--seccomp" in options)
