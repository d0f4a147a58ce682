"""The playground's server: the page's files, and a JSON API that runs the engines.

Built on the standard library's ``http.server`` (``ThreadingHTTPServer``): it is always
there, so the playground needs nothing beyond numpy and graphviz, and its handful of
endpoints need no more. Each request runs in its own thread, so one tab's training
does not hold up another tab (numpy releases Python's lock while it multiplies).

The API, every body and answer JSON (answers to errors: ``{"error": "..."}``)::

    GET    /api/options                          what can be chosen, the limits, the defaults
    POST   /api/sessions             {config, csv?}   a new session; its state
    GET    /api/sessions/ID                      the session's state
    DELETE /api/sessions/ID                      forget the session
    POST   /api/sessions/ID/reset    {config, csv?}   start again from this config
    POST   /api/sessions/ID/train    {epochs}    train; the new losses and pictures
    POST   /api/sessions/ID/point    {split, index}   one point's scalar graph and steps
    POST   /api/sessions/ID/explain  {split, index, parameter}   the chain rule for one weight
    GET    /api/sessions/ID/export/model         the model file (for nn.load_module)
    GET    /api/sessions/ID/export/script        a Python script that uses it

Nothing a request says is trusted: sizes, types and ranges are checked
(``config.py``), bodies are at most ``MAX_BODY_BYTES``, anything wrong gets a 4xx
with a message saying what. Only the package's own page files are ever read; nothing
is evaluated, nothing is unpickled. The server listens on 127.0.0.1 unless told
otherwise, and then accepts only requests addressed to this machine by name
(``Host: 127.0.0.1:PORT`` or ``localhost:PORT``), so a web page elsewhere cannot
reach it through a DNS trick.
"""

from __future__ import annotations

import errno
import json
import math
import re
import sys
import traceback
import webbrowser
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from tinygrad_edu.engine import Value, topological_order
from tinygrad_edu.playground import DEFAULT_HOST, DEFAULT_PORT, export
from tinygrad_edu.playground.config import (
    ACTIVATIONS,
    CUSTOM_DATASET,
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
    Points,
    feature_matrix,
    grid,
    parse_csv,
    view_half_width,
)
from tinygrad_edu.playground.network import Training
from tinygrad_edu.playground.point_graph import point_loss
from tinygrad_edu.playground.sessions import Session, Sessions
from tinygrad_edu.playground.stepper import stepper_data
from tinygrad_edu.trace import explain_gradient
from tinygrad_edu.viz import GraphvizNotFoundError, node_ids

MAX_BODY_BYTES = 1024 * 1024
"""Enough for a CSV of 10,000 points; a larger body is refused (413) before it is read."""
MAX_CSV_CHARACTERS = 900_000
MAX_EPOCHS_PER_REQUEST = 100
MAX_STEPS_PER_REQUEST = 20_000
"""Optimizer steps one train request may take, so that every request ends soon."""
POINT_GRAPH_MAX_NODES = 1500
"""The largest network (7 features, 6 layers of 8, 3 classes) makes about 1,320 Values."""
BOUNDARY_GRID = 50
NEURON_GRID = 20
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
READ_TIMEOUT_SECONDS = 20
"""A client that stops sending halfway through a request is dropped after this long."""


# ---------------------------------------------------------------------- what answers say


def rounded(values: np.ndarray[Any, Any], digits: int = 3) -> list[Any]:
    """An array as nested lists of numbers rounded to ``digits`` decimals."""
    result: list[Any] = np.round(values, digits).tolist()
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
        "train_losses": [finite_or_none(loss) for loss in training.train_losses],
        "test_losses": [finite_or_none(loss) for loss in training.test_losses],
        **picture(training),
    }


def _points_json(points: Points) -> list[list[float]]:
    return [[x1, x2, label] for (x1, x2), label in zip(points.X.tolist(), points.labels.tolist())]


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
            "steps_per_request": MAX_STEPS_PER_REQUEST,
            "body_bytes": MAX_BODY_BYTES,
        },
        "defaults": Config().to_json(),
    }


# ---------------------------------------------------------------------- the endpoints


def config_and_points(body: object) -> tuple[Config, Points | None]:
    """The ``config`` of a create or reset request, and the points of its ``csv``."""
    request = json_object(body, "the request")
    unknown = sorted(set(request) - {"config", "csv"})
    if unknown:
        raise RequestError(f"unknown field {unknown[0]!r}; expected config and csv")
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


