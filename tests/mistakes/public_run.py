"""Run the public tests of many student repos in one process: `python public_run.py SPEC OUT`.

SPEC is JSON {"tp": "tp1", "cases": [[repo, [test names, or none for all]], …]}; OUT gets, per
case, {test name: failure message, "" when it passed}. Between repos, the TP package and the
public test modules are dropped from `sys.modules`, so each repo's own files are imported; torch
and numpy stay loaded, which is what makes this cheap (one process per TP, not per repo). The
public tests seed their own randomness, so the order of the repos does not matter.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import sys
import warnings


def forget(tp: str) -> None:
    for name in list(sys.modules):
        if name in (tp, f"test_{tp}", "aides") or name.startswith(tp + "."):
            del sys.modules[name]


def run_case(tp: str, repo: str, names: list[str]) -> dict[str, str]:
    forget(tp)
    sys.path[:0] = [repo, f"{repo}/tests"]
    try:
        module = importlib.import_module(f"test_{tp}")
        names = names or [name for name in vars(module) if name.startswith("test_")]
        results = {}
        for name in names:
            try:
                getattr(module, name)()
                results[name] = ""
            except Exception as exc:  # a failed assert, or the student's code raising
                results[name] = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
        return results
    except Exception as exc:  # the package does not import
        return {name: f"{type(exc).__name__}: {exc}"[:500] for name in names or ["import"]}
    finally:
        del sys.path[:2]


def main(spec_path: str, out_path: str) -> None:
    spec = json.load(open(spec_path, encoding="utf-8"))
    warnings.simplefilter("ignore")
    results = []
    with contextlib.redirect_stdout(sys.stderr):  # what student code prints is not the result
        for repo, names in spec["cases"]:
            results.append(run_case(spec["tp"], repo, names))
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump(results, out, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:3])
