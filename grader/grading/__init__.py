"""Grading one submission: from a checkout and a TP's hidden side to a `Grading` (a mark on /20).

Place in the flow (docs/architecture.md): `config.py` says where things are (the project, its
TPs, their rubrics); `repos.py` reads a student's repository (the commit, its export);
`runner.py` grades a checkout: it starts the submission's worker (grader.sandbox), runs the TP's
hidden tests kept collected in `suite.py` with the fixtures of `testkit.py` (`student`: the
worker's handle), `reference.py` (expected outputs), `heldout.py` and `datasets.py` (held-out
data), and `replayer.py` (trained models run in the replay process); `marks.py` turns outcomes
into points and the mark; `report.py` writes what the student reads (table, JSON, JUnit).
`pool.py`, `poolstart.py` and `preload.py` grade many submissions in processes that may die.

May import: grader.base and grader.sandbox (the untrusted side's handles), nothing above.
The students' wheel holds config, marks, repos and report: they import nothing else of the grader.
"""
