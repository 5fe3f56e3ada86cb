"""From per-repository submissions to the class's gradebook: late penalties, overrides, final marks.

Pure computation: the orchestration of `grader collect` (cloning, the first-seen ledger, grading)
hands over one `Submission` per (repository owner, TP); `build_gradebook` gives one row per
student of the roster. Members of a group get the group's submission, each against their own
deadline (extensions are per student or per group). Student-facing notes are in French.

Rules, in order, for a TP: the hidden-test mark /20 (`grading.mark`); a commit first seen after
the student's deadline loses `per_day` points per started day, at most `max`, and gets 0 past
`cutoff_days`; a commit with no first-seen time is late with no evidence of how late: it loses the
cap (`max`), or the whole mark when there is no cap (nothing when `per_day` is 0); the mark never
goes below 0; then a manual override, if any, replaces the mark. Nothing gradable submitted: 0.
The final mark is the formula (see `grader.course.formula` for left-out marks), clamped to 0…20 and
rounded per course.yaml, unless an override replaces it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from ..base.errors import GraderError
from ..grading.marks import Grading
from .course import FINAL, Course, Extension, LatePenalty, MarkSource, Override, TPConfig
from .formula import ABI, ABJ, MISSING, NOT_TAKEN, FormulaError, Mark, evaluate, render
from .roster import Roster, Student

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Submission:
    owner: str  # the roster's repository owner: a student id, or a group id for pairs/trios
    tp: str  # "tp1"
    commit: str | None  # graded commit sha; None when nothing gradable was submitted
    first_seen_at: datetime | None  # trusted time (tz-aware UTC) the commit was first seen; None when unknown
    grading: Grading | None  # hidden-test result (grading.mark is /20 before any late penalty); None: nothing gradable
    notes: tuple[str, ...] = ()  # problems to report, in French (unreachable repo, tag moved after the deadline…)
    ref: str | None = None  # where the graded commit came from: "tag:tp1", "branch:main" (no tag), …
    checks: tuple[str, ...] = ()  # what the instructor should check, as kinds of grader.classrun.attention.KINDS


@dataclass(frozen=True)
class Lateness:
    deadline: datetime  # this student's deadline, extension included (UTC)
    extension: Extension | None  # the extension that applies, if any
    late: bool  # first seen after the deadline, or no evidence of when it was seen
    late_by: timedelta | None  # how late; None when on time or when the time is unknown
    days: int  # started days (24 h) late; 0 when on time or unknown
    past_cutoff: bool  # later than the cut-off: the mark is 0
    penalty: float  # points taken off the hidden-test mark


@dataclass(frozen=True)
class TPMark:
    tp: TPConfig  # the TP's settings
    owner: str  # whose repository was graded: the group id, or the student's own id
    commit: str | None  # graded commit; None when nothing gradable was submitted
    first_seen_at: datetime | None  # trusted time the commit was first seen (UTC); None when unknown
    lateness: Lateness  # deadline, how late, penalty
    raw: float | None  # hidden-test mark /20 before the penalty; None when nothing was graded
    mark: Mark  # what the formula gets: after penalty and override
    grading: Grading | None  # the hidden tests' results, shown test by test in the feedback
    override: Override | None  # the manual override applied, if any
    notes: tuple[str, ...]  # problems with this TP, in French
    ref: str | None = None  # where the graded commit came from ("tag:tp1", "branch:main"…), None if nothing
    checks: tuple[str, ...] = ()  # kinds of classrun.attention.KINDS found while collecting (unreachable, moved tag…)


@dataclass(frozen=True)
class FileMark:
    name: str  # "exam"
    label: str  # "Examen"
    entered: Mark  # as read from the marks file (NOT_TAKEN or MISSING when the student has no row)
    mark: Mark  # what the formula gets: the entered mark, or the override
    override: Override | None  # the manual override applied, if any


@dataclass(frozen=True)
class FinalMark:
    mark: Mark  # the final /20 as reported: `computed`, or the override; value None when not computable
    computed: Mark  # the formula's result, clamped to 0…20 and rounded (MISSING, or ABJ if all left out)
    unrounded: float | None  # the formula's value before clamping and rounding
    worked: str  # the formula with this student's marks in it, in French ("0,5 × 12 + …")
    override: Override | None  # the manual override applied, if any
    missing: tuple[str, ...]  # labels of the marks the formula needs and this student lacks
    error: str | None = None  # the formula could not be computed with this student's marks (division by zero)


@dataclass(frozen=True)
class StudentRow:
    student: Student  # who
    owner: str  # the repository owner whose TP marks the student gets (group id or own id)
    tps: tuple[TPMark, ...]  # one per TP of course.yaml, in its order
    marks: tuple[FileMark, ...]  # one per marks file (exam, project…), in course.yaml's order
    final: FinalMark  # the final mark and how it was computed
    notes: tuple[str, ...]  # every problem for this student, in French, TP notes included

    def tp(self, name: str) -> TPMark:
        return next(t for t in self.tps if t.tp.name == name)

    @property
    def overrides(self) -> tuple[Override, ...]:
        found = [t.override for t in self.tps] + [m.override for m in self.marks] + [self.final.override]
        return tuple(o for o in found if o is not None)


@dataclass(frozen=True)
class Gradebook:
    course: Course  # the course's settings, for titles, labels and the formula
    rows: tuple[StudentRow, ...]  # one per student, in roster order
    set_aside: tuple[str, ...] = ()  # stored submissions of owners or TPs no longer in the course: kept, not shown

    def late(self) -> list[tuple[StudentRow, TPMark]]:
        return [(row, tp) for row in self.rows for tp in row.tps if tp.lateness.late]


def french_number(value: float) -> str:
    """12.5 → "12,5"; 13.0 → "13"; two decimals at most."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return ("0" if text in ("-0", "") else text).replace(".", ",")


