"""Pictures of the computation graph: Graphviz drawings, DOT source and text tables.

Every Value remembers the Values it was computed from, so an output drags its whole
computation behind it as a graph. This file draws that graph:

- ``draw_graph(y)`` returns a ``graphviz.Digraph`` that Jupyter shows as a picture;
  ``to_dot(y)`` is its DOT source (text, no Graphviz program needed);
  ``render_graph(y, "graph.svg")`` writes a picture file.
- ``graph_table(y)`` and ``graph_tree(y)`` are the same graph as plain text, for the
  terminal and for machines without Graphviz.

Each Value is a box showing its label (when it has one), its ``data`` and its
``grad``; each op is a small ellipse of its own, so the picture reads "inputs -> op ->
output". Boxes are coloured by role:

====================  ==========================================  ===================
role                  which Values                                drawn as
====================  ==========================================  ===================
input                 leaves that are not parameters (constants   blue box
                      too: ``y * 2`` makes a leaf for the 2)
parameter             leaves you train (given by ``model=`` or    amber rounded box,
                      ``parameters=``)                            double border
intermediate          results of ops on the way to the output     white rounded box
output                the root you drew                           green box, bold
====================  ==========================================  ===================

A graph alone cannot tell a weight from an input: both are leaves. PyTorch marks
weights with ``requires_grad=True``; here you say which leaves are parameters. A graph
of Tensors says it itself: its parameters are the leaves that require grad, and each
box shows the tensor's shape and dtype (and its numbers, when there are a few).

Labels are written as Graphviz "HTML-like" labels, escaped by ``escape_html_label``,
so that any text you put in a label (``<``, ``&``, ``{``, ``|``, ``\\``, newlines,
emoji) shows exactly as typed. The ``graphviz`` Python package quotes strings for
DOT, but it cannot know that a label is meant as HTML, so we escape it ourselves.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

# The graphviz package ships no type information, so mypy sees it as Any.
import graphviz  # type: ignore[import-untyped]
import numpy as np

from tinygrad_edu.engine import Value, topological_order
from tinygrad_edu.tensor import Tensor
from tinygrad_edu.tensor import topological_order as tensor_order

Role = Literal["input", "parameter", "intermediate", "output"]
Rankdir = Literal["LR", "TB"]

DEFAULT_MAX_NODES = 500
FONT = "Helvetica"

# Colour and shape both tell the roles apart, so the picture also works in greyscale.
ROLE_STYLES: dict[Role, dict[str, str]] = {
    "input": {"shape": "box", "style": "filled", "fillcolor": "#dbeafe"},
    "parameter": {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": "#fde68a",
        "peripheries": "2",
    },
    "intermediate": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff"},
    "output": {"shape": "box", "style": "filled", "fillcolor": "#bbf7d0", "penwidth": "2.5"},
}
OP_STYLE = {
    "shape": "ellipse",
    "style": "filled",
    "fillcolor": "#e5e7eb",
    "fontsize": "11",
    "height": "0.3",
}
HIGHLIGHT_COLOUR = "#dc2626"

INSTALL_GRAPHVIZ = """\
Graphviz's `dot` program was not found, so the graph cannot be rendered. Install it:
  Debian/Ubuntu: sudo apt-get install graphviz
  macOS:         brew install graphviz
  conda:         conda install -c conda-forge graphviz
(The `graphviz` pip package is only the Python wrapper; it needs that program.)
to_dot(), graph_table() and graph_tree() work without it."""


class GraphTooLargeError(ValueError):
    """The graph has more Values than ``max_nodes``, too many to draw readably."""


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs Graphviz's ``dot`` program, and it is not installed."""


class NamedParameters(Protocol):
    """Anything that can list its parameters by name, like ``nn.Module``."""

    def named_parameters(self) -> list[tuple[str, Value]]: ...


ParameterNames = NamedParameters | Mapping[Value, str]


# ---------------------------------------------------------------------- the graph's parts


def checked_order(root: Value, max_nodes: int) -> list[Value]:
    """``topological_order(root)``, or GraphTooLargeError if it has over ``max_nodes``."""
    order = topological_order(root)
    if len(order) > max_nodes:
        raise GraphTooLargeError(
            f"this graph has {len(order)} Values, more than max_nodes={max_nodes}: "
            "too many to show readably (and Graphviz could take minutes to lay it out). "
            "Show a part: pass an intermediate Value as the root (one neuron's output, "
            f"say), or raise the limit with max_nodes={len(order)}."
        )
    return order


