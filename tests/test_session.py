"""Tests of grader/sandbox/session.py with real worker processes and tiny submissions."""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import LAYERS, CallFailure, SandboxPolicy, WorkerSession
from grader.sandbox.limits import Limits
from grader.sandbox.policy import fast_scratch

from .conftest import needs_root

CODE = '''
import os, signal, sys, time
import numpy as np

def square(x):
    return x * x

def fails(x):
    raise ValueError("mauvaise entrée " + "x" * 5000)

def stubbed():
    raise NotImplementedError("À compléter : stubbed")

def loops():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        pass

def exits():
    os._exit(0)

def raises_exit():
    sys.exit(0)

def huge():
    return np.ones(50_000_000_000 // 8)

def identity():
    return os.getuid()

def pid_one():
    return os.getpid()

def fork_bomb():
    pids = []
    for _ in range(500):
        pids.append(os.fork())
        if pids[-1] == 0:
            time.sleep(30)
            os._exit(0)
    return len(pids)

def daemon(path):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1.5)
            open(path, "w").write("daemon was here")
            os._exit(0)
        os._exit(0)
    return 1

def connect():
    import socket
    socket.create_connection(("127.0.0.1", 9), timeout=2)
    return 1

def odd():
    class Eq:
        def __eq__(self, other):
            return True
    return Eq()

def reads(path):
    return len(open(path).read())

class Counter:
    def __init__(self, start=0):
        self.value = start

    def add(self, k):
        self.value += k
        return self.value
'''


CONFIGS = {"all-layers": frozenset(), "no-bwrap": frozenset({"bwrap"}),
           "rlimits-uid-unshare": frozenset({"bwrap", "seccomp", "cgroup"})}


@pytest.fixture(params=sorted(CONFIGS))
def session(tmp_path: Path, project, request):
    (tmp_path / "sub" / "tp9").mkdir(parents=True)
    (tmp_path / "sub" / "tp9" / "__init__.py").write_text("")
    (tmp_path / "sub" / "tp9" / "m.py").write_text(CODE)
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "hidden.txt").write_text("expected = 42")
    policy = SandboxPolicy(probes_path=project.probes, call_timeout=2.0, limits=Limits(memory_bytes=1 << 30),
                           hidden_paths=(secret,), without=CONFIGS[request.param])
    with WorkerSession(tmp_path / "sub", policy) as worker:
        yield worker


def call(session, function, *args, timeout=None):
    return session.call("call", {"module": "tp9.m", "function": function, "args": args}, timeout)


def test_a_call_returns_plain_data(session):
    assert np.array_equal(call(session, "square", np.arange(4.0)), [0, 1, 4, 9])


def test_student_exception_becomes_a_capped_french_failure(session):
    with pytest.raises(CallFailure) as info:
        call(session, "fails", 1)
    assert info.value.kind == "exception"
    assert "ValueError" in info.value.message and "tp9/m.py" in info.value.message
    assert len(info.value.message) < 700


def test_stub_is_reported_as_not_written(session):
    with pytest.raises(CallFailure, match="pas encore écrite"):
        call(session, "stubbed")


def test_infinite_loop_ignoring_sigterm_times_out_and_worker_restarts(session):
    start = time.monotonic()
    with pytest.raises(CallFailure) as info:
        call(session, "loops", timeout=1.0)
    assert info.value.kind == "timeout" and time.monotonic() - start < 5
    assert call(session, "square", 3.0) == 9.0
    assert session.restarts == 1


def test_os_exit_is_a_crash_and_the_next_call_works(session):
    with pytest.raises(CallFailure) as info:
        call(session, "exits")
    assert info.value.kind == "crash"
    assert call(session, "square", 2.0) == 4.0


def test_sys_exit_is_an_exception_not_an_exit(session):
    with pytest.raises(CallFailure, match="SystemExit"):
        call(session, "raises_exit")


def test_huge_allocation_fails_inside_the_worker(session):
    with pytest.raises(CallFailure, match="MemoryError"):
        call(session, "huge")
    assert call(session, "square", 1.0) == 1.0


def test_objects_that_lie_about_equality_cannot_be_returned(session):
    with pytest.raises(CallFailure, match="Eq"):
        call(session, "odd")


def test_every_layer_is_reported(session):
    names = [layer.name for layer in session.isolation.layers]
    assert names == list(LAYERS)
    assert all(line.startswith(("[x]", "[ ]")) for line in session.isolation.lines())
    for name in session.policy.without:
        assert name in [layer.name for layer in session.isolation.missing]


