"""Formulas typed as text, like ``tanh(a*b + c)``, built into a graph of Values.

This is what lets the command line draw any small formula:

    tinygrad-edu graph "tanh(a*b + c)" a=2 b=-3 c=10

The text is read by Python's own parser (``ast``) into a tree, and only a short list
of things may appear in it: numbers, the names you gave values to, ``+ - * / **``,
a leading ``-`` or ``+``, and the functions in ``FUNCTIONS``. Anything else (a call to
``open``, an attribute, a comparison, ...) is an ExpressionError. Python never runs
the text itself (no ``eval``): each allowed piece becomes the Value operation it
stands for, so the formula builds a graph exactly as the same code would.
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
from collections.abc import Callable, Container, Mapping, Sequence

from tinygrad_edu.engine import Value

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "softplus": Value.softplus,
    "sqrt": Value.sqrt,
    "abs": Value.__abs__,
}
"""The functions a formula may call, each on one argument."""

BINARY_OPS: dict[type[ast.operator], Callable[[Value, Value | float], Value]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}

ALLOWED = "numbers, the names you give values to, + - * / **, and " + ", ".join(FUNCTIONS)


class ExpressionError(ValueError):
    """A formula or a ``name=value`` that is not allowed, with the reason."""


def parse_assignments(assignments: Sequence[str]) -> dict[str, float]:
    """``["a=2", "b=-3"]`` -> ``{"a": 2.0, "b": -3.0}``: the values of a formula's names."""
    if isinstance(assignments, str) or not isinstance(assignments, Sequence):
        kind = type(assignments).__name__
        raise TypeError(f"assignments must be a list of 'name=number' texts, got {kind}")
    values: dict[str, float] = {}
    for assignment in assignments:
        if not isinstance(assignment, str):
            kind = type(assignment).__name__
            raise TypeError(f"each assignment must be a text like 'a=2', got {kind}")
        name, equals, number = (part.strip() for part in assignment.partition("="))
        if not equals:
            raise ExpressionError(f"{assignment!r} should look like name=number, e.g. a=2")
        if not name.isidentifier() or keyword.iskeyword(name) or name in FUNCTIONS:
            raise ExpressionError(f"{name!r} cannot be a name (in {assignment!r})")
        if name in values:
            raise ExpressionError(f"{name!r} is given twice")
        try:
            value = float(number)
        except ValueError:
            raise ExpressionError(f"{number!r} is not a number (in {assignment!r})") from None
        if not math.isfinite(value):  # "inf", "nan", or past a float's range: 2e999
            raise ExpressionError(
                f"{name} must be a finite number, got {_short(number)}, which is {value} as a float"
            )
        values[name] = value
    return values


def build_expression(text: str, values: Mapping[str, float]) -> Value:
    """The Value computed by the formula ``text``, with each name a leaf labelled by it.

    >>> build_expression("tanh(a*b + c)", {"a": 2, "b": -3, "c": 10}).data
    0.999329299739067
    """
    if not isinstance(text, str):
        raise TypeError(f"a formula is a text like 'tanh(a*b + c)', got {type(text).__name__}")
    if not isinstance(values, Mapping) or not all(isinstance(name, str) for name in values):
        raise TypeError(f"values must map names (str) to numbers, got {type(values).__name__}")
    tree = _parse(text)
    # Check the whole formula before building any of it, so that a forbidden piece is
    # reported as such even when another part would fail to compute.
    stack: list[ast.expr] = [tree.body]
    while stack:
        stack.extend(_operands(stack.pop(), text, values))
    leaves = {name: Value(value, label=name) for name, value in values.items()}
    return _as_value(_evaluate(tree.body, text, leaves))


def _parse(text: str) -> ast.Expression:
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"{_short(text)} is not a formula: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError) as error:  # null bytes, deep nesting
        raise ExpressionError(f"{_short(text)} cannot be read as a formula: {error}") from None


def _operands(node: ast.expr, text: str, names: Container[str]) -> list[ast.expr]:
    """The parts ``node`` is computed from, after checking that ``node`` is allowed."""
    if isinstance(node, ast.Constant) and _is_number(node.value):
        return []
    if isinstance(node, ast.Name) and node.id in names:
        return []
    if isinstance(node, ast.Name):
        hint = f"call it, like {node.id}(x)" if node.id in FUNCTIONS else f"give {node.id}=1.5"
        raise ExpressionError(f"unknown name {node.id!r} in {_short(text)}: {hint}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return [node.operand]
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY_OPS:
        return [node.left, node.right]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        (argument,) = node.args if len(node.args) == 1 and not node.keywords else (None,)
        if argument is None or isinstance(argument, ast.Starred):
            name = node.func.id
            raise ExpressionError(f"{name} takes one argument, like {name}(x), in {_short(text)}")
        return [argument]
    piece = ast.get_source_segment(text.strip(), node) or type(node).__name__
    raise ExpressionError(f"{_short(piece)} is not allowed in a formula; use only {ALLOWED}")


def _is_number(thing: object) -> bool:
    return isinstance(thing, (int, float)) and not isinstance(thing, bool)


def _evaluate(root: ast.expr, text: str, leaves: Mapping[str, Value]) -> Value | float:
    """Compute the checked tree bottom-up, with an explicit stack (no recursion).

    Each node is visited twice: first to push its operands, then, once their results
    are on ``results``, to combine them.
    """
    results: list[Value | float] = []
    stack = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        operands = _operands(node, text, leaves)
        if operands and not operands_done:
            stack.append((node, True))
            stack.extend((operand, False) for operand in reversed(operands))
            continue
        start = len(results) - len(operands)
        arguments = results[start:]
        del results[start:]
        results.append(_apply(node, arguments, leaves))
    return results[0]


def _apply(
    node: ast.expr, arguments: list[Value | float], leaves: Mapping[str, Value]
) -> Value | float:
    """One allowed node of the formula, applied to its operands' results."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        try:
            number = float(node.value)
        except OverflowError:
            raise ExpressionError(f"the number {_short(str(node.value))} is too large") from None
        if not math.isfinite(number):  # a literal past a float's range, such as 2e999
            raise ExpressionError("a number in the formula is too large for a float: it is inf")
        return number
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):
        (operand,) = arguments
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = arguments
        # Two plain numbers make a graph too: the left one becomes a constant leaf.
        # A number on the right is left to the Value op, which takes it as code would.
        return BINARY_OPS[type(node.op)](_as_value(left), right)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return FUNCTIONS[node.func.id](_as_value(arguments[0]))


def _short(text: str) -> str:
    """``text`` quoted for an error message, cut short if long."""
    return repr(text) if len(text) <= 60 else repr(text[:57]) + "..."


def _as_value(thing: Value | float) -> Value:
    return thing if isinstance(thing, Value) else Value(thing)
