"""Calibrate the thresholds of the held-out tests over seeds of the secret transform.

    .venv/bin/python benchmarks/calibrate_heldout.py [--seeds 10] [--tps tp1 …] [--variants] [--attacks] [--borderline]

Grades the held-out tests (rubric.yaml's `held_out`) of each TP with seeds 0…N-1 of the secret
held-out data (grader/grading/heldout.py, `HeldOut.calibration`), for `solutions/`, for the differently
written solutions of tests/alternatives/, with --variants for the plausible bugs of the TP tests
that must fail a held-out test, and with --attacks for the attacks of tests/hostile/ (a stub whose
training or model reads a copy of the dataset). Prints, for every score a held-out test checks,
its bound and the worst, mean and best value of each submission: a threshold needs a margin over
the solutions' worst seed and under the best seed of the bugs and attacks. With --borderline, the
honest but weak models of tests/borderline/ too, with the spread of their points over the seeds
(partial credit between a test's `zero_at` and its bound: a borderline model must not swing
between all and nothing from one secret to the next).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.grading.config import Project  # noqa: E402
from grader.grading.heldout import HeldOut  # noqa: E402
from grader.grading.runner import RunOptions, run_hidden_tests, sandbox_policy  # noqa: E402
from grader.sandbox import WorkerSession  # noqa: E402

ALTERNATIVES = ROOT / "tests" / "alternatives"
HOSTILE = ROOT / "tests" / "hostile"


def buggy_variants(project: Project, tp: str, scratch: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """The plausible bugs of tests/test_tpN*.py that must fail a held-out test: each must miss its
    bound on every seed, as the solutions must meet it on every seed."""
    import importlib

    from tests.conftest import replace_function

    held_out, found = project.tp(tp).rubric.held_out, {}
    for name in [f"tests.test_{tp}", f"tests.test_{tp}_numpy", f"tests.test_{tp}_torch"]:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for bug, entry in {**getattr(module, "BUGS", {}), **getattr(module, "METHOD_BUGS", {})}.items():
            should_fail = entry[-2] if isinstance(entry[-2], list) else []
            if not held_out & set(should_fail):
                continue
            checkout = scratch / f"{tp}-bug-{len(found)}"
            shutil.copytree(project.solutions, checkout)
            if len(entry) == 5:  # (file, old text, new text, should_fail, should_pass)
                path = checkout / entry[0]
                path.write_text(path.read_text().replace(entry[1], entry[2]))
            else:  # ((file, function) or function, body, should_fail, should_pass)
                relative, function = entry[0] if isinstance(entry[0], tuple) else (f"{tp}/torch_nets.py", entry[0])
                path = checkout / relative
                path.write_text(replace_function(path.read_text(), function, entry[1]))
            found[f"bug: {bug}"] = (checkout, tuple(sorted(held_out & set(should_fail))))
    return found


def submissions(project: Project, tp: str, scratch: Path, attacks: bool, variants: bool
                ) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """name -> (checkout, held-out tests to grade): the solutions, the alternative (over the
    solutions), the lookup attacks, the buggy variants (on the held-out tests they must fail)."""
    every = tuple(sorted(project.tp(tp).rubric.held_out))
    found = {"solutions": (project.solutions, every)}
    if (ALTERNATIVES / tp).is_dir():
        checkout = scratch / f"alternative-{tp}"
        shutil.copytree(project.solutions, checkout)
        for path in (ALTERNATIVES / tp).glob("*.py"):
            shutil.copy(path, checkout / tp / path.name)
        found["alternative"] = (checkout, every)
    if attacks:
        from tests.test_hostile import build_case, lookup_cases  # the attacks' own builder

        for name in lookup_cases(tp):
            found[f"attack: {name}"] = (build_case(project, name, scratch / f"{tp}-{name}"), every)
    if variants:
        found.update(buggy_variants(project, tp, scratch))
    return found


def scores_of(project: Project, tp_name: str, checkout: Path, tests: tuple[str, ...], seed: int,
              without: frozenset[str] = frozenset()) -> dict[str, tuple[float, float | None, float | None]]:
    return scores_and_points(project, tp_name, checkout, tests, seed, without)[0]


def scores_and_points(project: Project, tp_name: str, checkout: Path, tests: tuple[str, ...], seed: int,
                      without: frozenset[str] = frozenset()) -> tuple[dict, dict[str, float]]:
    """The held-out scores of one grading, and the points each held-out test earned."""
    tp = project.tp(tp_name)
    heldout = HeldOut.calibration(seed)
    session = WorkerSession(checkout, sandbox_policy(project, tp, RunOptions(without=without)))
    try:
        results, _ = run_hidden_tests(tp, session, tests, heldout)
    finally:
        session.close()
    scores = {score.what: (score.value, score.at_least, score.at_most, score.zero_at) for score in heldout.scores}
    return scores, {result.id: result.points for result in results}


def borderline(project: Project, tp: str, scratch: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """tests/borderline/tpN_<module>.py: each class or function there replaces the solution's."""
    found = {}
    for path in sorted((ROOT / "tests" / "borderline").glob(f"{tp}_*.py")):
        checkout = scratch / f"borderline-{path.stem}"
        shutil.copytree(project.solutions, checkout, ignore=shutil.ignore_patterns("__pycache__", "handouts"))
        module = checkout / tp / f"{path.stem.split('_', 1)[1]}.py"
        text = path.read_text()
        module.write_text(module.read_text() + "\n\n" + text[text.index("\nclass ") if "\nclass " in text else 0:])
        found[f"borderline: {path.stem}"] = (checkout, tuple(sorted(project.tp(tp).rubric.held_out)))
    return found


