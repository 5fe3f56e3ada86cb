"""What an instructor should check after a class run: "À vérifier".

Derived from the gradebook (never from a regrading): for each student and TP, the problems the
collection met (unreachable, corrupt or empty repository, no TP folder, tag moved after the
deadline), the TP graded without its tag (the newest commit of the branch stood in), a module
that does not import (with its file and line), a late or cut-off submission, a submission seen at
no known time. Counted in the console summary of `grader collect`, listed on the gradebook page
and written to `a-verifier.csv`. Instructor-facing, in French like the page.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass

from ..course.gradebook import Gradebook, TPMark

KINDS = {  # kind -> French label, in the order the summary lists them
    "unreachable": "dépôt injoignable", "corrupt": "dépôt ou commit illisible", "empty": "dépôt vide",
    "no-package": "pas de dossier du TP", "grading-failed": "notation impossible",
    "missing-tag": "sans étiquette", "moved-tag": "étiquette déplacée",
    "import": "module qui ne s'importe pas", "timeout": "délai dépassé", "late": "en retard",
    "cut-off": "au-delà de la limite", "unseen": "date d'observation inconnue", "missing-mark": "note manquante",
    "final": "note finale non calculée", "other": "autre",
}
PLURALS = {"dépôt injoignable": "dépôts injoignables", "dépôt ou commit illisible": "dépôts ou commits illisibles",
           "dépôt vide": "dépôts vides", "étiquette déplacée": "étiquettes déplacées",
           "notation impossible": "notations impossibles", "délai dépassé": "délais dépassés",
           "note manquante": "notes manquantes", "note finale non calculée": "notes finales non calculées",
           "module qui ne s'importe pas": "modules qui ne s'importent pas",
           "date d'observation inconnue": "dates d'observation inconnues", "autre": "autres"}  # the others do not change
IMPORT_FAILURE = re.compile(r"votre module ne s'importe pas(?: \(([^)]*)\))?")  # grader/sandbox/session.py's words


@dataclass(frozen=True)
class Item:
    student: str  # student id
    name: str  # "Martin Léa"
    tp: str  # the TP's label ("TP1"), "" for what concerns the student as a whole
    kind: str  # one of KINDS
    detail: str  # what exactly, in French

    @property
    def label(self) -> str:
        return KINDS[self.kind]


def attention_items(gradebook: Gradebook) -> list[Item]:
    """Everything to check, student by student, in roster and TP order."""
    items = []
    for row in gradebook.rows:
        for tp in row.tps:
            items += [Item(row.student.id, row.student.name, tp.tp.label, kind, detail) for kind, detail in tp_items(tp)]
        tp_notes = {note for tp in row.tps for note in tp.notes}
        items += [Item(row.student.id, row.student.name, "", student_kind(note), note)
                  for note in row.notes if note not in tp_notes]
    return items


def student_kind(note: str) -> str:
    """The kind of a note about the student as a whole (a marks file's, the final mark's)."""
    if note.startswith("Note finale non calculée"):
        return "final"
    if note.endswith(": note manquante."):
        return "missing-mark"
    return "other"


def tp_items(tp: TPMark) -> list[tuple[str, str]]:
    notes = "; ".join(note.removeprefix(f"{tp.tp.label} : ") for note in tp.notes)  # the TP has its own column
    found = [(kind, notes or KINDS[kind]) for kind in dict.fromkeys(tp.checks)]
    if tp.ref and tp.ref.startswith("branch:") and tp.commit:
        found.append(("missing-tag", f"pas d'étiquette {tp.tp.tag} : le dernier commit de {tp.ref[7:]} "
                                     f"({tp.commit[:10]}) a été noté"))
    broken = sorted({match.group(1) or "?" for test in (tp.grading.tests if tp.grading else ())
                     for match in [IMPORT_FAILURE.search(test.message)] if match})
    if broken and "no-package" not in tp.checks:  # without the package nothing imports: said once above
        found.append(("import", "fichier(s) : " + ", ".join(broken)))
    timed_out = [test.id for test in (tp.grading.tests if tp.grading else ()) if test.status == "timeout"]
    if timed_out:  # a loop in student code, or a machine too loaded for the delay: worth a look either way
        found.append(("timeout", ", ".join(timed_out[:4]) + (" …" if len(timed_out) > 4 else "")))
    if tp.lateness.late and tp.commit:
        kind = "cut-off" if tp.lateness.past_cutoff else "unseen" if tp.first_seen_at is None else "late"
        found.append((kind, f"pénalité de {tp.lateness.penalty:g} point(s)"))
    if notes and not found:  # a note the collection gave no kind (a grading error, a missing result…)
        found.append(("other", notes))
    return found


def summary_line(items: list[Item]) -> str:
    """"À vérifier : 2 sans étiquette · 1 étiquette déplacée …" for the console."""
    counts = Counter(item.kind for item in items)
    if not counts:
        return "À vérifier : rien"
    return "À vérifier : " + " · ".join(f"{counts[kind]} {PLURALS.get(label, label) if counts[kind] > 1 else label}"
                                        for kind, label in KINDS.items() if counts[kind])


def attention_csv(items: list[Item]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Numéro d'identification", "Nom", "TP", "À vérifier", "Détail"])
    writer.writerows([item.student, item.name, item.tp, item.label, item.detail] for item in items)
    return buffer.getvalue()


def rows_late_share(gradebook: Gradebook) -> dict[str, tuple[int, int]]:
    """TP label -> (late submissions, submissions): more than half late usually means that no
    first-seen evidence was recorded before the deadline, not a class that all came late."""
    shares = {}
    for tp in gradebook.course.tps:
        marks = [row.tp(tp.name) for row in gradebook.rows]
        submitted = [mark for mark in marks if mark.commit]
        shares[tp.label] = (sum(mark.lateness.late for mark in submitted), len(submitted))
    return shares


def mostly_late(gradebook: Gradebook) -> list[str]:
    """French warnings for the TPs where more than half of the submissions count as late."""
    return [f"{label} : {late} rendus sur {total} comptés en retard. Vérifiez que des observations avant la date "
            "limite ont été enregistrées (grader collect --snapshot planifié, ou gitlab: dans course.yaml)"
            for label, (late, total) in rows_late_share(gradebook).items() if total and late * 2 > total]
