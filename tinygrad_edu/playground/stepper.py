"""The backprop stepper: a computation graph as a list of steps to walk through.

Forward, one node at a time, in topological order: each op's output from its inputs,

    h = tanh(z) = tanh(0.53) = 0.485

then backward, one *edge* at a time, in the order ``backward()`` runs them (the rows
of ``trace_backward``):

    z.grad += local_grad * h.grad = (0.765) * (-0.62) = -0.474

``stepper_data(root)`` computes every step with the scalar engine and returns them,
with the graph drawn by ``viz`` as SVG, as JSON-ready data; the page's script
(``static/stepper.js``) only shows them, it computes nothing. ``stepper_page(root)``
(which ``viz.to_html`` returns) puts data, script and styles into one HTML file that
opens in any browser, offline, with no server.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from importlib import resources
from typing import Any

from tinygrad_edu.engine import Value
from tinygrad_edu.trace import BackwardStep, EdgeStep, trace_backward
from tinygrad_edu.viz import (
    DEFAULT_MAX_NODES,
    ParameterNames,
    checked_order,
    display_names,
    draw_graph,
    format_number,
    node_ids,
    one_line,
    parameter_names,
    role_of,
)

BINARY_OPS = ("+", "-", "*", "/", "**")
"""Ops written between their inputs (a * b); the others are written as functions, tanh(a)."""

LOCAL_DERIVATIVES: dict[str, tuple[str, ...]] = {
    "+": ("1", "1"),
    "-": ("1", "-1"),
    "*": ("{b}", "{a}"),
    "/": ("1/{b}", "-{a}/{b}²"),
    "**": ("{b}·{a}^({b} - 1)", "{a}^{b}·log({a})"),
    "neg": ("-1",),
    "exp": ("exp({a}), the output itself",),
    "log": ("1/{a}",),
    "tanh": ("1 - tanh({a})², from the output",),
    "sigmoid": ("sigmoid({a})·(1 - sigmoid({a})), from the output",),
    "relu": ("1 if {a} > 0, else 0",),
    "leaky_relu": ("1 if {a} > 0, else 0.01",),
    "softplus": ("sigmoid({a})",),
    "sqrt": ("1 / (2·sqrt({a}))",),
    "abs": ("1 if {a} > 0, -1 if {a} < 0, else 0",),
    "clamp": ("1 if {a} is inside the limits, else 0",),
}
"""Each op's local derivative d(out)/d(input), input by input, as the engine's
docstrings state it, for inputs named {a} (and {b}). Shown beside each backward step."""


def stepper_data(
    root: Value,
    *,
    title: str = "",
    model: ParameterNames | None = None,
    parameters: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
) -> dict[str, Any]:
    """The graph of ``root`` and its forward and backward steps, as JSON-ready data.

    Keys: ``title``; ``svg`` (the picture, from ``viz.draw_graph``); ``nodes`` (one per
    Value in topological order: its ``id`` in the SVG, name, role, op, data); ``steps``
    (forward steps, then the seed step ``root.grad = 1``, then one backward step per
    edge). Every number is given rounded as the pictures show it and exactly (a float).

    Backward runs once, on zeroed gradients, so the steps show this pass alone; every
    ``.grad`` is then put back as it was. Needs Graphviz's ``dot`` for the SVG.
    """
    order = checked_order(root, max_nodes)
    parameters = list(parameters)
    names = parameter_names(model, parameters)
    shown = display_names(order, names)
    ids = node_ids(order)
    earlier_grads = [node.grad for node in order]
    for node in order:
        node.grad = 0.0
    try:
        trace = trace_backward(root, max_nodes)
        # Drawn with this pass's gradients, so that each box is wide enough for them.
        svg = draw_graph(root, model=model, parameters=parameters, max_nodes=max_nodes).pipe(
            format="svg", encoding="utf-8"
        )
        assert isinstance(svg, str)  # pipe() with an encoding returns text
    finally:
        for node, grad in zip(order, earlier_grads):
            node.grad = grad
    nodes = [
        {
            "id": ids[node],
            "name": one_line(shown[node]),
            "role": role_of(node, root, names),
            "op": node.op,
            **_number("data", node.data),
        }
        for node in order
    ]
    forward = [_forward_step(node, ids, shown) for node in order if node.inputs]
    seed = {
        "kind": "seed",
        "node": ids[root],
        "text": f"{one_line(shown[root])}.grad = 1: the output's derivative by itself, "
        f"d{one_line(shown[root])}/d{one_line(shown[root])} = 1",
        **_number("grad", 1.0),
    }
    backward = [
        _backward_step(step, edge, input_index, ids, shown)
        for step in trace.steps
        for input_index, edge in enumerate(step.edges)
    ]
    return {
        "title": title or f"The graph of {one_line(shown[root])}",
        "svg": _without_xml_prolog(svg),
        "nodes": nodes,
        "steps": [*forward, seed, *backward],
    }


def _number(key: str, value: float, digits: int = 4) -> dict[str, Any]:
    """``{key: "0.4851", key + "_exact": 0.48510...}``: shown, and exact (None if not finite)."""
    exact = value if math.isfinite(value) else None  # JSON has no nan or inf
    return {key: format_number(value, digits), f"{key}_exact": exact}


def _forward_step(node: Value, ids: dict[Value, str], shown: dict[Value, str]) -> dict[str, Any]:
    """Compute ``node`` from its inputs: ``name = a * b = (2) * (-3) = -6``."""
    name = one_line(shown[node])
    input_names = [one_line(shown[input]) for input in node.inputs]
    input_numbers = [f"({format_number(input.data)})" for input in node.inputs]
    if node.op in BINARY_OPS and len(node.inputs) == 2:
        symbols = f" {node.op} ".join(input_names)
        numbers = f" {node.op} ".join(input_numbers)
    else:
        symbols = f"{node.op}({', '.join(input_names)})"
        numbers = f"{node.op}{''.join(input_numbers)}"
    return {
        "kind": "forward",
        "node": ids[node],
        "inputs": [ids[input] for input in node.inputs],
        "text": f"{name} = {symbols} = {numbers} = {format_number(node.data)}",
        **_number("data", node.data),
    }


def _backward_step(
    step: BackwardStep,
    edge: EdgeStep,
    input_index: int,
    ids: dict[Value, str],
    shown: dict[Value, str],
) -> dict[str, Any]:
    """Send a node's gradient down one edge: ``input.grad += local_grad * node.grad``."""
    node = step.node
    name, input_name = one_line(shown[node]), one_line(shown[edge.input])
    rules = LOCAL_DERIVATIVES.get(node.op, ())
    input_names = dict(zip("ab", (_wrapped(one_line(shown[input])) for input in node.inputs)))
    rule = rules[input_index].format(**input_names) if input_index < len(rules) else ""
    return {
        "kind": "backward",
        "node": ids[node],
        "input": ids[edge.input],
        "text": (
            f"{input_name}.grad += local_grad * {name}.grad = "
            f"({format_number(edge.local_grad)}) * ({format_number(step.upstream_grad)}) = "
            f"{format_number(edge.contribution)}, so {input_name}.grad is now "
            f"{format_number(edge.input_grad)}"
        ),
        "rule": f"local_grad = d{_wrapped(name)}/d{_wrapped(input_name)} = {rule}" if rule else "",
        **_number("local_grad", edge.local_grad),
        **_number("node_grad", step.upstream_grad),
        **_number("contribution", edge.contribution),
        **_number("grad", edge.input_grad),
    }


