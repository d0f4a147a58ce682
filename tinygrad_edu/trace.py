"""Backpropagation step by step, and the chain rule written out with numbers.

``trace_backward(loss)`` does what ``loss.backward()`` does, and keeps a record of it:
for each Value, from the output back to the leaves, the gradient that arrived from
above and, for each of its inputs, the local derivative and what it sent down:

    input.grad += local_grad * node.grad        (one row of the trace per edge)

``explain_gradient(loss, w1)`` answers "why is dL/dw1 this number?" in the notation
of the tutorial:

    dL/dw1 = dL/dy_pred * dy_pred/dh1 * dh1/dw1 = (-0.953) * (0.249) * (-0.0904) = 0.0215

Each way down the graph from L to w1 (a *path*) contributes the product of the local
derivatives along it; d(L)/d(w1) is the sum of these products over all paths. Backward
computes that same sum without listing paths, one edge at a time, which is why it is
fast: a graph can have exponentially many paths but only as many edges as it has.

``trace_backward`` also takes a Tensor: each step then shows the shape and size (norm)
of the gradient arriving at a node and of what each input got, since the numbers
themselves are whole arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from tinygrad_edu.engine import Value, topological_order
from tinygrad_edu.tensor import Tensor, backpropagate
from tinygrad_edu.viz import (
    DEFAULT_MAX_NODES,
    checked_order,
    checked_tensor_order,
    depends_on,
    display_names,
    format_number,
    format_table,
    one_line,
    tensor_display_names,
)

DEFAULT_MAX_PATHS = 20

# ---------------------------------------------------------------------- the backward trace


@dataclass(frozen=True)
class EdgeStep:
    """What one edge of the graph did during backward.

    ``contribution = local_grad * grad of the node above``, added to ``input.grad``;
    ``input_grad`` is the input's gradient right after (this backward pass only).
    """

    input: Value
    local_grad: float
    contribution: float
    input_grad: float


@dataclass(frozen=True)
class BackwardStep:
    """One node's turn in backward: its complete gradient d(root)/d(node), arrived
    from above, and what it sent to each of its inputs (nothing, for a leaf)."""

    node: Value
    upstream_grad: float
    edges: tuple[EdgeStep, ...]


@dataclass(frozen=True)
class BackwardTrace:
    """The record of one backward pass: ``steps`` in reverse topological order."""

    root: Value
    order: tuple[Value, ...]
    steps: tuple[BackwardStep, ...]

    def contributions_to(self, value: Value) -> list[float]:
        """Everything backward added to ``value.grad``, in the order it arrived."""
        return [
            edge.contribution for step in self.steps for edge in step.edges if edge.input is value
        ]

    def table(self) -> str:
        """The trace as a table, one row per edge (and one per leaf)."""
        names = display_names(list(self.order), {})
        rows = [["step", "node", "op", "node.grad", "input", "local grad", "sends", "input.grad"]]
        for number, step in enumerate(self.steps, start=1):
            node_cells = [str(number), one_line(names[step.node]), step.node.op or "leaf"]
            node_cells.append(format_number(step.upstream_grad))
            if not step.edges:
                rows.append([*node_cells, "", "", "", ""])
            for edge in step.edges:
                rows.append(
                    [
                        *node_cells,
                        one_line(names[edge.input]),
                        format_number(edge.local_grad),
                        format_number(edge.contribution),
                        format_number(edge.input_grad),
                    ]
                )
                node_cells = ["", "", "", ""]  # the node's cells only on its first row
        return f"{TRACE_HEADER}\n\n{format_table(rows)}"

    def __str__(self) -> str:
        return self.table()


TRACE_HEADER = (
    "Backward, step by step: the root's grad is 1; then each node, last computed first,\n"
    "sends local grad * node.grad down each edge: input.grad += local_grad * node.grad.\n"
    "'sends' is that product; 'input.grad' is the input's gradient after adding it."
)


@overload
def trace_backward(root: Value, max_nodes: int = DEFAULT_MAX_NODES) -> BackwardTrace: ...


@overload
def trace_backward(root: Tensor, max_nodes: int = DEFAULT_MAX_NODES) -> TensorBackwardTrace: ...


def trace_backward(
    root: Value | Tensor, max_nodes: int = DEFAULT_MAX_NODES
) -> BackwardTrace | TensorBackwardTrace:
    """Run ``root.backward()`` and return the record of every step.

    The gradients end up exactly as ``root.backward()`` leaves them: this pass's
    d(root)/d(node) is added to whatever ``node.grad`` held before. The trace records
    this pass alone. More Values than ``max_nodes`` raise GraphTooLargeError before
    anything changes. For a Tensor root see ``trace_tensor_backward``.
    """
    if isinstance(root, Tensor):
        return trace_tensor_backward(root, max_nodes=max_nodes)
    order = checked_order(root, max_nodes)
    # As in Value.backward: compute this pass from zero, then add the earlier grads back.
    earlier_grads = [node.grad for node in order]
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    steps = [_backward_step(node) for node in reversed(order)]
    for node, earlier_grad in zip(order, earlier_grads):
        node.grad += earlier_grad
    return BackwardTrace(root, tuple(order), tuple(steps))


def _backward_step(node: Value) -> BackwardStep:
    """Send ``node``'s gradient down each of its edges, and record what was sent."""
    edges = []
    for input, local_grad in zip(node.inputs, node.local_grads):
        contribution = local_grad * node.grad
        input.grad += contribution
        edges.append(EdgeStep(input, local_grad, contribution, input.grad))
    return BackwardStep(node, node.grad, tuple(edges))


