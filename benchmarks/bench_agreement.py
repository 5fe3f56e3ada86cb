"""Do the public tests see what the hidden tests grade, and charge each mistake to its function?

    .venv/bin/python benchmarks/bench_agreement.py [--tp tp1 …] [--public main] [--jobs 2] [--fast]

Every mistake of `tests/mistakes/` (the project's buggy variants of tests/test_tp*.py, then the
new mistakes of tests/mistakes/tpN.py) is applied to a copy of solutions/, graded in full by the
hidden tests (`grade_checkout`, sandboxed) and checked by the public tests (`grader.student.check.check`,
what a student runs). Agreement of a TP = among the mistakes whose hidden mark is < 20, the share
whose public mark is < 20 too. A mistake the hidden tests miss (20/20) is listed apart: an
equivalent variant or a hole of the hidden tests. "Charged" says whether every hidden test it fails
is one it names (its function's own) or says the function's name. The correct conventions of
tests/alternatives/conventions.py are graded the same way and must get 20 on both sides. "Cases
met" of a TP: conventions with 20/20 on both sides, plus mistakes that lose points on both sides
and are charged to their function, over all of them (the issue's ≥ 90 %). Also reported: where a
mistake's data disagree with what was measured (the hidden tests it names, the one it says still
passes, its public tests).

`--public main` checks with the public tests of the `main` branch instead (the figure before);
`--fast` runs the public tests in one process per TP (tests/mistakes/public_run.py) instead of
`grader check` per mistake. `--cache FILE` keeps hidden gradings between runs (keyed by the TP
package's content and the reference's), for quick iterations on the public tests.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.student.check import check  # noqa: E402
from grader.grading.config import Project  # noqa: E402
from grader.grading.runner import content_hash, grade_checkout  # noqa: E402
from tests.alternatives.conventions import CONVENTIONS, Convention  # noqa: E402
from tests.mistakes import TPS, Mistake, all_mistakes, copy_solutions, run_public  # noqa: E402


@dataclass(frozen=True)
class Row:
    mistake: Mistake | Convention
    hidden_mark: float
    hidden_failed: tuple[str, ...]
    public_mark: float
    public_failed: tuple[str, ...]
    messages: tuple[str, ...] = ()  # the messages of the failed hidden tests, in the order of hidden_failed

    @property
    def correct(self) -> bool:
        return isinstance(self.mistake, Convention)

    @property
    def caught(self) -> bool:
        return self.hidden_mark < 20

    @property
    def agrees(self) -> bool:
        return not self.caught or self.public_mark < 20

    @property
    def charged(self) -> bool:
        """Every failed hidden test is the buggy function's own: one the mistake names, one whose
        name holds the function's (test_softmax_… for softmax), one of the test file of a module
        whose only answer it is, or one whose message names the function."""
        names, alone = culprits(self.mistake), sole_answer(self.mistake)
        module_tests = f"test_{Path(self.mistake.file).stem}.py::"
        flat = lambda text: text.lower().replace("_", "")  # noqa: E731 - RegressionCNN ↔ test_regression_cnn_…
        return all(test in self.mistake.hidden or any(flat(name) in flat(test) for name in names)
                   or (alone and test.startswith(module_tests)) or any(name in message for name in names)
                   for test, message in zip(self.hidden_failed, self.messages))

    @property
    def met(self) -> bool:
        if self.correct:
            return self.hidden_mark == 20 and self.public_mark == 20
        return self.caught and self.public_mark < 20 and self.charged


def sole_answer(case: Mistake | Convention) -> bool:
    """Whether the mistake's file holds a single answer (descent.py's gradient_descent)."""
    source = (ROOT / "solutions" / case.file).read_text(encoding="utf-8")
    return source.count("### BEGIN SOLUTION") == 1


def culprits(case: Mistake | Convention) -> tuple[str, ...]:
    """The names a message may give the buggy function: the function, or the method and its class."""
    if case.function:
        return (case.function,)
    source = (ROOT / "solutions" / case.file).read_text(encoding="utf-8")
    at = source.index(case.old)
    line = source[:at].count("\n") + 1
    found: tuple[str, ...] = ()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.lineno <= line <= node.end_lineno:
            found += (node.name,)
    return tuple(name for name in found if not name.startswith("_")) or found

def hidden_grading(tp: str, repo: str) -> tuple[float, tuple[str, ...], tuple[str, ...]]:
    project = Project.at(ROOT)
    grading, _ = grade_checkout(project, project.tp(tp), Path(repo))
    failed = [t for t in grading.tests if t.status != "passed"]
    return grading.mark, tuple(t.id for t in failed), tuple(t.message for t in failed)


def public_check(tp: str, repo: str) -> tuple[float, tuple[str, ...]]:
    grading, _ = check(tp, Path(repo))
    return grading.mark, tuple(t.id for t in grading.tests if t.status != "passed")


def reference_hash(tp: str) -> str:
    return content_hash(ROOT / "reference" / tp)


def prepare(tp: str, mistakes: list[Mistake], scratch: Path, public: str) -> list[Path]:
    repos = []
    for i, mistake in enumerate(mistakes):
        repo = mistake.write_into(copy_solutions(ROOT / "solutions", scratch / f"{tp}-{i}"))
        if public != "current":  # the public tests of another branch
            old = subprocess.run(["git", "show", f"{public}:solutions/tests/test_{tp}.py"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout
            (repo / "tests" / f"test_{tp}.py").write_text(old, encoding="utf-8")
        repos.append(repo)
    return repos


def measure(tp: str, args: argparse.Namespace, pool: ProcessPoolExecutor, cache: dict) -> list[Row]:
    mistakes = all_mistakes(tp) + [c for c in CONVENTIONS if c.tp == tp]
    with tempfile.TemporaryDirectory() as scratch:
        repos = prepare(tp, mistakes, Path(scratch), args.public)
        keys = [f"{tp}:{reference_hash(tp)}:{content_hash(repo / tp)}" for repo in repos]
        todo = [(key, repo) for key, repo in zip(keys, repos) if key not in cache]
        for (key, _), result in zip(todo, pool.map(hidden_grading, [tp] * len(todo), [str(r) for _, r in todo])):
            cache[key] = list(result)
        if args.fast:
            outcomes = run_public(tp, [(repo, ()) for repo in repos])
            public = [(20.0 * sum(not m for m in out.values()) / len(out), tuple(n for n, m in out.items() if m))
                      for out in outcomes]
        else:
            public = list(pool.map(public_check, [tp] * len(repos), [str(r) for r in repos]))
    return [Row(m, cache[k][0], tuple(cache[k][1]), p[0], tuple(p[1]), tuple(cache[k][2]) if len(cache[k]) > 2 else ())
            for m, k, p in zip(mistakes, keys, public)]


def data_problems(row: Row) -> list[str]:
    """Where the mistake's data disagree with what was measured."""
    m, problems = row.mistake, []
    if row.correct:
        failed = [t for t in row.hidden_failed]
        return ([f"a correct convention lost hidden points: {failed}"] if failed else []) + (
            [f"a correct convention failed public tests: {list(row.public_failed)}"] if row.public_failed else [])
    missing = [t for t in m.hidden if t not in row.hidden_failed]
    if missing:
        problems.append(f"named hidden tests passed: {missing}")
    if m.passes and m.passes in row.hidden_failed:
        problems.append(f"{m.passes} failed")
    if row.caught and not m.hidden and not m.hole:
        problems.append(f"caught by {list(row.hidden_failed)} but names no hidden test")
    if not row.caught and not m.hole and m.hidden:
        problems.append("the hidden tests miss it")
    failed_public = {name.split("::")[-1] for name in row.public_failed}
    if any(name not in failed_public for name in m.public) or not m.public:
        problems.append(f"public tests named {list(m.public)}, failed {sorted(failed_public)}")
    return problems


