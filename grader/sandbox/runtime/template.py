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

A template shared by a pool (`templates.py`) also listens on a socket in a folder only root may
enter, and serves each grading process that connects, one request at a time, the same way.

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
import select
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
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
        signal.set_wakeup_fd(-1)  # the template's own, before its descriptor is closed and reused
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
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


def main(control_fd: int, listen_fd: int | None = None) -> None:
    """Serve the owner's control socket and, when `listen_fd` is given (a template shared by a
    pool, see templates.py), every grading process that connects to it; end with the owner's."""
    control = socket.socket(fileno=control_fd)
    listener = socket.socket(fileno=listen_fd) if listen_fd is not None else None
    problem = ready_check(json.loads(os.environ.get("DLGRADE_PRELOAD", "[]")))
    libc = ctypes.CDLL(None)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no ptrace, no /proc/<pid>/mem for anyone but root
    # What a worker leaves when it is killed (its PID namespace's init) comes to the template, not
    # to the machine's init, and is reaped as soon as SIGCHLD says so: the grader's sweep of the
    # worker's uid then finds nothing left, whichever process started the template.
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    wake, wake_write = os.pipe()
    for fd in (wake, wake_write):
        os.set_blocking(fd, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_write)
    hello = json.dumps({"ready": not problem, "problem": problem}).encode()
    control.sendall(hello)
    clients = [control]
    exited: dict[int, int | None] = {}  # the workers forked, and how each ended
    while True:
        for client in select.select([wake, *clients, *([listener] if listener else [])], [], [])[0]:
            if client == wake:
                drain(wake)
                reap(exited)
                continue
            if client is listener:
                connection, _ = listener.accept()
                connection.sendall(hello)
                clients.append(connection)
                continue
            request, fds = receive(client)
            if request is None:
                if client is control:
                    return
                clients.remove(client)
                client.close()
                continue
            answer(client, request, fds, exited)


def answer(client: socket.socket, request: dict, fds: list[int], exited: dict[int, int | None]) -> None:
    for fd in fds if "spawn" not in request else ():
        os.close(fd)
    reap(exited)
    if "spawn" in request:
        pid = spawn(request["spawn"], fds)
        exited[pid] = None
        reply = {"pid": pid}
    else:
        status = exited.get(request.get("status"))
        if status is not None:
            del exited[request["status"]]
        reply = {"status": status}
    client.sendall(json.dumps(reply).encode())


def reap(exited: dict[int, int | None]) -> None:
    """Reap every child that ended; keep how each worker ended (None: running) until the grader
    asks. Orphans that came to the template are reaped and forgotten."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return
        if pid in exited:
            exited[pid] = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else None)
