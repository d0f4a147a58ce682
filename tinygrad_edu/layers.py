"""Layers of Tensors: the building blocks of CNNs and RNNs, with PyTorch's names.

A ``Module`` holds parameters (Tensors with ``requires_grad=True``) and other modules,
and computes something from its input in ``forward``; calling the module calls it.
Assigning a parameter or a module to an attribute registers it, as in PyTorch:

    class Net(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Linear(2, 16, seed=0)   # registers hidden.weight, hidden.bias
            self.out = Linear(16, 1, seed=1)

        def forward(self, x):
            return self.out(self.hidden(x).relu())

so that ``parameters()``, ``named_parameters()`` (``hidden.weight``, ``0.weight``,
``weight_ih_l0``: PyTorch's names), ``zero_grad()``, ``train()``/``eval()`` and
``state_dict()`` find everything without being told. A state dict copied into the same
PyTorch model gives the same numbers (``tinygrad_edu.bridge`` does it for you).

Where PyTorch differs: it marks parameters with the ``nn.Parameter`` class, where here
any leaf Tensor that requires grad is one; its ``state_dict()`` shares memory with the
parameters, where ours returns copies (a snapshot that training does not change); and
its modules draw their random start from one global generator, where each of ours takes
a ``seed`` (an int, or a numpy Generator to share between layers).
"""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_edu.checks import shown, true_or_false, whole_number
from tinygrad_edu.conv import avg_pool2d, conv2d, max_pool2d
from tinygrad_edu.nn import ModelFileError
from tinygrad_edu.tensor import VJP_RULES, Tensor, _keep_numpy_quiet, _result, concatenate, stack

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "AvgPool2d",
    "Conv2d",
    "Dropout",
    "Embedding",
    "Flatten",
    "Linear",
    "MaxPool2d",
    "ModelFileError",
    "Module",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
]

Array = np.ndarray[Any, Any]
Seed = int | np.random.Generator
"""An int for a reproducible start, or a numpy Generator shared by several layers."""

FILE_FORMAT = "tinygrad_edu.layers"
FILE_VERSION = 1


