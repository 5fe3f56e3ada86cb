"""What `grader check` tells a student, in French: an exception of their code, a public test
module that does not load, a test stopped at its time limit (where), a crashed test process.

Both sides of `grader check` use it: the student's pytest process (`check_plugin`, for what was
raised) and grader check's own (`check`, for a timeout's stack and a crash). Python's own text of
an exception is quoted as it is; everything around it is French and says what to do.
"""
from __future__ import annotations

import re
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MESSAGE_LIMIT = 500
STDIN_CAPTURED = "reading from stdin while output is captured"  # pytest's text when code reads stdin
CANNOT_IMPORT = re.compile(r"cannot import name '([^']+)' from '([^']+)'")
DUMPED_FRAME = re.compile(r'^\s*File "(.+)", line (\d+) in (.+?)\s*$')  # a line of a faulthandler dump
# The students' wheel's extra that installs a module (STUDENT_EXTRAS in grader/authoring/student_wheel.py)
EXTRAS = {"torch": "torch", "matplotlib": "notebooks", "sklearn": "notebooks", "mlxtend": "notebooks"}


class BreakpointCalled(Exception):
    """breakpoint() called by the student's code while the public tests run."""


@dataclass(frozen=True)
class Frame:
    file: str  # relative to the repository, "/"-separated: "tp1/losses.py"
    line: int  # line number in that file
    function: str  # the function's name, "<module>" for code at a module's top level


def frames_in(frames: Iterable[tuple[str, int, str]], root: Path) -> list[Frame]:
    """The frames, innermost last, of files inside `root` (the student's repository)."""
    found = []
    for filename, line, function in frames:
        try:
            relative = Path(filename).resolve().relative_to(root.resolve())
        except (ValueError, OSError):
            continue
        found.append(Frame(relative.as_posix(), int(line or 0), function))
    return found


def in_package(frames: list[Frame], package: str) -> list[Frame]:
    return [frame for frame in frames if frame.file.split("/")[0] == package]


def where(exc: BaseException, root: Path, package: str) -> str | None:
    """The innermost line of the student's package in the traceback: "tp1/mlp.py:25"."""
    raw = [(summary.filename, summary.lineno, summary.name) for summary in traceback.extract_tb(exc.__traceback__)]
    if isinstance(exc, SyntaxError) and exc.filename:
        raw.append((exc.filename, exc.lineno, "<module>"))
    frames = in_package(frames_in(raw, root), package)
    return f"{frames[-1].file}:{frames[-1].line}" if frames else None


def explain(exc: BaseException, root: Path, package: str, located: bool = True, in_test: bool = False) -> str:
    """What a student reads for an exception raised while running a public test (or importing
    their package), in French, with the file and line of their code when it is there (`located`).
    `in_test`: raised while a test ran; with no line of the student's package in the traceback, the
    test's own code raised, reading what the function returned, and the student's code is not blamed."""
    place = where(exc, root, package) if located else None
    at = f" ({place})" if place else ""
    text = str(exc)
    if isinstance(exc, AssertionError) or type(exc).__name__ == "Failed":  # the public test's own message
        return text.strip()[:MESSAGE_LIMIT] or "résultat incorrect"
    if isinstance(exc, NotImplementedError):
        return f"fonction pas encore écrite (NotImplementedError){at}"
    if isinstance(exc, SyntaxError):
        return f"votre module ne s'importe pas{at} : SyntaxError: {exc.msg}"
    if isinstance(exc, BreakpointCalled):
        return f"votre code appelle breakpoint(){at} : personne ne peut répondre au débogueur ici ; retirez-le"
    if isinstance(exc, OSError) and STDIN_CAPTURED in text:
        return (f"votre code attend une saisie au clavier (input(), breakpoint() ou pdb){at} : les tests ne "
                "peuvent pas répondre ; retirez cette lecture (une fonction reçoit ses valeurs en paramètres)")
    if isinstance(exc, SystemExit):
        return (f"votre code quitte Python (sys.exit() ou exit()){at} : une fonction doit renvoyer son résultat "
                "(return), pas arrêter le programme")
    missing = missing_name(exc, root, package)
    if missing:
        return missing + at
    if in_test and located and place is None:  # raised by the test's own code, reading what the function returned
        return (f"le test n'a pas pu lire ce que votre fonction a renvoyé ({type(exc).__name__} : "
                f"{text[:200]}) : vérifiez le type et la forme du résultat attendus par la docstring")
    return f"votre code a levé {type(exc).__name__}{at} : {text[:MESSAGE_LIMIT]}"


