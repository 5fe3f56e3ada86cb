"""Tests of grader/integrity/oral.py and grader/integrity/oralquestions.py: the oral check sheets of README's demo class
(real repositories, a real collect), and the choice of functions and questions."""
from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import simulated_main as main  # --now: the simulated clock (DLGRADE_CLOCK)
from grader.grading.marks import TestResult, grade
from grader.grading.config import Project
from grader.integrity.oral import QUESTIONS, failed_units, units_of
from grader.integrity.oralquestions import NOTIONS, line_question, notion
from grader.integrity.documents import SourceFile
from tests.test_classreport import chromium, needs_chromium

ROOT = Path(__file__).resolve().parents[1]


def demo_class(target: Path) -> tuple[Path, Path]:
    """README's worked example: the five students' repositories, a snapshot, e005's late push, the collect."""
    maker = ROOT / "examples" / "demo" / "make_class.py"
    subprocess.run([sys.executable, str(maker), str(target)], check=True)
    course, out = target / "course.yaml", target / "out"
    assert main(["collect", "--course", str(course), "--out", str(out), "--snapshot", "--now", "2026-02-13T10:00:00+01:00"]) == 0
    subprocess.run([sys.executable, str(maker), str(target), "--late-push"], check=True)
    assert main(["collect", "--course", str(course), "--out", str(out), "--now", "2026-02-16T09:00:00+01:00"]) == 0
    return course, out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_class(tmp_path_factory.mktemp("oral") / "demo")


def quoted(page: str) -> list[tuple[str, int, str]]:
    """(file, line, text) of every line a sheet quotes."""
    found = []
    for path, table in re.findall(r'<table class="code" data-path="([^"]+)">(.*?)</table>', page, re.S):
        found += [(path, int(n), html.unescape(text)) for n, text in re.findall(r'data-line="(\d+)">(.*?)</td>', table)]
    return found


def test_the_class_run_writes_a_sheet_per_student_linked_from_the_gradebook(demo):
    _, out = demo
    assert sorted(p.name for p in (out / "oral").glob("*.html")) == [f"tp1-e00{i}.html" for i in range(1, 6)]
    gradebook = (out / "gradebook.html").read_text(encoding="utf-8")
    assert "<th class=\"num\">Oral</th>" in gradebook
    assert set(re.findall(r'href="(oral/[^"]+)"', gradebook)) == {f"oral/tp1-e00{i}.html" for i in range(1, 6)}


def test_a_failed_test_comes_first_with_its_function(demo):
    _, out = demo
    page = (out / "oral" / "tp1-e003.html").read_text(encoding="utf-8")
    titles = re.findall(r"<h2>\d+\. <code>([\w.]+)</code> — ([\w/.]+), lignes", page)
    assert 3 <= len(titles) <= QUESTIONS and titles[0] == ("mse", "tp1/losses.py")
    assert "test(s) caché(s) échoué(s) : test_mse_value (−1 pt)" in page
    assert "Ligne 14 : pourquoi une somme ici ?" in page  # the demo's bug: np.sum where the course averages
    assert "groupe b01 : Petit Chloé (e003), Durand Noah (e004)" in page and "note 19 / 20" in page
    assert len(set(titles)) == len(titles)


def test_the_sheet_quotes_only_the_students_own_lines(demo):
    """Every quoted line is the student's graded file at that line; no docstring (the starter's words)."""
    course, out = demo
    for student, repo in (("e003", "b01"), ("e001", "e001")):
        page = (out / "oral" / f"tp1-{student}.html").read_text(encoding="utf-8")
        lines = quoted(page)
        assert len(lines) > 10
        for path, number, text in lines:
            assert (course.parent / "repos" / repo / path).read_text(encoding="utf-8").split("\n")[number - 1] == text
            assert '"""' not in text and "Exemple" not in text


def test_stubs_give_nothing_to_ask(demo):
    _, out = demo
    page = (out / "oral" / "tp1-e002.html").read_text(encoding="utf-8")
    assert "Aucune fonction écrite au-delà du squelette : rien à interroger." in page and not quoted(page)


