"""Tests of grader/authoring/stubs.py: stubs come from solutions/, and the committed assignments/ match."""
from __future__ import annotations

import pytest

from grader.base.errors import GraderError
from grader.authoring.stubs import drift, generate, stub_source

SOLUTION = '''def f(x):
    """Docstring en français."""
    y = 1
    ### BEGIN SOLUTION
    return x + y
    ### END SOLUTION


class Model:
    def forward(self, x):
        ### BEGIN SOLUTION
        return x
        ### END SOLUTION


def g():
    ### BEGIN SOLUTION
    return 2
    ### END SOLUTION
'''


def test_stub_replaces_each_solution_block_by_a_french_raise():
    stub = stub_source(SOLUTION)
    assert "return x + y" not in stub and "return x\n" not in stub
    assert '    raise NotImplementedError("À compléter : f")\n' in stub
    assert '        raise NotImplementedError("À compléter : Model.forward")\n' in stub  # a method names its class
    assert '    raise NotImplementedError("À compléter : g")\n' in stub  # a function after a class does not
    assert '"""Docstring en français."""' in stub and "y = 1" in stub


@pytest.mark.parametrize("broken", ["### BEGIN SOLUTION\nx\n", "x\n### END SOLUTION\n",
                                    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n"])
def test_unbalanced_markers_are_an_error(broken):
    with pytest.raises(GraderError):
        stub_source(broken, "f.py")


def test_committed_assignments_are_what_the_generator_gives(project):
    assert drift(project.solutions, project.assignments) == []


def test_no_solution_text_reaches_assignments(project):
    for path in project.solutions.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        stub = (project.assignments / path.relative_to(project.solutions)).read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in stub
        for block in text.split("### BEGIN SOLUTION")[1:]:
            for line in block.split("### END SOLUTION")[0].splitlines():
                if len(line.strip()) > 20:
                    assert line not in stub, f"{path.name}: {line.strip()}"


def test_drift_reports_missing_extra_and_changed_files(tmp_path, project):
    out = tmp_path / "assignments"
    generate(project.solutions, out)
    assert drift(project.solutions, out) == []
    (out / "tp1" / "extra.py").write_text("x = 1\n")
    (out / "tp1" / "losses.py").write_text("changed\n")
    (out / "tp1" / "mlp.py").unlink()
    problems = drift(project.solutions, out)
    assert "extra: tp1/extra.py" in problems and "differs: tp1/losses.py" in problems
    assert "missing: tp1/mlp.py" in problems