# ---------------------------------------------------------------------- the chain rule


@dataclass(frozen=True)
class Factor:
    """One factor of a chain-rule product: d(upper)/d(lower), the product of the local
    derivatives along a stretch of a path between two named Values."""

    upper: str
    lower: str
    value: float

    def __str__(self) -> str:
        return f"d{_math_name(self.upper)}/d{_math_name(self.lower)}"


@dataclass(frozen=True)
class ChainPath:
    """One path from the root down to the leaf, and its chain-rule factors."""

    nodes: tuple[Value, ...]
    factors: tuple[Factor, ...]

    @property
    def product(self) -> float:
        """This path's share of the gradient: the product of its factors."""
        return math.prod(factor.value for factor in self.factors)


@dataclass(frozen=True)
class GradientExplanation:
    """d(root)/d(leaf) as the sum over paths of products of local derivatives.

    ``total`` is computed by backpropagation and is always exact; ``paths`` lists the
    paths when there are at most ``max_paths`` of them (``path_count`` says how many
    there are, or ``max_paths + 1`` for "more than that").
    """

    root_name: str
    leaf_name: str
    total: float
    paths: tuple[ChainPath, ...]
    path_count: int
    max_paths: int
    digits: int = 3

    @property
    def name(self) -> str:
        """The derivative explained, as written: ``dL/dw1``."""
        return f"d{_math_name(self.root_name)}/d{_math_name(self.leaf_name)}"

    def __str__(self) -> str:
        total = format_number(self.total, self.digits)
        if self.path_count == 0:
            return f"{self.name} = 0: {self.root_name} does not depend on {self.leaf_name}"
        if self.path_count > self.max_paths:
            return (
                f"{self.name} = {total}, the sum over more than {self.max_paths} paths from "
                f"{self.root_name} to {self.leaf_name}: too many to list (max_paths="
                f"{self.max_paths}). Backpropagation sums them all without listing them, "
                "one edge at a time."
            )
        if not self.paths[0].factors:
            return f"{self.name} = 1: the leaf is the root itself"
        if len(self.paths) == 1:
            lines = [f"{self.name} = {self._product(self.paths[0])} = {total}"]
        else:
            lines = self._sum_of_paths(total)
        if any(len(path.factors) == 1 and len(path.nodes) > 2 for path in self.paths):
            lines.append(UNNAMED_STEPS_HINT)
        return "\n".join(lines)

    def _sum_of_paths(self, total: str) -> list[str]:
        """One line per path with its product, then their sum."""
        lines = [
            f"{self.name} is the sum over {len(self.paths)} paths from {self.root_name} to "
            f"{self.leaf_name} of the product of the derivatives along each path:"
        ]
        for number, path in enumerate(self.paths, start=1):
            product = format_number(path.product, self.digits)
            lines.append(f"  path {number}: {self._product(path)} = {product}")
        products = " + ".join(f"({format_number(p.product, self.digits)})" for p in self.paths)
        lines.append(f"{self.name} = {products} = {total}")
        return lines

    def _product(self, path: ChainPath) -> str:
        """``dL/da * da/dw = (2) * (3)``: a path's factors by name, then by value
        (by value only, when naming would just repeat the name of the total)."""
        symbols = " * ".join(str(factor) for factor in path.factors)
        numbers = " * ".join(
            f"({format_number(factor.value, self.digits)})" for factor in path.factors
        )
        return numbers if symbols == self.name else f"{symbols} = {numbers}"


