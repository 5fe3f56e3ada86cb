"""The instructor's integrity decisions: `integrity-review.yaml`, edited by hand, never written by the grader.

One entry per pair of submissions or per integrity flag the instructor looked at:

    - pair: [c01, s03]            # two repositories of the class (student or group ids),
      tp: tp1                     # or [c01, 2025/s03] (archive: year/owner), [c01, source:cs231n]
      decision: écarté            # écarté, confirmé or à discuter
      note: "Binôme déclaré en retard : travail commun autorisé."
      date: 2026-03-02
    - flag: data-access           # a flag's kind (integrity.flags.KINDS)
      student: s05
      tp: tp1
      where: tp1/mlp.py:12        # optional: this finding only; without it, every flag of that kind
      decision: à discuter
      note: "Lit un fichier de poids : à demander en TP."
      date: 2026-03-02

Decisions are shown on the similarity pages and the gradebook page (an `écarté` pair or flag is
hidden there by default) and last across re-runs because this file does. A decision never changes
a mark: that is an override (course.yaml's `overrides:`), the instructor's act, with its reason.
A leaf of the flow: parsed and checked here (file, line, key), ids checked against the roster by
`course.load_class`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from ..base.errors import ConfigError
from ..base.yamlsource import YamlSource, kind, read_yaml

DECISIONS = {"écarté": "écarté", "confirmé": "confirmé", "à discuter": "à discuter"}  # value → label
HIDDEN = "écarté"  # hidden by default on both pages
FLAG_KINDS = ("data-access", "embedded-data", "held-out", "last-minute")  # integrity.flags.KINDS (a test keeps them equal)
ARCHIVED = re.compile(r"^(\d{4})/([A-Za-z0-9._-]+)$")  # "2025/s03": an archived submission
OWNER = re.compile(r"^[A-Za-z0-9._-]+$")
KEYS = ("pair", "flag", "student", "where", "tp", "decision", "note", "date")


@dataclass(frozen=True)
class Decision:
    tp: str  # "tp1"
    pair: tuple[str, str] | None  # (a, b) as the similarity CSV names them; None for a flag
    flag: tuple[str, str, str | None] | None  # (owner, kind, where or None: every flag of that kind); None for a pair
    decision: str  # one of DECISIONS
    note: str  # the instructor's words, French
    date: date  # when the decision was taken
    line: int  # line of the entry in the review file, for errors

    @property
    def hidden(self) -> bool:
        return self.decision == HIDDEN

    @property
    def css(self) -> str:
        """The class of a row carrying this decision ("ecarte", "confirme", "a-discuter")."""
        return {"écarté": "ecarte", "confirmé": "confirme", "à discuter": "a-discuter"}[self.decision]


@dataclass(frozen=True)
class Review:
    path: Path | None  # the review file; None when the course has none
    decisions: tuple[Decision, ...]  # in file order

    def of_pair(self, tp: str, a: str, b: str) -> Decision | None:
        key = pair_key(a, b)
        return next((d for d in self.decisions if d.tp == tp and d.pair == key), None)

    def of_flag(self, owner: str, tp: str, flag_kind: str, where: str) -> Decision | None:
        """The decision naming this finding, else the one naming every flag of its kind."""
        mine = [d for d in self.decisions if d.flag and d.tp == tp and d.flag[:2] == (owner, flag_kind)]
        return next((d for d in mine if d.flag[2] == where), next((d for d in mine if d.flag[2] is None), None))


NO_REVIEW = Review(None, ())


def pair_key(a: str, b: str) -> tuple[str, str]:
    """Classmates in id order; an archived submission or a source always second."""
    if outside(a) != outside(b):
        return (b, a) if outside(a) else (a, b)
    return (a, b) if a <= b else (b, a)


def outside(name: str) -> bool:
    """An archived submission ("2025/s03") or a source ("source:cs231n"), not a classmate."""
    return bool(ARCHIVED.match(name)) or name.startswith("source:")


def load_review(path: Path | None, tps: list[str], sources: list[str]) -> Review:
    """Read and check the review file (missing or empty: no decision). `sources`: course.yaml's source ids."""
    if path is None:
        return NO_REVIEW
    data, source = read_yaml(path)
    if data is None:
        return Review(path, ())
    if not isinstance(data, list):
        raise ConfigError(path, "expected a list of decisions (- pair: [a, b] or - flag: kind, then tp, decision, "
                                "note, date)")
    decisions: list[Decision] = []
    for i, item in enumerate(data):
        decision = _entry(source, f"[{i}]", item, tps, sources)
        for earlier in decisions:
            if (earlier.tp, earlier.pair, earlier.flag) == (decision.tp, decision.pair, decision.flag):
                raise source.error(f"[{i}]", f"a second decision for the same {'pair' if decision.pair else 'flag'} "
                                             f"and TP (line {earlier.line}): keep one")
        decisions.append(decision)
    return Review(path, tuple(decisions))