def _wrapped(name: str) -> str:
    return name if name.isidentifier() or name.startswith("#") else f"({name})"


def _without_xml_prolog(svg: str) -> str:
    """The ``<svg>`` element alone, ready to sit inside an HTML page."""
    return svg[svg.index("<svg") :]


# ---------------------------------------------------------------------- one HTML file


def asset(name: str) -> str:
    """The text of one of the page's files in ``tinygrad_edu/playground/static``."""
    return (resources.files("tinygrad_edu.playground") / "static" / name).read_text("utf-8")


def json_for_script(data: object) -> str:
    """JSON that can sit inside ``<script>``: every ``<`` escaped, so no ``</script>``
    in a label can end the script early."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")


def stepper_page(
    root: Value,
    *,
    title: str = "",
    model: ParameterNames | None = None,
    parameters: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
) -> str:
    """One self-contained HTML page showing ``root``'s graph, to step forward node by
    node and backward edge by edge (see ``stepper_data``). No server, no network."""
    data = stepper_data(root, title=title, model=model, parameters=parameters, max_nodes=max_nodes)
    heading = html.escape(data["title"])
    return STANDALONE_PAGE.format(
        title=heading,
        style=asset("stepper.css"),
        data=json_for_script(data),
        script=asset("stepper.js"),
    )


STANDALONE_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{style}
</style>
</head>
<body class="stepper-page">
<h1>{title}</h1>
<p class="stepper-help">Step forward to compute each Value from its inputs, then backward to
send each gradient down its edges. Keys: &larr; and &rarr;, Home and End.</p>
<div id="stepper"></div>
<script type="application/json" id="stepper-data">{data}</script>
<script>
{script}
</script>
<script>
TinygradStepper.mount(
  document.getElementById("stepper"),
  JSON.parse(document.getElementById("stepper-data").textContent)
);
</script>
</body>
</html>
"""