def test_names(project: Project, tp: str, test: str) -> str:
    """The source of a held-out test function, to tell which score it checks (scores name their data)."""
    import ast

    if "::" not in test:
        return ""
    file, name = test.split("::")
    source = (project.tp(tp).reference / file).read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            text = ast.get_source_segment(source, node) or ""
            # the checks may sit in a helper the test calls (check_training…): add the helpers it names
            for helper in ast.parse(source).body:
                if isinstance(helper, ast.FunctionDef) and helper.name != name and helper.name in text:
                    text += ast.get_source_segment(source, helper) or ""
            return text
    return ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--tps", nargs="*", default=["tp1", "tp2", "tp3", "tp4"])
    parser.add_argument("--attacks", action="store_true", help="also the lookup attacks of tests/hostile/")
    parser.add_argument("--variants", action="store_true", help="also the buggy variants that must fail a held-out test")
    parser.add_argument("--borderline", action="store_true", help="also the weak models of tests/borderline/")
    args = parser.parse_args()
    project = Project.at(ROOT)
    print(f"{args.seeds} seeds of the secret held-out data per submission\n")
    print("| TP | score | bound (partial from) | submission | worst | mean | best | points: min–max |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="dlgrade-calibrate-") as scratch:
        for tp in args.tps:
            values: dict[tuple[str, str], list[float]] = defaultdict(list)
            points: dict[tuple[str, str], list[float]] = defaultdict(list)
            bounds: dict[str, str] = {}
            found = submissions(project, tp, Path(scratch), args.attacks, args.variants)
            if args.borderline:
                found.update(borderline(project, tp, Path(scratch)))
            for name, (checkout, tests) in found.items():
                for seed in range(args.seeds):
                    # Attacks at their best: without bubblewrap, the installed datasets are readable.
                    without = frozenset({"bwrap"}) if name.startswith("attack") else frozenset()
                    scores, earned = scores_and_points(project, tp, checkout, tests, seed, without)
                    for what, (value, at_least, at_most, zero_at) in scores.items():
                        values[(what, name)].append(value)
                        bounds[what] = (f"≥ {at_least:g}" if at_least is not None else f"< {at_most:g}") + (
                            f" ({zero_at:g})" if zero_at is not None else "")
                    for test, got in earned.items():
                        points[(test, name)].append(got)
            for (what, name), found in sorted(values.items()):
                lower_is_better = bounds[what].startswith("<")
                worst, best = (max(found), min(found)) if lower_is_better else (min(found), max(found))
                test_points = next((got for (test, who), got in points.items() if who == name
                                    and f'"{what}"' in test_names(project, tp, test)), None)
                spread = f"{min(test_points):g}–{max(test_points):g}" if test_points else ""
                print(f"| {tp} | {what} | {bounds[what]} | {name} | {worst:.3f} | {statistics.mean(found):.3f} | "
                      f"{best:.3f} | {spread} |", flush=True)


if __name__ == "__main__":
    main()
