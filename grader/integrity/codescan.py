"""Static scans of a graded commit for the integrity flags: nothing here runs student code.

Two questions, answered from the commit's files as stored in git (Python's `ast` for code):
- does the TP package load a dataset or read files, by path or over the network? A model that
  "predicts" held-out data by looking it up in a copy of the dataset needs one of these;
- does the repository carry large numeric data: data files, or `.py` files with huge literals?
Every finding says which file and line. A finding is a hint for the instructor, never a mark.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ..base.parsing import parse
from ..grading.repos import CommitFile

DATASET_MODULES = ("sklearn.datasets", "mlxtend.data", "torchvision.datasets", "keras.datasets",
                   "tensorflow.keras.datasets", "tensorflow_datasets", "datasets", "openml", "kaggle")
NETWORK_MODULES = ("urllib", "urllib3", "requests", "socket", "http", "httpx", "aiohttp", "ftplib", "paramiko")
FILE_CALLS = {"open", "io.open", "os.open", "codecs.open", "np.load", "numpy.load", "np.loadtxt", "numpy.loadtxt",
              "np.genfromtxt", "numpy.genfromtxt", "np.fromfile", "numpy.fromfile", "np.memmap", "numpy.memmap",
              "torch.load", "pickle.load", "joblib.load", "os.listdir", "os.scandir", "os.walk", "glob.glob",
              "shutil.copy", "shutil.copyfile", "imageio.imread", "PIL.Image.open", "Image.open"}
PATH_METHODS = ("read_text", "read_bytes", "open", "iterdir", "glob", "rglob")  # pathlib's readers
READERS = re.compile(r"^(pd|pandas)\.read_\w+$")
ABSOLUTE = re.compile(r"^(/(home|tmp|root|usr|opt|mnt|media|data|var|srv|Users)\b|~[/\\]|[A-Za-z]:[\\/])")
DATA_SUFFIXES = (".npy", ".npz", ".csv", ".tsv", ".gz", ".zip", ".bz2", ".xz", ".tar", ".pkl", ".pickle", ".pt",
                 ".pth", ".ckpt", ".h5", ".hdf5", ".parquet", ".feather", ".joblib", ".mat", "-ubyte", ".idx")
DATA_FILE_BYTES = 64 << 10  # a data file at least this large is flagged
ANY_FILE_BYTES = 1 << 20  # any file at least this large is flagged, whatever its name
LITERAL_NUMBERS = 1000  # numbers written in one list/tuple/set literal
LITERAL_CHARS = 20_000  # characters of one string or bytes literal (encoded data)


@dataclass(frozen=True)
class Finding:
    kind: str  # "data-access" or "embedded-data"
    where: str  # "tp1/mlp.py:12", or the file alone
    detail: str  # French, for the instructor


class ScanMemo:
    """What the scans found in each `.py` content (git's blob id), for the scans of one run: the
    files every repository shares — the public tests, the stubs of the other TPs, a helper
    copied around — are parsed once, not once per student (≈ 60 ms per commit of the starter
    repo). Kept without the path: the same content may sit elsewhere. Threads may share one."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, bool], list[tuple[str, int, str]]] = {}

    def knows(self, blob: str, in_package: bool) -> bool:
        return bool(blob) and (blob, in_package) in self._found

    def get(self, file: CommitFile, in_package: bool) -> list[Finding] | None:
        found = self._found.get((file.blob, in_package)) if file.blob else None
        return None if found is None else [Finding(kind, f"{file.path}:{line}", detail) for kind, line, detail in found]

    def put(self, file: CommitFile, in_package: bool, found: list[Finding]) -> None:
        if file.blob:
            self._found[(file.blob, in_package)] = [(f.kind, int(f.where.rsplit(":", 1)[1]), f.detail) for f in found]


def scan_commit(files: list[CommitFile], tp: str, memo: ScanMemo | None = None) -> list[Finding]:
    """Data access in the TP package; large data anywhere in the commit. A `.py` file whose
    content `memo` knows is not parsed again (`commit_files(skip=…)` need not even read it)."""
    found = []
    for file in files:
        in_package = file.path.startswith(f"{tp}/")
        known = memo.get(file, in_package) if memo and file.path.endswith(".py") else None
        if known is not None:
            found += known
            continue
        tree = parse(file.data) if file.path.endswith(".py") and file.data is not None else None  # once for both
        here = []
        if in_package and file.path.endswith(".py") and file.data is not None:
            here += data_access(file.path, file.data, tree)
        here += embedded_data(file, tree)
        if memo and file.path.endswith(".py") and file.data is not None:
            memo.put(file, in_package, here)
        found += here
    return found


def dotted(node: ast.AST) -> str:
    """`np.load` for the call target `np.load`, '' for anything that is not a plain dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return ""


def data_access(path: str, data: bytes, tree: ast.Module | None = None) -> list[Finding]:
    tree = tree or parse(data)
    if tree is None:
        return []
    docstrings = set()  # ast.walk meets a statement before the constant it holds
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            docstrings.add(id(node.value))
        where = f"{path}:{getattr(node, 'lineno', 0)}"
        for module in _imported(node):  # one finding per import statement
            if _within(module, DATASET_MODULES):
                found.append(Finding("data-access", where, f"importe {module} (chargeur de jeux de données)"))
                break
            if _within(module, NETWORK_MODULES):
                found.append(Finding("data-access", where, f"importe {module} (accès réseau)"))
                break
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if name in FILE_CALLS or READERS.match(name):
                found.append(Finding("data-access", where, f"appelle {name}() (lecture de fichier)"))
            elif method in PATH_METHODS and name not in ("re.compile",) and not name.startswith(("np.", "numpy.")):
                found.append(Finding("data-access", where, f"appelle .{method}() (lecture de fichier)"))
        elif isinstance(node, ast.Name) and node.id == "__file__":
            found.append(Finding("data-access", where, "chemin relatif à __file__ (fichiers du dépôt)"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                and ABSOLUTE.match(node.value):
            found.append(Finding("data-access", where, f"chemin absolu {node.value[:60]!r}"))
    return sorted(found, key=lambda f: (int(f.where.rsplit(":", 1)[1]), f.detail))


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:  # `from sklearn import datasets` too
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return []


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def embedded_data(file: CommitFile, tree: ast.Module | None = None) -> list[Finding]:
    size = _size(file.size)
    if file.path.endswith(".py"):
        if file.data is None:  # over the read limit: a .py file that large is data
            return [Finding("embedded-data", file.path, f"fichier .py de {size}")]
        return literals(file.path, file.data, tree)
    if file.size >= ANY_FILE_BYTES or (file.path.lower().endswith(DATA_SUFFIXES) and file.size >= DATA_FILE_BYTES):
        return [Finding("embedded-data", file.path, f"fichier de données de {size} dans le dépôt")]
    return []


def literals(path: str, data: bytes, tree: ast.Module | None = None) -> list[Finding]:
    """Lists of numbers and long strings written in the code (outermost literal only)."""
    tree = tree or parse(data)
    if tree is None:
        return []
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            count = sum(isinstance(n, ast.Constant) and isinstance(n.value, (int, float, complex))
                        and not isinstance(n.value, bool) for n in ast.walk(node))
            if count >= LITERAL_NUMBERS:
                found.append(Finding("embedded-data", f"{path}:{node.lineno}", f"{count} nombres écrits dans le code"))
            continue  # an inner literal holds fewer numbers than its container
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and len(node.value) >= LITERAL_CHARS:
            found.append(Finding("embedded-data", f"{path}:{node.lineno}",
                                 f"chaîne de {len(node.value)} caractères écrite dans le code (données encodées ?)"))
        todo.extend(ast.iter_child_nodes(node))
    return sorted(found, key=lambda f: int(f.where.rsplit(":", 1)[1]))


def _size(size: int) -> str:
    return f"{size / (1 << 20):.1f} Mo".replace(".", ",") if size >= 1 << 20 else f"{max(1, size >> 10)} ko"
