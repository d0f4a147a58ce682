"""What the playground's server and browser tests share: a real server on a free port,
and an HTTP client that talks to it as a browser tab does."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tinygrad_edu.playground.server import PlaygroundServer, make_server


@contextmanager
def running_server() -> Iterator[PlaygroundServer]:
    """A playground server on 127.0.0.1 and a free port, serving from a thread."""
    server = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> str:
        message: str = self.json()["error"]
        return message


class Client:
    """Requests to one server, each on its own connection, as a browser tab sends them."""

    def __init__(self, server: PlaygroundServer) -> None:
        self.server = server
        self.port = server.port

    def send(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = dict(headers or {})
        if raw is None and body is not None:
            raw = json.dumps(body).encode("utf-8")
            sent.setdefault("Content-Type", "application/json")
        try:
            connection.request(method, path, body=raw, headers=sent)
            response = connection.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def ok(self, method: str, path: str, body: object = None) -> Any:
        answer = self.send(method, path, body)
        assert answer.status in (200, 201), answer.body
        return answer.json()

    def new_session(self, **config: Any) -> dict[str, Any]:
        state: dict[str, Any] = self.ok("POST", "/api/sessions", {"config": config})
        return state
