"""`grader validate [TP…] --mutants`: the options, and the run of each TP with its report."""
from __future__ import annotations

import argparse
from pathlib import Path

from ...base.errors import UsageError
from ...grading.config import TP, Project
from .report import load_equivalents, render, tallies, write_json
from .run import MutationOptions, mutation_run

CACHE = ".mutants-cache"  # default cache folder, in the project (git-ignored)


def add_mutant_options(validate: argparse.ArgumentParser) -> None:
    group = validate.add_argument_group("mutation testing (--mutants)")
    group.add_argument("--mutants", action="store_true",
                       help="grade mutants of solutions/ to measure how many bugs the hidden tests catch")
    group.add_argument("--jobs", type=int, default=1, help="gradings in parallel (default 1)")
    group.add_argument("--max-mutants", type=int, metavar="K",
                       help="grade at most K mutants per TP, sampled function by function (default: all)")
    group.add_argument("--seed", type=int, default=0, help="seed of the sampling (default 0)")
    group.add_argument("--mutant", action="append", default=[], metavar="ID",
                       help="grade only this mutant (repeatable): re-check survivors after strengthening a test")
    group.add_argument("--json", type=Path, metavar="FILE", help="write every mutant's result here, for CI")
    group.add_argument("--fail-under", type=float, metavar="PERCENT",
                       help="exit 1 when a TP's kill rate is below PERCENT")
    group.add_argument("--cache", type=Path, metavar="DIR",
                       help=f"gradings kept between runs (default: {CACHE}/ in the project)")
    group.add_argument("--no-cache", action="store_true", help="grade every mutant again")
    group.add_argument("--timeout", type=float, metavar="SECONDS",
                       help="wall-clock limit per call into the mutant's code (default: the TP's rubric.yaml)")


def validate_mutants(project: Project, tps: list[TP], args: argparse.Namespace, run_options) -> int:
    """Run each TP's mutants, print the reports; 1 when a kill rate is under --fail-under."""
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: at least one grading at a time")
    if args.max_mutants is not None and args.max_mutants < 1:
        raise UsageError(f"--max-mutants {args.max_mutants}: at least one mutant")
    cache = None if args.no_cache else (args.cache or project.root / CACHE)
    options = MutationOptions(jobs=args.jobs, max_mutants=args.max_mutants, seed=args.seed, cache=cache,
                              run=run_options, ids=frozenset(args.mutant))
    runs, low = [], []
    for tp in tps:
        run = mutation_run(project, tp, options, load_equivalents(tp))
        runs.append(run)
        print(render(run))
        print()
        rate = tallies(run)[0].kill_rate
        if args.fail_under is not None and rate is not None and 100 * rate < args.fail_under:
            low.append(f"{tp.name} {100 * rate:.1f} %")
    if args.json:
        write_json(runs, args.json)
    if low:
        print(f"kill rate under {args.fail_under:g} %: {', '.join(low)}")
    return 1 if low else 0