class Module:
    """A layer or a network of layers: holds parameters and sub-modules, computes
    ``forward``. Subclasses call ``super().__init__()`` first, then assign."""

    training: bool
    _parameters: dict[str, Tensor]
    _modules: dict[str, Module]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        """Assigning registers: a leaf Tensor that requires grad as a parameter, a Module
        as a sub-module (in the order of assignment); anything else is an attribute."""
        parameters: dict[str, Tensor] | None = self.__dict__.get("_parameters")
        if parameters is None:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        modules: dict[str, Module] = self.__dict__["_modules"]
        parameters.pop(name, None)
        modules.pop(name, None)
        if isinstance(value, Tensor) and value.requires_grad and value.is_leaf:
            parameters[name] = value
        elif isinstance(value, Module):
            modules[name] = value
        object.__setattr__(self, name, value)

    def forward(self, *inputs: Any) -> Any:
        """What the module computes; ``module(x)`` calls it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *inputs: Any) -> Any:
        return self.forward(*inputs)

    # ------------------------------------------------------------------ what it holds

    def named_modules(self) -> list[tuple[str, Module]]:
        """This module ('') and every module inside it, each once, parents first, with
        its dotted name: ``('', net), ('0', conv), ...`` (by an explicit stack)."""
        found: list[tuple[str, Module]] = []
        seen: set[int] = set()
        to_visit: list[tuple[str, Module]] = [("", self)]
        while to_visit:
            prefix, module = to_visit.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            found.append((prefix, module))
            children = [(_join(prefix, name), child) for name, child in module._modules.items()]
            to_visit.extend(reversed(children))  # popped in the order they were assigned
        return found

    def children(self) -> list[Module]:
        """The modules assigned directly to this one, in order."""
        return list(self._modules.values())

    def named_parameters(self) -> list[tuple[str, Tensor]]:
        """(name, parameter) pairs, PyTorch's names and order: a module's own parameters,
        then its sub-modules', e.g. ``0.weight, 0.bias, 2.weight``; each parameter once."""
        named: list[tuple[str, Tensor]] = []
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, parameter in module._parameters.items():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    named.append((_join(prefix, name), parameter))
        return named

    def parameters(self) -> list[Tensor]:
        """The parameters, in the order of ``named_parameters``: give them to an optimizer."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``grad = None``, as PyTorch's default)."""
        for parameter in self.parameters():
            parameter.grad = None

    def train(self, mode: bool = True) -> Module:
        """Training mode (the default): Dropout drops. Returns the module itself."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) takes True or False, got {shown(mode)}")
        for _, module in self.named_modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: Dropout lets everything through. ``train(False)``."""
        return self.train(False)

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Array]:
        """Every parameter's numbers by name: ``{"0.weight": ndarray, ...}``, copies."""
        return {name: parameter.data.copy() for name, parameter in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Set every parameter from ``state_dict`` (as ``state_dict()`` gives, or a
        PyTorch state dict turned into arrays).

        Checks first that the names are exactly this module's, and that each value is
        an array of floats of the parameter's shape with finite numbers; on any problem
        raises ValueError (or TypeError) listing them all, and changes nothing.
        Values are copied into the parameters' own arrays (in their dtype), so an
        optimizer that holds the parameters keeps working.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict expects a dict of arrays, got {type(state_dict).__name__}"
            )
        expected = dict(self.named_parameters())
        problems = []
        missing = [name for name in expected if name not in state_dict]
        unexpected = [repr(name) for name in state_dict if name not in expected]
        if missing:
            problems.append(f"missing {', '.join(map(repr, missing))}")
        if unexpected:
            problems.append(f"unexpected {', '.join(unexpected)}")
        arrays: dict[str, Array] = {}
        for name, parameter in expected.items():
            if name in state_dict:
                array, problem = _checked_value(state_dict[name], parameter.shape)
                if array is None:
                    problems.append(f"{name!r}: {problem}")
                else:
                    arrays[name] = array
        if problems:
            raise ValueError(
                f"load_state_dict: the state dict does not fit {type(self).__name__} "
                "(nothing was changed): " + "; ".join(problems)
            )
        for name, parameter in expected.items():
            np.copyto(parameter.data, arrays[name], casting="same_kind")

    def save(self, path: str | Path) -> None:
        """Write the state dict to ``path``: a ``.npz`` file (numpy's zip of arrays,
        readable by ``np.load(path, allow_pickle=False)``) or a ``.json`` file."""
        path = Path(path)
        state = self.state_dict()
        bad = [name for name, array in state.items() if not np.isfinite(array).all()]
        if bad:
            raise ValueError(f"cannot save non-finite parameters: {', '.join(bad)}")
        if path.suffix == ".npz":
            with path.open("wb") as file:
                np.savez(file, **state)  # type: ignore[arg-type]  # names as array keys
        elif path.suffix == ".json":
            document = {
                "format": FILE_FORMAT,
                "version": FILE_VERSION,
                "model": repr(self),
                "parameters": {
                    name: {
                        "shape": list(array.shape),
                        "dtype": array.dtype.name,
                        "values": array.ravel().tolist(),
                    }
                    for name, array in state.items()
                },
            }
            path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        else:
            raise ValueError(f"save: the file name must end in .npz or .json, got {path.name!r}")

    def load(self, path: str | Path) -> None:
        """Set the parameters from a file written by ``save`` (``.npz`` or ``.json``).

        Never unpickles anything. Raises ``ModelFileError`` (a ValueError) if the file is
        unreadable, malformed or for another model, and then changes nothing.
        """
        path = Path(path)
        if path.suffix not in (".npz", ".json"):
            raise ModelFileError(
                f"load: the file name must end in .npz or .json, got {path.name!r}"
            )
        state = _read_npz(path) if path.suffix == ".npz" else _read_json(path)
        try:
            self.load_state_dict(state)
        except (TypeError, ValueError) as error:
            raise ModelFileError(f"{path}: {error}") from None

    # ------------------------------------------------------------------ how it looks

    def extra_repr(self) -> str:
        """The arguments shown inside the parentheses of the repr."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: the module's arguments, then each sub-module on its line."""
        name = type(self).__name__
        if not self._modules:
            return f"{name}({self.extra_repr()})"
        lines = [
            f"  ({child_name}): " + repr(child).replace("\n", "\n  ")
            for child_name, child in self._modules.items()
        ]
        return f"{name}(\n" + "\n".join(lines) + "\n)"


