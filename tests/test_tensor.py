"""Exact semantics of Tensor: what it holds, the graph it records, backward (accumulation,
retain_grad, broadcasting, ties, repeated indices, create_graph), no_grad shared with the
scalar engine, deep chains, freeing without the collector, and every bad input refused."""

from __future__ import annotations

import gc
import threading
import warnings
import weakref
from collections.abc import Callable

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, grad, no_grad, value_and_grad
from tinygrad_edu.tensor import concatenate, gradients, stack, topological_order, where
from tinygrad_edu.tutorial import tutorial_loss

# ---------------------------------------------------------------------- what a tensor holds


def test_data_is_a_float64_copy_by_default_and_float32_when_asked() -> None:
    source = np.array([[1, 2], [3, 4]])
    x = Tensor(source)
    assert x.data.dtype == np.float64 and x.dtype == np.float64
    source[0, 0] = 99
    assert x.data[0, 0] == 1.0  # the tensor owns its numbers
    assert Tensor([1.5], dtype="float32").dtype == np.float32
    assert Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_a_leaf_has_no_op_no_inputs_and_no_grad_until_reached() -> None:
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True, label="x")
    assert (x.op, x.inputs, x.label, x.grad, x.requires_grad) == ("", (), "x", None, True)
    assert (x.shape, x.ndim, x.size, len(x)) == ((1, 3), 2, 3, 1)
    assert x.is_leaf and not Tensor([1.0]).requires_grad


def test_ops_record_their_inputs_in_order_and_keep_repeats() -> None:
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    assert (a - b).inputs == (a, b)
    square = a * a
    assert square.inputs == (a, a) and square.op == "*"
    assert not square.is_leaf and square.requires_grad


def test_an_op_on_data_alone_records_nothing() -> None:
    x, y = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    z = (x * y).exp()
    assert (z.op, z.inputs, z.requires_grad) == ("", (), False)


def test_numpy_item_and_detach() -> None:
    x = Tensor([[2.5]], requires_grad=True)
    assert x.item() == 2.5 and isinstance(x.item(), float)
    detached = (x * 2).detach()
    assert detached.is_leaf and not detached.requires_grad
    assert detached.numpy() is detached.data
    with pytest.raises(ValueError, match="one element"):
        Tensor([1.0, 2.0]).item()


def test_constructors_zeros_ones_and_seeded_randn() -> None:
    assert Tensor.zeros(2, 3).shape == (2, 3) and Tensor.zeros((2, 3)).data.sum() == 0
    assert Tensor.ones((4,), dtype="float32").dtype == np.float32
    assert np.array_equal(Tensor.randn(3, 2, seed=5).data, Tensor.randn(3, 2, seed=5).data)
    assert not np.array_equal(Tensor.randn(3, seed=5).data, Tensor.randn(3, seed=6).data)
    assert Tensor.randn(2, requires_grad=True).requires_grad


def test_a_tensor_hashes_by_identity_and_compares_element_by_element() -> None:
    x = Tensor([1.0, 2.0, 3.0])
    assert {x: 1}[x] == 1
    assert (x == 2.0).tolist() == [False, True, False]
    assert (x > Tensor([0.0, 5.0, 1.0])).tolist() == [True, False, True]


# ---------------------------------------------------------------------- numpy on the other side


def test_an_ndarray_on_the_left_defers_to_the_tensor() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    for result in (
        np.ones(2) + x,
        np.ones(2) * x,
        np.ones(2) - x,
        np.ones(2) / x,
        np.ones((3, 2)) @ x,
        np.full(2, 2.0) ** x,
    ):
        assert isinstance(result, Tensor) and result.requires_grad
    (np.array([3.0, 4.0]) * x).sum().backward()
    assert x.grad is not None and x.grad.tolist() == [3.0, 4.0]


