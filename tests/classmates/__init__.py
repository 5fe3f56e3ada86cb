"""A synthetic class for the similarity tests and benchmark: independent students and planted copies.

Each function (or class) a TP asks for has several correct implementations, written
independently: the one of solutions/, the one of tests/alternatives/ when it differs, and those
of v3/ and v4/ here. An independent student draws one implementation per function (the two
batch-norm functions, whose cache must agree, are drawn together), so short functions coincide
by chance, as in a real class. A planted copy takes one student's files and disguises them with
code: renamed variables, reordered functions, changed comments, reformatting, and one function
swapped for another implementation.
"""
from __future__ import annotations

import ast
import builtins
import functools
import io
import random
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SOURCES = (ROOT / "solutions", ROOT / "tests" / "alternatives", HERE / "v3", HERE / "v4")
TOGETHER = {"batchnorm_forward": "batchnorm", "batchnorm_backward": "batchnorm"}  # drawn as one
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\n", re.M)
COMMENTS = ["# calcul vectorisé", "# cf. cours, chapitre 2", "# on évite les copies inutiles", "# TODO relire",
            "# version stable numériquement", "# boucle sur les couches", "# même formule que dans le poly"]


def units(source: str) -> dict[str, str]:
    """Top-level functions and classes of a module: name → source text."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    return {node.name: "".join(lines[node.lineno - 1:node.end_lineno])
            for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


@functools.lru_cache(maxsize=None)
def pools(tp: str) -> dict[str, dict[str, list[str]]]:
    """module → unit to write → its distinct implementations (solutions/ first)."""
    found: dict[str, dict[str, list[str]]] = {}
    for stub in sorted((ROOT / "assignments" / tp).glob("*.py")):
        todo = [name for name, text in units(stub.read_text(encoding="utf-8")).items() if "NotImplementedError" in text]
        if not todo:
            continue
        module = found.setdefault(stub.name, {name: [] for name in todo})
        for source in SOURCES:
            path = source / tp / stub.name
            if not path.is_file():
                continue
            for name, text in units(MARKER.sub("", path.read_text(encoding="utf-8"))).items():
                seen = [ast.dump(ast.parse(t)) for t in module.get(name, [])]
                if name in module and ast.dump(ast.parse(text)) not in seen:
                    module[name].append(text)
    return found


def compose(tp: str, module: str, chosen: dict[str, str], write=lambda text: text) -> str:
    """The stub module with each unit to write replaced by the chosen implementation (as `write`
    writes it), plus the imports and helpers of the modules those implementations come from."""
    stub = (ROOT / "assignments" / tp / module).read_text(encoding="utf-8")
    lines = stub.splitlines(keepends=True)
    tree = ast.parse(stub)
    for node in reversed(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in chosen:
            lines[node.lineno - 1:node.end_lineno] = [write(chosen[node.name])]
    extra = [x for source in SOURCES for x in _extras(source / tp / module, stub)
             if any(text in _texts(source / tp / module) for text in chosen.values())]
    first = next(n.lineno for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)))
    lines[first - 1:first - 1] = [x + "\n\n" for x in dict.fromkeys(extra)]
    return "".join(lines)


@functools.lru_cache(maxsize=None)
def _texts(path: Path) -> tuple[str, ...]:
    return tuple(units(MARKER.sub("", path.read_text(encoding="utf-8"))).values()) if path.is_file() else ()


def _extras(path: Path, stub: str) -> list[str]:
    """Imports and helper functions of a source module that the stub does not have."""
    if not path.is_file():
        return []
    source = MARKER.sub("", path.read_text(encoding="utf-8"))
    lines, known = source.splitlines(), set(units(stub)) | set(stub.splitlines())
    found = []
    for node in ast.parse(source).body:
        text = "\n".join(lines[node.lineno - 1:node.end_lineno])
        if isinstance(node, (ast.Import, ast.ImportFrom)) and text not in known:
            found.append(text)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name not in known:
            found.append(text)
    return found


def student(tp: str, rng: random.Random) -> dict[str, str]:
    """An independent student's package: file name → source. Besides drawing implementations,
    each student has habits of their own (see Habits) applied to all their code: two students
    who drew the same implementation of a long function still rarely write it token for token."""
    files = {}
    habits = Habits({habit for habit in Habits.ALL if rng.random() < 0.5})
    for module, todo in pools(tp).items():
        draws: dict[str, int] = {}
        chosen = {}
        for name, variants in todo.items():
            key = TOGETHER.get(name, name)
            draws.setdefault(key, rng.randrange(4))
            chosen[name] = variants[draws[key] % len(variants)]
        files[module] = comment(compose(tp, module, chosen, habits.apply), rng, 0.15)
    return files


class Habits(ast.NodeTransformer):
    """Ways of writing the same thing that differ once normalised (identifiers do not count):
    `x = x + y` for `x += y`, `np.dot(a, b)` for `a @ b`, `0 < z` for `z > 0`, `2` for `2.0`
    in arithmetic, `np.zeros(n, float)` for `np.zeros(n, dtype=float)`, and a named result
    before `return`."""

    ALL = ("augmented", "dot", "flip", "integral", "positional", "result")
    FLIPPED = {ast.Gt: ast.Lt, ast.Lt: ast.Gt, ast.GtE: ast.LtE, ast.LtE: ast.GtE}
    DTYPED = {"asarray", "array", "zeros", "ones", "empty", "zeros_like", "ones_like"}

    def __init__(self, habits: set[str]) -> None:
        self.habits = habits

    def apply(self, source: str) -> str:
        """The source with this student's habits, or as it was when none applies."""
        self.numpy = "np." in source and "torch" not in source
        before = ast.dump(ast.parse(source))
        tree = ast.fix_missing_locations(self.visit(ast.parse(source)))
        return source if ast.dump(tree) == before else ast.unparse(tree) + "\n"

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        if "augmented" in self.habits and isinstance(node.target, ast.Name):
            load = ast.Name(node.target.id, ast.Load())
            return ast.copy_location(ast.Assign([node.target], ast.BinOp(load, node.op, node.value)), node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if "dot" in self.habits and self.numpy and isinstance(node.op, ast.MatMult):
            dot = ast.Attribute(ast.Name("np", ast.Load()), "dot", ast.Load())
            return ast.copy_location(ast.Call(dot, [node.left, node.right], []), node)
        if "integral" in self.habits:
            for side in ("left", "right"):
                value = getattr(node, side)
                if isinstance(value, ast.Constant) and isinstance(value.value, float) and value.value.is_integer() \
                        and isinstance(node.op, (ast.Mult, ast.Sub, ast.Add)):
                    setattr(node, side, ast.Constant(int(value.value)))
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if "flip" in self.habits and len(node.ops) == 1 and type(node.ops[0]) in self.FLIPPED:
            return ast.copy_location(ast.Compare(node.comparators[0], [self.FLIPPED[type(node.ops[0])]()], [node.left]), node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if "positional" in self.habits and self.numpy and name in self.DTYPED and len(node.args) == 1 \
                and [k.arg for k in node.keywords] == ["dtype"]:
            node.args.append(node.keywords[0].value)
            node.keywords = []
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.generic_visit(node)
        last = node.body[-1]
        if "result" in self.habits and isinstance(last, ast.Return) and isinstance(last.value, (ast.BinOp, ast.Call)):
            node.body[-1:] = [ast.Assign([ast.Name("result", ast.Store())], last.value),
                              ast.Return(ast.Name("result", ast.Load()))]
        return node


def comment(source: str, rng: random.Random, rate: float) -> str:
    """Add a student's comments at the end of some code lines (never inside a string)."""
    strings = {row for tok in _tokens(source) if tok.type == tokenize.STRING for row in range(tok.start[0], tok.end[0] + 1)}
    out = []
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() and number not in strings and not line.rstrip().endswith(("\\", ",", "(")) and "#" not in line \
                and rng.random() < rate:
            line += "  " + rng.choice(COMMENTS)
        out.append(line)
    return "\n".join(out) + "\n"


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(source).readline))


