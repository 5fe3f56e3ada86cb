"""What people read: the terminal table, the JUnit file GitLab shows students.

Built only from the grader's own `Grading` objects (never pytest's report, which would carry
hidden test source), so everything here is French and safe to show a student.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from ..base.files import write_atomically
from .marks import Grading

if TYPE_CHECKING:  # an annotation only: `grader check` (the students' wheel) has no sandbox
    from ..sandbox import IsolationReport

STATUS_FR = {"passed": "réussi", "failed": "échoué", "error": "erreur", "timeout": "délai dépassé"}


def render_table(grading: Grading, isolation: IsolationReport | None = None) -> str:
    lines = [f"dlgrade {grading.grader_version} · {grading.tp} · {grading.student}"
             + (f" · commit {grading.commit[:10]}" if grading.commit else "")]
    if isolation is not None:
        lines.append("Isolation du code étudiant :")
        lines += [f"  {line}" for line in isolation.lines()]
    width = max((len(t.id) for t in grading.tests), default=10)
    lines.append("")
    lines.append(f"  {'test'.ljust(width)}  {'points':>9}  statut")
    for test in grading.tests:
        points = f"{test.points:g}/{test.max_points:g}"
        lines.append(f"  {test.id.ljust(width)}  {points:>9}  {STATUS_FR.get(test.status, test.status)}")
        if test.message:
            lines.append(f"  {''.ljust(width)}  {'':>9}  ↳ {test.message}")
    lines += [f"  ! {error}" for error in grading.errors]
    lines.append("")
    lines.append(f"Score : {grading.score:g} / {grading.max_score:g} · Note : {grading.mark:g} / 20"
                 + (f" (pénalité de retard : −{grading.late_penalty:g})" if grading.late_penalty else ""))
    return "\n".join(lines)


def write_junit(grading: Grading, path: Path) -> None:
    """JUnit XML for GitLab's Tests tab: one testcase per hidden test, French messages only."""
    failures = sum(t.status == "failed" for t in grading.tests)
    errors = sum(t.status in ("error", "timeout") for t in grading.tests)
    suites = ET.Element("testsuites", name=f"dlgrade {grading.tp}")
    suite = ET.SubElement(suites, "testsuite", name=grading.tp, tests=str(len(grading.tests)),
                          failures=str(failures), errors=str(errors),
                          time=f"{sum(t.duration_s for t in grading.tests):.3f}")
    properties = ET.SubElement(suite, "properties")
    for name, value in (("mark", grading.mark), ("score", grading.score), ("max_score", grading.max_score)):
        ET.SubElement(properties, "property", name=name, value=f"{value:g}")
    for test in grading.tests:
        file, _, name = test.id.partition("::")
        case = ET.SubElement(suite, "testcase", classname=f"{grading.tp}.{file.removesuffix('.py')}",
                             name=f"{name} [{test.points:g}/{test.max_points:g} pt]", time=f"{test.duration_s:.3f}")
        if test.status == "failed":
            ET.SubElement(case, "failure", message=test.message).text = test.message
        elif test.status in ("error", "timeout"):
            ET.SubElement(case, "error", message=test.message, type=test.status).text = test.message
    ET.SubElement(suite, "system-out").text = f"Note : {grading.mark:g} / 20"
    ET.indent(suites)
    write_atomically(path, ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")


def write_grading_outputs(grading: Grading, json_path: Path | None, junit_path: Path | None) -> None:
    """The files a grading command was asked for: result JSON, JUnit XML."""
    if json_path:
        grading.write_json(json_path)
    if junit_path:
        write_junit(grading, junit_path)
