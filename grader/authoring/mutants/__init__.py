"""Mutation testing of the hidden tests: `grader validate tpN --mutants`.

How strong are a TP's hidden tests? Mutants of its solutions — the answers between the solution
markers, with an operator flipped, a constant or an axis changed, an argument or a statement
dropped (`operators.py`, `generate.py`) — are graded in the sandbox like submissions (`run.py`);
a hidden test that fails kills the mutant. The kill rate per module and per function, and every
surviving mutant as a diff with the tests that should have caught it, say where the tests are
weak (`report.py`). `command.py` is the CLI's part.
"""