# ---------------------------------------------------------------------- layers


class Linear(Module):
    """``y = x @ weight.T + bias``: weight (out_features, in_features), bias
    (out_features,), both uniform in ±1/sqrt(in_features) (PyTorch's start)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        seed: Seed = 0,
        dtype: str = "float64",
    ) -> None:
        super().__init__()
        self.in_features = _checked_size(in_features, "Linear", "in_features")
        self.out_features = _checked_size(out_features, "Linear", "out_features")
        bias = true_or_false("Linear: bias", bias)
        generator = _generator(seed)
        bound = 1.0 / math.sqrt(in_features)
        self.weight = _uniform(generator, (out_features, in_features), bound, dtype)
        self.bias = _uniform(generator, (out_features,), bound, dtype) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """x of shape (..., in_features) to (..., out_features)."""
        _check_last_axis(x, self.in_features, "Linear", "in_features")
        rows = x if x.ndim <= 2 else x.reshape(-1, self.in_features)  # one 2-D product
        out = rows @ self.weight.T
        if self.bias is not None:
            out = out + self.bias
        return out if x.ndim <= 2 else out.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


class Conv2d(Module):
    """``conv2d(x, weight, bias, stride, padding)`` with weight
    (out_channels, in_channels, kh, kw) and bias (out_channels,), uniform in
    ±1/sqrt(in_channels * kh * kw) (PyTorch's start)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
        seed: Seed = 0,
        dtype: str = "float64",
    ) -> None:
        super().__init__()
        self.in_channels = _checked_size(in_channels, "Conv2d", "in_channels")
        self.out_channels = _checked_size(out_channels, "Conv2d", "out_channels")
        self.kernel_size = _pair(kernel_size, "Conv2d: kernel_size", smallest=1)
        self.stride = _pair(stride, "Conv2d: stride", smallest=1)
        self.padding = _pair(padding, "Conv2d: padding", smallest=0)
        bias = true_or_false("Conv2d: bias", bias)
        generator = _generator(seed)
        fan_in = in_channels * self.kernel_size[0] * self.kernel_size[1]
        bound = 1.0 / math.sqrt(fan_in)
        shape = (out_channels, in_channels, *self.kernel_size)
        self.weight = _uniform(generator, shape, bound, dtype)
        self.bias = _uniform(generator, (out_channels,), bound, dtype) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """Images (N, in_channels, H, W) to (N, out_channels, H_out, W_out)."""
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        shown = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        shown += f", stride={self.stride}"
        if self.padding != (0, 0):
            shown += f", padding={self.padding}"
        return shown + (", bias=False" if self.bias is None else "")


