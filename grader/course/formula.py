"""The course formula: a tiny, safe expression language over named marks (never `eval`).

`course.yaml` gives the final mark as an expression such as
`0.5*max(exam, resit) + 0.5*mean(tp1, tp2, tp3, tp4, project)`. It is parsed with Python's `ast`
and every node is checked against a whitelist: numbers, mark names, + − × ÷, parentheses, unary
minus, and calls to `mean`, `min`, `max`. Anything else (attribute access, other calls, `**`,
lambdas, comprehensions, subscripts…) is refused when the course is loaded.

Left-out marks (ABJ, an optional mark not taken, such as no resit) evaluate to `None`:
- `mean`, `min`, `max` work on the arguments that are present; all left out → left out.
- `a * b`, `a / b`, `-a`: left out when an operand is left out.
- a sum `w1*x1 + w2*x2 + …`: the terms that are left out are dropped and the weights of the
  others are scaled up so that they keep the same total. A term's weight is the product of its
  constant factors (`0.5*exam` → 0.5, `exam/4` → 0.25, `exam` → 1, `exam*tp1` → 1); constant terms
  (`+ 1`) carry no weight and are never dropped. So with `0.5*exam + 0.5*mean(…)` and an ABJ exam, the final is the mean alone.
  All weighted terms left out → the sum is left out.
"""
from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..base.errors import GraderError

FUNCTIONS = ("mean", "min", "max")
ABI, ABJ = "ABI", "ABJ"  # unjustified absence (counts 0), justified absence (left out)
NOT_TAKEN = "—"  # an optional mark the student has not got (no resit): left out
MISSING = "?"  # a required mark nobody entered: the final cannot be computed
MAX_LENGTH = 2000  # characters: a formula is one line an instructor wrote
MAX_DEPTH = 40  # nesting: keeps evaluation far from Python's recursion limit
OPERATORS = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "÷"}
PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2}


class FormulaError(GraderError):
    """A formula that is not in the whitelisted language, or that cannot be evaluated."""


@dataclass(frozen=True)
class Mark:
    value: float | None  # what the formula gets: a number /20, or None (left out or missing)
    code: str = ""  # "" for a plain number, else ABI, ABJ, NOT_TAKEN or MISSING

    @property
    def missing(self) -> bool:
        return self.code == MISSING


def parse_mark(text: str) -> Mark:
    """A cell of a marks file or an override: a number (decimal point or comma), ABI or ABJ.

    Raises ValueError with an English explanation; callers add the file, line and column.
    """
    cell = text.strip()
    if cell.upper() == ABI:
        return Mark(0.0, ABI)
    if cell.upper() == ABJ:
        return Mark(None, ABJ)
    try:
        value = float(cell.replace(",", "."))
    except ValueError:
        raise ValueError(f"expected a mark (a number, ABI or ABJ), got {cell!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite mark, got {cell!r}")
    return Mark(value)


@dataclass(frozen=True)
class Formula:
    text: str  # as written in course.yaml
    tree: ast.expr  # the checked expression, whitelisted nodes only
    names: tuple[str, ...]  # the marks it names, in order of first appearance


def parse_formula(text: str) -> Formula:
    """Parse and check a formula; raise FormulaError naming the first construct not allowed."""
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula longer than {MAX_LENGTH} characters")
    comma = re.search(r"\d,\d", text)  # 0,5*exam: a decimal comma, which Python reads as a tuple
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise FormulaError(f"formula is not a valid expression: {exc.msg}"
                           + (f" (a decimal comma? write {comma.group().replace(',', '.')} with a point)" if comma else "")
                           ) from None
    names: list[str] = []
    try:
        _check(tree, names, depth=0)
    except FormulaError as exc:
        if comma:
            raise FormulaError(f"{exc} (a decimal comma? write {comma.group().replace(',', '.')} with a point: "
                               "commas separate the arguments of mean, min and max)") from None
        raise
    formula = Formula(text.strip(), tree, tuple(dict.fromkeys(names)))
    check_samples(formula)
    return formula


SAMPLES = (10.0, 13.7, 20.0)  # marks every name takes in turn when a formula is loaded


def check_samples(formula: Formula) -> None:
    """Evaluate the formula with every mark at each of SAMPLES: a division by a constant zero
    (`exam/0`, `tp1/(exam - exam)`) is a configuration error found before anything is fetched,
    not after the class is graded. A division by zero that depends on the marks (`tp1/exam` with
    an exam at 0) can only show with the data: the gradebook names that student instead."""
    for value in SAMPLES:
        evaluate(formula, {name: value for name in formula.names})


