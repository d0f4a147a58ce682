"""The tutorial's 2-2-1 network, written out by hand, and the same network in modules.

``HandDerivedNetwork`` is the tutorial's code in spirit: nine named numbers, a
feedforward, and every partial derivative of the loss worked out with the chain rule
on paper. ``tutorial_network`` builds the same network from ``nn.MLP``, whose
gradients come from autograd. Comparing the two shows that backpropagation is the
hand derivation, automated.

Notation (as in the tutorial): inputs x1, x2; hidden neurons
h1 = f(w1*x1 + w2*x2 + b1) and h2 = f(w3*x1 + w4*x2 + b2); output
y_pred = o1 = f(w5*h1 + w6*h2 + b3); f is the sigmoid and f'(x) = f(x) * (1 - f(x));
the loss of one sample is L = (y_true - y_pred)**2.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_edu.checks import Seed, describe, random_generator, real_number, whole_number
from tinygrad_edu.data import PEOPLE, Person
from tinygrad_edu.engine import Value
from tinygrad_edu.nn import MLP

PARAMETER_NAMES = ("w1", "w2", "b1", "w3", "w4", "b2", "w5", "w6", "b3")
"""The tutorial's names, in the order of ``MLP.parameters()``."""

WORKED_EXAMPLE = {name: 1.0 if name.startswith("w") else 0.0 for name in PARAMETER_NAMES}
"""The parameters of the tutorial's backpropagation example: every weight 1, every bias 0."""


def sigmoid(x: float) -> float:
    """f(x) = 1 / (1 + e**-x); for x < -700, where e**-x overflows, e**x (equal there)."""
    if x < -700:
        return math.exp(x)
    return 1 / (1 + math.exp(-x))


def sigmoid_slope(x: float) -> float:
    """f'(x) = f(x) * (1 - f(x))."""
    fx = sigmoid(x)
    return fx * (1 - fx)


def initial_parameters(seed: Seed = None) -> dict[str, float]:
    """Nine standard-normal numbers named w1..b3; the same seed gives the same start
    as ``MLP(2, [2, 1], ..., seed=seed)``."""
    draws = random_generator("seed", seed).standard_normal(len(PARAMETER_NAMES))
    return {name: float(draw) for name, draw in zip(PARAMETER_NAMES, draws)}


class HandDerivedNetwork:
    """The tutorial's network with backpropagation derived by hand."""

    def __init__(self, seed: Seed = None, params: Mapping[str, float] | None = None) -> None:
        self.params = initial_parameters(seed) if params is None else _checked(params)

    def feedforward(self, x: Sequence[float]) -> float:
        """y_pred for one sample x = [x1, x2]."""
        return self._forward(x)["y_pred"]

    def gradients(self, x: Sequence[float], y_true: float) -> dict[str, float]:
        """dL/dparam for every parameter, for one sample, with L = (y_true - y_pred)**2."""
        p = self.params
        x1, x2 = _sample(x)
        y_true = real_number("y_true", y_true, finite=False)
        forward = self._forward(x)
        h1, h2 = forward["h1"], forward["h2"]
        slope_h1 = sigmoid_slope(forward["sum_h1"])
        slope_h2 = sigmoid_slope(forward["sum_h2"])
        slope_o1 = sigmoid_slope(forward["sum_o1"])

        d_L_d_ypred = -2 * (y_true - forward["y_pred"])
        # Output neuron o1: y_pred = f(w5*h1 + w6*h2 + b3)
        d_ypred_d_w5, d_ypred_d_w6, d_ypred_d_b3 = h1 * slope_o1, h2 * slope_o1, slope_o1
        d_ypred_d_h1, d_ypred_d_h2 = p["w5"] * slope_o1, p["w6"] * slope_o1
        # Hidden neuron h1 = f(w1*x1 + w2*x2 + b1)
        d_h1_d_w1, d_h1_d_w2, d_h1_d_b1 = x1 * slope_h1, x2 * slope_h1, slope_h1
        # Hidden neuron h2 = f(w3*x1 + w4*x2 + b2)
        d_h2_d_w3, d_h2_d_w4, d_h2_d_b2 = x1 * slope_h2, x2 * slope_h2, slope_h2

        return {
            "w1": d_L_d_ypred * d_ypred_d_h1 * d_h1_d_w1,
            "w2": d_L_d_ypred * d_ypred_d_h1 * d_h1_d_w2,
            "b1": d_L_d_ypred * d_ypred_d_h1 * d_h1_d_b1,
            "w3": d_L_d_ypred * d_ypred_d_h2 * d_h2_d_w3,
            "w4": d_L_d_ypred * d_ypred_d_h2 * d_h2_d_w4,
            "b2": d_L_d_ypred * d_ypred_d_h2 * d_h2_d_b2,
            "w5": d_L_d_ypred * d_ypred_d_w5,
            "w6": d_L_d_ypred * d_ypred_d_w6,
            "b3": d_L_d_ypred * d_ypred_d_b3,
        }

    def sgd_step(self, x: Sequence[float], y_true: float, lr: float) -> None:
        """One step of stochastic gradient descent on one sample: w = w - lr * dL/dw."""
        lr = real_number("lr", lr, above=0.0)
        for name, gradient in self.gradients(x, y_true).items():
            self.params[name] -= lr * gradient

    def loss(self, data: Sequence[Sequence[float]], y_trues: Sequence[float]) -> float:
        """Mean squared error of the predictions over a data set."""
        samples, targets = _samples_and_targets(data, y_trues)
        errors = [(y - self.feedforward(x)) ** 2 for x, y in zip(samples, targets)]
        return sum(errors) / len(errors)

    def train(
        self,
        data: Sequence[Sequence[float]] | np.ndarray[Any, Any],
        y_trues: Sequence[float] | np.ndarray[Any, Any],
        lr: float = 0.1,
        epochs: int = 1000,
        callback: Callable[[int, float], None] | None = None,
    ) -> list[float]:
        """The tutorial's loop: each epoch, one SGD step per sample in order.

        Returns the loss over the whole data set after each epoch; ``callback(epoch,
        loss)`` also gets it (the tutorial prints it every 10 epochs).
        """
        samples, targets = _samples_and_targets(data, y_trues)
        lr = real_number("lr", lr, above=0.0)
        epochs = whole_number("epochs", epochs, minimum=1)
        history = []
        for epoch in range(1, epochs + 1):
            for x, y_true in zip(samples, targets):
                self.sgd_step(x, y_true, lr)
            history.append(self.loss(samples, targets))
            if callback is not None:
                callback(epoch, history[-1])
        return history

    def _forward(self, x: Sequence[float]) -> dict[str, float]:
        """Every intermediate number of the feedforward, by the tutorial's names."""
        if isinstance(x, (Sequence, np.ndarray)) and not isinstance(x, str) and len(x) != 2:
            raise ValueError(f"expected 2 inputs, got {len(x)}")
        p = self.params
        x1, x2 = _sample(x)
        sum_h1 = p["w1"] * x1 + p["w2"] * x2 + p["b1"]
        sum_h2 = p["w3"] * x1 + p["w4"] * x2 + p["b2"]
        h1, h2 = sigmoid(sum_h1), sigmoid(sum_h2)
        sum_o1 = p["w5"] * h1 + p["w6"] * h2 + p["b3"]
        return {
            "sum_h1": sum_h1,
            "sum_h2": sum_h2,
            "h1": h1,
            "h2": h2,
            "sum_o1": sum_o1,
            "y_pred": sigmoid(sum_o1),
        }


