"""Authoring: what the instructor writes and hands out, and how strong the hidden tests are.

`scaffold.py` is `grader new` (a new TP's folders from templates/new_tp); `stubs.py` generates
the starter's stubs from the solutions' marked answers and says when assignments/ drifted;
`handouts.py` builds the handout notebooks; `release.py` is `grader release` (the starter repo
students fork), with `student_wheel.py`, the students' wheel of `grader check`; `mutants/` is
`grader validate --mutants` (mutants of the solutions graded like submissions).

Place in the flow (docs/architecture.md): before the semester; it grades (mutants) through
grader.grading like everything else.

May import: grader.grading, grader.sandbox (the pool's templates) and grader.base.
"""
