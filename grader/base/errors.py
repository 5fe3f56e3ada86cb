"""The grader's one exception family, turned into a one-line message and an exit code by cli.py.

What a student's code does wrong is never one of these: it becomes a test result.
"""
from __future__ import annotations


class GraderError(Exception):
    """Something the instructor or the installation must fix."""

    exit_code = 2


class UsageError(GraderError):
    """Bad command-line usage or a path that does not exist."""


class ConfigError(GraderError):
    """A malformed configuration file: names the file, the line and the key when known."""

    def __init__(self, path: object, message: str, line: int | None = None, key: str | None = None) -> None:
        where = f"{path}" + (f":{line}" if line else "") + (f" [{key}]" if key else "")
        super().__init__(f"{where}: {message}")


class ReferenceSetupError(GraderError):
    """The hidden side of a TP is broken (a test not in the rubric, a collection error...)."""


class IsolationError(GraderError):
    """A required isolation layer is missing, or the sandbox could not start."""

    exit_code = 3
