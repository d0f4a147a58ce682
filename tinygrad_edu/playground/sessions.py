"""One experiment per browser tab, kept on the server.

Each tab that opens the page gets a session: its own data, network and optimizer,
named by a random id that only that tab knows. Requests for one session run one at a
time (its ``lock``), so a tab's steps never interleave; different sessions run side
by side, each request in its own thread, so one tab's training never holds up another.

Sessions live in memory, at most ``MAX_SESSIONS`` of them: opening one more tab
ends the session used least recently, and a session unused for ``IDLE_SECONDS`` ends
too. A tab whose session has ended is told so (a 404 saying why it may have ended),
and starts again when reloaded.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from tinygrad_edu.playground.config import CUSTOM_DATASET, Config, RequestError
from tinygrad_edu.playground.datasets import Points, make_points
from tinygrad_edu.playground.network import Training

MAX_SESSIONS = 32
IDLE_SECONDS = 2 * 60 * 60.0


@dataclass
class Session:
    """One tab's experiment: its ``training`` and, once uploaded, its own points."""

    id: str
    training: Training
    custom_points: Points | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)

    def reset(self, config: Config, custom_points: Points | None = None) -> None:
        """Start the experiment again from ``config`` (and new points, if given)."""
        if custom_points is not None:
            self.custom_points = custom_points
        self.training = Training(config, points_for(config, self.custom_points))


def points_for(config: Config, custom_points: Points | None) -> Points:
    """The points the config asks for: a built-in set, or the uploaded ones."""
    if config.dataset != CUSTOM_DATASET:
        return make_points(config.dataset, config.points, config.noise, config.seed)
    if custom_points is None:
        raise RequestError("dataset 'csv' needs your points: upload a CSV file first")
    return custom_points


class Sessions:
    """The sessions by id, at most ``max_sessions``, each dropped after ``idle_seconds``
    unused. Safe to use from many threads at once."""

    def __init__(
        self, max_sessions: int = MAX_SESSIONS, idle_seconds: float = IDLE_SECONDS
    ) -> None:
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def create(self, config: Config, custom_points: Points | None = None) -> Session:
        """A new session running ``config``; the least recently used goes if there
        are too many."""
        # Built outside the store's lock: making the data and network takes a moment.
        training = Training(config, points_for(config, custom_points))
        session = Session(secrets.token_urlsafe(16), training, custom_points)
        with self._lock:
            self._drop_idle()
            while len(self._sessions) >= self.max_sessions:
                self._sessions.popitem(last=False)
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str) -> Session:
        """The session ``session_id``, marked as just used; RequestError 404 if there is none."""
        with self._lock:
            self._drop_idle()
            session = self._sessions.get(session_id)
            if session is None:
                raise RequestError(self.ended_message(), status=404)
            self._sessions.move_to_end(session_id)
            session.last_used = time.monotonic()
            return session

    def ended_message(self) -> str:
        """What a tab is told when its session is not (or no longer) here."""
        hours = self.idle_seconds / 3600
        return (
            "this tab's session has ended: the server restarted, or the tab was left unused "
            f"for {hours:g} hour{'s' if hours != 1 else ''}, or more than "
            f"{self.max_sessions} tabs were opened and this one was used least recently. "
            "Reload the page to start again"
        )

    def delete(self, session_id: str) -> None:
        """Forget the session (nothing happens if it is already gone)."""
        with self._lock:
            self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _drop_idle(self) -> None:
        oldest_allowed = time.monotonic() - self.idle_seconds
        while self._sessions:
            session = next(iter(self._sessions.values()))
            if session.last_used >= oldest_allowed:
                return
            self._sessions.popitem(last=False)
