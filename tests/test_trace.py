"""Backprop traced step by step, and gradients explained path by path: both agree
exactly with backward, on the tutorial's worked example and on random graphs."""

from __future__ import annotations

import gc
import math
import time

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tinygrad_edu import Value, topological_order
from tinygrad_edu.trace import explain_gradient, trace_backward
from tinygrad_edu.tutorial import PARAMETER_NAMES, tutorial_loss
from tinygrad_edu.viz import GraphTooLargeError

from .strategies import Expression, expressions, reals, well_conditioned

N_VARIABLES = 3


def worked_example() -> tuple[Value, dict[str, Value]]:
    """The tutorial's loss on Alice, all weights 1 and biases 0, before backward."""
    loss, model = tutorial_loss()
    return loss, dict(zip(PARAMETER_NAMES, model.parameters()))


def build(expression: Expression, numbers: list[float]) -> tuple[Value, list[Value]]:
    """The expression's graph over labelled variables x0, x1, ...; rejects the example
    if it cannot be computed (log of a negative number, division by zero, ...)."""
    variables = [Value(number, label=f"x{index}") for index, number in enumerate(numbers)]
    try:
        root = expression(*variables)
    except (ValueError, ZeroDivisionError):
        assume(False)
    assume(isinstance(root, Value))
    assert isinstance(root, Value)
    return root, variables


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


numbers = st.lists(reals(-3.0, 3.0), min_size=N_VARIABLES, max_size=N_VARIABLES)

# ---------------------------------------------------------------------- the trace


@given(expressions(N_VARIABLES), numbers)
def test_trace_leaves_exactly_the_grads_backward_leaves(
    expression: Expression, values: list[float]
) -> None:
    traced, _ = build(expression, values)
    plain, _ = build(expression, values)
    trace_backward(traced)
    plain.backward()
    for traced_node, plain_node in zip(topological_order(traced), topological_order(plain)):
        assert same(traced_node.grad, plain_node.grad)


@given(expressions(N_VARIABLES), numbers)
def test_contributions_to_each_leaf_sum_to_its_grad(
    expression: Expression, values: list[float]
) -> None:
    root, _ = build(expression, values)
    trace = trace_backward(root)
    for leaf in (node for node in trace.order if not node.inputs and node is not root):
        assert same(sum(trace.contributions_to(leaf)), leaf.grad)


def test_trace_accumulates_like_a_second_backward() -> None:
    a = Value(3.0, label="a")
    y = a * a + a
    trace_backward(y)
    trace = trace_backward(y)
    assert a.grad == 14.0  # 7 from each pass, as two calls of backward give
    assert sum(trace.contributions_to(a)) == 7.0  # the trace records its own pass


def test_trace_walks_the_nodes_in_reverse_topological_order() -> None:
    loss, params = worked_example()
    trace = trace_backward(loss)
    assert [step.node for step in trace.steps] == list(reversed(topological_order(loss)))
    assert trace.steps[0].upstream_grad == 1.0
    for step in trace.steps:
        assert step.upstream_grad == step.node.grad  # complete when its turn comes
        for edge in step.edges:
            assert edge.contribution == edge.local_grad * step.upstream_grad
    assert params["w1"].grad == 0.02146953526581111


def test_the_trace_table_has_a_row_per_edge_and_per_leaf() -> None:
    a = Value(3.0, label="a")
    y = a * a + a
    y.label = "y"
    trace = trace_backward(y)
    assert str(trace) == trace.table()
    assert trace.table().splitlines()[-7:] == [
        "step  node  op    node.grad  input  local grad  sends  input.grad",
        "----  ----  ----  ---------  -----  ----------  -----  ----------",
        "1     y     +     1          #1     1           1      1",
        "                             a      1           1      1",
        "2     #1    *     1          a      3           3      4",
        "                             a      3           3      7",
        "3     a     leaf  7",
    ]
    assert "input.grad += local_grad * node.grad" in trace.table()


def test_trace_refuses_a_big_graph_before_touching_any_grad() -> None:
    x = Value(1.0)
    for _ in range(300):
        x = x * 1.0
    with pytest.raises(GraphTooLargeError):
        trace_backward(x)
    assert all(node.grad == 0.0 for node in topological_order(x))
    trace_backward(x, max_nodes=1000)
    assert x.grad == 1.0


# ---------------------------------------------------------------------- the explanation

TUTORIAL_LINE = (
    "dL/dw1 = dL/dy_pred * dy_pred/dh1 * dh1/dw1 = (-0.953) * (0.249) * (-0.0904) = 0.0215"
)


def test_the_tutorials_dl_dw1_reads_as_in_the_tutorial() -> None:
    """The tutorial prints -0.952 and 0.0214, cut off; we round to 3 significant figures."""
    loss, params = worked_example()
    explanation = explain_gradient(loss, params["w1"])
    assert str(explanation) == TUTORIAL_LINE
    assert explanation.total == pytest.approx(0.02146953526581111, rel=1e-15)
    (path,) = explanation.paths
    assert [str(factor) for factor in path.factors] == ["dL/dy_pred", "dy_pred/dh1", "dh1/dw1"]
    # The tutorial's formulas, with w5 = 1 and x1 = -2:
    h1 = 1 / (1 + math.exp(3))  # f(w1*x1 + w2*x2 + b1) = f(-3)
    y_pred = 1 / (1 + math.exp(-2 * h1))  # f(w5*h1 + w6*h2 + b3), h2 = h1
    by_hand = [-2 * (1 - y_pred), 1 * y_pred * (1 - y_pred), -2 * h1 * (1 - h1)]
    assert [factor.value for factor in path.factors] == pytest.approx(by_hand, rel=1e-12)


