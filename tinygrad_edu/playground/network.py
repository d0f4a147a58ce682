"""The playground's network on Tensors: its layers, its loss, and how it trains.

For a batch of N points with k features, ``X`` is an (N, k) array, and layer l computes

    H_l = activation(H_{l-1} @ W_l.T + b_l)        W_l: (out, in), b_l: (out,)

as ``torch.nn.Linear`` does, starting from H_0 = X. The last layer has no activation:
its outputs are scores (logits). With two classes there is one score z and
p(class 1) = sigmoid(z); with three, one score per class and p = softmax(z).

The loss of one point is its cross-entropy, -log p(its class), written out as

    two classes:    L = softplus(z) - t * z          (t = 0 or 1)
    three classes:  L = logsumexp(z) - z[t]          (t = 0, 1 or 2)

which never takes the log of a rounded-off 0. Training minimises the mean over a
batch plus ``l2 / 2 * (sum of every squared weight)``; that term's gradient,
``l2 * w``, pulls each weight toward 0. Biases are left alone, as is usual, which is
why this is a term of the loss rather than the optimizers' ``weight_decay`` (the same
pull, PyTorch's way, but on every parameter it is given, biases too).

The same numbers, one Value at a time, are in ``point_graph.py``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from tinygrad_edu.engine import no_grad
from tinygrad_edu.optim import SGD, Adam
from tinygrad_edu.playground.config import Config
from tinygrad_edu.playground.datasets import Array, Labels, Points, feature_matrix, split
from tinygrad_edu.tensor import Tensor

MOMENTUM = 0.9
"""The momentum of the "momentum" optimizer: SGD with momentum 0.9, PyTorch's usual choice."""


class Network:
    """Fully connected layers with the given weight matrices (out, in) and bias
    vectors; ``activation`` between them, none after the last."""

    def __init__(
        self, weights: list[Array], biases: list[Array], activation: str, classes: int
    ) -> None:
        self.activation = activation
        self.classes = classes
        self.weights = [
            Tensor(weight, requires_grad=True, label=f"W{layer}")
            for layer, weight in enumerate(weights, start=1)
        ]
        self.biases = [
            Tensor(bias, requires_grad=True, label=f"b{layer}")
            for layer, bias in enumerate(biases, start=1)
        ]

    @classmethod
    def initial(
        cls, inputs: int, hidden: tuple[int, ...], activation: str, classes: int, seed: int
    ) -> Network:
        """A new network with PyTorch's initialisation: every weight and bias uniform in
        ±1/sqrt(fan_in), drawn with ``seed``. Its last layer has one output for two
        classes (a score for class 1), else one per class."""
        sizes = [inputs, *hidden, 1 if classes == 2 else classes]
        generator = np.random.default_rng(seed)
        weights, biases = [], []
        for fan_in, fan_out in itertools.pairwise(sizes):
            bound = 1 / math.sqrt(fan_in)
            weights.append(generator.uniform(-bound, bound, (fan_out, fan_in)))
            biases.append(generator.uniform(-bound, bound, fan_out))
        return cls(weights, biases, activation, classes)

    @property
    def sizes(self) -> list[int]:
        """How many inputs the network takes, then the size of each layer."""
        return [self.weights[0].shape[1], *(weight.shape[0] for weight in self.weights)]

    def parameters(self) -> list[Tensor]:
        """W1, b1, W2, b2, ...: everything the optimizer changes."""
        return [tensor for pair in zip(self.weights, self.biases) for tensor in pair]

    def forward(self, X: Tensor) -> tuple[Tensor, list[Tensor]]:
        """The scores (N, outputs) for a batch X (N, k), and each hidden layer's output."""
        hidden_outputs = []
        activations = X
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            activations = activations @ weight.T + bias
            if layer < last:
                activations = activate(activations, self.activation)
                hidden_outputs.append(activations)
        return activations, hidden_outputs

    def data_loss(self, scores: Tensor, labels: Labels) -> Tensor:
        """The mean cross-entropy of the scores for points of classes ``labels``."""
        if self.classes == 2:
            targets = labels.reshape(-1, 1).astype(np.float64)
            return (scores.softplus() - scores * targets).mean()
        rows = np.arange(len(labels))
        return (scores.logsumexp(axis=1) - scores[rows, labels]).mean()

    def penalty(self, l2: float) -> Tensor:
        """``l2 / 2`` times the sum of every squared weight."""
        total = (self.weights[0] ** 2).sum()
        for weight in self.weights[1:]:
            total = total + (weight**2).sum()
        return total * (l2 / 2)

    def probabilities(self, X: Array) -> tuple[Array, list[Array]]:
        """For points with features X: each class's probability (N, classes), and each
        hidden layer's output, as arrays. Records no graph."""
        with no_grad():
            scores, hidden_outputs = self.forward(Tensor(X))
            if self.classes == 2:
                one = scores.sigmoid().numpy()
                probabilities = np.column_stack([1 - one[:, 0], one[:, 0]])
            else:
                probabilities = scores.softmax(axis=1).numpy()
        return probabilities, [layer.numpy() for layer in hidden_outputs]

    def scalar_parameters(self) -> dict[str, float]:
        """Every weight and bias by the name the scalar ``nn.MLP`` gives it:
        ``layers.l.neurons.j.wi`` is W_{l+1}[j, i], ``layers.l.neurons.j.bias`` is b_{l+1}[j]."""
        return named_numbers(
            [weight.data for weight in self.weights], [bias.data for bias in self.biases]
        )

    def point_gradients(self, features: Array, label: int) -> tuple[float, dict[str, float]]:
        """One point's loss and its gradient for every parameter, by the tensor engine.

        Works on copies of the parameters, so training state (``.grad``) is untouched.
        """
        copy = Network(
            [weight.data.copy() for weight in self.weights],
            [bias.data.copy() for bias in self.biases],
            self.activation,
            self.classes,
        )
        scores, _ = copy.forward(Tensor(features.reshape(1, -1)))
        loss = copy.data_loss(scores, np.array([label]))
        loss.backward()
        return loss.item(), named_numbers(
            [_grad(weight) for weight in copy.weights], [_grad(bias) for bias in copy.biases]
        )