def test_numbers_and_integer_arrays_take_the_tensors_dtype() -> None:
    x = Tensor([1.0, 2.0], dtype="float32")
    assert (x * 2).dtype == np.float32
    assert (x + np.array([1, 2])).dtype == np.float32
    assert (x + np.float64(0.5)).dtype == np.float32
    assert (x + np.array([1.0, 2.0])).dtype == np.float64  # a float64 array promotes, as in torch


def test_np_asarray_of_a_tensor_that_requires_grad_is_refused() -> None:
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"detach\(\)\.numpy\(\)"):
        np.asarray(x)
    with pytest.raises(TypeError, match=r"detach\(\)\.numpy\(\)"):
        x.numpy()
    assert np.asarray(x.detach()).tolist() == [1.0]
    with pytest.raises(TypeError):
        np.exp(Tensor([1.0]))  # type: ignore[call-overload]  # numpy functions don't record


# ---------------------------------------------------------------------- backward


def test_gradients_accumulate_over_two_backwards() -> None:
    x = Tensor([1.0, -2.0], requires_grad=True)
    loss = (x * x * 3.0).sum()
    loss.backward()
    loss.backward()
    assert x.grad is not None and x.grad.tolist() == [12.0, -24.0]  # 2 * (6x)


def test_only_leaves_keep_grad_unless_retain_grad_is_called() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 2.0
    kept = hidden + 1.0
    kept.retain_grad()
    (kept * kept).sum().backward()
    assert hidden.grad is None
    assert kept.grad is not None and kept.grad.tolist() == [6.0, 10.0]
    with pytest.raises(ValueError, match="does not require grad"):
        Tensor([1.0]).retain_grad()


def test_backward_of_a_non_scalar_needs_a_gradient_of_its_shape() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    with pytest.raises(ValueError, match=r"needs gradient=.*\.sum\(\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(2,\)"):
        y.backward(gradient=np.ones(2))
    y.backward(gradient=np.array([1.0, 0.0, -1.0]))
    assert x.grad is not None and x.grad.tolist() == [2.0, 0.0, -6.0]


def test_backward_without_a_graph_is_refused() -> None:
    with pytest.raises(ValueError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_a_grad_is_an_array_of_the_inputs_shape_and_dtype() -> None:
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    (x * np.arange(3.0)).sum().backward()  # a float64 constant: the result is float64
    assert x.grad is not None and x.grad.dtype == np.float32 and x.grad.shape == (2, 3)


def test_broadcasting_into_leading_and_size_one_axes_sums_the_gradient_back() -> None:
    matrix = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    row = Tensor([10.0, 20.0, 30.0], requires_grad=True)  # stretched along a new axis 0
    column = Tensor([[1.0], [2.0]], requires_grad=True)  # stretched along its axis of size 1
    (matrix * row + column).sum().backward()
    assert row.grad is not None and row.grad.tolist() == [3.0, 5.0, 7.0]  # column sums
    assert column.grad is not None and column.grad.tolist() == [[3.0], [3.0]]
    assert matrix.grad is not None and matrix.grad.tolist() == [[10.0, 20.0, 30.0]] * 2


def test_max_splits_the_gradient_evenly_among_ties() -> None:
    x = Tensor([[3.0, 1.0, 3.0], [0.0, 2.0, 2.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    assert x.grad is not None and x.grad.tolist() == [[0.5, 0.0, 0.5], [0.0, 0.5, 0.5]]
    y = Tensor([5.0, 5.0, 5.0, 1.0], requires_grad=True)
    y.max().backward()
    assert y.grad is not None and y.grad.tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0.0])


def test_gradients_of_repeated_integer_indices_add_up() -> None:
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 2, 0, 0]].sum().backward()
    assert x.grad is not None and x.grad.tolist() == [3.0, 0.0, 1.0]
    table = Tensor(np.zeros((4, 2)), requires_grad=True)
    table[np.array([1, 1, 3])].sum().backward()
    assert table.grad is not None and table.grad[:, 0].tolist() == [0.0, 2.0, 0.0, 1.0]
    with pytest.raises(IndexError, match="positions or a mask"):
        table[Tensor([1.0, 0.0, 1.0, 0.0])]  # floats: a mask, or rows 1, 0, 1, 0?


