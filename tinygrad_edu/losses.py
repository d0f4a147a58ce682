"""Loss functions: one number that says how wrong the predictions are.

Each takes ``(y_true, y_pred)`` in the tutorial's order: sequences of equal length
of plain numbers (the targets) and Values (the predictions), or single numbers.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from tinygrad_edu.checks import describe
from tinygrad_edu.engine import Value

Targets = Union[float, Value, Sequence[float | Value], "np.ndarray[Any, Any]"]

PROBABILITY_FLOOR = 1e-7
"""``binary_cross_entropy`` keeps predictions in [1e-7, 1 - 1e-7], as Keras does."""


def mse_loss(y_true: Targets, y_pred: Targets) -> Value:
    """Mean squared error: 1/n * sum((y_true - y_pred)**2)."""
    pairs = _pairs(y_true, y_pred, "mse_loss")
    return _mean([(true - pred) ** 2 for true, pred in pairs])


def binary_cross_entropy(y_true: Targets, y_pred: Targets) -> Value:
    """-1/n * sum(t log(p) + (1 - t) log(1 - p)) for targets t in [0, 1] and
    predicted probabilities p (e.g. sigmoid outputs).

    A prediction outside [0, 1] (or NaN) is refused with a ValueError, as in PyTorch: it
    is no probability, and the clamp below would give it a gradient of 0, so training
    would stall without a word. p is first clamped to [1e-7, 1 - 1e-7], so a confident
    p of exactly 0 or 1 gives a large finite loss instead of log(0) (PyTorch instead
    clamps log(p) at -100). Where the prediction is clamped its gradient is 0: to train
    from the pre-sigmoid score, ``binary_cross_entropy_with_logits`` is exact everywhere.
    """
    pairs = _pairs(y_true, y_pred, "binary_cross_entropy")
    _check_probabilities(pairs, "binary_cross_entropy")
    for index, (_, pred) in enumerate(pairs):
        if not 0.0 <= pred.data <= 1.0:
            raise ValueError(
                f"binary_cross_entropy needs predicted probabilities between 0 and 1, got "
                f"{pred.data!r} (prediction {index}); for raw scores use "
                "binary_cross_entropy_with_logits"
            )
    terms = []
    for true, pred in pairs:
        p = pred.clamp(PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
        terms.append(-(true * p.log() + (1 - true) * (1 - p).log()))
    return _mean(terms)


def binary_cross_entropy_with_logits(y_true: Targets, logits: Targets) -> Value:
    """Binary cross-entropy of sigmoid(z) for scores z, computed stably:
    softplus(z) - t * z, which equals -(t log s(z) + (1 - t) log(1 - s(z)))."""
    pairs = _pairs(y_true, logits, "binary_cross_entropy_with_logits")
    _check_probabilities(pairs, "binary_cross_entropy_with_logits")
    return _mean([z.softplus() - true * z for true, z in pairs])


def hinge_loss(y_true: Targets, y_pred: Targets) -> Value:
    """Mean of max(0, 1 - t * y) for labels t in {-1, +1} and raw scores y (as in SVMs)."""
    pairs = _pairs(y_true, y_pred, "hinge_loss")
    for true, _ in pairs:
        label = true.data if isinstance(true, Value) else true
        if label not in (-1, 1):
            raise ValueError(f"hinge_loss needs labels -1 or +1, got {label!r}")
    return _mean([(1 - true * pred).relu() for true, pred in pairs])


def _check_probabilities(pairs: list[tuple[Any, Value]], name: str) -> None:
    for true, _ in pairs:
        target = true.data if isinstance(true, Value) else true
        if not 0 <= target <= 1:
            raise ValueError(f"{name} needs targets between 0 and 1, got {target!r}")


def _pairs(y_true: Targets, y_pred: Targets, name: str) -> list[tuple[Any, Value]]:
    """Targets and predictions (as Values) paired up, after checking they match in length."""
    trues, preds = _as_list(y_true, name, "y_true"), _as_list(y_pred, name, "y_pred")
    if len(trues) != len(preds):
        raise ValueError(f"{name}: {len(trues)} targets but {len(preds)} predictions")
    if not trues:
        raise ValueError(f"{name}: no targets and predictions to compare")
    return [(true, _as_value(pred)) for true, pred in zip(trues, preds)]


def _as_list(items: Targets, name: str, argument: str) -> list[Any]:
    """One number or Value, or a flat sequence or 1-D array of them, as a list."""
    if isinstance(items, (bool, np.bool_)):
        raise TypeError("targets and predictions must be numbers or Values, got bool")
    if isinstance(items, (Value, numbers.Real)):  # one sample (numpy scalars included)
        return [items]
    if isinstance(items, np.ndarray) and items.ndim > 1:
        # (n, 1) targets against n predictions would pair up by accident of layout.
        raise ValueError(f"{name}: {argument} must be 1-D, got an array of shape {items.shape}")
    if isinstance(items, (str, bytes)) or not isinstance(items, (Sequence, np.ndarray)):
        raise TypeError(
            f"{name}: {argument} must be a number, a Value or a sequence of them, "
            f"got {describe(items)}"
        )
    listed = list(items)
    for index, item in enumerate(listed):
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, (Value, numbers.Real)):
            raise TypeError(
                f"{name}: {argument}[{index}] must be a number or a Value, got {describe(item)}"
            )
    return listed


def _as_value(thing: float | Value) -> Value:
    return thing if isinstance(thing, Value) else Value(thing)


def _mean(terms: list[Value]) -> Value:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total / len(terms)
