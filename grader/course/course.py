"""`course.yaml`: the TPs and their deadlines, late penalties, the marks files, the formula, and
what integrity compares with and decided (`archive:`, `sources:`: grader.course.origins; the review file:
grader.course.review).

Loaded and checked in full before any grading starts: a malformed file stops the run with an
error naming the file, the line and the key (lines come from `yaml.compose`'s node marks).
`load_class` also reads the roster and the marks files and checks every id they share.
The format is documented, with comments, in `examples/course.yaml`.
"""
from __future__ import annotations

from collections.abc import Iterable

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..base.errors import ConfigError
from ..base.yamlsource import YamlSource, kind, read_yaml
from ..grading.config import TP_NAME
from .formula import FUNCTIONS, Formula, FormulaError, Mark, parse_formula, parse_mark
from .origins import Source, parse_archives, parse_sources
from .review import NO_REVIEW, Review, load_review, resolve
from .roster import MarkTable, Roster, load_roster, read_mark_table

MARK_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
FINAL = "final"  # what an override names to replace the final mark itself
ROUNDING_MODES = {"nearest": ROUND_HALF_UP, "up": ROUND_CEILING, "down": ROUND_FLOOR}
TOP_KEYS = ("course", "timezone", "roster", "max_group_size", "late_penalty", "tps", "marks", "formula",
            "rounding", "rounding_mode", "extensions", "overrides", "outputs", "gitlab", "ci", "archive", "sources",
            "review")
REVIEW_FILE = "integrity-review.yaml"  # read beside course.yaml when it exists and no `review:` key names another
CI_FEEDBACK = ("count", "full")  # what a push's grade job shows before the deadline (grader/gitlab/push.py)


@dataclass(frozen=True)
class LatePenalty:
    per_day: float  # points off the /20 mark per started day (24 h) after the deadline
    max: float | None  # cap on the points taken off; None: no cap
    cutoff_days: float | None  # later than this many days after the deadline the mark is 0; None: never


@dataclass(frozen=True)
class TPConfig:
    name: str  # "tp1"
    deadline: datetime  # tz-aware, in UTC (shown to students in the course's time zone)
    tag: str  # the git tag that marks the deliverable (default: the TP's name)
    label: str  # column header and title for people ("TP1")
    late_penalty: LatePenalty  # the course's rule, with this TP's own keys over it


@dataclass(frozen=True)
class MarkSource:
    name: str  # the name the formula uses ("exam")
    label: str  # column header and title for people ("Examen")
    optional: bool  # a student absent from the file is left out (no resit taken), not missing
    table: MarkTable  # the marks read from the file, on /20


@dataclass(frozen=True)
class Extension:
    owner: str  # a student id, or a group id (every member gets it)
    tp: str | None  # the TP it applies to; None: every TP
    delay: timedelta  # added to the deadline
    reason: str  # why ("tiers temps"), shown in the feedback
    line: int  # line in course.yaml, for errors


@dataclass(frozen=True)
class Override:
    owner: str  # a student id, or a group id (every member gets it)
    mark: str  # a TP, a marks-file name, or "final"
    value: Mark  # the mark that replaces the computed one (a number /20, ABI or ABJ)
    reason: str  # why, in French: shown to the student in the feedback
    line: int  # line in the overrides file, for errors


