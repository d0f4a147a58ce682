"""Property tests: every Tensor op's vector-Jacobian product agrees with central
differences, and so do second derivatives (Hessian-vector products, through
``backward(create_graph=True)``), for ops alone and in compositions.

Inputs are float64 arrays of random shapes (0 to 4 axes of sizes 1 to 4; shapes that
broadcast drawn together), contiguous or transposed or strided views of larger arrays,
in domains where derivatives are of order 1 and away from kinks (tests/strategies.py).
Upstream gradients are random; the tolerances are PyTorch's gradcheck's: eps=1e-6,
|analytic - numeric| <= 1e-5 + 1e-3 |numeric|.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import GradcheckError, Tensor, gradcheck
from tinygrad_edu.conv import avg_pool2d, conv2d, max_pool2d
from tinygrad_edu.layers import lstm_cell
from tinygrad_edu.tensor import VJP_RULES, concatenate, stack, topological_order, where

from .strategies import (
    FAR_FROM_ZERO,
    NEAR_ONE,
    PER_CASE,
    POSITIVE,
    TENSOR_CASES,
    Array,
    Domain,
    TensorCase,
    TensorExample,
    along_an_axis,
    basic_indices,
    boolean_mask_indices,
    broadcast_pairs,
    concatenations,
    convolutions,
    elementwise,
    hessian_vector_products,
    indexing,
    integer_array_indices,
    laid_out,
    lstm_cells,
    matmul_pairs,
    maxima_stand_out,
    poolings,
    reals,
    reductions,
    reshapes,
    seeds,
    selections,
    stacks,
)

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3  # PyTorch's gradcheck defaults


def recorded_ops(*roots: Any) -> set[str]:
    """The ops in the graphs behind ``roots`` (Tensors; anything else has no graph)."""
    return {
        node.op for root in roots if isinstance(root, Tensor) for node in topological_order(root)
    } - {""}


def called(case: TensorCase, example: TensorExample) -> Callable[..., Tensor]:
    """The case's op as a function of its input tensors alone, options filled in."""
    return lambda *tensors: case.function(*tensors, **example.options)


# ---------------------------------------------------------------------- first derivatives


@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
@PER_CASE
@given(data=st.data())
def test_vector_jacobian_product_matches_central_differences(
    name: str, data: st.DataObject
) -> None:
    case = TENSOR_CASES[name]
    example = data.draw(case.examples, label="example")
    op = called(case, example)

    def on_views(*bases: Tensor) -> Tensor:  # the op meets transposed and strided tensors
        return op(*(layout.of(base) for layout, base in zip(example.inputs, bases)))

    bases = [layout.base for layout in example.inputs]
    assert gradcheck(on_views, bases, seed=data.draw(seeds(), label="upstream seed"))
    # The case checks what it claims to (so that the coverage test below can trust it).
    output = op(*(Tensor(x, requires_grad=True) for x in example.arrays))
    assert set(case.ops) <= recorded_ops(output)


# ---------------------------------------------------------------------- second derivatives


@st.composite
def tanh_networks(draw: st.DrawFn) -> TensorExample:
    """A batch x (N, I), and a network's weights w1 (I, H), b1 (H,), w2 (H, C)."""
    batch, inputs, hidden, classes = (draw(st.integers(1, 4)) for _ in range(4))
    shapes = [(batch, inputs), (inputs, hidden), (hidden,), (hidden, classes)]
    return TensorExample(tuple(draw(laid_out(shape, Domain(-2, 2))) for shape in shapes))


PIECEWISE_LINEAR_KINKS = Domain(-3, 3, kinks=(-1.0, 0.0, 1.0))

