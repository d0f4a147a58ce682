"""The playground's parts, without a server: its data and features, the checks on a
set-up, the network on Tensors, one point's scalar graph (whose numbers must equal the
tensor engine's), the stepper's steps, and the exports."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Value, topological_order
from tinygrad_edu.cli import main
from tinygrad_edu.nn import MLP, load_module
from tinygrad_edu.playground import export
from tinygrad_edu.playground.config import Config, RequestError
from tinygrad_edu.playground.datasets import (
    DATASETS,
    FEATURES,
    MAX_CSV_ROWS,
    Points,
    feature_matrix,
    grid,
    make_points,
    parse_csv,
    split,
    view_half_width,
)
from tinygrad_edu.playground.network import Network, Training
from tinygrad_edu.playground.point_graph import point_loss, scalar_model
from tinygrad_edu.playground.sessions import points_for
from tinygrad_edu.playground.stepper import asset, stepper_data, stepper_page
from tinygrad_edu.tensor import Tensor
from tinygrad_edu.trace import trace_backward
from tinygrad_edu.tutorial import tutorial_loss
from tinygrad_edu.viz import format_number, node_ids, to_html

from .test_viz import needs_dot

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------- data


@pytest.mark.parametrize("name", DATASETS)
def test_built_in_sets_are_seeded_and_fill_the_view(name: str) -> None:
    points = make_points(name, 300, 0.05, seed=1)
    again = make_points(name, 300, 0.05, seed=1)
    other = make_points(name, 300, 0.05, seed=2)
    assert points.X.shape == (300, 2) and points.labels.shape == (300,)
    assert np.array_equal(points.X, again.X) and np.array_equal(points.labels, again.labels)
    assert not np.array_equal(points.X, other.X)
    assert points.classes == (3 if name == "spirals3" else 2)
    assert set(points.labels.tolist()) == set(range(points.classes))
    # Moved and stretched into about [-3, 3]: a view of 2.5 to 3.5 either side of 0.
    assert 2 <= view_half_width(points) <= 3.5
    assert abs(points.X.mean(axis=0)).max() < 0.5


def test_csv_points_with_a_header_and_blank_lines() -> None:
    points = parse_csv("x1,x2,label\n\n0.5,-1,0\n1,2,1\n  \n-3,0.25,1\n2,2,0\n")
    assert points.X.tolist() == [[0.5, -1], [1, 2], [-3, 0.25], [2, 2]]
    assert points.labels.tolist() == [0, 1, 1, 0] and points.classes == 2
    three = parse_csv("0,0,0\n1,1,1\n2,2,2\n3,3,1\n")
    assert three.classes == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,0\n1,2\n1,1,1\n2,2,0\n", "CSV line 2: expected 3 values"),
        ("1,2,0\n1,a,1\n1,1,1\n2,2,0\n", "CSV line 2: '1,a,1' are not all numbers"),
        ("1,2,0\n1,nan,1\n1,1,1\n2,2,0\n", "CSV line 2: x2 = nan is not a number between"),
        ("1,2,0\n1,inf,1\n1,1,1\n2,2,0\n", "x2 = inf"),
        ("1,2,0\n1e9,1,1\n1,1,1\n2,2,0\n", "x1 = 1000000000.0 is not a number between -1000"),
        ("1,2,0\n1,2,0.5\n1,1,1\n2,2,0\n", "CSV line 2: the label must be 0, 1 or 2"),
        ("1,2,0\n1,2,3\n1,1,1\n2,2,0\n", "the label must be 0, 1 or 2, got '3'"),
        ("1,2,0\n1,2,2\n1,1,2\n2,2,0\n", "found [0, 2]"),
        ("1,2,1\n1,2,1\n1,1,1\n2,2,1\n", "found [1]"),
        ("1,2,0\n1,2,1\n", "at least 4 rows"),
        ("", "at least 4 rows"),
    ],
)
def test_bad_csv_is_refused_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_csv(text)


def test_csv_of_more_than_the_limit_is_refused() -> None:
    rows = "".join(f"{index % 7},{index % 5},{index % 2}\n" for index in range(MAX_CSV_ROWS + 1))
    assert len(parse_csv(rows.rsplit("\n", 2)[0] + "\n")) == MAX_CSV_ROWS
    with pytest.raises(ValueError, match=f"more than {MAX_CSV_ROWS} rows"):
        parse_csv(rows)


def test_split_is_seeded_disjoint_and_holds_out_the_fraction() -> None:
    points = make_points("xor", 101, 0.1, seed=0)
    train, test = split(points, 0.3, seed=5)
    assert (len(train), len(test)) == (71, 30)
    together = np.concatenate([train.X, test.X])
    assert sorted(map(tuple, together.tolist())) == sorted(map(tuple, points.X.tolist()))
    again_train, _ = split(points, 0.3, seed=5)
    assert np.array_equal(train.X, again_train.X)
    tiny = Points(points.X[:2], points.labels[:2], 2)
    assert [len(part) for part in split(tiny, 0.9, seed=0)] == [1, 1]


def test_features_are_computed_from_the_point() -> None:
    X = np.array([[2.0, -3.0], [0.5, 1.0]])
    columns = feature_matrix(X, tuple(FEATURES))
    x1, x2 = X[:, 0], X[:, 1]
    expected = [x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)]
    assert np.array_equal(columns, np.column_stack(expected))
    assert np.array_equal(feature_matrix(X, ("x1x2",)), (x1 * x2).reshape(-1, 1))


def test_the_grid_runs_row_by_row_from_the_top_left() -> None:
    cells = grid(1.0, 2)
    assert cells.tolist() == [[-0.5, 0.5], [0.5, 0.5], [-0.5, -0.5], [0.5, -0.5]]


# ---------------------------------------------------------------------- the set-up


def test_a_config_round_trips_through_json_and_fills_in_defaults() -> None:
    config = Config(dataset="spirals", hidden=(8, 8), features=("x1", "sinx2"), l2=0.01)
    assert Config.from_json(config.to_json()) == config
    assert Config.from_json({}) == Config()
    assert Config.from_json({"hidden": []}).hidden == ()
    assert Config.from_json({"batch_size": 10.0}).batch_size == 10  # JSON has one number kind


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ([], "the config must be a JSON object"),
        ({"colour": "red"}, "the config: unknown field 'colour'; expected dataset, points"),
        ({"dataset": "mnist"}, "dataset must be one of xor, circles"),
        ({"dataset": 3}, "dataset must be one of"),
        ({"points": 5}, "points must be from 10 to 2000, got 5"),
        ({"points": 10.5}, "points must be a whole number, got a number 10.5"),
        ({"points": True}, "points must be a whole number, got true/false"),
        ({"points": None}, "points must be a whole number, got null"),
        ({"points": "400"}, "points must be a whole number, got a string '400'"),
        ({"noise": -0.1}, "noise must be from 0 to 0.5"),
        ({"noise": float("nan")}, "noise must be from 0 to 0.5, got nan"),
        ({"learning_rate": float("inf")}, "learning_rate must be from"),
        ({"learning_rate": 0}, "learning_rate must be from 1e-06 to 10"),
        ({"test_fraction": 1}, "test_fraction must be from 0.1 to 0.9"),
        ({"seed": -1}, "seed must be from 0 to"),
        ({"features": []}, "features must have 1 to 7 entries, got 0"),
        ({"features": "x1"}, "features must be a list"),
        ({"features": ["x1", "x3"]}, "features[1] must be one of x1, x2"),
        ({"features": ["x1", "x1"]}, "each feature may be chosen once"),
        ({"hidden": [4] * 7}, "hidden must have 0 to 6 entries, got 7"),
        ({"hidden": [4, 0]}, "hidden[1] must be from 1 to 8, got 0"),
        ({"hidden": [9]}, "hidden[0] must be from 1 to 8, got 9"),
        ({"hidden": [[4]]}, "hidden[0] must be a whole number, got a list"),
        ({"activation": "softmax"}, "activation must be one of tanh, relu, sigmoid, linear"),
        ({"batch_size": 0}, "batch_size must be from 1 to 10000"),
        ({"l2": 2}, "l2 must be from 0 to 1"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, momentum, adam"),
    ],
)
def test_a_bad_config_is_refused_naming_the_setting(settings: object, message: str) -> None:
    with pytest.raises(RequestError, match=re.escape(message)) as refused:
        Config.from_json(settings)
    assert refused.value.status == 400


# ---------------------------------------------------------------------- the network


def trained(config: Config, epochs: int = 3) -> Training:
    training = Training(config, make_points(config.dataset, config.points, config.noise, 0))
    training.run_epochs(epochs)
    return training


def test_the_network_starts_as_pytorch_linear_layers_do() -> None:
    network = Network.initial(7, (8, 3), "tanh", classes=3, seed=0)
    assert network.sizes == [7, 8, 3, 3]
    assert [weight.shape for weight in network.weights] == [(8, 7), (3, 8), (3, 3)]
    for weight, bias in zip(network.weights, network.biases):
        bound = 1 / math.sqrt(weight.shape[1])
        assert np.abs(weight.data).max() <= bound and np.abs(bias.data).max() <= bound
        assert weight.requires_grad and bias.requires_grad
    again = Network.initial(7, (8, 3), "tanh", classes=3, seed=0)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(network.weights, again.weights))
    assert Network.initial(2, (), "relu", classes=2, seed=0).sizes == [2, 1]


def test_the_data_loss_is_the_cross_entropy_of_the_probabilities() -> None:
    for classes in (2, 3):
        network = Network.initial(2, (4,), "relu", classes=classes, seed=3)
        X = np.array([[0.5, -1.0], [2.0, 0.25], [-1.0, -2.0]])
        labels = np.array([1, 0, classes - 1])
        probabilities, hidden = network.probabilities(X)
        expected = -np.mean(np.log(probabilities[np.arange(3), labels]))
        scores, _ = network.forward(Tensor(X))
        assert network.data_loss(scores, labels).item() == pytest.approx(expected, rel=1e-12)
        assert np.allclose(probabilities.sum(axis=1), 1)
        assert [layer.shape for layer in hidden] == [(3, 4)]


def test_the_l2_penalty_is_half_l2_times_the_squared_weights_without_biases() -> None:
    network = Network.initial(2, (3,), "tanh", classes=2, seed=0)
    squares = sum(float((weight.data**2).sum()) for weight in network.weights)
    assert network.penalty(0.1).item() == pytest.approx(0.05 * squares, rel=1e-12)


@pytest.mark.parametrize(
    ("dataset", "activation", "hidden", "features"),
    [
        ("circles", "tanh", (4, 2), ("x1", "x2")),
        ("xor", "relu", (3,), ("x1", "x2", "x1x2")),
        ("moons", "sigmoid", (), ("x1", "x2")),
        ("spirals3", "tanh", (5, 4), ("x1", "x2", "sinx1", "sinx2")),
        ("spirals3", "linear", (2,), tuple(FEATURES)),
    ],
)
def test_one_points_scalar_graph_has_the_tensor_engines_numbers(
    dataset: str, activation: str, hidden: tuple[int, ...], features: tuple[str, ...]
) -> None:
    config = Config(dataset=dataset, activation=activation, hidden=hidden, features=features)
    training = trained(config)
    for index in (0, 7):
        inputs = training.train_inputs[index]
        label = int(training.train.labels[index])
        tensor_loss, tensor_grads = training.network.point_gradients(inputs, label)
        graph = point_loss(training.network, features, inputs, label)
        graph.root.backward()
        scalar_grads = {name: value.grad for name, value in graph.parameters_by_name().items()}
        assert graph.root.data == pytest.approx(tensor_loss, rel=1e-12, abs=1e-15)
        assert scalar_grads.keys() == tensor_grads.keys()
        for name in scalar_grads:
            assert scalar_grads[name] == pytest.approx(tensor_grads[name], rel=1e-9, abs=1e-15)
        assert any(abs(grad) > 1e-6 for grad in scalar_grads.values())


def test_the_point_gradients_leave_training_untouched() -> None:
    training = trained(Config(dataset="xor", hidden=(2,)), epochs=1)
    before = [weight.grad for weight in training.network.weights]
    training.network.point_gradients(training.train_inputs[0], int(training.train.labels[0]))
    after = [weight.grad for weight in training.network.weights]
    assert all(a is b for a, b in zip(before, after))


def test_the_scalar_model_is_labelled_as_the_tensors_elements() -> None:
    network = Network.initial(2, (3,), "tanh", classes=2, seed=0)
    model = scalar_model(network)
    weight = dict(model.named_parameters())["layers.0.neurons.2.w1"]
    assert weight.label == "W1[2,1]" and weight.data == network.weights[0].data[2, 1]
    assert dict(model.named_parameters())["layers.1.neurons.0.bias"].label == "b2[0]"
    graph = point_loss(network, ("x1", "x2"), np.array([0.5, -1.0]), 1)
    labels = {value.label for value in topological_order(graph.root)}
    assert {"x1", "x2", "h1[0]", "h1[2]", "z", "t", "L"} <= labels


def test_training_is_deterministic_and_records_a_loss_per_epoch() -> None:
    config = Config(dataset="moons", hidden=(3,), optimizer="momentum", l2=0.001)
    first, second = trained(config, epochs=4), trained(config, epochs=4)
    assert first.train_losses == second.train_losses and len(first.test_losses) == 5
    assert first.epoch == 4 and first.train_losses[-1] < first.train_losses[0]


def test_a_learning_rate_far_too_high_is_reported_not_hidden() -> None:
    # Linear layers multiply: a step of 3 sends the weights, then the loss, to inf.
    config = Config(dataset="circles", hidden=(8, 8), activation="linear", learning_rate=3.0)
    with warnings.catch_warnings(record=True) as shown:
        training = trained(config, epochs=5)
    assert [str(warning.message) for warning in shown] == []  # numpy's overflow stays quiet
    assert training.diverged_at == 1
    assert not math.isfinite(training.train_losses[-1])
    training.run_epochs(5)
    assert training.epoch == 1  # it stops, and stays stopped


# ---------------------------------------------------------------------- the stepper


def test_the_steps_are_forward_per_op_then_the_seed_then_backward_per_edge() -> None:
    loss, model = tutorial_loss()
    data = stepper_data(loss, model=model)
    order = topological_order(loss)
    kinds = [step["kind"] for step in data["steps"]]
    ops = [node for node in order if node.inputs]
    edges = sum(len(node.inputs) for node in order)
    assert kinds == ["forward"] * len(ops) + ["seed"] + ["backward"] * edges
    assert [node["id"] for node in data["nodes"]] == list(node_ids(order).values())
    ids = node_ids(order)
    assert [step["node"] for step in data["steps"][: len(ops)]] == [ids[node] for node in ops]


def test_the_backward_steps_are_trace_backwards_rows_and_end_at_the_gradients() -> None:
    loss, model = tutorial_loss()
    data = stepper_data(loss, model=model)
    assert all(value.grad == 0 for value in topological_order(loss))  # grads put back as they were
    trace = trace_backward(loss)
    ids = node_ids(list(trace.order))
    rows = [
        (ids[step.node], ids[edge.input], edge.local_grad, edge.contribution, edge.input_grad)
        for step in trace.steps
        for edge in step.edges
    ]
    shown = [
        (
            step["node"],
            step["input"],
            step["local_grad_exact"],
            step["contribution_exact"],
            step["grad_exact"],
        )
        for step in data["steps"]
        if step["kind"] == "backward"
    ]
    assert shown == rows
    last_grad = {
        step["input"]: step["grad_exact"] for step in data["steps"] if step["kind"] == "backward"
    }
    for node in trace.order:
        if node is not loss:
            assert last_grad[ids[node]] == node.grad
    w1 = model.parameters()[0]
    step = next(step for step in data["steps"] if step.get("input") == ids[w1])
    above = next(node["name"] for node in data["nodes"] if node["id"] == step["node"])
    assert step["text"] == (
        f"w1.grad += local_grad * {above}.grad = ({step['local_grad']}) * "
        f"({step['node_grad']}) = {step['contribution']}, so w1.grad is now {step['grad']}"
    )
    assert step["grad"] == format_number(w1.grad) == "0.02147"


def test_forward_steps_show_the_op_with_its_numbers() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b).tanh()
    c.label = "c"
    steps = stepper_data(c)["steps"]
    assert steps[0]["text"] == "#2 = a * b = (2) * (-3) = -6"
    assert steps[1]["text"] == f"c = tanh(#2) = tanh(-6) = {format_number(math.tanh(-6))}"
    first_back = steps[3]
    assert first_back["rule"] == "local_grad = dc/d#2 = 1 - tanh(#2)², from the output"


@needs_dot
def test_the_stand_alone_page_holds_everything_and_escapes_labels(tmp_path: Path) -> None:
    a = Value(1.5, label="</script><script>alert(1)</script>")
    b = Value(2.0, label="b & <c>")
    y = a * b
    page = to_html(y, title="a <title>")
    assert page.count("</script>") == 3  # the data block, the stepper, the start-up
    assert "alert(1)</script>" not in page
    assert "<title>a &lt;title&gt;</title>" in page
    assert re.search(r"""(src|href)=["']?(https?:)?//""", page) is None
    assert 'type="application/json" id="stepper-data"' in page
    assert page == stepper_page(y, title="a <title>")


