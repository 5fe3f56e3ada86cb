"""Realistic student mistakes, as data, to measure whether the public tests see what the hidden
tests grade.

Each `Mistake` rewrites one thing of a copy of `solutions/`: a top-level function's body
(`function`, through conftest's `replace_function`) or one exact text of a file (`old` → `new`,
for methods and single lines). It names the hidden tests it must fail, one hidden test it must
still pass, and the public tests that must fail. `tests/mistakes/tpN.py` list the new mistakes
of each TP; `variants.py` turns the buggy variants of `tests/test_tp*.py` into the same form.
`tests/test_public_tests.py` keeps the names true; `benchmarks/bench_agreement.py` grades every
mistake in full and reports how often the public check agrees with the hidden grade.
"""
from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import replace_function

TPS = ("tp1", "tp2", "tp3", "tp4")
RUNNER = Path(__file__).with_name("public_run.py")


@dataclass(frozen=True)
class Mistake:
    tp: str  # "tp1"
    name: str  # what the student got wrong, in English
    file: str  # the file it changes, relative to the repo root: "tp1/activations.py"
    new: str  # the function's new body, or the text that replaces `old`
    function: str = ""  # the top-level function whose body `new` replaces
    old: str = ""  # or: the exact text of the solution file that `new` replaces (once)
    hidden: tuple[str, ...] = ()  # hidden tests it must fail ("test_mlp.py::test_forward_activations")
    passes: str = ""  # one hidden test it must still pass (empty: not checked)
    public: tuple[str, ...] = ()  # public tests (of tests/test_tpN.py) it must fail
    hole: str = ""  # why the hidden tests do not catch it, when they do not (reported, not counted)
    also: tuple[tuple[str, str], ...] = ()  # other functions of `file` rewritten first (function, body): a caller
    # written to use the buggy function, so that the mistake is charged to that function only
    @classmethod
    def of_function(cls, tp: str, name: str, file: str, function: str, new: str, hidden: list[str], passes: str,
                    public: list[str], hole: str = "") -> Mistake:
        """A mistake in a top-level function: its whole body becomes `new`."""
        return cls(tp, name, file, new, function=function, hidden=tuple(hidden), passes=passes,
                   public=tuple(public), hole=hole)

    @classmethod
    def calling(cls, tp: str, name: str, file: str, function: str, new: str, also: list[tuple[str, str]],
                hidden: list[str], passes: str, public: list[str]) -> Mistake:
        """A bug in `function` that another function, rewritten by `also` to call it, relies on: only
        `function`'s own tests may charge it; `passes` is the caller's test, which must not."""
        return cls(tp, name, file, new, function=function, hidden=tuple(hidden), passes=passes, public=tuple(public),
                   also=tuple(also))

    @classmethod
    def of_text(cls, tp: str, name: str, file: str, old: str, new: str, hidden: list[str], passes: str,
                public: list[str], hole: str = "") -> Mistake:
        """A mistake in a method or a line: the exact text `old` of the solution becomes `new`."""
        return cls(tp, name, file, new, old=old, hidden=tuple(hidden), passes=passes, public=tuple(public), hole=hole)

    def rewrite(self, source: str) -> str:
        """The changed text of `self.file`, from its solution."""
        for function, body in self.also:
            source = replace_function(source, function, body)
        if self.function:
            return replace_function(source, self.function, self.new)
        if source.count(self.old) != 1:
            raise ValueError(f"{self.name}: {self.old!r} is not once in {self.file}")
        return source.replace(self.old, self.new)

    def write_into(self, repo: Path) -> Path:
        """Apply the mistake to `repo`, a copy of solutions/."""
        path = repo / self.file
        path.write_text(self.rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
        return repo


def new_mistakes(tp: str) -> list[Mistake]:
    """The mistakes written for this issue (tests/mistakes/tpN.py)."""
    return list(importlib.import_module(f"tests.mistakes.{tp}").MISTAKES)


def all_mistakes(tp: str) -> list[Mistake]:
    """The project's buggy variants (tests/test_tp*.py), then the new mistakes."""
    from tests.mistakes.variants import project_variants

    return project_variants(tp) + new_mistakes(tp)


def copy_solutions(solutions: Path, dest: Path) -> Path:
    shutil.copytree(solutions, dest, ignore=shutil.ignore_patterns("__pycache__", "handouts"))
    return dest


def run_public(tp: str, cases: list[tuple[Path, tuple[str, ...]]]) -> list[dict[str, str]]:
    """Run public tests of many repos in ONE Python process (torch imported once): for each
    (repo, names), the names of its `tests/test_tpN.py` to run (empty: all of them). Returns, per
    repo, each test's failure message ("" when it passed)."""
    with tempfile.TemporaryDirectory() as scratch:
        spec, out = Path(scratch) / "spec.json", Path(scratch) / "out.json"
        spec.write_text(json.dumps({"tp": tp, "cases": [[str(repo), list(names)] for repo, names in cases]}))
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        done = subprocess.run([sys.executable, str(RUNNER), str(spec), str(out)], capture_output=True, text=True,
                              timeout=120 + 30 * len(cases), env=env)
        if not out.exists():
            raise RuntimeError(f"public_run.py failed: {done.stderr[-2000:]}")
        return json.loads(out.read_text(encoding="utf-8"))
