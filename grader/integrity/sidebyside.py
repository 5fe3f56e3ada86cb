"""What the side-by-side view of a pair highlights: the copy, not the boilerplate around it.

copydetect's slices cover everything between the first and the last character of a match in
the original text, comments and docstrings included (they vanish from the normalised code the
match is found in): the starter's docstrings between two matched functions came out as one solid
block of copy. Here a character is highlighted only when it is matched *and* the student's own
code: not whitespace, not a comment, not a string standing as a statement (docstrings), not on a
line that is a line of the starter (stubs' signatures, imports, the handout's cells). Highlighted
runs separated by whitespace alone form one region; each region is listed with its lines. Each
function (and method, "Network.forward") gets the share of its own code that is highlighted:
"backward : 92 % commun".
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

import numpy as np
from markupsafe import escape

from .documents import Document

SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER,
           tokenize.ENCODING}
MIN_FUNCTION = 20  # characters of own code below which a function is left out of the summary


@dataclass(frozen=True)
class Span:
    first: int  # first line of the region (1-based)
    last: int  # last line, included
    lines: int  # lines with highlighted code in it


@dataclass(frozen=True)
class FunctionShare:
    path: str  # "tp1/mlp.py"
    name: str  # "backward", or "Network.forward" for a method
    first: int  # line of its `def`
    share: float  # highlighted share of its own code, 0…1
    own: int  # characters of its own code


@dataclass(frozen=True)
class FileSide:
    html: str  # the file as escaped HTML, the copy in <mark>
    regions: tuple[Span, ...]  # the highlighted regions, top to bottom


def starter_lines(starter: list[str]) -> set[str]:
    """The lines of the boilerplate texts, stripped of spaces and comments: a student's line equal to one is not theirs."""
    return {code for text in starter for line in text.splitlines() if (code := re.sub(r"\s+#[^'\"]*$", "", line).strip())}


def own_code(text: str, starter: set[str]) -> np.ndarray:
    """One flag per character: the student's own code (not whitespace, comment, docstring, starter line)."""
    starts = _line_starts(text)
    mask = np.zeros(len(text), dtype=bool)
    comments: dict[int, int] = {}  # line (0-based) → column where its comment starts
    try:
        docstrings = _statement_strings(text)
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0] - 1] = token.start[1]
            if token.type in SKIPPED or (token.type == tokenize.STRING and token.start in docstrings):
                continue
            mask[starts[token.start[0] - 1] + token.start[1]:starts[token.end[0] - 1] + token.end[1]] = True
    except (tokenize.TokenError, SyntaxError, ValueError, IndexError):  # not Python after all: what is not blank
        mask = np.array([not c.isspace() for c in text], dtype=bool)
    for number, line in enumerate(text.split("\n")):
        if line[:comments.get(number, len(line))].strip() in starter:  # the starter's line, a comment added
            mask[starts[number]:starts[number] + len(line)] = False
    return mask


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)] + [len(text)]


def _statement_strings(text: str) -> set[tuple[int, int]]:
    """(line, column in characters) where each string standing as a statement starts (docstrings)."""
    tree = ast.parse(text)
    lines = text.split("\n")
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            line = lines[node.lineno - 1]
            found.add((node.lineno, len(line.encode("utf-8")[:node.col_offset].decode("utf-8", "ignore"))))
    return found


def side(doc: Document, slices: np.ndarray, starter: set[str],
         mark: tuple[str, str]) -> tuple[dict[str, FileSide], list[FunctionShare]]:
    """Each file of `doc` highlighted where the copied `slices` (raw characters of the files end to
    end, as grader.integrity.fingerprint.overlap gives them) cover its own code; the share per function."""
    spans = list(zip(slices[0].tolist(), slices[1].tolist())) if slices.size else []
    files, functions, start = {}, [], 0
    for file in doc.files:
        end = start + len(file.text)
        matched = np.zeros(len(file.text), dtype=bool)
        for left, right in spans:
            if max(left, start) < min(right, end):
                matched[max(left, start) - start:min(right, end) - start] = True
        own = own_code(file.text, starter)
        marked = own & matched
        runs = _runs(file.text, marked)
        files[file.path] = FileSide(_html(file.text, runs, mark), tuple(_span(file.text, marked, r) for r in runs))
        functions += _functions(file.path, file.text, own, marked)
        start = end
    return files, sorted(functions, key=lambda f: (-f.share, f.path, f.first))


def _runs(text: str, marked: np.ndarray) -> list[tuple[int, int]]:
    """Highlighted character runs; two runs with only whitespace between them are one."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], marked.astype(np.int8), [0]))))
    runs: list[tuple[int, int]] = []
    for left, right in zip(edges[::2].tolist(), edges[1::2].tolist()):
        if runs and not text[runs[-1][1]:left].strip():
            runs[-1] = (runs[-1][0], right)
        else:
            runs.append((left, right))
    return runs


def _span(text: str, marked: np.ndarray, run: tuple[int, int]) -> Span:
    first = text.count("\n", 0, run[0]) + 1
    last = text.count("\n", 0, run[1] - 1) + 1
    starts = _line_starts(text)
    lines = sum(bool(marked[starts[n - 1]:starts[n]].any()) for n in range(first, last + 1))
    return Span(first, last, lines)


def _html(text: str, runs: list[tuple[int, int]], mark: tuple[str, str]) -> str:
    parts, at = [], 0
    for left, right in runs:
        parts += [str(escape(text[at:left])), mark[0], str(escape(text[left:right])), mark[1]]
        at = right
    return "".join(parts + [str(escape(text[at:]))])


def _functions(path: str, text: str, own: np.ndarray, marked: np.ndarray) -> list[FunctionShare]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    starts = _line_starts(text)
    found = []
    for name, node in units(tree):
        left, right = starts[node.lineno - 1], starts[node.end_lineno]
        mine = int(own[left:right].sum())
        if mine >= MIN_FUNCTION:
            found.append(FunctionShare(path, name, node.lineno, float(marked[left:right].sum()) / mine, mine))
    return found


def units(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """Top-level functions, and the methods of top-level classes as "Class.method"."""
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            found += [(f"{node.name}.{item.name}", item) for item in node.body
                      if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return found
