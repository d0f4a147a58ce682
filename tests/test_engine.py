"""Exact semantics of Value: the graph it records, backward, accumulation, no_grad,
bad input, numerical extremes, and graphs a million nodes deep or wide."""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import Value, gradient_graph, is_grad_enabled, no_grad, topological_order
from tinygrad_edu.engine import LOCAL_GRAD_RULES, MASKED

# ---------------------------------------------------------------------- the graph


def test_a_leaf_has_no_inputs_and_an_empty_op() -> None:
    a = Value(2, label="a")
    assert (a.data, a.grad, a.label, a.op, a.inputs, a.local_grads) == (2.0, 0.0, "a", "", (), ())
    assert isinstance(a.data, float)


def test_inputs_are_ordered_and_keep_repeats() -> None:
    a, b = Value(2.0), Value(3.0)
    assert (a - b).inputs == (a, b)
    assert (b - a).inputs == (b, a)
    square = a * a
    assert square.inputs == (a, a)
    assert square.local_grads == (2.0, 2.0)


def test_plain_numbers_become_constant_leaves_on_either_side() -> None:
    a = Value(2.0)
    for result, expected in [
        (a + 1, 3.0),
        (1 + a, 3.0),
        (a - 1, 1.0),
        (3 - a, 1.0),
        (a * 3, 6.0),
        (3 * a, 6.0),
        (a / 4, 0.5),
        (2 / a, 1.0),
    ]:
        assert result.data == expected
        assert len(result.inputs) == 2
        assert a in result.inputs
        constant = next(node for node in result.inputs if node is not a)
        assert constant.op == "" and constant.inputs == ()


def test_numeric_ops_compute_the_right_numbers() -> None:
    a = Value(2.0)
    cube = a**3
    assert (cube.data, cube.op, cube.inputs[0], cube.inputs[1].data) == (8.0, "**", a, 3.0)
    assert (2**a).data == 4.0 and (2**a).op == "**"
    assert (-a).data == -2.0
    assert a.exp().data == math.exp(2.0)
    assert a.log().data == math.log(2.0)
    assert a.tanh().data == math.tanh(2.0)
    assert a.sigmoid().data == 1 / (1 + math.exp(-2.0))
    assert a.relu().data == 2.0 and (-a).relu().data == 0.0
    assert (-a).leaky_relu().data == pytest.approx(-0.02)
    assert a.softplus().data == pytest.approx(math.log1p(math.exp(2.0)))
    assert a.sqrt().data == math.sqrt(2.0)
    assert abs(-a).data == 2.0
    assert [a.clamp(0, 1).data, a.clamp(3, 4).data, a.clamp(0, 5).data] == [1.0, 3.0, 2.0]
    assert (Value(-2.0) ** 3).data == -8.0


def test_comparisons_look_at_data_and_equality_is_identity() -> None:
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= 1 and b > 1.5 and b >= b
    assert Value(1.0) != Value(1.0)
    assert len({a, b, a}) == 2
    assert max([a, b]) is b


