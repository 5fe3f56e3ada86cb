"""Tests of grader/student/check.py: `grader check TP`, the students' own public tests and provisional mark."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import git
import pytest

from grader.student.check import TEST_TIMEOUT, public_test_names
from grader.cli import main

from .conftest import commit_fixed


def test_solutions_get_a_full_provisional_mark_and_a_junit_file(project, tmp_path, capsys):
    repo = tmp_path / "repo"
    shutil.copytree(project.solutions, repo, ignore=shutil.ignore_patterns("__pycache__"))
    assert main(["check", "tp1", str(repo), "--junit", str(tmp_path / "r.xml")]) == 0
    out = capsys.readouterr().out
    assert "Note : 20 / 20" in out and "provisoire" in out
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert int(suite.get("tests")) >= 5 and suite.get("failures") == "0"


def test_stubs_get_zero_with_the_reason(project, tmp_path, capsys):
    repo = tmp_path / "repo"
    shutil.copytree(project.assignments, repo, ignore=shutil.ignore_patterns("__pycache__"))
    assert main(["check", "tp1", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "Note : 0 / 20" in out and "NotImplementedError" in out


def test_a_folder_without_public_tests_is_bad_usage_in_french(tmp_path, capsys):
    assert main(["check", "tp1", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grader check : erreur :") and "pas de tests publics" in err
    (tmp_path / "tests").mkdir()
    for tp in ("tp2", "tp1"):
        (tmp_path / "tests" / f"test_{tp}.py").write_text("")
    assert main(["check", "TP1", str(tmp_path / "tests")]) == 2  # the repository is there: the TP's name is wrong
    assert "les TP de ce dépôt sont tp1, tp2 (par exemple : grader check tp1)" in capsys.readouterr().err


def test_check_works_where_resource_and_fcntl_do_not_exist(project, tmp_path):
    """Windows has neither module: the grader must still import and `check` must still run."""
    repo = tmp_path / "repo"
    shutil.copytree(project.solutions, repo, ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import sys; sys.modules['resource'] = None; sys.modules['fcntl'] = None\n"
            "from grader.cli import main\nsys.exit(main(['check', 'tp1', sys.argv[1]]))")
    done = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Note : 20 / 20" in done.stdout


def student_copy(project, tmp_path, committed=True):
    repo = tmp_path / "repo"
    shutil.copytree(project.solutions, repo, ignore=shutil.ignore_patterns("__pycache__"))
    if committed:
        git_repo = git.Repo.init(repo)
        git_repo.git.add(A=True)
        commit_fixed(git_repo, "TP1")
    return repo


def replace_line(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_an_infinite_loop_costs_its_test_only_with_the_grader_test_message(project, tmp_path, capsys):
    repo = student_copy(project, tmp_path)
    replace_line(repo / "tp1" / "activations.py", "    return np.maximum(0.0, np.asarray(z, dtype=float))",
                 "    while True:\n        pass")
    line = (repo / "tp1" / "activations.py").read_text().splitlines().index("    while True:") + 1
    started = time.monotonic()
    assert main(["check", "tp1", str(repo), "--timeout", "3", "--json", str(tmp_path / "r.json")]) == 0
    assert time.monotonic() - started < 3 + 15  # one wait of --timeout, not one per test nor a minute
    tests = {t["id"]: t for t in json.loads((tmp_path / "r.json").read_text())["tests"]}
    stopped = [t for t in tests.values() if t["status"] == "timeout"]
    assert len(stopped) == 1 and "délai dépassé" in stopped[0]["message"] and "boucle infinie" in stopped[0]["message"]
    # where the student's code was when it was stopped: function, file, line
    assert re.search(rf"arrêté dans relu \(tp1/activations\.py, ligne ({line}|{line + 1})\)", stopped[0]["message"])
    assert all(t["status"] == "passed" for t in tests.values() if t is not stopped[0])  # the others still ran
    out = capsys.readouterr().out
    assert "délai dépassé test_relu_et_sa_derivee" in " ".join(out.split())  # its progress line


def test_a_syntax_error_names_the_file_and_line_and_counts_every_test(project, tmp_path, capsys):
    repo = student_copy(project, tmp_path)
    lines = (repo / "tp1" / "losses.py").read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "return" in line and "### " not in line)
    lines[number - 1] = "    return ("
    (repo / "tp1" / "losses.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["check", "tp1", str(repo), "--json", str(tmp_path / "r.json")]) == 0
    result = json.loads((tmp_path / "r.json").read_text())
    public = public_test_names(repo / "tests" / "test_tp1.py")
    assert [t["id"] for t in result["tests"]] == public and result["max_score"] == len(public) > 1
    assert all(f"(tp1/losses.py:{number})" in t["message"] and "SyntaxError" in t["message"] for t in result["tests"])
    assert "rewrite.py" not in capsys.readouterr().out


def test_a_failing_public_test_shows_its_french_message_not_pytest_text(project, tmp_path, capsys):
    repo = student_copy(project, tmp_path)
    (repo / "tests" / "test_tp1.py").write_text(
        "import numpy as np\nfrom tp1 import losses\n\n\ndef test_mse():\n"
        "    got = losses.mse(np.array([1.0, 3.0]), np.array([0.0, 1.0])) * 2\n"
        "    assert np.isclose(got, 2.5), f\"mse([1, 3], [0, 1]) : attendu 2.5, obtenu {got}\"\n\n\n"
        "def test_bare():\n    assert np.isclose(losses.mse(np.array([1.0]), np.array([0.0])), 3.0)\n",
        encoding="utf-8")
    assert main(["check", "tp1", str(repo), "--junit", str(tmp_path / "r.xml")]) == 0
    out = capsys.readouterr().out
    assert "mse([1, 3], [0, 1]) : attendu 2.5, obtenu 5.0" in out and "résultat incorrect" in out
    assert "np.False_" not in out and "where" not in out and "isclose at 0x" not in out
    assert "attendu 2.5, obtenu 5.0" in (tmp_path / "r.xml").read_text(encoding="utf-8")


def test_check_finds_the_repository_root_from_a_subfolder(project, tmp_path, capsys, monkeypatch):
    repo = student_copy(project, tmp_path)
    monkeypatch.chdir(repo / "tp1")
    assert main(["check", "tp1"]) == 0
    assert "Note : 20 / 20" in capsys.readouterr().out


def test_uncommitted_work_is_said_and_has_no_commit(project, tmp_path, capsys):
    repo = student_copy(project, tmp_path)
    (repo / "tp1" / "losses.py").write_text((repo / "tp1" / "losses.py").read_text() + "\n# brouillon\n")
    assert main(["check", "tp1", str(repo), "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "Copie de travail non commitée (tp1/losses.py)" in out
    header = next(line for line in out.splitlines() if line.startswith("dlgrade "))
    assert "commit" not in header
    assert json.loads((tmp_path / "r.json").read_text())["commit"] is None
    untouched = student_copy(project, tmp_path / "clean")
    assert main(["check", "tp1", str(untouched)]) == 0
    assert "non commitée" not in capsys.readouterr().out


def test_help_and_usage_errors_are_in_french(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    help_text = capsys.readouterr().out
    assert "utilisation : grader check" in help_text and "afficher cette aide" in help_text
    assert "tests publics" in help_text and "show this help" not in help_text
    with pytest.raises(SystemExit) as exit_info:
        main(["check"])
    assert exit_info.value.code == 2
    assert "grader check : erreur : arguments manquants : tp" in capsys.readouterr().err
    for extra in (["--bogus"], [".", "de-trop"]):  # argparse's top level would answer in English
        with pytest.raises(SystemExit) as exit_info:
            main(["check", "tp1", *extra])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and f"grader check : erreur : arguments inconnus : {extra[-1]}" in err
        assert "utilisation : grader check" in err and "usage:" not in err


def tiny_repo(tmp_path, modules: dict[str, str], tests: str, tp: str = "tp1", name: str = "tiny"):
    """A student repository of a few lines: the TP's package and its public tests."""
    repo = tmp_path / name
    (repo / tp).mkdir(parents=True)
    (repo / tp / "__init__.py").write_text("", encoding="utf-8")
    for module, text in modules.items():
        (repo / tp / module).write_text(text, encoding="utf-8")
    (repo / "tests").mkdir()
    (repo / "tests" / f"test_{tp}.py").write_text(tests, encoding="utf-8")
    return repo