@needs_dot
def test_the_graph_command_writes_a_stepper_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stepper.html"
    assert main(["graph", "--format", "html", "-o", str(path)]) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert "The graph of L" in path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------- exports


@pytest.mark.parametrize("dataset", ["circles", "spirals3"])
def test_the_model_file_loads_with_load_module_and_predicts_the_same(
    dataset: str, tmp_path: Path
) -> None:
    config = Config(dataset=dataset, hidden=(3, 2), features=("x1", "x2", "sinx1"))
    training = trained(config)
    path = tmp_path / export.MODEL_FILE
    path.write_text(export.model_file(training), encoding="utf-8")
    model = load_module(path)
    assert isinstance(model, MLP) and model.nouts == [3, 2, 1 if dataset == "circles" else 3]
    inputs = training.test_inputs[:5]
    probabilities, _ = training.network.probabilities(inputs)
    for row, expected in zip(inputs, probabilities):
        outputs = model(list(row))
        scores = [outputs.data] if isinstance(outputs, Value) else [o.data for o in outputs]
        if len(scores) == 1:
            assert 1 / (1 + math.exp(-scores[0])) == pytest.approx(expected[1], rel=1e-12)
        else:
            exps = np.exp(np.array(scores) - max(scores))
            assert exps / exps.sum() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dataset", ["xor", "spirals3"])