def test_math_functions_and_float_refuse_a_value_rather_than_drop_its_gradient() -> None:
    with pytest.raises(TypeError):
        math.sin(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        float(Value(1.0))  # type: ignore[arg-type]


def test_an_int_too_large_for_a_float_says_so() -> None:
    with pytest.raises(OverflowError, match="too large"):
        Value(10**400)
    with pytest.raises(OverflowError, match="too large"):
        Value(1.0) + 10**400


def test_repr_shows_data_grad_and_label() -> None:
    assert repr(Value(1.5, label="w1")) == "Value(data=1.5, grad=0.0, label='w1')"
    assert repr(Value(1.5)) == "Value(data=1.5, grad=0.0)"


def test_numpy_scalars_are_accepted_and_numpy_arrays_broadcast() -> None:
    assert Value(np.float64(1.5)).data == 1.5
    assert Value(np.int64(3)).data == 3.0
    assert Value(np.float32(0.5)).data == 0.5
    products = np.array([1.0, 2.0]) * Value(3.0)
    assert [p.data for p in products] == [3.0, 6.0]


# ---------------------------------------------------------------------- backward


def test_backward_on_the_tutorial_neuron() -> None:
    w1, w2, b = Value(0.0), Value(1.0), Value(4.0)
    y = (w1 * 2 + w2 * 3 + b).sigmoid()
    assert y.data == 0.9990889488055994
    y.backward()
    slope = y.data * (1 - y.data)
    assert (w1.grad, w2.grad, b.grad) == (2 * slope, 3 * slope, slope)


def test_a_value_used_twice_gets_both_contributions() -> None:
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0
    b = Value(3.0)
    (b + b).backward()
    assert b.grad == 2.0


def test_diamond_sums_gradients_over_both_paths() -> None:
    a = Value(2.0)
    left, right = a * 3, a + 1  # d = (3a) * (a + 1) = 3a**2 + 3a
    d = left * right
    d.backward()
    assert a.grad == 6 * 2.0 + 3
    assert (left.grad, right.grad) == (right.data, left.data)


def test_second_backward_adds_to_every_node_and_zero_grad_resets() -> None:
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c.tanh() + c
    d.backward()
    first = [node.grad for node in (a, b, c, d)]
    d.backward()
    assert [node.grad for node in (a, b, c, d)] == [2 * g for g in first]
    d.zero_grad()
    assert [node.grad for node in (a, b, c, d)] == [0.0] * 4
    d.backward()
    assert [node.grad for node in (a, b, c, d)] == first


def test_backward_of_a_leaf_sets_its_grad_to_one() -> None:
    a = Value(5.0)
    a.backward()
    assert a.grad == 1.0


def test_topological_order_puts_every_input_before_its_output() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order[-1] is e and len(order) == len(set(order)) == 5
    position = {node: index for index, node in enumerate(order)}
    for node in order:
        assert all(position[input] < position[node] for input in node.inputs)


def test_a_chain_a_million_deep_runs_backward() -> None:
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_builtin_sum_of_a_million_leaves_runs_backward() -> None:
    leaves = [Value(1.0) for _ in range(1_000_000)]
    total = sum(leaves)
    assert isinstance(total, Value) and total.data == 1_000_000.0
    total.backward()
    assert all(leaf.grad == 1.0 for leaf in leaves)


def test_one_value_feeding_a_million_ops_gets_every_contribution() -> None:
    x = Value(2.0)
    total = Value(0.0)
    for _ in range(1_000_000):
        total = total + x
    total.backward()
    assert x.grad == 1_000_000.0


def test_a_dropped_graph_is_freed_without_the_cycle_collector() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        y = x
        for _ in range(1000):
            y = (y * 2).tanh() + x
        y.backward()
        del x, y
        assert gc.collect() == 0  # nothing was left for the collector: no cycles
    finally:
        gc.enable()


# ---------------------------------------------------------------------- no_grad


def test_no_grad_records_no_graph_and_restores_recording() -> None:
    a = Value(2.0)
    with no_grad():
        b = a * 3 + 1
        with no_grad():
            c = b.tanh()
        d = c * 2
    assert (b.inputs, b.op, d.inputs) == ((), "", ())
    assert b.data == 7.0
    assert (a * 2).inputs != ()


def test_no_grad_works_as_a_decorator_and_survives_exceptions() -> None:
    @no_grad()
    def evaluate(x: Value) -> Value:
        return x * x

    assert evaluate(Value(3.0)).inputs == ()
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1.0) / 0
    assert (Value(1.0) * 2).inputs != ()


