"""Tests of grader/authoring/release.py: the starter repo is a one-commit git repo with the stubs, the public
tests and the student CI, and nothing of solutions/ or reference/ — not even in its git objects;
and of grader/authoring/student_wheel.py, the students' wheel in it: `grader check` and its dependencies only."""
from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import git
import pytest
import yaml

from grader.cli import main
from grader.authoring.student_wheel import STUDENT_DEPENDENCIES, STUDENT_EXTRAS, requirements
from tests.conftest import answer_lines



def solution_lines(project) -> set[str]:
    """Lines of the answers that the given code of the stubs does not also contain."""
    given = "\n".join(path.read_text(encoding="utf-8") for folder in (project.assignments, project.root / "grader")
                      for path in folder.rglob("*.py"))  # the stubs, and the grader's own (public) code
    # A line the given code also holds (e.g. a docstring that spells a step out) is no leak.
    return {line for _, line in answer_lines(project.solutions) if line not in given}


def hidden_test_names(project) -> set[str]:
    return {name for path in project.reference.rglob("test_*.py")
            for name in re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M)}


@pytest.fixture(scope="module")
def released(tmp_path_factory, project):
    out = tmp_path_factory.mktemp("starter")
    assert main(["release", str(out)]) == 0
    return out


def test_one_commit_with_stubs_public_tests_and_ci(released, project):
    repo = git.Repo(released)
    assert len(list(repo.iter_commits())) == 1 and not repo.is_dirty(untracked_files=True)
    for tp in project.tp_names():
        assert (released / tp / "__init__.py").exists() and (released / "tests" / f"test_{tp}.py").exists()
    ci = yaml.safe_load((released / ".gitlab-ci.yml").read_text())
    job = ci["check"]
    assert job["parallel"]["matrix"] == [{"TP": project.tp_names()}]
    assert job["script"] == ['grader check "$TP" --junit "report-$TP.xml" --json "result-$TP.json"']
    assert job["artifacts"]["reports"]["junit"] == "report-$TP.xml" and "report-$TP.xml" in job["artifacts"]["paths"]
    assert "raise NotImplementedError" in (released / "tp1" / "losses.py").read_text()
    for tp in project.tp_names():
        notebook = json.loads((released / "handouts" / f"{tp}.ipynb").read_text(encoding="utf-8"))
        assert any(cell["cell_type"] == "code" for cell in notebook["cells"])
    assert not list((released / "handouts").glob("*.md"))  # the notebooks, not their sources
    # What grader check, the pipelines and gitlab-ci-local leave in a clone is never committed by mistake.
    ignored = (released / ".gitignore").read_text().splitlines()
    assert {"report-*.xml", "result-*.json", "grade-*.xml", "sighting-*.json", ".gitlab-ci-local/", ".venv/"} <= set(ignored)
    grade = yaml.safe_load((project.root / "gitlab" / "grade.yml").read_text())["check"]
    assert grade["script"] == job["script"] and grade["artifacts"]["paths"] == job["artifacts"]["paths"]


def test_the_wheel_holds_the_grader_package_only(released):
    [wheel] = (released / "outils").glob("dlgrade-*-py3-none-any.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "grader/student/check.py" in names and "grader/cli.py" in names
    assert {name.split("/")[0] for name in names} == {"grader", wheel.name.split("-py3")[0] + ".dist-info"}


def test_nothing_hidden_reaches_the_starter_repo(released, project):
    objects = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=released,
                             capture_output=True, check=True).stdout.decode("utf-8", "replace")
    files = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in released.rglob("*")
                      if p.is_file() and ".git" not in p.parts)
    for wheel in released.rglob("*.whl"):  # compressed: read what it holds, not its bytes
        with zipfile.ZipFile(wheel) as archive:
            files += "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    for text in (objects, files):
        leaked = [line for line in solution_lines(project) if line in text]
        assert not leaked, leaked[:3]
        named = [name for name in hidden_test_names(project) if name in text]
        assert not named, named[:3]
    assert not list(released.rglob("expected.npz")) and not (released / "reference").exists()


