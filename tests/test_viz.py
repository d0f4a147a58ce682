"""Pictures of the graph: what the DOT says, what the real `dot` renders, labels shown
as typed, big graphs refused clearly, a missing Graphviz explained, the text views,
the `graph` command, and the example and docs scripts that draw with them."""

from __future__ import annotations

import re
import shlex
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import graphviz
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tinygrad_edu import Value, topological_order
from tinygrad_edu.cli import main
from tinygrad_edu.nn import MLP
from tinygrad_edu.tutorial import PARAMETER_NAMES, tutorial_loss
from tinygrad_edu.viz import (
    HIGHLIGHT_COLOUR,
    ComputationGraph,
    GraphTooLargeError,
    GraphvizError,
    GraphvizNotFoundError,
    draw_graph,
    escape_html_label,
    find_value,
    graph_table,
    graph_tree,
    render_graph,
    shown_text,
    to_dot,
)

from .scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(
    not HAS_DOT, reason="Graphviz's dot program is not installed (apt-get install graphviz)"
)

SVG = "{http://www.w3.org/2000/svg}"


def worked_example() -> tuple[Value, MLP]:
    """The tutorial's loss on Alice, all weights 1 and biases 0, after backward."""
    loss, model = tutorial_loss()
    loss.backward()
    return loss, model


def dot_nodes(dot: str) -> dict[str, str]:
    """Each node statement of DOT source, by node id."""
    return {
        match["id"]: match["rest"]
        for match in re.finditer(r"^\t(?P<id>(v|op_v)\d+) \[(?P<rest>.*)\]$", dot, re.MULTILINE)
    }


