"""One worker process per submission, kept for all of its tests and restarted after a crash.

The grader calls `WorkerSession.call(probe, request)`; what comes back is validated plain data,
or a `CallFailure` saying (in French) what the student's code did: raised, hung, crashed, exited,
or sent something malformed. Nothing here ever raises because of student code.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: `grader check` runs unsandboxed and never starts a worker
    fcntl = None

from .layers import IsolationReport, Layer, linux_root_templates, make_plan, python_paths, worker_command
from .limits import Cgroup, UidSlot, become_subreaper, hide, kill_uid
from .policy import (Budget, CallFailure, SandboxError, SandboxPolicy, base_environment, describe_exit,
                     fast_scratch, remove_stale_scratch)
from .runtime import FOLDER as RUNTIME
from .runtime import protocol
from .templates import PROCESS_TEMPLATES, Template, TemplateChild, TemplateError

RUNTIME_FILES = ("worker.py", "protocol.py")
SKIPPED_NAMES = {".git", ".venv", "venv", "__pycache__", "node_modules", ".pytest_cache"}
MAX_COPIED_FILE = 20 << 20  # bytes: larger files of a submission are not copied
STARTUP_TIMEOUT = 60.0  # seconds for the worker to import numpy (torch later) and answer
MAX_COPIED_TOTAL = 100 << 20  # bytes of a submission's copy, all files together: the rest is not copied
MAX_REPLY = 256 << 20  # bytes of one answer of the worker (the grader's own memory is at stake)
MAX_REPLY_NUMBERS = 1 << 25  # numbers in one answer: 256 MiB once the grader reads them as float64
REPEAT_TIMEOUT = (0.1, 2.0)  # a call that timed out once: later calls of it wait this share of their delay (at least s)


class WorkerSession:
    """A private copy of the submission and the worker process that serves it."""

    def __init__(self, submission: Path, policy: SandboxPolicy, take: bool = False, budget: Budget | None = None) -> None:
        """`take`: the submission is a scratch copy this session may move in instead of copying it.
        `budget`: the grading's time for all its calls (none: each call has its own delay only)."""
        become_subreaper()
        remove_stale_scratch()
        self.policy = policy
        self.budget = budget
        self.restarts = 0
        self.skipped: list[str] = []  # files of the submission left out of the copy (too large), French
        self._timed_out: set[tuple] = set()  # calls that ran out of time once: not waited for again at length
        self._uid_slot = UidSlot() if os.geteuid() == 0 and "uid" not in policy.without else None
        uid = self._uid_slot.uid if self._uid_slot else None
        hidden = [p for p in policy.hidden_paths if p.exists()]
        if uid is not None:  # unreadable to another uid; with bubblewrap they are not even mounted
            hide(hidden)
        self.plan = make_plan(uid, policy.without, hidden, policy.masked_paths, linux_root_templates())
        self.isolation: IsolationReport = self.plan.report
        # Names carry the grader's pid, so that what a grader leaves behind can be told apart.
        tag = f"dlgrade-{os.getpid()}-"
        # With bubblewrap's view the worker never writes here: a tmpfs makes the copy and its removal cheap.
        self._root = Path(tempfile.mkdtemp(prefix=tag, dir=fast_scratch() if self.plan.bwrap else None))
        self._cgroup = Cgroup(tag + self._root.name[len(tag):], policy.limits) if self.plan.cgroup else None
        self._root.chmod(0o711)  # the worker uid may traverse, not list
        self._submission = self._root / "submission"
        self._runtime = self._root / "runtime"
        self._home = self._root / "home"
        self._copy_submission(submission, take)
        self._proc: subprocess.Popen | TemplateChild | None = None
        self._next_id = 0
        self._started = False  # a worker of this session has answered once
        self._greeted = False  # the running worker has answered its first ping
        self._last: subprocess.Popen | TemplateChild | None = None  # the last worker launched
        # Start now what takes long (a fresh interpreter importing torch, or this process's template),
        # while the trusted side sets its own tests up: the first call then finds it ready.
        try:
            if self.plan.templates:
                self._template()
            else:
                self._launch()
        except OSError:
            self.close()
            raise

    # ------------------------------------------------------------ set-up

    def _copy_submission(self, source: Path, take: bool) -> None:
        """A private copy (or the scratch export itself, moved in): files over MAX_COPIED_FILE, and
        every file once MAX_COPIED_TOTAL bytes are copied, are left out (a compressible repository
        is small in git and large on disk), and said in `skipped`."""
        total, base = [0], [str(source)]

        def ignore(directory: str, names: list[str]) -> set[str]:
            skipped = {n for n in names if n in SKIPPED_NAMES}
            for name in sorted(names):
                path = os.path.join(directory, name)
                if name in skipped or os.path.islink(path) or not os.path.isfile(path):
                    continue
                size = os.path.getsize(path)
                if size > MAX_COPIED_FILE or total[0] + size > MAX_COPIED_TOTAL:
                    skipped.add(name)
                    if len(self.skipped) < 20:
                        self.skipped.append(os.path.relpath(path, base[0]))
                else:
                    total[0] += size
            return skipped

        moved = False
        if take:
            try:
                os.rename(source, self._submission)  # a scratch export on the same file system: no second copy
                moved = True
            except OSError:
                pass
        if moved:
            base[0] = str(self._submission)
            for directory, names, files in os.walk(self._submission, topdown=True):
                for name in ignore(directory, names + files):
                    path = os.path.join(directory, name)
                    shutil.rmtree(path) if name in names else os.unlink(path)
                names[:] = [n for n in names if n not in SKIPPED_NAMES]
        else:
            # symlinks=True: a link to reference/ stays a link, which the worker cannot follow;
            # copying its target as root would hand the hidden files over.
            shutil.copytree(source, self._submission, symlinks=True, ignore=ignore)
        self._runtime.mkdir()
        for name in RUNTIME_FILES:
            shutil.copy(RUNTIME / name, self._runtime / name)
        shutil.copy(self.policy.probes_path, self._runtime / "probes.py")
        for sub in ("home", "home/tmp"):
            (self._root / sub).mkdir(exist_ok=True)
        if self._uid_slot:
            uid = self._uid_slot.uid
            for path in (self._submission, self._home):
                for dirpath, dirnames, filenames in os.walk(path):
                    for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                        os.lchown(name, uid, uid)
                path.chmod(0o700)

    def _environment(self) -> dict[str, str]:
        # Under bubblewrap every write goes to the size-capped /tmp; otherwise to the slot's home.
        home = Path("/tmp") if self.plan.bwrap else self._home
        return {**base_environment(), "HOME": str(home), "TMPDIR": str(home if self.plan.bwrap else home / "tmp")}

    def _preexec(self) -> None:
        """In the child, before exec: limits and cgroup, inherited by all it will start."""
        self.policy.limits.apply(address_space=not self.plan.gpu_devices)
        if self._cgroup:
            self._cgroup.join()

    def _launch(self) -> None:
        """Start a worker (forked from the template, else a fresh interpreter); no request yet."""
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        for fd in (to_worker_w, from_worker_w):
            widen_pipe(fd)
        try:
            self._proc = self._from_template((to_worker_r, from_worker_w)) if self.plan.templates else None
            if self._proc is None:
                self._proc = self._fresh_worker(to_worker_r, from_worker_w)
        finally:
            os.close(to_worker_r)
            os.close(from_worker_w)
        os.set_blocking(to_worker_w, False)  # a worker that stops reading cannot hold the grader's writes
        self._in, self._out = from_worker_r, to_worker_w
        self._greeted, self._last = False, self._proc

    def _greet(self) -> None:
        """The worker's first answer: it is up, and says whether its seccomp filter loaded."""
        try:
            status = self._request("ping", {}, STARTUP_TIMEOUT)
        except CallFailure as failure:
            self.stop()
            raise SandboxError(
                f"the worker did not start ({failure.message}); is {self.policy.python} readable by "
                f"the worker uid? Create the environment with ./setup.sh") from None
        self._note_seccomp(status)
        self._greeted = True

    def _fresh_worker(self, to_worker_r: int, from_worker_w: int) -> subprocess.Popen:
        """A new interpreter, confined from outside: [unshare] [setpriv] [bwrap] python worker.py."""
        inner = [self.policy.python, "-I", str(self._runtime / "worker.py"), str(to_worker_r), str(from_worker_w),
                 str(self._submission), *(["--seccomp"] if self.plan.seccomp else []),
                 *(["--preload", ",".join(self.policy.preload)] if self.policy.preload else [])]
        # Under bubblewrap the submission is read-only: writes go to /tmp, a tmpfs of limited size.
        command = worker_command(self.plan, inner, self._binds(), [], self.policy.limits.tmp_bytes, self._submission,
                                 self.policy.masked_paths)
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_worker_r, from_worker_w), env=self._environment(), cwd=self._root,
            start_new_session=True, preexec_fn=self._preexec)

    def _binds(self) -> list[Path]:
        return [*python_paths(self.policy.python), self._runtime, self._submission]

    def _from_template(self, fds: tuple[int, int]) -> TemplateChild | None:
        """A fork of this process's template, which confines itself with the same layers as a fresh
        worker (confine.py). None, and a fresh worker instead, when no template can be had."""
        try:
            template = self._template()
            if template is None:
                return None
            layers = {layer.name: layer.active for layer in self.isolation.layers}
            view = self._root / "view"
            view.mkdir(exist_ok=True)
            spec = {"uid": self.plan.uid, "cgroup_dirs": [str(d) for d in self._cgroup.dirs] if self._cgroup else [],
                    "rlimits": self.policy.limits.settings(address_space=not self.plan.gpu_devices),
                    "view": bool(self.plan.bwrap), "pid_namespace": layers["pid-namespace"],
                    "network_namespace": layers["network"], "root": str(view),
                    "binds": [str(p) for p in self._binds()], "masked": [str(p) for p in self.policy.masked_paths],
                    "tmp_bytes": self.policy.limits.tmp_bytes, "gpu_devices": list(self.plan.gpu_devices),
                    "submission": str(self._submission), "env": self._environment(), "seccomp": self.plan.seccomp}
            return TemplateChild(template, template.spawn(spec, fds))
        except TemplateError:
            return None

    def _template(self) -> Template | None:
        """This process's template for these imports (started, not waited for); None if it cannot start."""
        try:
            return PROCESS_TEMPLATES.get(self.policy.python, self.policy.probes_path, self.policy.preload,
                                         base_environment())
        except TemplateError:
            return None

    def _note_seccomp(self, status: object) -> None:
        """The worker says whether its seccomp filter loaded: the report must not claim more."""
        result = status.get("seccomp") if isinstance(status, dict) else None
        if self.plan.seccomp and result != "active":
            layers = tuple(Layer("seccomp", False, f"le filtre n'a pas pu être chargé : {str(result)[:120]}")
                           if layer.name == "seccomp" else layer for layer in self.isolation.layers)
            self.isolation = IsolationReport(layers)

    # ------------------------------------------------------------ calls

    def call(self, probe: str, request: dict, timeout: float | None = None) -> Any:
        """Run one probe in the worker; return its validated value or raise `CallFailure`. A call
        that timed out once waits a tenth of its delay the next times; none waits past the budget."""
        timeout = min(timeout or self.policy.call_timeout, self.policy.timeout_cap or float("inf"))
        key = (probe, *(str(request.get(name))[:200] for name in ("module", "function", "factory", "fit", "cls")))
        repeated = key in self._timed_out
        if repeated:
            timeout = min(timeout, max(REPEAT_TIMEOUT[1], timeout * REPEAT_TIMEOUT[0]))
        cut = False
        if self.budget is not None:
            left = self.budget.left()
            if left <= 0.05:
                raise CallFailure("timeout", f"temps de notation du TP épuisé ({self.budget.seconds:g} s en tout) : "
                                  "cet appel n'a pas été fait (des appels précédents ont dépassé leur délai)",
                                  detail="budget")
            cut, timeout = left < timeout, min(timeout, left)
        try:
            return self._call(probe, request, timeout)
        except CallFailure as failure:
            if failure.kind == "timeout":
                self._timed_out.add(key)
                if cut:
                    failure.message += f" ; temps de notation du TP épuisé ({self.budget.seconds:g} s en tout)"
                elif repeated:
                    failure.message += " ; délai réduit : cet appel avait déjà dépassé son délai"
                failure.args = (failure.message,)
            raise

    def _call(self, probe: str, request: dict, timeout: float) -> Any:
        if self._proc is None or self._proc.poll() is not None:
            self.stop()
            if self._started:
                self.restarts += 1
            self._launch()
        if not self._greeted:
            try:
                self._greet()
            except SandboxError:
                if not isinstance(self._last, TemplateChild):
                    raise
                self._no_more_templates("le processus issu du modèle n'a pas démarré")
                self._launch()
                self._greet()
            self._started = True
        return self._request(probe, request, timeout)

    def _no_more_templates(self, why: str) -> None:
        """Fresh workers from now on in this session, and the report says so."""
        self.plan = replace(self.plan, templates=False)
        self.isolation = IsolationReport(tuple(Layer("templates", False, f"{why} : un processus neuf par rendu")
                                               if layer.name == "templates" else layer
                                               for layer in self.isolation.layers))

    def _request(self, probe: str, request: dict, timeout: float) -> Any:
        self._next_id += 1
        ident = self._next_id
        deadline = time.monotonic() + timeout
        try:
            protocol.send(self._out, {"id": ident, "probe": probe}, request, deadline)
            while True:
                header, value = protocol.receive(self._in, deadline, MAX_REPLY, MAX_REPLY_NUMBERS)
                if header.get("id") == ident:  # anything else was forged by student code: dropped
                    break
        except protocol.ReadTimeout:
            self.stop()
            raise CallFailure("timeout", f"délai dépassé : votre code n'a pas répondu en {timeout:.3g} s "
                              "(boucle infinie ?) ; il a été arrêté puis relancé pour la suite",
                              detail=f"{timeout:.3g} s") from None
        except (protocol.StreamClosed, BrokenPipeError):
            code = self.stop(grace=1.0)
            raise CallFailure("crash", "votre code a arrêté le processus de test "
                              f"({describe_exit(code)}) ; il a été relancé pour la suite",
                              detail=describe_exit(code)) from None
        except protocol.ProtocolError as exc:
            self.stop()
            raise CallFailure("invalid", f"réponse illisible du processus de test ({exc})") from None
        if header.get("ok") is True:
            return value
        error = header.get("error")
        if not isinstance(error, dict):
            raise CallFailure("invalid", "réponse mal formée du processus de test")
        return self._raise_student_error(error)

    @staticmethod
    def _raise_student_error(error: dict) -> Any:
        text = lambda key, cap: str(error.get(key) or "")[:cap]  # noqa: E731 - student text, capped
        kind = error.get("kind") if error.get("kind") in ("exception", "import", "invalid") else "exception"
        where = f" ({text('where', 200)})" if error.get("where") else ""
        etype, message = text("type", 100), text("message", 500)
        if kind == "import":
            raise CallFailure(kind, f"votre module ne s'importe pas{where} : {message}", etype)
        if etype == "NotImplementedError":
            raise CallFailure(kind, f"fonction pas encore écrite (NotImplementedError){where}", etype)
        if kind == "invalid":
            raise CallFailure(kind, f"résultat impossible à transmettre : {message}", etype)
        raise CallFailure(kind, f"votre code a levé {etype}{where} : {message}", etype)

    # ------------------------------------------------------------ tear-down

    def stop(self, grace: float = 0.0) -> int | None:
        """End the worker and everything it started; return its exit code when it had one
        (waiting up to `grace` seconds for a worker that is already on its way out)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        try:
            code = proc.wait(timeout=grace) if grace else proc.poll()
        except subprocess.TimeoutExpired:
            code = None
        if self._cgroup:  # every process the worker started is in it: none can leave
            self._cgroup.kill()
        elif self._uid_slot:  # without a cgroup, by uid (the slot's release sweeps it again in any case)
            kill_uid(self._uid_slot.uid)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
        if self._cgroup:  # orphans re-parented to us by then: reap them
            self._cgroup.kill()
        for fd in (self._in, self._out):
            try:
                os.close(fd)
            except OSError:
                pass
        return code

    def close(self) -> None:
        self.stop()
        if self._cgroup:
            self._cgroup.remove()
        if self._uid_slot:
            # Even with the cgroup emptied, the zombies of a killed PID namespace may reach us (the
            # subreaper) only after its init dies: the release's sweep reaps them and waits until no
            # process of the uid is left (one /proc scan when none is).
            self._uid_slot.release()
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> WorkerSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def widen_pipe(fd: int) -> None:
    """Ask for a 1 MiB pipe buffer: a 1000×100 array then crosses in one write, not thirteen."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (OSError, AttributeError):  # fcntl None, not Linux, or above /proc/sys/fs/pipe-max-size
        pass
