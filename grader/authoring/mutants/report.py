"""What a mutation run tells the instructor: kill rates, survivors, and the reviewed equivalents.

Kill rates are "of non-equivalent mutants": a mutant that behaves exactly like the solution
(say, `np.maximum(0, z)` → `np.maximum(z, 0)`) cannot be killed by any test, so once reviewed it
goes into `reference/tpN/mutants.yaml` with the reason, and leaves the denominator. That file is
left out of the hidden side's hash (`TP.version`): reviewing a mutant regrades no student.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ...base.yamlsource import read_yaml
from ...grading.config import NOT_GRADED, TP
from .run import MutantResult, MutationRun

EQUIVALENTS_FILE = NOT_GRADED


def load_equivalents(tp: TP) -> dict[str, str]:
    """Reviewed equivalent mutants of the TP: id -> why (empty without the file)."""
    path = tp.reference / EQUIVALENTS_FILE
    if not path.exists():
        return {}
    data, source = read_yaml(path)
    data = source.mapping(data or {}, "", ("equivalent",))
    entries = data.get("equivalent") or []
    if not isinstance(entries, list):
        raise source.error("equivalent", "expected a list of {id, why} entries")
    found = {}
    for index, entry in enumerate(entries):
        entry = source.mapping(entry, f"equivalent[{index}]", ("id", "where", "change", "why"), required=("id", "why"))
        found[str(entry["id"])] = str(entry["why"])
    return found


@dataclass(frozen=True)
class Tally:
    name: str  # "tp1/losses.py", "tp1/losses.py::mse" or the TP
    mutants: int  # graded or reviewed
    killed: int  # a hidden test failed
    survived: int  # every test that should catch it passed
    equivalent: int  # reviewed: no test can catch it

    @property
    def kill_rate(self) -> float | None:
        """Killed among non-equivalent mutants, in [0, 1]; None when there is none."""
        counted = self.killed + self.survived
        return self.killed / counted if counted else None

    @classmethod
    def of(cls, name: str, results: list[MutantResult]) -> Tally:
        count = {status: sum(r.status == status for r in results) for status in ("killed", "survived", "equivalent")}
        return cls(name, len(results), count["killed"], count["survived"], count["equivalent"])


def tallies(run: MutationRun) -> tuple[Tally, list[Tally], list[Tally]]:
    """The TP's, each module's and each function's tallies (in file order)."""
    modules: dict[str, list[MutantResult]] = {}
    functions: dict[str, list[MutantResult]] = {where: [] for where in run.tests_of}
    for result in run.results:
        modules.setdefault(result.mutant.file, []).append(result)
        functions.setdefault(result.mutant.where, []).append(result)
    return (Tally.of(run.tp, run.results), [Tally.of(name, rs) for name, rs in modules.items()],
            [Tally.of(name, rs) for name, rs in functions.items()])


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f} %"


def render(run: MutationRun) -> str:
    """The console report: totals, a table per module and function, every survivor as a diff."""
    total, modules, functions = tallies(run)
    count = f"{total.mutants}" if run.generated == total.mutants else f"{total.mutants} of {run.generated}"
    lines = [f"{run.tp}: {count} mutants in {run.seconds:g} s with {run.jobs} job(s)",
             f"kill rate {percent(total.kill_rate)} of non-equivalent mutants ({total.killed} killed, "
             f"{total.survived} survived, {total.equivalent} equivalent)", "",
             f"  {'module / function':<44} {'mutants':>7} {'killed':>6} {'survived':>8} {'equiv.':>6} {'kill rate':>9}"]
    for module in modules:
        lines.append(row(module.name, module))
        lines += [row("  " + f.name.split("::", 1)[1], f) for f in functions
                  if f.name.startswith(module.name + "::") and f.mutants]
    untested = [where for where, tests in run.tests_of.items() if not tests]
    if untested:
        lines += ["", "No hidden test fails when these functions are stubs: every mutant of them survives."]
        lines += [f"  {where}" for where in untested]
    survivors = [r for r in run.results if r.status == "survived"]
    if survivors:
        lines += ["", f"Survivors ({len(survivors)}), each with the hidden tests that should have caught it:"]
    for result in survivors:
        mutant = result.mutant
        lines += ["", f"[{mutant.id}] {mutant.where} · {mutant.operator} · line {mutant.line}"]
        lines += ["    " + line for line in mutant.diff.splitlines()]
        lines.append("    should be caught by: " + (", ".join(result.tests) or "no test (none exercises this function)"))
    if any(r.second_secret for r in run.results):
        seconds = [r.mutant.id for r in run.results if r.second_secret]
        lines += ["", f"Killed only with a second held-out secret ({len(seconds)}): {', '.join(seconds)}"]
    if run.stale_equivalents:
        lines += ["", f"{EQUIVALENTS_FILE}: no mutant has these ids any more (remove them): "
                  + ", ".join(run.stale_equivalents)]
    return "\n".join(lines)


def row(name: str, tally: Tally) -> str:
    return (f"  {name:<44} {tally.mutants:>7} {tally.killed:>6} {tally.survived:>8} {tally.equivalent:>6} "
            f"{percent(tally.kill_rate):>9}")


def to_json(run: MutationRun) -> dict:
    """One TP's run as data, for CI."""
    total, modules, functions = tallies(run)

    def tally(t: Tally) -> dict:
        return {"name": t.name, "mutants": t.mutants, "killed": t.killed, "survived": t.survived,
                "equivalent": t.equivalent, "kill_rate": t.kill_rate}

    return {"tp": run.tp, **{k: v for k, v in tally(total).items() if k != "name"},
            "generated": run.generated, "seconds": run.seconds, "jobs": run.jobs,
            "modules": [tally(m) for m in modules],
            "functions": [dict(tally(f), tests=list(run.tests_of.get(f.name, ()))) for f in functions],
            "stale_equivalents": list(run.stale_equivalents),
            "results": [{"id": r.mutant.id, "file": r.mutant.file, "function": r.mutant.function,
                         "operator": r.mutant.operator, "line": r.mutant.line, "status": r.status,
                         "tests": list(r.tests), "failed": list(r.failed), "second_secret": r.second_secret,
                         "seconds": r.seconds, "diff": r.mutant.diff} for r in run.results]}


def write_json(runs: list[MutationRun], path: Path) -> None:
    """One file for the TPs of the command: {"schema": 1, "runs": [one object per TP]}."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema": 1, "runs": [to_json(run) for run in runs]}, ensure_ascii=False, indent=1)
                    + "\n", encoding="utf-8")