@dataclass(frozen=True)
class Course:
    path: Path  # course.yaml; relative paths inside it are relative to its folder
    name: str  # the course's title, shown on every page
    timezone: str  # IANA zone in which times are shown to students ("Europe/Paris")
    roster_path: Path  # roster.csv
    max_group_size: int  # largest group sharing one repository
    tps: tuple[TPConfig, ...]  # in the order of course.yaml
    marks: tuple[MarkSource, ...]  # marks read from CSV files (exam, project, resit…)
    formula: Formula  # the final mark, over TP names and mark names
    rounding: float  # the final mark is rounded to a multiple of this; 0: not rounded
    rounding_mode: str  # nearest (half up), up or down
    extensions: tuple[Extension, ...]  # per-student deadline extensions
    overrides_path: Path | None  # the file of manual overrides, edited by hand, kept across runs
    overrides: tuple[Override, ...]  # read from it
    french_csv: bool  # also write gradebook-fr.csv (';' separator, decimal comma)
    gitlab: tuple[str, str] | None = None  # (server URL, token variable): push events as first-seen evidence
    ci_feedback: str = "count"  # before a TP's deadline, a push's grade job shows only the number of hidden tests passed
    archives: tuple[Path, ...] = ()  # folders of past classes' submissions (grader archive), compared with
    sources: tuple[Source, ...] = ()  # known public solutions, compared with
    review: Review = NO_REVIEW  # the instructor's integrity decisions (integrity-review.yaml)

    def tp(self, name: str) -> TPConfig:
        for tp in self.tps:
            if tp.name == name:
                return tp
        raise KeyError(name)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def round_final(self, value: float) -> float:
        if not self.rounding:
            return round(value, 2)
        step = Decimal(repr(self.rounding))
        steps = (Decimal(repr(round(value, 9))) / step).quantize(Decimal(1), ROUNDING_MODES[self.rounding_mode])
        return float(steps * step)


def load_course(path: Path, with_marks: bool = True, known_tps: Iterable[str] | None = None) -> Course:
    """Read and check course.yaml, its overrides file and its marks files (not yet the roster).

    `with_marks=False` reads neither the marks files nor the overrides (their names are still
    checked): what a push's grade job needs, which has no business with the class's exam marks.
    `known_tps`: the TPs the project has (reference/tpN); another TP name is an error of its line."""
    path = path.resolve()
    data, source = read_yaml(path)
    data = source.mapping(data, "", TOP_KEYS, required=("course", "roster", "tps"))
    zone = source.text(data.get("timezone", "Europe/Paris"), "timezone")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise source.error("timezone", f"unknown time zone {zone!r} (e.g. Europe/Paris)") from None
    penalty = _late_penalty(source, data.get("late_penalty", {}), "late_penalty", LatePenalty(0.0, None, None))
    tps = _tps(source, data["tps"], penalty, None if known_tps is None else sorted(known_tps))
    marks = _marks(source, data.get("marks", {}), {tp.name for tp in tps}, with_marks)
    mode = data.get("rounding_mode", "nearest")
    if mode not in ROUNDING_MODES:
        raise source.error("rounding_mode", f"expected one of {', '.join(ROUNDING_MODES)}, got {mode!r}")
    outputs = source.mapping(data.get("outputs", {}), "outputs", ("french_csv",))
    size = data.get("max_group_size", 3)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise source.error("max_group_size", f"expected a whole number ≥ 1, got {kind(size)}")
    overrides_path = path.parent / source.text(data["overrides"], "overrides") if "overrides" in data else None
    sources = parse_sources(source, data.get("sources"))
    review_path = path.parent / source.text(data["review"], "review") if "review" in data else path.parent / REVIEW_FILE
    if "review" in data and not review_path.is_file():
        raise source.error("review", f"no such file: {review_path} (it may be empty)")
    review = load_review(review_path if review_path.is_file() and with_marks else None, [tp.name for tp in tps],
                         [s.id for s in sources])
    return Course(path, source.text(data["course"], "course"), zone, path.parent / source.text(data["roster"], "roster"),
                  size, tps, marks, _formula(source, data, tps, marks), source.number(data.get("rounding", 0.01), "rounding"),
                  mode, _extensions(source, data.get("extensions", []), tps),
                  overrides_path, _overrides(overrides_path, tps, marks) if overrides_path and with_marks else (),
                  source.flag(outputs.get("french_csv", False), "outputs.french_csv"), _gitlab(source, data.get("gitlab")),
                  _ci_feedback(source, data.get("ci", {})), parse_archives(source, data.get("archive")), sources, review)


def _ci_feedback(source: YamlSource, value: object) -> str:
    settings = source.mapping(value, "ci", ("before_deadline",))
    policy = settings.get("before_deadline", "count")
    if policy not in CI_FEEDBACK:
        raise source.error("ci.before_deadline", f"expected one of {', '.join(CI_FEEDBACK)}, got {policy!r}")
    return policy


def _gitlab(source: YamlSource, value: object) -> tuple[str, str] | None:
    if value is None:
        return None
    settings = source.mapping(value, "gitlab", ("url", "token_env"), required=("url", "token_env"))
    return source.text(settings["url"], "gitlab.url"), source.text(settings["token_env"], "gitlab.token_env")


