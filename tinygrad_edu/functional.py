"""Gradients as functions, in the style of JAX: ``grad``, ``value_and_grad``, ``hessian``.

``grad(f)`` is a new function that returns df/dx where f returned f(x). Given plain
numbers it runs one ``backward()`` and returns floats. Given Values (as happens when
it is itself differentiated, ``grad(grad(f))``) it returns Values built by
``gradient_graph``, whose graphs reach back to those inputs, so that the outer
``grad`` can differentiate them again.

The same functions work for f of Tensors (arguments given as arrays or Tensors, f
returning a one-element Tensor): the gradients are then arrays, built by
``tensor.gradients``, with ``create_graph=True`` when nested.

Where the real systems differ: ``jax.grad`` traces f into a program and transforms
the program; PyTorch differentiates a recorded graph, as we do, and nests with
``torch.autograd.grad(..., create_graph=True)`` or ``torch.func.grad``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_edu.engine import Value, enable_grad, gradient_graph
from tinygrad_edu.tensor import Tensor, gradients

Scalar = float | Value
Function = Callable[..., Value | float]
ArgNums = int | Sequence[int]

# How many grad-made functions are evaluating f right now. Inside one, a gradient
# must stay a Value (with its graph), or the outer function could not differentiate it.
_depth = 0


def value_and_grad(f: Function, argnums: ArgNums = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(f(*args), gradient)``, where the gradient is df/d(args[i])
    for ``argnums=i``, or a tuple of them for a sequence of indices.

    At the outermost level the results are floats, from one ``backward()`` (which, as
    always, also adds to the ``.grad`` of any other Values f uses). Inside another
    grad-made function they are Values, so that one can differentiate them.
    """
    indices = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def value_and_gradient(*args: Any) -> tuple[Any, Any]:
        global _depth
        _check_argnums(indices, len(args))
        if any(isinstance(arg, (Tensor, np.ndarray)) for arg in args):
            return _tensor_value_and_grad(f, args, indices, isinstance(argnums, int))
        nested = _depth > 0 or any(isinstance(arg, Value) for arg in args)
        _depth += 1
        try:
            with enable_grad():
                # A Value argument gets a node of its own (+ 0.0), so that each
                # derivative is the partial one even when one Value is passed twice.
                leaves = [arg + 0.0 if isinstance(arg, Value) else Value(arg) for arg in args]
                output = output_value(f(*leaves))
        finally:
            _depth -= 1
        wrt = [leaves[index] for index in indices]
        gradients: list[Any]
        if nested:  # this gradient will be differentiated again: keep its graph
            value: Any = output
            gradients = gradient_graph(output, wrt)
        else:
            value = output.data
            output.backward()
            gradients = [leaf.grad for leaf in wrt]
        return value, gradients[0] if isinstance(argnums, int) else tuple(gradients)

    return value_and_gradient


def grad(f: Function, argnums: ArgNums = 0) -> Callable[..., Any]:
    """A function returning df/d(args[argnums]) at its arguments (a tuple of
    derivatives for a sequence of indices). Nests: ``grad(grad(f))`` is f''."""
    value_and_gradient = value_and_grad(f, argnums)

    def gradient(*args: Scalar) -> Any:
        return value_and_gradient(*args)[1]

    return gradient


def _tensor_value_and_grad(
    f: Callable[..., Any], args: tuple[Any, ...], indices: tuple[int, ...], single: bool
) -> tuple[Any, Any]:
    """``value_and_grad`` for f of Tensors: the same rules, with ``tensor.gradients``."""
    global _depth
    nested = _depth > 0 or any(isinstance(arg, Tensor) and arg.requires_grad for arg in args)
    _depth += 1
    try:
        with enable_grad():
            # An argument with a graph gets a node of its own (* 1.0), as Values do above.
            leaves = [_tensor_leaf(arg) for arg in args]
            output = f(*leaves)
    finally:
        _depth -= 1
    if not isinstance(output, Tensor) or output.size != 1:
        shape = output.shape if isinstance(output, Tensor) else type(output).__name__
        raise TypeError(f"f must return a one-element Tensor to be differentiated, got {shape}")
    found = gradients(output, [leaves[index] for index in indices], create_graph=nested)
    value: Any = output if nested else output.item()
    return value, found[0] if single else tuple(found)


def _tensor_leaf(arg: Any) -> Tensor:
    if isinstance(arg, Tensor) and arg.requires_grad:
        return arg * 1.0
    return Tensor(arg.data if isinstance(arg, Tensor) else arg, requires_grad=True)


def hessian(f: Function) -> Callable[..., list[list[float]]]:
    """A function returning the matrix of second derivatives d2f/dx_i dx_j at its
    (plain-number) arguments: the gradient's graph, then the gradient of each of its
    entries. No ``.grad`` is touched, not even of Values that f uses from outside."""

    def second_derivatives(*args: float) -> list[list[float]]:
        leaves = [Value(arg) for arg in args]
        with enable_grad():
            first_derivatives = gradient_graph(output_value(f(*leaves)), leaves)
        return [
            [second.data for second in gradient_graph(derivative, leaves)]
            for derivative in first_derivatives
        ]

    return second_derivatives


def output_value(output: Value | float) -> Value:
    """A function's output as a Value (a constant if it returned a plain number), or a
    TypeError if it returned something else."""
    if isinstance(output, Value):
        return output
    if isinstance(output, bool) or not isinstance(output, (int, float)):
        raise TypeError(f"f must return a Value or a number, got {type(output).__name__}")
    return Value(output)


def _check_argnums(indices: tuple[int, ...], count: int) -> None:
    if not indices:
        raise ValueError("argnums names no argument to differentiate")
    for index in indices:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise ValueError(f"argnums {index!r} is not an argument index (f got {count})")