SECOND_ORDER_CASES: dict[str, TensorCase] = {
    "x * y, broadcast": TensorCase(lambda x, y: x * y, ("*",), broadcast_pairs(NEAR_ONE, NEAR_ONE)),
    "x / y": TensorCase(lambda x, y: x / y, ("/",), broadcast_pairs(NEAR_ONE, FAR_FROM_ZERO)),
    "x ** number": TensorCase(
        lambda x, exponent: x**exponent, ("**",), elementwise(Domain(0.5, 2), exponent=reals(-3, 3))
    ),
    # Not at y = 0: there x**y's slope in x is masked to 0 (0 * x**-1 would be nan at x =
    # 0), so the mask's own derivative in y is 0, not x**-1, as in PyTorch.
    "x ** y": TensorCase(
        lambda x, y: x**y, ("**",), broadcast_pairs(Domain(0.5, 2), Domain(-2, 2, kinks=(0.0,)))
    ),
    "exp, sqrt, log": TensorCase(
        lambda x: (x.exp() * x.sqrt()).log(), ("exp", "sqrt", "log"), elementwise(POSITIVE)
    ),
    "tanh, sigmoid, softplus": TensorCase(
        lambda x: x.tanh() * x.sigmoid() + x.softplus() ** 2,
        ("tanh", "sigmoid", "softplus"),
        elementwise(NEAR_ONE),
    ),
    "relu, leaky_relu, abs, clamp, neg": TensorCase(
        lambda x: x.relu() * x + abs(x) * x.leaky_relu(0.1) + (-x).clamp(-1, 1) ** 3,
        ("relu", "leaky_relu", "abs", "clamp", "neg"),
        elementwise(PIECEWISE_LINEAR_KINKS),
    ),
    "sum, mean": TensorCase(
        lambda x, axis, keepdims: (
            x.sum(axis=axis, keepdims=keepdims) ** 2 * x.mean(axis=axis, keepdims=keepdims)
        ),
        ("sum", "mean", "broadcast_to"),
        reductions(NEAR_ONE),
    ),
    "max": TensorCase(
        lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims) ** 3,
        ("max", "broadcast_to"),
        reductions(NEAR_ONE).filter(maxima_stand_out),
    ),
    "@, tanh": TensorCase(lambda x, y: (x @ y).tanh(), ("@", "tanh"), matmul_pairs()),
    "softmax, log_softmax, logsumexp": TensorCase(
        lambda x, axis: (x.softmax(axis) * x.log_softmax(axis)).sum(axis) * x.logsumexp(axis),
        ("softmax", "log_softmax", "logsumexp"),
        along_an_axis(Domain(-5, 5)),
    ),
    "T, reshape": TensorCase(
        lambda x, shape: x.T.reshape(shape) ** 3, ("transpose", "reshape"), reshapes()
    ),
    "index with ints, slices, None, ...": TensorCase(
        lambda x, index: x[index] ** 3, ("getitem", "scatter_add"), indexing(basic_indices, 0)
    ),
    "index with repeated integers": TensorCase(
        lambda x, index: x[index] ** 3,
        ("getitem", "scatter_add"),
        indexing(integer_array_indices, 1),
    ),
    "index with a boolean mask": TensorCase(
        lambda x, index: x[index].exp(),
        ("getitem", "scatter_add"),
        indexing(boolean_mask_indices, 1),
    ),
    "concatenate": TensorCase(
        lambda *pieces, axis: concatenate(list(pieces), axis=axis) ** 3,
        ("concatenate",),
        concatenations(),
    ),
    "stack": TensorCase(
        lambda *pieces, axis: stack(list(pieces), axis=axis) ** 3, ("stack",), stacks()
    ),
    "where": TensorCase(
        lambda x, y, condition: where(condition, x * y, y**3), ("where",), selections()
    ),
    "conv2d": TensorCase(
        lambda x, weight, bias, stride, padding: conv2d(x, weight, bias, stride, padding) ** 3,
        ("conv2d", "conv2d_input_grad", "conv2d_weight_grad"),
        convolutions(),
    ),
    "max_pool2d": TensorCase(
        lambda x, kernel_size, stride: max_pool2d(x, kernel_size, stride) ** 3,
        ("max_pool2d", "max_pool2d_backward"),
        poolings(),
    ),
    "avg_pool2d": TensorCase(
        lambda x, kernel_size, stride: avg_pool2d(x, kernel_size, stride) ** 3,
        ("avg_pool2d", "avg_pool2d_backward"),
        poolings(),
    ),
    "lstm_cell": TensorCase(
        lambda gates, c: lstm_cell(gates, c) ** 2, ("lstm_cell",), lstm_cells()
    ),
    "a tanh network's log_softmax": TensorCase(
        lambda x, w1, b1, w2: ((x @ w1 + b1).tanh() @ w2).log_softmax(-1).mean(),
        ("@", "+", "tanh", "log_softmax", "mean"),
        tanh_networks(),
    ),
}
"""Ops and compositions whose second derivatives are checked; their gradients' graphs
also hold the ops that only gradients record (broadcast_to, scatter_add)."""