@needs_root
def test_worker_runs_under_an_unprivileged_uid(session):
    assert call(session, "identity") != 0


@needs_root
def test_hidden_paths_are_unreadable(session, tmp_path):
    with pytest.raises(CallFailure, match="PermissionError|FileNotFoundError"):
        call(session, "reads", str(tmp_path / "secret" / "hidden.txt"))


@needs_root
def test_fork_bomb_is_capped_by_the_process_limit(session):
    with pytest.raises(CallFailure):
        call(session, "fork_bomb", timeout=10)


@needs_root
def test_double_forked_daemon_dies_with_the_worker(session, tmp_path):
    target = tmp_path / "victim.txt"
    target.write_text("original")
    target.chmod(0o666)
    try:
        assert call(session, "daemon", str(target)) == 1
    except CallFailure as failure:  # seccomp refuses fork outright
        assert "seccomp" not in session.policy.without and "PermissionError" in failure.message
    session.stop()
    time.sleep(2.5)
    assert target.read_text() == "original"


def test_network_is_unreachable_when_the_layer_is_active(session):
    if "network" in [layer.name for layer in session.isolation.missing]:
        pytest.skip("no network namespace on this machine")
    with pytest.raises(CallFailure, match="Error"):
        call(session, "connect")


def test_object_steps_keep_the_object_in_the_worker(session):
    request = {"module": "tp9.m", "cls": "Counter", "args": (5,), "kwargs": {},
               "steps": [("add", (2,), {}), ("add", (3,), {}), (".value", (), {})]}
    assert session.call("object_steps", request) == [7, 10, 10]


def test_object_steps_refuse_private_names(session):
    request = {"module": "tp9.m", "cls": "Counter", "steps": [("__class__", (), {})]}
    with pytest.raises(CallFailure, match="refusée"):
        session.call("object_steps", request)


def test_a_scratch_submission_is_taken_not_copied_and_pruned(tmp_path, project):
    # On the file system the session's own folder will be on, as collect's exports are.
    scratch = Path(tempfile.mkdtemp(dir=fast_scratch() or tmp_path)) / "export"
    (scratch / "tp9").mkdir(parents=True)
    (scratch / "tp9" / "__init__.py").write_text("")
    (scratch / "tp9" / "m.py").write_text(CODE)
    (scratch / ".git").mkdir()
    (scratch / ".git" / "config").write_text("[core]\n")
    (scratch / "tp9" / "big.bin").write_bytes(b"\0" * ((20 << 20) + 1))
    try:
        with WorkerSession(scratch, SandboxPolicy(probes_path=project.probes), take=True) as session:
            assert not scratch.exists()  # moved into the session, not copied
            kept = session._submission
            assert (kept / "tp9" / "m.py").exists() and not (kept / ".git").exists()
            assert not (kept / "tp9" / "big.bin").exists()
            assert session.call("call", {"module": "tp9.m", "function": "square", "args": [3]}) == 9
    finally:
        shutil.rmtree(scratch.parent, ignore_errors=True)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc only")
def test_process_state_reads_uid_state_and_parent_and_cannot_be_forged_by_a_name():
    """The sweeps trust process_state: a process naming itself with fake status lines must not
    change what is read, and a zombie must read as one."""
    import subprocess
    import sys

    from grader.sandbox.limits import process_state

    rename = ("import ctypes, time; ctypes.CDLL(None).prctl(15, b'x\\nUid:\\t12345\\nState:\\tZ', 0, 0, 0); "
              "print('ok', flush=True); time.sleep(30)")
    named = subprocess.Popen([sys.executable, "-c", rename], stdout=subprocess.PIPE, text=True)
    try:
        assert named.stdout.readline() == "ok\n"
        deadline = time.monotonic() + 10  # on a busy machine it may still be running on its way to sleep
        while process_state(named.pid)[1] == "R" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process_state(named.pid) == (os.getuid(), "S", os.getpid())
    finally:
        named.kill()
        named.wait()
    quick = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while (state := process_state(quick.pid)) and state[1] != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert state == (os.getuid(), "Z", os.getpid())  # exited, not yet reaped
    quick.wait()
    assert process_state(quick.pid) is None


