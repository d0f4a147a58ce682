"""One point's loss as a graph of scalar Values, with the tensor engine's numbers beside it.

The network trains on Tensors, a whole batch of points in each matrix product. To see
how one point's loss depends on one weight, the playground rebuilds that point's loss
with the scalar engine: an ``nn.MLP`` with the same weights, one ``Value`` per number,
so that every multiplication and every addition is a node of the graph.

Values are labelled as the tensors' elements: ``W1[2,0]`` is row 2, column 0 of the
first layer's weight matrix (the weight from input 0 into neuron 2), ``b1[2]`` that
neuron's bias, ``h1[2]`` its output, ``z`` the score (``z[k]`` with three classes), and
``L`` the loss. The loss has the same formula as on Tensors (see ``network.py``), so
both engines must agree on every gradient, up to rounding: the tests check it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinygrad_edu.engine import Value
from tinygrad_edu.nn import MLP
from tinygrad_edu.playground.datasets import FEATURES, Array
from tinygrad_edu.playground.network import Network


def scalar_model(network: Network) -> MLP:
    """An ``nn.MLP`` (scalar) with the network's architecture and weights, its
    parameters labelled ``W1[j,i]`` and ``b1[j]`` as the tensors' elements."""
    sizes = network.sizes
    model = MLP(sizes[0], sizes[1:], activation=network.activation, output_activation="linear")
    values = network.scalar_parameters()
    for name, parameter in model.named_parameters():
        parameter.data = values[name]
    for layer_number, layer in enumerate(model.layers, start=1):
        for row, neuron in enumerate(layer.neurons):
            for column, weight in enumerate(neuron.weights):
                weight.label = f"W{layer_number}[{row},{column}]"
            neuron.bias.label = f"b{layer_number}[{row}]"
    return model


@dataclass(frozen=True)
class PointLoss:
    """One point's loss ``root`` (a Value), the scalar ``model`` it came from, and the
    model's parameters by their ``nn.MLP`` names."""

    root: Value
    model: MLP

    def parameters_by_name(self) -> dict[str, Value]:
        """``{"layers.0.neurons.2.w0": <the Value W1[2,0]>, ...}``."""
        return dict(self.model.named_parameters())


def point_loss(network: Network, features: tuple[str, ...], inputs: Array, label: int) -> PointLoss:
    """The loss of one point, whose feature values are ``inputs``, as a scalar graph.

    The features are leaves labelled by their names (x1, sin x1, ...); with two
    classes, the point's class is the constant leaf ``t``.
    """
    model = scalar_model(network)
    activations = [
        Value(float(value), label=FEATURES[name].title) for name, value in zip(features, inputs)
    ]
    last = len(model.layers)
    for layer_number, layer in enumerate(model.layers, start=1):
        activations = layer.outputs(activations)
        for row, output in enumerate(activations):
            if layer_number < last:
                output.label = f"h{layer_number}[{row}]"
            else:
                output.label = "z" if len(activations) == 1 else f"z[{row}]"
    if len(activations) == 1:
        # two classes: L = softplus(z) - t * z
        # (both terms labelled, so that the chain rule names the path through each)
        score = activations[0]
        log_term, target_term = score.softplus(), Value(float(label), label="t") * score
        log_term.label, target_term.label = "softplus(z)", "t*z"
        loss = log_term - target_term
    else:
        # three classes: L = logsumexp(z) - z[t], with the largest score m taken out
        # first (a constant), so that exp never overflows: log(sum exp(z - m)) + m.
        largest = Value(max(score.data for score in activations), label="m")
        exps = [(score - largest).exp() for score in activations]
        total = exps[0]
        for term in exps[1:]:
            total = total + term
        loss = total.log() + largest - activations[label]
    loss.label = "L"
    return PointLoss(loss, model)
