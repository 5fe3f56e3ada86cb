"""Python source parsed by the grader's own checks (integrity scans, the hidden tests' imports),
one thread at a time."""
from __future__ import annotations

import ast
import threading

# CPython 3.11 keeps the AST constructor's recursion depth in interpreter-wide state: two threads
# parsing at once can fail with "SystemError: AST constructor recursion depth mismatch"
# (python/cpython#106905). `grader collect` scans in threads, so parsing takes turns.
PARSING = threading.Lock()


def parse(data: bytes) -> ast.Module | None:
    """The module's tree, parsed in turn with other threads (see PARSING); None if it does not parse."""
    try:
        with PARSING:
            return ast.parse(data.decode("utf-8", errors="replace"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # the grading reports it; nothing to scan
        return None