def test_the_script_rebuilds_the_network_and_prints_its_predictions(
    dataset: str, tmp_path: Path
) -> None:
    config = Config(dataset=dataset, hidden=(4,), features=("x1", "x2", "x1sq", "sinx2"))
    training = trained(config)
    (tmp_path / export.MODEL_FILE).write_text(export.model_file(training), encoding="utf-8")
    script = tmp_path / export.SCRIPT_FILE
    script.write_text(export.script(training), encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd="/", timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert len(lines) == export.SAMPLE_POINTS
    probabilities, _ = training.network.probabilities(training.train_inputs[: len(lines)])
    for line, expected in zip(lines, probabilities):
        shown = [float(number) for number in line.split("probabilities ")[1].split(", ")]
        assert shown == pytest.approx(expected.tolist(), abs=1e-6)
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", str(script)],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout


# ---------------------------------------------------------------------- the docs


def test_the_docs_stepper_page_is_the_graph_commands_as_it_is_now(tmp_path: Path) -> None:
    """docs/stepper/tutorial.html is `tinygrad-edu graph --format html -o ...`: written
    again, it has the same steps and the page's current script and styles."""
    committed = (ROOT / "docs" / "stepper" / "tutorial.html").read_text(encoding="utf-8")
    fresh_path = tmp_path / "tutorial.html"
    assert main(["graph", "--format", "html", "-o", str(fresh_path)]) == 0
    fresh = fresh_path.read_text(encoding="utf-8")
    assert steps_of(committed) == steps_of(fresh)
    assert asset("stepper.js") in committed and asset("stepper.css") in committed


def steps_of(page: str) -> object:
    data = json.loads(page.split('id="stepper-data">')[1].split("</script>")[0])
    return data["nodes"], data["steps"]


def final_test_loss(epochs: int, **settings: Any) -> float:
    config = Config(**settings)
    training = Training(config, points_for(config, None))
    training.run_epochs(epochs)
    return training.test_losses[-1]


def test_experiment_1_xor_needs_a_hidden_layer_or_the_feature_x1_x2() -> None:
    """docs/playground.md, experiment 1, with the numbers it quotes."""
    alone = final_test_loss(30, dataset="xor", hidden=(), optimizer="adam")
    assert 0.69 < alone < 0.73  # no better than guessing (log 2 = 0.693)
    assert final_test_loss(30, dataset="xor", hidden=(4,), optimizer="adam") < 0.01
    featured = final_test_loss(
        30, dataset="xor", hidden=(), features=("x1", "x2", "x1x2"), optimizer="adam"
    )
    assert featured < 0.01


@pytest.mark.slow
def test_experiment_2_too_high_a_learning_rate() -> None:
    """docs/playground.md, experiment 2: the defaults on circles, at four learning rates."""
    losses = {}
    for rate in (0.03, 0.3, 1.0, 3.0):
        config = Config(dataset="circles", learning_rate=rate)
        training = Training(config, points_for(config, None))
        training.run_epochs(50)
        losses[rate] = training.test_losses
    assert losses[0.03][50] > 0.69  # barely moved yet
    assert losses[0.3][50] < 0.02
    assert losses[1.0][20] < 0.2 and losses[1.0][40] > 0.6 and losses[1.0][50] < 0.2
    assert min(losses[3.0][10:]) > 0.6 and max(losses[3.0][10:]) > 1.9
    assert losses[3.0][50] > losses[3.0][0] > 0.69
    diverging = Config(dataset="circles", hidden=(8, 8), activation="linear", learning_rate=3)
    training = Training(diverging, points_for(diverging, None))
    training.run_epochs(2)
    assert training.diverged_at == 1


@pytest.mark.slow
def test_experiment_3_relu_against_tanh_on_spirals() -> None:
    """docs/playground.md, experiment 3: 50 epochs of Adam on spirals."""
    settings: dict[str, Any] = {"dataset": "spirals", "hidden": (8, 8), "optimizer": "adam"}
    tanh = final_test_loss(50, activation="tanh", **settings)
    relu = final_test_loss(50, activation="relu", **settings)
    with_sines = final_test_loss(
        50, activation="tanh", features=("x1", "x2", "sinx1", "sinx2"), **settings
    )
    assert round(tanh, 2) == 0.38 and round(relu, 2) == 0.13
    assert with_sines < relu


def test_the_stepper_refuses_a_tensor_graph_clearly() -> None:
    y = (Tensor([1.0, 2.0], requires_grad=True) * 3).sum()
    with pytest.raises(TypeError, match="to_html steps through a graph of Values"):
        to_html(y)