def parameter_names(model: ParameterNames | None, parameters: Iterable[Value]) -> dict[Value, str]:
    """Map each parameter to the name to show for it.

    ``model`` (an ``nn.Module``'s ``named_parameters()``, or a mapping Value -> name)
    and ``parameters`` say which Values are parameters. A Value's own label is shown
    when it has one (the tutorial's network labels its weights w1..b3); the model's
    name otherwise.
    """
    if model is None:
        named: Iterable[tuple[Value, str]] = ()
    elif isinstance(model, Mapping):
        named = model.items()
    else:
        named = ((value, name) for name, value in model.named_parameters())
    names = {value: value.label or name for value, name in named}
    for value in parameters:
        names.setdefault(value, value.label)
    return names


def role_of(node: Value, root: Value, parameters: Mapping[Value, str]) -> Role:
    """Whether ``node`` is the output, a parameter, another leaf (input) or in between."""
    if node is root:
        return "output"
    if node in parameters:
        return "parameter"
    if not node.inputs:
        return "input"
    return "intermediate"


def display_names(order: list[Value], parameters: Mapping[Value, str]) -> dict[Value, str]:
    """Each node's name in text views: its parameter name or label, else ``#i``, its
    position in ``order`` (the row number in ``graph_table``)."""
    return {
        node: parameters.get(node) or node.label or f"#{index}" for index, node in enumerate(order)
    }


def depends_on(order: list[Value], start: Value) -> set[Value]:
    """The nodes of ``order`` that depend on ``start`` (``start`` included): the nodes
    on the paths from ``start`` to the root."""
    on_path = {start}
    for node in order:
        if any(input in on_path for input in node.inputs):
            on_path.add(node)
    return on_path


def find_value(root: Value, label: str) -> Value:
    """The Value labelled ``label`` in the graph of ``root``; ValueError if there is
    none, or more than one."""
    order = topological_order(root)
    found = [node for node in order if node.label == label]
    if len(found) != 1:
        how_many = "no Value is" if not found else f"{len(found)} Values are"
        labels = ", ".join(sorted({node.label for node in order if node.label}))
        raise ValueError(f"{how_many} labelled {label!r} in this graph; its labels: {labels}")
    return found[0]


def format_number(x: float, digits: int = 4) -> str:
    """A number rounded to ``digits`` significant figures, as a learner would write it."""
    return f"{x:.{digits}g}"


# ---------------------------------------------------------------------- escaping


def shown_text(text: str) -> str:
    """The text a label shows: ``text`` itself, except invisible control characters
    (other than newline) and characters XML cannot hold, which show as Python escapes
    like ``\\t`` or ``\\x00`` so that you can see they are there."""
    return "".join(repr(char)[1:-1] if _is_hidden_or_forbidden(char) else char for char in text)


def _is_hidden_or_forbidden(char: str) -> bool:
    # Cc: control characters; Cs: lone surrogates; U+FFFE and U+FFFF: not characters.
    # None of them may appear in the SVG (XML) that Graphviz writes.
    if char == "\n":
        return False
    return unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff"


def one_line(text: str) -> str:
    """``shown_text(text)`` with newlines written as ``\\n``, for one line of a table."""
    return shown_text(text).replace("\n", "\\n")


def escape_html_label(text: str) -> str:
    """``text`` written for a Graphviz HTML-like label, where it shows as typed.

    ``& < > "`` become entities and a newline becomes ``<BR/>``. A backslash is
    doubled: Graphviz still reads escapes like ``\\N`` (the node's id) and ``\\\\``
    inside HTML-like labels. ``]`` becomes ``&#93;``: Graphviz 2.43 rejects a label
    whose text starts with ``]``. Control characters show as escapes (``shown_text``).
    Everything else, ``{ } |`` and all of Unicode included, means nothing special.
    """
    entities = {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "<BR/>",
        "\\": "\\\\",
        "]": "&#93;",
    }
    return "".join(entities.get(char, char) for char in shown_text(text))


