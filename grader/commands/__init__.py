"""The instructor's commands: argparse wiring only, from the command line to the families' stages.

`instructor.py` adds every instructor command to the parser of grader/cli.py (`test`, `push`,
`validate`, `doctor`, `reference build`, `release`, `stubs`, `new`, and those of the modules
below); `classrun.py` the class's (`collect`, `report`, `history`, `similarity`); `integrity.py`
`archive` and `oral`; `options.py` the isolation and run options they share. A command parses,
calls a stage, prints what it returns: the work is done in the families below. (A few families
keep their own small command part beside their code: grader.gitlab.admin, grader.authoring.scaffold,
grader.authoring.mutants.command.)

Place in the flow (docs/architecture.md): the top, imported by grader/cli.py only when it builds
its parser (the students' wheel has no `grader/commands/`: `grader check` only).

May import: every family but the student's side, which grader/cli.py wires itself (grader.classrun,
integrity, gitlab, authoring, course, grading, sandbox, base); nothing imports it but grader/cli.py.
"""