def _late_penalty(source: YamlSource, value: object, key: str, default: LatePenalty) -> LatePenalty:
    rule = source.mapping(value, key, ("per_day", "max", "cutoff_days"))
    return LatePenalty(
        source.number(rule.get("per_day", default.per_day), f"{key}.per_day"),
        source.number(rule.get("max", default.max), f"{key}.max", allow_none=True),
        source.number(rule.get("cutoff_days", default.cutoff_days), f"{key}.cutoff_days", allow_none=True))


def _tps(source: YamlSource, value: object, penalty: LatePenalty, known: list[str] | None) -> tuple[TPConfig, ...]:
    if not isinstance(value, dict) or not value:
        raise source.error("tps", f"expected a mapping of TP names (tp1, tp2…) to settings, got {kind(value)}")
    tps = []
    for name, settings in value.items():
        key = f"tps.{name}"
        if not isinstance(name, str) or not TP_NAME.match(name):
            raise source.error(key, f"TP names are tp1, tp2…, not {name!r}")
        if known is not None and name not in known:
            raise source.error(key, f"no TP {name!r} in this dlgrade project (reference/ has {', '.join(known) or 'none'})")
        settings = source.mapping(settings, key, ("deadline", "tag", "label", "late_penalty"), required=("deadline",))
        tps.append(TPConfig(name, _deadline(source, settings["deadline"], f"{key}.deadline"),
                            source.text(settings.get("tag", name), f"{key}.tag"),
                            source.text(settings.get("label", name.upper()), f"{key}.label"),
                            _late_penalty(source, settings.get("late_penalty", {}), f"{key}.late_penalty", penalty)))
    return tuple(tps)