def gradients_at(op: Callable[..., Tensor], points: list[Array], upstream: Array) -> list[Array]:
    """The vector-Jacobian products of op at ``points``, by an ordinary backward."""
    leaves = [Tensor(point, requires_grad=True) for point in points]
    op(*leaves).backward(gradient=upstream)
    return [np.zeros(leaf.shape) if leaf.grad is None else np.asarray(leaf.grad) for leaf in leaves]


@pytest.mark.parametrize("name", sorted(SECOND_ORDER_CASES))
@PER_CASE
@given(data=st.data())
def test_hessian_vector_product_matches_central_differences_of_the_gradient(
    name: str, data: st.DataObject
) -> None:
    case = SECOND_ORDER_CASES[name]
    example = data.draw(case.examples, label="example")
    op, points = called(case, example), example.arrays
    seeds_drawn = (data.draw(seeds(), label="upstream seed"), data.draw(seeds(), label="v seed"))
    second = hessian_vector_products(op, points, *seeds_drawn)
    assert set(case.ops) <= recorded_ops(second.output, *second.gradients)

    steps = [EPS * direction for direction in second.directions]
    above = gradients_at(op, [p + step for p, step in zip(points, steps)], second.upstream)
    below = gradients_at(op, [p - step for p, step in zip(points, steps)], second.upstream)
    for index, (product, plus, minus) in enumerate(zip(second.products, above, below)):
        numeric = (plus - minus) / (2 * EPS)
        np.testing.assert_allclose(
            product, numeric, rtol=RTOL, atol=ATOL, equal_nan=False, err_msg=f"input {index}"
        )


# ---------------------------------------------------------------------- coverage


def test_every_rule_in_the_table_is_checked_by_some_property_test() -> None:
    claimed = {op for case in TENSOR_CASES.values() for op in case.ops}
    claimed |= {op for case in SECOND_ORDER_CASES.values() for op in case.ops}
    assert sorted(set(VJP_RULES) - claimed) == [], "ops of VJP_RULES that no case checks"
    assert sorted(claimed - set(VJP_RULES)) == [], "cases claim ops that VJP_RULES lacks"


# ---------------------------------------------------------------------- the check itself


def test_a_function_that_cuts_its_graph_is_a_mismatch_not_a_crash() -> None:
    # Tensor(x.data * 2) leaves the graph: backward reaches no input, while central
    # differences find the slope 2. As for Values, that is a GradcheckError.
    with pytest.raises(GradcheckError, match=r"input 0 .*analytic 0\.0 vs numeric"):
        gradcheck(lambda x: Tensor(x.data * 2), [np.array([1.0, 2.0])])
    assert gradcheck(lambda x: Tensor(np.ones(2)), [np.array([1.0, 2.0])])  # a constant


def test_a_planted_wrong_rule_is_caught_naming_the_input_element_and_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every property test above passes if gradcheck never fails: here it must. The bug
    # planted: d tanh(x)/dx = 1 - tanh(x) (should be 1 - tanh(x)**2).
    monkeypatch.setitem(VJP_RULES, "tanh", (lambda g, x, out: g * (1.0 - out),))
    worst = r"input 0 at index \(\d, \d\) \(the worst of \d of 4 elements\)"
    with pytest.raises(GradcheckError, match=worst + r": analytic \S+ vs numeric \S+"):
        gradcheck(lambda x: x.tanh(), [np.array([[0.5, -1.0], [2.0, 0.1]])])