def test_release_refuses_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "x").write_text("déjà là")
    assert main(["release", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err


# The students' install (issue 24: the wheel pulled cosmic-ray, copydetect, python-gitlab, SQLAlchemy…,
# a 1.7 GB environment). What they need is the wheel's own list; this blocks every other installed
# distribution in a process, as if it were not there.
BLOCKER = '''
import importlib.abc, importlib.metadata, os, re, sys
_allowed = set(os.environ["DLGRADE_TEST_ALLOWED"].split(","))
_wheel = os.environ["DLGRADE_TEST_WHEEL"]
_owners = importlib.metadata.packages_distributions()


class _StudentInstall(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "grader":  # only what the wheel holds
            base = os.path.join(_wheel, *name.split("."))
            if not (os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))):
                raise ModuleNotFoundError(f"No module named {name!r} (not in the students' wheel)", name=name)
            return None
        owners = _owners.get(name.split(".")[0])
        if owners and not any(re.sub(r"[-_.]+", "-", owner).lower() in _allowed for owner in owners):
            raise ModuleNotFoundError(f"No module named {name!r} (not in the students' install)", name=name)
        return None


sys.meta_path.insert(0, _StudentInstall())
'''
INSTRUCTOR_ONLY = {"cosmic-ray", "copydetect", "python-gitlab", "sqlalchemy", "jinja2", "tqdm", "nbformat",
                   "scikit-learn", "mlxtend", "pyseccomp"}


def closure(requirements) -> set[str]:
    """The distributions pip installs for `requirements` (as installed here), canonical names."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen, todo = set(), [Requirement(line) for line in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            lines = importlib.metadata.requires(requirement.name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for line in lines:
            needed = Requirement(line)
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra})
                                            for extra in {"", *requirement.extras}):
                todo.append(needed)
    return seen


def student_process(tmp_path, wheel: Path, allowed: set[str]):
    """`grader …` run from the students' wheel alone, as if the environment held only `allowed`."""
    unpacked = tmp_path / "wheel"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    folder = tmp_path / "blocker"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder), str(unpacked)]), DLGRADE_TEST_WHEEL=str(unpacked),
               DLGRADE_TEST_ALLOWED=",".join(sorted(allowed)))

    def grader(*argv: str, cwd=None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "grader.cli", *argv], cwd=cwd, env=env, capture_output=True,
                              text=True, encoding="utf-8")

    return grader


def test_the_students_wheel_depends_on_what_grader_check_needs_only(released):
    [wheel] = (released / "outils").glob("dlgrade-*.whl")
    required = requirements(wheel)
    base = {re.split(r"[<>=;\[ ]", line)[0].lower() for line in required if "extra ==" not in line}
    assert base == {"numpy", "pytest", "pyyaml", "gitpython"}
    assert 'torch==2.13.0; extra == "torch"' in required  # torch only where a TP needs it
    named = {re.split(r"[<>=;\[ ]", line)[0].lower() for line in required}
    assert not named & INSTRUCTOR_ONLY - {"scikit-learn", "mlxtend"}
    assert {line.split(";")[0] for line in required if 'extra == "notebooks"' in line} >= {"scikit-learn>=1.3",
                                                                                           "mlxtend>=0.23"}