def train(session: Session, body: object) -> dict[str, Any]:
    """Train for ``epochs``; answer with the losses of the new epochs and the picture."""
    request = json_object(body, "the request")
    epochs = integer(request, "epochs", 1, MAX_EPOCHS_PER_REQUEST)
    training = session.training
    if training.diverged_at is not None:
        raise RequestError(
            f"training diverged at epoch {training.diverged_at} (the loss is no longer a "
            "number): lower the learning rate and reset",
            status=409,
        )
    if epochs * training.steps_per_epoch > MAX_STEPS_PER_REQUEST:
        most = max(MAX_STEPS_PER_REQUEST // training.steps_per_epoch, 1)
        raise RequestError(
            f"{epochs} epochs are {epochs * training.steps_per_epoch} optimizer steps with "
            f"this batch size; ask for at most {most} epochs at a time"
        )
    first_new = training.epoch + 1
    training.run_epochs(epochs)
    return {
        "train_losses": [finite_or_none(loss) for loss in training.train_losses[first_new:]],
        "test_losses": [finite_or_none(loss) for loss in training.test_losses[first_new:]],
        **picture(training),
    }


def _chosen_point(training: Training, request: dict[str, Any]) -> tuple[str, int, Points]:
    split = choice(request, "split", ("train", "test"))
    points = training.train if split == "train" else training.test
    index = integer(request, "index", 0, len(points) - 1)
    return split, index, points


def point(session: Session, body: object) -> dict[str, Any]:
    """One point's loss as a scalar graph, with its steps, and the tensor engine's
    gradients for the same point, parameter by parameter."""
    request = dict(json_object(body, "the request"))
    training = session.training
    if training.diverged_at is not None:
        raise RequestError("training diverged: there are no numbers to show; reset", 409)
    split, index, points = _chosen_point(training, request)
    inputs = feature_matrix(points.X[index : index + 1], training.config.features)[0]
    label = int(points.labels[index])
    tensor_loss, tensor_grads = training.network.point_gradients(inputs, label)
    graph = point_loss(training.network, training.config.features, inputs, label)
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
    request = dict(json_object(body, "the request"))
    training = session.training
    if training.diverged_at is not None:
        raise RequestError("training diverged: there are no numbers to show; reset", 409)
    _, index, points = _chosen_point(training, request)
    inputs = feature_matrix(points.X[index : index + 1], training.config.features)[0]
    graph = point_loss(
        training.network, training.config.features, inputs, int(points.labels[index])
    )
    labels: dict[str, Value] = {value.label: value for value in graph.model.parameters()}
    wanted = text(request, "parameter", 40)
    if wanted not in labels:
        raise RequestError(f"parameter {wanted!r} is not in this network; try {next(iter(labels))}")
    explanation = explain_gradient(graph.root, labels[wanted])
    return {
        "parameter": wanted,
        "text": str(explanation),
        "gradient": explanation.total,
        "paths": explanation.path_count,
    }


# ---------------------------------------------------------------------- routing

Endpoint = Callable[["PlaygroundServer", Session | None, object], tuple[int, Any]]


def _session_endpoint(
    handle: Callable[[Session, object], Any], status: int = 200
) -> Callable[[PlaygroundServer, Session | None, object], tuple[int, Any]]:
    def endpoint(
        server: PlaygroundServer, session: Session | None, body: object
    ) -> tuple[int, Any]:
        assert session is not None
        return status, handle(session, body)

    return endpoint


def _create(server: PlaygroundServer, session: Session | None, body: object) -> tuple[int, Any]:
    config, points = config_and_points(body)
    created = server.sessions.create(config, points)
    with created.lock:
        return 201, session_state(created)


def _reset(session: Session, body: object) -> dict[str, Any]:
    config, points = config_and_points(body)
    session.reset(config, points)
    return session_state(session)


def _delete(server: PlaygroundServer, session: Session | None, body: object) -> tuple[int, Any]:
    assert session is not None
    server.sessions.delete(session.id)
    return 200, {"deleted": session.id}


ROUTES: list[tuple[str, re.Pattern[str], Endpoint]] = [
    ("GET", re.compile(r"/api/options"), lambda server, session, body: (200, options())),
    ("POST", re.compile(r"/api/sessions"), _create),
    (
        "GET",
        re.compile(r"/api/sessions/(?P<id>[^/]+)"),
        _session_endpoint(lambda session, body: session_state(session)),
    ),
    ("DELETE", re.compile(r"/api/sessions/(?P<id>[^/]+)"), _delete),
    ("POST", re.compile(r"/api/sessions/(?P<id>[^/]+)/reset"), _session_endpoint(_reset)),
    ("POST", re.compile(r"/api/sessions/(?P<id>[^/]+)/train"), _session_endpoint(train)),
    ("POST", re.compile(r"/api/sessions/(?P<id>[^/]+)/point"), _session_endpoint(point)),
    ("POST", re.compile(r"/api/sessions/(?P<id>[^/]+)/explain"), _session_endpoint(explain)),
    (
        "GET",
        re.compile(r"/api/sessions/(?P<id>[^/]+)/export/model"),
        _session_endpoint(lambda session, body: export.model_file(session.training)),
    ),
    (
        "GET",
        re.compile(r"/api/sessions/(?P<id>[^/]+)/export/script"),
        _session_endpoint(lambda session, body: export.script(session.training)),
    ),
]
"""Each endpoint: its method, its path, and the function that answers it."""

DOWNLOADS = {
    "/export/model": ("application/json", export.MODEL_FILE),
    "/export/script": ("text/x-python", export.SCRIPT_FILE),
}
"""Answers sent as files to save rather than as JSON: their type and file name."""

STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page may load scripts, styles and data only from this server: nothing from
elsewhere, as the playground promises (and no inline script can run)."""


def static_files() -> dict[str, tuple[str, bytes]]:
    """The page's files by URL path, read once from the package: ``/static/NAME``,
    and ``/`` for index.html. Only these can ever be served."""
    folder = resources.files("tinygrad_edu.playground") / "static"
    files = {}
    for entry in folder.iterdir():
        suffix = "." + entry.name.rpartition(".")[2]
        if entry.is_file() and suffix in STATIC_TYPES:
            files[f"/static/{entry.name}"] = (STATIC_TYPES[suffix], entry.read_bytes())
    files["/"] = files["/static/index.html"]
    return files


# ---------------------------------------------------------------------- the server


class PlaygroundServer(ThreadingHTTPServer):
    """An HTTP server with the playground's sessions and page files."""

    daemon_threads = True  # a request still running does not keep the program alive

    def __init__(self, host: str, port: int) -> None:
        self.sessions = Sessions()
        self.files = static_files()
        super().__init__((host, port), PlaygroundHandler)
        self.loopback_only = host in ("127.0.0.1", "localhost", "::1")

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that hangs up halfway (a closed tab, a reload) is no error; anything
        else is printed, as socketserver does."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def port(self) -> int:
        """The port it listens on (the one the system chose, if asked for port 0)."""
        port: int = self.server_address[1]
        return port

    @property
    def url(self) -> str:
        """The address to open in a browser."""
        host = str(self.server_address[0])
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}/"


class PlaygroundHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests: page files and the JSON API."""

    server: PlaygroundServer
    timeout = READ_TIMEOUT_SECONDS
    # An answer goes out as two writes, headers then body; on a kept-alive connection
    # Nagle's algorithm would hold the second back until the first is acknowledged,
    # which the browser delays: 40 ms and more per request, with nothing to do.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    # http.server answers a request line it cannot read as if it came from HTTP/0.9,
    # with no status line at all; every answer here has one.
    default_request_version = "HTTP/1.0"
    server_version = "tinygrad_edu-playground"

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_OPTIONS(self) -> None:
        self._answer("OPTIONS")

    def _answer(self, method: str) -> None:
        try:
            self._check_host()
            path = urlsplit(self.path).path
            if path in self.server.files:
                self._require(method, ("GET",))
                content_type, content = self.server.files[path]
                self._send(200, content, content_type, page=True)
                return
            status, payload = self._route(method, path)
            download = next((kind for end, kind in DOWNLOADS.items() if path.endswith(end)), None)
            if download is not None:
                content_type, file_name = download
                self._send(status, str(payload).encode("utf-8"), content_type, file_name)
            else:
                self._send_json(status, payload)
        except RequestError as error:
            self._send_json(error.status, {"error": error.message})
        except Exception:  # the server stays up whatever goes wrong in one request
            traceback.print_exc(file=sys.stderr)
            self._send_json(500, {"error": "the server failed on this request (see its log)"})

    def _check_host(self) -> None:
        if not self.server.loopback_only:
            return
        allowed = {f"{name}:{self.server.port}" for name in LOOPBACK_NAMES}
        if self.headers.get("Host", "") not in allowed:
            raise RequestError(
                f"this server only answers requests addressed to 127.0.0.1:{self.server.port} "
                f"or localhost:{self.server.port}",
                status=403,
            )

    def _require(self, method: str, allowed: tuple[str, ...]) -> None:
        if method not in allowed:
            raise RequestError(
                f"{method} is not allowed here; use {' or '.join(allowed)}", status=405
            )

    def _route(self, method: str, path: str) -> tuple[int, Any]:
        matches = [(verb, pattern.fullmatch(path), endpoint) for verb, pattern, endpoint in ROUTES]
        found = [(verb, match, endpoint) for verb, match, endpoint in matches if match]
        if not found:
            raise RequestError(f"there is nothing at {path}", status=404)
        self._require(method, tuple(verb for verb, _, _ in found))
        _, match, endpoint = next(entry for entry in found if entry[0] == method)
        if method == "POST":
            body = self._read_json()
        else:
            body = None
            if self.headers.get("Content-Length", "0") != "0" or self.headers.get(
                "Transfer-Encoding"
            ):
                self.close_connection = True  # a body nobody reads: end the connection after
        session_id = match.groupdict().get("id")
        if session_id is None:
            return endpoint(self.server, None, body)
        if not SESSION_ID.fullmatch(session_id):
            raise RequestError("that is not a session id", status=404)
        session = self.server.sessions.get(session_id)
        with session.lock:
            return endpoint(self.server, session, body)

    def _read_json(self) -> object:
        """The request's body, parsed as JSON, after checking its size and type."""
        if self.headers.get("Transfer-Encoding"):
            raise RequestError("send the body with a Content-Length, not in chunks", 411)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise RequestError("a POST needs a Content-Length header", status=411)
        if not length_text.isdigit():
            raise RequestError(f"Content-Length must be a whole number, got {length_text!r}")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the body is left unread
            raise RequestError(
                f"the body is {length} bytes; at most {MAX_BODY_BYTES} are accepted", status=413
            )
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            self.close_connection = True
            raise RequestError(
                f"send the body as JSON (Content-Type: application/json), not {content_type!r}",
                status=415,
            )
        raw = self.rfile.read(length)
        if len(raw) < length:
            self.close_connection = True
            raise RequestError("the body ended before its Content-Length", status=400)
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except UnicodeDecodeError:
            raise RequestError("the body is not UTF-8 text") from None
        except RecursionError:
            raise RequestError("the JSON is nested too deeply") from None
        except ValueError as error:
            if isinstance(error, RequestError):
                raise
            raise RequestError(f"the body is not valid JSON: {error}") from None

    def _send_json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode("utf-8")
        self._send(status, body, "application/json")

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        file_name: str | None = None,
        page: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if page:
            self.send_header("Content-Security-Policy", PAGE_POLICY)
        if file_name is not None:
            self.send_header("Content-Disposition", f'attachment; filename="{file_name}"')
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests that went well are not logged: the page sends many while training."""

    def log_error(self, format: str, *args: Any) -> None:
        """A browser's idle connection timing out is no error worth a line."""
        if not format.startswith("Request timed out"):
            super().log_error(format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (a malformed request line, say), answered as JSON."""
        self.close_connection = True
        if code == HTTPStatus.NOT_IMPLEMENTED:  # a method http.server does not know
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, f"{self.command} is not allowed"
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self._send_json(code, {"error": message or phrase})


def _refuse_constant(name: str) -> None:
    raise RequestError(f"the body is not valid JSON: {name} is not a JSON number")


# ---------------------------------------------------------------------- running it


def make_server(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> PlaygroundServer:
    """A server bound to ``host:port`` (port 0: any free port), not yet serving.

    Raises OSError with a message saying what to do if the port is taken or the
    address cannot be used.
    """
    try:
        return PlaygroundServer(host, port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise OSError(
                error.errno,
                f"port {port} on {host} is already in use (is a playground already running? "
                "open it, or stop it); choose another port with --port N, or --port 0 "
                "for any free one",
            ) from None
        raise OSError(
            error.errno, f"cannot listen on {host}:{port}: {error.strerror or error}"
        ) from None


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, open_browser: bool = True) -> int:
    """Run the playground until Ctrl-C; return the exit code (0 when stopped by Ctrl-C)."""
    try:
        server = make_server(host, port)
    except OSError as error:
        print(f"tinygrad-edu playground: {error.strerror}", file=sys.stderr)
        return 1
    with server:
        print(f"tinygrad_edu playground: {server.url}  (Ctrl-C stops it)", flush=True)
        if not server.loopback_only:
            print(
                f"note: listening on {host}, so other machines can reach it too; it has no "
                "password",
                flush=True,
            )
        if open_browser and not webbrowser.open(server.url):
            print("open that address in your browser", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nstopped", flush=True)
    return 0