def _check(node: ast.AST, names: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise FormulaError(f"formula nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError(f"only numbers may appear as constants, not {node.value!r}")
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise FormulaError(f"{node.id} must be called, e.g. {node.id}(tp1, tp2)")
        if node.id.startswith("_"):
            raise FormulaError(f"name {node.id!r} is not allowed (no name may start with '_')")
        names.append(node.id)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in OPERATORS:
            raise FormulaError(f"operator {_describe(node.op)} is not allowed: only + - * / are")
        _check(node.left, names, depth + 1)
        _check(node.right, names, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise FormulaError(f"operator {_describe(node.op)} is not allowed")
        _check(node.operand, names, depth + 1)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise FormulaError(f"only mean, min and max may be called, not {ast.unparse(node.func)}")
        if node.keywords or not node.args or any(isinstance(a, ast.Starred) for a in node.args):
            raise FormulaError(f"{node.func.id} takes one or more plain arguments")
        for argument in node.args:
            _check(argument, names, depth + 1)
    else:
        raise FormulaError(f"{_describe(node)} is not allowed in a formula "
                           "(only numbers, mark names, + - * /, parentheses, mean, min, max)")


def _describe(node: ast.AST) -> str:
    kinds = {ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.Subscript: "indexing",
             ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension",
             ast.SetComp: "a comprehension", ast.DictComp: "a comprehension", ast.Pow: "**",
             ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "if/else",
             ast.NamedExpr: ":=", ast.FloorDiv: "//", ast.Mod: "%", ast.Not: "not"}
    return kinds.get(type(node), type(node).__name__)


def evaluate(formula: Formula, values: Mapping[str, float | None]) -> float | None:
    """The formula's value, None when everything it depends on is left out (see module doc)."""
    return _value(formula.tree, values)


def _value(node: ast.expr, values: Mapping[str, float | None]) -> float | None:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise FormulaError(f"no value for mark {node.id!r}")
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, values)
        return None if operand is None else (-operand if isinstance(node.op, ast.USub) else operand)
    if isinstance(node, ast.Call):
        present = [v for v in (_value(a, values) for a in node.args) if v is not None]
        if not present:
            return None
        return {"mean": lambda: math.fsum(present) / len(present), "min": lambda: min(present),
                "max": lambda: max(present)}[node.func.id]()
    if isinstance(node.op, (ast.Add, ast.Sub)):
        return _weighted_sum(node, values)
    left, right = _value(node.left, values), _value(node.right, values)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Mult):
        return left * right
    if right == 0:
        divisor = ast.unparse(node.right)
        raise FormulaError("division by zero in the formula" + (f" (its divisor {divisor} is 0)"
                                                                 if not isinstance(node.right, ast.Constant) else ""))
    return left / right


def _weighted_sum(node: ast.BinOp, values: Mapping[str, float | None]) -> float | None:
    terms = _terms(node, 1.0)
    constant, weighted, total_weight, present_weight = 0.0, 0.0, 0.0, 0.0
    for sign, term in terms:
        value = _value(term, values)
        if not _names_in(term):
            constant += sign * (value or 0.0)
            continue
        weight = _weight(term)
        total_weight += weight
        if value is not None:
            weighted += sign * value
            present_weight += weight
    if total_weight and not present_weight:
        return None
    scale = total_weight / present_weight if present_weight else 1.0
    return constant + weighted * scale


def _terms(node: ast.expr, sign: float) -> list[tuple[float, ast.expr]]:
    """Flatten a chain of + and − into signed terms."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        right_sign = sign if isinstance(node.op, ast.Add) else -sign
        return _terms(node.left, sign) + _terms(node.right, right_sign)
    return [(sign, node)]


def _weight(term: ast.expr) -> float:
    """A term's constant factor: 0.5*x → 0.5, x/4 → 0.25, 0.5*0.5*x → 0.25, anything else → 1."""
    if isinstance(term, ast.Constant):
        return abs(float(term.value))
    if isinstance(term, ast.BinOp) and isinstance(term.op, ast.Mult):
        return _weight(term.left) * _weight(term.right)
    if isinstance(term, ast.BinOp) and isinstance(term.op, ast.Div) and isinstance(term.right, ast.Constant) \
            and term.right.value:
        return _weight(term.left) / abs(float(term.right.value))
    return 1.0


def _names_in(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Name) for n in ast.walk(node))


def render(formula: Formula, shown: Mapping[str, str], number: Callable[[float], str],
           functions: Mapping[str, str] | None = None, separator: str = ", ") -> str:
    """The formula with each name replaced by `shown[name]`, e.g. for a student's feedback."""
    functions = functions or {}

    def text(node: ast.expr, parent: int) -> str:
        if isinstance(node, ast.Constant):
            return number(float(node.value))
        if isinstance(node, ast.Name):
            return shown.get(node.id, node.id)
        if isinstance(node, ast.Call):
            inner = separator.join(text(a, 0) for a in node.args)
            return f"{functions.get(node.func.id, node.func.id)}({inner})"
        if isinstance(node, ast.UnaryOp):
            sign = "−" if isinstance(node.op, ast.USub) else "+"
            return _wrap(f"{sign}{text(node.operand, 3)}", 3, parent)
        level = PRECEDENCE[type(node.op)]
        right = text(node.right, level + 1)  # a − (b − c), a ÷ (b × c)
        return _wrap(f"{text(node.left, level)} {OPERATORS[type(node.op)]} {right}", level, parent)

    return text(formula.tree, 0)


def _wrap(text: str, level: int, parent: int) -> str:
    return f"({text})" if level < parent else text
