"""What the class gets wrong: for each TP, every hidden test's pass rate over the class.

Computed from the stored gradings of the gradebook (never a regrading): one submission per
repository (a pair's shared repository counts once), each hidden test with its points, how many
submissions passed it, and the failure message the class met most often. The gradebook page
shows it per TP, hardest test first, with an inline SVG bar per test; `tests-tpN.csv` holds the
same table. For the instructor, to adapt the next lecture; in French like the page.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from ..course.gradebook import Gradebook

BAR_W, BAR_H = 220, 14  # px of one pass-rate bar


@dataclass(frozen=True)
class TestStats:
    __test__ = False  # not a pytest test class, despite the name

    test: str  # the hidden test's id, "test_file.py::test_name"
    points: float  # the rubric's points
    graded: int  # submissions that ran it
    passed: int  # submissions that passed it
    top_failure: str  # the most frequent failure message ("" when none failed)
    top_failure_count: int  # how many submissions got that message

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0

    @property
    def bar(self) -> float:
        """Width of the pass-rate bar, in px."""
        return round(BAR_W * self.rate, 1)


@dataclass(frozen=True)
class TPTests:
    tp: str  # "tp1"
    label: str  # "TP1"
    submissions: int  # submissions graded
    tests: tuple[TestStats, ...]  # hardest first (lowest pass rate), then in rubric order


def class_tests(gradebook: Gradebook) -> list[TPTests]:
    """Per TP of the course, the class's results test by test."""
    found = []
    for tp in gradebook.course.tps:
        gradings = {}  # one per repository owner: a group's members share it
        for row in gradebook.rows:
            mark = row.tp(tp.name)
            if mark.grading is not None and mark.commit:
                gradings[mark.owner] = mark.grading
        order, points = {}, {}
        outcomes: dict[str, list] = {}
        for grading in gradings.values():
            for test in grading.tests:
                order.setdefault(test.id, len(order))
                points[test.id] = test.max_points
                outcomes.setdefault(test.id, []).append(test)
        stats = []
        for test_id, results in outcomes.items():
            failures = Counter(result.message for result in results if result.status != "passed")
            message, count = failures.most_common(1)[0] if failures else ("", 0)
            stats.append(TestStats(test_id, points[test_id], len(results),
                                   sum(result.status == "passed" for result in results), message, count))
        stats.sort(key=lambda s: (s.rate, order[s.test]))
        found.append(TPTests(tp.name, tp.label, len(gradings), tuple(stats)))
    return found


def tests_csv(table: TPTests) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Test", "Points", "Rendus notés", "Réussis", "Taux de réussite", "Échec le plus fréquent",
                     "Rendus concernés"])
    for stats in table.tests:
        writer.writerow([stats.test, f"{stats.points:g}", stats.graded, stats.passed, f"{stats.rate:.2f}",
                         stats.top_failure, stats.top_failure_count])
    return buffer.getvalue()