def activate(x: Tensor, name: str) -> Tensor:
    """``x`` through the activation called ``name``: tanh, relu, sigmoid or linear."""
    if name == "linear":
        return x
    result: Tensor = getattr(x, name)()
    return result


def named_numbers(weights: list[Array], biases: list[Array]) -> dict[str, float]:
    """Weight matrices and bias vectors as the scalar MLP's named numbers."""
    named = {}
    for layer, (weight, bias) in enumerate(zip(weights, biases)):
        for neuron in range(weight.shape[0]):
            for input in range(weight.shape[1]):
                named[f"layers.{layer}.neurons.{neuron}.w{input}"] = float(weight[neuron, input])
            named[f"layers.{layer}.neurons.{neuron}.bias"] = float(bias[neuron])
    return named


def _grad(tensor: Tensor) -> Array:
    grad: Any = tensor.grad
    return np.zeros_like(tensor.data) if grad is None else grad


# ---------------------------------------------------------------------- training


class Training:
    """One experiment: the points split into train and test, the network, its
    optimizer, and the loss after every epoch so far (epoch 0: before any training)."""

    def __init__(self, config: Config, points: Points) -> None:
        self.config = config
        self.points = points
        self.train, self.test = split(points, config.test_fraction, config.seed)
        self.train_inputs = feature_matrix(self.train.X, config.features)
        self.test_inputs = feature_matrix(self.test.X, config.features)
        self.network = Network.initial(
            len(config.features), config.hidden, config.activation, points.classes, config.seed
        )
        self.optimizer = make_optimizer(config, self.network.parameters())
        # Mini-batches are drawn in a new random order every epoch, from their own seed.
        self.shuffler = np.random.default_rng([config.seed, 1])
        self.epoch = 0
        self.train_losses = [self.loss(self.train_inputs, self.train.labels)]
        self.test_losses = [self.loss(self.test_inputs, self.test.labels)]
        self.diverged_at: int | None = None

    @property
    def steps_per_epoch(self) -> int:
        """How many mini-batches (optimizer steps) one pass over the training points takes."""
        return math.ceil(len(self.train) / self.config.batch_size)

    def loss(self, inputs: Array, labels: Labels) -> float:
        """The mean cross-entropy over these points (without the l2 term)."""
        with no_grad():
            scores, _ = self.network.forward(Tensor(inputs))
            return self.network.data_loss(scores, labels).item()

    def run_epochs(self, epochs: int) -> None:
        """Train for ``epochs`` passes over the training points, in mini-batches.

        Stops early, and sets ``diverged_at``, if a loss stops being a finite number
        (a learning rate too high makes the weights blow up).
        """
        for _ in range(epochs):
            if self.diverged_at is not None:
                return
            self._run_epoch()
            self.epoch += 1
            self.train_losses.append(self.loss(self.train_inputs, self.train.labels))
            self.test_losses.append(self.loss(self.test_inputs, self.test.labels))
            if not all(
                math.isfinite(loss) for loss in (self.train_losses[-1], self.test_losses[-1])
            ):
                self.diverged_at = self.epoch

    def _run_epoch(self) -> None:
        order = self.shuffler.permutation(len(self.train))
        for start in range(0, len(order), self.config.batch_size):
            batch = order[start : start + self.config.batch_size]
            scores, _ = self.network.forward(Tensor(self.train_inputs[batch]))
            loss = self.network.data_loss(scores, self.train.labels[batch])
            if self.config.l2 > 0:
                loss = loss + self.network.penalty(self.config.l2)
            if not math.isfinite(loss.item()):
                return  # the epoch's losses will say so
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()


def make_optimizer(config: Config, parameters: list[Tensor]) -> SGD | Adam:
    """The optimizer the config names, with its learning rate."""
    if config.optimizer == "adam":
        return Adam(parameters, lr=config.learning_rate)
    momentum = MOMENTUM if config.optimizer == "momentum" else 0.0
    return SGD(parameters, lr=config.learning_rate, momentum=momentum)