def test_every_tutorial_parameter_is_explained_and_grads_are_untouched() -> None:
    loss, params = worked_example()
    explanations = {name: explain_gradient(loss, value) for name, value in params.items()}
    assert all(value.grad == 0.0 for value in params.values())
    loss.backward()
    for name, value in params.items():
        assert explanations[name].total == value.grad
    assert str(explanations["w5"]).startswith("dL/dw5 = dL/dy_pred * dy_pred/dw5 = ")


@given(expressions(N_VARIABLES), numbers, st.lists(st.booleans(), min_size=40, max_size=40))
def test_explained_total_is_the_grad_and_the_sum_of_the_path_products(
    expression: Expression, values: list[float], label_these: list[bool]
) -> None:
    root, variables = build(expression, values)
    # Label some Values in between: each path is then cut into more named factors.
    for index, (node, label) in enumerate(zip(topological_order(root), label_these)):
        if label and node.inputs and not node.label:
            node.label = f"v{index}"
    root.backward()
    for variable in variables:
        explanation = explain_gradient(root, variable, max_paths=50)
        assert same(explanation.total, variable.grad)
        if explanation.paths and well_conditioned(root):
            path_sum = sum(path.product for path in explanation.paths)
            assert path_sum == pytest.approx(explanation.total, rel=1e-9, abs=1e-12)
        assert str(explanation).startswith(f"d{root.label or '#'}")


def test_several_paths_are_listed_and_summed() -> None:
    a = Value(3.0, label="a")
    b = a * a
    b.label = "b"
    y = b + a
    y.label = "y"
    assert str(explain_gradient(y, a)).splitlines() == [
        "dy/da is the sum over 3 paths from y to a of the product of the derivatives "
        "along each path:",
        "  path 1: dy/db * db/da = (1) * (3) = 3",
        "  path 2: dy/db * db/da = (1) * (3) = 3",
        "  path 3: (1) = 1",
        "dy/da = (3) + (3) + (1) = 7",
    ]


def test_too_many_paths_are_not_listed_but_the_total_is_exact() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(60):  # 2**60 paths from y down to x
        y = y + y
    y.label = "y"
    y.backward()
    explanation = explain_gradient(y, x)
    assert explanation.total == x.grad == 2.0**60
    assert explanation.paths == () and explanation.path_count == 21
    assert "more than 20 paths" in str(explanation) and "max_paths=20" in str(explanation)


def test_a_value_the_root_does_not_depend_on_has_gradient_zero() -> None:
    a, q = Value(1.0, label="a"), Value(2.0, label="q")
    y = a * 2
    y.label = "y"
    explanation = explain_gradient(y, q)
    assert explanation.total == 0.0 and explanation.path_count == 0
    assert str(explanation) == "dy/dq = 0: y does not depend on q"
    assert str(explain_gradient(y, y)) == "dy/dy = 1: the leaf is the root itself"


def test_names_that_are_not_one_word_are_put_in_parentheses() -> None:
    w = Value(2.0, label="weight 1")
    loss = w * 3
    loss.label = "my loss"
    assert str(explain_gradient(loss, w)).startswith("d(my loss)/d(weight 1) = (3) = 3")


def test_max_paths_zero_lists_none_and_says_so_and_negative_is_refused() -> None:
    w = Value(1.0, label="w")
    loss = w * 3.0
    loss.label = "L"
    explanation = explain_gradient(loss, w, max_paths=0)
    assert explanation.path_count == 1 and explanation.paths == ()
    assert "more than 0 paths" in str(explanation) and "does not depend" not in str(explanation)
    with pytest.raises(ValueError, match="max_paths must be a whole number >= 0, got -1"):
        explain_gradient(loss, w, max_paths=-1)


def test_explaining_a_big_graph_is_refused_unless_asked() -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(300):
        y = y * 1.0
    with pytest.raises(GraphTooLargeError, match="601 Values"):
        explain_gradient(y, x)
    assert explain_gradient(y, x, max_nodes=601).total == 1.0


def chain(steps: int) -> tuple[Value, Value]:
    """y = -(-(...(-x))), every step labelled, so that each one is a factor."""
    x = Value(1.0, label="x")
    y = x
    for step in range(steps):
        y = -y
        y.label = f"y{step}"
    return y, x


def test_explaining_a_long_chain_takes_time_linear_in_its_length() -> None:
    # Copying the path walked so far at every step made this quadratic: a chain of
    # 80,000 ops took 10 s. Four times the length must take about four times as long
    # (a quadratic walk takes ten times as long, even at these lengths).
    def seconds(steps: int) -> float:
        y, x = chain(steps)
        best = math.inf
        gc.disable()  # a collection of the rest of the test run's heap is not the walk
        try:
            for _ in range(2):
                start = time.process_time()
                explanation = explain_gradient(y, x, max_nodes=steps + 1)
                best = min(best, time.process_time() - start)
        finally:
            gc.enable()
        assert abs(explanation.total) == 1.0 and len(explanation.paths[0].factors) == steps
        return best

    assert seconds(40_000) < 7 * seconds(10_000)


def test_a_masked_edge_makes_a_paths_product_zero_even_next_to_inf() -> None:
    x = Value(-1.0, label="x")
    r = x.relu()
    r.label = "r"  # dL/dr is inf (sqrt at 0), dr/dx is a mask: the product is 0
    loss = r.sqrt()
    loss.label = "L"
    loss.backward()
    explanation = explain_gradient(loss, x)
    assert explanation.total == x.grad == 0.0
    assert explanation.paths[0].product == 0.0
    assert str(explanation).endswith("= 0")