class MaxPool2d(Module):
    """``max_pool2d(x, kernel_size, stride)``: the largest value of each window."""

    def __init__(
        self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        name = type(self).__name__
        _pair(kernel_size, f"{name}: kernel_size", smallest=1)
        _pair(self.stride, f"{name}: stride", smallest=1)

    def forward(self, x: Tensor) -> Tensor:
        return max_pool2d(x, self.kernel_size, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class AvgPool2d(MaxPool2d):
    """``avg_pool2d(x, kernel_size, stride)``: the mean of each window."""

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool2d(x, self.kernel_size, self.stride)


class Flatten(Module):
    """Axes start_dim..end_dim merged into one: (N, C, H, W) to (N, C * H * W)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = whole_number("Flatten: start_dim", start_dim, minimum=None)
        self.end_dim = whole_number("Flatten: end_dim", end_dim, minimum=None)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"Flatten: the input must be a Tensor, got {type(x).__name__}")
        axes = max(x.ndim, 1)  # a 0-d tensor counts as one axis, as in PyTorch: it gives (1,)
        for name, axis in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -axes <= axis < axes:  # else % would wrap it onto another axis
                raise ValueError(
                    f"Flatten: {name} {axis} is out of range for a tensor of shape {x.shape} "
                    f"(axes {-axes} to {axes - 1})"
                )
        start, end = self.start_dim % axes, self.end_dim % axes
        if start > end:
            raise ValueError(
                f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} "
                f"for a tensor of shape {x.shape}"
            )
        return x.reshape(*x.shape[:start], -1, *x.shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class ReLU(Module):
    """max(0, x), element by element."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    """tanh(x), element by element."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sigmoid(Module):
    """1 / (1 + e**-x), element by element."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Dropout(Module):
    """In training, each element is zeroed with probability p and the others are
    scaled by 1 / (1 - p), so that the expected value stays x; in eval, the identity.

    The masks come from the module's own generator, seeded: the same seed gives the
    same masks in the same order (PyTorch draws them from its global generator).
    """

    def __init__(self, p: float = 0.5, seed: Seed = 0) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {shown(p)}")
        self.p = float(p)
        self.generator = _generator(seed)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        kept = self.generator.random(x.shape) >= self.p
        scale = 1.0 / (1.0 - self.p) if self.p < 1 else 0.0
        return x * (kept * scale).astype(x.dtype)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Modules applied one after the other; they are named ``0``, ``1``, ..."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: item {index} is {type(module).__name__}, not a Module"
                )
            setattr(self, str(index), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim`` (weight, drawn
    from N(0, 1) as PyTorch's); ``embedding(indices)`` looks the rows up:
    indices of shape S give (*S, embedding_dim)."""

    def __init__(
        self, num_embeddings: int, embedding_dim: int, seed: Seed = 0, dtype: str = "float64"
    ) -> None:
        super().__init__()
        self.num_embeddings = _checked_size(num_embeddings, "Embedding", "num_embeddings")
        self.embedding_dim = _checked_size(embedding_dim, "Embedding", "embedding_dim")
        samples = _generator(seed).standard_normal((num_embeddings, embedding_dim))
        self.weight = Tensor(samples, requires_grad=True, dtype=dtype)

    def forward(self, indices: Any) -> Tensor:
        return self.weight[_checked_indices(indices, self.num_embeddings)]

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


# ---------------------------------------------------------------------- recurrent layers


class _Recurrent(Module):
    """What RNN, LSTM and GRU share: parameters, shapes and the loop over time.

    For each layer k: ``weight_ih_lk`` (gates * hidden_size, input size of layer k),
    ``weight_hh_lk`` (gates * hidden_size, hidden_size), ``bias_ih_lk``, ``bias_hh_lk``
    (gates * hidden_size,), all uniform in ±1/sqrt(hidden_size), PyTorch's names and start.
    The input x is (L, N, input_size), or (N, L, input_size) with batch_first=True, or
    (L, input_size) for one unbatched sequence; the states are (num_layers, N, hidden_size)
    whatever batch_first says, as in PyTorch.
    """

    gates = 1
    biases_add_up = True  # b_ih and b_hh only ever appear as b_ih + b_hh (not so in GRU)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        seed: Seed = 0,
        dtype: str = "float64",
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = _checked_size(input_size, name, "input_size")
        self.hidden_size = _checked_size(hidden_size, name, "hidden_size")
        self.num_layers = _checked_size(num_layers, name, "num_layers")
        self.bias = true_or_false(f"{name}: bias", bias)
        self.batch_first = true_or_false(f"{name}: batch_first", batch_first)
        generator = _generator(seed)
        bound = 1.0 / math.sqrt(hidden_size)
        rows = self.gates * hidden_size
        for layer in range(num_layers):
            inputs = input_size if layer == 0 else hidden_size
            setattr(self, f"weight_ih_l{layer}", _uniform(generator, (rows, inputs), bound, dtype))
            setattr(
                self, f"weight_hh_l{layer}", _uniform(generator, (rows, hidden_size), bound, dtype)
            )
            if bias:
                setattr(self, f"bias_ih_l{layer}", _uniform(generator, (rows,), bound, dtype))
                setattr(self, f"bias_hh_l{layer}", _uniform(generator, (rows,), bound, dtype))

    def _layer_parameters(self, layer: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        found = self.__dict__  # what was assigned (bias=False assigns no biases)
        return (
            found[f"weight_ih_l{layer}"],
            found[f"weight_hh_l{layer}"],
            found.get(f"bias_ih_l{layer}"),
            found.get(f"bias_hh_l{layer}"),
        )

    def _run(self, x: Tensor, states: list[Tensor | None]) -> tuple[Tensor, list[list[Tensor]]]:
        """All layers over the whole sequence x (L, N, input_size), from ``states``
        (per kind of state, e.g. [h0] or [h0, c0], each (num_layers, N, H) or None).
        Returns the last layer's outputs (L, N, H) and each state's final value per layer."""
        n = x.shape[1]
        start = [
            Tensor.zeros(self.num_layers, n, self.hidden_size, dtype=x.dtype) if s is None else s
            for s in states
        ]
        finals: list[list[Tensor]] = [[] for _ in states]
        # Each step's input as its own tensor. (One matrix product over the whole
        # sequence, then a slice per step, would be faster forward, but backward turns
        # each slice of a tensor that requires grad into a gradient of the whole.)
        inputs = [x[step] for step in range(x.shape[0])]
        for layer in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self._layer_parameters(layer)
            input_bias = b_ih
            if b_ih is not None and b_hh is not None and self.biases_add_up:
                input_bias, b_hh = b_ih + b_hh, None  # added once per step, not twice
            to_gates, recurrent = w_ih.T, w_hh.T  # transposed once, used at every step
            state = [s[layer] for s in start]
            outputs = []
            for x_t in inputs:
                projected = x_t @ to_gates
                if input_bias is not None:
                    projected = projected + input_bias
                state = self._cell(projected, state, recurrent, b_hh)
                outputs.append(state[0])
            for kind, value in enumerate(state):
                finals[kind].append(value)
            inputs = outputs
        return stack(inputs), finals

    def _cell(
        self, projected: Tensor, state: list[Tensor], recurrent: Tensor, b_hh: Tensor | None
    ) -> list[Tensor]:
        raise NotImplementedError

    def _forward(self, x: Tensor, states: list[Tensor | None]) -> tuple[Tensor, list[Tensor]]:
        """Checks shapes, puts time first, runs, and puts the axes back as given."""
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: x must be a Tensor, got {type(x).__name__}")
        if x.ndim not in (2, 3):
            layout = "(N, L, input_size)" if self.batch_first else "(L, N, input_size)"
            raise ValueError(f"{name}: x must be {layout} or (L, input_size), got {x.shape}")
        _check_last_axis(x, self.input_size, name, "input_size")
        unbatched = x.ndim == 2
        if unbatched:
            x = x.reshape(x.shape[0], 1, x.shape[1])
        elif self.batch_first:
            x = x.transpose(1, 0, 2)
        states = [self._checked_state(s, x.shape[1], unbatched) for s in states]
        output, finals = self._run(x, states)
        final_states = [stack(values) for values in finals]
        if unbatched:
            return output.reshape(output.shape[0], -1), [
                s.reshape(self.num_layers, -1) for s in final_states
            ]
        if self.batch_first:
            output = output.transpose(1, 0, 2)
        return output, final_states

    def _checked_state(self, state: Any, batch: int, unbatched: bool) -> Tensor | None:
        if state is None:
            return None
        name = type(self).__name__
        if not isinstance(state, Tensor):
            raise TypeError(f"{name}: a state must be a Tensor, got {type(state).__name__}")
        expected = (
            (self.num_layers, self.hidden_size)
            if unbatched
            else (self.num_layers, batch, self.hidden_size)
        )
        if state.shape != expected:
            raise ValueError(
                f"{name}: a state must have shape {expected} (num_layers, N, hidden_size), "
                f"got {state.shape}"
            )
        return state.reshape(self.num_layers, batch, self.hidden_size)

    def extra_repr(self) -> str:
        shown = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            shown += f", num_layers={self.num_layers}"
        if not self.bias:
            shown += ", bias=False"
        if self.batch_first:
            shown += ", batch_first=True"
        return shown


class RNN(_Recurrent):
    """The plain recurrent layer (Elman's):
    ``h_t = tanh(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh)`` (or relu).

    ``rnn(x, h0=None) -> (output, h_n)``: output holds h_t of the last layer at every
    step, h_n the last h of every layer.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        seed: Seed = 0,
        dtype: str = "float64",
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, seed, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._forward(x, [h0])
        return output, h_n

    def _cell(
        self, projected: Tensor, state: list[Tensor], recurrent: Tensor, b_hh: Tensor | None
    ) -> list[Tensor]:
        pre_activation = projected + state[0] @ recurrent
        if b_hh is not None:
            pre_activation = pre_activation + b_hh
        return [pre_activation.tanh() if self.nonlinearity == "tanh" else pre_activation.relu()]

    def extra_repr(self) -> str:
        shown = super().extra_repr()
        return shown + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(_Recurrent):
    """Long short-term memory: a cell state c carried along, changed only through gates.

        i, f, g, o = split(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh)   # PyTorch's order
        i, f, o = sigmoid(i), sigmoid(f), sigmoid(o);  g = tanh(g)
        c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t)

    ``lstm(x, (h0, c0)=None) -> (output, (h_n, c_n))``.
    """

    gates = 4

    def forward(
        self, x: Tensor, states: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if states is not None and (not isinstance(states, tuple) or len(states) != 2):
            raise TypeError("LSTM: states must be a pair (h0, c0) of Tensors, or None")
        h0, c0 = (None, None) if states is None else states
        output, (h_n, c_n) = self._forward(x, [h0, c0])
        return output, (h_n, c_n)

    def _cell(
        self, projected: Tensor, state: list[Tensor], recurrent: Tensor, b_hh: Tensor | None
    ) -> list[Tensor]:
        h, c = state
        gates = projected + h @ recurrent
        if b_hh is not None:
            gates = gates + b_hh
        both = lstm_cell(gates, c)
        return [both[:, : self.hidden_size], both[:, self.hidden_size :]]


def lstm_cell(gates: Tensor, c: Tensor) -> Tensor:
    """h_t and c_t side by side, (N, 2H), from the gates before their activations
    (N, 4H: i, f, g, o) and c_{t-1} (N, H), as LSTM's docstring says.

    One op with its own rule rather than the dozen element-wise ops and four slices it
    is made of: their backward allocated and added four (N, 4H) arrays per time step,
    and the whole LSTM step took about twice as long (measured by
    benchmarks/bench_tensor.py). The rule recomputes the gates from Tensors under
    ``backward(create_graph=True)``, so that gradients of gradients stay exact.
    """
    _keep_numpy_quiet()  # e**-x overflows to inf for x < -709: the gate is 0, quietly
    activated = _lstm_gates(gates.data)
    input_gate, forget_gate, candidate, output_gate = activated
    c_new = forget_gate * c.data + input_gate * candidate
    both = np.concatenate([output_gate * np.tanh(c_new), c_new], axis=1)
    return _result("lstm_cell", both, (gates, c), {"activated": activated})


def _lstm_gates(gates: Any) -> tuple[Any, Any, Any, Any]:
    """sigmoid(i), sigmoid(f), tanh(g), sigmoid(o), on arrays or on Tensors."""
    size = gates.shape[1] // 4
    pieces = [gates[:, k * size : (k + 1) * size] for k in range(4)]
    if isinstance(gates, Tensor):
        return pieces[0].sigmoid(), pieces[1].sigmoid(), pieces[2].tanh(), pieces[3].sigmoid()
    sigmoid = [1.0 / (1.0 + np.exp(-piece)) for piece in (pieces[0], pieces[1], pieces[3])]
    return sigmoid[0], sigmoid[1], np.tanh(pieces[2]), sigmoid[2]


def _lstm_cell_rule(
    grad: Any, gates: Any, c: Any, out: Any, activated: tuple[Array, ...]
) -> tuple[Any, Any]:
    """d(loss)/d(gates) and d(loss)/d(c_{t-1}) from grad = d(loss)/d([h_t, c_t]):
    c_t also reaches the loss through h_t = o * tanh(c_t), so its gradient is
    dc = dc_t + dh * o * (1 - tanh(c_t)**2); then d i = dc * g, d f = dc * c_{t-1},
    d g = dc * i, d o = dh * tanh(c_t), each times its activation's derivative."""
    tensors = isinstance(gates, Tensor)
    i, f, g, o = _lstm_gates(gates) if tensors else activated
    size = c.shape[1]
    dh, dc_out = grad[:, :size], grad[:, size:]
    tanh_c = out[:, size:].tanh() if tensors else np.tanh(out[:, size:])
    dc = dc_out + dh * (o * (1.0 - tanh_c * tanh_c))
    pieces = [dc * (g * (i * (1.0 - i))), dc * (c * (f * (1.0 - f))), dc * (i * (1.0 - g * g))]
    pieces.append(dh * (tanh_c * (o * (1.0 - o))))
    joined = concatenate(pieces, axis=1) if tensors else np.concatenate(pieces, axis=1)
    return joined, dc * f


VJP_RULES["lstm_cell"] = _lstm_cell_rule


class GRU(_Recurrent):
    """Gated recurrent unit: a reset gate r and an update gate z, PyTorch's equations:

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h_t = (1 - z) * n + z * h_{t-1}

    with W_ih = [W_ir; W_iz; W_in] (rows in that order) and so on.
    ``gru(x, h0=None) -> (output, h_n)``.
    """

    gates = 3
    biases_add_up = False  # b_hn is multiplied by r

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._forward(x, [h0])
        return output, h_n

    def _cell(
        self, projected: Tensor, state: list[Tensor], recurrent: Tensor, b_hh: Tensor | None
    ) -> list[Tensor]:
        (h,) = state
        size = self.hidden_size
        from_hidden = h @ recurrent
        if b_hh is not None:
            from_hidden = from_hidden + b_hh
        both = projected[:, : 2 * size] + from_hidden[:, : 2 * size]
        reset, update = both[:, :size].sigmoid(), both[:, size:].sigmoid()
        candidate = (projected[:, 2 * size :] + reset * from_hidden[:, 2 * size :]).tanh()
        return [(1.0 - update) * candidate + update * h]


# ---------------------------------------------------------------------- helpers


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _generator(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"seed must be a whole number >= 0 or a numpy Generator, got {shown(seed)}"
        )
    return np.random.default_rng(int(seed))


def _uniform(
    generator: np.random.Generator, shape: tuple[int, ...], bound: float, dtype: str
) -> Tensor:
    """A parameter drawn uniformly from [-bound, bound)."""
    return Tensor(generator.uniform(-bound, bound, shape), requires_grad=True, dtype=dtype)


def _checked_size(size: Any, layer: str, name: str) -> int:
    return whole_number(f"{layer}: {name}", size, minimum=1)


def _pair(size: Any, name: str, smallest: int) -> tuple[int, int]:
    """An int for both sides, or a pair (height, width) of them, each >= ``smallest``."""
    if not isinstance(size, (tuple, list)):
        side = whole_number(name, size, smallest)
        return side, side
    if len(size) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {shown(size)}")
    height = whole_number(f"{name}[0]", size[0], smallest)
    return height, whole_number(f"{name}[1]", size[1], smallest)


def _check_last_axis(x: Any, size: int, layer: str, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer}: the input must be a Tensor, got {type(x).__name__}")
    if x.ndim == 0 or x.shape[-1] != size:
        raise ValueError(
            f"{layer}: the input's last axis must have {name} = {size} elements, "
            f"got shape {x.shape}"
        )


def _checked_indices(indices: Any, count: int) -> Array:
    """Indices for an Embedding: whole numbers in [0, count)."""
    values = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if values.dtype.kind == "f" and np.array_equal(values, np.round(values)):
        values = values.astype(np.int64)
    if values.dtype.kind not in "iu":
        raise TypeError(f"Embedding: indices must be whole numbers, got {values.dtype}")
    if values.size and (values.min() < 0 or values.max() >= count):
        raise IndexError(
            f"Embedding: indices must be in [0, {count}), got values from {values.min()} "
            f"to {values.max()}"
        )
    return values


def _checked_value(value: Any, shape: tuple[int, ...]) -> tuple[Array | None, str]:
    """A state dict entry as an array of the shape, or the reason it cannot be one."""
    array = value.data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray):
        return None, f"expected an ndarray, got {type(value).__name__}"
    if array.dtype.kind != "f":
        return None, f"expected floats, got dtype {array.dtype}"
    if array.shape != shape:
        return None, f"expected shape {shape}, got {array.shape}"
    if not np.isfinite(array).all():
        return None, "holds inf or NaN"
    return array, ""


def _read_npz(path: Path) -> dict[str, Array]:
    """The arrays of a .npz file, read without pickle (object arrays are refused)."""
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{path} holds one array, not a .npz file of named arrays")
        with archive:
            return {name: archive[name] for name in archive.files}
    except (ModelFileError, FileNotFoundError):
        raise
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"{path} is not a readable .npz file: {error}") from None