def dot_edges(dot: str) -> list[tuple[str, str, str]]:
    """Each edge of DOT source: (from, to, attributes)."""
    return re.findall(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$", dot, re.MULTILINE)


def svg_texts(svg: str, node_id: str) -> list[str]:
    """The text lines Graphviz wrote into the SVG group of one node."""
    for group in ElementTree.fromstring(svg).iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if title is not None and title.text == node_id:
            return [text.text or "" for text in group.iter(f"{SVG}text")]
    raise AssertionError(f"no node {node_id} in the SVG")


@pytest.fixture
def no_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH on which there is no `dot` program."""
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


# ---------------------------------------------------------------------- the DOT source


def test_each_value_box_shows_its_label_data_and_grad() -> None:
    loss, _ = worked_example()
    dot = to_dot(loss)
    assert "<B>w1</B></TD><VR/><TD>data 1</TD><VR/><TD>grad 0.02147</TD>" in dot
    assert "<B>L</B></TD><VR/><TD>data 0.2269</TD><VR/><TD>grad 1</TD>" in dot
    # a constant has no label: just its data and grad
    assert "<TR><TD>data 1</TD><VR/><TD>grad 0.9526</TD></TR>" in dot


def test_each_op_is_a_small_node_between_its_inputs_and_its_output() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    nodes = dot_nodes(to_dot(c))
    assert sorted(nodes) == ["op_v2", "v0", "v1", "v2"]
    assert "label=<*>" in nodes["op_v2"] and "shape=ellipse" in nodes["op_v2"]
    assert [edge[:2] for edge in dot_edges(to_dot(c))] == [
        ("op_v2", "v2"),
        ("v0", "op_v2"),
        ("v1", "op_v2"),
    ]


def test_an_input_used_twice_gets_two_edges() -> None:
    a = Value(3.0, label="a")
    edges = [edge[:2] for edge in dot_edges(to_dot(a * a))]
    assert edges.count(("v0", "op_v1")) == 2


def test_roles_are_told_apart_by_colour_and_shape() -> None:
    loss, model = worked_example()
    order_ids = {value.label: f"v{index}" for index, value in enumerate(topological_order(loss))}
    nodes = dot_nodes(to_dot(loss, model=model))
    parameter, input_, intermediate, output = (
        nodes[order_ids[name]] for name in ("w1", "x1", "h1", "L")
    )
    assert 'fillcolor="#fde68a"' in parameter and "peripheries=2" in parameter
    assert 'fillcolor="#dbeafe"' in input_ and "peripheries" not in input_
    assert 'fillcolor="#ffffff"' in intermediate and "rounded" in intermediate
    assert 'fillcolor="#bbf7d0"' in output and "penwidth=2.5" in output
    assert len({parameter, input_, intermediate, output}) == 4


def test_without_a_model_every_leaf_is_an_input() -> None:
    loss, model = worked_example()
    dot = to_dot(loss)
    assert 'fillcolor="#fde68a"' not in dot
    with_parameters = to_dot(loss, parameters=model.parameters())
    assert with_parameters == to_dot(loss, model=model)
    assert with_parameters.count('fillcolor="#fde68a"') == 9


def test_a_model_names_its_parameters_and_a_label_wins_over_the_name() -> None:
    weight, unlabelled = Value(2.0, label="w"), Value(3.0)
    y = weight * unlabelled
    dot = to_dot(y, model={weight: "layers.0.w0", unlabelled: "layers.0.bias"})
    assert "<B>w</B>" in dot and "<B>layers.0.bias</B>" in dot
    assert "layers.0.w0" not in dot
    assert dot.count('fillcolor="#fde68a"') == 2


def test_an_mlp_as_model_marks_every_parameter() -> None:
    model = MLP(2, [3, 1], seed=0)
    y = model([1.0, 2.0])
    assert isinstance(y, Value)
    dot = to_dot(y, model=model)
    assert dot.count('fillcolor="#fde68a"') == len(model.parameters()) == 13
    assert "<B>layers.1.neurons.0.bias</B>" in dot


def test_rankdir_sets_the_direction_and_rejects_others() -> None:
    a = Value(1.0)
    assert "rankdir=TB" in to_dot(a, rankdir="TB")
    assert "rankdir=LR" in to_dot(a)
    with pytest.raises(ValueError, match="rankdir must be 'LR' or 'TB'"):
        to_dot(a, rankdir="XY")  # type: ignore[arg-type]


def test_show_local_grads_writes_each_edges_local_derivative() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + a
    dot = to_dot(c, show_local_grads=True)
    labels = sorted(attributes for *_, attributes in dot_edges(dot) if "label" in attributes)
    # d(a*b)/da = b = -3, d(a*b)/db = a = 2, d(+)/d(each input) = 1
    assert labels == ["label=-3", "label=1", "label=1", "label=2"]
    assert "local derivatives" in dot
    assert "label=" not in "".join(attributes for *_, attributes in dot_edges(to_dot(c)))


def test_highlight_colours_exactly_the_paths_from_that_value_to_the_root() -> None:
    loss, model = worked_example()
    order = topological_order(loss)
    w1 = model.parameters()[0]
    dot = to_dot(loss, highlight=w1)
    red = {
        order[int(node_id[1:])]
        for node_id, attributes in dot_nodes(dot).items()
        if node_id.startswith("v") and HIGHLIGHT_COLOUR in attributes
    }
    labels = {value.label for value in red if value.label}
    assert labels == {"w1", "h1", "y_pred", "L"}
    # w1, w1*x1, + w2*x2, + b1, h1, w5*h1, + w6*h2, + b3, y_pred, 1 - y_pred, L
    assert len(red) == 11
    red_edges = [edge for edge in dot_edges(dot) if HIGHLIGHT_COLOUR in edge[2]]
    assert len(red_edges) == 2 * (len(red) - 1)  # into and out of each op on the path


def test_highlighting_a_value_outside_the_graph_is_an_error() -> None:
    with pytest.raises(ValueError, match="not part of this graph"):
        to_dot(Value(1.0) + 1, highlight=Value(2.0))


# ---------------------------------------------------------------------- big graphs


def chain(length: int) -> Value:
    x = Value(0.5, label="x")
    for _ in range(length):
        x = x + 1
    return x


def test_a_graph_over_max_nodes_is_refused_saying_how_big_and_what_to_do() -> None:
    big = chain(300)  # 601 Values: x, then a constant and a sum per step
    for show in (to_dot, draw_graph, graph_table, graph_tree):
        with pytest.raises(GraphTooLargeError) as error:
            show(big)
        message = str(error.value)
        assert "601 Values" in message and "max_nodes=500" in message
        assert "intermediate Value as the root" in message and "max_nodes=601" in message
    assert isinstance(error.value, ValueError)
    assert to_dot(big, max_nodes=601).startswith("digraph")


def test_a_huge_graph_is_refused_at_once_not_drawn() -> None:
    with pytest.raises(GraphTooLargeError, match="200001 Values"):
        draw_graph(chain(100_000))


# ---------------------------------------------------------------------- real rendering


@needs_dot
def test_the_rendered_svg_shows_every_value_with_its_label_data_and_grad() -> None:
    loss, model = worked_example()
    svg = draw_graph(loss, model=model, show_local_grads=True).pipe(format="svg").decode()
    texts = [text.text for text in ElementTree.fromstring(svg).iter(f"{SVG}text")]
    for name in (*PARAMETER_NAMES, "x1", "x2", "h1", "h2", "y_pred", "L"):
        assert name in texts
    assert "grad 0.02147" in texts and "sigmoid" in texts and "0.249" in texts


@needs_dot
def test_render_graph_writes_the_format_its_suffix_names(tmp_path: Path) -> None:
    loss, model = worked_example()
    svg = render_graph(loss, tmp_path / "loss.svg", model=model)
    assert ElementTree.parse(svg).getroot().tag == f"{SVG}svg"
    png = render_graph(loss, tmp_path / "loss.png")
    assert png.read_bytes().startswith(b"\x89PNG")


def test_render_graph_writes_dot_and_text_without_graphviz(
    tmp_path: Path, no_graphviz: None
) -> None:
    loss, model = worked_example()
    dot = render_graph(loss, tmp_path / "loss.dot", model=model)
    assert dot.read_text(encoding="utf-8") == to_dot(loss, model=model)
    table = render_graph(loss, tmp_path / "loss.txt", model=model)
    assert table.read_text(encoding="utf-8") == graph_table(loss, model=model) + "\n"


@needs_dot
def test_in_jupyter_the_graph_displays_as_svg() -> None:
    bundle = draw_graph(Value(2.0, label="a") * 3)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and "<svg" in bundle["image/svg+xml"]


def test_a_copy_is_still_a_computation_graph_with_its_text_view() -> None:
    graph = draw_graph(Value(2.0, label="a") * 3)
    copied = graph.copy()
    assert isinstance(copied, ComputationGraph) and isinstance(copied, graphviz.Digraph)
    assert copied.text_view == graph.text_view and copied.source == graph.source


# ---------------------------------------------------------------------- labels as typed

TRICKY_LABELS = [
    "<b>not bold</b>",
    "&amp; &lt;",
    'say "hi"',
    "{record|fields}",
    "back\\slash \\N \\G \\\\",
    "]",
    "[x]",
    "two\nlines",
    "tab\there",
    "é 漢字 😀 ∂L/∂w",
    "  spaced  out  ",
]


@needs_dot
@given(st.text(st.characters(exclude_categories=()), min_size=1, max_size=30))
@example("\x00\x1f\x7f\ud800\ufffe")
def test_any_label_renders_as_typed(label: str) -> None:
    assert_renders_as_typed(label)


@needs_dot
@pytest.mark.parametrize("label", TRICKY_LABELS)
def test_tricky_labels_render_as_typed(label: str) -> None:
    assert_renders_as_typed(label)


def assert_renders_as_typed(label: str) -> None:
    """Render a Value labelled ``label`` with the real dot; find the label in the SVG."""
    svg = draw_graph(Value(1.5, label=label)).pipe(format="svg").decode()
    *label_lines, data, grad = svg_texts(svg, "v0")
    assert (data, grad) == ("data 1.5", "grad 0")
    # Graphviz writes runs of spaces as no-break spaces and drops blank lines.
    shown = [line.replace("\xa0", " ") for line in label_lines]
    expected = shown_text(label).replace("\xa0", " ").split("\n")
    assert [line for line in shown if line.strip()] == [line for line in expected if line.strip()]


def test_escaping_writes_html_specials_as_entities_and_doubles_backslashes() -> None:
    assert escape_html_label('<&>"') == "&lt;&amp;&gt;&quot;"
    assert escape_html_label("a\nb") == "a<BR/>b"
    assert escape_html_label("\\N") == "\\\\N"
    assert escape_html_label("]") == "&#93;"
    assert escape_html_label("{|}") == "{|}"
    # control characters show as escapes, whose backslash is then doubled for Graphviz
    assert escape_html_label("\t\x00") == "\\\\t\\\\x00"


# ---------------------------------------------------------------------- without Graphviz


def test_without_graphviz_rendering_says_how_to_install_it(
    tmp_path: Path, no_graphviz: None
) -> None:
    loss, _ = worked_example()
    graph = draw_graph(loss)
    attempts = [
        lambda: graph.pipe(format="svg"),
        lambda: graph.render(tmp_path / "loss"),
        lambda: render_graph(loss, tmp_path / "loss.svg"),
    ]
    for attempt in attempts:
        with pytest.raises(GraphvizNotFoundError) as error:
            attempt()
        message = str(error.value)
        for hint in ("apt-get install graphviz", "brew install graphviz", "conda install"):
            assert hint in message
        assert "only the Python wrapper" in message
        assert len(message.splitlines()) <= 8
        assert error.value.__cause__ is None and error.value.__suppress_context__
    assert isinstance(error.value, RuntimeError)


def test_without_graphviz_jupyter_shows_the_message_and_the_table(no_graphviz: None) -> None:
    loss, _ = worked_example()
    bundle = draw_graph(loss)._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    text = bundle["text/plain"]
    assert isinstance(text, str)
    assert "apt-get install graphviz" in text and graph_table(loss) in text


def test_without_graphviz_dot_source_and_text_views_still_work(no_graphviz: None) -> None:
    loss, _ = worked_example()
    assert to_dot(loss).startswith("digraph {")
    assert "y_pred" in graph_table(loss) and "y_pred" in graph_tree(loss)


# ---------------------------------------------------------------------- text views


def test_graph_table_lists_values_in_topological_order_with_their_inputs() -> None:
    a = Value(3.0, label="a")
    y = a * a + a
    y.label = "y"
    y.backward()
    assert graph_table(y).splitlines() == [
        "#  name  role          op  data  grad  inputs",
        "-  ----  ------------  --  ----  ----  ------",
        "0  a     input             3     7",
        "1        intermediate  *   9     1     a, a",
        "2  y     output        +   12    1     #1, a",
    ]


def test_graph_tree_writes_a_shared_value_once() -> None:
    a = Value(2.0, label="a")
    b = a * 2
    b.label = "b"
    y = b * b
    assert graph_tree(y).splitlines() == [
        "#3 = 16  (grad 0, *)",
        "├─ b = 4  (grad 0, *)",
        "│  ├─ a = 2  (grad 0, leaf)",
        "│  └─ #1 = 2  (grad 0, leaf)",
        "└─ b = 4  (grad 0, *)  (see above)",
    ]


def test_text_views_show_newlines_and_control_characters_escaped() -> None:
    y = Value(1.0, label="two\nlines\t!") * 2
    assert "two\\nlines\\t!" in graph_table(y)
    assert "two\\nlines\\t!" in graph_tree(y)


def test_find_value_by_label_names_the_labels_there_are() -> None:
    loss, model = worked_example()
    assert find_value(loss, "w1") is model.parameters()[0]
    with pytest.raises(ValueError, match=r"no Value is labelled 'w9'.*b1, b2"):
        find_value(loss, "w9")
    a = Value(1.0, label="a")
    with pytest.raises(ValueError, match="2 Values are labelled 'a'"):
        find_value(a + Value(2.0, label="a"), "a")


def test_a_tree_deeper_than_max_depth_is_refused_so_its_text_stays_linear() -> None:
    # Each line is indented by its depth: a chain n deep would print n**2 characters.
    x = Value(1.0, label="x")
    y = x
    for _ in range(150):
        y = y.tanh()
    with pytest.raises(GraphTooLargeError, match="150 ops deep, more than max_depth=100"):
        graph_tree(y)
    lines = graph_tree(y, max_depth=150).splitlines()
    assert len(lines) == 151 and max(len(line) for line in lines) < 3 * 150 + 60


@needs_dot
def test_a_label_too_long_for_graphviz_is_drawn_cut_short() -> None:
    # Graphviz refuses an HTML-like label over 16,384 bytes.
    a = Value(2.0, label="&" * 20_000)
    svg = draw_graph(a * 3.0).pipe(format="svg").decode()
    assert "&amp;" * 199 + "\u2026" in svg and "&amp;" * 200 not in svg


def test_a_failure_of_dot_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_pipe(*args: object, **kwargs: object) -> bytes:
        raise graphviz.CalledProcessError(1, ["dot"], stderr=b"Error: syntax error\nmore\n")

    monkeypatch.setattr(graphviz.Digraph, "pipe", failing_pipe)
    with pytest.raises(GraphvizError) as caught:
        draw_graph(Value(1.0)).pipe(format="svg")
    assert str(caught.value) == "Graphviz's dot could not draw this graph: Error: syntax error"


# ---------------------------------------------------------------------- the graph command

TUTORIAL_LINE = (
    "dL/dw1 = dL/dy_pred * dy_pred/dh1 * dh1/dw1 = (-0.953) * (0.249) * (-0.0904) = 0.0215"
)


def test_graph_command_explains_the_tutorials_gradient_of_w1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["graph", "--explain", "w1"]) == 0
    assert capsys.readouterr().out.strip() == TUTORIAL_LINE


def test_graph_command_prints_the_table_tree_trace_and_dot(
    capsys: pytest.CaptureFixture[str],
) -> None:
    loss, model = worked_example()
    assert main(["graph"]) == 0
    table = capsys.readouterr().out
    assert table == graph_table(loss, model=model) + "\n"
    assert "w1      parameter" in table  # the tutorial's weights are drawn as parameters
    assert main(["graph", "--format", "tree"]) == 0
    assert capsys.readouterr().out.startswith("L = 0.2269  (grad 1, **")
    assert main(["graph", "--format", "trace"]) == 0
    assert "input.grad += local_grad * node.grad" in capsys.readouterr().out
    assert main(["graph", "--format", "dot", "--highlight", "w1"]) == 0
    assert HIGHLIGHT_COLOUR in capsys.readouterr().out


def test_graph_command_draws_a_formula(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "tanh(a*b + c)", "a=2", "b=-3", "c=10", "--explain", "a"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("d(tanh(a*b + c))/da = (-0.00402) = -0.00402")


@needs_dot
def test_graph_command_writes_a_picture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "graph.svg"
    assert main(["graph", "--format", "svg", "--output", str(output), "--local-grads"]) == 0
    assert capsys.readouterr().out == f"wrote {output}\n"
    assert ElementTree.parse(output).getroot().tag == f"{SVG}svg"


def test_graph_command_reports_errors_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, no_graphviz: None
) -> None:
    assert main(["graph", "open(a)", "a=1"]) == 2
    assert "'open(a)' is not allowed in a formula" in capsys.readouterr().err
    assert main(["graph", "--explain", "w9"]) == 2
    assert "no Value is labelled 'w9'" in capsys.readouterr().err
    assert main(["graph", "--format", "png", "--output", str(tmp_path / "g.png")]) == 1
    assert "apt-get install graphviz" in capsys.readouterr().err


# ---------------------------------------------------------------------- the scripts


def test_example_script_draws_before_and_after_backward(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = load_script(ROOT / "examples" / "graph_pictures.py")
    assert script.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    written = sorted(path.name for path in tmp_path.iterdir())
    suffix = ".svg" if HAS_DOT else ".dot"
    assert written == [
        f"1_before_backward{suffix}",
        f"2_after_backward{suffix}",
        f"3_chain_rule_for_w1{suffix}",
    ]
    assert all(str(tmp_path / name) in out for name in written)
    assert "dL/dw1 = 0.0215" in out and "y_pred" in out


@needs_dot
def test_pictures_script_draws_every_picture_the_page_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = load_script(ROOT / "docs" / "make_pictures.py")
    assert script.main([str(tmp_path)]) == 0
    written = {path.name for path in tmp_path.iterdir()}
    page = (ROOT / "docs" / "pictures.md").read_text(encoding="utf-8")
    on_the_pictures_page = set(re.findall(r"\(images/([\w.]+\.svg)\)", page))
    on_any_page = {
        name
        for other in (ROOT / "docs").rglob("*.md")
        for name in re.findall(r"\((?:\.\./)*images/([\w.]+\.svg)\)", other.read_text("utf-8"))
    }
    assert on_the_pictures_page <= written, "pictures.md shows a graph no script draws"
    assert written <= on_any_page, f"pictures no page shows: {written - on_any_page}"
    assert all((ROOT / "docs" / "images" / name).is_file() for name in written)
    for name in written:
        assert ElementTree.parse(tmp_path / name).getroot().tag == f"{SVG}svg"


def console_sessions(page: Path) -> list[tuple[list[str], str]]:
    """Each ``$ tinygrad-edu ...`` command of a page's console blocks, with the output
    shown under it."""
    sessions: list[tuple[list[str], str]] = []
    blocks = re.findall(r"```console\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    for block in blocks:
        for command in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            line, _, output = command.partition("\n")
            sessions.append((shlex.split(line)[1:], output))
    return sessions


@needs_dot
def test_the_pages_command_line_examples_print_what_they_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    sessions = console_sessions(ROOT / "docs" / "pictures.md")
    assert len(sessions) == 3
    for argv, shown in sessions:
        assert main(argv) == 0
        assert capsys.readouterr().out == shown
