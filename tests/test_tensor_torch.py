"""Against PyTorch, in float64: forward values and vector-Jacobian products of every op
(the cases of tests/strategies.py, random upstream gradients), the edge values where
semantics matter (NaN, ties in max, kinks at 0 and at clamp's bounds, logits of +-1000,
sqrt at 0, x**0, division by zero), and second derivatives of a few compositions.

Where our documented semantics differ from PyTorch's on purpose (softplus past its
threshold, refusing log/sqrt/fractional powers outside their domain, comparisons that
give ndarrays, ...), a test below says so and checks both sides: those are differences
by design, not failures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import Tensor
from tinygrad_edu.tensor import concatenate, stack, where

from .strategies import (
    PER_CASE,
    TENSOR_CASES,
    Array,
    Domain,
    basic_indices,
    elementwise,
    hessian_vector_products,
    indexing,
    laid_out,
    random_normal,
    seeds,
)

torch = pytest.importorskip(
    "torch", reason="compares with PyTorch: pip install torch==2.13.0 (the pinned version)"
)
F = torch.nn.functional

# Different algorithms round differently (a matmul's order of additions, softmax's
# shift); beyond a few thousand ulps (1e-12 relative), a difference is real.
RTOL, ATOL = 1e-12, 1e-14


def assert_same(ours: Any, theirs: Any, what: str) -> None:
    """Our array equals PyTorch's tensor, NaN where it has NaN, +-inf where it has them."""
    theirs = theirs.detach().numpy()
    assert np.shape(ours) == theirs.shape, f"{what}: shape {np.shape(ours)} vs {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=what)


def compare_with_torch(
    ours: Callable[..., Tensor],
    theirs: Callable[..., Any],
    arrays: Sequence[Array],
    upstream_seed: int | None = None,
) -> None:
    """The same function, ours and PyTorch's, at ``arrays``: the same outputs, and the
    same gradients for a random upstream gradient drawn with ``upstream_seed`` (for
    None, ones)."""
    our_inputs = [Tensor(array, requires_grad=True) for array in arrays]
    their_inputs = [torch.tensor(array, requires_grad=True) for array in arrays]
    our_output, their_output = ours(*our_inputs), theirs(*their_inputs)
    assert_same(our_output.data, their_output, "forward")
    shape = our_output.shape
    upstream = np.ones(shape) if upstream_seed is None else random_normal(upstream_seed, shape)
    our_output.backward(gradient=upstream)
    their_output.backward(torch.from_numpy(upstream))
    for index, (mine, reference) in enumerate(zip(our_inputs, their_inputs)):
        assert_same(mine.grad, reference.grad, f"gradient of input {index}")


def float64(*values: float) -> Array:
    return np.array(values, dtype=np.float64)


# ---------------------------------------------------------------------- every op


def as_torch_index(index: Any) -> Any:
    """A numpy index for PyTorch: integer and boolean arrays become tensors."""
    if not isinstance(index, tuple):
        return as_torch_index((index,))[0]
    return tuple(torch.from_numpy(part) if isinstance(part, np.ndarray) else part for part in index)


def reversed_axes(x: Any) -> Any:
    return x.permute(tuple(reversed(range(x.ndim))))


def torch_lstm_cell(gates: Any, c: Any) -> Any:
    """PyTorch's LSTM cell from its gates (i, f, g, o): (h, c') side by side."""
    i, f, g, o = gates.chunk(4, dim=1)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return torch.cat([o.sigmoid() * c_next.tanh(), c_next], dim=1)