def _read_json(path: Path) -> dict[str, Array]:
    """The arrays of a .json file written by ``Module.save``, every field checked."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        # ValueError: bad JSON, NaN or Infinity, or an int of more than 4,300 digits;
        # RecursionError: brackets nested thousands deep (as nn.load_module says too).
        reason = "nested too deep" if isinstance(error, RecursionError) else error
        raise ModelFileError(f"{path} is not a valid model file: {reason}") from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{path} is not a tinygrad_edu layers file")
    if document.get("version") != FILE_VERSION:
        raise ModelFileError(f"{path} has version {document.get('version')!r}, not {FILE_VERSION}")
    entries = document.get("parameters")
    if not isinstance(entries, dict):
        raise ModelFileError(f"{path} has no 'parameters' object")
    return {name: _json_array(path, name, entry) for name, entry in entries.items()}


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a finite number")


def _json_array(path: Path, name: str, entry: Any) -> Array:
    if not isinstance(entry, dict) or set(entry) != {"shape", "dtype", "values"}:
        raise ModelFileError(f"{path}: {name!r} needs exactly 'shape', 'dtype' and 'values'")
    shape, dtype, values = entry["shape"], entry["dtype"], entry["values"]
    if not isinstance(shape, list) or not all(
        isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in shape
    ):
        raise ModelFileError(f"{path}: {name!r} has a bad shape {shape!r}")
    if dtype not in ("float32", "float64"):
        raise ModelFileError(f"{path}: {name!r} has dtype {dtype!r}, not float32 or float64")
    if not isinstance(values, list) or len(values) != math.prod(shape):
        raise ModelFileError(f"{path}: {name!r} needs {math.prod(shape)} values for shape {shape}")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise ModelFileError(f"{path}: {name!r} holds something that is not a number")
    return np.array(values, dtype=dtype).reshape(shape)
