"""The code a similarity compares: each repository owner's graded `tpN/*.py` files as one document.

Read from the bare mirror in a collect folder's `repos/` at the graded commit (never the
working copy a student could change after grading); the starter's stubs and the handout's code
cells are the boilerplate no k-gram is evidence in. Used by the similarity, the archive of past
classes, the comparison with the outside and the oral check.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..course.gradebook import Submission
from ..grading.config import Project
from ..grading.repos import commit_files

MAX_FILE = 256 << 10  # bytes: a larger .py file is data, not code (grader.integrity.codescan reports it)


@dataclass(frozen=True)
class SourceFile:
    path: str  # "tp1/mlp.py"
    text: str  # its content


@dataclass(frozen=True)
class Document:
    owner: str  # the repository owner (student or group id)
    commit: str  # the graded commit the files come from
    files: tuple[SourceFile, ...]  # the TP package's .py files, sorted by path


def documents(folders: list[Path], submissions: list[Submission], tp: str) -> tuple[list[Document], list[str]]:
    """Each owner's graded `tp/*.py` files, read from the mirror of the folder that holds them;
    (documents, French notes on what could not be read)."""
    docs, notes = [], []
    for submission in sorted(submissions, key=lambda s: s.owner):
        if submission.tp != tp or submission.commit is None:
            continue
        mirror = next((f / "repos" / f"{submission.owner}.git" for f in folders
                       if (f / "repos" / f"{submission.owner}.git").is_dir()), None)
        if mirror is None:
            notes.append(f"{submission.owner}: {tp} : miroir du dépôt absent, rendu non comparé")
            continue
        try:
            found = commit_files(mirror, submission.commit, max_read=MAX_FILE,
                                 skip=lambda path, blob: not path.startswith(f"{tp}/"))  # the TP's files only
        except Exception as exc:  # a corrupt mirror or a vanished commit: this owner only
            notes.append(f"{submission.owner}: {tp} : commit illisible ({type(exc).__name__}), rendu non comparé")
            continue
        files = tuple(SourceFile(f.path, _text(f.data)) for f in found
                      if f.path.startswith(f"{tp}/") and f.path.endswith(".py") and f.data is not None)
        docs.append(Document(submission.owner, submission.commit, files))
    return docs, notes


def _text(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if text.endswith("\n") or not text else text + "\n"


def boilerplate(project: Project, tp: str) -> list[str]:
    """What every student starts from: the stubs of assignments/tpN/ and the handout's code cells."""
    import nbformat

    texts = [p.read_text(encoding="utf-8") for p in sorted((project.assignments / tp).rglob("*.py"))]
    notebook = project.assignments / "handouts" / f"{tp}.ipynb"
    if notebook.is_file():
        cells = [cell.source + "\n" for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
        texts += cells + ["".join(cells)]  # one by one, and pasted in a row
    return texts