TORCH_SPELLINGS: dict[str, Callable[..., Any]] = {
    "ndarray * x": lambda x, array: torch.from_numpy(array) * x,
    "leaky_relu": lambda x, slope: F.leaky_relu(x, slope),
    "softplus": lambda x: F.softplus(x),
    # torch.amax splits the gradient among ties as our max does; torch.max(x, dim) does not.
    "max": lambda x, axis, keepdims: x.amax(dim=() if axis is None else axis, keepdim=keepdims),
    # Our transpose(*axes) is numpy's, which is torch's permute (torch's transpose swaps two).
    "transpose": lambda x, axes: x.permute(axes) if axes else reversed_axes(x),
    "T": reversed_axes,  # torch's .T is for matrices only
    "index with ints, slices, None, ...": lambda x, index: x[as_torch_index(index)],
    "index with integer arrays": lambda x, index: x[as_torch_index(index)],
    "index with a boolean mask": lambda x, index: x[as_torch_index(index)],
    "concatenate": lambda *pieces, axis: torch.cat(pieces, dim=axis),
    "stack": lambda *pieces, axis: torch.stack(pieces, dim=axis),
    "where": lambda x, y, condition: torch.where(torch.from_numpy(condition), x, y),
    "conv2d": lambda x, weight, bias, stride, padding: F.conv2d(x, weight, bias, stride, padding),
    "max_pool2d": lambda x, kernel_size, stride: F.max_pool2d(x, kernel_size, stride),
    "avg_pool2d": lambda x, kernel_size, stride: F.avg_pool2d(x, kernel_size, stride),
    "lstm_cell": lambda gates, c: torch_lstm_cell(gates, c),
}
"""PyTorch's spelling of the cases where ours differs; the rest run as they are on
torch tensors (x.exp(), x @ y, x.sum(axis=..., keepdims=...), ...)."""

TORCH_EXAMPLES = {
    "index with ints, slices, None, ...": indexing(
        partial(basic_indices, negative_steps=False), min_axes=0
    ),  # PyTorch has no negative steps
    "softplus": elementwise(Domain(-20, 20)),  # past 20, see the test of that difference
}


def test_every_spelling_belongs_to_a_case() -> None:
    assert set(TORCH_SPELLINGS) | set(TORCH_EXAMPLES) <= set(TENSOR_CASES)


@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
@PER_CASE
@given(data=st.data())
def test_forward_values_and_vector_jacobian_products_agree_with_pytorch(
    name: str, data: st.DataObject
) -> None:
    case = TENSOR_CASES[name]
    example = data.draw(TORCH_EXAMPLES.get(name, case.examples), label="example")
    theirs = TORCH_SPELLINGS.get(name, case.function)
    compare_with_torch(
        lambda *tensors: case.function(*tensors, **example.options),
        lambda *tensors: theirs(*tensors, **example.options),
        example.arrays,
        upstream_seed=data.draw(seeds(), label="upstream seed"),
    )


# ---------------------------------------------------------------------- edge values

NAN, INF = math.nan, math.inf

ELEMENTWISE: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "neg": (lambda x: -x, lambda x: -x),
    "exp": (lambda x: x.exp(), lambda x: x.exp()),
    "log": (lambda x: x.log(), lambda x: x.log()),
    "sqrt": (lambda x: x.sqrt(), lambda x: x.sqrt()),
    "abs": (lambda x: abs(x), lambda x: abs(x)),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh()),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    "relu": (lambda x: x.relu(), lambda x: x.relu()),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), lambda x: F.leaky_relu(x, 0.1)),
    "softplus": (lambda x: x.softplus(), lambda x: F.softplus(x)),
    "clamp": (lambda x: x.clamp(-1, 1), lambda x: x.clamp(-1, 1)),
    "x ** 2": (lambda x: x**2, lambda x: x**2),
    "x ** 0.5": (lambda x: x**0.5, lambda x: x**0.5),
    "x ** 0": (lambda x: x**0, lambda x: x**0),
}


@pytest.mark.parametrize("name", sorted(set(ELEMENTWISE) - {"abs"}))  # abs: see the end
def test_nan_in_gives_nan_out_and_the_same_gradients_as_pytorch(name: str) -> None:
    ours, theirs = ELEMENTWISE[name]
    compare_with_torch(ours, theirs, [float64(NAN, 0.5, 2.0)], upstream_seed=0)


REDUCTIONS_AND_SOFTMAXES: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "sum": (lambda x: x.sum(axis=1), lambda x: x.sum(axis=1)),
    "mean": (lambda x: x.mean(axis=0), lambda x: x.mean(axis=0)),
    "max": (lambda x: x.max(axis=1), lambda x: x.amax(dim=1)),
    "softmax": (lambda x: x.softmax(-1), lambda x: x.softmax(-1)),
    "log_softmax": (lambda x: x.log_softmax(-1), lambda x: x.log_softmax(-1)),
    "logsumexp": (lambda x: x.logsumexp(-1), lambda x: x.logsumexp(-1)),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS_AND_SOFTMAXES))