def missing_name(exc: BaseException, root: Path, package: str) -> str | None:
    """A module, or a name in a module, that is not there: the French sentence, else None."""
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        if top in EXTRAS:
            return install_hint(top, EXTRAS[top], root)
        if top == package:
            return f"le module {exc.name.replace('.', '/')}.py n'existe pas : gardez les fichiers du dépôt de départ"
        return (f"le module {exc.name} est introuvable : est-il installé dans cet environnement Python "
                "(pip install …) ? le nom est-il bien écrit ?")
    if isinstance(exc, ImportError):
        found = CANNOT_IMPORT.search(str(exc))
        if found:
            name, module = found.groups()
            return (f"{module_file(module, package)} n'a pas de {name} (fonction renommée ou supprimée ?) : "
                    "gardez les noms de l'énoncé")
    if isinstance(exc, AttributeError) and type(getattr(exc, "obj", None)).__name__ == "module":
        module = exc.obj.__name__
        if module.split(".")[0] == package:
            return (f"{module_file(module, package)} n'a pas de {exc.name} (fonction renommée ou supprimée ?) : "
                    "gardez les noms de l'énoncé")
    return None


def install_hint(module: str, extra: str, root: Path) -> str:
    """The student's install command with the extra that brings `module` (the starter repo's wheel)."""
    wheels = sorted((root / "outils").glob("dlgrade-*.whl"))
    wheel = f"outils/{wheels[-1].name}" if wheels else "outils/dlgrade-….whl"
    what = "PyTorch (torch)" if module == "torch" else module
    return (f"{what} n'est pas installé dans cet environnement Python, et ce TP en a besoin : installez-le avec "
            f"l'outil, pip install \"{wheel}[{extra}]\" (voir le README du dépôt)")


def module_file(module: str, package: str) -> str:
    """"tp1/losses.py" for the student's module tp1.losses; other modules keep their dotted name."""
    if module.split(".")[0] != package:
        return module
    return f"{package}/__init__.py" if module == package else module.replace(".", "/") + ".py"


def not_loading(test_file: str, exc: BaseException, root: Path, package: str) -> str:
    """A public test module that cannot be collected: why, naming the module and the name."""
    cause = exc.__cause__ or exc.__context__ or exc
    if isinstance(cause, ImportError) and CANNOT_IMPORT.search(str(cause)):
        name, module = CANNOT_IMPORT.search(str(cause)).groups()
        return (f"{test_file} ne se charge pas : il importe {name} de {module}, qui ne l'a pas (fonction "
                "renommée ou supprimée ?) ; gardez les noms de l'énoncé")[:MESSAGE_LIMIT]
    if cause is exc:  # pytest's own collection error, without the exception behind it
        return f"{test_file} ne se charge pas : {last_line(str(exc))}"[:MESSAGE_LIMIT]
    return f"{test_file} ne se charge pas : {explain(cause, root, package)}"[:MESSAGE_LIMIT]