def _value_label(name: str, node: Value) -> str:
    """The HTML-like label of a Value's box: name (if any) | data | grad."""
    cells = [f"data {format_number(node.data)}", f"grad {format_number(node.grad)}"]
    if name:
        cells.insert(0, f"<B>{escape_html_label(name)}</B>")
    row = "<VR/>".join(f"<TD>{cell}</TD>" for cell in cells)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0"><TR>{row}</TR></TABLE>>'


# ---------------------------------------------------------------------- drawing


class ComputationGraph(graphviz.Digraph):  # type: ignore[misc]  # graphviz is untyped
    """A ``graphviz.Digraph`` of a computation graph that explains a missing Graphviz.

    ``render``, ``pipe`` and ``view`` raise GraphvizNotFoundError with install
    instructions instead of a long traceback. In Jupyter, the picture falls back to
    that message and the text table, so the notebook keeps working.
    """

    def __init__(self, *args: Any, text_view: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.text_view = text_view

    def _copy_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # graphviz's copy() rebuilds the object from these keyword arguments.
        copied: dict[str, Any] = super()._copy_kwargs(**kwargs)
        copied["text_view"] = self.text_view
        return copied

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Write the source and the rendered file, as ``graphviz.Digraph.render``."""
        with _explain_missing_graphviz():
            path: str = super().render(*args, **kwargs)
        return path

    def pipe(self, *args: Any, **kwargs: Any) -> bytes | str:
        """The rendered picture as bytes (or str), as ``graphviz.Digraph.pipe``."""
        with _explain_missing_graphviz():
            picture: bytes | str = super().pipe(*args, **kwargs)
        return picture

    def view(self, *args: Any, **kwargs: Any) -> str:
        """Render and open the picture, as ``graphviz.Digraph.view``."""
        with _explain_missing_graphviz():
            path: str = super().view(*args, **kwargs)
        return path

    def _repr_mimebundle_(self, *args: Any, **kwargs: Any) -> dict[str, bytes | str]:
        """What Jupyter displays: the picture, or without Graphviz, text."""
        try:
            bundle: dict[str, bytes | str] = super()._repr_mimebundle_(*args, **kwargs)
        except GraphvizNotFoundError as error:
            return {"text/plain": f"{error}\n\n{self.text_view}"}
        return bundle


@contextmanager
def _explain_missing_graphviz() -> Iterator[None]:
    """Turn graphviz's ExecutableNotFound into our short GraphvizNotFoundError."""
    try:
        yield
    except graphviz.ExecutableNotFound:
        # "from None": the install hint is all a learner needs, not the chain behind it.
        raise GraphvizNotFoundError(INSTALL_GRAPHVIZ) from None


def draw_graph(
    root: Value | Tensor,
    *,
    rankdir: Rankdir = "LR",
    show_local_grads: bool = False,
    highlight: Value | Tensor | None = None,
    model: ParameterNames | None = None,
    parameters: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
) -> ComputationGraph:
    """Draw the graph that computed ``root`` as a ``graphviz.Digraph``.

    - ``rankdir``: "LR" draws left to right, "TB" top to bottom.
    - ``show_local_grads``: write each edge's local derivative d(op output)/d(input),
      the number backward multiplies by: ``input.grad += local_grad * out.grad``.
    - ``highlight``: a Value of the graph; the paths from it to ``root`` are drawn red.
      Their local derivatives, multiplied along each path and summed over the paths,
      are d(root)/d(highlight): the chain rule.
    - ``model`` (an ``nn.Module`` or a mapping Value -> name) and ``parameters`` say
      which leaves are parameters; ``model`` also names them.
    - ``max_nodes``: more Values than this raise GraphTooLargeError.

    ``root`` may also be a Tensor: see ``draw_tensor_graph``.

    Needs no Graphviz program until the picture is rendered or displayed.
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if isinstance(root, Tensor):
        if show_local_grads:
            raise ValueError(
                "show_local_grads is for Values: the local derivative of a Tensor op is a "
                "whole Jacobian, never formed (backward uses vector-Jacobian products)"
            )
        return draw_tensor_graph(
            root, rankdir=rankdir, highlight=highlight, model=model, max_nodes=max_nodes
        )
    order = checked_order(root, max_nodes)
    names = parameter_names(model, parameters)
    highlighted = _highlighted(order, highlight)
    graph = ComputationGraph(
        text_view=_table(order, root, names),
        graph_attr={"rankdir": rankdir, "fontname": FONT},
        node_attr={"fontname": FONT, "fontsize": "12"},
        edge_attr={"fontname": FONT, "fontsize": "10", "arrowsize": "0.7"},
    )
    if show_local_grads:
        graph.attr(label="numbers on edges: local derivatives d(op output)/d(input)")
    ids = {node: f"v{index}" for index, node in enumerate(order)}
    for node in order:
        _draw_node(graph, node, ids, root, names, highlighted, show_local_grads)
    return graph


def _highlighted(order: list[Value], highlight: Value | Tensor | None) -> set[Value]:
    """The Values on the paths from ``highlight`` to the root (none without one)."""
    if highlight is None:
        return set()
    if not isinstance(highlight, Value) or highlight not in order:
        raise ValueError(f"highlight={highlight!r} is not part of this graph")
    return depends_on(order, highlight)


def _draw_node(
    graph: ComputationGraph,
    node: Value,
    ids: Mapping[Value, str],
    root: Value,
    names: Mapping[Value, str],
    highlighted: set[Value],
    show_local_grads: bool,
) -> None:
    """Add a Value's box and, if an op made it, the op's ellipse and its edges."""
    style = dict(ROLE_STYLES[role_of(node, root, names)])
    if node in highlighted:
        style.update(color=HIGHLIGHT_COLOUR, penwidth="2.5")
    name = names.get(node) or node.label
    graph.node(ids[node], _value_label(name, node), **style)
    if not node.inputs:
        return
    op_id = f"op_{ids[node]}"
    op_style = dict(OP_STYLE)
    if node in highlighted:
        op_style.update(color=HIGHLIGHT_COLOUR, penwidth="2")
    graph.node(op_id, f"<{escape_html_label(node.op)}>", **op_style)
    graph.edge(op_id, ids[node], **_edge_style(node in highlighted))
    for input, local_grad in zip(node.inputs, node.local_grads):
        edge_style = _edge_style(input in highlighted and node in highlighted)
        if show_local_grads:
            edge_style["label"] = format_number(local_grad, 3)
        graph.edge(ids[input], op_id, **edge_style)


def _edge_style(highlighted: bool) -> dict[str, str]:
    return {"color": HIGHLIGHT_COLOUR, "penwidth": "2"} if highlighted else {}


def to_dot(
    root: Value | Tensor,
    *,
    rankdir: Rankdir = "LR",
    show_local_grads: bool = False,
    highlight: Value | Tensor | None = None,
    model: ParameterNames | None = None,
    parameters: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
) -> str:
    """The DOT source of ``draw_graph(root, ...)``: text, no Graphviz program needed."""
    source: str = draw_graph(
        root,
        rankdir=rankdir,
        show_local_grads=show_local_grads,
        highlight=highlight,
        model=model,
        parameters=parameters,
        max_nodes=max_nodes,
    ).source
    return source


TEXT_OPTIONS = ("model", "parameters", "max_nodes")
"""The options of ``draw_graph`` that the text views take too."""


def render_graph(
    root: Value | Tensor,
    path: str | Path,
    format: str | None = None,
    **options: Any,
) -> Path:
    """Write a picture of ``root``'s graph to ``path`` and return the path.

    ``format`` defaults to the file's suffix: "svg", "png", "pdf", ... need Graphviz's
    ``dot`` program; "dot" (also ".gv") writes DOT source and "text" (also ".txt") the
    ``graph_table``, which need nothing. ``options`` are those of ``draw_graph``.
    """
    path = Path(path)
    format = (format or path.suffix.lstrip(".") or "svg").lower()
    if format in ("dot", "gv"):
        path.write_text(to_dot(root, **options), encoding="utf-8")
    elif format in ("text", "txt"):
        text_options = {key: options[key] for key in TEXT_OPTIONS if key in options}
        path.write_text(graph_table(root, **text_options) + "\n", encoding="utf-8")
    else:
        picture = draw_graph(root, **options).pipe(format=format)
        assert isinstance(picture, bytes)  # pipe() without an encoding returns bytes
        path.write_bytes(picture)
    return path


# ---------------------------------------------------------------------- text views


def graph_table(
    root: Value | Tensor,
    *,
    model: ParameterNames | None = None,
    parameters: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
) -> str:
    """The graph as a table, one row per Value in topological order (inputs first).

    Columns: row number ``#``, name (label or parameter name), role, op, data, grad,
    and the Value's inputs by name (unnamed ones by their ``#`` row number). For a
    Tensor root, shape and dtype take the place of the numbers.
    """
    if isinstance(root, Tensor):
        return _tensor_table(checked_tensor_order(root, max_nodes), root, _tensor_names(model))
    order = checked_order(root, max_nodes)
    return _table(order, root, parameter_names(model, parameters))


def _table(order: list[Value], root: Value, names: Mapping[Value, str]) -> str:
    shown = display_names(order, names)
    rows = [["#", "name", "role", "op", "data", "grad", "inputs"]]
    for index, node in enumerate(order):
        rows.append(
            [
                str(index),
                one_line(names.get(node) or node.label),
                role_of(node, root, names),
                node.op,
                format_number(node.data),
                format_number(node.grad),
                ", ".join(one_line(shown[input]) for input in node.inputs),
            ]
        )
    return format_table(rows)


def format_table(rows: list[list[str]]) -> str:
    """Rows of cells as aligned text columns; the first row is the header."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def graph_tree(
    root: Value,
    *,
    model: ParameterNames | None = None,
    parameters: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
) -> str:
    """The graph as an indented tree: the root on top, each Value's inputs below it.

    An op's result used more than once is written out with its inputs once; later
    uses say "(see above)". (A leaf is one line, so it is simply repeated.)
    """
    if isinstance(root, Tensor):
        raise TypeError("graph_tree shows Values; for a Tensor use graph_table or draw_graph")
    order = checked_order(root, max_nodes)
    shown = display_names(order, parameter_names(model, parameters))
    lines: list[str] = []
    seen: set[Value] = set()
    # Each stack entry: a node, the prefix for its line, the prefix for its inputs.
    stack = [(root, "", "")]
    while stack:
        node, prefix, child_prefix = stack.pop()
        line = f"{prefix}{_tree_entry(node, shown[node])}"
        if node in seen and node.inputs:
            lines.append(f"{line}  (see above)")
            continue
        seen.add(node)
        lines.append(line)
        last = len(node.inputs) - 1
        # Pushed in reverse, so that the inputs come out in their order.
        for position, input in reversed(list(enumerate(node.inputs))):
            branch, indent = ("└─ ", "   ") if position == last else ("├─ ", "│  ")
            stack.append((input, child_prefix + branch, child_prefix + indent))
    return "\n".join(lines)