@needs_root
def test_empty_cgroups_of_graders_that_no_longer_run_are_removed(monkeypatch, tmp_path):
    """A grader killed before its clean-up (SIGKILL, a job's timeout) leaves its empty cgroups:
    the next one removes them; those of a running grader stay."""
    from grader.sandbox import limits

    dead = 4_000_000  # above the kernel's pid_max: no process has it
    parent = next((p for p in (limits.CGROUP_ROOT / "memory", limits.CGROUP_ROOT) if os.access(p, os.W_OK)), None)
    if parent is None or not limits.cgroup_dirs("dlgrade-probe"):
        pytest.skip("no writable cgroup tree")
    stale, alive = parent / f"dlgrade-{dead}-abc", parent / f"dlgrade-{os.getppid()}-abc"
    stale.mkdir()
    alive.mkdir()
    try:
        monkeypatch.setattr(limits, "_stale_removed", set())
        cgroup = limits.Cgroup(f"dlgrade-{os.getpid()}-test", Limits())
        cgroup.remove()
        assert not stale.exists() and alive.exists()
    finally:
        for directory in (stale, alive):
            if directory.exists():
                directory.rmdir()


# ---------------------------------------------------------------- time budget, repeated timeouts, sizes

@pytest.fixture
def looping(tmp_path: Path, project):
    (tmp_path / "sub" / "tp9").mkdir(parents=True)
    (tmp_path / "sub" / "tp9" / "__init__.py").write_text("")
    (tmp_path / "sub" / "tp9" / "m.py").write_text(CODE)
    return tmp_path / "sub", SandboxPolicy(probes_path=project.probes, call_timeout=3.0)


def test_a_call_that_timed_out_once_is_not_waited_for_again_at_length(looping):
    from grader.sandbox.session import REPEAT_TIMEOUT

    submission, policy = looping
    with WorkerSession(submission, policy) as worker:
        with pytest.raises(CallFailure, match="3 s"):
            call(worker, "loops")
        started = time.monotonic()
        with pytest.raises(CallFailure, match="délai réduit"):
            call(worker, "loops")
        assert time.monotonic() - started < REPEAT_TIMEOUT[1] + 2  # cut at 2 s, not 3
        assert np.array_equal(call(worker, "square", np.arange(3.0)), [0, 1, 4])  # other functions: full delay


def test_once_the_grading_budget_is_spent_calls_fail_at_once(looping):
    from grader.sandbox.policy import Budget

    submission, policy = looping
    with WorkerSession(submission, policy, budget=Budget(4.0)) as worker:
        assert np.array_equal(call(worker, "square", np.arange(2.0)), [0, 1])
        started = time.monotonic()
        with pytest.raises(CallFailure):
            call(worker, "loops")  # 3 s
        with pytest.raises(CallFailure, match="temps de notation du TP épuisé"):
            call(worker, "loops", timeout=30)  # what was left of the 4 s, not 30
        with pytest.raises(CallFailure, match="temps de notation du TP épuisé") as failure:
            call(worker, "square", np.arange(2.0))  # not even asked
        assert failure.value.kind == "timeout" and time.monotonic() - started < 8


def test_the_policy_cap_bounds_the_tests_own_delays(looping):
    from dataclasses import replace

    submission, policy = looping
    with WorkerSession(submission, replace(policy, timeout_cap=1.0)) as worker:
        started = time.monotonic()
        with pytest.raises(CallFailure, match="1 s"):
            call(worker, "loops", timeout=60)
        assert time.monotonic() - started < 5


def test_a_submission_copy_stops_at_its_total_size(looping, monkeypatch):
    import grader.sandbox.session as session_module

    submission, policy = looping
    for index in range(5):
        with open(submission / f"zeros{index}.bin", "wb") as handle:
            handle.truncate(3 << 20)
    monkeypatch.setattr(session_module, "MAX_COPIED_TOTAL", 7 << 20)
    with WorkerSession(submission, policy) as worker:
        copied = sorted(p.name for p in worker._submission.iterdir() if p.suffix == ".bin")
        assert len(copied) == 2 and len(worker.skipped) == 3
        assert np.array_equal(call(worker, "square", np.arange(2.0)), [0, 1])  # the package itself is there


def test_scratch_folders_of_a_grader_that_no_longer_runs_are_removed(tmp_path):
    import subprocess
    import sys

    from grader.sandbox.policy import remove_stale_scratch

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    folder = Path(fast_scratch() or tempfile.gettempdir())
    stale = [folder / f"dlgrade-{pid}-abc", folder / f"dlgrade-export-{pid}-def"]
    alive = folder / f"dlgrade-{os.getpid()}-keep"
    for path in (*stale, alive):
        (path / "sub").mkdir(parents=True)
    try:
        remove_stale_scratch.cache_clear()
        remove_stale_scratch()
        assert not any(path.exists() for path in stale) and alive.exists()
    finally:
        for path in (*stale, alive):
            shutil.rmtree(path, ignore_errors=True)
