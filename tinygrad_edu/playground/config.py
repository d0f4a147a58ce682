"""The set-up of one experiment, and the checks every request to the server passes.

A ``Config`` says everything that decides what the playground does: the data (which
set, how many points, how noisy, how much is held out for testing, the seed), the
features, the network's shape and activation, and how it trains. The page keeps it
in its URL, so that a link reproduces the experiment exactly: same seed, same points,
same start, same numbers.

Requests come from a browser, but anything could send them, so nothing is trusted:
each field is checked for its type and range, and anything wrong becomes a
``RequestError`` whose message the page shows as it is (quoting the value sent,
shortened by ``messages.shown``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from tinygrad_edu.playground.datasets import DATASETS, FEATURES, MAX_CSV_ROWS
from tinygrad_edu.playground.messages import shown

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
OPTIMIZERS = ("sgd", "momentum", "adam")
CUSTOM_DATASET = "csv"
"""The dataset name of your own points, uploaded as CSV."""

MAX_HIDDEN_LAYERS = 6
MAX_NEURONS = 8
MAX_POINTS = 2000
MAX_SEED = 2**31 - 1
MIN_TEST_FRACTION = 0.1
MAX_TEST_FRACTION = 0.9
MAX_BODY_BYTES = 1024 * 1024
"""Enough for a CSV of 10,000 points; a larger body is refused (413) before it is read."""


class RequestError(ValueError):
    """A request the server refuses: ``status`` is the HTTP status (4xx), ``message``
    says what is wrong, in words the page can show."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Config:
    """One experiment's set-up. The defaults are a small tanh network on circles."""

    dataset: str = "circles"
    points: int = 400
    noise: float = 0.05
    test_fraction: float = 0.5
    seed: int = 0
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    learning_rate: float = 0.03
    batch_size: int = 10
    l2: float = 0.0
    optimizer: str = "sgd"

    def to_json(self) -> dict[str, Any]:
        """The config as JSON-ready values (tuples become lists)."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_json(cls, body: object) -> Config:
        """A Config from a JSON object; missing fields keep their defaults.

        Raises RequestError naming the first field that is unknown, of the wrong type
        or out of range.
        """
        settings = json_object(body, "the config", tuple(field.name for field in fields(cls)))
        default = cls()
        features = tuple(
            list_of_choices(
                settings, "features", tuple(FEATURES), default.features, 1, len(FEATURES)
            )
        )
        if len(set(features)) != len(features):
            raise RequestError("features: each feature may be chosen once")
        return cls(
            dataset=choice(settings, "dataset", (*DATASETS, CUSTOM_DATASET), default.dataset),
            points=integer(settings, "points", 10, MAX_POINTS, default.points),
            noise=number(settings, "noise", 0.0, 0.5, default.noise),
            test_fraction=number(
                settings,
                "test_fraction",
                MIN_TEST_FRACTION,
                MAX_TEST_FRACTION,
                default.test_fraction,
            ),
            seed=integer(settings, "seed", 0, MAX_SEED, default.seed),
            features=features,
            hidden=tuple(
                list_of_integers(
                    settings, "hidden", 1, MAX_NEURONS, default.hidden, MAX_HIDDEN_LAYERS
                )
            ),
            activation=choice(settings, "activation", ACTIVATIONS, default.activation),
            learning_rate=number(settings, "learning_rate", 1e-6, 10.0, default.learning_rate),
            batch_size=integer(settings, "batch_size", 1, MAX_CSV_ROWS, default.batch_size),
            l2=number(settings, "l2", 0.0, 1.0, default.l2),
            optimizer=choice(settings, "optimizer", OPTIMIZERS, default.optimizer),
        )


# ---------------------------------------------------------------------- field checks
# Each reads one field of a JSON object, checks it, and returns it (or the default
# when the field is missing and a default is given).

_MISSING: Any = object()


def json_object(body: object, what: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    """``body`` if it is a JSON object with no keys but ``allowed``, else RequestError."""
    if not isinstance(body, dict):
        raise RequestError(f"{what} must be a JSON object {{...}}, got {_json_type(body)}")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise RequestError(
            f"{what}: unknown field {shown(unknown[0])}; expected {', '.join(allowed)}"
        )
    return body


def _get(body: Mapping[str, Any], name: str, default: Any) -> Any:
    if name in body:
        return body[name]
    if default is _MISSING:
        raise RequestError(f"{name} is missing")
    return default


def integer(
    body: Mapping[str, Any], name: str, low: int, high: int, default: Any = _MISSING
) -> int:
    """A whole number from ``low`` to ``high``."""
    value = _get(body, name, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one kind of number; 10.0 means 10
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"{name} must be a whole number, got {_json_type(value)}")
    if not low <= value <= high:
        raise RequestError(f"{name} must be from {low} to {high}, got {shown(value)}")
    return value


def number(
    body: Mapping[str, Any], name: str, low: float, high: float, default: Any = _MISSING
) -> float:
    """A finite number from ``low`` to ``high``."""
    value = _get(body, name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"{name} must be a number, got {_json_type(value)}")
    # A whole number is compared as it is: Python compares ints and floats exactly,
    # while turning a JSON integer of 400 digits into a float would overflow.
    if not ((isinstance(value, int) or math.isfinite(value)) and low <= value <= high):
        raise RequestError(f"{name} must be from {low:g} to {high:g}, got {shown(value)}")
    return float(value)


def choice(
    body: Mapping[str, Any], name: str, choices: tuple[str, ...], default: Any = _MISSING
) -> str:
    """One of the strings ``choices``."""
    value = _get(body, name, default)
    if value not in choices or not isinstance(value, str):
        raise RequestError(f"{name} must be one of {', '.join(choices)}; got {shown(value)}")
    return value


def text(body: Mapping[str, Any], name: str, max_length: int, default: Any = _MISSING) -> str:
    """A string of at most ``max_length`` characters."""
    value = _get(body, name, default)
    if not isinstance(value, str):
        raise RequestError(f"{name} must be a string, got {_json_type(value)}")
    if len(value) > max_length:
        raise RequestError(f"{name} is {len(value)} characters long; at most {max_length}")
    return value


def list_of_choices(
    body: Mapping[str, Any],
    name: str,
    choices: tuple[str, ...],
    default: Any,
    min_length: int,
    max_length: int,
) -> list[str]:
    """A list of ``min_length`` to ``max_length`` strings, each one of ``choices``."""
    items = _list(body, name, default, min_length, max_length)
    return [
        choice({f"{name}[{index}]": item}, f"{name}[{index}]", choices)
        for index, item in enumerate(items)
    ]


def list_of_integers(
    body: Mapping[str, Any], name: str, low: int, high: int, default: Any, max_length: int
) -> list[int]:
    """A list of at most ``max_length`` whole numbers, each from ``low`` to ``high``."""
    items = _list(body, name, default, 0, max_length)
    return [
        integer({f"{name}[{index}]": item}, f"{name}[{index}]", low, high)
        for index, item in enumerate(items)
    ]


def _list(
    body: Mapping[str, Any], name: str, default: Any, min_length: int, max_length: int
) -> list[Any]:
    value = _get(body, name, default)
    if isinstance(value, tuple):
        value = list(value)  # a default
    if not isinstance(value, list):
        raise RequestError(f"{name} must be a list [...], got {_json_type(value)}")
    if not min_length <= len(value) <= max_length:
        raise RequestError(
            f"{name} must have {min_length} to {max_length} entries, got {len(value)}"
        )
    return value


def _json_type(value: object) -> str:
    """What a JSON value is, in JSON's words, with the value when it is short."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    kind = names.get(type(value), "a number")
    return f"{kind} {shown(value)}" if kind != "an object" else kind