def late_penalty(rule: LatePenalty, deadline: datetime, first_seen_at: datetime | None, raw: float) -> Lateness:
    """How late a commit first seen at `first_seen_at` is, and the points it loses (never more than `raw`)."""
    if first_seen_at is None:  # no evidence it existed before the deadline
        penalty = 0.0 if not rule.per_day else raw if rule.max is None else min(rule.max, raw)
        return Lateness(deadline, None, True, None, 0, False, penalty)
    late_by = first_seen_at - deadline
    if late_by <= timedelta(0):
        return Lateness(deadline, None, False, None, 0, False, 0.0)
    days = math.ceil(late_by / DAY)
    past_cutoff = rule.cutoff_days is not None and late_by > timedelta(days=rule.cutoff_days)
    penalty = raw if past_cutoff else min(raw, rule.per_day * days, math.inf if rule.max is None else rule.max)
    return Lateness(deadline, None, True, late_by, days, past_cutoff, round(penalty, 4))


def build_gradebook(course: Course, roster: Roster, submissions: list[Submission]) -> Gradebook:
    by_key, set_aside = _index(course, roster, submissions)
    rows = []
    for student in roster.students:
        owner = roster.owner_of(student.id).id
        overrides = {o.mark: o for o in course.overrides if o.owner == owner}  # a group's override…
        overrides.update({o.mark: o for o in course.overrides if o.owner == student.id})  # …a student's own wins
        tps = tuple(_tp_mark(course, student, owner, tp, by_key.get((owner, tp.name)), overrides.get(tp.name))
                    for tp in course.tps)
        marks = tuple(_file_mark(source, student, owner, overrides.get(source.name)) for source in course.marks)
        final = _final(course, tps, marks, overrides.get(FINAL))
        notes = [note for tp in tps for note in tp.notes]
        notes += [f"{m.label} : note manquante." for m in marks if m.mark.missing and m.name in course.formula.names]
        if final.error and final.override is None:
            notes.append(f"Note finale non calculée : {final.error}.")
        elif final.missing and final.override is None:
            notes.append(f"Note finale non calculée : il manque {', '.join(final.missing)}.")
        elif final.mark.value is None and final.override is None:
            notes.append("Note finale non calculée : toutes les notes de la formule sont retirées (ABJ).")
        rows.append(StudentRow(student, owner, tps, marks, final, tuple(notes)))
    return Gradebook(course, tuple(rows), tuple(set_aside))


def _index(course: Course, roster: Roster, submissions: list[Submission]
           ) -> tuple[dict[tuple[str, str], Submission], list[str]]:
    """Submissions by (owner, TP); those of an owner who left the roster (a student who dropped
    out, a pair split or renamed) or of a TP no longer in course.yaml are set aside: kept where
    they are, out of the gradebook, named once ("owner tp")."""
    owners = {o.id for o in roster.owners}
    tp_names = {tp.name for tp in course.tps}
    by_key: dict[tuple[str, str], Submission] = {}
    set_aside = []
    for submission in submissions:
        if submission.owner not in owners or submission.tp not in tp_names:
            set_aside.append(f"{submission.owner} {submission.tp}")
            continue
        if (submission.owner, submission.tp) in by_key:
            raise GraderError(f"two submissions for {submission.owner} {submission.tp}")
        seen = submission.first_seen_at
        if seen is not None and (seen.tzinfo is None or seen.utcoffset() is None):
            raise GraderError(f"first_seen_at of {submission.owner} {submission.tp} has no time zone")
        by_key[(submission.owner, submission.tp)] = submission
    return by_key, set_aside


