"""`grader history ID`: one student's semester, from what is stored (nothing fetched or graded).

For each TP: every sighting of the TP's tag and of the branches in the ledger (when, which commit,
seen by what: a snapshot, a collect, CI, GitLab), each stored grading of one of those commits with
its mark, the commit the gradebook took, lateness, moved tags, overrides and their reasons. What an
instructor reads before answering "why did I get this mark?", and what shows that no mark changed
silently. French, like every page the instructor reads.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ..base.errors import UsageError
from ..base.files import write_atomically
from ..course.course import Course, load_class
from ..course.gradebook import Gradebook, StudentRow, TPMark, build_gradebook, french_number
from ..course.ledger import Ledger, Sighting
from ..course.roster import Roster
from ..course.submissions import read_submissions
from ..grading.config import Project
from ..grading.marks import Grading
from .classreport import french_duration, french_time, mark_text

SOURCES = {"snapshot": "relevé planifié", "collect": "collecte", "ci": "pipeline GitLab de l'étudiant",
           "gitlab": "événement GitLab (push)"}


def history(project: Project, course_path: Path, out: Path, ledger_path: Path, student_id: str) -> str:
    """The student's history as French text (Markdown)."""
    course, roster = load_class(course_path, project.tp_names())
    return history_of(student_row(course, roster, out, student_id), course, roster, out, Ledger(ledger_path))


def write_histories(gradebook: Gradebook, roster: Roster, out: Path, ledger_path: Path) -> list[Path]:
    """`out/history/<student>.md` for every student: the instructor's view beside each feedback
    file (out/ is the instructor's folder, mode 0700)."""
    ledger, written = Ledger(ledger_path), []
    for row in gradebook.rows:
        path = out / "history" / f"{row.student.id}.md"
        write_atomically(path, history_of(row, gradebook.course, roster, out, ledger))
        written.append(path)
    return written


def history_of(row: StudentRow, course: Course, roster: Roster, out: Path, ledger: Ledger) -> str:
    lines = [f"# Historique de {row.student.name} ({row.student.id})", ""]
    if row.owner != row.student.id:
        lines += [f"Dépôt du groupe {row.owner}.", ""]
    for tp in row.tps:
        repo = next((owner.url for owner in roster.owners if owner.id == row.owner), "")
        lines += list(tp_history(course, out, ledger, row.owner, repo, tp))
    if row.final.override:
        lines += ["## Note finale", "", f"- Ajustement manuel : {mark_text(row.final.override.value)} "
                  f"(calculée : {mark_text(row.final.computed)}). Motif : {row.final.override.reason}", ""]
    return "\n".join(lines).rstrip() + "\n"


def student_row(course: Course, roster: Roster, out: Path, student_id: str) -> StudentRow:
    book = build_gradebook(course, roster, read_submissions([out]))
    for row in book.rows:
        if row.student.id == student_id:
            return row
    raise UsageError(f"{student_id}: no such student in {roster.path}")


def tp_history(course: Course, out: Path, ledger: Ledger, owner: str, repo: str, tp: TPMark) -> Iterator[str]:
    name = tp.tp.name
    yield f"## {tp.tp.label} : {mark_text(tp.mark)}{' / 20' if tp.mark.value is not None else ''}"
    yield ""
    yield f"Date limite : {french_time(tp.lateness.deadline, course)}."
    yield ""
    seen = relevant(ledger.of(owner, repo), tp.tp.tag)
    yield "Observations des références (étiquette du TP et branches) :"
    for sighting in seen:
        yield (f"- {french_time(datetime.fromisoformat(sighting.seen_at), course)} : {describe_ref(sighting.ref)} → "
               f"`{sighting.sha[:10]}` ({SOURCES.get(sighting.source, sighting.source)})")
    if not seen:
        yield "- aucune : le dépôt n'a jamais été vu par le correcteur"
    yield ""
    gradings = stored_gradings(out, name, {s.sha for s in seen} | ({tp.commit} if tp.commit else set()))
    yield "Corrections enregistrées :"
    for sha, when, grading in gradings:
        chosen = " ← retenue" if sha == tp.commit else ""
        yield (f"- `{sha[:10]}` : {french_number(grading.mark)} / 20 ({french_number(grading.score)} / "
               f"{french_number(grading.max_score)} points), corrigé le {french_time(when, course)}{chosen}")
    if not gradings:
        yield "- aucune"
    yield ""
    if tp.commit:
        yield f"Commit retenu : `{tp.commit[:10]}` ({tp.ref or '?'}), vu pour la première fois le " \
              f"{french_time(tp.first_seen_at, course)}."
        if tp.lateness.late:
            how = french_duration(tp.lateness.late_by) if tp.lateness.late_by else "date d'observation inconnue"
            yield f"Retard : {how} ; pénalité : −{french_number(tp.lateness.penalty)} point(s)."
    if "moved-tag" in tp.checks:
        yield "L'étiquette a été déplacée après la date limite : la meilleure des deux notes est gardée."
    if tp.override:
        yield f"Ajustement manuel : {mark_text(tp.override.value)}. Motif : {tp.override.reason}"
    for note in tp.notes:
        yield f"À signaler : {note.removeprefix(tp.tp.label + ' : ')}"
    yield ""


def relevant(sightings: list[Sighting], tag: str) -> list[Sighting]:
    """The TP's tag and the branches, each ref listed when it is first seen or points elsewhere."""
    found, last = [], {}
    for sighting in sightings:
        if sighting.ref != f"tag:{tag}" and not sighting.ref.startswith("branch:"):
            continue
        if last.get(sighting.ref) != sighting.sha:
            found.append(sighting)
            last[sighting.ref] = sighting.sha
    return found


def describe_ref(ref: str) -> str:
    kind, _, name = ref.partition(":")
    return {"tag": f"étiquette {name}", "branch": f"branche {name}"}.get(kind, ref)


def stored_gradings(out: Path, tp: str, shas: set[str]) -> list[tuple[str, datetime, Grading]]:
    """Stored results (every setting, every version of the hidden tests) of these commits, oldest first."""
    found = []
    for path in sorted((out / "results" / tp).glob("*.json")):
        sha = path.name.split("-", 1)[0]
        if sha not in shas or path.name.endswith(".notes.json"):
            continue
        try:
            grading = Grading.from_json(path.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            continue
        found.append((sha, datetime.fromtimestamp(path.stat().st_mtime).astimezone(), grading))
    return sorted(found, key=lambda item: item[1])
