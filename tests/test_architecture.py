"""The layout of grader/ (docs/architecture.md): its families, and the directions imports may take.

Every import of every module of grader/ is read with `ast`, the module-level ones and those inside
functions alike (a lazy import is an arrow too): no circle between modules, no arrow a family's row
of ALLOWED does not list, and the files that run contained (grader/sandbox/runtime/) import nothing
of the grader. ALLOWED is written here once; the architecture page draws it.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

GRADER = Path(__file__).resolve().parents[1] / "grader"

# Family -> the families its modules may import, lowest first. "version" is grader/__init__.py
# (`__version__`, nothing else); "cli" is grader/cli.py, the console script. A family may always
# import its own modules.
ALLOWED: dict[str, set[str]] = {
    "version": set(),
    "base": set(),
    "sandbox": set(),
    "grading": {"version", "base", "sandbox"},
    "student": {"base", "grading"},
    "course": {"base", "grading"},
    "integrity": {"version", "base", "grading", "course"},
    "gitlab": {"base", "grading", "course"},
    "authoring": {"version", "base", "sandbox", "grading"},
    "classrun": {"version", "base", "sandbox", "grading", "course", "integrity", "gitlab"},
    "commands": {"version", "base", "sandbox", "grading", "course", "integrity", "gitlab", "authoring", "classrun"},
    "cli": {"version", "base", "grading", "student", "commands"},
}
# Files run as top-level modules in a worker, a template or the replay process: they may import the
# standard library, numpy, torch, pyseccomp and one another by their bare names, nothing else.
RUNTIME = GRADER / "sandbox" / "runtime"
RUNTIME_IMPORTS = {"numpy", "torch", "pyseccomp", "probes", "protocol", "confine", "worker"}
# The two modules over 400 lines: each is loaded alone as a worker's "probes" (the replay process's,
# and a course's `probes` file in course.yaml, which a course may replace by its own single file).
LONG_MODULES = {"sandbox/runtime/replay.py", "sandbox/runtime/probes.py"}
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(GRADER.rglob("*.py")):
        parts = ["grader", *path.relative_to(GRADER).with_suffix("").parts]
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def family(module: str) -> str:
    """grader.grading.runner -> "grading", grader.cli -> "cli", grader -> "version"."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "version"


def imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The grader modules `module` imports, anywhere in its file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known] or [target]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {module: imports(module, path, known) for module, path in known.items()}


def test_every_module_is_in_a_family_of_the_table():
    assert {family(module) for module in modules()} == set(ALLOWED)


def test_every_import_of_the_grader_names_a_module_that_exists():
    # a lazy `from .sandbox.session import …` left behind by a move fails only when its line runs
    known = modules()
    wrong = []
    for module, path in known.items():
        if path.is_relative_to(RUNTIME):
            continue
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grader"):
                target = node.module
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names if alias.name.startswith("grader")]
                wrong += [f"{path.name}:{node.lineno}: {name}" for name in names if name not in known]
                continue
            else:
                continue
            if target not in known:
                wrong.append(f"{path.relative_to(GRADER)}:{node.lineno}: {target}")
    assert wrong == []


def test_imports_go_only_the_allowed_directions():
    wrong = sorted(f"{module} ({family(module)}) imports {target} ({family(target)})"
                   for module, targets in graph().items() for target in targets
                   if family(target) != family(module) and family(target) not in ALLOWED[family(module)])
    assert wrong == []


def test_the_allowed_directions_have_no_circle():
    order: list[str] = []
    while len(order) < len(ALLOWED):
        ready = [name for name, below in ALLOWED.items() if name not in order and below <= set(order)]
        assert ready, f"a circle among {sorted(set(ALLOWED) - set(order))}"
        order += ready


def test_no_module_imports_itself_back():
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in edges[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(edges)))
    try:
        for module in edges:
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    assert circles == []


def test_what_runs_contained_imports_nothing_of_the_grader():
    for path in sorted(RUNTIME.glob("*.py")):
        if path.name == "__init__.py":  # never copied: it only says where the files are
            continue
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.ImportFrom):
                assert not node.level, f"{path.name}:{node.lineno}: a relative import does not exist in a worker"
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top in RUNTIME_IMPORTS, f"{path.name}:{node.lineno}: {name}"


def test_modules_are_short():
    long = sorted(f"{path.relative_to(GRADER)}: {len(path.read_text(encoding='utf-8').splitlines())} lines"
                  for path in GRADER.rglob("*.py")
                  if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES
                  and path.relative_to(GRADER).as_posix() not in LONG_MODULES)
    assert long == []


def test_every_package_says_its_job_and_what_it_may_import():
    for package in sorted(path.parent for path in GRADER.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) or ""
        assert "May import" in doc, package.name
