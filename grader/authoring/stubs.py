"""One source of truth: the stubs of `assignments/` are generated from `solutions/`.

Each answer in `solutions/` sits between `### BEGIN SOLUTION` and `### END SOLUTION`; the
generator replaces it by `raise NotImplementedError("À compléter : <fonction>")` at the same
indentation and copies every other file as it is. A test fails when the committed
`assignments/` differs from what this gives.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..base.errors import GraderError
from .handouts import notebook_source

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HANDOUTS = "handouts"  # Markdown sources in solutions/, notebooks in assignments/ (grader/authoring/handouts.py)
SKIPPED = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
DEF = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)")


@dataclass(frozen=True)
class SolutionBlock:
    owner: str  # the function it answers, "mse" or "DigitCNN.__init__" (named in the stub's message)
    begin: int  # line number of `### BEGIN SOLUTION` (1-based)
    end: int  # line number of `### END SOLUTION`
    indent: str  # the markers' indentation, the stub's too


def solution_blocks(text: str, origin: str = "<source>") -> list[SolutionBlock]:
    """The answers of one solution file, in order, each with the function that holds it."""
    blocks: list[SolutionBlock] = []
    opened: tuple[int, str] | None = None  # (line, indent) of an open BEGIN
    owner = "cette partie"
    scopes: list[tuple[int, str, bool]] = []  # (indentation, name, is a class) of the enclosing defs
    for number, line in enumerate(text.splitlines(), start=1):
        if BEGIN in line:
            if opened:
                raise GraderError(f"{origin}:{number}: {BEGIN} inside another solution block")
            opened = (number, line[: len(line) - len(line.lstrip())])
        elif END in line:
            if not opened:
                raise GraderError(f"{origin}:{number}: {END} without {BEGIN}")
            blocks.append(SolutionBlock(owner, opened[0], number, opened[1]))
            opened = None
        elif not opened:
            match = DEF.match(line)
            if match:
                depth = len(line) - len(line.lstrip())
                scopes = [scope for scope in scopes if scope[0] < depth]
                classes = [name for _, name, is_class in scopes if is_class]
                owner = ".".join([*classes[-1:], match.group(1)])  # "DigitCNN.__init__": which stub it is
                scopes.append((depth, match.group(1), line.lstrip().startswith("class")))
    if opened:
        raise GraderError(f"{origin}: {BEGIN} never closed")
    return blocks


def stub_source(text: str, origin: str = "<source>", owners: set[str] | None = None) -> str:
    """The student's version of one solution file (with `owners`: only those functions stubbed)."""
    lines = text.splitlines(keepends=True)
    for block in reversed(solution_blocks(text, origin)):
        if owners is None or block.owner in owners:
            lines[block.begin - 1: block.end] = [f'{block.indent}raise NotImplementedError("À compléter : {block.owner}")\n']
    return "".join(lines)


def expected_files(solutions: Path) -> dict[Path, bytes]:
    """Relative path -> content of every file `assignments/` must hold."""
    files = {}
    for path in sorted(solutions.rglob("*")):
        relative = path.relative_to(solutions)
        if path.is_dir() or SKIPPED & set(relative.parts):
            continue
        if path.suffix == ".py":
            files[relative] = stub_source(path.read_text(encoding="utf-8"), str(path)).encode("utf-8")
        elif relative.parts[0] == HANDOUTS and path.suffix == ".md":  # the notebook, not its source
            notebook = notebook_source(path.read_text(encoding="utf-8"), str(path))
            files[relative.with_suffix(".ipynb")] = notebook.encode("utf-8")
        else:
            files[relative] = path.read_bytes()
    return files


def drift(solutions: Path, assignments: Path) -> list[str]:
    """Files of `assignments/` that are missing, extra or not what the generator gives."""
    wanted = expected_files(solutions)
    present = {p.relative_to(assignments) for p in assignments.rglob("*")
               if p.is_file() and not SKIPPED & set(p.relative_to(assignments).parts)}
    problems = [f"missing: {p}" for p in sorted(set(wanted) - present)]
    problems += [f"extra: {p}" for p in sorted(present - set(wanted))]
    problems += [f"differs: {p}" for p in sorted(set(wanted) & present) if (assignments / p).read_bytes() != wanted[p]]
    return problems


def generate(solutions: Path, assignments: Path) -> int:
    """Rewrite `assignments/` from `solutions/`; return the number of files written."""
    wanted = expected_files(solutions)
    if assignments.exists():
        shutil.rmtree(assignments)
    for relative, content in wanted.items():
        target = assignments / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return len(wanted)