def test_the_students_pins_are_the_projects(project):
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((project.root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {*pyproject["dependencies"], *(line for lines in pyproject["optional-dependencies"].values()
                                              for line in lines)}
    student = {*STUDENT_DEPENDENCIES, *(line for lines in STUDENT_EXTRAS.values() for line in lines)}
    assert student - declared == {"notebook>=7"}  # Jupyter itself: the tests run notebooks with nbclient


def test_grader_check_runs_from_the_students_wheel_alone(released, tmp_path, project):
    """Only the modules `grader check` imports are in the wheel, and nothing but its dependencies
    is needed: the instructor's modules (and what their docstrings say) stay out."""
    [wheel] = (released / "outils").glob("dlgrade-*.whl")
    modules = {name for name in zipfile.ZipFile(wheel).namelist() if name.startswith("grader/")}
    assert {"grader/cli.py", "grader/student/check.py", "grader/student/check_plugin.py"} <= modules
    assert not modules & {"grader/commands/instructor.py", "grader/grading/runner.py", "grader/sandbox/__init__.py",
                          "grader/integrity/oral.py", "grader/classrun/collect.py"}
    grader = student_process(tmp_path, wheel, closure(STUDENT_DEPENDENCIES))
    repo = tmp_path / "repo"
    shutil.copytree(project.solutions, repo, ignore=shutil.ignore_patterns("__pycache__", "handouts"))
    done = grader("check", "tp1", str(repo))
    assert done.returncode == 0 and "Note : 20 / 20" in done.stdout, done.stderr[-2000:]
    helped = grader("--help")
    assert helped.returncode == 0 and "check" in helped.stdout
    assert "This is the students' installation: `grader check` only" in " ".join(helped.stdout.split())
    refused = grader("test", "tp1", str(repo))
    assert refused.returncode == 2 and "`grader test`: this installation is the students' one" in refused.stderr
    assert "Traceback" not in refused.stderr + helped.stderr


def test_a_tp_that_needs_torch_says_how_to_install_it(released, tmp_path):
    [wheel] = (released / "outils").glob("dlgrade-*.whl")
    grader = student_process(tmp_path, wheel, closure(STUDENT_DEPENDENCIES))
    repo = tmp_path / "tp2-repo"
    for folder, name, text in (("tp2", "__init__.py", ""), ("tp2", "reseaux.py", "import torch\n"),
                               ("tests", "test_tp2.py", "from tp2 import reseaux\n\n\ndef test_x():\n    pass\n"),
                               ("outils", "dlgrade-0.1.0-py3-none-any.whl", "")):
        (repo / folder).mkdir(parents=True, exist_ok=True)
        (repo / folder / name).write_text(text, encoding="utf-8")
    done = grader("check", "tp2", str(repo), "--json", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    [test] = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["tests"]
    assert test["message"] == ("votre module ne s'importe pas (tp2/reseaux.py:1) : PyTorch (torch) n'est pas installé "
                               "dans cet environnement Python, et ce TP en a besoin : installez-le avec l'outil, "
                               'pip install "outils/dlgrade-0.1.0-py3-none-any.whl[torch]" (voir le README du dépôt)')


def test_what_the_starter_repo_imports_is_in_the_students_install(project):
    """Every import of the TP packages, the public tests and the handouts is the standard library,
    the repository's own modules, or a distribution the students' wheel installs with its extras."""
    wheel_only = closure([*STUDENT_DEPENDENCIES, *STUDENT_EXTRAS["torch"]])
    with_notebooks = closure([*STUDENT_DEPENDENCIES, *STUDENT_EXTRAS["torch"], *STUDENT_EXTRAS["notebooks"]])
    owners = importlib.metadata.packages_distributions()
    local = {path.stem for path in project.assignments.rglob("*.py")} | {path.name for path in project.assignments.iterdir()}

    def outside(sources, allowed) -> set[str]:
        names = set()
        for source in sources:
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
        return {name for name in names - local - set(sys.stdlib_module_names)
                if not {re.sub(r"[-_.]+", "-", owner).lower() for owner in owners.get(name, [name])} & allowed}

    code = [path.read_text(encoding="utf-8") for path in project.assignments.rglob("*.py")]
    assert not outside(code, wheel_only)
    cells = ["\n".join(line for line in "".join(cell["source"]).splitlines() if not line.startswith(("%", "!")))
             for path in (project.assignments / "handouts").glob("*.ipynb")
             for cell in json.loads(path.read_text(encoding="utf-8"))["cells"] if cell["cell_type"] == "code"]
    assert cells and not outside(cells, with_notebooks)


def test_the_install_commands_name_the_wheels_extras(project):
    """The students' README and their CI job install the wheel with extras it has."""
    texts = [(project.assignments / "README.md").read_text(encoding="utf-8"),
             (project.root / "gitlab" / "student-ci.yml").read_text(encoding="utf-8")]
    used = {extra for text in texts for group in re.findall(r"dlgrade-\*\.whl\)?\.?(?:FullName\))?\[([\w,]+)\]", text)
            for extra in group.split(",")}
    assert used and used <= set(STUDENT_EXTRAS)
    assert "[torch,notebooks]" in texts[0] and "[torch]" in texts[1]