def checked(repo, tmp_path, *options: str, tp: str = "tp1") -> dict:
    """`grader check` on `repo`: the result JSON, by test."""
    assert main(["check", tp, str(repo), "--json", str(tmp_path / "r.json"), *options]) == 0
    return {test["id"]: test for test in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["tests"]}


def test_each_public_test_is_shown_as_soon_as_it_finishes(tmp_path):
    """Issue 24: nothing was printed until the last test ended. The second test here waits for a
    file that this test writes only once it has read the first test's line."""
    repo = tiny_repo(tmp_path, {"calcul.py": "def un():\n    return 1\n"}, (
        "import pathlib\nimport time\n\nfrom tp1 import calcul\n\n\ndef test_premier():\n    assert calcul.un() == 1\n\n\n"
        "def test_second():\n    go = pathlib.Path(__file__).with_name('go')\n    while not go.exists():\n"
        "        time.sleep(0.02)\n"))
    process = subprocess.Popen([sys.executable, "-m", "grader.cli", "check", "tp1", str(repo), "--timeout", "20"],
                               stdout=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        lines = []
        while not lines or "test_premier" not in lines[-1]:
            lines.append(process.stdout.readline())
            assert lines[-1], lines  # pytest ended before the first test's line came
        assert "[1/2] réussi" in lines[-1]
        (repo / "tests" / "go").write_text("")
        rest = process.communicate(timeout=60)[0]
    finally:
        process.kill()
    assert "[2/2] réussi        test_second" in rest and "Note : 20 / 20" in rest


def test_the_default_limit_is_20_s_and_said(capsys, tmp_path):
    assert TEST_TIMEOUT == 20.0
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "par défaut : 20 s" in capsys.readouterr().out
    repo = tiny_repo(tmp_path, {}, "def test_rien():\n    pass\n")
    assert main(["check", "tp1", str(repo)]) == 0
    assert "tp1 : chaque test public a 20 s au plus (--timeout pour changer)" in capsys.readouterr().out


def test_a_timeout_names_the_stack_of_the_student_code(tmp_path):
    repo = tiny_repo(tmp_path, {"boucles.py": "def attend():\n    n = 0\n    while n >= 0:\n        n += 1\n\n\n"
                                              "def calcule():\n    attend()\n    return 1\n"},
                     "from tp1 import boucles\n\n\ndef test_calcul():\n    assert boucles.calcule() == 1\n\n\n"
                     "def test_apres():\n    pass\n")
    tests = checked(repo, tmp_path, "--timeout", "1.5")
    assert tests["test_calcul"]["status"] == "timeout" and tests["test_apres"]["status"] == "passed"
    assert re.search(r"arrêté dans attend \(tp1/boucles\.py, ligne [34]\), appelée par calcule "
                     r"\(tp1/boucles\.py, ligne 8\)", tests["test_calcul"]["message"]), tests["test_calcul"]["message"]


def test_a_loop_at_module_level_names_the_module_and_costs_one_wait(tmp_path):
    repo = tiny_repo(tmp_path, {"lent.py": "import math\n\nn = 0\nwhile n >= 0:\n    n += 1\n"},
                     "".join(f"def test_{i}():\n    pass\n\n\n" for i in range(5)))
    started = time.monotonic()
    tests = checked(repo, tmp_path, "--timeout", "1.5")
    assert time.monotonic() - started < 1.5 + 12  # once, not once per test
    assert {test["status"] for test in tests.values()} == {"timeout"}
    message = tests["test_0"]["message"]
    assert "tp1/lent.py ne finit pas de s'importer en 1.5 s" in message and re.search(r"ligne [45]", message)


def test_a_missing_or_renamed_tp_folder_is_said_before_running_pytest(project, tmp_path, capsys):
    repo = tiny_repo(tmp_path, {}, "def test_rien():\n    pass\n")
    (repo / "tp2").mkdir()
    (repo / "tp1").rename(repo / "TP1")
    assert main(["check", "tp1", str(repo)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grader check : erreur : dossier tp1/ absent de ")
    assert "il y a TP1/ à la place" in err and "git mv TP1 tp1" in err and "n'a pas pu lancer" not in err
    shutil.rmtree(repo / "TP1")  # gone: the other TP's folder is no suggestion
    assert main(["check", "tp1", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "dossier tp1/ absent" in err and "tp2/" in err and "depuis le dépôt de départ" in err
    assert "il y a tp2" not in err and "git checkout" not in err
    committed = student_copy(project, tmp_path)  # deleted, but in the last commit
    shutil.rmtree(committed / "tp1")
    assert main(["check", "tp1", str(committed)]) == 2
    assert "git checkout HEAD -- tp1" in capsys.readouterr().err


def test_input_and_breakpoint_are_said_in_french(tmp_path):
    repo = tiny_repo(tmp_path, {"saisie.py": "def demande():\n    return input('valeur ? ')\n\n\n"
                                             "def arrete():\n    breakpoint()\n    return 1\n\n\n"
                                             "def debogue():\n    import pdb\n    pdb.set_trace()\n    return 1\n"},
                     "from tp1 import saisie\n\n\ndef test_demande():\n    saisie.demande()\n\n\n"
                     "def test_arrete():\n    saisie.arrete()\n\n\ndef test_debogue():\n    saisie.debogue()\n")
    tests = checked(repo, tmp_path)
    assert tests["test_demande"]["message"].startswith("votre code attend une saisie au clavier (input()")
    assert "(tp1/saisie.py:2)" in tests["test_demande"]["message"]
    assert "votre code appelle breakpoint() (tp1/saisie.py:6)" in tests["test_arrete"]["message"]
    assert "saisie au clavier" in tests["test_debogue"]["message"]
    text = json.dumps(tests, ensure_ascii=False)
    assert "Consider using" not in text and "OSError" not in text and "reading from stdin" not in text


def test_input_at_module_level_is_said_in_french(tmp_path):
    repo = tiny_repo(tmp_path, {"saisie.py": "TAILLE = int(input('taille ? '))\n"},
                     "from tp1 import saisie\n\n\ndef test_taille():\n    assert saisie.TAILLE\n")
    message = checked(repo, tmp_path)["test_taille"]["message"]
    assert message.startswith("votre module ne s'importe pas (tp1/saisie.py:1) : votre code attend une saisie")
    assert "Consider using" not in message


def test_a_renamed_function_names_the_module_and_the_name(tmp_path):
    """The public test module imports the name (a collection error) or reads it from the module."""
    losses = "def mse2(a, y):\n    return 0.0\n"
    repo = tiny_repo(tmp_path, {"losses.py": losses},
                     "from tp1.losses import mse\n\n\ndef test_mse():\n    assert mse(1, 1) == 0\n")
    message = checked(repo, tmp_path)["test_mse"]["message"]
    assert message == ("tests/test_tp1.py ne se charge pas : il importe mse de tp1.losses, qui ne l'a pas (fonction "
                       "renommée ou supprimée ?) ; gardez les noms de l'énoncé")
    repo = tiny_repo(tmp_path, {"losses.py": losses},
                     "from tp1 import losses\n\n\ndef test_mse():\n    assert losses.mse(1, 1) == 0\n", name="other")
    message = checked(repo, tmp_path)["test_mse"]["message"]
    assert message == "tp1/losses.py n'a pas de mse (fonction renommée ou supprimée ?) : gardez les noms de l'énoncé"


def test_a_process_that_dies_costs_its_test_only(tmp_path):
    repo = tiny_repo(tmp_path, {"fin.py": "import os\nimport sys\n\n\ndef quitte():\n    os._exit(3)\n\n\n"
                                          "def sort():\n    sys.exit(0)\n"},
                     "from tp1 import fin\n\n\ndef test_avant():\n    pass\n\n\ndef test_quitte():\n    fin.quitte()\n\n\n"
                     "def test_sort():\n    fin.sort()\n\n\ndef test_apres():\n    pass\n")
    tests = checked(repo, tmp_path)
    assert tests["test_avant"]["status"] == tests["test_apres"]["status"] == "passed"
    assert tests["test_quitte"]["status"] == "error"
    assert tests["test_quitte"]["message"].startswith("le processus des tests s'est arrêté (code de sortie 3")
    assert tests["test_sort"]["message"].startswith("votre code quitte Python (sys.exit() ou exit()) (tp1/fin.py:10)")


@pytest.mark.skipif(sys.platform == "win32", reason="reads address 0")
def test_a_crash_of_python_names_where_it_happened(tmp_path):
    repo = tiny_repo(tmp_path, {"plante.py": "import ctypes\n\n\ndef lit():\n    return ctypes.string_at(0)\n"},
                     "from tp1 import plante\n\n\ndef test_lit():\n    plante.lit()\n\n\ndef test_apres():\n    pass\n")
    tests = checked(repo, tmp_path)
    assert tests["test_apres"]["status"] == "passed"
    assert "planté dans lit (tp1/plante.py, ligne 5)" in tests["test_lit"]["message"]


def test_a_broken_conftest_is_said_in_french(tmp_path):
    repo = tiny_repo(tmp_path, {}, "def test_rien():\n    pass\n")
    (repo / "tests" / "conftest.py").write_text("import module_qui_n_existe_pas\n")
    message = checked(repo, tmp_path)["test_rien"]["message"]
    assert message.startswith("votre fichier tests/conftest.py ne se charge pas : ")
    assert "module_qui_n_existe_pas" in message and "ImportError while loading" not in message


def test_a_slow_library_import_does_not_count_against_the_students_time(tmp_path, monkeypatch):
    """The first import of torch can take many seconds on a laptop: libraries are imported
    before the time limit starts; the student's own code at import time is still timed."""
    library = tmp_path / "bibliotheques"
    library.mkdir()
    (library / "lente_a_importer.py").write_text("import time\n\ntime.sleep(2.5)\nVALEUR = 1\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(library), os.environ.get("PYTHONPATH")])))
    repo = tiny_repo(tmp_path, {"calcul.py": "import lente_a_importer\n\n\ndef un():\n    return lente_a_importer.VALEUR\n"},
                     "from tp1 import calcul\n\n\ndef test_un():\n    assert calcul.un() == 1\n")
    assert checked(repo, tmp_path, "--timeout", "1.5")["test_un"]["status"] == "passed"