def test_no_grad_in_overlapping_threads_leaves_every_thread_recording_afterwards() -> None:
    # Thread a enters no_grad, then b; a leaves first, then b. With one process-wide
    # switch, b's exit restored a's "off" and recording stayed off for everyone.
    a_entered, b_entered, a_left = threading.Event(), threading.Event(), threading.Event()
    seen_inside: dict[str, bool] = {}

    def first() -> None:
        with no_grad():
            a_entered.set()
            b_entered.wait(5)
        a_left.set()

    def second() -> None:
        a_entered.wait(5)
        with no_grad():
            b_entered.set()
            a_left.wait(5)
            seen_inside["b"] = is_grad_enabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen_inside == {"b": False}
    assert is_grad_enabled()
    x = Value(2.0)
    (x * x).backward()
    assert x.grad == 4.0


def test_no_grad_in_one_thread_does_not_stop_recording_in_another() -> None:
    inside, finished = threading.Event(), threading.Event()

    def predictions() -> None:
        with no_grad():
            inside.set()
            finished.wait(5)

    thread = threading.Thread(target=predictions)
    thread.start()
    inside.wait(5)
    try:
        w = Value(3.0)
        loss = (w * 2.0 - 1.0) ** 2
        loss.backward()
    finally:
        finished.set()
        thread.join(10)
    assert loss.op == "**"
    assert w.grad == 2 * (3.0 * 2.0 - 1.0) * 2.0


def test_a_new_thread_starts_recording_even_inside_no_grad() -> None:
    recording_in_thread: list[bool] = []
    with no_grad():
        thread = threading.Thread(target=lambda: recording_in_thread.append(is_grad_enabled()))
        thread.start()
        thread.join(10)
        assert not is_grad_enabled()
    assert recording_in_thread == [True]


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("thing", "type_name"),
    [("abc", "str"), (None, "NoneType"), (True, "bool"), ([1], "list"), (1 + 2j, "complex")],
)
def test_non_numbers_are_rejected_with_their_type(thing: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=f"Value\\(\\) expects a real number, got {type_name}"):
        Value(thing)  # type: ignore[arg-type]


def test_a_label_must_be_text() -> None:
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("other", ["abc", None, True, [1]])
def test_ops_with_non_numbers_raise_type_error(other: object) -> None:
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) + other  # type: ignore[operator]
    with pytest.raises(TypeError, match="unsupported operand"):
        other - Value(1.0)  # type: ignore[operator]


@pytest.mark.parametrize("data", [0.0, -1.0])
def test_log_of_a_non_positive_number_is_a_domain_error(data: float) -> None:
    with pytest.raises(ValueError, match="math domain error: log is defined for a > 0"):
        Value(data).log()


