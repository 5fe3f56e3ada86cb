"""The course and its class as data: what the instructor writes and what a class run stores.

`course.py` reads course.yaml (TPs, deadlines, late penalties, the marks files, the formula;
`origins.py` its `archive:` and `sources:`, `review.py` the integrity decisions file), `roster.py`
the roster and the marks files, `formula.py` the final mark's formula; `ledger.py` is the
append-only record of when each commit was first seen; `submissions.py` reads and writes what a
class run stores per repository owner; `gradebook.py` turns all of it into the gradebook: the
marks after lateness, extensions, overrides and the formula (no file written here).

Place in the flow (docs/architecture.md): above the grading of one submission (a stored
`Grading` is part of a submission), below integrity, GitLab and the class run, which all read it.

May import: grader.grading (the project's TPs, `Grading`) and grader.base; nothing above.
"""
