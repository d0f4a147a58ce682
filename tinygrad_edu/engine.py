"""The autograd engine: a scalar ``Value`` that remembers how it was computed.

Read this file top to bottom as a short chapter on reverse-mode autodiff.

1. Every arithmetic operation on Values returns a new Value that records its
   ``inputs`` (the Values it was computed from, in order), the name of its ``op``,
   and its ``local_grads``: the partial derivatives d(out)/d(input), one per input,
   evaluated at the numbers of this forward pass.
2. ``backward()`` visits the recorded graph from the output back to the leaves and
   applies the chain rule, one line per edge::

       input.grad += local_grad * out.grad

That is all of backpropagation. The rest of this file is the list of operations,
each with its forward formula and its derivative side by side.

Where PyTorch differs: it works on tensors, not scalars; its graph lives in
separate ``grad_fn`` objects rather than on the values; and it only keeps ``.grad``
on leaves unless asked. JAX records no graph on the values at all: it traces a
function and transforms it (``jax.grad``).
"""

from __future__ import annotations

import math
import numbers
from contextlib import ContextDecorator
from typing import Union

Operand = Union["Value", int, float]

# Ops record the graph only while this is True; ``no_grad`` switches it off.
_recording = True


def _describe(thing: object) -> str:
    """Name an object's type and show its value, shortened, for error messages."""
    shown = repr(thing)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{type(thing).__name__} {shown}"


def _is_real_number(thing: object) -> bool:
    if type(thing) is float or type(thing) is int:  # the common case, checked fast
        return True
    # bool is an int in Python, but True + True == 2 is never what a learner meant.
    return isinstance(thing, numbers.Real) and not isinstance(thing, bool)


