"""A small training loop shared by the examples and the command line.

One epoch walks the data once, in order or shuffled, in mini-batches of
``batch_size`` samples (1 is the tutorial's stochastic gradient descent). Each batch:
forward, loss, zero the grads, backward, optimizer step. After each epoch the loss
over the whole data set is recorded (with ``no_grad``, as the tutorial prints it).
"""

from __future__ import annotations

import gc
import math
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

import numpy as np

from tinygrad_edu.checks import describe, function, random_generator, real_number, whole_number
from tinygrad_edu.engine import Value, no_grad
from tinygrad_edu.losses import mse_loss
from tinygrad_edu.nn import Inputs, Module
from tinygrad_edu.optim import SGD, Optimizer

LossFunction = Callable[[Sequence[float], Sequence[Value]], Value]
Model = Callable[[Inputs], Any]
Samples = Sequence[Inputs] | np.ndarray[Any, Any]
Targets = Sequence[float] | np.ndarray[Any, Any]


def predict(model: Model, samples: Samples) -> list[Value]:
    """The model's single output for each sample, recording no graph."""
    function("model", model)
    with no_grad():
        return [_single_output(model(x)) for x in _samples(samples)]


def evaluate(model: Model, X: Samples, y: Targets, loss: LossFunction = mse_loss) -> float:
    """The loss over a whole data set, recording no graph."""
    samples, targets = _data(X, y)
    function("loss", loss)
    return loss(targets, predict(model, samples)).data


def accuracy(model: Model, X: Samples, y: Targets, threshold: float = 0.5) -> float:
    """The fraction of samples whose output is on the right side of ``threshold``
    (labels 0/1; use threshold 0 for raw scores). NaN if any output is NaN: a NaN
    prediction is on neither side."""
    samples, labels = _data(X, y)
    threshold = real_number("threshold", threshold)
    outputs = [prediction.data for prediction in predict(model, samples)]
    if any(math.isnan(output) for output in outputs):
        return math.nan
    hits = sum((output > threshold) == (label > 0.5) for output, label in zip(outputs, labels))
    return hits / len(outputs)


def fit(
    model: Module,
    X: Samples,
    y: Targets,
    loss: LossFunction = mse_loss,
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int = 1,
    shuffle: bool = False,
    seed: int | None = None,
    callback: Callable[[int, float], None] | None = None,
    print_every: int | None = None,
    progress: bool = False,
    stream: TextIO | None = None,
) -> list[float]:
    """Train ``model`` on samples X with targets y; return the loss after each epoch.

    ``optimizer`` defaults to ``SGD(model.parameters(), lr=0.1)``. ``shuffle`` reorders
    the samples each epoch (reproducibly, with ``seed``). ``callback(epoch, loss)`` runs
    after every epoch; ``print_every=10`` prints "Epoch 10 loss: 0.123" as the tutorial
    does; ``progress`` draws a one-line progress bar instead, for long runs.

    Python's cyclic garbage collector is paused while each batch's graph is built and
    backpropagated (see ``collector_paused``).
    """
    if not isinstance(model, Module):
        raise TypeError(f"fit() expects model to be a Module (an MLP, say), got {describe(model)}")
    samples, targets = _data(X, y)
    function("loss", loss)
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an Optimizer (SGD, Adam), got {describe(optimizer)}")
    epochs = whole_number("epochs", epochs, minimum=1)
    batch_size = whole_number("batch_size", batch_size, minimum=1)
    print_every = None if print_every is None else whole_number("print_every", print_every, 1)
    if callback is not None:
        function("callback", callback)
    if stream is not None and not callable(getattr(stream, "write", None)):
        raise TypeError(f"stream must be a text file, such as sys.stdout, got {describe(stream)}")
    optimizer = optimizer if optimizer is not None else SGD(model.parameters(), lr=0.1)
    output = stream if stream is not None else sys.stdout
    generator = random_generator("seed", seed)
    history: list[float] = []
    for epoch in range(1, epochs + 1):
        order = generator.permutation(len(samples)) if shuffle else range(len(samples))
        for batch in _batches(list(order), batch_size):
            with collector_paused():
                batch_loss = loss(
                    [targets[i] for i in batch],
                    [_single_output(model(samples[i])) for i in batch],
                )
                optimizer.zero_grad()
                batch_loss.backward()
                optimizer.step()
                del batch_loss  # free the graph before the collector runs again
        history.append(evaluate(model, samples, targets, loss))
        _report(epoch, epochs, history[-1], print_every, progress, output)
        if callback is not None:
            callback(epoch, history[-1])
    return history


# Pauses of the collector, counted across threads: the first pause switches it off,
# the last one to end switches it back on (if it was on before the first).
_pause_lock = threading.Lock()
_pauses = 0
_collector_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside a ``with`` block.

    A graph of Values has no reference cycles: reference counting frees it the moment
    its output is dropped. The cyclic collector still runs every 700 new objects, and
    while a graph is being built it scans the whole growing graph again and again,
    finding nothing to free: a third of a training step. Paused for one batch at a
    time, any cycles that the model's own code makes are still collected after the
    batch. Safe to nest, and across threads (the collector is one for the process).
    """
    global _pauses, _collector_was_enabled
    with _pause_lock:
        if _pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_enabled:
                gc.enable()


def _samples(X: Samples) -> list[Inputs]:
    """The samples as a list: rows of a 2-D array, or the items of a sequence."""
    if isinstance(X, np.ndarray) and X.ndim != 2:
        raise ValueError(f"X must be one row per sample (2-D), got an array of shape {X.shape}")
    if isinstance(X, (str, bytes)) or not isinstance(X, (Sequence, np.ndarray)):
        raise TypeError(f"X must be a sequence of samples, got {describe(X)}")
    return list(X)


def _data(X: Samples, y: Targets) -> tuple[list[Inputs], list[float]]:
    """The samples and their targets, checked to pair up: y holds one number per sample."""
    samples = _samples(X)
    if isinstance(y, (str, bytes)) or not isinstance(y, (Sequence, np.ndarray)):
        raise TypeError(f"y must be a sequence of numbers, got {describe(y)}")
    targets = np.asarray(y, dtype=object)
    if targets.ndim != 1:
        # A column of targets, shape (n, 1), is the classic mistake: ask for y.ravel().
        raise ValueError(f"y must be one number per sample (1-D), got shape {targets.shape}")
    if len(samples) != len(targets):
        raise ValueError(f"{len(samples)} samples but {len(targets)} targets")
    if not samples:
        raise ValueError("no samples: X and y are empty")
    return samples, [real_number("each target", target, finite=False) for target in targets]


def _batches(order: list[int], batch_size: int) -> list[list[int]]:
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def _single_output(output: Value | list[Value]) -> Value:
    if isinstance(output, list):
        raise ValueError(f"training needs a model with one output, this one has {len(output)}")
    if not isinstance(output, Value):
        raise TypeError(f"the model must return a Value, got {describe(output)}")
    return output


def _report(
    epoch: int, epochs: int, loss: float, print_every: int | None, progress: bool, output: TextIO
) -> None:
    if print_every and epoch % print_every == 0:
        print(f"Epoch {epoch} loss: {loss:.3f}", file=output)
    if progress:
        filled = round(30 * epoch / epochs)
        bar = "#" * filled + "." * (30 - filled)
        end = "\n" if epoch == epochs else ""
        print(
            f"\r[{bar}] epoch {epoch}/{epochs}  loss {loss:.4f}", end=end, file=output, flush=True
        )
