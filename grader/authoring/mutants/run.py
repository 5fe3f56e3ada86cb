"""Grading the mutants: in the sandbox, in parallel, each on the hidden tests of its function.

1. The solutions are graded on every hidden test: all must pass, else nothing below means much.
2. The test map: for each function holding an answer, the solutions with that one function
   stubbed (`raise NotImplementedError`, as `grader stubs` writes it) are graded on every hidden
   test. The tests that then fail are the tests that exercise the function, directly or through
   the functions that call it: they are "the tests that should catch" a mutant of it.
3. Each mutant is graded on its function's tests only (`RunOptions.only`): a test that never
   reaches the function cannot see the mutation. A test that fails kills it.
4. A survivor whose tests include held-out ones is graded once more on those with a second
   held-out secret: a mutant is a new submission, so it draws new held-out data, and a bug that
   a lucky draw let through must not be reported as a weakness of the tests (nor the reverse).

Every grading goes through a process pool (as `grader collect`) and a cache keyed by the
content of the graded package, the hidden side, the grader's version and the options, so a
second run regrades only what changed.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ... import __version__
from ...base.errors import GraderError, UsageError
from ...base.files import write_atomically
from ...grading.config import TP, Project
from ...grading.pool import Pool, Task
from ...grading.poolstart import JOB_MARGIN, PoolStart, project_tp
from ...grading.runner import RunOptions, grade_checkout
from ...sandbox.templates import offer_templates
from ..stubs import BEGIN, SKIPPED, stub_source
from .generate import Mutant, answer_functions, mutants_of, sample, solution_files

SECOND_SECRET = 1  # calibration seed of the second held-out secret given to survivors


@dataclass(frozen=True)
class Variant:
    """One package to grade: the solutions with some files replaced."""
    files: dict[str, str]  # relative path -> text, the files that differ from solutions/
    only: tuple[str, ...]  # hidden tests to run (all when empty)
    heldout_seed: int | None = None  # a fixed held-out secret instead of the package's own


@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    status: str  # killed, survived, equivalent
    tests: tuple[str, ...]  # the hidden tests that should catch it (its function's)
    failed: tuple[str, ...]  # the tests that failed (what killed it)
    second_secret: bool  # killed only on the second held-out secret
    seconds: float  # grading time (0 when it came from the cache)


@dataclass(frozen=True)
class MutationRun:
    tp: str  # "tp1"
    results: list[MutantResult]  # every mutant graded or reviewed as equivalent
    tests_of: dict[str, tuple[str, ...]]  # "file::function" -> the tests that exercise it
    generated: int  # mutants found before sampling
    stale_equivalents: tuple[str, ...]  # ids of mutants.yaml that no mutant has any more
    seconds: float  # wall time of the whole run
    jobs: int  # gradings in parallel


@dataclass(frozen=True)
class MutationOptions:
    jobs: int = 1  # gradings in parallel
    max_mutants: int | None = None  # sample this many (per function in turn) when there are more
    seed: int = 0  # the sampling's seed
    ids: frozenset[str] = frozenset()  # grade only these mutants (say, last run's survivors after a test fix)
    cache: Path | None = None  # where gradings are kept between runs (None: no cache)
    run: RunOptions = RunOptions()  # timeout and isolation layers of each grading


def mutation_run(project: Project, tp: TP, options: MutationOptions, equivalent: dict[str, str]) -> MutationRun:
    """Baseline, test map, mutants, second secret for survivors: see the module's docstring."""
    started = time.perf_counter()
    files = solution_files(project.solutions, tp.name)
    functions = answer_functions(files)
    if not functions:
        raise UsageError(f"solutions/{tp.name}/ has no {BEGIN} block: nothing to mutate")
    everything = mutants_of(files)
    chosen = sample([m for m in everything if not options.ids or m.id in options.ids], options.max_mutants, options.seed)
    unknown = sorted(options.ids - {m.id for m in everything})
    if unknown:
        raise UsageError(f"--mutant {unknown[0]}: no mutant of {tp.name} has this id")
    grader = Grader(project, tp, files, options)
    try:
        tests_of = test_map(grader, files, functions)
        todo = [m for m in chosen if m.id not in equivalent and tests_of[m.where]]
        outcomes, seconds = grader.grade_all([Variant({m.file: m.source}, tests_of[m.where]) for m in todo],
                                             "mutants", [m.id for m in todo])
        again = second_secret(grader, [m for m in todo if all(s == "passed" for s in outcomes[m.id].values())],
                              tests_of)
    finally:
        grader.close()
    second_kills = {name for name, tests in again.items() if any(s != "passed" for s in tests.values())}

    results = []
    for mutant in chosen:
        tests = tests_of[mutant.where]
        if mutant.id in equivalent:
            results.append(MutantResult(mutant, "equivalent", tests, (), False, 0.0))
            continue
        failed = tuple(t for t, s in [*outcomes.get(mutant.id, {}).items(), *again.get(mutant.id, {}).items()]
                       if s != "passed")
        killed = bool(failed) or mutant.id in second_kills
        results.append(MutantResult(mutant, "killed" if killed else "survived", tests, failed,
                                    mutant.id in second_kills, seconds.get(mutant.id, 0.0)))
    known = {m.id for m in everything}
    return MutationRun(tp.name, results, tests_of, len(everything), tuple(sorted(set(equivalent) - known)),
                       round(time.perf_counter() - started, 1), options.jobs)


