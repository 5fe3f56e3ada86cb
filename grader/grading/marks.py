"""From per-test outcomes to a mark: the rubric's points, the score /20, the result JSON.

Everything a student sees is built from these objects, never from pytest's own report.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import __version__
from ..base.files import write_atomically
from .config import Rubric

SCHEMA = 1
# Control characters (terminal escapes, carriage returns and line breaks that would forge rows of
# the table or hide the real mark), characters XML cannot hold, invisible and direction-changing ones.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\uffff"
                         "\ud800-\udfff]")
STATUSES = ("passed", "failed", "error", "timeout")
FULL_MARK = 20.0


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class, despite the name

    id: str  # "test_losses.py::test_name", relative to reference/tpN
    points: float  # points earned
    max_points: float  # points at stake, from the rubric
    status: str  # one of STATUSES
    message: str  # French, for the student; empty when passed
    duration_s: float  # wall time of the test

    def __post_init__(self) -> None:  # the message may quote the student's own text (an exception's)
        object.__setattr__(self, "message", printable(self.message))


def printable(text: str) -> str:
    """Text a student's code may have written, as one plain line: what terminals, GitLab's JUnit
    reader or a Markdown page would interpret becomes a space."""
    return UNPRINTABLE.sub(" ", text)


@dataclass(frozen=True)
class Grading:
    tp: str  # "tp1"
    student: str  # student id, or the checkout's folder name
    commit: str | None  # graded commit, when the checkout is a git repo
    submitted_at: str | None  # ISO time the commit was first seen (collect), else None
    score: float  # sum of points earned
    max_score: float  # sum of the rubric's points
    mark: float  # score on /20, less the late penalty, never below 0
    late_penalty: float  # points taken off the mark
    tests: tuple[TestResult, ...]  # one per hidden test, in run order
    errors: tuple[str, ...] = ()  # problems of the run itself (French)
    grader_version: str = __version__  # which grader produced this
    schema: int = field(default=SCHEMA)  # version of this JSON layout

    def __post_init__(self) -> None:
        object.__setattr__(self, "errors", tuple(printable(error) for error in self.errors))

    def to_json(self) -> str:
        data = asdict(self)
        order = ["schema", "tp", "student", "commit", "submitted_at", "score", "max_score", "mark",
                 "late_penalty", "tests", "errors", "grader_version"]
        return json.dumps({key: data[key] for key in order}, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Grading:
        """Read back what `to_json` wrote (a stored result, for caching and re-rendering)."""
        data = json.loads(text)
        if data.get("schema") != SCHEMA:
            raise ValueError(f"result schema {data.get('schema')!r}, expected {SCHEMA}")
        tests = tuple(TestResult(**test) for test in data.pop("tests"))
        return cls(tests=tests, errors=tuple(data.pop("errors")), **data)

    def write_json(self, path: Path) -> None:
        write_atomically(path, self.to_json() + "\n")


def grade(tp: str, student: str, commit: str | None, rubric: Rubric, tests: list[TestResult],
          errors: list[str], late_penalty: float = 0.0, submitted_at: str | None = None) -> Grading:
    """Sum the rubric's points over the results and put the score on /20."""
    score = round(sum(t.points for t in tests), 4)
    on_twenty = score / rubric.max_score * FULL_MARK if rubric.max_score else 0.0
    mark = round(max(0.0, on_twenty - late_penalty), 2)
    return Grading(tp, student, commit, submitted_at, score, rubric.max_score, mark, late_penalty,
                   tuple(tests), tuple(errors))