def tutorial_network(seed: Seed = None, params: Mapping[str, float] | None = None) -> MLP:
    """The tutorial's network as an autograd MLP, labelled as in the tutorial:
    parameters w1..b3, hidden outputs h1 and h2, output y_pred."""
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
    values = initial_parameters(seed) if params is None else _checked(params)
    for name, parameter in zip(PARAMETER_NAMES, model.parameters()):
        parameter.label = name
        parameter.data = values[name]
    for neuron, label in zip(
        model.layers[0].neurons + model.layers[1].neurons, ["h1", "h2", "y_pred"]
    ):
        neuron.label = label
    return model


def tutorial_loss(
    person: Person = PEOPLE[0],
    seed: Seed = None,
    params: Mapping[str, float] | None = None,
) -> tuple[Value, MLP]:
    """The loss L = (y_true - y_pred)**2 of the tutorial's network on one person (Alice
    by default), labelled "L", with the network. The parameters are ``params``, else a
    random start from ``seed``, else the worked example's (``WORKED_EXAMPLE``)."""
    if not isinstance(person, Person):
        raise TypeError(f"person must be a Person (from tinygrad_edu.data), got {describe(person)}")
    if person.gender is None:
        raise ValueError(f"{person.name} has no known gender to compare the prediction with")
    if params is None and seed is None:
        params = WORKED_EXAMPLE
    model = tutorial_network(seed=seed, params=params)
    y_pred = model(person.features)
    assert isinstance(y_pred, Value)  # the network has one output
    loss = (person.gender - y_pred) ** 2
    loss.label = "L"
    return loss, model


def _samples_and_targets(
    data: Sequence[Sequence[float]] | np.ndarray[Any, Any],
    y_trues: Sequence[float] | np.ndarray[Any, Any],
) -> tuple[list[list[float]], list[float]]:
    """The samples (two numbers each) and their targets, checked to pair up."""
    targets = np.asarray(y_trues, dtype=object)
    if targets.ndim != 1:
        raise ValueError(f"y_trues must be one target per sample (1-D), got shape {targets.shape}")
    samples = [_sample(x) for x in data]
    if len(samples) != len(targets):
        raise ValueError(f"{len(samples)} samples but {len(targets)} targets")
    return samples, [real_number("each target", y, finite=False) for y in targets]


def _sample(x: Sequence[float]) -> list[float]:
    """One sample as two floats [x1, x2] (NaN allowed: it shows in the loss)."""
    if isinstance(x, str) or not isinstance(x, (Sequence, np.ndarray)) or len(x) != 2:
        raise ValueError(f"each sample must be two numbers [x1, x2], got {describe(x)}")
    return [real_number("each input", v, finite=False) for v in x]


def _checked(params: Mapping[str, float]) -> dict[str, float]:
    """The nine parameters as floats, after checking that exactly w1..b3 are given."""
    missing = [name for name in PARAMETER_NAMES if name not in params]
    extra = [name for name in params if name not in PARAMETER_NAMES]
    if missing or extra:
        raise ValueError(
            f"params needs exactly {', '.join(PARAMETER_NAMES)}; "
            f"missing {missing}, unexpected {extra}"
        )
    checked = {}
    for name in PARAMETER_NAMES:
        value = params[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"params[{name!r}] must be a number, got {type(value).__name__}")
        checked[name] = float(value)
    return checked
