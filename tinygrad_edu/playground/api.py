"""What the playground's server answers: each endpoint as a function from a session
and a request body (JSON, already parsed) to the answer (JSON-ready data).

The HTTP around them (reading, checking sizes, routing, sending) is in ``server.py``;
the checks on every field are in ``config.py``. Here: the state of a session as the page
draws it, training, and one point's graph, steps and chain rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_edu.engine import Value, topological_order
from tinygrad_edu.playground import cost, export
from tinygrad_edu.playground.config import (
    ACTIVATIONS,
    CUSTOM_DATASET,
    MAX_BODY_BYTES,
    MAX_HIDDEN_LAYERS,
    MAX_NEURONS,
    MAX_POINTS,
    OPTIMIZERS,
    Config,
    RequestError,
    choice,
    integer,
    json_object,
    text,
)
from tinygrad_edu.playground.datasets import (
    DATASETS,
    FEATURES,
    MAX_CSV_ROWS,
    Array,
    Points,
    feature_matrix,
    grid,
    parse_csv,
    view_half_width,
)
from tinygrad_edu.playground.network import Training
from tinygrad_edu.playground.point_graph import PointLoss, point_loss
from tinygrad_edu.playground.sessions import Session
from tinygrad_edu.playground.stepper import stepper_data
from tinygrad_edu.trace import explain_gradient
from tinygrad_edu.viz import GraphvizNotFoundError, node_ids

MAX_CSV_CHARACTERS = 900_000
MAX_EPOCHS_PER_REQUEST = 100
"""Epochs one train request may ask for; fewer if they cost more than ``cost.py`` allows."""
POINT_GRAPH_MAX_NODES = 1500
"""The most Values a point's graph may have, for its steps and for its chain rule.
The largest network allowed (7 features, 6 layers of 8, 3 classes) makes 1,318."""
BOUNDARY_GRID = 50
NEURON_GRID = 20


# ---------------------------------------------------------------------- what answers say


def rounded(values: np.ndarray[Any, Any], digits: int = 3) -> list[Any]:
    """An array as nested lists of numbers rounded to ``digits`` decimals, with None
    (JSON null) for nan and inf, which JSON cannot hold."""
    shown: np.ndarray[Any, Any] = np.round(values, digits)
    finite = np.isfinite(shown)
    if not finite.all():
        shown = shown.astype(object)
        shown[~finite] = None
    result: list[Any] = shown.tolist()
    return result


def finite_or_none(number: float) -> float | None:
    """The number, or None (JSON null) for nan and inf, which JSON cannot hold."""
    return number if math.isfinite(number) else None


def session_state(session: Session) -> dict[str, Any]:
    """Everything the page needs to draw a session from scratch."""
    training = session.training
    config = training.config
    return {
        "session": session.id,
        "config": config.to_json(),
        "classes": training.points.classes,
        "features": [FEATURES[name].title for name in config.features],
        "view": view_half_width(training.points),
        "points": {"train": _points_json(training.train), "test": _points_json(training.test)},
        "steps_per_epoch": training.steps_per_epoch,
        "epochs_per_request": epochs_per_request(training),
        "train_losses": [finite_or_none(loss) for loss in training.train_losses],
        "test_losses": [finite_or_none(loss) for loss in training.test_losses],
        **picture(training),
    }


def _points_json(points: Points) -> list[list[float]]:
    """Each point as [x1, x2, label]."""
    rows: list[list[float]] = np.column_stack([points.X, points.labels]).tolist()
    return rows


def picture(training: Training) -> dict[str, Any]:
    """What the page redraws after training: the epoch, the decision regions (each
    class's probability over a grid, row by row from the top), each hidden neuron's
    output over a smaller grid, and the weights. After a divergence the numbers are
    nan, so only ``diverged_at`` is given."""
    state: dict[str, Any] = {"epoch": training.epoch, "diverged_at": training.diverged_at}
    if training.diverged_at is not None:
        return {**state, "boundary": None, "neurons": None, "weights": None, "biases": None}
    half_width = view_half_width(training.points)
    features = training.config.features
    probabilities, _ = training.network.probabilities(
        feature_matrix(grid(half_width, BOUNDARY_GRID), features)
    )
    _, hidden_outputs = training.network.probabilities(
        feature_matrix(grid(half_width, NEURON_GRID), features)
    )
    return {
        **state,
        "boundary": {"size": BOUNDARY_GRID, "classes": rounded(probabilities.T)},
        "neurons": {
            "size": NEURON_GRID,
            "layers": [rounded(layer.T) for layer in hidden_outputs],
        },
        "weights": [rounded(weight.data, 4) for weight in training.network.weights],
        "biases": [rounded(bias.data, 4) for bias in training.network.biases],
    }


def options() -> dict[str, Any]:
    """What the page can offer, with the limits the server enforces."""
    return {
        "datasets": {name: dataset.title for name, dataset in DATASETS.items()}
        | {CUSTOM_DATASET: "your own points (CSV)"},
        "features": {name: feature.title for name, feature in FEATURES.items()},
        "activations": list(ACTIVATIONS),
        "optimizers": list(OPTIMIZERS),
        "limits": {
            "hidden_layers": MAX_HIDDEN_LAYERS,
            "neurons": MAX_NEURONS,
            "points": MAX_POINTS,
            "csv_rows": MAX_CSV_ROWS,
            "epochs_per_request": MAX_EPOCHS_PER_REQUEST,
            "body_bytes": MAX_BODY_BYTES,
        },
        "defaults": Config().to_json(),
    }


# ---------------------------------------------------------------------- the endpoints


def config_and_points(body: object) -> tuple[Config, Points | None]:
    """The ``config`` of a create or reset request, and the points of its ``csv``."""
    request = json_object(body, "the request", ("config", "csv"))
    config = Config.from_json(request.get("config", {}))
    if "csv" not in request:
        return config, None
    try:
        points = parse_csv(text(request, "csv", MAX_CSV_CHARACTERS))
    except ValueError as error:
        if isinstance(error, RequestError):
            raise
        raise RequestError(str(error)) from None
    return config, points


def reset(session: Session, body: object) -> dict[str, Any]:
    """Start the session again from the request's config (and CSV points, if any)."""
    config, points = config_and_points(body)
    session.reset(config, points)
    return session_state(session)


def train(session: Session, body: object) -> dict[str, Any]:
    """Train for ``epochs``; answer with the losses of the new epochs and the picture."""
    request = json_object(body, "the request", ("epochs",))
    epochs = integer(request, "epochs", 1, MAX_EPOCHS_PER_REQUEST)
    training = session.training
    if training.diverged_at is not None:
        raise RequestError(
            f"training diverged at epoch {training.diverged_at} (the loss is no longer a "
            "number): lower the learning rate and reset",
            status=409,
        )
    most = epochs_per_request(training)
    if epochs > most:
        raise RequestError(_too_much_work(training, epochs, most))
    first_new = training.epoch + 1
    training.run_epochs(epochs)
    return {
        "train_losses": [finite_or_none(loss) for loss in training.train_losses[first_new:]],
        "test_losses": [finite_or_none(loss) for loss in training.test_losses[first_new:]],
        **picture(training),
    }


def epochs_per_request(training: Training) -> int:
    """The most epochs one train request may ask for with this set-up (maybe 0)."""
    return min(MAX_EPOCHS_PER_REQUEST, cost.most_epochs(training))


def _too_much_work(training: Training, epochs: int, most: int) -> str:
    """Why ``epochs`` epochs are refused, and what to ask for instead."""
    budget = f"one request may do about {cost.MAX_COST_MICROSECONDS / 1e6:.0f} s"
    each = f"{training.steps_per_epoch} optimizer steps (batch size {training.config.batch_size})"
    if most > 0:
        estimate = epochs * cost.training_epoch_cost(training) / 1e6
        return (
            f"{epochs} epochs of this set-up, each {each}, are about {estimate:.1f} s of "
            f"work, and {budget}: ask for at most {most} epoch{'s' if most > 1 else ''} "
            "at a time" + (", or use a larger batch size" if training.steps_per_epoch > 1 else "")
        )
    estimate = cost.training_epoch_cost(training) / 1e6
    batch_size = cost.smallest_batch_size(training)
    instead = (
        f"use a batch size of at least {batch_size}"
        if batch_size is not None
        else "use fewer points or a smaller network"
    )
    return (
        f"one epoch of this set-up, {each}, is about {estimate:.1f} s of work, and "
        f"{budget}: {instead}"
    )


def _chosen_point(training: Training, request: Mapping[str, Any]) -> tuple[str, int, Points]:
    split = choice(request, "split", ("train", "test"))
    points = training.train if split == "train" else training.test
    index = integer(request, "index", 0, len(points) - 1)
    return split, index, points


def _point_graph(training: Training, points: Points, index: int) -> tuple[Array, int, PointLoss]:
    """The features and the label of point ``index``, and its loss as a scalar graph.

    RequestError if the graph has more Values than ``POINT_GRAPH_MAX_NODES``. The
    limits on the network keep every graph below that; if they ever grow, the page
    says why it cannot show a point instead of failing.
    """
    inputs = feature_matrix(points.X[index : index + 1], training.config.features)[0]
    label = int(points.labels[index])
    graph = point_loss(training.network, training.config.features, inputs, label)
    size = len(topological_order(graph.root))
    if size > POINT_GRAPH_MAX_NODES:
        raise RequestError(
            f"this point's graph has {size} Values, more than the {POINT_GRAPH_MAX_NODES} "
            "a point's view can show: use fewer hidden layers, neurons or features"
        )
    return inputs, label, graph


def point(session: Session, body: object) -> dict[str, Any]:
    """One point's loss as a scalar graph, with its steps, and the tensor engine's
    gradients for the same point, parameter by parameter."""
    request = json_object(body, "the request", ("split", "index"))
    training = session.training
    if training.diverged_at is not None:
        raise RequestError("training diverged: there are no numbers to show; reset", 409)
    split, index, points = _chosen_point(training, request)
    inputs, label, graph = _point_graph(training, points, index)
    tensor_loss, tensor_grads = training.network.point_gradients(inputs, label)
    by_name = graph.parameters_by_name()
    try:
        steps = stepper_data(
            graph.root,
            title=f"The loss of {split} point {index}",
            parameters=by_name.values(),
            max_nodes=POINT_GRAPH_MAX_NODES,
        )
    except GraphvizNotFoundError as error:
        raise RequestError(str(error), status=503) from None
    graph.root.backward()
    ids = node_ids(topological_order(graph.root))
    x1, x2 = points.X[index].tolist()
    return {
        "point": {"split": split, "index": index, "x1": x1, "x2": x2, "label": label},
        "loss": graph.root.data,
        "tensor_loss": tensor_loss,
        "graph": steps,
        "parameters": [
            {
                "name": name,
                "label": value.label,
                "node": ids[value],
                "data": value.data,
                "grad": value.grad,
                "tensor_grad": tensor_grads[name],
            }
            for name, value in by_name.items()
        ],
    }


def explain(session: Session, body: object) -> dict[str, Any]:
    """``explain_gradient``'s chain rule for one parameter of one point's loss."""
    request = json_object(body, "the request", ("split", "index", "parameter"))
    training = session.training
    if training.diverged_at is not None:
        raise RequestError("training diverged: there are no numbers to show; reset", 409)
    _, index, points = _chosen_point(training, request)
    _, _, graph = _point_graph(training, points, index)
    labels: dict[str, Value] = {value.label: value for value in graph.model.parameters()}
    wanted = text(request, "parameter", 40)
    if wanted not in labels:
        raise RequestError(f"parameter {wanted!r} is not in this network; try {next(iter(labels))}")
    # The same size limit as the point's own view (explain_gradient's default is
    # lower): the page asks for this explanation after every click on a point.
    explanation = explain_gradient(graph.root, labels[wanted], max_nodes=POINT_GRAPH_MAX_NODES)
    return {
        "parameter": wanted,
        "text": str(explanation),
        "gradient": explanation.total,
        "paths": explanation.path_count,
    }


def model_file(session: Session, body: object) -> str:
    """The network as a model file (``export.model_file``), unless its weights are no
    longer numbers, which a model file cannot hold (409)."""
    training = session.training
    if not all(np.isfinite(parameter.data).all() for parameter in training.network.parameters()):
        raise RequestError(
            "the weights are no longer numbers (training diverged), so there is no model to "
            "save: lower the learning rate and reset",
            status=409,
        )
    return export.model_file(training)
