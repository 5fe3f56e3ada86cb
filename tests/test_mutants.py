"""Tests of grader/authoring/mutants/: the operators, which code is mutated, sampling, the reviewed
equivalents, and that a weakened hidden test lowers the kill rate (on a scaffolded toy TP)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cosmic_ray.mutating import mutate_code

from grader.cli import main
from grader.grading.config import Project
from grader.base.errors import ConfigError
from grader.authoring.mutants.generate import mutants_of_file, sample
from grader.authoring.mutants.operators import OURS, operators
from grader.authoring.mutants.report import load_equivalents

SOURCE = '''import numpy as np

GIVEN = 2 * 3  # given code: never mutated


def scale(x, factor):
    """Doc."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    return x.sum(axis=0) * factor - 1
    ### END SOLUTION


def given(x):
    return x + 1
'''


@pytest.mark.parametrize("operator", OURS, ids=lambda cls: cls.__name__)
def test_our_operators_do_what_their_examples_say(operator):
    for example in operator.examples():
        assert mutate_code(example.pre_mutation_code, operator(), example.occurrence) == example.post_mutation_code


def test_only_the_answers_are_mutated():
    mutants = mutants_of_file("tp9/m.py", SOURCE)
    assert mutants and all(m.function == "scale" and m.line == 10 for m in mutants)  # never 3, 9 or 15
    assert not [m for m in mutants if m.operator == "RemoveStatement"]  # x = np.asarray(x) is left alone
    changes = {m.diff.splitlines()[-2][0] + m.diff.splitlines()[-2][1:].strip() for m in mutants}
    assert "+return x.sum(axis=0) * factor + 1" in changes        # cosmic-ray: Sub → Add
    assert "+return x.sum() * factor - 1" in changes              # ours: an argument dropped
    assert "+return x.sum(axis=-1) * factor - 1" in changes       # ours: the axis moved
    assert len({m.source for m in mutants}) == len(mutants) == len({m.id for m in mutants})
    for mutant in mutants:
        compile(mutant.source, "m.py", "exec")


def test_ids_survive_edits_elsewhere_in_the_file():
    before = {m.diff.splitlines()[-2]: m.id for m in mutants_of_file("tp9/m.py", SOURCE)}
    edited = SOURCE.replace('"""Doc."""', '"""A longer doc,\n    on two lines."""').replace("GIVEN = 2 * 3", "GIVEN = 7")
    after = {m.diff.splitlines()[-2]: m.id for m in mutants_of_file("tp9/m.py", edited)}
    assert after == before


def test_sampling_spreads_over_functions():
    text = SOURCE + '''

def other(z):
    ### BEGIN SOLUTION
    return -z * 2.0
    ### END SOLUTION
'''
    mutants = mutants_of_file("tp9/m.py", text)
    chosen = sample(mutants, 4, seed=1)
    assert len(chosen) == 4 and {m.function for m in chosen} == {"scale", "other"}
    assert chosen == sample(mutants, 4, seed=1) and sample(mutants, None) == mutants


def test_curated_cosmic_ray_operators_exist():
    assert {"NumberReplacer", "ReplaceBinaryOperator_Add_Sub", "DropArgument", "RemoveStatement"} <= set(operators())


def test_equivalents_file_errors_name_the_line(tmp_path):
    folder = tmp_path / "reference" / "tp1"
    folder.mkdir(parents=True)
    (folder / "rubric.yaml").write_text("tests:\n  test_a.py::test_a: 20\n", encoding="utf-8")
    tp = Project.at(tmp_path).tp("tp1")
    assert load_equivalents(tp) == {}
    (folder / "mutants.yaml").write_text("equivalent:\n  - id: abc\n    why: symmetric\n  - id: def\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"mutants.yaml:4.*why"):
        load_equivalents(tp)
    version = tp.version
    (folder / "mutants.yaml").write_text("equivalent:\n  - {id: abc, why: symmetric}\n", encoding="utf-8")
    tp = Project.at(tmp_path).tp("tp1")
    assert load_equivalents(tp) == {"abc": "symmetric"} and tp.version == version  # reviewing regrades no one


WEAK_TESTS = '''"""Weakened on purpose: only shapes and centring are checked."""
import numpy as np

from grader.grading.testkit import as_array, expect


def test_standardize_expected_values(student, reference):
    out = as_array(reference.run(student, "standardize"), "standardize(X)", (8, 3))
    expect(np.allclose(out.mean(axis=0), 0.0), "moyenne nulle attendue")


def test_standardize_definition(student):
    X = np.random.default_rng(11).normal(size=(30, 4))
    as_array(student.call("tp5.example.standardize", X), "standardize(X)", X.shape)
'''


def test_a_weakened_hidden_test_lowers_the_kill_rate(project, tmp_path, capsys):
    root = tmp_path / "dlgrade"
    for name in ("reference", "solutions"):
        shutil.copytree(getattr(project, name), root / name, ignore=shutil.ignore_patterns("__pycache__"))
    assert main(["--project", str(root), "new", "tp5"]) == 0
    assert main(["--project", str(root), "reference", "build", "tp5"]) == 0

    def kill_rate(report: Path) -> dict:
        assert main(["--project", str(root), "validate", "tp5", "--mutants", "--jobs", "2", "--json", str(report)]) == 0
        return json.loads(report.read_text(encoding="utf-8"))["runs"][0]

    strong = kill_rate(tmp_path / "strong.json")
    (root / "reference" / "tp5" / "test_example.py").write_text(WEAK_TESTS, encoding="utf-8")
    capsys.readouterr()
    weak = kill_rate(tmp_path / "weak.json")
    printed = capsys.readouterr().out
    assert strong["kill_rate"] == 1.0 and weak["kill_rate"] < strong["kill_rate"] and weak["mutants"] == strong["mutants"]
    survivors = [r for r in weak["results"] if r["status"] == "survived"]
    assert survivors and all(r["tests"] for r in survivors)
    assert f"[{survivors[0]['id']}]" in printed and "should be caught by: test_example.py::" in printed
    assert main(["--project", str(root), "validate", "tp5", "--mutants", "--fail-under", "90"]) == 1  # from the cache
    capsys.readouterr()
    assert main(["--project", str(root), "validate", "tp5", "--mutants", "--mutant", survivors[0]["id"]]) == 0
    assert "tp5: 1 of " in capsys.readouterr().out
    assert main(["--project", str(root), "validate", "tp5", "--mutants", "--mutant", "0000000000"]) == 2
