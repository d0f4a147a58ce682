"""Forward-mode autodiff with dual numbers.

A dual number ``primal + tangent * e`` with ``e * e = 0`` carries a value and its
derivative along one direction at the same time: (a + a'e)(b + b'e) = ab + (a'b + ab')e,
which is the product rule. Running a function on dual numbers therefore computes its
value and its directional derivative (a Jacobian-vector product, ``jvp``) in one
forward pass, with no graph to store.

Each op here is the engine's own op: it is applied to Values holding the primals,
and the tangent is pushed through the op's ``local_grads`` (from the engine's
LOCAL_GRAD_RULES). Reverse mode multiplies the same local derivatives, from the
output backwards; forward mode multiplies them from the inputs forwards.

Where JAX differs: ``jax.jvp`` traces the function once and pushes tangents through
its primitives' JVP rules; PyTorch has ``torch.func.jvp`` and dual tensors in
``torch.autograd.forward_ad``.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Sequence
from typing import Union

from tinygrad_edu.checks import describe, function
from tinygrad_edu.engine import Value, edge_contribution, enable_grad

DualOperand = Union["Dual", int, float]


class _Running(threading.local):
    """How many jvp calls this thread is running f in (nesting them is not supported).
    Per thread, so that jvp in one thread does not look nested to another."""

    depth = 0


_running = _Running()


class Dual:
    """A number with a tangent: ``primal + tangent * e``, where ``e * e = 0``."""

    __slots__ = ("primal", "tangent")

    def __init__(self, primal: float, tangent: float = 0.0) -> None:
        self.primal = Value(primal).data  # Value() checks that it is a real number
        self.tangent = Value(tangent).data

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

    def __add__(self, other: DualOperand) -> Dual:
        return _apply(operator.add, self, other)

    def __radd__(self, other: DualOperand) -> Dual:
        return _apply(operator.add, other, self)

    def __sub__(self, other: DualOperand) -> Dual:
        return _apply(operator.sub, self, other)

    def __rsub__(self, other: DualOperand) -> Dual:
        return _apply(operator.sub, other, self)

    def __mul__(self, other: DualOperand) -> Dual:
        return _apply(operator.mul, self, other)

    def __rmul__(self, other: DualOperand) -> Dual:
        return _apply(operator.mul, other, self)

    def __truediv__(self, other: DualOperand) -> Dual:
        return _apply(operator.truediv, self, other)

    def __rtruediv__(self, other: DualOperand) -> Dual:
        return _apply(operator.truediv, other, self)

    def __pow__(self, exponent: DualOperand) -> Dual:
        return _apply(operator.pow, self, exponent)

    def __rpow__(self, base: DualOperand) -> Dual:
        return _apply(operator.pow, base, self)

    def __neg__(self) -> Dual:
        return _apply(operator.neg, self)

    def __abs__(self) -> Dual:
        return _apply(abs, self)

    def exp(self) -> Dual:
        """e**a, with tangent e**a * a'."""
        return _apply(Value.exp, self)

    def log(self) -> Dual:
        """log(a), with tangent a' / a."""
        return _apply(Value.log, self)

    def tanh(self) -> Dual:
        """tanh(a), with tangent (1 - tanh(a)**2) * a'."""
        return _apply(Value.tanh, self)

    def sigmoid(self) -> Dual:
        """sigmoid(a), with tangent sigmoid(a) * (1 - sigmoid(a)) * a'."""
        return _apply(Value.sigmoid, self)

    def relu(self) -> Dual:
        """max(0, a), with tangent a' for a > 0, else 0."""
        return _apply(Value.relu, self)

    def leaky_relu(self) -> Dual:
        """a for a > 0, else 0.01 a; tangent a' or 0.01 a'."""
        return _apply(Value.leaky_relu, self)

    def softplus(self) -> Dual:
        """log(1 + e**a), with tangent sigmoid(a) * a'."""
        return _apply(Value.softplus, self)

    def sqrt(self) -> Dual:
        """sqrt(a), with tangent a' / (2 sqrt(a))."""
        return _apply(Value.sqrt, self)

    def clamp(self, low: float, high: float) -> Dual:
        """a limited to [low, high], with tangent a' inside and 0 outside."""
        return _apply(lambda value: value.clamp(low, high), self)

    def __lt__(self, other: DualOperand) -> bool:
        return self.primal < _primal(other)

    def __le__(self, other: DualOperand) -> bool:
        return self.primal <= _primal(other)

    def __gt__(self, other: DualOperand) -> bool:
        return self.primal > _primal(other)

    def __ge__(self, other: DualOperand) -> bool:
        return self.primal >= _primal(other)


def jvp(
    f: Callable[..., Dual | Value | float],
    primals: Sequence[float],
    tangents: Sequence[float],
) -> tuple[float, float]:
    """(f(primals), the derivative of f at ``primals`` along ``tangents``), in one
    forward pass: sum_i df/dx_i * tangents[i].

    ``f`` takes one argument per primal and uses only the Value API (operators and
    methods such as ``.tanh()``), so the same f serves ``grad`` and ``jvp``.
    """
    function("f", f)
    for name, numbers in (("primals", primals), ("tangents", tangents)):
        if isinstance(numbers, (str, bytes)) or not isinstance(numbers, Sequence):
            raise TypeError(f"jvp: {name} must be a sequence of numbers, got {describe(numbers)}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    if _running.depth > 0:
        # A Dual carries one tangent: an inner jvp's tangents would mix with the outer's.
        raise NotImplementedError("jvp inside jvp (nested forward mode) is not supported")
    _running.depth += 1
    try:
        output = f(*(Dual(primal, tangent) for primal, tangent in zip(primals, tangents)))
    finally:
        _running.depth -= 1
    if isinstance(output, Dual):
        return output.primal, output.tangent
    # f did not depend on its inputs: a constant (Value() checks it is a number)
    return (output.data if isinstance(output, Value) else Value(output).data), 0.0


def forward_gradient(
    f: Callable[..., Dual | Value | float], primals: Sequence[float]
) -> list[float]:
    """df/dx_i for every input by forward mode: one jvp per input, with tangent e_i.

    Reverse mode gets all of them from one backward pass; forward mode needs as many
    passes as there are inputs (but one pass serves all outputs of f).
    """
    gradient = []
    for index in range(len(primals)):
        unit = [1.0 if i == index else 0.0 for i in range(len(primals))]
        gradient.append(jvp(f, primals, unit)[1])
    return gradient


def _apply(operation: Callable[..., Value], *operands: DualOperand) -> Dual:
    """Run the engine's op on the primals, then push the tangents through its local
    derivatives: tangent(out) = sum over inputs of local_grad * tangent(input)."""
    if any(isinstance(x, Value) for x in operands):
        raise TypeError(
            "a Dual met a Value: forward mode inside reverse mode (e.g. grad of jvp) "
            "is not supported; give jvp a function of its own arguments only"
        )
    arguments = [Value(x.primal) if isinstance(x, Dual) else x for x in operands]
    with enable_grad():  # the local derivatives are only recorded with the graph on
        out = operation(*arguments)
    tangent = 0.0
    for input, local_grad in zip(out.inputs, out.local_grads):
        for argument, operand in zip(arguments, operands):
            # A zero tangent adds nothing, even where the local derivative is inf; a
            # MASKED local derivative passes nothing, as in backward.
            if input is argument and isinstance(operand, Dual) and operand.tangent != 0.0:
                tangent += edge_contribution(local_grad, operand.tangent)
    return Dual(out.data, tangent)


def _primal(x: DualOperand) -> float:
    return x.primal if isinstance(x, Dual) else Value(x).data
