"""Pictures, tables and the backward trace of Tensor graphs: shapes, dtypes, labels,
roles, and each step's gradient sizes, agreeing with what backward computes."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import Tensor
from tinygrad_edu.trace import TensorBackwardTrace, trace_backward
from tinygrad_edu.viz import draw_graph, graph_table, graph_tree, render_graph, to_dot


def tutorial_as_matrices() -> tuple[Tensor, Tensor, Tensor]:
    """The tutorial's hidden layer as matrices, and a loss: (loss, W1, b1)."""
    W1 = Tensor([[1.0, 1.0], [1.0, 1.0]], requires_grad=True, label="W1")
    b1 = Tensor([0.0, 0.0], requires_grad=True, label="b1")
    h = (W1 @ Tensor([-2.0, -1.0], label="x") + b1).sigmoid()
    h.label = "h"
    loss = ((1.0 - h) ** 2).sum()
    loss.label = "L"
    return loss, W1, b1


def test_a_tensor_graphs_picture_shows_op_shape_dtype_label_and_small_values() -> None:
    loss, _, _ = tutorial_as_matrices()
    dot = to_dot(loss)
    for text in (
        "<B>W1</B>",
        "(2, 2) float64",
        "data [[1. 1.&#93; [1. 1.&#93;&#93;",  # ] is escaped for Graphviz
        "<B>L</B>",
        "sigmoid",
        "@",
        "() float64",
    ):
        assert text in dot
    assert dot.count("peripheries=2") == 2  # W1 and b1, the leaves that require grad


def test_big_tensors_show_their_grads_norm_not_their_numbers() -> None:
    big = Tensor(np.ones((10, 10)), requires_grad=True, label="big")
    (big * 3.0).sum().backward()
    dot = to_dot(big * 1.0)
    assert "(10, 10) float64" in dot and "grad norm 30" in dot and "data [[" not in dot


def test_a_highlighted_tensor_colours_its_paths_to_the_root() -> None:
    loss, W1, _ = tutorial_as_matrices()
    dot = to_dot(loss, highlight=W1)
    assert dot.count("#dc2626") >= 6
    with pytest.raises(ValueError, match="not a tensor of this graph"):
        to_dot(loss, highlight=Tensor([1.0]))
    with pytest.raises(ValueError, match="show_local_grads is for Values"):
        draw_graph(loss, show_local_grads=True)


def test_a_tensor_graph_renders_and_its_table_lists_every_tensor(tmp_path: object) -> None:
    loss, _, _ = tutorial_as_matrices()
    loss.backward()
    table = graph_table(loss).splitlines()
    assert len(table) == 2 + 11  # header, rule, and the 11 tensors (3 constants among them)
    assert any(
        "W1" in row and "parameter" in row and "[[0.1721 0.0861] [0.1721 0.0861]]" in row
        for row in table
    )
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    picture = render_graph(loss, tmp_path / "graph.svg")
    assert picture.read_text().startswith("<?xml")
    with pytest.raises(TypeError, match="graph_table or draw_graph"):
        graph_tree(loss)  # type: ignore[arg-type]


def test_the_trace_of_a_tensor_backward_shows_each_steps_shapes_and_norms() -> None:
    loss, W1, b1 = tutorial_as_matrices()
    trace = trace_backward(loss)
    assert isinstance(trace, TensorBackwardTrace)
    assert [step.node.op for step in trace.steps] == ["sum", "**", "-", "sigmoid", "+", "@"]
    first = trace.steps[0]
    assert first.upstream_norm == 1.0 and np.shape(first.upstream) == ()
    matmul = trace.steps[-1]
    assert [edge.input for edge in matmul.edges] == [W1]  # x needs no gradient
    assert matmul.edges[0].contribution.shape == (2, 2)
    assert W1.grad is not None and np.array_equal(trace.received(W1), W1.grad)
    assert b1.grad is not None and np.array_equal(trace.received(b1), b1.grad)
    text = trace.table()
    assert "g: shape" in text and "W1     (2, 2)" in text and "leaves:" in text


def test_tracing_leaves_the_gradients_backward_would_leave() -> None:
    loss, W1, _ = tutorial_as_matrices()
    trace_backward(loss)
    traced = np.array(W1.grad)
    other, W1_again, _ = tutorial_as_matrices()
    other.backward()
    assert np.array_equal(traced, np.asarray(W1_again.grad))