def test_a_nan_spreads_over_what_it_is_reduced_with_as_in_pytorch(name: str) -> None:
    ours, theirs = REDUCTIONS_AND_SOFTMAXES[name]
    x = np.array([[NAN, 1.0, 2.0], [0.5, -1.0, 3.0]])
    compare_with_torch(ours, theirs, [x], upstream_seed=0)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_splits_the_gradient_among_ties_as_torch_amax_does(
    axis: int | tuple[int, ...] | None, keepdims: bool
) -> None:
    x = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0], [0.0, 3.0, -1.0]])
    compare_with_torch(
        lambda t: t.max(axis=axis, keepdims=keepdims),
        lambda t: t.amax(dim=() if axis is None else axis, keepdim=keepdims),
        [x],
        upstream_seed=1,
    )


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "abs", "clamp", "x ** 2", "x ** 0"])
def test_gradients_at_the_kinks_are_pytorchs(name: str) -> None:
    # relu, leaky_relu and abs at 0, clamp(-1, 1) at both bounds (the bounds let the
    # gradient through), x**2 and x**0 at 0.
    ours, theirs = ELEMENTWISE[name]
    compare_with_torch(ours, theirs, [float64(-1.0, 0.0, -0.0, 1.0, 2.0)])


def test_clamp_with_equal_bounds_and_with_one_bound_is_pytorchs() -> None:
    x = float64(-2.0, 0.5, 1.0, 3.0)
    compare_with_torch(lambda t: t.clamp(1.0, 1.0), lambda t: t.clamp(1.0, 1.0), [x])
    compare_with_torch(lambda t: t.clamp(low=0.5), lambda t: t.clamp(min=0.5), [x])
    compare_with_torch(lambda t: t.clamp(high=1.0), lambda t: t.clamp(max=1.0), [x])


def test_sqrt_at_0_has_an_infinite_slope_as_in_pytorch() -> None:
    compare_with_torch(lambda t: t.sqrt(), lambda t: t.sqrt(), [float64(0.0, 4.0)])
    compare_with_torch(lambda t: t**0.5, lambda t: t**0.5, [float64(0.0, 4.0)])


@pytest.mark.parametrize("exponent", [0, 0.0, -1, -2, 3, 0.5, 1.5])
def test_powers_at_0_and_at_negative_bases_are_pytorchs(exponent: float) -> None:
    # x**0 is the constant 1 (slope 0, even at 0); x**-1 at 0 is inf with slope -inf.
    bases = float64(-2.0, 0.0, 3.0) if float(exponent).is_integer() else float64(0.0, 3.0)
    compare_with_torch(lambda t: t**exponent, lambda t: t**exponent, [bases])


def test_a_zero_exponent_tensor_has_slope_0_in_x_as_in_pytorch() -> None:
    x, n = float64(0.5, 2.0), float64(0.0, 0.0)
    compare_with_torch(lambda a, b: a**b, lambda a, b: a**b, [x, n])


def test_division_by_zero_gives_pytorchs_infinities_and_nans() -> None:
    x, y = float64(1.0, -1.0, 0.0, 2.0), float64(0.0, 0.0, 0.0, -0.0)
    compare_with_torch(lambda a, b: a / b, lambda a, b: a / b, [x, y])
    compare_with_torch(lambda a: 1.0 / a, lambda a: 1.0 / a, [float64(0.0, -0.0, 2.0)])


def test_overflow_gives_pytorchs_infinities() -> None:
    x = float64(1000.0, -1000.0, 0.0)
    compare_with_torch(lambda t: t.exp(), lambda t: t.exp(), [x])
    compare_with_torch(lambda t: t.sigmoid(), lambda t: t.sigmoid(), [x])
    compare_with_torch(lambda t: t.tanh(), lambda t: t.tanh(), [x])


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_the_softmax_family_at_logits_of_1000_is_pytorchs(name: str) -> None:
    ours, theirs = REDUCTIONS_AND_SOFTMAXES[name]
    logits = np.array(
        [[1000.0, -1000.0, 0.0], [1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -999.0]]
    )
    compare_with_torch(ours, theirs, [logits], upstream_seed=2)
    with_minus_infinity = np.array([[0.0, -INF, 1.0], [-INF, 2.0, 2.0]])
    compare_with_torch(ours, theirs, [with_minus_infinity], upstream_seed=3)


# ---------------------------------------------------------------------- second derivatives

PICK = np.array([True, False, True, True, False, False])

