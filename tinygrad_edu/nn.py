"""Neural-network modules built from Values: Neuron, Layer, MLP.

A neuron computes ``activation(w . x + b)``; a layer is a list of neurons that see
the same inputs; an MLP is a list of layers, each feeding the next. The tutorial's
network is ``MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid")``.

Parameters are plain Values, so ``loss.backward()`` fills their ``.grad`` and an
optimizer changes their ``.data``. Where PyTorch differs: its layers hold weight
*matrices* and compute a layer in one matrix product; here every weight is its own
scalar node, which is slow but lets you see and check each one.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence, Set
from pathlib import Path
from typing import Any, Union

import numpy as np

from tinygrad_edu.checks import Seed, describe, random_generator, real_number, whole_number
from tinygrad_edu.engine import Value

Activation = Callable[[Value], Value]

ACTIVATIONS: dict[str, Activation] = {
    "linear": lambda x: x,
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "softplus": Value.softplus,
}
"""The activation functions a module accepts by name."""

Inputs = Union[Sequence[float | Value], "np.ndarray[Any, Any]"]
"""A sample: a sequence of numbers or Values, or a 1-D numpy array."""

_LARGEST_FLOAT = sys.float_info.max

FILE_FORMAT = "tinygrad_edu.module"
FILE_VERSION = 1

MAX_PARAMETERS = 1_000_000
"""The most parameters ``load_module`` builds: a million Values take about 150 MB."""

ARCHITECTURE_KEYS = {
    "Neuron": ("type", "nin", "activation"),
    "Layer": ("type", "nin", "nout", "activation"),
    "MLP": ("type", "nin", "nouts", "activation", "output_activation"),
}
"""What ``architecture()`` holds for each kind of module, and all a model file may hold."""


class ModelFileError(ValueError):
    """A saved-parameters file that is malformed, truncated, or for another model."""


class Module:
    """Anything with parameters: lists them, names them, zeroes their grads, saves them."""

    def __call__(self, x: Inputs) -> Value | list[Value]:
        """The module's output(s) for one sample x."""
        raise NotImplementedError(f"{type(self).__name__} does not define its forward pass")

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(name, parameter) pairs in a fixed order, e.g. ``layers.0.neurons.1.w0``."""
        return []

    def parameters(self) -> list[Value]:
        """The parameters in the order of ``named_parameters``."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0 (gradients accumulate otherwise)."""
        for parameter in self.parameters():
            parameter.grad = 0.0

    def architecture(self) -> dict[str, Any]:
        """What it takes to build this module again: its class and arguments."""
        raise NotImplementedError(f"{type(self).__name__} does not describe its architecture")

    def save(self, path: str | Path) -> None:
        """Write the architecture and every parameter's value to a JSON file."""
        Path(path).write_text(self.file_text(), encoding="utf-8")

    def file_text(self) -> str:
        """What ``save`` writes: JSON with the architecture and every parameter's value."""
        values = {name: parameter.data for name, parameter in self.named_parameters()}
        bad = [name for name, value in values.items() if not math.isfinite(value)]
        if bad:
            raise ValueError(f"cannot save non-finite parameters: {', '.join(bad)}")
        document = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "architecture": self.architecture(),
            "parameters": values,
        }
        return json.dumps(document, indent=2) + "\n"

    def load(self, path: str | Path) -> None:
        """Set the parameters from a file written by ``save`` for the same architecture.

        Raises ``ModelFileError`` and leaves the module untouched if the file is
        malformed, truncated, or describes another architecture.
        """
        self._set_parameters(_read_model_file(path), path)

    def _set_parameters(self, document: dict[str, Any], path: str | Path) -> None:
        """Set every parameter from a read model file, once all of them are checked."""
        if document["architecture"] != self.architecture():
            raise ModelFileError(
                f"{path} holds a model of architecture {document['architecture']}, "
                f"not {self.architecture()}"
            )
        named = self.named_parameters()
        values = _parameter_values(document, [name for name, _ in named], path)
        for (_, parameter), value in zip(named, values):
            parameter.data = value

    def _label_parameters(self) -> None:
        """Label each parameter with its name, so pictures and reprs can show it."""
        for name, parameter in self.named_parameters():
            parameter.label = name


