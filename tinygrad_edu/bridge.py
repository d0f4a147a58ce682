"""To and from PyTorch: the same model, the same weights, the same numbers.

``to_torch(model)`` builds the ``torch.nn`` module that computes what ``model`` does
(a layer of ``tinygrad_edu.layers``, a ``Sequential`` of them, or the scalar ``MLP`` of
``tinygrad_edu.nn``) and copies the weights in; ``from_torch(module)`` does the
reverse for the torch layers that have a twin here. The layers share PyTorch's names,
shapes and equations, so the copy is just ``load_state_dict``: in float64 the two give
the same outputs and gradients to about 1e-15.

This is the only module that imports torch, and only when one of its functions is
called; without torch installed, they say how to install it.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import layers
from tinygrad_edu import nn as scalar_nn
from tinygrad_edu.engine import LEAKY_RELU_SLOPE

__all__ = ["from_torch", "to_torch"]

CONVERTED = (
    "Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, ReLU, Tanh, Sigmoid, Dropout, Embedding, "
    "RNN, LSTM, GRU and Sequentials of them"
)
"""The layers that have a twin on the other side."""

TORCH_HINT = (
    "tinygrad_edu.bridge needs PyTorch (the CPU build is enough): pip install torch==2.13.0"
)


def to_torch(model: layers.Module | scalar_nn.MLP) -> Any:
    """The equivalent ``torch.nn`` module, with the same weights (and dtype, float64 by
    default) and the same train/eval mode."""
    torch = _import_torch()
    if isinstance(model, scalar_nn.MLP):
        return _mlp_to_torch(torch, model)
    if not isinstance(model, layers.Module):
        raise TypeError(f"to_torch expects a tinygrad_edu Module, got {type(model).__name__}")
    module = _torch_twin(torch, model)
    parameters = model.parameters()
    if parameters:
        module = module.to(getattr(torch, parameters[0].dtype.name))
    state = {name: torch.from_numpy(array) for name, array in model.state_dict().items()}
    module.load_state_dict(state)
    return module.train(model.training)


def from_torch(module: Any) -> layers.Module:
    """Our twin of a ``torch.nn`` module (the layers of ``tinygrad_edu.layers``, and
    ``Sequential``s of them), with its weights copied, in its dtype (float32 or float64)."""
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch expects a torch.nn.Module, got {type(module).__name__}")
    ours = _our_twin(torch, module)
    state = {name: tensor.detach().cpu().numpy() for name, tensor in module.state_dict().items()}
    ours.load_state_dict(state)
    return ours.train(module.training)


# ---------------------------------------------------------------------- ours to torch


def _torch_twin(torch: Any, model: layers.Module) -> Any:
    """A torch module of the same kind and options (weights not yet copied)."""
    nn = torch.nn
    if isinstance(model, layers.Sequential):
        return nn.Sequential(*(_torch_twin(torch, child) for child in model))
    if isinstance(model, layers.Linear):
        return nn.Linear(model.in_features, model.out_features, bias=model.bias is not None)
    if isinstance(model, layers.Conv2d):
        return nn.Conv2d(
            model.in_channels,
            model.out_channels,
            model.kernel_size,
            stride=model.stride,
            padding=model.padding,
            bias=model.bias is not None,
        )
    if isinstance(model, layers.AvgPool2d):  # before MaxPool2d, its base class
        return nn.AvgPool2d(model.kernel_size, model.stride)
    if isinstance(model, layers.MaxPool2d):
        return nn.MaxPool2d(model.kernel_size, model.stride)
    if isinstance(model, layers.Flatten):
        return nn.Flatten(model.start_dim, model.end_dim)
    if isinstance(model, layers.Dropout):
        return nn.Dropout(model.p)
    if isinstance(model, layers.Embedding):
        return nn.Embedding(model.num_embeddings, model.embedding_dim)
    if isinstance(model, layers.RNN):
        return nn.RNN(
            model.input_size,
            model.hidden_size,
            num_layers=model.num_layers,
            nonlinearity=model.nonlinearity,
            bias=model.bias,
            batch_first=model.batch_first,
        )
    for ours, theirs in ((layers.LSTM, nn.LSTM), (layers.GRU, nn.GRU)):
        if isinstance(model, ours):
            return theirs(
                model.input_size,
                model.hidden_size,
                num_layers=model.num_layers,
                bias=model.bias,
                batch_first=model.batch_first,
            )
    activations = {layers.ReLU: nn.ReLU, layers.Tanh: nn.Tanh, layers.Sigmoid: nn.Sigmoid}
    if type(model) in activations:
        return activations[type(model)]()
    raise TypeError(
        f"to_torch has no torch twin for {type(model).__name__}: it converts {CONVERTED}. "
        "For a Module of your own, build the same model in torch and copy the weights with "
        "load_state_dict({name: torch.from_numpy(array) for name, array in "
        "model.state_dict().items()})"
    )


def _mlp_to_torch(torch: Any, model: scalar_nn.MLP) -> Any:
    """The scalar MLP as Linear layers (one weight row per neuron) and activations."""
    nn = torch.nn
    activations = {
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(LEAKY_RELU_SLOPE),
        # torch's Softplus returns x itself past x = 20 (off by at most 2e-9 there).
        "softplus": nn.Softplus,
    }
    modules = []
    for layer in model.layers:
        linear = nn.Linear(layer.nin, len(layer.neurons)).double()
        with torch.no_grad():
            for row, neuron in enumerate(layer.neurons):
                linear.weight[row] = torch.tensor(
                    [w.data for w in neuron.weights], dtype=torch.float64
                )
                linear.bias[row] = neuron.bias.data
        modules.append(linear)
        if layer.activation != "linear":
            modules.append(activations[layer.activation]())
    return nn.Sequential(*modules).double()


# ---------------------------------------------------------------------- torch to ours


def _our_twin(torch: Any, module: Any) -> layers.Module:
    nn = torch.nn
    kind = type(module).__name__
    if isinstance(module, nn.Sequential):
        names = [name for name, _ in module.named_children()]
        if names != [str(index) for index in range(len(names))]:
            raise ValueError(
                f"from_torch: a Sequential's layers must be named 0, 1, 2, ... (ours are), "
                f"got {names}"
            )
        return layers.Sequential(*(_our_twin(torch, child) for child in module))
    dtype = _dtype_of(module)
    if isinstance(module, nn.Linear):
        return layers.Linear(
            module.in_features, module.out_features, bias=module.bias is not None, dtype=dtype
        )
    if isinstance(module, nn.Conv2d):
        _require(module, dilation=(1, 1), groups=1, padding_mode="zeros")
        if isinstance(module.padding, str):
            raise ValueError(f"from_torch: Conv2d(padding={module.padding!r}) has no twin here")
        return layers.Conv2d(
            module.in_channels,
            module.out_channels,
            module.kernel_size,
            stride=module.stride,
            padding=module.padding,
            bias=module.bias is not None,
            dtype=dtype,
        )
    if isinstance(module, nn.MaxPool2d):
        _require(module, padding=0, dilation=1, ceil_mode=False, return_indices=False)
        return layers.MaxPool2d(module.kernel_size, module.stride)
    if isinstance(module, nn.AvgPool2d):
        _require(module, padding=0, ceil_mode=False, divisor_override=None)
        return layers.AvgPool2d(module.kernel_size, module.stride)
    if isinstance(module, nn.Flatten):
        return layers.Flatten(module.start_dim, module.end_dim)
    if isinstance(module, nn.Dropout):
        return layers.Dropout(module.p)
    if isinstance(module, nn.Embedding):
        _require(module, padding_idx=None, max_norm=None, scale_grad_by_freq=False, sparse=False)
        return layers.Embedding(module.num_embeddings, module.embedding_dim, dtype=dtype)
    if isinstance(module, (nn.RNN, nn.LSTM, nn.GRU)):
        _require(module, bidirectional=False, dropout=0.0, proj_size=0)
        options = {
            "num_layers": module.num_layers,
            "bias": module.bias,
            "batch_first": module.batch_first,
            "dtype": dtype,
        }
        if isinstance(module, nn.LSTM):
            return layers.LSTM(module.input_size, module.hidden_size, **options)
        if isinstance(module, nn.GRU):
            return layers.GRU(module.input_size, module.hidden_size, **options)
        return layers.RNN(
            module.input_size, module.hidden_size, nonlinearity=module.nonlinearity, **options
        )
    simple = {nn.ReLU: layers.ReLU, nn.Tanh: layers.Tanh, nn.Sigmoid: layers.Sigmoid}
    if type(module) in simple:
        return simple[type(module)]()
    raise TypeError(f"from_torch has no twin for torch.nn.{kind}: it converts {CONVERTED}")


def _require(module: Any, **expected: Any) -> None:
    """Refuse a torch option that our twin does not have, naming it."""
    for name, value in expected.items():
        actual = getattr(module, name, value)
        if actual != value and not (isinstance(actual, tuple) and set(actual) == {value}):
            raise ValueError(
                f"from_torch: {type(module).__name__}({name}={actual!r}) has no twin here "
                f"(only {name}={value!r})"
            )


def _dtype_of(module: Any) -> str:
    """float32 or float64: the dtype of the module's parameters."""
    dtypes = {str(parameter.dtype) for parameter in module.parameters()}
    if not dtypes:
        return "float64"
    if len(dtypes) > 1 or dtypes - {"torch.float32", "torch.float64"}:
        raise ValueError(f"from_torch: parameters must be float32 or float64, got {dtypes}")
    return dtypes.pop().removeprefix("torch.")


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(TORCH_HINT) from None
    return torch