def test_the_command_writes_one_sheet_and_refuses_unknown_students(demo, capsys):
    course, out = demo
    (out / "oral" / "tp1-e004.html").unlink()
    assert main(["oral", "tp1", "--student", "e004", "--course", str(course), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out / "oral" / "tp1-e004.html")
    assert "Durand Noah (e004)" in (out / "oral" / "tp1-e004.html").read_text(encoding="utf-8")
    assert main(["oral", "tp1", "--student", "e999", "--course", str(course), "--out", str(out)]) == 2
    assert "e999: not a student of the roster" in capsys.readouterr().err
    assert main(["oral", "tp7", "--student", "e001", "--course", str(course), "--out", str(out)]) == 2


@needs_chromium
def test_the_sheet_prints_in_chromium(demo, tmp_path):
    _, out = demo
    pdf = tmp_path / "fiche.pdf"
    run = chromium(out / "oral" / "tp1-e003.html", tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert run.returncode == 0 and not [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000


def test_failed_tests_are_tied_to_the_function_they_name(project):
    files = tuple(SourceFile(f"tp1/{p.name}", p.read_text(encoding="utf-8"))
                  for p in sorted((Project.at(ROOT).solutions / "tp1").glob("*.py")))
    mine = units_of(files)
    assert ("tp1/mlp.py", "backward") in mine and ("tp1/losses.py", "mse_grad") in mine
    rubric = project.tp("tp1").rubric
    tests = [TestResult(test, 0.0, points, "failed", "faux", 0.1) for test, points in rubric.points.items()
             if test in ("test_losses.py::test_mse_grad_gradient_check", "test_mlp.py::test_backward_gradient_check",
                         "test_descent.py::test_iterates_follow_the_rule")]
    found = failed_units(grade("tp1", "x", None, rubric, tests, []), mine)
    assert set(found) == {("tp1/losses.py", "mse_grad"), ("tp1/mlp.py", "backward")}  # mse_grad, not mse
    assert found[("tp1/mlp.py", "backward")] == [("test_backward_gradient_check", 2.0)]


def test_excerpts_leave_the_docstrings_out():
    text = 'def f(x):\n    """Docstring du squelette.\n\n    Exemple : f(1) → 2\n    """\n    y = x + 1  # mine\n    return y\n'
    unit = units_of((SourceFile("tp1/a.py", text),))[("tp1/a.py", "f")]
    assert unit.lines == ((1, "def f(x):"), (6, "    y = x + 1  # mine"), (7, "    return y"))


@pytest.mark.parametrize("module, name, key", [
    ("perceptron.py", "predict", "perceptron"), ("mlp.py", "backward", "backprop"), ("losses.py", "mse_grad", "loss"),
    ("descent.py", "gradient_descent", "descent"), ("data.py", "minibatches", "minibatch"), ("optim.py", "Adam.step", "optimiser"),
    ("layers.py", "dropout_forward", "dropout"), ("layers.py", "batchnorm_backward", "batchnorm"),
    ("conv.py", "output_size", "convolution"), ("conv.py", "maxpool2d", "pooling"), ("conv.py", "mlp_image_params", "parameters"),
    ("autoencoder.py", "detect_anomalies", "autoencoder"), ("vae.py", "VAE.reparameterize", "vae"),
    ("gan.py", "discriminator_loss", "gan"), ("activations.py", "softmax", "activation"),
])
def test_each_function_of_the_tps_gets_its_course_notion(module, name, key):
    assert notion(module, name).key == key


def test_line_questions_point_at_the_students_line():
    lines = [(10, "def softmax(z):"), (11, "    z = z - np.max(z, axis=1, keepdims=True)"), (12, "    return e / s")]
    assert line_question(lines) == ("Ligne 11 : pourquoi cet axe (axis=1) ? Que calculerait la même ligne sur l'autre "
                                    "axe, et quelle forme aurait le résultat ?")
    assert line_question([(1, "def step(self):"), (2, "    w -= lr * g")]).startswith("Ligne 2 : pourquoi ce signe moins")
    assert line_question([(1, "def f(x):"), (2, "    pass")]) is None
    assert all(n.follow_ups and "?" in n.ask for n in NOTIONS)  # a question, and something to ask next