def _deadline(course: Course, student: Student, owner: str, tp: TPConfig) -> tuple[datetime, Extension | None]:
    matching = [e for e in course.extensions if e.owner in (student.id, owner) and e.tp in (None, tp.name)]
    extension = max(matching, key=lambda e: e.delay, default=None)
    return tp.deadline + (extension.delay if extension else timedelta(0)), extension


def _tp_mark(course: Course, student: Student, owner: str, tp: TPConfig, submission: Submission | None,
             override: Override | None) -> TPMark:
    deadline, extension = _deadline(course, student, owner, tp)
    if submission is None:  # the run produced nothing for this repository: never a silent 0
        notes = [f"{tp.label} : aucun résultat de correction pour ce dépôt"
                 + (" (note fixée à la main, voir l'ajustement)." if override is not None else " (note manquante).")]
        lateness, raw, mark = Lateness(deadline, extension, False, None, 0, False, 0.0), None, Mark(None, MISSING)
        commit = seen = grading = None
    else:
        commit, seen, grading = submission.commit, submission.first_seen_at, submission.grading
        notes = [f"{tp.label} : {note}" for note in submission.notes]
        if grading is None or commit is None:
            notes.append(f"{tp.label} : aucun rendu évaluable" + (" (note fixée à la main, voir l'ajustement)."
                                                                  if override is not None else " (note 0)."))
            lateness, raw, mark = Lateness(deadline, extension, False, None, 0, False, 0.0), None, Mark(0.0)
            grading = None
        else:
            raw = grading.mark
            lateness = late_penalty(tp.late_penalty, deadline, seen.astimezone(timezone.utc) if seen else None, raw)
            lateness = replace(lateness, extension=extension)
            mark = Mark(round(max(0.0, raw - lateness.penalty), 2))
            notes += [f"{tp.label} : {error}" for error in grading.errors]
            if seen is None:
                notes.append(f"{tp.label} : date de première observation du commit inconnue : rendu compté en "
                             f"retard (pénalité de {french_number(lateness.penalty)} point(s)).")
    if override is not None:
        mark = override.value
    ref, checks = (submission.ref, submission.checks) if submission is not None else (None, ())
    return TPMark(tp, owner, commit, seen, lateness, raw, mark, grading, override, tuple(notes), ref, checks)


def _file_mark(source: MarkSource, student: Student, owner: str, override: Override | None) -> FileMark:
    found = source.table.marks.get(student.id) or source.table.marks.get(owner)
    entered = found[0] if found else Mark(None, NOT_TAKEN if source.optional else MISSING)
    return FileMark(source.name, source.label, entered, override.value if override else entered, override)


def _final(course: Course, tps: tuple[TPMark, ...], marks: tuple[FileMark, ...], override: Override | None) -> FinalMark:
    values = {t.tp.name: t.mark for t in tps} | {m.name: m.mark for m in marks}
    labels = {t.tp.name: t.tp.label for t in tps} | {m.name: m.label for m in marks}
    shown = {name: _shown(mark) for name, mark in values.items()}
    worked = render(course.formula, shown, french_number, {"mean": "moyenne"}, " ; ")
    missing = tuple(labels[name] for name in course.formula.names if values[name].missing)
    error = None
    try:
        unrounded = None if missing else evaluate(course.formula, {n: m.value for n, m in values.items()})
    except FormulaError:  # a division by one of this student's marks at 0: this student only
        unrounded, error = None, f"division par zéro dans la formule avec ces notes : {worked}"
    if missing or error:
        final = Mark(None, MISSING)
    elif unrounded is None:  # every mark of the formula left out
        final = Mark(None, ABJ)
    else:
        final = Mark(course.round_final(min(20.0, max(0.0, unrounded))))
    return FinalMark(override.value if override else final, final, unrounded, worked, override, missing, error)


def _shown(mark: Mark) -> str:
    if mark.code in (ABJ, NOT_TAKEN, MISSING):
        return mark.code
    return french_number(mark.value) + (f" ({ABI})" if mark.code == ABI else "")