COMPOSITIONS: dict[str, tuple[Callable[..., Any], Callable[..., Any], list[tuple[int, ...]]]] = {
    "a tanh network's mean log_softmax": (
        lambda x, w1, b1, w2: ((x @ w1 + b1).tanh() @ w2).log_softmax(-1).mean(),
        lambda x, w1, b1, w2: ((x @ w1 + b1).tanh() @ w2).log_softmax(-1).mean(),
        [(4, 3), (3, 5), (5,), (5, 2)],
    ),
    "powers, sigmoid and softmax, broadcast": (
        lambda x, y: ((x * x + 1.0) ** y * x.sigmoid()).softmax(0),
        lambda x, y: ((x * x + 1.0) ** y * x.sigmoid()).softmax(0),
        [(3, 4), (4,)],
    ),
    "max, logsumexp, softplus and indexing": (
        lambda x: x.max(axis=1) * x.logsumexp(0) + x[[0, 0, 2], 1:].softplus().sum(),
        lambda x: x.amax(dim=1) * x.logsumexp(0) + F.softplus(x[[0, 0, 2], 1:]).sum(),
        [(3, 3)],
    ),
    "concatenate, stack and where": (
        lambda x, y: where(PICK, concatenate([x, y * x]).exp(), stack([x, y], 1).reshape(-1) ** 3),
        lambda x, y: torch.where(
            torch.from_numpy(PICK),
            torch.cat([x, y * x]).exp(),
            torch.stack([x, y], 1).reshape(-1) ** 3,
        ),
        [(3,), (3,)],
    ),
}