class Value:
    """A scalar that records the computation graph and can backpropagate through it.

    ``data`` is the number, ``grad`` the accumulated derivative of some output with
    respect to it (0.0 until ``backward`` runs), ``inputs`` the Values it was computed
    from, ``local_grads`` d(self)/d(input) for each of them, ``op`` the name of the
    operation that made it ('' for a leaf) and ``label`` an optional name for display.
    """

    # __slots__: no per-instance __dict__, so a node costs about a third of the memory.
    __slots__ = ("data", "grad", "inputs", "local_grads", "op", "label")

    data: float
    grad: float
    inputs: tuple[Value, ...]
    local_grads: tuple[float, ...]
    op: str
    label: str

    def __init__(self, data: float, label: str = "") -> None:
        if not _is_real_number(data):
            raise TypeError(f"Value() expects a real number, got {_describe(data)}")
        if not isinstance(label, str):
            raise TypeError(f"Value() expects label to be a str, got {_describe(label)}")
        self.data = float(data)
        self.grad = 0.0
        self.inputs = ()
        self.local_grads = ()
        self.op = ""
        self.label = label

    @classmethod
    def _from_op(
        cls, data: float, inputs: tuple[Value, ...], local_grads: tuple[float, ...], op: str
    ) -> Value:
        """Make the output of an op: a node remembering its inputs and local derivatives."""
        out = cls.__new__(cls)
        out.data = data
        out.grad = 0.0
        if _recording:
            out.inputs = inputs
            out.local_grads = local_grads
            out.op = op
        else:
            out.inputs = ()
            out.local_grads = ()
            out.op = ""
        out.label = ""
        return out

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    # ------------------------------------------------------------------ arithmetic
    # A plain number on either side becomes a leaf Value (a constant), so every
    # operand of every op is a node of the graph and shows up in its pictures.

    def __add__(self, other: Operand) -> Value:
        """a + b; d/da = 1, d/db = 1."""
        other_value = _as_operand(other)
        if other_value is None:
            return NotImplemented
        return Value._from_op(self.data + other_value.data, (self, other_value), (1.0, 1.0), "+")

    def __radd__(self, other: Operand) -> Value:
        """b + a for a plain number b (this is what lets ``sum(values)`` work)."""
        other_value = _as_operand(other)
        if other_value is None:
            return NotImplemented
        return other_value + self

    def __sub__(self, other: Operand) -> Value:
        """a - b; d/da = 1, d/db = -1."""
        other_value = _as_operand(other)
        if other_value is None:
            return NotImplemented
        return Value._from_op(self.data - other_value.data, (self, other_value), (1.0, -1.0), "-")

    def __rsub__(self, other: Operand) -> Value:
        """b - a for a plain number b."""
        other_value = _as_operand(other)
        if other_value is None:
            return NotImplemented
        return other_value - self

    def __mul__(self, other: Operand) -> Value:
        """a * b; d/da = b, d/db = a."""
        other_value = _as_operand(other)
        if other_value is None:
            return NotImplemented
        return Value._from_op(
            self.data * other_value.data, (self, other_value), (other_value.data, self.data), "*"
        )

    def __rmul__(self, other: Operand) -> Value:
        """b * a for a plain number b."""
        other_value = _as_operand(other)
        if other_value is None:
            return NotImplemented
        return other_value * self

    def __truediv__(self, other: Operand) -> Value:
        """a / b; d/da = 1/b, d/db = -a/b**2 = -(a/b)/b.

        Raises ZeroDivisionError when b is 0.
        """
        other_value = _as_operand(other)
        if other_value is None:
            return NotImplemented
        divisor = other_value.data
        if divisor == 0.0:
            raise ZeroDivisionError(f"division by zero: {self.data!r} / {divisor!r}")
        out = self.data / divisor
        return Value._from_op(out, (self, other_value), (1.0 / divisor, -out / divisor), "/")

    def __rtruediv__(self, other: Operand) -> Value:
        """b / a for a plain number b."""
        other_value = _as_operand(other)
        if other_value is None:
            return NotImplemented
        return other_value / self

    def __neg__(self) -> Value:
        """-a; d/da = -1."""
        return Value._from_op(-self.data, (self,), (-1.0,), "neg")

    def __pow__(self, exponent: Operand) -> Value:
        """a ** n.

        With a plain number n the exponent is part of the op (shown as ``**n``):
        d/da = n * a**(n-1). A negative base needs a whole-number exponent.

        With a Value exponent both are inputs and the base must be positive:
        d/da = n * a**(n-1), d/dn = a**n * log(a).
        """
        if isinstance(exponent, Value):
            return _power_of_values(self, exponent)
        if not _is_real_number(exponent):
            return NotImplemented
        n = float(exponent)
        out = _checked_power(self.data, n)
        return Value._from_op(out, (self,), (_power_slope(self.data, n),), f"**{n:g}")

    def __rpow__(self, base: Operand) -> Value:
        """b ** a for a plain number b > 0."""
        base_value = _as_operand(base)
        if base_value is None:
            return NotImplemented
        return _power_of_values(base_value, self)

    # ------------------------------------------------------------------ functions

    def exp(self) -> Value:
        """e**a; d/da = e**a, the output itself. Overflows to inf past a = 709.78."""
        out = _exp(self.data)
        return Value._from_op(out, (self,), (out,), "exp")

    def log(self) -> Value:
        """Natural logarithm, for a > 0 only; d/da = 1/a."""
        if self.data <= 0.0:
            raise ValueError(f"math domain error: log is defined for a > 0, got {self.data!r}")
        return Value._from_op(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def tanh(self) -> Value:
        """tanh(a); d/da = 1 - tanh(a)**2."""
        out = math.tanh(self.data)
        return Value._from_op(out, (self,), (1.0 - out * out,), "tanh")

    def sigmoid(self) -> Value:
        """sigmoid(a) = 1 / (1 + e**-a); d/da = sigmoid(a) * (1 - sigmoid(a)).

        Never overflows: sigmoid(-1000) is 0.0 and sigmoid(1000) is 1.0.
        """
        out = _sigmoid(self.data)
        return Value._from_op(out, (self,), (out * (1.0 - out),), "sigmoid")

    def relu(self) -> Value:
        """max(0, a); d/da = 1 for a > 0, else 0.

        NOTE: relu has no derivative at 0; like PyTorch we use 0 there.
        """
        positive = self.data > 0.0
        return Value._from_op(
            self.data if positive else 0.0, (self,), (1.0 if positive else 0.0,), "relu"
        )

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """a for a > 0, else slope * a; d/da = 1 for a > 0, else slope (also at 0)."""
        positive = self.data > 0.0
        return Value._from_op(
            self.data if positive else slope * self.data,
            (self,),
            (1.0 if positive else slope,),
            "leaky_relu",
        )

    def softplus(self) -> Value:
        """log(1 + e**a), a smooth relu; d/da = sigmoid(a).

        Computed as max(a, 0) + log(1 + e**-|a|), which never overflows.
        """
        out = max(self.data, 0.0) + math.log1p(math.exp(-abs(self.data)))
        return Value._from_op(out, (self,), (_sigmoid(self.data),), "softplus")

    def sqrt(self) -> Value:
        """Square root, for a >= 0; d/da = 1 / (2 sqrt(a)), which is inf at a = 0."""
        if self.data < 0.0:
            raise ValueError(f"math domain error: sqrt is defined for a >= 0, got {self.data!r}")
        out = math.sqrt(self.data)
        return Value._from_op(out, (self,), (0.5 / out if out > 0.0 else math.inf,), "sqrt")

    def clamp(self, low: float, high: float) -> Value:
        """a limited to [low, high]; d/da = 1 inside (bounds included, as in PyTorch), else 0."""
        if not low <= high:
            raise ValueError(f"clamp needs low <= high, got {low!r} > {high!r}")
        inside = low <= self.data <= high
        out = self.data if inside else (low if self.data < low else high)
        return Value._from_op(float(out), (self,), (1.0 if inside else 0.0,), "clamp")

    def __abs__(self) -> Value:
        """|a|; d/da = sign(a), and 0 at a = 0 as in PyTorch."""
        sign = (self.data > 0.0) - (self.data < 0.0)
        return Value._from_op(abs(self.data), (self,), (float(sign),), "abs")

    # ------------------------------------------------------------------ comparisons
    # Comparisons look at data only and return plain bools (PyTorch returns tensors).
    # == is left as identity, so Values can be kept in sets and dicts.

    def __lt__(self, other: Operand) -> bool:
        other_value = _as_operand(other)
        return NotImplemented if other_value is None else self.data < other_value.data

    def __le__(self, other: Operand) -> bool:
        other_value = _as_operand(other)
        return NotImplemented if other_value is None else self.data <= other_value.data

    def __gt__(self, other: Operand) -> bool:
        other_value = _as_operand(other)
        return NotImplemented if other_value is None else self.data > other_value.data

    def __ge__(self, other: Operand) -> bool:
        other_value = _as_operand(other)
        return NotImplemented if other_value is None else self.data >= other_value.data

    # ------------------------------------------------------------------ backward

    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every Value this one depends on.

        Gradients accumulate as in PyTorch: a second call adds the same amounts again,
        and a Value reached along several paths gets the sum of them. Call
        ``zero_grad()`` (or ``Module.zero_grad()``) first to start from zero.
        """
        order = topological_order(self)
        # Compute this pass's gradients from zero, then add the earlier ones back, so
        # that each node's grad grows by exactly d(self)/d(node) per call.
        earlier_grads = [node.grad for node in order]
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for input, local_grad in zip(node.inputs, node.local_grads):
                input.grad += local_grad * node.grad
        for node, earlier_grad in zip(order, earlier_grads):
            node.grad += earlier_grad

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this Value and on every Value it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


def topological_order(root: Value) -> list[Value]:
    """Every Value that ``root`` depends on, each after all of its inputs, root last.

    Depth-first search with an explicit stack instead of recursion, so that a graph
    a million nodes deep does not hit Python's recursion limit.
    """
    order: list[Value] = []
    visited = {root}
    # Each stack entry is a node and an iterator over the inputs still to visit.
    stack = [(root, iter(root.inputs))]
    while stack:
        node, inputs_left = stack[-1]
        for input in inputs_left:
            if input not in visited:
                visited.add(input)
                stack.append((input, iter(input.inputs)))
                break
        else:  # every input of node is already in order
            stack.pop()
            order.append(node)
    return order


class no_grad(ContextDecorator):
    """Inside ``with no_grad():`` (or a function decorated ``@no_grad()``), ops record
    no graph: their results are leaves. Use it for evaluation and parameter updates.

    Unlike PyTorch's, the switch is process-wide, not per thread.
    """

    def __init__(self) -> None:
        # A stack, because one decorator instance may be entered again by recursion.
        self._was_recording: list[bool] = []

    def __enter__(self) -> None:
        global _recording
        self._was_recording.append(_recording)
        _recording = False

    def __exit__(self, *exc_info: object) -> None:
        global _recording
        _recording = self._was_recording.pop()


# ---------------------------------------------------------------------- helpers


def _as_operand(thing: Operand) -> Value | None:
    """The Value for an op's operand: itself, a constant leaf, or None (not a number)."""
    if isinstance(thing, Value):
        return thing
    if _is_real_number(thing):
        return Value._from_op(float(thing), (), (), "")
    return None


def _exp(x: float) -> float:
    """e**x, or inf past the largest float (as IEEE arithmetic and numpy have it)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _sigmoid(x: float) -> float:
    """1 / (1 + e**-x), the tutorial's formula, bit for bit, wherever e**-x fits a float."""
    if x < -700.0:  # e**-x would overflow; 1 / (1 + e**-x) equals e**x to double precision
        return math.exp(x)
    return 1.0 / (1.0 + math.exp(-x))


def _checked_power(base: float, exponent: float) -> float:
    """base ** exponent as a real number, or a clear error where there is none."""
    if base == 0.0 and exponent < 0.0:
        raise ZeroDivisionError(f"division by zero: 0.0 ** {exponent!r}")
    if base < 0.0 and not exponent.is_integer():
        raise ValueError(
            f"math domain error: a negative base ({base!r}) to a fractional power "
            f"({exponent!r}) is not a real number"
        )
    try:
        return math.pow(base, exponent)
    except OverflowError:  # past the largest float: inf, with the sign the power has
        odd = exponent.is_integer() and exponent % 2 == 1
        return -math.inf if base < 0.0 and odd else math.inf


def _power_slope(base: float, n: float) -> float:
    """d/da a**n = n * a**(n-1), including its limits at a = 0."""
    if n == 0.0:
        return 0.0  # a**0 is the constant 1
    if base == 0.0 and n < 1.0:
        return math.inf  # e.g. sqrt(a) = a**0.5 is vertical at 0
    return n * _checked_power(base, n - 1.0)


def _power_of_values(base: Value, exponent: Value) -> Value:
    """base ** exponent with both Values; d/dbase = n * a**(n-1), d/dn = a**n * log(a)."""
    if base.data <= 0.0:
        raise ValueError(
            f"math domain error: a Value exponent needs a positive base, got {base.data!r}"
        )
    out = _checked_power(base.data, exponent.data)
    local_grads = (_power_slope(base.data, exponent.data), out * math.log(base.data))
    return Value._from_op(out, (base, exponent), local_grads, "**")