def report(tp: str, rows: list[Row]) -> str:
    wrong = [r for r in rows if not r.correct]
    caught = [r for r in wrong if r.caught]
    agreeing = [r for r in caught if r.agrees]
    met = [r for r in rows if r.met]
    lines = [f"### {tp}: agreement {len(agreeing)}/{len(caught)} = {100 * len(agreeing) / max(1, len(caught)):.0f} % "
             f"({len(wrong)} mistakes, {len(wrong) - len(caught)} not caught by the hidden tests); charged to their "
             f"function {sum(r.charged for r in caught)}/{len(caught)}; conventions 20/20 on both sides "
             f"{sum(r.met for r in rows if r.correct)}/{sum(r.correct for r in rows)}; cases met {len(met)}/{len(rows)} = "
             f"{100 * len(met) / max(1, len(rows)):.0f} %", "",
             "| case | hidden | public | agrees | charged |", "|---|---|---|---|---|"]
    for r in rows:
        kind = "convention: " if r.correct else ""
        agrees = ("yes" if r.met else "**no**") if r.correct else \
            f"{'yes' if r.agrees else '**no**'}{'' if r.caught else ' (hidden 20/20)'}"
        charged = "" if r.correct or not r.caught else ("yes" if r.charged else "**no**")
        lines.append(f"| {kind}{r.mistake.name} | {r.hidden_mark:g} | {r.public_mark:g} | {agrees} | {charged} |")
    problems = [(r.mistake.name, p) for r in rows for p in data_problems(r)]
    if problems:
        lines += ["", "Data to fix:"] + [f"- {name}: {problem}" for name, problem in problems]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tp", nargs="*", default=list(TPS))
    parser.add_argument("--public", default="current", help="'current', or a git ref whose public tests to use")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--fast", action="store_true", help="public tests in one process per TP, not grader check")
    parser.add_argument("--cache", type=Path, help="JSON file keeping hidden gradings between runs")
    parser.add_argument("--json", type=Path, help="write every row here")
    args = parser.parse_args()
    cache = json.loads(args.cache.read_text()) if args.cache and args.cache.exists() else {}
    started, everything = time.perf_counter(), {}
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        for tp in args.tp:
            rows = measure(tp, args, pool, cache)
            everything[tp] = rows
            print(report(tp, rows), "\n", flush=True)
            if args.cache:
                args.cache.write_text(json.dumps(cache))
    for tp, rows in everything.items():
        caught = [r for r in rows if r.caught and not r.correct]
        print(f"{tp}: agreement {sum(r.agrees for r in caught)}/{len(caught)}"
              f" = {100 * sum(r.agrees for r in caught) / max(1, len(caught)):.0f} %, charged to their function "
              f"{sum(r.charged for r in caught)}/{len(caught)}, cases met {sum(r.met for r in rows)}/{len(rows)}"
              f" = {100 * sum(r.met for r in rows) / max(1, len(rows)):.0f} %")
    print(f"({time.perf_counter() - started:.0f} s, public tests: {args.public})")
    if args.json:
        args.json.write_text(json.dumps({tp: [{"mistake": r.mistake.name, "hidden": r.hidden_mark,
                                               "hidden_failed": r.hidden_failed, "public": r.public_mark,
                                               "public_failed": r.public_failed} for r in rows]
                                         for tp, rows in everything.items()}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
