"""The playground's server: the page's files, and the JSON API of ``api.py``, over HTTP.

Built on the standard library's ``http.server`` (``ThreadingHTTPServer``): it is always
there, so the playground needs nothing beyond numpy and graphviz, and its handful of
endpoints need no more. Each request runs in its own thread, and Python switches
between threads, so one tab's training shares the machine with another tab's requests
instead of holding them up; each training request is also kept short (``api.py``).

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
with a message saying what. A body comes with exactly one Content-Length (no
Transfer-Encoding), and an answer sent before the body is read ends the connection,
so that no part of one request is ever read as the next. Only the package's own
page files are ever read; nothing is evaluated, nothing is unpickled. The server
listens on 127.0.0.1 unless told otherwise, and then accepts only requests addressed
to this machine by name (``Host: 127.0.0.1:PORT`` or ``localhost:PORT``), so a web
page elsewhere cannot reach it through a DNS trick.
"""

from __future__ import annotations

import errno
import json
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

from tinygrad_edu.playground import DEFAULT_HOST, DEFAULT_PORT, api, export
from tinygrad_edu.playground.config import MAX_BODY_BYTES, RequestError
from tinygrad_edu.playground.messages import shortened, shown
from tinygrad_edu.playground.sessions import Session, Sessions

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
CONTENT_LENGTH = re.compile(r"[0-9]{1,15}")
"""ASCII digits only: str.isdigit() also accepts '²', which int() refuses."""
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
SERVER_MESSAGE_CHARACTERS = 200
"""http.server's own error messages are cut to this length."""
READ_TIMEOUT_SECONDS = 20
"""A client that stops sending halfway through a request is dropped after this long."""


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
    config, points = api.config_and_points(body)
    created = server.sessions.create(config, points)
    with created.lock:
        return 201, api.session_state(created)


def _delete(server: PlaygroundServer, session: Session | None, body: object) -> tuple[int, Any]:
    assert session is not None
    server.sessions.delete(session.id)
    return 200, {"deleted": session.id}


ROUTES: list[tuple[str, re.Pattern[str], Endpoint]] = [
    ("GET", re.compile(r"/api/options"), lambda server, session, body: (200, api.options())),
    ("POST", re.compile(r"/api/sessions"), _create),
    (
        "GET",
        re.compile(r"/api/sessions/(?P<id>[^/]+)"),
        _session_endpoint(lambda session, body: api.session_state(session)),
    ),
    ("DELETE", re.compile(r"/api/sessions/(?P<id>[^/]+)"), _delete),
    ("POST", re.compile(r"/api/sessions/(?P<id>[^/]+)/reset"), _session_endpoint(api.reset)),
    ("POST", re.compile(r"/api/sessions/(?P<id>[^/]+)/train"), _session_endpoint(api.train)),
    ("POST", re.compile(r"/api/sessions/(?P<id>[^/]+)/point"), _session_endpoint(api.point)),
    ("POST", re.compile(r"/api/sessions/(?P<id>[^/]+)/explain"), _session_endpoint(api.explain)),
    (
        "GET",
        re.compile(r"/api/sessions/(?P<id>[^/]+)/export/model"),
        _session_endpoint(api.model_file),
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
    _body_unread = False  # set for each request by _answer

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
        # Until the body is read (or known to be empty), any answer ends the connection:
        # kept open, the unread body would be taken for the next request.
        self._body_unread = True
        try:
            self._body_unread = self._body_length() > 0
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
        except ConnectionError:
            raise  # the browser hung up: no one to answer (and handle_error stays quiet)
        except Exception:  # a bug: the server stays up, and its log says where
            # (log_error escapes line breaks, so the traceback is printed as it is)
            self.log_error("%s failed; the traceback follows", self.requestline[:200])
            traceback.print_exc(file=sys.stderr)
            self._send_json(500, {"error": "the server failed on this request (see its log)"})

    def _body_length(self) -> int:
        """How many bytes of body follow the headers, from the one Content-Length.

        Refused (400): a Transfer-Encoding (a chunked body is not read here), more than
        one Content-Length, or one that is not a plain number. With any of these, the
        server and a proxy in between could disagree about where this request ends
        and the next begins, which is how one request is smuggled inside another.
        """
        if "Transfer-Encoding" in self.headers:
            raise RequestError(
                "Transfer-Encoding is not supported: send the body with a Content-Length"
            )
        lengths = self.headers.get_all("Content-Length") or []
        if len(lengths) > 1:
            raise RequestError(
                f"a request may have one Content-Length header; this one has {len(lengths)}"
            )
        if not lengths:
            return 0
        if not CONTENT_LENGTH.fullmatch(lengths[0]):
            raise RequestError(f"Content-Length must be a whole number, got {shown(lengths[0])}")
        return int(lengths[0])

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
                f"{shortened(method)} is not allowed here; use {' or '.join(allowed)}", status=405
            )

    def _route(self, method: str, path: str) -> tuple[int, Any]:
        matches = [(verb, pattern.fullmatch(path), endpoint) for verb, pattern, endpoint in ROUTES]
        found = [(verb, match, endpoint) for verb, match, endpoint in matches if match]
        if not found:
            raise RequestError(f"there is nothing at {shortened(path)}", status=404)
        self._require(method, tuple(verb for verb, _, _ in found))
        _, match, endpoint = next(entry for entry in found if entry[0] == method)
        body = self._read_json() if method == "POST" else None
        session_id = match.groupdict().get("id")
        if session_id is None:
            return endpoint(self.server, None, body)
        if not SESSION_ID.fullmatch(session_id):
            raise RequestError("that is not a session id", status=404)
        session = self.server.sessions.get(session_id)
        with session.lock:
            return endpoint(self.server, session, body)

    def _read_json(self) -> object:
        """The request's body, parsed as JSON, after checking its size and type. A body
        refused before it is read is left unread (and the connection ends after the
        answer, see ``_send``)."""
        if "Content-Length" not in self.headers:
            raise RequestError("a POST needs a Content-Length header", status=411)
        length = self._body_length()
        if length > MAX_BODY_BYTES:
            raise RequestError(
                f"the body is {length} bytes; at most {MAX_BODY_BYTES} are accepted", status=413
            )
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise RequestError(
                "send the body as JSON (Content-Type: application/json), "
                f"not {shown(content_type)}",
                status=415,
            )
        try:
            raw = self.rfile.read(length)
        except TimeoutError:
            raise RequestError(
                f"the body did not arrive within {self.timeout:g} seconds", status=408
            ) from None
        if len(raw) < length:
            raise RequestError("the body ended before its Content-Length", status=400)
        self._body_unread = False
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
        if self._body_unread:
            self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":  # an answer to HEAD has headers only
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
            code = HTTPStatus.METHOD_NOT_ALLOWED
            message = f"{shortened(self.command)} is not allowed"
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        # Its messages quote the request line as it came, which may be 64 KiB long.
        self._send_json(code, {"error": shortened(message or phrase, SERVER_MESSAGE_CHARACTERS)})


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
