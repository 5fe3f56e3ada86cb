"""A pool of grading processes that survives the death of any of them (DESIGN.md, trust boundary 6).

`concurrent.futures.ProcessPoolExecutor` gives up on every pending task when one of its processes
dies (a signal, the OOM killer, an interpreter crash): `BrokenProcessPool`, and a class run would
record nothing for the students still queued. Here each task says when it starts (a marker file
with its process id, in a folder only root may enter), so that when the pool breaks the tasks
that were running are told from those that had not started: the latter go to a new pool as if
nothing happened; the former are retried once, alone in a fresh process, then reported failed.
A task that runs past its time limit has its process killed, which is the same case. Every other
task runs as if the failed one did not exist.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

POLL = 0.5  # seconds between looks at the running tasks' ages
INTERRUPT_GRACE = 1.0  # seconds the pool's processes get to close their sandboxes after Ctrl-C


@dataclass(frozen=True)
class Task:
    key: Any  # what the caller knows the task by
    function: Callable[..., Any]  # a module-level function (it is pickled to the pool)
    args: tuple  # its arguments
    timeout: float  # wall-clock seconds after which its process is killed


@dataclass
class Pool:
    """How the pool's processes start; `run` grades a list of tasks."""
    workers: int  # processes at once
    context: Any = None  # multiprocessing context (the fork server's), None: the default
    initializer: Callable[..., Any] | None = None
    initargs: tuple = ()
    attempts: dict[Any, int] = field(default_factory=dict)  # task key -> deaths seen (for the caller's report)

    def run(self, tasks: list[Task], done: Callable[[Task, Any], None], failed: Callable[[Task, str], None]) -> None:
        """Run every task; call `done(task, value)` for each that returned and `failed(task, why)`
        (French) for each that raised, or whose process died twice (once among others, once alone)."""
        markers = Path(tempfile.mkdtemp(prefix=f"dlgrade-tasks-{os.getpid()}-"))
        try:
            queue, alone, rounds, stalled = list(tasks), [], 0, 0
            while queue or alone:
                batch, workers = (queue, self.workers) if queue else ([alone.pop(0)], 1)
                queue, rounds = [], rounds + 1
                folder = markers / str(rounds)
                folder.mkdir()
                died, untouched = self._round(batch, workers, folder, done, failed)
                stalled = stalled + 1 if len(untouched) == len(batch) else 0
                if stalled >= 3:  # no task even starts (the pool's processes die at their start): stop there
                    for task in untouched + alone:
                        failed(task, "les processus de notation ne démarrent pas")
                    return
                queue += untouched
                for task, why in died:
                    self.attempts[task.key] = self.attempts.get(task.key, 0) + 1
                    if self.attempts[task.key] >= 2:
                        failed(task, why)
                    else:
                        alone.append(task)
        finally:
            shutil.rmtree(markers, ignore_errors=True)

    def _round(self, batch: list[Task], workers: int, markers: Path, done: Callable, failed: Callable
               ) -> tuple[list[tuple[Task, str]], list[Task]]:
        """One pool over `batch`: ([(task whose process died, why)], [tasks to run again as if new:
        never started, or ended without their answer reaching us])."""
        killed: dict[int, str] = {}  # index -> why we killed its process
        futures: dict[Future, int] = {}
        answered: set[int] = set()
        with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=self.context, initializer=started,
                                 initargs=(self.initializer, self.initargs)) as pool, interruptible(pool):
            try:
                for index, task in enumerate(batch):
                    futures[pool.submit(marked, str(markers / str(index)), task.function, task.args)] = index
            except BrokenProcessPool:
                pass
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = futures[future]
                    try:
                        value = future.result()
                    except BrokenProcessPool:
                        continue
                    except Exception as exc:  # raised by the task itself: its own failure, nothing died
                        answered.add(index)
                        failed(batch[index], f"{type(exc).__name__}: {exc}"[:300])
                        continue
                    answered.add(index)
                    done(batch[index], value)
                self._kill_overdue(batch, markers, killed)
        died, untouched = [], []
        for index, task in enumerate(batch):
            if index in answered:
                continue
            if (markers / str(index)).exists():  # it started and never said it ended: its process died under it
                died.append((task, killed.get(index, "le processus de notation s'est arrêté en pleine notation "
                                                     "(signal, mémoire épuisée…)")))
            else:
                untouched.append(task)
        return died, untouched

    @staticmethod
    def _kill_overdue(batch: list[Task], markers: Path, killed: dict[int, str]) -> None:
        now = time.time()
        for marker in markers.iterdir():
            if not marker.name.isdigit():
                continue
            index = int(marker.name)
            try:
                started, pid = marker.stat().st_mtime, int(marker.read_text() or 0)
            except (OSError, ValueError):
                continue
            if pid and index not in killed and now - started > batch[index].timeout:
                killed[index] = f"la notation a dépassé {batch[index].timeout:g} s et a été arrêtée"
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


@contextmanager
def interruptible(pool: ProcessPoolExecutor) -> Iterator[None]:
    """Ctrl-C: the pool's processes got it too and close their sandboxes; give them a second to
    do so, then end them and the pool at once (not after their gradings), and let it propagate."""
    try:
        yield
    except KeyboardInterrupt:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + INTERRUPT_GRACE
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():
                process.kill()
        raise


_busy = False  # in a pool process: a task is running


def started(initializer: Callable[..., Any] | None, initargs: tuple) -> None:
    """In a pool process, first: Ctrl-C interrupts a task (its sandboxes close) but ends an idle
    process quietly, without the traceback of multiprocessing's queue on the instructor's terminal."""
    signal.signal(signal.SIGINT, interrupted)
    sys.unraisablehook = quiet_interrupts
    if initializer is not None:
        initializer(*initargs)


def quiet_interrupts(unraisable: Any) -> None:
    """A Ctrl-C that lands in a finalizer (a git.Repo's __del__) is dropped, not printed as a
    traceback: the pool is ended by the command a second later anyway."""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)


def interrupted(signum: int, frame: Any) -> None:
    if _busy:
        raise KeyboardInterrupt
    os._exit(128 + signum)


def marked(marker: str, function: Callable[..., Any], args: tuple) -> Any:
    """In a pool process: say that this task started (with this process's id), run it, say it ended
    (the marker goes: a marker left behind is a task whose process died under it)."""
    global _busy
    with open(marker, "w") as handle:
        handle.write(str(os.getpid()))
    _busy = True
    try:
        return function(*args)
    finally:
        _busy = False
        os.unlink(marker)