# Disguises: each takes a module's source and returns a source that means the same thing.

class _Renamer(ast.NodeTransformer):
    """Renames every parameter and local variable of every function (not globals, not attributes)."""

    def __init__(self, rng: random.Random, keep: set[str]) -> None:
        self.rng, self.keep, self.names = rng, keep, {}

    def new(self, name: str) -> str:
        if name in self.keep or name == "self" or name.startswith("__"):
            return name
        stems = ["val", "tmp", "res", "donnee", "truc", "elt", "z_", "q", "buf", "acc"]
        return self.names.setdefault(name, f"{self.rng.choice(stems)}{len(self.names)}")

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.new(node.arg)
        return node

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.new(node.id)
        return node


def rename(source: str, rng: random.Random) -> str:
    tree = ast.parse(source)
    keep = set(dir(builtins))
    for node in tree.body:  # module-level names: imports, constants, functions, classes
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            keep |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            keep.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            keep |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    for node in ast.walk(tree):  # keyword arguments of calls name the callee's parameters
        if isinstance(node, ast.keyword) and node.arg:
            keep.add(node.arg)
    renamer = _Renamer(rng, keep)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            renamer.visit(node)
    return ast.unparse(tree) + "\n"


def reorder(source: str, rng: random.Random) -> str:
    """Shuffle the top-level functions and classes; everything else keeps its place."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    blocks = [(n.lineno, n.end_lineno) for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    texts = ["".join(lines[a - 1:b]) for a, b in blocks]
    shuffled = texts[:]
    while len(texts) > 1 and shuffled == texts:
        rng.shuffle(shuffled)
    for (a, b), text in sorted(zip(blocks, shuffled), reverse=True):
        lines[a - 1:b] = [text]
    return "".join(lines)


def recomment(source: str, rng: random.Random) -> str:
    """Drop every comment, rewrite every docstring's wording, add other comments."""
    kept = [tok for tok in _tokens(source) if tok.type != tokenize.COMMENT]
    text = tokenize.untokenize(kept)
    text = re.sub(r'"""(.|\n)*?"""', lambda m: '"""' + rng.choice(["Voir l'énoncé.", "Fait en TD.", "Ma version."])
                  + '"""', text)
    return comment(text, rng, 0.4)