def test_every_kind_of_index_sends_the_gradient_to_the_elements_it_picked() -> None:
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    mask = x.data > 6
    picked = [x[1], x[1:, ::2], x[None, 0], x[..., -1], x[mask], x[[0, 2], [1, 3]]]
    sum(piece.sum() for piece in picked).backward()  # type: ignore[union-attr]
    expected = np.zeros((3, 4))
    expected[1] += 1
    expected[1:, ::2] += 1
    expected[0] += 1
    expected[:, -1] += 1
    expected[mask] += 1
    expected[[0, 2], [1, 3]] += 1
    assert x.grad is not None and np.array_equal(x.grad, expected)


def test_concatenate_stack_and_where_hand_each_input_its_share() -> None:
    a = Tensor([[1.0, 2.0]], requires_grad=True)
    b = Tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    weights = np.arange(6.0).reshape(3, 2)
    (concatenate([a, b]) * weights).sum().backward()
    assert a.grad is not None and a.grad.tolist() == [[0.0, 1.0]]
    assert b.grad is not None and b.grad.tolist() == [[2.0, 3.0], [4.0, 5.0]]
    c, d = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    (stack([c, d, c], axis=1) * np.arange(6.0).reshape(2, 3)).sum().backward()
    assert c.grad is not None and c.grad.tolist() == [2.0, 8.0]
    x = Tensor([-1.0, 2.0, -3.0], requires_grad=True)
    where(x > 0, x, x * 10.0).sum().backward()
    assert x.grad is not None and x.grad.tolist() == [10.0, 1.0, 10.0]