def _tree_entry(node: Value, name: str) -> str:
    how = node.op if node.inputs else "leaf"
    return (
        f"{one_line(name)} = {format_number(node.data)}  (grad {format_number(node.grad)}, {how})"
    )


# ---------------------------------------------------------------------- Tensor graphs


def checked_tensor_order(root: Tensor, max_nodes: int) -> list[Tensor]:
    """Every tensor of ``root``'s graph, constants and data included, inputs first; or
    GraphTooLargeError past ``max_nodes``."""
    order = tensor_order(root, all_nodes=True)
    if len(order) > max_nodes:
        raise GraphTooLargeError(
            f"this graph has {len(order)} Tensors, more than max_nodes={max_nodes}: "
            f"draw a part of it, or raise the limit with max_nodes={len(order)}."
        )
    return order


def draw_tensor_graph(
    root: Tensor,
    *,
    rankdir: Rankdir = "LR",
    highlight: Value | Tensor | None = None,
    model: ParameterNames | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> ComputationGraph:
    """Draw the graph of Tensors that computed ``root``: a box per tensor with its
    label, shape and dtype (its numbers too, and its grad, when they are few), an
    ellipse per op. Parameters are the leaves that require grad; ``model`` (anything
    with ``named_parameters()``) names them. ``highlight`` draws the paths from one
    tensor to the root in red.
    """
    order = checked_tensor_order(root, max_nodes)
    names = _tensor_names(model)
    if highlight is not None and not any(node is highlight for node in order):
        raise ValueError("highlight is not a tensor of this graph")
    highlighted = _tensors_on_paths(order, highlight) if isinstance(highlight, Tensor) else set()
    graph = ComputationGraph(
        text_view=_tensor_table(order, root, names),
        graph_attr={"rankdir": rankdir, "fontname": FONT},
        node_attr={"fontname": FONT, "fontsize": "12"},
        edge_attr={"fontname": FONT, "fontsize": "10", "arrowsize": "0.7"},
    )
    ids = {node: f"t{index}" for index, node in enumerate(order)}
    for node in order:
        style = dict(ROLE_STYLES[_tensor_role(node, root)])
        if node in highlighted:
            style.update(color=HIGHLIGHT_COLOUR, penwidth="2.5")
        graph.node(ids[node], _tensor_label(names.get(node) or node.label, node), **style)
        if not node.inputs:
            continue
        op_id = f"op_{ids[node]}"
        op_style = dict(OP_STYLE, **({"color": HIGHLIGHT_COLOUR} if node in highlighted else {}))
        graph.node(op_id, f"<{escape_html_label(node.op)}>", **op_style)
        graph.edge(op_id, ids[node], **_edge_style(node in highlighted))
        for input in node.inputs:
            graph.edge(
                ids[input], op_id, **_edge_style(input in highlighted and node in highlighted)
            )
    return graph


SMALL_TENSOR = 6
"""Tensors with at most this many elements show their numbers in pictures and tables."""


def describe_tensor(tensor: Tensor) -> str:
    """``(2, 3) float64``, and the numbers of a small tensor: ``[0.5 1.5]``."""
    text = f"{tensor.shape} {tensor.dtype.name}"
    if tensor.size <= SMALL_TENSOR:
        text += f" {_numbers(tensor.data)}"
    return text


def _numbers(array: Any) -> str:
    """An array's numbers on one line, to 4 significant digits: ``[[1. 2.] [3. 4.]]``."""
    text = np.array2string(np.asarray(array), precision=4, separator=" ", max_line_width=10_000)
    return " ".join(text.split())


def _tensor_label(name: str, node: Tensor) -> str:
    """The HTML-like label of a Tensor's box: name, shape and dtype, numbers, grad."""
    rows = [f"{node.shape} {node.dtype.name}"]
    if node.size <= SMALL_TENSOR:
        rows.append(f"data {escape_html_label(_numbers(node.data))}")
    if node.grad is not None:
        grad = np.asarray(node.grad.data if isinstance(node.grad, Tensor) else node.grad)
        rows.append(
            f"grad {escape_html_label(_numbers(grad))}"
            if grad.size <= SMALL_TENSOR
            else f"grad norm {format_number(float(np.linalg.norm(grad)))}"
        )
    if name:
        rows.insert(0, f"<B>{escape_html_label(name)}</B>")
    cells = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">{cells}</TABLE>>'


def _tensor_role(node: Tensor, root: Tensor) -> Role:
    if node is root:
        return "output"
    if not node.inputs:
        return "parameter" if node.requires_grad else "input"
    return "intermediate"


def _tensor_names(model: ParameterNames | None) -> dict[Any, str]:
    if model is None:
        return {}
    if isinstance(model, Mapping):
        return dict(model)
    return {parameter: name for name, parameter in model.named_parameters()}


def _tensors_on_paths(order: list[Tensor], start: Tensor) -> set[Tensor]:
    """The tensors of ``order`` that depend on ``start`` (``start`` included)."""
    on_path = {start}
    for node in order:
        if any(input in on_path for input in node.inputs):
            on_path.add(node)
    return on_path


def tensor_display_names(order: list[Tensor], names: Mapping[Any, str]) -> dict[Tensor, str]:
    """Each tensor's name in text views: its parameter name or label, else ``#i``, its
    row in ``graph_table``."""
    return {node: names.get(node) or node.label or f"#{index}" for index, node in enumerate(order)}


def _tensor_table(order: list[Tensor], root: Tensor, names: Mapping[Any, str]) -> str:
    shown = tensor_display_names(order, names)
    rows = [["#", "name", "role", "op", "tensor", "grad", "inputs"]]
    for index, node in enumerate(order):
        grad = "" if node.grad is None else _grad_summary(node.grad)
        rows.append(
            [
                str(index),
                one_line(names.get(node) or node.label),
                _tensor_role(node, root),
                node.op,
                describe_tensor(node),
                grad,
                ", ".join(one_line(shown[input]) for input in node.inputs),
            ]
        )
    return format_table(rows)


def _grad_summary(grad: Any) -> str:
    array = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
    if array.size <= SMALL_TENSOR:
        return _numbers(array)
    return f"norm {format_number(float(np.linalg.norm(array)))}"