def _deadline(source: YamlSource, value: object, key: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise source.error(key, f"not an ISO date and time: {value!r} (e.g. 2026-02-15T23:59:00+01:00)") from None
    if not isinstance(value, datetime):
        what = "a date without a time" if isinstance(value, date) else kind(value)
        raise source.error(key, f"expected an ISO date, time and zone (2026-02-15T23:59:00+01:00), got {what}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise source.error(key, f"the deadline {value.isoformat()} needs a time zone, e.g. +01:00")
    return value.astimezone(timezone.utc)


def _marks(source: YamlSource, value: object, tp_names: set[str], read: bool = True) -> tuple[MarkSource, ...]:
    if not isinstance(value, dict):
        raise source.error("marks", f"expected a mapping of mark names to CSV files, got {kind(value)}")
    marks = []
    for name, settings in value.items():
        key = f"marks.{name}"
        if not isinstance(name, str) or not MARK_NAME.match(name) or name in FUNCTIONS or name == FINAL \
                or TP_NAME.match(name) or name in tp_names:
            raise source.error(key, f"{name!r} cannot name a mark: use lower-case letters, digits and '_', "
                                    "not a TP name, mean, min, max or final")
        if isinstance(settings, str):
            settings = {"file": settings}
        settings = source.mapping(settings, key, ("file", "label", "id_column", "column", "out_of", "optional"),
                                  required=("file",))
        out_of = source.number(settings.get("out_of", 20), f"{key}.out_of")
        if not out_of:
            raise source.error(f"{key}.out_of", "out_of must be more than 0")
        file = source.path.parent / source.text(settings["file"], f"{key}.file")
        table = read_mark_table(file, source.text(settings.get("id_column", "id"), f"{key}.id_column"),
                                source.text(settings.get("column", "mark"), f"{key}.column"), out_of) \
            if read else MarkTable(file, {})
        marks.append(MarkSource(name, source.text(settings.get("label", name), f"{key}.label"),
                                source.flag(settings.get("optional", False), f"{key}.optional"), table))
    return tuple(marks)


def _formula(source: YamlSource, data: dict, tps: tuple[TPConfig, ...], marks: tuple[MarkSource, ...]) -> Formula:
    default = f"0.5*exam + 0.5*mean({', '.join([tp.name for tp in tps] + ['project'])})"
    try:
        formula = parse_formula(source.text(data.get("formula", default), "formula"))
    except FormulaError as exc:
        raise source.error("formula", str(exc)) from None
    known = [tp.name for tp in tps] + [m.name for m in marks]
    which = "the formula" if "formula" in data else f"the default formula {default!r} (no formula: key)"
    for name in formula.names:
        if name not in known:
            raise source.error("formula", f"{which} names {name!r}, which no TP and no marks file provides "
                                          f"(known marks: {', '.join(known)})")
    return formula


def _extensions(source: YamlSource, value: object, tps: tuple[TPConfig, ...]) -> tuple[Extension, ...]:
    if not isinstance(value, list):
        raise source.error("extensions", f"expected a list, got {kind(value)}")
    extensions = []
    for i, item in enumerate(value):
        key = f"extensions[{i}]"
        item = source.mapping(item, key, ("student", "tp", "days", "hours", "reason"), required=("student", "reason"))
        tp = item.get("tp")
        if tp is not None and tp not in {t.name for t in tps}:
            raise source.error(f"{key}.tp", f"unknown TP {tp!r}")
        delay = timedelta(days=source.number(item.get("days", 0), f"{key}.days"),
                          hours=source.number(item.get("hours", 0), f"{key}.hours"))
        if not delay:
            raise source.error(key, "an extension needs days or hours")
        extensions.append(Extension(str(item["student"]), tp, delay, source.text(item["reason"], f"{key}.reason"),
                                    source.lines[key]))
    return tuple(extensions)


def _overrides(path: Path, tps: tuple[TPConfig, ...], marks: tuple[MarkSource, ...]) -> tuple[Override, ...]:
    data, source = read_yaml(path)
    if data is None:
        return ()  # an empty file: no override yet
    if not isinstance(data, list):
        raise ConfigError(path, "expected a list of overrides (- student: …, mark: …, value: …, reason: …)")
    targets = [tp.name for tp in tps] + [m.name for m in marks] + [FINAL]
    overrides = []
    for i, item in enumerate(data):
        key = f"[{i}]"
        item = source.mapping(item, key, ("student", "mark", "value", "reason"), required=("student", "mark", "value", "reason"))
        if item["mark"] not in targets:
            raise source.error(f"{key}.mark", f"unknown mark {item['mark']!r}; expected one of {', '.join(targets)}")
        try:
            value = parse_mark(str(item["value"]))
        except ValueError as exc:
            raise source.error(f"{key}.value", str(exc)) from None
        if value.value is not None and not 0 <= value.value <= 20:
            raise source.error(f"{key}.value", f"an override is a mark on /20, got {item['value']}")
        if any(o.owner == str(item["student"]) and o.mark == item["mark"] for o in overrides):
            raise source.error(key, f"a second override of {item['mark']} for {item['student']}: keep one")
        overrides.append(Override(str(item["student"]), item["mark"], value,
                                  source.text(item["reason"], f"{key}.reason"), source.lines[key]))
    return tuple(overrides)


def load_class(path: Path, known_tps: Iterable[str] | None = None) -> tuple[Course, Roster]:
    """course.yaml, its roster and marks files, every id they share checked against the roster."""
    course = load_course(path, known_tps=known_tps)
    roster = load_roster(course.roster_path, course.max_group_size)
    known = {s.id for s in roster.students} | {o.id for o in roster.owners}
    for source in course.marks:
        for owner, (_, line) in source.table.marks.items():
            if owner not in known:
                raise ConfigError(source.table.path, f"{owner!r} is neither a student nor a group of the roster", line=line)
            for member in roster.members(owner):
                if member != owner and member in source.table.marks:
                    raise ConfigError(source.table.path, f"{member!r} has a mark of its own and one through group "
                                                         f"{owner!r}: keep one", line=line)
    for extension in course.extensions:
        if extension.owner not in known:
            raise ConfigError(course.path, f"extension for {extension.owner!r}, who is not in the roster",
                              line=extension.line, key="extensions")
    for override in course.overrides:
        if override.owner not in known:
            raise ConfigError(course.overrides_path, f"override for {override.owner!r}, who is not in the roster",
                              line=override.line, key="student")
    owners = {o.id: o.id for o in roster.owners} | {m: o.id for o in roster.owners for m in o.members}
    return replace(course, review=resolve(course.review, owners.get)), roster