def test_create_graph_gives_gradients_that_can_be_differentiated_again() -> None:
    # f(x) = sum(x**3): gradient 3x**2, Hessian diag(6x); H @ v by a second backward.
    x = Tensor([1.0, 2.0, -1.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    gradient = x.grad
    assert isinstance(gradient, Tensor) and gradient.requires_grad
    assert gradient.data.tolist() == [3.0, 12.0, 3.0]
    x.grad = None
    v = np.array([1.0, 0.5, 2.0])
    (gradient * v).sum().backward()
    assert x.grad is not None and np.asarray(x.grad).tolist() == [6.0, 6.0, -12.0]


def test_create_graph_through_matmul_tanh_and_broadcasting_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    w0, x_data, v = (
        rng.standard_normal((3, 2)),
        rng.standard_normal((4, 3)),
        rng.standard_normal((3, 2)),
    )

    def gradient_at(weights: np.ndarray) -> Tensor:  # type: ignore[type-arg]
        w = Tensor(weights, requires_grad=True)
        ((Tensor(x_data) @ w).tanh().sum(axis=0) ** 2).mean().backward(create_graph=True)
        assert isinstance(w.grad, Tensor)
        return w.grad

    w = Tensor(w0, requires_grad=True)
    ((Tensor(x_data) @ w).tanh().sum(axis=0) ** 2).mean().backward(create_graph=True)
    assert isinstance(w.grad, Tensor)
    first = w.grad
    w.grad = None
    (first * v).sum().backward()  # H @ v
    eps = 1e-6
    numeric = (gradient_at(w0 + eps * v).data - gradient_at(w0 - eps * v).data) / (2 * eps)
    assert w.grad is not None
    assert np.allclose(np.asarray(w.grad), numeric, rtol=1e-6, atol=1e-8)


def test_a_chain_of_100000_ops_runs_backward_without_recursion() -> None:
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad is not None and x.grad.tolist() == [1.0]


def test_a_dropped_graph_is_freed_without_the_cycle_collector() -> None:
    gc.disable()
    try:
        x = Tensor(np.ones((3, 3)), requires_grad=True)
        hidden = (x @ x).tanh()
        alive = weakref.ref(hidden)
        loss = (hidden * 2).sum()
        del hidden
        loss.backward()
        assert alive() is not None
        del loss
        assert alive() is None  # freed by reference counting alone: no cycles
    finally:
        gc.enable()


def test_the_graph_order_lists_inputs_first_and_skips_what_needs_no_grad() -> None:
    x = Tensor([1.0], requires_grad=True)
    constant = Tensor([2.0])
    y = (x * constant).exp()
    order = topological_order(y)
    assert order[0] is x and order[-1] is y and constant not in set(order)


# ---------------------------------------------------------------------- no_grad, shared


def test_no_grad_switches_off_recording_for_values_and_tensors_alike() -> None:
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
        v = Value(1.0) * 2
    assert (y.op, y.requires_grad, v.op) == ("", False, "")
    assert (x * 2).requires_grad


def test_no_grad_in_another_thread_leaves_tensor_training_recording() -> None:
    inside, done = threading.Event(), threading.Event()

    def evaluate() -> None:
        with no_grad():
            inside.set()
            done.wait(5)

    thread = threading.Thread(target=evaluate)
    thread.start()
    inside.wait(5)
    try:
        w = Tensor([2.0], requires_grad=True)
        (w * w).sum().backward()
    finally:
        done.set()
        thread.join(10)
    assert w.grad is not None and w.grad.tolist() == [4.0]


# ---------------------------------------------------------------------- extremes and NaN


def test_softmax_family_is_stable_at_logits_of_1000() -> None:
    logits = Tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    assert logits.softmax().data.tolist() == [[1.0, 0.0, 0.0]]
    assert logits.log_softmax().data.tolist() == [[0.0, -1000.0, -2000.0]]
    assert logits.logsumexp().data.tolist() == [1000.0]
    logits.log_softmax()[0, 0].backward()
    assert logits.grad is not None and np.all(np.isfinite(logits.grad))


def test_nan_in_gives_nan_out_as_in_pytorch() -> None:
    x = Tensor([np.nan, 1.0], requires_grad=True)
    for result in (
        x.relu(),
        x.leaky_relu(),
        x.clamp(-1, 1),
        abs(x),
        x.tanh(),
        x.softplus(),
        x.sigmoid(),
        x.exp(),
        x.max(keepdims=True),
    ):
        assert np.isnan(result.data[0]), result.op
    assert np.isnan(x.log().data[0]) and np.isnan(x.sqrt().data[0])


def test_a_masked_gradient_stays_zero_under_an_infinite_gradient_from_above() -> None:
    x = Tensor([-1.0, 4.0], requires_grad=True)
    x.relu().sqrt().sum().backward()  # d sqrt/du is inf at u = 0; relu blocks it
    assert x.grad is not None and x.grad.tolist() == [0.0, 0.25]
    y = Tensor([-3.0, 0.5], requires_grad=True)
    y.clamp(0.0, 1.0).sqrt().sum().backward()
    assert y.grad is not None and y.grad[0] == 0.0


def test_overflow_and_division_by_zero_follow_ieee_without_warnings() -> None:
    with warnings.catch_warnings(record=True) as caught:
        big = Tensor([1000.0], requires_grad=True)
        assert big.exp().data[0] == np.inf
        assert (Tensor([1.0]) / Tensor([0.0])).data[0] == np.inf
        assert np.isnan((Tensor([0.0]) / Tensor([0.0])).data[0])
        (big.exp() * 0.0).sum().backward()
        assert big.sigmoid().data[0] == 1.0 and (-big).sigmoid().data[0] == 0.0
        Tensor([0.0], requires_grad=True).sqrt().sum().backward()  # d/dx sqrt(x) at 0: inf
    assert caught == []


INF, NAN = np.inf, np.nan


def _ieee_results() -> dict[str, Callable[[], object]]:
    """Ops whose IEEE result is inf or nan, each as a function returning the numbers: the
    tensors are made here, before the caller changes the warnings filters."""
    infinities = Tensor([INF, -INF], requires_grad=True)
    zero = Tensor([0.0], requires_grad=True)
    large = Tensor([1000.0, -1000.0], requires_grad=True)
    with_nan = Tensor([NAN, 1.0], requires_grad=True)

    def max_gradient() -> object:
        with_nan.grad = None
        with_nan.max().backward()
        return with_nan.grad

    def exp_times_zero_gradient() -> object:
        large.grad = None
        (large.exp() * 0.0).sum().backward()  # d/dx = e**x * 0 = inf * 0 at x = 1000
        return large.grad

    return {
        "sum": lambda: infinities.sum().data,
        "mean": lambda: infinities.mean().data,
        "sum over an axis": lambda: infinities.reshape(1, 2).sum(axis=1).data,
        "inf - inf": lambda: (infinities[:1] - infinities[:1]).data,
        "inf * 0": lambda: (infinities * 0).data,
        "matmul inf * 0": lambda: (infinities @ Tensor([0.0, 0.0])).data,
        "0 / 0": lambda: (zero / zero).data,
        "1 / 0": lambda: (1.0 / zero).data,
        "0 ** -1": lambda: (zero**-1).data,
        "exp overflow": lambda: large.exp().data,
        "sigmoid far out": lambda: large.sigmoid().data,
        "leaky_relu(0) at inf": lambda: infinities.leaky_relu(0.0).data,
        "softmax of inf": lambda: infinities.softmax().data,
        # (only its first element: the second is -inf here, nan in PyTorch; not the subject)
        "log_softmax of inf": lambda: infinities.log_softmax().data[:1],
        "max backward at nan": max_gradient,
        "backward through inf * 0": exp_times_zero_gradient,
    }


EXPECTED_IEEE = {
    "sum": NAN,
    "mean": NAN,
    "sum over an axis": [NAN],
    "inf - inf": [NAN],
    "inf * 0": [NAN, NAN],
    "matmul inf * 0": NAN,
    "0 / 0": [NAN],
    "1 / 0": [INF],
    "0 ** -1": [INF],
    "exp overflow": [INF, 0.0],
    "sigmoid far out": [1.0, 0.0],
    "leaky_relu(0) at inf": [INF, NAN],  # 0 * -inf, as in PyTorch
    "softmax of inf": [NAN, NAN],
    "log_softmax of inf": [NAN],
    "max backward at nan": [NAN, NAN],
    "backward through inf * 0": [NAN, 0.0],
}


@pytest.mark.parametrize("user_filter", ["error", "always", None])
def test_ieee_results_come_without_a_warning_whatever_filter_the_user_set(
    user_filter: str | None,
) -> None:
    # A filter set after the tensors were made goes in front of the package's own; and
    # x.sum() would run in numpy's Python code, outside the package's filter.
    results = _ieee_results()
    assert results.keys() == EXPECTED_IEEE.keys()
    with warnings.catch_warnings(record=True) as caught:
        if user_filter is not None:
            warnings.simplefilter(user_filter)  # type: ignore[call-overload]
        got = {name: np.asarray(make()) for name, make in results.items()}
    assert [str(warning.message) for warning in caught] == []
    for name, expected in EXPECTED_IEEE.items():
        np.testing.assert_array_equal(got[name], expected, err_msg=name)


def test_the_users_own_numpy_warnings_still_reach_the_user() -> None:
    Tensor([INF]) - Tensor([INF])  # puts the package's filter first
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.array([INF, -INF]).sum()
        np.array([INF]) * 0
    assert len(caught) == 2 and all(w.category is RuntimeWarning for w in caught)


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ("abc", TypeError),
        (None, TypeError),
        (True, TypeError),
        ([1, "a"], TypeError),
        ([1.0, None], TypeError),
        (np.array([1 + 2j]), TypeError),
        (np.array([object()]), TypeError),
        ([[1.0, 2.0], [3.0]], ValueError),
    ],
)
def test_what_is_not_an_array_of_real_numbers_is_refused(data: object, error: type) -> None:
    with pytest.raises(error, match=r"Tensor\(\) expects"):
        Tensor(data)


