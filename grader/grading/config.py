"""Where things are: the project's folders, its TPs and their rubrics (first stage of the flow).

A `Project` is found from the installed package or given explicitly, then passed inward:
nothing below reads the current directory or a global.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..base.errors import UsageError
from ..base.yamlsource import YamlSource, read_yaml

TP_NAME = re.compile(r"^tp\d+$")
RUBRIC_KEYS = ("title", "memory_mb", "call_timeout_s", "budget_s", "tests", "held_out", "preload")
NOT_GRADED = "mutants.yaml"  # reviewed equivalent mutants (grader.authoring.mutants): left out of TP.version


@dataclass(frozen=True)
class Rubric:
    title: str  # the TP's title, in French
    points: dict[str, float]  # test id (path::name, relative to reference/tpN) -> points
    held_out: frozenset[str] = frozenset()  # tests scored on held-out data (accuracy, reconstruction…)

    @property
    def max_score(self) -> float:
        return round(sum(self.points.values()), 6)


@dataclass(frozen=True)
class TP:
    name: str  # "tp1"
    reference: Path  # reference/tp1: hidden tests, rubric.yaml, cases.py, expected.npz
    rubric: Rubric
    memory_bytes: int  # address-space limit of the worker (numpy TPs need far less than torch)
    call_timeout: float  # default wall-clock seconds per call into student code
    preload: tuple[str, ...] = ()  # modules the worker template imports once (torch…), beside numpy
    budget: float = 120.0  # wall-clock seconds all the calls of one grading may take together (README)

    @cached_property
    def version(self) -> str:
        """Hash of every file of the hidden side: a cache key for results (read once per TP). The
        reviewed equivalent mutants are about the tests, not part of them: reviewing one regrades no one."""
        digest = hashlib.sha256()
        for path in sorted(p for p in self.reference.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                           and p.relative_to(self.reference).as_posix() != NOT_GRADED):
            digest.update(path.relative_to(self.reference).as_posix().encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Project:
    root: Path  # the dlgrade checkout
    assignments: Path  # the starter repo students get
    solutions: Path  # the perfect student repo
    reference: Path  # the hidden side, one folder per TP

    @classmethod
    def at(cls, root: Path) -> Project:
        root = root.resolve()
        project = cls(root, root / "assignments", root / "solutions", root / "reference")
        if not project.reference.is_dir():
            raise UsageError(f"{root} is not a dlgrade project: no reference/ folder")
        return project

    @classmethod
    def installed(cls) -> Project:
        return cls.at(Path(__file__).resolve().parents[2])

    @property
    def probes(self) -> Path:
        # A path, not an import: the students' wheel has config.py and no sandbox.
        return Path(__file__).parent.parent / "sandbox" / "runtime" / "probes.py"

    def tp_names(self) -> list[str]:
        names = [p.name for p in self.reference.iterdir() if p.is_dir() and TP_NAME.match(p.name)]
        return sorted(names, key=lambda n: int(n[2:]))

    def tp(self, name: str) -> TP:
        if name not in self.tp_names():
            raise UsageError(f"unknown TP {name!r}: expected one of {', '.join(self.tp_names()) or 'none'}")
        folder = self.reference / name
        data, source = read_yaml(folder / "rubric.yaml")
        data = source.mapping(data, "", RUBRIC_KEYS, required=("tests",))
        points = parse_rubric(source, data["tests"])
        rubric = Rubric(title=str(data.get("title", "")), points=points,
                        held_out=parse_held_out(source, data.get("held_out", []), points))
        return TP(name, folder, rubric, memory_bytes=int(source.number(data.get("memory_mb", 2048), "memory_mb")) << 20,
                  call_timeout=source.number(data.get("call_timeout_s", 30), "call_timeout_s"),
                  preload=parse_preload(source, data.get("preload", [])),
                  budget=source.number(data.get("budget_s", 120), "budget_s"))


def parse_rubric(source: YamlSource, tests: object) -> dict[str, float]:
    """Test id -> points; each must be a positive number (errors name the line and the test)."""
    if not isinstance(tests, dict) or not tests:
        raise source.error("tests", "'tests' must map each test id to its points")
    points = {}
    for test_id, value in tests.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise source.error(f"tests.{test_id}", f"points must be a positive number, got {value!r}")
        points[str(test_id)] = float(value)
    return points


def parse_held_out(source: YamlSource, tests: object, points: dict[str, float]) -> frozenset[str]:
    """The ids of the tests scored on held-out data; each must be a test of the rubric."""
    if not isinstance(tests, list):
        raise source.error("held_out", "'held_out' must be a list of test ids")
    for index, test_id in enumerate(tests):
        if test_id not in points:
            raise source.error(f"held_out[{index}]", f"{test_id!r} is not a test of 'tests'")
    return frozenset(tests)


def parse_preload(source: YamlSource, modules: object) -> tuple[str, ...]:
    """Module names for the worker template to import, e.g. [torch]."""
    if not isinstance(modules, list) or not all(isinstance(m, str) and re.fullmatch(r"[A-Za-z_][\w.]*", m)
                                                 for m in modules):
        raise source.error("preload", "'preload' must be a list of module names, e.g. [torch]")
    return tuple(modules)