UNNAMED_STEPS_HINT = (
    "(Nothing between the two ends is labelled, so each path's local derivatives are\n"
    " multiplied into one number; label some Values, e.g. z.label = 'z', to see them.)"
)


def explain_gradient(
    root: Value,
    leaf: Value,
    max_paths: int = DEFAULT_MAX_PATHS,
    digits: int = 3,
) -> GradientExplanation:
    """Explain d(root)/d(leaf) by the chain rule, with the numbers of this graph.

    d(root)/d(leaf) = sum over paths from root to leaf of the product of the local
    derivatives along the path. Each path is written in named steps: unlabelled
    Values in between are multiplied into one factor, so a path through the labelled
    Values L, y_pred, h1 reads dL/dy_pred * dy_pred/dh1 * dh1/dw1.

    ``leaf`` may be any Value that root depends on. The number of paths can grow
    exponentially with the size of a graph, so at most ``max_paths`` are listed; the
    total is always computed, by backpropagation. Numbers are shown to ``digits``
    significant figures. Gradients (``.grad``) are left untouched.
    """
    order = topological_order(root)
    names = display_names(order, {})
    on_paths = depends_on(order, leaf) if leaf in order else set()
    path_count = _count_paths(order, leaf, on_paths, max_paths + 1)
    paths: tuple[ChainPath, ...] = ()
    if 0 < path_count <= max_paths:
        paths = tuple(_named_path(root, edges, names) for edges in _paths(root, leaf, on_paths))
    return GradientExplanation(
        root_name=names[root],
        leaf_name=names.get(leaf) or leaf.label or "the leaf",
        total=_gradient(order, root, leaf),
        paths=paths,
        path_count=path_count,
        max_paths=max_paths,
        digits=digits,
    )


def _gradient(order: list[Value], root: Value, leaf: Value) -> float:
    """d(root)/d(leaf) by reverse accumulation, in the same order as ``backward``."""
    grads = {node: 0.0 for node in order}
    grads[root] = 1.0
    for node in reversed(order):
        for input, local_grad in zip(node.inputs, node.local_grads):
            grads[input] += local_grad * grads[node]
    return grads.get(leaf, 0.0)


def _count_paths(order: list[Value], leaf: Value, on_paths: set[Value], cap: int) -> int:
    """How many paths lead from the root down to ``leaf``, counting up to ``cap`` only
    (exact counts can have thousands of digits)."""
    counts: dict[Value, int] = {}
    for node in order:  # inputs first, so each input's count is known
        if node is leaf:
            counts[node] = 1
        elif node in on_paths:
            total = sum(counts.get(input, 0) for input in node.inputs)
            counts[node] = min(total, cap)
    return counts.get(order[-1], 0)


Edge = tuple[Value, float]  # the Value below an edge, and the edge's local derivative


def _paths(root: Value, leaf: Value, on_paths: set[Value]) -> list[list[Edge]]:
    """Every path from root down to ``leaf``, as the edges it takes in turn.

    Depth-first with an explicit stack, visiting inputs in their order. Only Values
    that depend on ``leaf`` are entered, so every walk ends at ``leaf``.
    """
    found = []
    stack: list[tuple[Value, list[Edge]]] = [(root, [])]
    while stack:
        node, edges = stack.pop()
        if node is leaf:
            found.append(edges)
            continue
        for input, local_grad in reversed(list(zip(node.inputs, node.local_grads))):
            if input in on_paths:
                stack.append((input, [*edges, (input, local_grad)]))
    return found


def _named_path(root: Value, edges: list[Edge], names: dict[Value, str]) -> ChainPath:
    """A path cut into factors at its labelled Values (and at its two ends)."""
    factors = []
    upper, value = root, 1.0
    for position, (node, local_grad) in enumerate(edges):
        value *= local_grad
        if node.label or position == len(edges) - 1:
            factors.append(Factor(names[upper], names[node], value))
            upper, value = node, 1.0
    nodes = (root, *(node for node, _ in edges))
    return ChainPath(nodes, tuple(factors))


