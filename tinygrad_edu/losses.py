"""Loss functions: one number that says how wrong the predictions are.

On Values, each takes ``(y_true, y_pred)`` in the tutorial's order: sequences of equal
length of plain numbers (the targets) and Values (the predictions), or single numbers.

On Tensors (see the end of this file) they take PyTorch's order, ``(input, target)``:
``cross_entropy(logits, targets)``, ``binary_cross_entropy_with_logits(logits,
targets)``, and ``mse_loss(a, b)``, which is symmetric. ``mse_loss`` and
``binary_cross_entropy_with_logits`` serve both engines: given a Tensor, they take
the Tensor path.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Union, overload

import numpy as np

from tinygrad_edu.checks import describe
from tinygrad_edu.engine import Value
from tinygrad_edu.tensor import Tensor

Targets = Union[float, Value, Sequence[float | Value], "np.ndarray[Any, Any]"]

PROBABILITY_FLOOR = 1e-7
"""``binary_cross_entropy`` keeps predictions in [1e-7, 1 - 1e-7], as Keras does."""


@overload
def mse_loss(y_true: Tensor, y_pred: Any) -> Tensor: ...
@overload
def mse_loss(y_true: Targets, y_pred: Tensor) -> Tensor: ...
@overload
def mse_loss(y_true: Targets, y_pred: Targets) -> Value: ...
def mse_loss(y_true: Any, y_pred: Any) -> Value | Tensor:
    """Mean squared error: 1/n * sum((y_true - y_pred)**2); on Tensors, over every
    element (see ``tensor_mse_loss``)."""
    if isinstance(y_true, Tensor) or isinstance(y_pred, Tensor):
        return tensor_mse_loss(y_true, y_pred)
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


@overload
def binary_cross_entropy_with_logits(y_true: Tensor, logits: Any) -> Tensor: ...
@overload
def binary_cross_entropy_with_logits(y_true: Targets, logits: Targets) -> Value: ...
def binary_cross_entropy_with_logits(y_true: Any, logits: Any) -> Value | Tensor:
    """Binary cross-entropy of sigmoid(z) for scores z, computed stably:
    softplus(z) - t * z, which equals -(t log s(z) + (1 - t) log(1 - s(z))).

    Given a Tensor first, the arguments are PyTorch's ``(logits, targets)``: see
    ``tensor_binary_cross_entropy_with_logits``.
    """
    if isinstance(y_true, Tensor):
        return tensor_binary_cross_entropy_with_logits(y_true, logits)
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


# ---------------------------------------------------------------------- losses on Tensors
# PyTorch's argument order, (input, target), and its reduction: the mean over all.


def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    """The mean over samples of -log softmax(logits)[target]: logits (N, C), one row of
    scores per sample, and targets (N,), class indices in [0, C) (or logits (C,) and
    one index). As ``torch.nn.functional.cross_entropy``.

    Computed as -log_softmax(logits), x - logsumexp(x), so that logits of 1000 or -1000
    give the exact loss instead of inf or nan. Its gradient is
    (softmax(logits) - one_hot(targets)) / N.
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"cross_entropy: logits must be a Tensor, got {type(logits).__name__}")
    if logits.ndim not in (1, 2) or logits.size == 0:
        raise ValueError(
            f"cross_entropy: logits must be (N, C) or (C,) with C >= 1, got shape {logits.shape}"
        )
    rows = logits if logits.ndim == 2 else logits.reshape(1, -1)
    classes = _class_indices(targets, rows.shape, "cross_entropy")
    picked = rows.log_softmax(axis=1)[np.arange(rows.shape[0]), classes]
    return -picked.mean()


def tensor_mse_loss(a: Any, b: Any) -> Tensor:
    """mean((a - b)**2) over every element, for Tensors (or a Tensor and an array) of
    the same shape. PyTorch broadcasts different shapes, with a warning; this refuses
    them, as the usual cause is a (N,) against an (N, 1)."""
    a_tensor, b_tensor = _as_loss_tensor(a, "mse_loss"), _as_loss_tensor(b, "mse_loss")
    if a_tensor.shape != b_tensor.shape:
        raise ValueError(
            f"mse_loss: shapes {a_tensor.shape} and {b_tensor.shape} differ (reshape one, "
            "e.g. predictions.reshape(-1) against targets of shape (N,))"
        )
    difference = a_tensor - b_tensor
    return (difference * difference).mean()


def tensor_binary_cross_entropy_with_logits(logits: Tensor, targets: Any) -> Tensor:
    """mean(softplus(z) - t * z) over every element: the binary cross-entropy of
    sigmoid(z) against targets t in [0, 1], stable for any z. PyTorch's
    ``binary_cross_entropy_with_logits(input, target)``, in its order."""
    z = _as_loss_tensor(logits, "binary_cross_entropy_with_logits")
    t = _as_loss_tensor(targets, "binary_cross_entropy_with_logits")
    if z.shape != t.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: logits {z.shape} and targets {t.shape} differ"
        )
    if t.requires_grad or not ((t.data >= 0) & (t.data <= 1)).all():
        raise ValueError("binary_cross_entropy_with_logits: targets must be constants in [0, 1]")
    return (z.softplus() - t * z).mean()


def _as_loss_tensor(thing: Any, name: str) -> Tensor:
    if isinstance(thing, Tensor):
        return thing
    if isinstance(thing, np.ndarray):
        return Tensor(thing)
    raise TypeError(f"{name}: expected a Tensor or an ndarray, got {type(thing).__name__}")


def _class_indices(targets: Any, shape: tuple[int, ...], name: str) -> np.ndarray[Any, Any]:
    """Targets as an int array of N class indices in [0, C), or a clear error."""
    values = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if values.dtype.kind == "f" and np.array_equal(values, np.round(values)):
        values = values.astype(np.int64)
    if values.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: targets must be class indices (whole numbers), got {values.dtype}"
        )
    values = values.reshape(-1) if values.ndim == 0 else values
    if values.shape != (shape[0],):
        raise ValueError(
            f"{name}: {shape[0]} rows of logits need {shape[0]} targets, got shape {values.shape}"
        )
    if values.size and (values.min() < 0 or values.max() >= shape[1]):
        raise ValueError(
            f"{name}: targets must be class indices in [0, {shape[1]}), got values from "
            f"{values.min()} to {values.max()}"
        )
    return values