def test_bad_arguments_to_the_constructors_are_refused() -> None:
    with pytest.raises(ValueError, match="dtype must be"):
        Tensor([1.0], dtype="int32")
    with pytest.raises(TypeError, match="requires_grad"):
        Tensor([1.0], requires_grad=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed"):
        Tensor.randn(2, seed=-1)
    with pytest.raises(TypeError, match="whole numbers"):
        Tensor.zeros(2.5)


def test_shapes_that_do_not_broadcast_name_the_op_and_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"\+: shapes \(2, 3\) and \(4,\) do not broadcast"):
        Tensor.ones(2, 3) + Tensor.ones(4)
    with pytest.raises(ValueError, match=r"where: shapes"):
        where(np.ones(3, dtype=bool), Tensor.ones(2), 0.0)


def test_matmul_and_reshape_mismatches_name_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"@ \(matmul\): shapes \(2, 3\) and \(4, 5\) .*3 columns"):
        Tensor.ones(2, 3) @ Tensor.ones(4, 5)
    with pytest.raises(ValueError, match=r"at least one axis"):
        Tensor(2.0) @ Tensor.ones(3)
    with pytest.raises(
        ValueError, match=r"reshape: .*shape \(2, 3\) \(6 elements\) into shape \(4,\)"
    ):
        Tensor.ones(2, 3).reshape(4)


