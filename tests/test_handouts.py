"""Tests of grader/authoring/handouts.py and of the four handout notebooks it builds.

The builder's rules come first (fast). Then each notebook of `assignments/handouts/` is executed
with nbclient, as Jupyter would run it from the `handouts/` folder of a student repo: against a copy
of `solutions/` (a perfect student) it must run without error and draw at least one figure; against
the untouched stubs it must stop on the student's `NotImplementedError` (the notebook calls the
package, it carries no answer). Finally no line of an answer in `solutions/` may appear in a notebook.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from grader.base.errors import GraderError
from grader.authoring.handouts import notebook_source
from tests.conftest import answer_lines

TPS = ["tp1", "tp2", "tp3", "tp4"]
CELL_TIMEOUT = 300  # seconds for one cell; a whole notebook takes 5 to 25 s on a 2-core CPU

# Executing the notebooks starts a Jupyter kernel per TP and trains small networks: about a minute
# for the four. They run in the default `pytest` run; `-m "not slow"` leaves them out.
slow = pytest.mark.slow

SOURCE = """# Titre

Du texte et une formule $x^2$.

```python
x = 1

y = x + 1
```

Suite du texte.
<!-- cell -->
Une autre cellule.

```bash
grader check tp1
```
"""


def cells(text: str) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nbformat.reads(text, as_version=4).cells]


def test_code_fences_become_code_cells_and_text_markdown_cells():
    assert cells(notebook_source(SOURCE)) == [
        ("markdown", "# Titre\n\nDu texte et une formule $x^2$."),
        ("code", "x = 1\n\ny = x + 1"),
        ("markdown", "Suite du texte."),
        ("markdown", "Une autre cellule.\n\n```bash\ngrader check tp1\n```"),
    ]


def test_the_split_marker_splits_text_and_adds_no_empty_cell():
    text = "Un.\n<!-- cell -->\nDeux.\n<!-- cell -->\n<!-- cell -->\n```python\nz = 3\n```\n```python\nw = 4\n```\n"
    assert cells(notebook_source(text)) == [("markdown", "Un."), ("markdown", "Deux."), ("code", "z = 3"), ("code", "w = 4")]


def test_an_unclosed_fence_names_the_file_and_line():
    with pytest.raises(GraderError, match=r"handouts/tp9\.md:3: "):
        notebook_source("Texte.\n\n```python\nx = 1\n", "handouts/tp9.md")


def test_same_source_same_bytes_and_a_valid_notebook():
    first, second = notebook_source(SOURCE), notebook_source(SOURCE)
    assert first == second
    notebook = nbformat.reads(first, as_version=4)
    nbformat.validate(notebook)
    assert [cell.id for cell in notebook.cells] == ["cell-000", "cell-001", "cell-002", "cell-003"]
    assert notebook.metadata.kernelspec.name == "python3"


def test_every_tp_has_a_handout_and_its_notebook(project):
    assert sorted(p.stem for p in (project.solutions / "handouts").glob("*.md")) == TPS
    for tp in TPS:
        built = (project.assignments / "handouts" / f"{tp}.ipynb").read_text(encoding="utf-8")
        source = (project.solutions / "handouts" / f"{tp}.md").read_text(encoding="utf-8")
        assert built == notebook_source(source), f"assignments/handouts/{tp}.ipynb: run `grader stubs`"


def student_repo(source: Path, notebook: Path, target: Path) -> Path:
    """A copy of `source` (solutions/ or assignments/) holding `notebook` in handouts/, no .md sources."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for markdown in (target / "handouts").glob("*.md"):
        markdown.unlink()
    (target / "handouts").mkdir(exist_ok=True)
    shutil.copy(notebook, target / "handouts" / notebook.name)
    return target


def execute(notebook: Path, cwd: Path) -> nbformat.NotebookNode:
    """Run every cell in a fresh python3 kernel started in `cwd`; a cell's error raises CellExecutionError."""
    node = nbformat.read(notebook, as_version=4)
    NotebookClient(node, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return node


@pytest.fixture
def kernel_env(monkeypatch):
    """The environment the kernel inherits."""
    # A forced non-inline backend would draw no image/png.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    # The networks are small: a second torch thread buys little, and on a busy 2-core machine
    # threads waiting on each other made TP4 run 2.5 times longer (54 s instead of 21 s).
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@slow
@pytest.mark.parametrize("tp", TPS)
def test_notebook_runs_against_the_solutions_and_draws(tp, tmp_path, project, kernel_env):
    repo = student_repo(project.solutions, project.assignments / "handouts" / f"{tp}.ipynb", tmp_path / "student")
    node = execute(repo / "handouts" / f"{tp}.ipynb", repo / "handouts")
    code = [cell for cell in node.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
    images = [o for cell in code for o in cell.outputs if "image/png" in o.get("data", {})]
    assert images, f"{tp}: no figure was drawn"


@slow
def test_notebook_also_runs_from_the_repo_root(tmp_path, project, kernel_env):
    repo = student_repo(project.solutions, project.assignments / "handouts" / "tp1.ipynb", tmp_path / "student")
    execute(repo / "handouts" / "tp1.ipynb", repo)


@slow
def test_tp1_notebook_calls_the_students_package(tmp_path, project, kernel_env):
    repo = student_repo(project.assignments, project.assignments / "handouts" / "tp1.ipynb", tmp_path / "student")
    with pytest.raises(CellExecutionError) as error:
        execute(repo / "handouts" / "tp1.ipynb", repo / "handouts")
    assert error.value.ename == "NotImplementedError"
    assert "À compléter" in error.value.evalue


def test_no_solution_line_reaches_a_handout(project):
    answers = answer_lines(project.solutions)
    assert len(answers) > 100  # the markers were found
    for tp in TPS:
        node = nbformat.read(project.assignments / "handouts" / f"{tp}.ipynb", as_version=4)
        text = "\n".join(cell.source for cell in node.cells)
        leaks = [f"{file}: {line}" for file, line in answers if line in text]
        assert not leaks, f"{tp}.ipynb shows solution lines: {leaks}"
