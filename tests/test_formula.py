"""Tests of grader/course/formula.py: the whitelist, left-out marks, and the worked formula shown to students."""
from __future__ import annotations

import pytest

from grader.course.formula import ABI, ABJ, FormulaError, Mark, evaluate, parse_formula, parse_mark, render

DEFAULT = "0.5*exam + 0.5*mean(tp1, tp2, tp3, tp4, project)"
MARKS = {"exam": 12.0, "tp1": 16.0, "tp2": 14.0, "tp3": 12.0, "tp4": 10.0, "project": 14.0, "resit": None}


def value(text: str, **changes: float | None) -> float | None:
    return evaluate(parse_formula(text), MARKS | changes)


def test_default_formula_and_names():
    formula = parse_formula(DEFAULT)
    assert formula.names == ("exam", "tp1", "tp2", "tp3", "tp4", "project")
    assert value(DEFAULT) == pytest.approx(12.6)


def test_arithmetic_and_functions():
    assert value("(exam + project) / 2 - -1") == pytest.approx(14.0)
    assert value("min(tp1, tp2, tp3) + max(tp4, 3)") == pytest.approx(22.0)
    assert value("+exam * 2 / 4") == pytest.approx(6.0)


def test_left_out_marks_reweight_sums_and_shrink_means():
    assert value(DEFAULT, exam=None) == pytest.approx(13.2)  # the mean alone
    assert value(DEFAULT, project=None) == pytest.approx(0.5 * 12 + 0.5 * 13)  # mean of the four TPs
    assert value("0.25*exam + 0.75*project", exam=None) == pytest.approx(14.0)
    assert value("0.2*exam + 0.3*project + 0.5*tp1", exam=None) == pytest.approx((0.3 * 14 + 0.5 * 16) / 0.8)
    assert value("exam/4 + tp1/4 + project/2", exam=None) == pytest.approx((16 / 4 + 14 / 2) / 0.75)
    assert value("0.5*max(exam, resit) + 0.5*tp1") == pytest.approx(14.0)  # no resit: the exam
    assert value("0.5*max(exam, resit) + 0.5*tp1", resit=15.0) == pytest.approx(15.5)
    assert value("0.5*max(exam, resit) + 0.5*tp1 + 1", exam=None) == pytest.approx(17.0)  # constants stay
    assert value("exam * project", exam=None) is None
    assert value("0.5*exam + 0.5*project", exam=None, project=None) is None
    assert value("mean(exam, resit)", exam=None) is None


def test_zero_is_not_left_out():
    assert value(DEFAULT, exam=0.0) == pytest.approx(6.6)


@pytest.mark.parametrize("text, words", [
    ("exam.real", "attribute access"),
    ("__import__('os').system('true')", "only mean, min and max"),
    ("__import__", "'_'"),
    ("(lambda: 20)()", "only mean, min and max"),
    ("lambda: 20", "lambda"),
    ("[x for x in (exam, project)]", "comprehension"),
    ("mean(x for x in (exam, project))", "comprehension"),
    ("exam ** 2", "**"),
    ("exam // 2", "//"),
    ("sum(exam, project)", "only mean, min and max"),
    ("abs(exam)", "only mean, min and max"),
    ("exam[0]", "indexing"),
    ("'20'", "numbers"),
    ("True * exam", "numbers"),
    ("exam if project else 0", "if/else"),
    ("exam > 10", "comparison"),
    ("mean", "must be called"),
    ("mean()", "one or more"),
    ("max(*exam)", "plain arguments"),
    ("min(exam, key=project)", "plain arguments"),
    ("exam; project", "not a valid expression"),
    ("exam +", "not a valid expression"),
    ("(x := 3)", ":="),
    ("0.5*exam" + " + 0.5*exam" * 400, "longer than"),
    ("(" * 60 + "exam" + ")*1" * 60, "deeper than"),
])
def test_forbidden_syntax_is_refused(text, words):
    with pytest.raises(FormulaError, match=None) as error:
        parse_formula(text)
    assert words in str(error.value)


def test_division_by_zero_is_an_error_not_a_crash():
    with pytest.raises(FormulaError, match="division by zero"):
        value("exam / (tp1 - tp1)")


def test_parse_mark():
    assert parse_mark(" 12,5 ") == Mark(12.5) and parse_mark("abi") == Mark(0.0, ABI)
    assert parse_mark("ABJ") == Mark(None, ABJ)
    for bad in ("douze", "nan", "inf", ""):
        with pytest.raises(ValueError):
            parse_mark(bad)


def test_render_substitutes_the_students_marks():
    formula = parse_formula("0.5*max(exam, resit) + 0.5*mean(tp1, tp2) - (tp3 - tp4) / (1 + 1) * -exam")
    shown = {"exam": "12", "resit": "—", "tp1": "16,5", "tp2": "ABJ", "tp3": "1", "tp4": "2"}
    text = render(formula, shown, lambda x: f"{x:g}".replace(".", ","), {"mean": "moyenne"}, " ; ")
    assert text == "0,5 × max(12 ; —) + 0,5 × moyenne(16,5 ; ABJ) − (1 − 2) ÷ (1 + 1) × −12"


def test_weights_are_products_of_constant_factors():
    assert value("0.5*0.5*exam + 0.75*project", exam=None) == pytest.approx(14.0)
    assert value("(0.5*exam)/2 + 0.75*project", project=None) == pytest.approx(12.0)
