"""The grader's side of templates: start one, ask it for workers, follow what became of them.

A template (`template.py`) is a root process that has imported numpy, the probes and what the
TP needs (torch…), and forks one worker per submission; the fork confines itself before reading
anything (`confine.py`). A worker then starts in milliseconds instead of re-importing torch for
every submission, and is still a fresh process, never reused. One template per grading process
and set of imports, started on first use and kept (`Templates`); a dead one is started again.
"""
from __future__ import annotations

import array
import atexit
import json
import os
import select
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

FILES = ("template.py", "confine.py", "worker.py", "protocol.py")
START_TIMEOUT = 120.0  # seconds to import torch on a loaded machine
ANSWER_TIMEOUT = 10.0


class TemplateError(OSError):
    """The template could not start or stopped answering: grade with a fresh worker instead."""


class Template:
    def __init__(self, python: str, probes: Path, preload: tuple[str, ...], env: dict[str, str]) -> None:
        self.runtime = Path(tempfile.mkdtemp(prefix="dlgrade-template-"))
        self.runtime.chmod(0o755)
        here = Path(__file__).parent
        for name in FILES:
            shutil.copy(here / name, self.runtime / name)
        shutil.copy(probes, self.runtime / "probes.py")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._control = ours
        self._proc = subprocess.Popen(
            [python, "-I", str(self.runtime / "template.py"), str(theirs.fileno())], pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.runtime,
            env={**env, "DLGRADE_PRELOAD": json.dumps(list(preload))}, start_new_session=True)
        theirs.close()
        self._ready = False  # it imports torch meanwhile; the first spawn waits for its word

    def _wait_ready(self) -> None:
        if not self._ready:
            ready = self._answer(START_TIMEOUT)
            if not ready.get("ready"):
                self.close()
                raise TemplateError(f"template not usable: {ready.get('problem')}")
            self._ready = True

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _answer(self, timeout: float) -> dict:
        self._control.settimeout(timeout)
        try:
            data = self._control.recv(1 << 16)
        except OSError as exc:
            raise TemplateError(f"template did not answer ({exc})") from None
        if not data:
            raise TemplateError("template ended")
        return json.loads(data)

    def spawn(self, spec: dict, fds: tuple[int, int]) -> int:
        """A new worker, confined as `spec` says, serving on the two pipe ends `fds`: its pid."""
        self._wait_ready()
        try:
            self._control.sendmsg([json.dumps({"spawn": spec}).encode()],
                                  [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())])
        except OSError as exc:
            raise TemplateError(f"template unreachable ({exc})") from None
        return int(self._answer(ANSWER_TIMEOUT)["pid"])

    def status(self, pid: int) -> int | None:
        """How the worker `pid` ended (negative: killed by that signal), or None while it runs."""
        try:
            self._wait_ready()
            self._control.send(json.dumps({"status": pid}).encode())
            return self._answer(ANSWER_TIMEOUT).get("status")
        except (OSError, TemplateError):
            return None

    def close(self) -> None:
        try:
            self._control.close()
            self._proc.kill()
            self._proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.runtime, ignore_errors=True)


class TemplateChild:
    """A worker forked by a template, behind the part of subprocess.Popen's interface the session uses."""

    def __init__(self, template: Template, pid: int) -> None:
        self.template, self.pid, self.returncode = template, pid, None
        try:  # readable once the process has ended: no round trip to the template while it runs
            self._pidfd: int | None = os.pidfd_open(pid)
        except (OSError, AttributeError):
            self._pidfd = None

    def poll(self) -> int | None:
        if self.returncode is None and not self._running():
            if self.template.alive:
                self.returncode = self.template.status(self.pid)
            else:  # the template is gone: its children are ours now (the grader is a subreaper)
                self.returncode = reap(self.pid)
            if self.returncode is not None and self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
        return self.returncode

    def _running(self) -> bool:
        return self._pidfd is not None and not select.select([self._pidfd], [], [], 0)[0]

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            if not pid_exists(self.pid) and not self.template.alive:
                return self.returncode
            time.sleep(0.002)
        return self.returncode


def reap(pid: int) -> int | None:
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return 0 if not pid_exists(pid) else None
    if not done:
        return None
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class Templates:
    """The templates of this grading process, by (interpreter, imports): started on first use,
    started again when one died, closed at exit."""

    def __init__(self) -> None:
        self._running: dict[tuple, Template] = {}

    def get(self, python: str, probes: Path, preload: tuple[str, ...], env: dict[str, str]) -> Template:
        key = (python, str(probes), preload, tuple(sorted(env.items())))
        template = self._running.get(key)
        if template is None or not template.alive:
            if template is not None:
                template.close()
            template = self._running[key] = Template(python, probes, preload, env)
        return template

    def running(self) -> list[Template]:
        return [template for template in self._running.values() if template.alive]

    def close(self) -> None:
        for template in self._running.values():
            template.close()
        self._running.clear()


# One registry per grading process, closed at exit: a template is a process-wide resource (like a
# connection pool), kept across the gradings of `collect`'s pool processes; nothing else is kept.
PROCESS_TEMPLATES = Templates()
atexit.register(PROCESS_TEMPLATES.close)
