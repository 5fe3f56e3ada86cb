"""Mutants of a TP's answers: every mutation our operators find between the solution markers.

Only the code a student writes is mutated — the lines between `### BEGIN SOLUTION` and
`### END SOLUTION` of `solutions/tpN/` — never the given code around it. Each mutant is one
operator applied at one place (cosmic-ray's `mutate_code` on a parso tree); mutants that do not
compile or repeat another's text are dropped. A mutant's id hashes its file, its function and the
changed lines, so it survives edits elsewhere in the file: the reviewed list of equivalent
mutants (reference/tpN/mutants.yaml) names mutants by it.
"""
from __future__ import annotations

import difflib
import hashlib
import random
from dataclasses import dataclass, replace
from pathlib import Path

import parso
from cosmic_ray.ast import ast_nodes
from cosmic_ray.mutating import mutate_code

from ..stubs import SKIPPED, SolutionBlock, solution_blocks
from .operators import operators


@dataclass(frozen=True)
class Mutant:
    id: str  # stable: hash of file, function and changed lines ("3f9a1c0d2e")
    file: str  # the mutated file, relative to the repo root ("tp1/losses.py")
    function: str  # the solution block's owner ("mse", "DigitCNN.forward")
    operator: str  # the operator's name ("NumberReplacer", "DropArgument"…)
    line: int  # the first changed line (1-based)
    source: str  # the whole mutated file
    diff: str  # unified diff against the solution

    @property
    def where(self) -> str:
        """"tp1/losses.py::mse": the key of kill rates per function."""
        return f"{self.file}::{self.function}"


def solution_files(solutions: Path, tp: str) -> dict[str, str]:
    """Relative path -> text of every Python file of the TP's solution package."""
    found = {}
    for path in sorted((solutions / tp).rglob("*.py")):
        if not SKIPPED & set(path.relative_to(solutions).parts):
            found[path.relative_to(solutions).as_posix()] = path.read_text(encoding="utf-8")
    return found


def answer_functions(files: dict[str, str]) -> dict[str, tuple[str, str]]:
    """"file::function" -> (file, function) of every function holding a solution block."""
    found = {}
    for relative, text in files.items():
        for block in solution_blocks(text, relative):
            found.setdefault(f"{relative}::{block.owner}", (relative, block.owner))
    return found


def mutants_of_file(relative: str, text: str) -> list[Mutant]:
    """Every mutant of one solution file, inside its solution blocks, duplicates removed."""
    blocks = solution_blocks(text, relative)
    if not blocks:
        return []
    tree = parso.parse(text)
    found: dict[str, Mutant] = {}  # mutated text -> mutant: the first operator to give a text keeps it
    for name, operator in operators().items():
        occurrence = 0
        for node in ast_nodes(tree):
            for (line, _), _ in operator.mutation_positions(node):
                block = enclosing_block(blocks, line)
                if block is not None:
                    mutated = mutate_code(text, operator, occurrence)
                    if mutated and mutated != text and mutated not in found and compiles(mutated, relative):
                        found[mutated] = make_mutant(relative, block.owner, name, text, mutated)
                occurrence += 1
    return unique_ids(sorted(found.values(), key=lambda m: (m.line, m.operator, m.id)))


def enclosing_block(blocks: list[SolutionBlock], line: int) -> SolutionBlock | None:
    return next((b for b in blocks if b.begin < line < b.end), None)


def compiles(source: str, origin: str) -> bool:
    try:
        compile(source, origin, "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def make_mutant(relative: str, function: str, operator: str, original: str, mutated: str) -> Mutant:
    before, after = original.splitlines(), mutated.splitlines()
    diff = list(difflib.unified_diff(before, after, f"a/{relative}", f"b/{relative}", n=1, lineterm=""))
    changed = [line[0] + line[1:].strip() for line in diff[2:] if line[:1] in "+-"]
    first = next(i for i, (a, b) in enumerate(zip(before + [None], after + [None]), start=1) if a != b)
    digest = hashlib.sha256("\0".join([relative, function, *changed]).encode()).hexdigest()[:10]
    return Mutant(digest, relative, function, operator, first, mutated, "\n".join(diff))


def unique_ids(mutants: list[Mutant]) -> list[Mutant]:
    """The same change twice in one function (two identical lines) gets "-2", "-3"… in order."""
    seen: dict[str, int] = {}
    out = []
    for mutant in mutants:
        seen[mutant.id] = seen.get(mutant.id, 0) + 1
        if seen[mutant.id] > 1:
            mutant = replace(mutant, id=f"{mutant.id}-{seen[mutant.id]}")
        out.append(mutant)
    return out


def mutants_of(files: dict[str, str]) -> list[Mutant]:
    """Every mutant of a solution package (see `solution_files`), file by file."""
    return [mutant for relative, text in files.items() for mutant in mutants_of_file(relative, text)]


def sample(mutants: list[Mutant], limit: int | None, seed: int = 0) -> list[Mutant]:
    """At most `limit` mutants, spread over the functions: each function's mutants are shuffled
    (seeded), then taken one per function in turn, so that a long function cannot crowd the
    others out. The result keeps the original order."""
    if limit is None or len(mutants) <= limit:
        return list(mutants)
    rng = random.Random(seed)
    queues: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        queues.setdefault(mutant.where, []).append(mutant)
    for queue in queues.values():
        rng.shuffle(queue)
    chosen: set[str] = set()
    while len(chosen) < limit:
        for queue in queues.values():
            if queue and len(chosen) < limit:
                chosen.add(queue.pop().id)
    return [m for m in mutants if m.id in chosen]