class Neuron(Module):
    """One neuron: ``activation(w0*x0 + w1*x1 + ... + bias)``.

    Weights and bias are given, or drawn from a standard normal with ``seed``.
    ``label`` names the neuron's output Value (e.g. "h1") in pictures and traces.
    """

    def __init__(
        self,
        nin: int,
        activation: str = "linear",
        weights: Sequence[float] | None = None,
        bias: float | None = None,
        seed: Seed = None,
        label: str = "",
    ) -> None:
        nin = whole_number("nin", nin, minimum=1)
        self.activation = _check_activation(activation)
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {describe(label)}")
        self.label = label
        start = random_generator("seed", seed).standard_normal(nin + 1)
        if weights is None:
            weights = [float(w) for w in start[:nin]]
        elif isinstance(weights, str) or not isinstance(weights, (Sequence, np.ndarray)):
            raise TypeError(f"weights must be a sequence of numbers, got {describe(weights)}")
        elif len(weights) != nin:
            raise ValueError(f"Neuron({nin}) needs {nin} weights, got {len(weights)}")
        self.weights = [
            Value(real_number(f"weights[{index}]", weight)) for index, weight in enumerate(weights)
        ]
        self.bias = Value(float(start[nin]) if bias is None else real_number("bias", bias))
        self._label_parameters()

    @property
    def nin(self) -> int:
        """How many inputs the neuron takes."""
        return len(self.weights)

    def __call__(self, x: Inputs) -> Value:
        """The neuron's output for one sample x."""
        inputs = as_inputs(x, self.nin)
        weighted_sum = self.weights[0] * inputs[0]
        for weight, input in zip(self.weights[1:], inputs[1:]):
            weighted_sum = weighted_sum + weight * input
        out = ACTIVATIONS[self.activation](weighted_sum + self.bias)
        if self.label:
            out.label = self.label
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        named = [(f"w{index}", weight) for index, weight in enumerate(self.weights)]
        return [*named, ("bias", self.bias)]

    def architecture(self) -> dict[str, Any]:
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons that all see the same inputs.

    Calling it returns a single Value when ``nout == 1``, else a list of Values.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "linear",
        seed: Seed = None,
        labels: Sequence[str] = (),
    ) -> None:
        nin = whole_number("nin", nin, minimum=1)
        nout = whole_number("nout", nout, minimum=1)
        if isinstance(labels, str) or not isinstance(labels, Sequence):
            raise TypeError(f"labels must be a sequence of str, got {describe(labels)}")
        if labels and len(labels) != nout:
            raise ValueError(f"Layer with {nout} neurons needs {nout} labels, got {len(labels)}")
        generator = random_generator("seed", seed)
        self.neurons = [
            Neuron(nin, activation, seed=generator, label=labels[index] if labels else "")
            for index in range(nout)
        ]
        self._label_parameters()

    @property
    def nin(self) -> int:
        """How many inputs each neuron takes."""
        return self.neurons[0].nin

    @property
    def activation(self) -> str:
        """The activation every neuron of the layer applies."""
        return self.neurons[0].activation

    def __call__(self, x: Inputs) -> Value | list[Value]:
        """The layer's outputs for one sample x: a Value if nout == 1, else a list."""
        outputs = self.outputs(x)
        return outputs[0] if len(outputs) == 1 else outputs

    def outputs(self, x: Inputs) -> list[Value]:
        """The outputs of every neuron for one sample x, always as a list."""
        inputs = as_inputs(x, self.nin)
        return [neuron(inputs) for neuron in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"neurons.{index}.{name}", parameter)
            for index, neuron in enumerate(self.neurons)
            for name, parameter in neuron.named_parameters()
        ]

    def architecture(self) -> dict[str, Any]:
        return {
            "type": "Layer",
            "nin": self.nin,
            "nout": len(self.neurons),
            "activation": self.activation,
        }

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {len(self.neurons)}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes ``nouts``, each feeding the next.

    Hidden layers use ``activation``, the last one ``output_activation``.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        seed: Seed = None,
    ) -> None:
        nin = whole_number("nin", nin, minimum=1)
        if isinstance(nouts, str) or not isinstance(nouts, Sequence):
            raise TypeError(f"nouts must be a list of layer sizes, got {describe(nouts)}")
        if len(nouts) == 0:
            raise ValueError("MLP needs at least one layer size in nouts")
        nouts = [whole_number(f"nouts[{i}]", size, minimum=1) for i, size in enumerate(nouts)]
        _check_activation(activation)
        generator = random_generator("seed", seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(
                sizes[index],
                sizes[index + 1],
                output_activation if index == last else activation,
                seed=generator,
            )
            for index in range(len(nouts))
        ]
        self.activation = activation
        self._label_parameters()

    @property
    def nin(self) -> int:
        """How many inputs the network takes."""
        return self.layers[0].nin

    @property
    def nouts(self) -> list[int]:
        """The size of each layer."""
        return [len(layer.neurons) for layer in self.layers]

    @property
    def output_activation(self) -> str:
        """The activation of the last layer."""
        return self.layers[-1].activation

    def __call__(self, x: Inputs) -> Value | list[Value]:
        """The network's output for one sample x: a Value if the last layer has one
        neuron, else a list of Values."""
        activations = as_inputs(x, self.nin)
        for layer in self.layers:
            activations = layer.outputs(activations)
        return activations[0] if len(activations) == 1 else activations

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"layers.{index}.{name}", parameter)
            for index, layer in enumerate(self.layers)
            for name, parameter in layer.named_parameters()
        ]

    def architecture(self) -> dict[str, Any]:
        return {
            "type": "MLP",
            "nin": self.nin,
            "nouts": self.nouts,
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    def __repr__(self) -> str:
        layers = "\n".join(f"  ({index}) {layer!r}" for index, layer in enumerate(self.layers))
        return f"MLP(\n{layers}\n)"


def as_inputs(x: Inputs, expected: int) -> list[Value]:
    """One sample as a list of ``expected`` Values (numbers become leaves x1, x2, ...)."""
    if isinstance(x, np.ndarray) and x.ndim != 1:
        raise ValueError(f"a sample must be 1-D, got an array of shape {x.shape}")
    if isinstance(x, (str, bytes, Mapping, Set)) or not hasattr(x, "__len__"):
        # (a dict or a set has a length, but no order to match the weights with)
        raise TypeError(f"a sample must be a sequence of numbers, got {type(x).__name__}")
    if len(x) != expected:
        raise ValueError(f"expected {expected} inputs, got {len(x)}")
    return [
        item if isinstance(item, Value) else Value(item, label=f"x{index + 1}")
        for index, item in enumerate(x)
    ]


def load_module(path: str | Path) -> Module:
    """Build the module a file written by ``Module.save`` describes, with its values."""
    document = _read_model_file(path)
    module = _build(document, path)
    module._set_parameters(document, path)
    return module


# ---------------------------------------------------------------------- helpers


def _check_activation(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"an activation is named by a str, got {describe(name)}")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return name


def _read_model_file(path: str | Path) -> dict[str, Any]:
    """The parsed file, checked for the keys every model file has."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(f"{path} is not a valid model file (not UTF-8 text)") from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        # ValueError: bad JSON, or an int of more than 4,300 digits (Python's limit);
        # RecursionError: brackets nested thousands deep.
        reason = "nested too deep" if isinstance(error, RecursionError) else error
        raise ModelFileError(f"{path} is not a valid model file (bad JSON: {reason})") from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{path} is not a tinygrad_edu model file")
    if document.get("version") != FILE_VERSION:
        raise ModelFileError(f"{path} has version {document.get('version')!r}, not {FILE_VERSION}")
    for key, kind in (("architecture", dict), ("parameters", dict)):
        if not isinstance(document.get(key), kind):
            raise ModelFileError(f"{path} has no {key!r} object")
    return document


def _parameter_values(document: dict[str, Any], names: list[str], path: str | Path) -> list[float]:
    """The value of each named parameter in the file, all checked before any is used."""
    stored = document["parameters"]
    expected = set(names)  # a set, so that each lookup is one step, not a scan of the names
    missing = [name for name in names if name not in stored]
    extra = [name for name in stored if name not in expected]
    if missing or extra:
        raise ModelFileError(
            f"{path}: parameters missing {_few(missing)}, unexpected {_few(extra)}"
        )
    values = []
    for name in names:
        value = stored[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ModelFileError(f"{path}: parameter {name!r} is not a number: {value!r}")
        if not (-_LARGEST_FLOAT <= value <= _LARGEST_FLOAT):  # inf, nan, or a huge int
            raise ModelFileError(f"{path}: parameter {name!r} is not a finite float: {value!r}")
        values.append(float(value))
    return values


def _few(names: list[str]) -> str:
    """Up to five names, and how many more: a hostile file may list millions."""
    shown = ", ".join(repr(name) for name in names[:5])
    return f"[{shown}{f', ... ({len(names) - 5} more)' if len(names) > 5 else ''}]"


def _build(document: dict[str, Any], path: str | Path) -> Module:
    """The module a model file describes, once its architecture is checked: known keys
    only, and exactly as many parameters as the file holds (and at most MAX_PARAMETERS),
    so that a small file cannot make us build a huge model."""
    architecture = document["architecture"]
    kind_name = architecture.get("type")
    kinds: dict[str, Callable[..., Module]] = {"Neuron": Neuron, "Layer": Layer, "MLP": MLP}
    if not isinstance(kind_name, str) or kind_name not in kinds:
        raise ModelFileError(f"{path}: unknown module type {describe(kind_name)}")
    keys = ARCHITECTURE_KEYS[kind_name]
    if sorted(architecture) != sorted(keys):
        raise ModelFileError(
            f"{path}: a {kind_name} architecture has exactly the keys {', '.join(keys)}"
        )
    arguments = {key: architecture[key] for key in keys if key != "type"}
    try:
        count = _parameter_count(kind_name, arguments)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{path}: cannot build this {kind_name}: {error}") from None
    stored = len(document["parameters"])
    if count > MAX_PARAMETERS:
        raise ModelFileError(
            f"{path}: its architecture has more than {MAX_PARAMETERS:,} parameters, "
            "the most load_module builds"
        )
    if count != stored:
        raise ModelFileError(
            f"{path}: its architecture has {count:,} parameters, but the file holds {stored:,}"
        )
    try:
        return kinds[kind_name](**arguments, seed=0)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{path}: cannot build this {kind_name}: {error}") from None


def _parameter_count(kind_name: str, arguments: dict[str, Any]) -> int:
    """How many parameters the module would have: (inputs + 1) per neuron."""
    nin = whole_number("nin", arguments["nin"], minimum=1)
    if kind_name == "Neuron":
        return nin + 1
    if kind_name == "Layer":
        return whole_number("nout", arguments["nout"], minimum=1) * (nin + 1)
    nouts = arguments["nouts"]
    if not isinstance(nouts, list) or not nouts:
        raise TypeError(f"nouts must be a list of layer sizes, got {describe(nouts)}")
    sizes = [nin, *(whole_number(f"nouts[{i}]", n, minimum=1) for i, n in enumerate(nouts))]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in itertools.pairwise(sizes))