def _math_name(name: str) -> str:
    """A name as it reads after d in dL/dw1: as it is if it is one word, else (in parens)."""
    shown = one_line(name)
    one_word = shown.isidentifier() or (shown.startswith("#") and shown[1:].isdigit())
    return shown if one_word else f"({shown})"


# ---------------------------------------------------------------------- the trace of Tensors


@dataclass(frozen=True)
class TensorEdgeStep:
    """What one input got from its node: d(root)/d(input) along this edge, summed
    back to the input's shape (``contribution``)."""

    input: Tensor
    contribution: Any

    @property
    def norm(self) -> float:
        """The size of the contribution: sqrt of the sum of its squares."""
        return float(np.linalg.norm(self.contribution))


@dataclass(frozen=True)
class TensorBackwardStep:
    """One op's turn in backward: the gradient g that arrived, complete, and what it
    sent to each input that requires grad."""

    node: Tensor
    upstream: Any
    edges: tuple[TensorEdgeStep, ...]

    @property
    def upstream_norm(self) -> float:
        """The size of g."""
        return float(np.linalg.norm(self.upstream))


@dataclass(frozen=True)
class TensorBackwardTrace:
    """The record of one backward pass over Tensors, op by op from the root."""

    root: Tensor
    order: tuple[Tensor, ...]  # every tensor of the graph, as ``graph_table`` numbers them
    steps: tuple[TensorBackwardStep, ...]

    def received(self, tensor: Tensor) -> Any:
        """Everything backward sent to ``tensor`` in this pass, added up."""
        shares = [
            edge.contribution for step in self.steps for edge in step.edges if edge.input is tensor
        ]
        return sum(shares[1:], shares[0]) if shares else np.zeros_like(tensor.data)

    def table(self) -> str:
        """The trace as a table, one row per edge; then each leaf's gradient."""
        names = tensor_display_names(list(self.order), {})
        rows = [["step", "node", "op", "g: shape", "|g|", "input", "got: shape", "|got|"]]
        for number, step in enumerate(self.steps, start=1):
            cells = [
                str(number),
                one_line(names[step.node]),
                step.node.op,
                str(np.shape(step.upstream)),
                format_number(step.upstream_norm),
            ]
            for edge in step.edges:
                rows.append(
                    [
                        *cells,
                        one_line(names[edge.input]),
                        str(np.shape(edge.contribution)),
                        format_number(edge.norm),
                    ]
                )
                cells = ["", "", "", "", ""]  # the node's cells only on its first row
        leaves = [node for node in self.order if not node.op and node.requires_grad]
        leaf_lines = [
            f"  {one_line(names[leaf])}: {leaf.shape}, |grad from this pass| = "
            f"{format_number(float(np.linalg.norm(self.received(leaf))))}"
            for leaf in leaves
        ]
        return "\n".join([TENSOR_TRACE_HEADER, "", format_table(rows), "", "leaves:", *leaf_lines])

    def __str__(self) -> str:
        return self.table()


TENSOR_TRACE_HEADER = (
    "Backward over Tensors, op by op from the root: each op gets its complete gradient g\n"
    "(the shape of its output) and sends each input its vector-Jacobian product, summed\n"
    "back to the input's shape: input.grad += vjp(g). |x| is the norm, sqrt(sum(x**2))."
)


def trace_tensor_backward(root: Tensor, max_nodes: int = DEFAULT_MAX_NODES) -> TensorBackwardTrace:
    """Run ``root.backward()`` and return the record of every step: for each op, the
    gradient that arrived (its shape and norm) and what each input got. Gradients end
    up exactly as ``root.backward()`` leaves them."""
    order = checked_tensor_order(root, max_nodes)
    if root.size != 1:
        raise ValueError(
            f"trace_backward needs a one-element root, this one has shape {root.shape}"
        )
    steps: list[TensorBackwardStep] = []

    def record(node: Tensor, upstream: Any, input: Tensor, contribution: Any) -> None:
        if not steps or steps[-1].node is not node:
            steps.append(TensorBackwardStep(node, upstream, ()))
        last = steps[-1]
        steps[-1] = TensorBackwardStep(
            node, upstream, (*last.edges, TensorEdgeStep(input, contribution))
        )

    backpropagate(root, on_edge=record)
    return TensorBackwardTrace(root, tuple(order), tuple(steps))
