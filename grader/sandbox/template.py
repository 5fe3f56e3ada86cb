"""A template: a process that has already imported what workers need, and forks one per submission.

Started by the grader (`templates.py`) as `python -I template.py CONTROL_FD`, as root, from a
runtime folder holding this file, `confine.py`, `worker.py`, `protocol.py` and `probes.py`. It
imports numpy, the probes and, when asked, torch and scikit-learn, checks that nothing it holds
could be shared with a child (one thread, no writable shared memory), makes itself non-dumpable,
then answers the grader's requests on the control socket:

- {"spawn": spec} with the worker's two pipe ends attached: fork; the child confines itself
  (`confine.confine`: cgroup, limits, namespaces, its own root, the slot's uid) *before* it reads
  any request, then becomes the worker (`worker.serve`). Answer {"pid": …}.
- {"status": pid}: {"status": exit status as subprocess gives it, or null while it runs}.

It never runs student code and never reads the submission; the children run as another uid, in
other namespaces, with seccomp denying ptrace: nothing of theirs reaches it. If it dies, the
grader starts another (and falls back to a fresh worker for the grading at hand).
"""
from __future__ import annotations

import array
import ctypes
import json
import os
import random
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

PR_SET_DUMPABLE = 4
MAX_MESSAGE = 1 << 20


def receive(control: socket.socket) -> tuple[dict | None, list[int]]:
    fds = array.array("i")
    data, ancillary, _, _ = control.recvmsg(MAX_MESSAGE, socket.CMSG_LEN(2 * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return (json.loads(data) if data else None), list(fds)


def ready_check(preload: list[str]) -> str:
    """Import what workers need; say what would make forking unsafe (empty when none)."""
    import numpy  # noqa: F401

    import probes  # noqa: F401
    import protocol  # noqa: F401
    import worker  # noqa: F401
    for name in preload:
        __import__(name)
    threads = len(os.listdir("/proc/self/task"))
    shared = [line for line in open("/proc/self/maps") if line.split()[1][1:4] == "w-s"]
    if threads != 1:
        return f"{threads} threads after the imports"
    if shared:
        return f"{len(shared)} writable shared mappings after the imports"
    return ""


def spawn(spec: dict, fds: list[int]) -> int:
    import confine
    import worker

    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    try:  # the child: confine first, then serve; it never comes back here
        in_fd, out_fd = fds
        keep = {in_fd, out_fd}
        for fd in range(3, 1024):
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        confine.confine(spec)
        os.environ.clear()
        os.environ.update(spec["env"])
        random.seed()  # a child's randomness is its own, not a copy of the template's
        import numpy

        numpy.random.seed()
        worker.serve(in_fd, out_fd, spec["submission"], spec["seccomp"])
        os._exit(0)
    except BaseException:  # noqa: BLE001 - a child that cannot confine itself must just die
        os._exit(70)


def main(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    problem = ready_check(json.loads(os.environ.get("DLGRADE_PRELOAD", "[]")))
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no ptrace, no /proc/<pid>/mem for anyone but root
    control.sendall(json.dumps({"ready": not problem, "problem": problem}).encode())
    exited: dict[int, int] = {}
    while True:
        request, fds = receive(control)
        if request is None:
            return
        for fd in fds if "spawn" not in request else ():
            os.close(fd)
        while True:  # reap every child that ended: the grader may ask how
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if not pid:
                break
            exited[pid] = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        if "spawn" in request:
            answer = {"pid": spawn(request["spawn"], fds)}
        else:
            answer = {"status": exited.pop(request.get("status"), None)}
        control.sendall(json.dumps(answer).encode())


if __name__ == "__main__":
    main(int(sys.argv[1]))
