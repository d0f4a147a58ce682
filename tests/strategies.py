"""Hypothesis strategies shared by the property tests: numbers, ops and expression trees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from tinygrad_edu import Value, topological_order


def reals(low: float, high: float) -> st.SearchStrategy[float]:
    """Finite floats in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def away_from_zero(low: float, high: float, gap: float = 1e-3) -> st.SearchStrategy[float]:
    """Floats in [low, high] at least ``gap`` from 0, where relu and abs have a kink."""
    return reals(low, high).filter(lambda x: abs(x) >= gap)


# ---------------------------------------------------------------------- one op at a time
# Each op with a domain where its derivatives are of order 1 and away from its kinks,
# so that a wrong derivative cannot hide inside a tolerance.

UnaryCase = tuple[Callable[[Any], Any], st.SearchStrategy[float]]

UNARY_CASES: dict[str, UnaryCase] = {
    "neg": (lambda x: -x, reals(-5, 5)),
    "exp": (lambda x: x.exp(), reals(-4, 4)),
    "log": (lambda x: x.log(), reals(0.1, 10)),
    "tanh": (lambda x: x.tanh(), reals(-3, 3)),
    "sigmoid": (lambda x: x.sigmoid(), reals(-6, 6)),
    "relu": (lambda x: x.relu(), away_from_zero(-5, 5)),
    "leaky_relu": (lambda x: x.leaky_relu(), away_from_zero(-5, 5)),
    "softplus": (lambda x: x.softplus(), reals(-6, 6)),
    "sqrt": (lambda x: x.sqrt(), reals(0.1, 10)),
    "abs": (lambda x: abs(x), away_from_zero(-5, 5)),
    "square": (lambda x: x**2, reals(-5, 5)),
    "clamp": (lambda x: x.clamp(-1, 1), reals(-3, 3).filter(lambda x: abs(abs(x) - 1) > 1e-3)),
    "cube": (lambda x: x**3, reals(-3, 3)),
    "power 0.5": (lambda x: x**0.5, reals(0.1, 10)),
    "power -2": (lambda x: x**-2, away_from_zero(-3, 3, gap=0.5)),
    "2 ** x": (lambda x: 2**x, reals(-4, 4)),
    "3 - x": (lambda x: 3 - x, reals(-5, 5)),
    "2 / x": (lambda x: 2 / x, away_from_zero(-3, 3, gap=0.5)),
    "x + 1": (lambda x: x + 1, reals(-5, 5)),
    "4 * x": (lambda x: 4 * x, reals(-5, 5)),
}

BINARY_CASES: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


# ---------------------------------------------------------------------- expression trees

UNARY_OPS = {name: op for name, (op, _) in UNARY_CASES.items()}


@dataclass(frozen=True)
class Expression:
    """A random expression tree over variables x0, x1, ...: leaves are variables or
    constants, inner nodes are ops from UNARY_OPS or BINARY_CASES."""

    op: str
    children: tuple[Expression, ...] = ()
    variable: int = 0
    constant: float = 0.0

    def __call__(self, *variables: Any) -> Any:
        """The expression's value at ``variables`` (Values, or Duals for forward mode)."""
        if self.op == "variable":
            return variables[self.variable]
        if self.op == "constant":
            return self.constant
        values = [child(*variables) for child in self.children]
        if all(isinstance(value, (int, float)) for value in values):
            # A part without variables is a constant: computed by the engine's op (which
            # checks its domain), but kept a plain number, as it would be in user code.
            operands = [Value(values[0]), *values[1:]]
            return self._operation(*operands).data
        if self.op in UNARY_OPS:
            return UNARY_OPS[self.op](values[0])
        return BINARY_CASES[self.op](*values)

    @property
    def _operation(self) -> Callable[..., Any]:
        return UNARY_OPS[self.op] if self.op in UNARY_OPS else BINARY_CASES[self.op]

    def __str__(self) -> str:
        if self.op == "variable":
            return f"x{self.variable}"
        if self.op == "constant":
            return repr(self.constant)
        if self.op in UNARY_OPS:
            return f"{self.op}({self.children[0]})"
        return f"({self.children[0]} {self.op} {self.children[1]})"


def expressions(n_variables: int, depth: int = 5) -> st.SearchStrategy[Expression]:
    """Expression trees over ``n_variables`` variables, at most ``depth`` ops deep."""
    leaf = st.one_of(
        st.builds(Expression, op=st.just("variable"), variable=st.integers(0, n_variables - 1)),
        st.builds(Expression, op=st.just("constant"), constant=reals(-2.0, 2.0)),
    )
    if depth == 0:
        return leaf
    smaller = st.deferred(lambda: expressions(n_variables, depth - 1))
    unary = st.builds(
        Expression, op=st.sampled_from(sorted(UNARY_OPS)), children=st.tuples(smaller)
    )
    binary = st.builds(
        Expression, op=st.sampled_from(sorted(BINARY_CASES)), children=st.tuples(smaller, smaller)
    )
    return st.one_of(leaf, unary, binary)


def well_conditioned(root: Value) -> bool:
    """True if finite differences can be trusted on this graph: every value is of
    moderate size and every op sits away from its kinks and singularities."""
    for node in topological_order(root):
        if not abs(node.data) < 1e4:
            return False
        if any(abs(local_grad) > 1e4 for local_grad in node.local_grads):
            return False
        if node.op in ("relu", "leaky_relu", "abs") and abs(node.inputs[0].data) < 1e-3:
            return False
        if node.op == "clamp" and abs(abs(node.inputs[0].data) - 1.0) < 1e-3:  # clamp(-1, 1)
            return False
        if node.op in ("log", "sqrt", "/") and abs(node.inputs[-1].data) < 0.1:
            return False
        if node.op == "**" and abs(node.inputs[0].data) < 0.1:  # steep or undefined near 0
            return False
    return True


def checkable_output(expression: Expression, point: list[float]) -> Value:
    """The expression's output at ``point``, for a test that compares derivatives.

    Rejects (with hypothesis' ``assume``) the points it cannot be checked at: outside
    the domain of log, sqrt, / or **, a result that does not depend on the variables,
    or a graph where finite differences cannot be trusted (``well_conditioned``).
    """
    try:
        output = expression(*(Value(x) for x in point))
    except (ValueError, ZeroDivisionError):
        output = None
    assume(isinstance(output, Value) and well_conditioned(output))
    assert isinstance(output, Value)
    return output