def test_map(grader: Grader, files: dict[str, str], functions: dict[str, tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """"file::function" -> the hidden tests that fail when that function alone is a stub; the
    solutions themselves must pass every test."""
    stubbed = {where: Variant({file: stub_source(files[file], file, {function})}, ())
               for where, (file, function) in functions.items()}
    graded = [tests for tests, _ in grader.grade([Variant({}, ()), *stubbed.values()], "test map")]
    failing = [t for t, status in graded[0].items() if status != "passed"]
    if failing:
        raise GraderError(f"solutions/ fails {len(failing)} hidden test(s) of {grader.tp.name} ({failing[0]}): "
                          "fix them before mutation testing (grader validate)")
    return {where: tuple(t for t, status in outcome.items() if status != "passed")
            for where, outcome in zip(stubbed, graded[1:])}


def second_secret(grader: Grader, survivors: list[Mutant], tests_of: dict[str, tuple[str, ...]]
                  ) -> dict[str, dict[str, str]]:
    """Survivors with held-out tests, graded on those with a second held-out secret: id -> statuses."""
    held_out = {m.id: tuple(sorted(set(tests_of[m.where]) & grader.tp.rubric.held_out)) for m in survivors}
    again = [m for m in survivors if held_out[m.id]]
    outcomes, _ = grader.grade_all([Variant({m.file: m.source}, held_out[m.id], SECOND_SECRET) for m in again],
                                   "second secret", [m.id for m in again])
    return outcomes


class Grader:
    """Grades variants of one TP's solutions through the cache and a process pool."""

    def __init__(self, project: Project, tp: TP, files: dict[str, str], options: MutationOptions) -> None:
        self.project, self.tp, self.files, self.options = project, tp, files, options
        self.started: PoolStart | None = None  # the pool's fork server and templates, from the first grading on

    def key(self, variant: Variant) -> str:
        package = dict(self.files, **variant.files)
        digest = hashlib.sha256()
        for relative in sorted(package):
            digest.update(relative.encode() + b"\0" + package[relative].encode() + b"\0")
        run = self.options.run
        settings = [self.tp.version, __version__, sorted(variant.only), variant.heldout_seed,
                    run.call_timeout, sorted(run.without), run.heldout_key != ""]
        digest.update(json.dumps(settings).encode())
        return digest.hexdigest()[:32]

    def grade_all(self, variants: list[Variant], what: str, names: list[str]
                  ) -> tuple[dict[str, dict[str, str]], dict[str, float]]:
        """(name -> test statuses, name -> seconds graded now) of `variants` named by `names`."""
        graded = self.grade(variants, what)
        return ({n: tests for n, (tests, _) in zip(names, graded)}, {n: s for n, (_, s) in zip(names, graded)})

    def grade(self, variants: list[Variant], what: str) -> list[tuple[dict[str, str], float]]:
        """(test id -> status, seconds) of each variant, from the cache (0 s) or graded now, in parallel."""
        from tqdm import tqdm

        keys = [self.key(v) for v in variants]
        outcomes: dict[str, tuple[dict[str, str], float]] = {}
        for key in keys:
            path = self.options.cache / f"{key}.json" if self.options.cache else None
            if path is not None and path.exists():
                outcomes[key] = (json.loads(path.read_text(encoding="utf-8"))["tests"], 0.0)
        todo = {key: v for key, v in zip(keys, variants) if key not in outcomes}
        if not todo:
            return [outcomes[key] for key in keys]
        # As grader collect: processes forked by a fork server that has imported the trusted side,
        # sharing the workers' templates (torch imported once per TP, not once per process and call).
        started = self.started = self.started or PoolStart(self.project, self.options.run).start([self.tp])
        pool = Pool(max(1, self.options.jobs), started.context, offer_templates, (started.offers(),))
        tasks = [Task(key, grade_variant, (self.project.root, self.tp.name, v, self.options.run), self.tp.budget + JOB_MARGIN)
                 for key, v in todo.items()]
        with tqdm(total=len(todo), desc=f"{self.tp.name} {what}", unit="note", file=sys.stderr, disable=None) as bar:

            def done(task: Task, value: tuple[dict[str, str], float]) -> None:
                outcomes[task.key] = value
                if self.options.cache is not None:
                    write_atomically(self.options.cache / f"{task.key}.json",
                                     json.dumps({"tests": value[0], "seconds": value[1]}) + "\n")
                bar.update()

            def failed(task: Task, why: str) -> None:  # not cached: a re-run tries again
                print(f"{self.tp.name} {what}: a grading failed ({why}); its tests count as failed", file=sys.stderr)
                outcomes[task.key] = ({test: "error" for test in todo[task.key].only or self.tp.rubric.points}, 0.0)
                bar.update()

            pool.run(tasks, done, failed)
        return [outcomes[key] for key in keys]

    def close(self) -> None:
        """End the workers' templates of this TP's gradings."""
        if self.started is not None:
            self.started.close()
            self.started = None


def grade_variant(root: Path, tp_name: str, variant: Variant, run: RunOptions) -> tuple[dict[str, str], float]:
    """In a pool process: the TP's solution package with the variant's files, graded in the sandbox."""
    started = time.perf_counter()
    project, tp = project_tp(root, tp_name)  # read once per pool process
    with tempfile.TemporaryDirectory(prefix="dlgrade-mutant-") as scratch:
        checkout = Path(scratch) / "checkout"
        shutil.copytree(project.solutions / tp_name, checkout / tp_name, ignore=shutil.ignore_patterns(*SKIPPED))
        for relative, text in variant.files.items():
            (checkout / relative).write_text(text, encoding="utf-8")
        options = RunOptions(call_timeout=run.call_timeout, without=run.without, only=variant.only,
                             heldout_key=run.heldout_key, heldout_seed=variant.heldout_seed)
        grading, _ = grade_checkout(project, tp, checkout, "mutant", None, options)
    return {t.id: t.status for t in grading.tests}, round(time.perf_counter() - started, 2)
