"""A small training loop shared by the examples and the command line.

One epoch walks the data once, in order or shuffled, in mini-batches of
``batch_size`` samples (1 is the tutorial's stochastic gradient descent). Each batch:
forward, loss, zero the grads, backward, optimizer step. After each epoch the loss
over the whole data set is recorded (with ``no_grad``, as the tutorial prints it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import numpy as np

from tinygrad_edu.engine import Value, no_grad
from tinygrad_edu.losses import mse_loss
from tinygrad_edu.nn import Inputs, Module
from tinygrad_edu.optim import SGD, Optimizer

LossFunction = Callable[[Sequence[float], Sequence[Value]], Value]
Model = Callable[[Inputs], Any]


def predict(model: Model, samples: Sequence[Inputs] | np.ndarray[Any, Any]) -> list[Value]:
    """The model's single output for each sample, recording no graph."""
    with no_grad():
        return [_single_output(model(x)) for x in samples]


def evaluate(
    model: Model,
    X: Sequence[Inputs] | np.ndarray[Any, Any],
    y: Sequence[float] | np.ndarray[Any, Any],
    loss: LossFunction = mse_loss,
) -> float:
    """The loss over a whole data set, recording no graph."""
    return loss(list(y), predict(model, X)).data


def accuracy(
    model: Model,
    X: Sequence[Inputs] | np.ndarray[Any, Any],
    y: Sequence[float] | np.ndarray[Any, Any],
    threshold: float = 0.5,
) -> float:
    """The fraction of samples whose output is on the right side of ``threshold``
    (labels 0/1; use threshold 0 for raw scores)."""
    predictions = predict(model, X)
    hits = sum(bool(p.data > threshold) == bool(label > 0.5) for p, label in zip(predictions, y))
    return hits / len(predictions)


def fit(
    model: Module,
    X: Sequence[Inputs] | np.ndarray[Any, Any],
    y: Sequence[float] | np.ndarray[Any, Any],
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
    """
    samples, targets = list(X), [float(target) for target in y]
    if len(samples) != len(targets):
        raise ValueError(f"fit: {len(samples)} samples but {len(targets)} targets")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive whole number, got {batch_size!r}")
    optimizer = optimizer if optimizer is not None else SGD(model.parameters(), lr=0.1)
    output = stream if stream is not None else sys.stdout
    generator = np.random.default_rng(seed)
    history: list[float] = []
    for epoch in range(1, epochs + 1):
        order = generator.permutation(len(samples)) if shuffle else range(len(samples))
        for batch in _batches(list(order), batch_size):
            batch_loss = loss(
                [targets[i] for i in batch], [_single_output(model(samples[i])) for i in batch]
            )
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
        history.append(evaluate(model, samples, targets, loss))
        _report(epoch, epochs, history[-1], print_every, progress, output)
        if callback is not None:
            callback(epoch, history[-1])
    return history


def _batches(order: list[int], batch_size: int) -> list[list[int]]:
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def _single_output(output: Value | list[Value]) -> Value:
    if isinstance(output, list):
        raise ValueError(f"training needs a model with one output, this one has {len(output)}")
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
