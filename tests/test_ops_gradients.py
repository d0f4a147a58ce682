"""Property tests: every op's gradient agrees with central finite differences.

Inputs are drawn where the derivatives are of order 1 and away from kinks, so that a
wrong derivative cannot hide inside the tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tinygrad_edu import Value, gradcheck
from tinygrad_edu.gradcheck import analytic_grad

from .strategies import Expression, away_from_zero, expressions, reals, well_conditioned

UnaryCase = tuple[Callable[[Value], Value], st.SearchStrategy[float]]

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

BINARY_CASES: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


@pytest.mark.parametrize("name", sorted(UNARY_CASES))
@given(data=st.data())
def test_unary_op_gradient_matches_finite_differences(name: str, data: st.DataObject) -> None:
    op, domain = UNARY_CASES[name]
    x = data.draw(domain, label="x")
    assert gradcheck(op, [x])


@pytest.mark.parametrize("name", sorted(BINARY_CASES))
@given(a=reals(-4, 4), b=reals(-4, 4))
def test_binary_op_gradient_matches_finite_differences(name: str, a: float, b: float) -> None:
    if name == "div":
        assume(abs(b) >= 0.5)
    if name == "pow":  # a Value exponent needs a positive base
        a, b = abs(a) + 0.1, b / 2
    assert gradcheck(BINARY_CASES[name], [a, b])


@given(a=reals(-3, 3), b=reals(-3, 3))
def test_local_gradients_match_closed_forms(a: float, b: float) -> None:
    tanh, sigmoid = math.tanh(a), 1 / (1 + math.exp(-a))
    assert Value(a).tanh().local_grads == pytest.approx((1 - tanh**2,))
    assert Value(a).sigmoid().local_grads == pytest.approx((sigmoid * (1 - sigmoid),))
    assert Value(a).exp().local_grads == pytest.approx((math.exp(a),))
    assert (Value(a) * Value(b)).local_grads == (b, a)
    assert (Value(a) + Value(b)).local_grads == (1.0, 1.0)
    assert (Value(a) - Value(b)).local_grads == (1.0, -1.0)


@given(expression=expressions(n_variables=3), point=st.lists(reals(-2, 2), min_size=3, max_size=3))
def test_random_expression_gradients_match_finite_differences(
    expression: Expression, point: list[float]
) -> None:
    try:
        output = expression(*(Value(x) for x in point))
    except (ValueError, ZeroDivisionError):  # outside the domain of log, sqrt, / or **
        assume(False)
        return
    assume(isinstance(output, Value) and well_conditioned(output))
    gradcheck(expression, point)


@given(expression=expressions(n_variables=2), point=st.lists(reals(-2, 2), min_size=2, max_size=2))
def test_a_second_backward_adds_the_same_gradients_again(
    expression: Expression, point: list[float]
) -> None:
    try:
        once = analytic_grad(expression, point)
    except (ValueError, ZeroDivisionError):
        assume(False)
        return
    leaves = [Value(x) for x in point]
    output = expression(*leaves)
    assume(isinstance(output, Value) and all(math.isfinite(g) for g in once))
    assert isinstance(output, Value)
    output.backward()
    output.backward()
    assert [leaf.grad for leaf in leaves] == [2 * g for g in once]