def test_log_sqrt_and_powers_outside_their_domain_name_the_count_and_first_index() -> None:
    x = Tensor([[1.0, -2.0], [0.0, -4.0]])
    with pytest.raises(
        ValueError, match=r"log needs x > 0, but 3 of 4 .* index \(0, 1\), is -2\.0"
    ):
        x.log()
    with pytest.raises(ValueError, match=r"sqrt needs x >= 0, but 2 of 4 .* index \(0, 1\)"):
        x.sqrt()
    with pytest.raises(ValueError, match=r"\*\*.*fractional"):
        x**0.5
    with pytest.raises(ValueError, match=r"base > 0 when the exponent requires grad"):
        x ** Tensor([2.0, 2.0], requires_grad=True)


def test_bad_axes_indices_and_options_are_refused_where_they_are_given() -> None:
    x = Tensor.ones(2, 3)
    with pytest.raises(ValueError, match="sum: axis 2 is out of range"):
        x.sum(axis=2)
    with pytest.raises(TypeError, match="axis must be a whole number"):
        x.mean(axis=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="transpose"):
        x.transpose(0, 0)
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        x[5]
    with pytest.raises(ValueError, match="low <= high"):
        x.clamp(1.0, -1.0)
    with pytest.raises(ValueError, match="stack: every tensor needs the same shape"):
        stack([Tensor.ones(2), Tensor.ones(3)])
    with pytest.raises(ValueError, match="concatenate: shapes"):
        concatenate([Tensor.ones(2, 2), Tensor.ones(2, 3)])
    with pytest.raises(TypeError, match="list of Tensors"):
        concatenate(Tensor.ones(2))  # type: ignore[arg-type]


def test_setting_requires_grad_on_a_result_is_refused() -> None:
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="leaf"):
        (x * 2).requires_grad = False


# ---------------------------------------------------------------------- the tutorial as matrices