def reformat(source: str, rng: random.Random) -> str:
    """ast.unparse's layout (parentheses, quotes, spacing, no comments), then 2-space indents and
    blank lines between statements."""
    out = []
    for line in (ast.unparse(ast.parse(source)) + "\n").splitlines():
        indent = len(line) - len(line.lstrip(" "))
        out.append(" " * (indent // 2) + line.lstrip(" "))
        if line.strip().startswith(("return", "for ", "if ")) and rng.random() < 0.5:
            out.append("")
    return "\n".join(out) + "\n"


def swap_one(tp: str, files: dict[str, str], rng: random.Random) -> dict[str, str]:
    """Rewrite one function the way another student would (another implementation of it)."""
    module = rng.choice(sorted(m for m in pools(tp) if any(len(v) > 1 for v in pools(tp)[m].values())))
    name = rng.choice(sorted(n for n, v in pools(tp)[module].items() if len(v) > 1))
    current = units(files[module])
    other = next(v for v in pools(tp)[module][name] if ast.dump(ast.parse(v)) != ast.dump(ast.parse(current[name]))) \
        if name in current else None
    if other is None:
        return files
    tree = ast.parse(files[module])
    lines = files[module].splitlines(keepends=True)
    node = next(n for n in tree.body if getattr(n, "name", None) == name)
    lines[node.lineno - 1:node.end_lineno] = [other if other.endswith("\n") else other + "\n"]
    return {**files, module: "".join(lines)}


DISGUISES = {"rename": rename, "reorder": reorder, "recomment": recomment, "reformat": reformat}


def disguise(tp: str, files: dict[str, str], how: tuple[str, ...], rng: random.Random) -> dict[str, str]:
    """Apply disguises in a fixed order ('swap' swaps one function first)."""
    if "swap" in how:
        files = swap_one(tp, files, rng)
    for name in ("reorder", "recomment", "rename", "reformat"):
        if name in how:
            files = {module: DISGUISES[name](text, rng) for module, text in files.items()}
    return files


def alternative(tp: str) -> dict[str, str]:
    """tests/alternatives/ as a student's package (stub files where it has none)."""
    files = {}
    for stub in sorted((ROOT / "assignments" / tp).glob("*.py")):
        path = ROOT / "tests" / "alternatives" / tp / stub.name
        files[stub.name] = (path if path.is_file() else stub).read_text(encoding="utf-8")
    return files


ALL = ("swap", "reorder", "recomment", "rename", "reformat")
PLANTED = [  # (TP, copied student, disguises): copier c01… copies it for that TP
    ("tp1", "s03", ("rename",)), ("tp1", "s07", ("reorder",)), ("tp1", "s11", ("recomment",)),
    ("tp1", "s15", ("reformat",)), ("tp1", "alt", ALL),
    ("tp2", "s04", ("rename",)), ("tp2", "s09", ("reorder", "recomment")), ("tp2", "s13", ("reformat",)),
    ("tp2", "s18", ("swap", "rename", "reformat")), ("tp2", "alt", ALL),
]
DEADLINES = {"tp1": "2026-02-15T23:59:00+01:00", "tp2": "2026-03-08T23:59:00+01:00"}


def packages(independent: int, seed: int, tps: tuple[str, ...] = ("tp1", "tp2")) -> tuple[dict, set]:
    """owner → TP → files, and the planted pairs {(tp, frozenset({copier, source}))}."""
    rng = random.Random(seed)
    owners: dict[str, dict[str, dict[str, str]]] = {}
    for i in range(independent):
        owners[f"s{i:02d}"] = {tp: student(tp, rng) for tp in tps}
    owners["alt"] = {tp: alternative(tp) for tp in tps}
    owners["g1"] = {tp: student(tp, rng) for tp in tps}  # a declared pair: one repository, two students
    planted = set()
    for number, (tp, source, how) in enumerate(p for p in PLANTED if p[0] in tps):
        copier = f"c{number + 1:02d}"
        owners[copier] = {t: student(t, rng) for t in tps}
        owners[copier][tp] = disguise(tp, owners[source][tp], how, rng)
        planted.add((tp, frozenset({copier, source})))
    return owners, planted


def build_collect_folder(base: Path, independent: int = 30, seed: int = 12,
                         tps: tuple[str, ...] = ("tp1", "tp2")) -> tuple[Path, Path, set]:
    """Real git repos of the class and a collect output folder holding their bare mirrors and
    submissions (nothing graded: `grader similarity` needs the commits only). Returns
    (course.yaml, the collect folder, the planted pairs)."""
    owners, planted = packages(independent, seed, tps)
    course = write_class(base, owners, tps, {"g1": ["g1a", "g1b"]})
    return course, base / "out", planted


def write_class(base: Path, owners: dict[str, dict[str, dict[str, str]]], tps: tuple[str, ...],
                groups: dict[str, list[str]] | None = None, deadlines: dict[str, str] | None = None,
                course_keys: str = "") -> Path:
    """Each owner's repository (the stubs, then one commit per TP with its files), its bare mirror
    and its submissions in `base/out`, the roster (`groups`: owner → its members) and course.yaml
    (with `course_keys` appended). Returns course.yaml."""
    import subprocess

    import git

    from grader.course.submissions import write_submissions
    from grader.course.gradebook import Submission

    groups, deadlines = groups or {}, deadlines or DEADLINES
    actor = git.Actor("Étudiant", "e@example.org")
    out, rows = base / "out", ["id,name,email,repo,group"]
    for owner, work in owners.items():
        repo_dir = base / "depots" / owner
        for tp in tps:
            for stub in (ROOT / "assignments" / tp).glob("*.py"):
                (repo_dir / tp).mkdir(parents=True, exist_ok=True)
                (repo_dir / tp / stub.name).write_text(stub.read_text(encoding="utf-8"), encoding="utf-8")
        repo = git.Repo.init(repo_dir, initial_branch="main")
        repo.git.add(A=True)
        repo.index.commit("Dépôt de départ", author=actor, committer=actor, author_date="2026-02-01T10:00:00+0100",
                          commit_date="2026-02-01T10:00:00+0100")
        shas = {}
        for tp in tps:
            for name, text in work[tp].items():
                (repo_dir / tp / name).write_text(text, encoding="utf-8")
            repo.git.add(A=True)
            shas[tp] = repo.index.commit(tp.upper(), author=actor, committer=actor).hexsha
        subprocess.run(["git", "clone", "-q", "--mirror", str(repo_dir), str(out / "repos" / f"{owner}.git")], check=True)
        write_submissions(out / "submissions" / f"{owner}.json", [Submission(owner, tp, shas[tp], None, None) for tp in tps])
        members = groups.get(owner, [owner])
        rows += [f"{m},Nom {m},{m}@etu.example.fr,depots/{owner},{owner if owner in groups else ''}" for m in members]
    (base / "roster.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    tp_lines = "".join(f'  {tp}: {{deadline: "{deadlines[tp]}"}}\n' for tp in tps)
    (base / "course.yaml").write_text(f'course: "Classe synthétique"\nroster: roster.csv\ntps:\n{tp_lines}'
                                      f'formula: "mean({", ".join(tps)})"\n{course_keys}', encoding="utf-8")
    return base / "course.yaml"
