"""The grader's side of templates: start one, ask it for workers, follow what became of them.

A template (`template.py`) is a root process that has imported numpy, the probes and what the
TP needs (torch…), and forks one worker per submission; the fork confines itself before reading
anything (`confine.py`). A worker then starts in milliseconds instead of re-importing torch for
every submission, and is still a fresh process, never reused. One template per grading process
and set of imports, started on first use and kept (`Templates`); a dead one is started again.
`grader collect` starts its pool's templates itself (`shared=True`) while the pool starts, and
offers them to the pool's processes, which connect instead of starting their own: torch is
imported once per pool, not once per process.
"""
from __future__ import annotations

import array
import atexit
import json
import multiprocessing.util
import os
import select
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .layers import linux_root_templates, seccomp_available
from .policy import SandboxPolicy, base_environment
from .runtime import FOLDER as RUNTIME

FILES = ("template.py", "confine.py", "worker.py", "protocol.py")
START_TIMEOUT = 120.0  # seconds to import torch on a loaded machine
ANSWER_TIMEOUT = 10.0


class TemplateError(OSError):
    """The template could not start or stopped answering: grade with a fresh worker instead."""


class Template:
    def __init__(self, python: str, probes: Path, preload: tuple[str, ...], env: dict[str, str],
                 shared: bool = False) -> None:
        """`shared`: it also serves the grading processes that connect to `self.address` (a socket
        in a folder only root may enter): a pool's processes then share one template."""
        self.runtime = Path(tempfile.mkdtemp(prefix="dlgrade-template-"))
        self.runtime.chmod(0o755)
        for name in FILES:
            shutil.copy(RUNTIME / name, self.runtime / name)
        shutil.copy(probes, self.runtime / "probes.py")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        passed = [theirs]
        self.address: str | None = None
        if shared:
            folder = Path(tempfile.mkdtemp(prefix="dlgrade-template-socket-"))  # 0700: the worker uid cannot enter
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            listener.bind(str(folder / "control"))
            listener.listen(16)
            passed.append(listener)
            self.address = str(folder / "control")
        self._control = ours
        try:
            self._proc = subprocess.Popen(
                [python, "-I", str(self.runtime / "template.py"), *(str(s.fileno()) for s in passed)],
                pass_fds=[s.fileno() for s in passed], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, cwd=self.runtime, env={**env, "DLGRADE_PRELOAD": json.dumps(list(preload))},
                start_new_session=True)
        finally:
            for end in passed:
                end.close()
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
        if self.address:
            shutil.rmtree(Path(self.address).parent, ignore_errors=True)


class SharedTemplate(Template):
    """A grading process's connection to a template its pool's owner started (`shared=True`):
    the same requests; closing it leaves the template to its owner."""

    def __init__(self, address: str, pid: int) -> None:
        self._pid, self.address = pid, None
        self._pidfd = os.pidfd_open(pid)  # before connecting: the pid cannot be another process's since
        self._control = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._control.connect(address)
        except OSError:
            self.close()
            raise
        self._ready = False  # its first message says whether its imports went well

    @property
    def alive(self) -> bool:
        return not select.select([self._pidfd], [], [], 0)[0]

    @property
    def pid(self) -> int:
        return self._pid

    def close(self) -> None:
        for closing in (self._control.close, lambda: os.close(self._pidfd)):
            try:
                closing()
            except (OSError, AttributeError):
                pass


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


def template_key(python: str, probes: Path, preload: tuple[str, ...], env: dict[str, str]) -> tuple:
    return python, str(probes), tuple(preload), tuple(sorted(env.items()))


class Templates:
    """The templates of this grading process, by (interpreter, imports): started on first use,
    started again when one died, closed at exit. A template offered by the pool's owner
    (`offer`) is connected to instead of started; if it is gone, this process starts its own."""

    def __init__(self) -> None:
        self._running: dict[tuple, Template] = {}
        self._offers: dict[tuple, tuple[str, int]] = {}

    def offer(self, offers: dict[tuple, tuple[str, int]]) -> None:
        """Shared templates to use: {template_key(…): (address, pid)} (a pool's initializer)."""
        self._offers.update(offers)

    def get(self, python: str, probes: Path, preload: tuple[str, ...], env: dict[str, str]) -> Template:
        key = template_key(python, probes, preload, env)
        template = self._running.get(key)
        if template is None or not template.alive:
            if template is not None:
                template.close()
            template = None
            if key in self._offers:
                try:
                    template = SharedTemplate(*self._offers[key])
                except OSError:
                    pass
                if template is not None and not template.alive:
                    template.close()
                    template = None
                if template is None:  # gone: ours from now on
                    del self._offers[key]
            self._running[key] = template or Template(python, probes, preload, env)
        return self._running[key]

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


def offer_templates(offers: dict[tuple, tuple[str, int]]) -> None:
    """A pool's initializer: this process's templates, shared ones first (see `Templates.offer`).
    A pool process ends without running atexit: multiprocessing's own finalizers close them."""
    PROCESS_TEMPLATES.offer(offers)
    multiprocessing.util.Finalize(PROCESS_TEMPLATES, PROCESS_TEMPLATES.close, exitpriority=10)


def shared_templates(policies: list[SandboxPolicy], running: set[tuple] = frozenset()) -> dict[tuple, Template]:
    """Templates for these policies' workers, started now by a pool's owner and offered to its
    grading processes (`Templates.offer`): torch imported once for the whole pool, not once per
    process, and while the rest of the pool starts; none for the keys in `running`, nor where a
    worker would not use one (layers.make_plan: Linux, root, the uid and seccomp layers, templates
    not switched off)."""
    started: dict[tuple, Template] = {}
    if not linux_root_templates() or not seccomp_available():
        return started
    for policy in policies:
        key = template_key(policy.python, policy.probes_path, policy.preload, base_environment())
        if key not in started and key not in running and not {"uid", "seccomp", "templates"} & policy.without:
            try:
                started[key] = Template(policy.python, policy.probes_path, policy.preload, base_environment(),
                                        shared=True)
            except OSError:  # each grading process starts its own instead
                pass
    return started