def test_negative_base_to_a_fractional_power_is_a_domain_error() -> None:
    with pytest.raises(ValueError, match=r"negative base .* fractional power"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(ValueError, match="positive base"):
        Value(-2.0) ** Value(2.0)
    with pytest.raises(ValueError, match="sqrt"):
        Value(-1.0).sqrt()


@pytest.mark.parametrize(
    "divide", [lambda: Value(1.0) / 0, lambda: 1 / Value(0.0), lambda: Value(0.0) ** -1]
)
def test_division_by_zero_says_so(divide: object) -> None:
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        divide()  # type: ignore[operator]


# ---------------------------------------------------------------------- extremes


def test_sigmoid_tanh_and_exp_are_sound_at_the_extremes() -> None:
    for x, expected in [(-1000.0, 0.0), (1000.0, 1.0)]:
        y = Value(x).sigmoid()
        y.backward()
        assert y.data == expected and y.inputs[0].grad == 0.0
        t = Value(x).tanh()
        t.backward()
        assert t.data == math.copysign(1.0, x) and t.inputs[0].grad == 0.0
    assert Value(-1000.0).exp().data == 0.0
    assert Value(1000.0).exp().data == math.inf  # IEEE overflow, not an exception
    assert Value(-1000.0).softplus().data == 0.0
    assert Value(1000.0).softplus().data == 1000.0
    assert (Value(10.0) ** 400).data == math.inf
    assert (Value(-10.0) ** 401).data == -math.inf


def test_kinks_use_pytorchs_conventions() -> None:
    for op in (lambda v: v.relu(), lambda v: abs(v)):
        x = Value(0.0)
        op(x).backward()
        assert x.grad == 0.0
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf  # sqrt is vertical at 0
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0


def test_clamp_passes_gradient_only_inside_its_bounds() -> None:
    grads = []
    for data in (-1.0, 0.0, 0.5, 1.0, 2.0):
        x = Value(data)
        x.clamp(0.0, 1.0).backward()
        grads.append(x.grad)
    assert grads == [0.0, 1.0, 1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="low <= high"):
        Value(0.0).clamp(1.0, 0.0)


# ---------------------------------------------------------------------- NaN, inf and masks
# PyTorch (float64) is the reference: every op lets NaN through, and where PyTorch
# masks a gradient (relu below 0, clamp outside its bounds, x**0) no gradient passes,
# not even 0 * inf = nan; every other zero derivative multiplies, as in PyTorch.

NAN, INF = math.nan, math.inf

# name: (our op on a Value, PyTorch's op on a tensor)
OPS_AND_TORCH: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "neg": (lambda v: -v, lambda t: -t),
    "exp": (lambda v: v.exp(), lambda t: t.exp()),
    "log": (lambda v: v.log(), lambda t: t.log()),
    "tanh": (lambda v: v.tanh(), lambda t: t.tanh()),
    "sigmoid": (lambda v: v.sigmoid(), lambda t: t.sigmoid()),
    "relu": (lambda v: v.relu(), lambda t: t.relu()),
    "leaky_relu": (
        lambda v: v.leaky_relu(),
        lambda t: __import__("torch").nn.functional.leaky_relu(t, 0.01),
    ),
    "softplus": (lambda v: v.softplus(), lambda t: __import__("torch").nn.functional.softplus(t)),
    "sqrt": (lambda v: v.sqrt(), lambda t: t.sqrt()),
    "abs": (lambda v: abs(v), lambda t: t.abs()),
    "clamp": (lambda v: v.clamp(0.0, 1.0), lambda t: t.clamp(0.0, 1.0)),
    "x**0": (lambda v: v**0, lambda t: t**0),
    "x**2": (lambda v: v**2, lambda t: t**2),
    "x**3": (lambda v: v**3, lambda t: t**3),
    "x**0.5": (lambda v: v**0.5, lambda t: t**0.5),
    "2**x": (lambda v: 2**v, lambda t: 2**t),
    "x*0": (lambda v: v * 0.0, lambda t: t * 0.0),
    "x+1": (lambda v: v + 1.0, lambda t: t + 1.0),
    "1-x": (lambda v: 1.0 - v, lambda t: 1.0 - t),
    "2/x": (lambda v: 2.0 / v, lambda t: 2.0 / t),
}
POINTS = (NAN, -INF, -1.0, 0.0, 0.5, 2.0, INF)
UPSTREAMS = (1.0, INF, NAN)