@st.composite
def composition_points(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> list[Array]:
    """Arrays of the given shapes with elements of order 1."""
    return [draw(laid_out(shape, Domain(-1.5, 1.5))).array for shape in shapes]


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
@PER_CASE
@given(data=st.data())
def test_hessian_vector_products_agree_with_pytorch(name: str, data: st.DataObject) -> None:
    ours, theirs, shapes = COMPOSITIONS[name]
    points = data.draw(composition_points(shapes), label="points")
    seeds_drawn = (data.draw(seeds(), label="upstream seed"), data.draw(seeds(), label="v seed"))
    second = hessian_vector_products(ours, points, *seeds_drawn)

    their_inputs = [torch.tensor(point, requires_grad=True) for point in points]
    their_gradients = torch.autograd.grad(
        theirs(*their_inputs), their_inputs, torch.from_numpy(second.upstream), create_graph=True
    )
    their_total = sum(
        (gradient * torch.from_numpy(direction)).sum()
        for gradient, direction in zip(their_gradients, second.directions)
    )
    their_products = torch.autograd.grad(their_total, their_inputs)
    for index, (gradient, reference) in enumerate(zip(second.gradients, their_gradients)):
        assert isinstance(gradient, Tensor)  # with a graph of its own
        assert_same(gradient.data, reference, f"gradient of input {index}")
    for index, (product, reference) in enumerate(zip(second.products, their_products)):
        assert_same(product, reference, f"Hessian-vector product of input {index}")


# ---------------------------------------------------------------------- differences by design


def test_softplus_past_20_is_exact_where_pytorch_returns_x_itself() -> None:
    x = float64(20.5, 25.0, 40.0)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    our_value, their_value = ours.softplus(), F.softplus(theirs)
    # PyTorch: x itself past its threshold of 20, slope exactly 1.
    assert their_value.detach().numpy().tolist() == x.tolist()
    # Ours: log(1 + e**x) = x + log(1 + e**-x), exact, slope sigmoid(x) < 1.
    assert our_value.data.tolist() == (x + np.log1p(np.exp(-x))).tolist()
    our_value.sum().backward()
    their_value.sum().backward()
    assert theirs.grad.numpy().tolist() == [1.0, 1.0, 1.0]
    assert (
        isinstance(ours.grad, np.ndarray) and ours.grad.tolist() == (1 / (1 + np.exp(-x))).tolist()
    )
    # ... and the two agree to within e**-20, about 2e-9.
    assert np.allclose(our_value.data, their_value.detach().numpy(), rtol=0, atol=2.1e-9)


@pytest.mark.parametrize(
    ("ours", "theirs", "x", "pytorch_gives"),
    [
        (lambda t: t.log(), lambda t: t.log(), float64(1.0, -1.0), [0.0, NAN]),
        (lambda t: t.log(), lambda t: t.log(), float64(1.0, 0.0), [0.0, -INF]),
        (lambda t: t.sqrt(), lambda t: t.sqrt(), float64(4.0, -1.0), [2.0, NAN]),
        (lambda t: t**0.5, lambda t: t**0.5, float64(4.0, -1.0), [2.0, NAN]),
        (lambda t: t**-1.5, lambda t: t**-1.5, float64(1.0, -4.0), [1.0, NAN]),
    ],
    ids=["log of a negative", "log of 0", "sqrt of a negative", "x**0.5 of a negative", "x**-1.5"],
)
def test_outside_the_domain_we_refuse_where_pytorch_gives_nan_or_inf(
    ours: Callable[[Any], Any], theirs: Callable[[Any], Any], x: Array, pytorch_gives: list[float]
) -> None:
    np.testing.assert_array_equal(theirs(torch.tensor(x)).numpy(), pytorch_gives)
    with pytest.raises(ValueError, match=r"math domain error.*1 of 2 elements.*index \(1,\)"):
        ours(Tensor(x))


def test_a_power_whose_exponent_needs_grad_refuses_a_base_pytorch_takes() -> None:
    # d/dn x**n = x**n log(x) needs x > 0: we refuse 0 and negative bases, as Value does.
    # PyTorch computes x**n and masks the slope at 0, or gives nan for a negative base.
    base, exponent = float64(0.0, -2.0), float64(2.0, 2.0)
    their_exponent = torch.tensor(exponent, requires_grad=True)
    (torch.tensor(base) ** their_exponent).sum().backward()
    assert their_exponent.grad is not None
    np.testing.assert_array_equal(their_exponent.grad.numpy(), [0.0, NAN])
    with pytest.raises(ValueError, match="base > 0 when the exponent requires grad"):
        Tensor(base) ** Tensor(exponent, requires_grad=True)


def test_comparisons_give_boolean_ndarrays_where_pytorch_gives_bool_tensors() -> None:
    x, y = float64(1.0, 2.0, NAN), float64(2.0, 2.0, 0.0)
    comparisons: list[Callable[[Any, Any], Any]] = [
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a == b,
        lambda a, b: a != b,
        lambda a, b: a >= b,
        lambda a, b: a > b,
    ]
    for compare in comparisons:
        ours, theirs = compare(Tensor(x), Tensor(y)), compare(torch.tensor(x), torch.tensor(y))
        assert isinstance(ours, np.ndarray) and ours.dtype == np.bool_
        assert theirs.dtype == torch.bool and ours.tolist() == theirs.tolist()


def test_max_over_an_axis_splits_ties_where_torch_max_gives_one_element_all() -> None:
    x = float64(2.0, 5.0, 5.0)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours.max(axis=0).backward()
    torch.max(theirs, dim=0).values.backward()
    assert isinstance(ours.grad, np.ndarray) and ours.grad.tolist() == [0.0, 0.5, 0.5]
    assert theirs.grad is not None and sorted(theirs.grad.tolist()) == [0.0, 0.0, 1.0]


def test_transpose_takes_numpys_axes_where_pytorchs_swaps_two() -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    assert_same(Tensor(x).transpose(2, 0, 1).data, torch.tensor(x).permute(2, 0, 1), "permute")
    assert tuple(torch.tensor(x).transpose(0, 2).shape) == (4, 3, 2)  # PyTorch: swap 0 and 2
    with pytest.raises(ValueError, match="must list each of the 3 axes once"):
        Tensor(x).transpose(0, 2)


def test_a_second_backward_adds_the_gradient_again_where_pytorch_has_freed_the_graph() -> None:
    x = float64(1.0, 2.0)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    our_loss, their_loss = (ours * ours).sum(), (theirs * theirs).sum()
    our_loss.backward()
    our_loss.backward()
    assert isinstance(ours.grad, np.ndarray) and ours.grad.tolist() == [4.0, 8.0]  # 2 x, twice
    their_loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        their_loss.backward()


def test_abs_of_nan_has_slope_nan_where_pytorch_gives_0() -> None:
    # Ours: g * sign(x), and numpy's sign(nan) is nan, so the NaN reaches the gradient;
    # PyTorch's sgn(nan) is 0, which hides it. (tensor.py does not state this yet.)
    x = float64(NAN, -2.0)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    abs(ours).sum().backward()
    abs(theirs).sum().backward()
    assert ours.grad is not None
    np.testing.assert_array_equal(ours.grad, [NAN, -1.0])
    np.testing.assert_array_equal(theirs.grad.numpy(), [0.0, -1.0])
