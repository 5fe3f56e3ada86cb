"""Handout notebooks: built with nbformat from Markdown sources kept in `solutions/handouts/`.

A source is plain Markdown (French prose, LaTeX formulas between `$…$` or `$$…$$`); each fenced
```` ```python ```` block becomes a code cell, the text around it a Markdown cell, and a line
`<!-- cell -->` splits a long stretch of text into several cells. `grader stubs` writes the
notebook (`handouts/tpN.ipynb`) into `assignments/`, never the source; a test executes every
notebook with nbclient against `solutions/`. Cell ids are numbered, not random, so the same
source always gives the same bytes and the drift check can compare them.
"""
from __future__ import annotations

import re

import nbformat

from ..base.errors import GraderError

FENCE = re.compile(r"^```(\w*)\s*$")
SPLIT = "<!-- cell -->"
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
          "language_info": {"name": "python"}}


def notebook_source(text: str, origin: str = "<handout>") -> str:
    """The .ipynb text of one Markdown handout source."""
    cells: list[tuple[str, list[str]]] = []  # (kind, lines)
    prose: list[str] = []
    code: list[str] | None = None
    opened_at = 0

    def flush_prose() -> None:
        body = "".join(prose).strip("\n")
        if body:
            cells.append(("markdown", [body]))
        prose.clear()

    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        fence = FENCE.match(line)
        if code is None and fence and fence.group(1) == "python":
            flush_prose()
            code, opened_at = [], number
        elif code is not None and fence and not fence.group(1):
            cells.append(("code", ["".join(code).strip("\n")]))
            code = None
        elif code is not None:
            code.append(line)
        elif line.strip() == SPLIT:
            flush_prose()
        else:
            prose.append(line)
    if code is not None:
        raise GraderError(f"{origin}:{opened_at}: ```python block never closed")
    flush_prose()
    notebook = nbformat.v4.new_notebook(metadata=KERNEL)
    for index, (kind, (body,)) in enumerate(cells):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        notebook.cells.append(make(body, id=f"cell-{index:03d}"))
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"
