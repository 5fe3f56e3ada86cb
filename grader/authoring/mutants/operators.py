"""The mutation operators: cosmic-ray's where it has them, six of ours for deep-learning code.

Every operator follows cosmic-ray's `Operator` interface on parso trees (`mutation_positions`,
`mutate`), so that cosmic-ray's own `mutate_code` applies them all the same way. From
cosmic-ray we take a curated subset of its core operators (its full set swaps every binary
operator for all eleven others, `+` into `>>` or `|`: noise, not bugs a student writes). Ours
cover what it lacks: a constant's sign, an argument dropped or two swapped, a statement
removed, an `axis`/`dim`/`keepdims` changed, a `.detach()`/`.T`-like call dropped.
"""
from __future__ import annotations

import parso
from cosmic_ray.operators.operator import Example, Operator
from cosmic_ray.operators.provider import OperatorProvider

COSMIC_RAY = (
    # arithmetic: the slips of a formula
    "ReplaceBinaryOperator_Add_Sub", "ReplaceBinaryOperator_Sub_Add", "ReplaceBinaryOperator_Mul_Div",
    "ReplaceBinaryOperator_Div_Mul", "ReplaceBinaryOperator_Pow_Mul", "ReplaceBinaryOperator_FloorDiv_Div",
    # comparisons: boundaries and directions
    "ReplaceComparisonOperator_Lt_LtE", "ReplaceComparisonOperator_LtE_Lt", "ReplaceComparisonOperator_Gt_GtE",
    "ReplaceComparisonOperator_GtE_Gt", "ReplaceComparisonOperator_Lt_Gt", "ReplaceComparisonOperator_Gt_Lt",
    "ReplaceComparisonOperator_Eq_NotEq", "ReplaceComparisonOperator_NotEq_Eq",
    "ReplaceComparisonOperator_Is_IsNot", "ReplaceComparisonOperator_IsNot_Is",
    # a sign or a negation forgotten
    "ReplaceUnaryOperator_Delete_USub", "ReplaceUnaryOperator_Delete_Not", "AddNot",
    # constants: ±1 (so 0 ↔ 1), booleans
    "NumberReplacer", "ReplaceTrueWithFalse", "ReplaceFalseWithTrue", "ReplaceAndWithOr", "ReplaceOrWithAnd",
    # a loop that never runs (an epoch loop, a layer loop)
    "ZeroIterationForLoop",
)
AXIS_KEYWORDS = ("axis", "dim")
KEEPDIMS_KEYWORDS = ("keepdims", "keepdim")
# Calls whose removal still runs, and is a bug students make: a detach, copy, transpose or squeeze forgotten.
DROPPABLE_CALLS = ("detach", "clone", "copy", "float", "double", "item", "squeeze", "flatten", "ravel", "t")
DROPPABLE_ATTRIBUTES = ("T",)
DROP_KEPT_KEYWORDS = ("dtype",)  # never dropped by DropArgument
# `x = np.asarray(x)`: conversions of an argument RemoveStatement leaves alone (the tests pass arrays).
CONVERSIONS = ("asarray", "asanyarray", "array", "as_tensor")


def code_node(code: str):
    """A node that prints as `code`: what our operators put in place of the node they mutate."""
    return parso.parse(code)


def call_arguments(trailer) -> list:
    """The arguments of a call trailer `( … )`, without the commas."""
    if trailer.type != "trailer" or trailer.children[0].value != "(" or len(trailer.children) == 2:
        return []
    inner = trailer.children[1]
    if inner.type == "arglist":
        return [child for child in inner.children if not (child.type == "operator" and child.value == ",")]
    return [inner]


def is_keyword_argument(node) -> bool:
    return node.type == "argument" and len(node.children) == 3 and node.children[1].value == "="


def is_unpacking(node) -> bool:
    return node.type == "argument" and node.children[0].type == "operator" and node.children[0].value in ("*", "**")


def rebuilt_call(trailer, arguments: list) -> object:
    """The trailer `( … )` holding `arguments` (nodes or code), on one line."""
    texts = [a if isinstance(a, str) else a.get_code(include_prefix=False) for a in arguments]
    return code_node(trailer.get_first_leaf().prefix + "(" + ", ".join(texts) + ")")