def test_the_tutorial_network_as_matrices_gives_the_worked_examples_gradient_exactly() -> None:
    weights_1 = Tensor([[1.0, 1.0], [1.0, 1.0]], requires_grad=True)  # rows: h1, h2
    biases_1 = Tensor([0.0, 0.0], requires_grad=True)
    weights_2 = Tensor([[1.0, 1.0]], requires_grad=True)  # w5, w6
    biases_2 = Tensor([0.0], requires_grad=True)
    alice = Tensor([-2.0, -1.0])
    hidden = (weights_1 @ alice + biases_1).sigmoid()
    y_pred = (weights_2 @ hidden + biases_2).sigmoid()
    loss = ((1.0 - y_pred) ** 2).sum()
    loss.backward()
    assert weights_1.grad is not None and weights_1.grad[0, 0] == 0.02146953526581111
    scalar_loss, model = tutorial_loss()
    scalar_loss.backward()
    scalar = [parameter.grad for parameter in model.parameters()]
    tensor = [
        *weights_1.grad[0],
        biases_1.grad[0],
        *weights_1.grad[1],
        biases_1.grad[1],  # type: ignore[index]
        *weights_2.grad[0],
        biases_2.grad[0],
    ]  # type: ignore[index]
    assert tensor == scalar  # every one of the nine, bit for bit
    assert loss.item() == scalar_loss.data


# ---------------------------------------------------------------------- gradients as functions


def test_gradients_returns_them_without_touching_grad_and_gives_zeros_if_unused() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    unused = Tensor([3.0], requires_grad=True)
    dx, dunused = gradients((x**2).sum(), [x, unused])
    assert dx.tolist() == [2.0, 4.0] and dunused.tolist() == [0.0]  # type: ignore[union-attr]
    assert x.grad is None and unused.grad is None


def test_grad_of_grad_works_for_functions_of_tensors() -> None:
    def f(x: Tensor) -> Tensor:
        return x.tanh().sum()

    point = np.array([0.5, -1.0])
    first = grad(f)(point)
    second = grad(lambda x: grad(f)(x).sum())(point)
    tanh = np.tanh(point)
    assert np.allclose(first, 1 - tanh**2, rtol=1e-15)
    assert np.allclose(second, -2 * tanh * (1 - tanh**2), rtol=1e-14)


def test_value_and_grad_of_tensors_returns_a_float_and_arrays() -> None:
    value, (d_weights, d_inputs) = value_and_grad(
        lambda w, x: ((x @ w) ** 2).mean(), argnums=(0, 1)
    )(np.ones((2, 1)), np.arange(4.0).reshape(2, 2))
    assert value == 13.0
    assert d_weights.tolist() == [[10.0], [16.0]] and d_inputs.tolist() == [[1.0, 1.0], [5.0, 5.0]]
    with pytest.raises(TypeError, match="one-element Tensor"):
        grad(lambda x: x * 2)(np.ones(3))


def test_slicing_a_sequence_step_by_step_adds_into_one_buffer_in_backward(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The table's rule for x[index] makes an array of zeros of x's whole size; used once
    # per step of a sequence, that is quadratic work in the number of steps. Ordinary
    # backward adds every slice's gradient into one buffer instead: the rule never runs.
    import tinygrad_edu.tensor as tensor_module

    whole_size_arrays: list[tuple[int, ...]] = []
    scatter = tensor_module._scatter_add

    def counted(g: object, shape: tuple[int, ...], index: object) -> object:
        whole_size_arrays.append(shape)
        return scatter(g, shape, index)

    monkeypatch.setattr(tensor_module, "_scatter_add", counted)
    x = Tensor(np.ones((50, 8)), requires_grad=True)
    loss = x[0].sum()
    for step in range(1, 50):
        loss = loss + (x[step] * 2.0).sum()
    loss.backward()
    assert whole_size_arrays == []
    assert x.grad is not None and x.grad[1:].min() == 2.0 and x.grad[0].tolist() == [1.0] * 8


def test_an_index_gradient_is_added_to_other_paths_without_touching_their_arrays() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    shared = y + 0.0  # its rule hands y the very array it got
    (shared.sum() + y[0] * 5.0 + y[[2, 2]].sum()).backward()
    assert x.grad is not None and x.grad.tolist() == [6.0, 1.0, 3.0]