def last_line(text: str) -> str:
    lines = [line.strip().removeprefix("E ").strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "erreur inconnue"


def import_failed(exc: BaseException, root: Path, package: str, module_path: str) -> str:
    """A module of the student's package that does not import: every test is lost, with this."""
    if isinstance(exc, SyntaxError):
        detail = f"SyntaxError: {exc.msg}"
    else:
        detail = explain(exc, root, package, located=False)
        if detail.startswith("votre code a levé "):
            detail = f"{type(exc).__name__}: {exc}"
    return f"votre module ne s'importe pas ({where(exc, root, package) or module_path}) : {detail}"[:MESSAGE_LIMIT]


def dumped_frames(dump: str, root: Path) -> list[Frame]:
    """The frames of the thread that ran the tests in a faulthandler dump, innermost last."""
    threads, current = [], []
    for line in dump.splitlines():
        if line.startswith(("Thread ", "Current thread ")):
            current = []
            threads.append(current)
        match = DUMPED_FRAME.match(line)
        if match:
            current.append((match.group(1), int(match.group(2)), match.group(3)))
    # faulthandler lists the most recent call first; the thread that ran the tests holds pytest's frames
    stacks = [list(reversed(thread)) for thread in threads]
    main = next((stack for stack in stacks if any("_pytest" in Path(filename).parts for filename, _, _ in stack)),
                stacks[0] if stacks else [])
    return frames_in(main, root)


def stopped_at(frames: list[Frame], package: str, verb: str = "arrêté", limit: int = 3) -> str | None:
    """ "arrêté dans relu (tp1/activations.py, ligne 12), appelée par forward (tp1/mlp.py, ligne 40)" """
    own = in_package(frames, package)
    if not own:
        tests = [frame for frame in frames if frame.file.startswith("tests/")]
        if not tests:
            return None
        return f"{verb} dans le test lui-même ({tests[-1].file}, ligne {tests[-1].line})"
    parts = []
    for frame in reversed(own[-limit:]):
        name = "le code du module" if frame.function == "<module>" else frame.function
        parts.append(f"{name} ({frame.file}, ligne {frame.line})")
    return f"{verb} dans " + ", appelée par ".join(parts)


def timed_out(timeout: float, frames: list[Frame], package: str, relaunched: bool) -> str:
    """A test stopped at its time limit: where the student's code was at that moment."""
    place = stopped_at(frames, package)
    return (f"délai dépassé : votre code n'a pas répondu en {timeout:g} s (boucle infinie ?)"
            + (f" ; {place}" if place else "") + (" ; les tests suivants ont été relancés" if relaunched else "")
            )[:MESSAGE_LIMIT]


def import_timed_out(timeout: float, frames: list[Frame], package: str) -> str:
    """The student's package did not finish importing: code at a module's top level loops."""
    own = in_package(frames, package)
    if not own:
        return (f"délai dépassé : votre paquet {package}/ ne finit pas de s'importer en {timeout:g} s "
                "(code au niveau d'un module : boucle infinie ?)")
    # the innermost module-level frame is the module whose import hangs
    module = next((frame for frame in reversed(own) if frame.function == "<module>"), own[-1])
    called = own[own.index(module) + 1:]  # a function the module's code called, where it was stopped
    return (f"délai dépassé : {module.file} ne finit pas de s'importer en {timeout:g} s (code au niveau du module,"
            f" ligne {module.line} : boucle infinie ?)"
            + (f" ; {stopped_at(called, package)}" if called else ""))[:MESSAGE_LIMIT]


def crashed(exit_code: int | None, frames: list[Frame], package: str, relaunched: bool) -> str:
    """The test process ended without a Python exception (os._exit, a crash of Python)."""
    place = stopped_at(frames, package, "planté")
    how = f"code de sortie {exit_code}" if exit_code is not None else "arrêté"
    return (f"le processus des tests s'est arrêté ({how} : os._exit(), plantage de Python ou d'une "
            "bibliothèque ?)" + (f" ; {place}" if place else "")
            + (" ; les tests suivants ont été relancés" if relaunched else ""))[:MESSAGE_LIMIT]


def pytest_failed(output: str, exit_code: int | None, root: Path) -> str:
    """pytest stopped before running any test: why, from its own output, said in French."""
    conftest = re.search(r"(?:ImportError|Error) while loading conftest '([^']+)'", output)
    if conftest:
        path = Path(conftest.group(1))
        try:
            path = path.resolve().relative_to(root.resolve())
        except (ValueError, OSError):
            pass
        return (f"votre fichier {path.as_posix()} ne se charge pas : {last_line(output)} ; corrigez-le ou "
                "supprimez-le (le dépôt de départ n'en a pas)")[:MESSAGE_LIMIT]
    return (f"pytest n'a pas pu lancer les tests publics (code de sortie {exit_code}) : "
            f"{last_line(output)}")[:MESSAGE_LIMIT]
