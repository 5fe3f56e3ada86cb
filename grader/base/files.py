"""Whole-or-nothing file writes: every result, submission, gradebook, page and record the grader
stores goes through `write_atomically`, so that a run killed at any moment leaves each file
either as it was or complete, and an unchanged re-run rewrites nothing. Also where the grader's
own jinja templates are (package data, `grader/templates/`).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMPLATES = Path(__file__).parent.parent / "templates"  # grader/templates: the pages' jinja templates


def write_atomically(path: Path, data: str | bytes) -> None:
    """Whole file or nothing: write a temporary file, fsync it, rename it over `path`. A file that
    already holds exactly `data` is left as it is (an unchanged re-run rewrites and syncs nothing)."""
    data = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