def same(a: float, b: float) -> bool:
    """Equal, or both NaN, or within rounding (softplus and 2**x round differently)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-12 * abs(b)


def ours(op: Callable[[Any], Any], x: float, upstream: float) -> tuple[float, float] | None:
    """op(x) and d(upstream * op(x))/dx by our engine; None where we refuse x."""
    leaf = Value(x)
    try:
        out = op(leaf)
    except (ValueError, ZeroDivisionError):  # outside the op's domain: refused, not NaN
        return None
    (out * Value(upstream)).backward()  # the gradient arriving at out is upstream
    return out.data, leaf.grad


@pytest.mark.parametrize("name", sorted(OPS_AND_TORCH))
def test_every_op_gives_pytorchs_numbers_at_nan_inf_and_kinks(name: str) -> None:
    torch = pytest.importorskip("torch")
    op, torch_op = OPS_AND_TORCH[name]
    for x in POINTS:
        for upstream in UPSTREAMS:
            mine = ours(op, x, upstream)
            if mine is None:
                continue
            t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            y = torch_op(t)
            y.backward(torch.tensor(upstream, dtype=torch.float64))
            theirs = (y.item(), t.grad.item())
            assert same(mine[0], theirs[0]), (x, upstream, mine, theirs)
            assert same(mine[1], theirs[1]), (x, upstream, mine, theirs)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "abs", "clamp", "softplus", "sigmoid"])
def test_nan_is_never_turned_into_a_number(name: str) -> None:
    out = OPS_AND_TORCH[name][0](Value(NAN))
    assert math.isnan(out.data)


def test_masked_gradients_stay_zero_under_an_infinite_gradient() -> None:
    # sqrt'(0) is inf; relu, clamp and x**0 pass nothing back, as in PyTorch.
    for masking in (lambda v: v.relu(), lambda v: v.clamp(0.0, 1.0), lambda v: v**0 - 1.0):
        x = Value(-1.0)
        masking(x).sqrt().backward()
        assert x.grad == 0.0
    # A zero that is a product, d(a * b)/da at b = 0, multiplies: 0 * inf is NaN there.
    a, b = Value(1.0), Value(0.0)
    (a * b).sqrt().backward()
    assert math.isnan(a.grad)


def test_every_chain_rule_agrees_on_masked_edges() -> None:
    from tinygrad_edu.forward import jvp
    from tinygrad_edu.trace import explain_gradient, trace_backward

    def f(x: Any) -> Any:
        return x.relu().sqrt() * 3.0

    x = Value(-1.0, label="x")
    y = f(x)
    [graph_grad] = gradient_graph(y, [x])
    explanation = explain_gradient(y, x)
    trace_backward(y)
    assert x.grad == 0.0 and graph_grad.data == 0.0
    assert explanation.total == 0.0 and explanation.paths[0].product == 0.0
    assert jvp(f, [-1.0], [1.0]) == (0.0, 0.0)


def local_grads_by_the_table(out: Value) -> tuple[float, ...]:
    return tuple(LOCAL_GRAD_RULES[out.op](*(node.data for node in out.inputs), out.data))


@pytest.mark.parametrize("name", sorted(OPS_AND_TORCH))
@given(x=st.floats(allow_nan=True, allow_infinity=True))
def test_every_op_records_the_local_derivatives_of_the_table(name: str, x: float) -> None:
    # +, -, * and relu write their derivatives inline, for speed: they must agree.
    try:
        out = OPS_AND_TORCH[name][0](Value(x))
    except (ValueError, ZeroDivisionError):
        return
    for recorded, table in zip(out.local_grads, local_grads_by_the_table(out), strict=True):
        assert (recorded is MASKED) == (table is MASKED)
        assert same(recorded, table)


@given(a=st.floats(), b=st.floats())
def test_binary_ops_record_the_local_derivatives_of_the_table(a: float, b: float) -> None:
    for out in (Value(a) + Value(b), Value(a) - Value(b), Value(a) * Value(b)):
        assert all(map(same, out.local_grads, local_grads_by_the_table(out)))


def test_a_graph_walk_refuses_what_is_not_a_value() -> None:
    with pytest.raises(TypeError, match="expects root to be a Value, got int 3"):
        topological_order(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expects output to be a Value"):
        gradient_graph(2.0, [])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"expects inputs\[0\] to be a Value"):
        gradient_graph(Value(1.0), [1.0])  # type: ignore[list-item]


def test_clamp_names_a_bad_bound() -> None:
    with pytest.raises(TypeError, match="clamp\\(\\) expects low to be a real number, got str"):
        Value(0.5).clamp("0", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="clamp\\(\\) needs a number for high, got nan"):
        Value(0.5).clamp(0, NAN)