class NegateNumber(Operator):
    """A constant's sign: `2.0 * x` → `-2.0 * x` (zero, and constants already negated, excepted)."""

    def mutation_positions(self, node):
        if node.type == "number" and node.value.strip("0._jJ") != "":
            parent = node.parent
            if not (parent.type == "factor" and parent.children[0].value == "-"):
                yield (node.start_pos, node.end_pos)

    def mutate(self, node, index):
        return code_node(f"{node.prefix}-{node.value}")

    @classmethod
    def examples(cls):
        return (Example("y = 2.0 * x", "y = -2.0 * x"), Example("y = x[1]", "y = x[-1]"))


class DropArgument(Operator):
    """One argument of a call dropped: `np.sum(x, axis=0)` → `np.sum(x)`, `x.sum(0)` → `x.sum()`.

    Not dropped: `dtype=` (a defensive conversion: on the tests' float inputs, an equivalent
    mutant) and the only positional argument of a call unless it is a number (`np.exp()` is a
    TypeError any test sees; `x.mean(1)` → `x.mean()` is a bug)."""

    @staticmethod
    def _droppable(node) -> list:
        arguments = [a for a in call_arguments(node) if not is_unpacking(a)]
        positional = [a for a in arguments if not is_keyword_argument(a)]
        if len(positional) == 1 and positional[0].type not in ("number", "factor"):
            arguments.remove(positional[0])
        return [a for a in arguments if not (is_keyword_argument(a) and a.children[0].value in DROP_KEPT_KEYWORDS)]

    def mutation_positions(self, node):
        for argument in self._droppable(node):
            yield (argument.start_pos, argument.end_pos)

    def mutate(self, node, index):
        dropped = self._droppable(node)[index]
        return rebuilt_call(node, [a for a in call_arguments(node) if a is not dropped])

    @classmethod
    def examples(cls):
        return (Example("np.sum(x, axis=0)", "np.sum(x)"), Example("f(a, b)", "f(b)"), Example("x.mean(1)", "x.mean()"))


class SwapArguments(Operator):
    """Two neighbouring positional arguments swapped: `np.maximum(0, z)` → `np.maximum(z, 0)`."""

    @staticmethod
    def _pairs(node):
        arguments = call_arguments(node)
        for i in range(len(arguments) - 1):
            a, b = arguments[i], arguments[i + 1]
            if not any(is_keyword_argument(x) or is_unpacking(x) for x in (a, b)) \
                    and a.get_code(include_prefix=False) != b.get_code(include_prefix=False):
                yield i

    def mutation_positions(self, node):
        for i in self._pairs(node):
            yield (call_arguments(node)[i].start_pos, call_arguments(node)[i + 1].end_pos)

    def mutate(self, node, index):
        i = list(self._pairs(node))[index]
        arguments = call_arguments(node)
        arguments[i], arguments[i + 1] = arguments[i + 1], arguments[i]
        return rebuilt_call(node, arguments)

    @classmethod
    def examples(cls):
        return (Example("np.maximum(0, z)", "np.maximum(z, 0)"),)


class RemoveStatement(Operator):
    """A statement replaced by `pass`: a call (`optimizer.zero_grad()`), an update (`w += dw`,
    `self.v[i] = …`) or the re-assignment of a name already bound. A first assignment is left
    alone: without it the function only raises NameError, which any test sees."""

    def mutation_positions(self, node):
        if node.type == "simple_stmt" and len(node.children) == 2 and self._removable(node.children[0]):
            yield (node.start_pos, node.end_pos)

    def mutate(self, node, index):
        return code_node(node.get_first_leaf().prefix + "pass" + node.children[1].get_code())

    @staticmethod
    def _removable(statement) -> bool:
        if statement.type in ("atom_expr", "power"):
            return True  # a bare call
        if statement.type != "expr_stmt" or len(statement.children) < 3:
            return False  # not an assignment, or an annotated one (`x: int = 0`)
        operator = statement.children[1]
        if operator.type == "operator" and operator.value not in ("=", ":"):
            return True  # augmented assignment
        targets = statement.children[0]
        if targets.type != "name":
            return True  # attribute, subscript or tuple target: an update of something that exists
        if is_conversion_of(statement.children[2], targets.value):
            return False  # `x = np.asarray(x, …)`: defensive, equivalent on the tests' arrays
        function = targets.search_ancestor("funcdef")
        if function is None:
            return False
        bound = {param.name.value for param in function.get_params()}
        for used in targets.get_root_node().get_used_names().get(targets.value, []):
            if function.start_pos < used.start_pos < targets.start_pos and used.is_definition():
                bound.add(used.value)
        return targets.value in bound

    @classmethod
    def examples(cls):
        return (Example("def f(o):\n    o.zero_grad()\n", "def f(o):\n    pass\n"),)


