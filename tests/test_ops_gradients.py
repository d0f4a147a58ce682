"""Property tests: every op's gradient agrees with central finite differences.

Inputs are drawn where the derivatives are of order 1 and away from kinks, so that a
wrong derivative cannot hide inside the tolerance.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tinygrad_edu import Value, gradcheck
from tinygrad_edu.gradcheck import analytic_grad

from .strategies import (
    BINARY_CASES,
    UNARY_CASES,
    Expression,
    checkable_output,
    expressions,
    reals,
)


@pytest.mark.parametrize("name", sorted(UNARY_CASES))
@given(data=st.data())
def test_unary_op_gradient_matches_finite_differences(name: str, data: st.DataObject) -> None:
    op, domain = UNARY_CASES[name]
    x = data.draw(domain, label="x")
    assert gradcheck(op, [x])


@pytest.mark.parametrize("name", sorted(BINARY_CASES))
@given(a=reals(-4, 4), b=reals(-4, 4))
def test_binary_op_gradient_matches_finite_differences(name: str, a: float, b: float) -> None:
    if name == "/":
        assume(abs(b) >= 0.5)
    if name == "**":  # a Value exponent needs a positive base
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
    checkable_output(expression, point)
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