def _entry(source: YamlSource, key: str, item: object, tps: list[str], sources: list[str]) -> Decision:
    item = source.mapping(item, key, KEYS, required=("tp", "decision", "note", "date"))
    if ("pair" in item) == ("flag" in item):
        raise source.error(key, "each decision names either a pair (pair: [a, b]) or a flag (flag: kind)")
    tp = source.text(item["tp"], f"{key}.tp")
    if tp not in tps:
        raise source.error(f"{key}.tp", f"unknown TP {tp!r}; course.yaml has {', '.join(tps)}")
    value = item["decision"]
    if value not in DECISIONS:
        raise source.error(f"{key}.decision", f"expected one of {', '.join(DECISIONS)}, got {kind(value)}")
    pair = flag = None
    if "pair" in item:
        for extra in ("student", "where"):
            if extra in item:
                raise source.error(f"{key}.{extra}", f"{extra!r} belongs to a flag's decision, not a pair's")
        pair = _pair(source, f"{key}.pair", item["pair"], sources)
    else:
        flag_kind = item["flag"]
        if flag_kind not in FLAG_KINDS:
            raise source.error(f"{key}.flag", f"expected one of {', '.join(FLAG_KINDS)}, got {kind(flag_kind)}")
        if "student" not in item:
            raise source.error(key, f"missing key '{key}.student' (whose flag)")
        where = source.text(item["where"], f"{key}.where") if "where" in item else None
        flag = (_owner(source, f"{key}.student", item["student"]), flag_kind, where)
    return Decision(tp, pair, flag, value, source.text(item["note"], f"{key}.note"),
                    _date(source, f"{key}.date", item["date"]), source.lines[key])


def _pair(source: YamlSource, key: str, value: object, sources: list[str]) -> tuple[str, str]:
    if not isinstance(value, list) or len(value) != 2:
        raise source.error(key, f"expected two ids, [a, b], got {kind(value)}")
    sides = []
    for i, side in enumerate(value):
        side = _owner(source, f"{key}[{i}]", side, outside=True)
        if side.startswith("source:") and side[len("source:"):] not in sources:
            raise source.error(f"{key}[{i}]", f"no source {side[len('source:'):]!r} in course.yaml's sources "
                                              f"({', '.join(sources) or 'none'})")
        sides.append(side)
    if sides[0] == sides[1]:
        raise source.error(key, "a pair names two different submissions")
    if all(outside(s) for s in sides):
        raise source.error(key, "one side of a pair is a submission of this class")
    return pair_key(*sides)


def _owner(source: YamlSource, key: str, value: object, outside: bool = False) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if OWNER.match(text) or (outside and (ARCHIVED.match(text) or re.match(r"^source:[A-Za-z0-9._-]+$", text))):
        return text
    what = "a student or group id, 2025/<id> (archive) or source:<name>" if outside else "a student or group id"
    raise source.error(key, f"expected {what}, got {kind(value)}")


def _date(source: YamlSource, key: str, value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise source.error(key, f"expected a date, e.g. 2026-03-02, got {kind(value)}")


def resolve(review: Review, owner_of: Callable[[str], str | None]) -> Review:
    """Class ids mapped to repository owners (a group member's id names the group's submission);
    an id that is neither a student nor a group of the roster is an error of its line."""
    resolved = []
    for d in review.decisions:
        def owner(name: str, key: str) -> str:
            if outside(name):
                return name
            found = owner_of(name)
            if found is None:
                raise ConfigError(review.path, f"{name!r} is neither a student nor a group of the roster",
                                  line=d.line, key=key)
            return found
        if d.pair:
            a, b = owner(d.pair[0], "pair"), owner(d.pair[1], "pair")
            if a == b:
                raise ConfigError(review.path, f"{d.pair[0]} and {d.pair[1]} share one repository: they are one "
                                               "submission, never a pair", line=d.line, key="pair")
            resolved.append(replace(d, pair=pair_key(a, b)))
        else:
            resolved.append(replace(d, flag=(owner(d.flag[0], "student"), *d.flag[1:])))
    return replace(review, decisions=tuple(resolved))
