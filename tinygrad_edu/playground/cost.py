"""What a training request costs, estimated before it runs, so that none runs long.

A session answers one request at a time, so while one tab trains, every other request
of that tab waits (its page, its clicks). Each training request is therefore kept to
about two seconds of work, whatever the set-up. Counting epochs or optimizer steps
is not enough: a step of the largest network with a batch of one point costs as much
as four steps of the smallest, and a step over 1,800 points ten times as much again.

The estimate is in microseconds of one core of the machine it was measured on (a
2-core laptop, timing ``Training.run_epochs`` for networks from no hidden layer to 6
layers of 8, on 20 to 1,800 training points, in batches of 1 to all of them). It was
within a factor of about two of every time measured, either way. It adds up:

- every optimizer step runs the same tensor ops whatever its batch size, and each op
  costs tens of microseconds of Python: ``STEP_MICROSECONDS`` per step, and
  ``LAYER_MICROSECONDS`` more for each layer (a hidden layer, or the output layer);
- the arithmetic itself: each training point meets every parameter once forward and
  about twice backward, ``POINT_PARAMETER_MICROSECONDS`` in all, and its loss costs
  about as much as ``LOSS_PARAMETERS`` parameters more;
- after each epoch, the loss over every point: forward only, so about a quarter of
  that arithmetic (``EVALUATION_SHARE``), and ``EPOCH_LAYER_MICROSECONDS`` of Python
  per layer.

The budget is the estimate for one epoch of the costliest set-up the built-in data
allows (``MAX_COST_MICROSECONDS``), so that every such set-up can train at least one
epoch per request, and no request costs more than that one epoch. Measured, that
epoch takes about 2 seconds, and so does the costliest request any set-up may send.
"""

from __future__ import annotations

import itertools
import math

from tinygrad_edu.playground.config import (
    MAX_HIDDEN_LAYERS,
    MAX_NEURONS,
    MAX_POINTS,
    MIN_TEST_FRACTION,
)
from tinygrad_edu.playground.datasets import FEATURES
from tinygrad_edu.playground.network import Training

STEP_MICROSECONDS = 250
LAYER_MICROSECONDS = 100
POINT_PARAMETER_MICROSECONDS = 0.01
LOSS_PARAMETERS = 30
EVALUATION_SHARE = 0.25
EPOCH_LAYER_MICROSECONDS = 150


def epoch_cost(
    steps: int, layers: int, parameters: int, training_points: int, all_points: int
) -> float:
    """The estimated microseconds of one epoch: ``steps`` optimizer steps through
    ``layers`` layers, over ``training_points``, then the losses over ``all_points``."""
    per_point = (parameters + LOSS_PARAMETERS) * POINT_PARAMETER_MICROSECONDS
    steps_python = steps * (STEP_MICROSECONDS + LAYER_MICROSECONDS * layers)
    steps_arithmetic = training_points * per_point
    losses = all_points * EVALUATION_SHARE * per_point + layers * EPOCH_LAYER_MICROSECONDS
    return steps_python + steps_arithmetic + losses


def _largest_epoch_cost() -> float:
    """One epoch of the costliest set-up with built-in data: the most points, the
    least of them held out, a batch of one, every feature, the largest network, and
    three classes."""
    training_points = MAX_POINTS - round(MIN_TEST_FRACTION * MAX_POINTS)
    sizes = [len(FEATURES), *[MAX_NEURONS] * MAX_HIDDEN_LAYERS, 3]
    parameters = sum((inputs + 1) * outputs for inputs, outputs in itertools.pairwise(sizes))
    return epoch_cost(training_points, len(sizes) - 1, parameters, training_points, MAX_POINTS)


MAX_COST_MICROSECONDS = _largest_epoch_cost()
"""The most work one training request may do (about 1.7 million: 2 seconds, measured)."""


def training_epoch_cost(training: Training, batch_size: int | None = None) -> float:
    """The estimated microseconds of one epoch of ``training`` (with another batch
    size, if given)."""
    batch_size = batch_size or training.config.batch_size
    parameters = sum(parameter.size for parameter in training.network.parameters())
    return epoch_cost(
        math.ceil(len(training.train) / batch_size),
        len(training.network.weights),
        parameters,
        len(training.train),
        len(training.points),
    )


def most_epochs(training: Training) -> int:
    """How many epochs of ``training`` fit in one request's budget (maybe 0)."""
    return math.floor(MAX_COST_MICROSECONDS / training_epoch_cost(training))


def smallest_batch_size(training: Training) -> int | None:
    """The smallest batch size with which one epoch fits in the budget (None if even
    one batch of every training point does not)."""
    # The cost falls as the batch grows (fewer steps), so halve the range each time.
    low, high = 1, len(training.train)
    if training_epoch_cost(training, high) > MAX_COST_MICROSECONDS:
        return None
    while low < high:
        middle = (low + high) // 2
        if training_epoch_cost(training, middle) <= MAX_COST_MICROSECONDS:
            high = middle
        else:
            low = middle + 1
    return low