def is_conversion_of(value, name: str) -> bool:
    """Whether `value` is `np.asarray(name, …)`, `torch.as_tensor(name)`… (see CONVERSIONS)."""
    if value.type not in ("atom_expr", "power") or value.children[-1].type != "trailer":
        return False
    callee = value.children[-2]
    callee_name = callee.children[1].value if callee.type == "trailer" and callee.children[0].value == "." \
        else getattr(callee, "value", "")
    arguments = call_arguments(value.children[-1])
    first = arguments[0].get_code(include_prefix=False) if arguments else ""
    return callee_name in CONVERSIONS and first == name


class ChangeAxis(Operator):
    """`axis=`/`dim=` pointed elsewhere (0, or -1 when it was 0), `keepdims=` flipped."""

    def mutation_positions(self, node):
        if is_keyword_argument(node) and node.children[0].value in AXIS_KEYWORDS + KEEPDIMS_KEYWORDS:
            yield (node.start_pos, node.end_pos)

    def mutate(self, node, index):
        keyword, value = node.children[0].value, node.children[2].get_code(include_prefix=False)
        if keyword in KEEPDIMS_KEYWORDS:
            new = {"True": "False", "False": "True"}.get(value, f"not {value}")
        else:
            new = "-1" if value.replace(" ", "") in ("0", "(0,)") else "0"
        return code_node(f"{node.get_first_leaf().prefix}{keyword}={new}")

    @classmethod
    def examples(cls):
        return (Example("x.sum(axis=1)", "x.sum(axis=0)"), Example("x.sum(dim=0, keepdim=True)", "x.sum(dim=-1, keepdim=True)"))


class DropCall(Operator):
    """A `.detach()`, `.clone()`, `.T`, `.squeeze()`… dropped from a chain: `fake.detach()` → `fake`."""

    @staticmethod
    def _spots(node):
        if node.type not in ("atom_expr", "power"):
            return
        children = node.children
        for i, trailer in enumerate(children[1:], start=1):
            if trailer.type != "trailer" or trailer.children[0].value != "." or i == 1 and children[0].type == "keyword":
                continue
            name = trailer.children[1].value
            called = i + 1 < len(children) and children[i + 1].type == "trailer" and children[i + 1].children[0].value == "("
            if (called and name in DROPPABLE_CALLS) or (not called and name in DROPPABLE_ATTRIBUTES):
                yield i, 2 if called else 1

    def mutation_positions(self, node):
        for i, width in self._spots(node):
            yield (node.children[i].start_pos, node.children[i + width - 1].end_pos)

    def mutate(self, node, index):
        i, width = list(self._spots(node))[index]
        kept = node.children[:i] + node.children[i + width:]
        return code_node("".join(child.get_code() for child in kept))

    @classmethod
    def examples(cls):
        return (Example("d(fake.detach())", "d(fake)"), Example("y = a.T @ b", "y = a @ b"))


OURS = (NegateNumber, DropArgument, SwapArguments, RemoveStatement, ChangeAxis, DropCall)


def operators() -> dict[str, Operator]:
    """Name -> operator instance, cosmic-ray's first, then ours."""
    provider = OperatorProvider()
    found = {name: provider[name]() for name in COSMIC_RAY}
    found.update({cls.__name__: cls() for cls in OURS})
    return found
