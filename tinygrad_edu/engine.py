"""The autograd engine: a scalar ``Value`` that remembers how it was computed.

Read this file top to bottom as a short chapter on reverse-mode autodiff.

1. Every arithmetic operation on Values returns a new Value that records its
   ``inputs`` (the Values it was computed from, in order), the name of its ``op``,
   and its ``local_grads``: the partial derivatives d(out)/d(input), one per input,
   evaluated at the numbers of this forward pass.
2. ``backward()`` visits the recorded graph from the output back to the leaves and
   applies the chain rule, one line per edge:

       input.grad += local_grad * out.grad

That is all of backpropagation. The rest of this file is the list of operations:
each op's method computes its output and its docstring states the derivative, and
``LOCAL_GRAD_RULES`` holds every derivative as code. The same rules, run on Values
instead of floats, give ``gradient_graph``: gradients that record a graph of their own
and can be differentiated again. The four ops a network runs most (+, -, * and relu)
also write their derivatives inline, for speed; a test checks that every op's
recorded derivatives equal the table's.

Where PyTorch differs: it works on tensors, not scalars; its graph lives in
separate ``grad_fn`` objects rather than on the values; and it only keeps ``.grad``
on leaves unless asked. JAX records no graph on the values at all: it traces a
function and transforms it (``jax.grad``).
"""

from __future__ import annotations

import math
import numbers
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import ContextDecorator
from operator import attrgetter
from typing import Union

Operand = Union["Value", int, float]


# ---------------------------------------------------------------------- recording on or off


class _ThreadGradMode(threading.local):
    """Whether ops record the graph, one switch per thread (as PyTorch's grad mode):
    ``no_grad`` in one thread leaves the others recording. A new thread starts on."""

    def __init__(self) -> None:
        self._recording = True
        self.saved: list[bool] = []  # the switch as it was when each open block began

    @property
    def recording(self) -> bool:
        """This thread's switch."""
        return self._recording

    @recording.setter
    def recording(self, on: bool) -> None:
        global _threads_not_recording
        with _switch_lock:
            _threads_not_recording += int(self._recording) - int(on)
            self._recording = bool(on)


_grad_mode = _ThreadGradMode()
_switch_lock = threading.Lock()
# How many threads have their switch off. Reading a thread's own switch costs about
# 140 ns, a fifth of an op; while no thread is in no_grad (almost always) this one
# number says that every thread records (a training step 1.15x faster).
_threads_not_recording = 0


def is_grad_enabled() -> bool:
    """True if ops record the graph in this thread (PyTorch: ``torch.is_grad_enabled``)."""
    return _grad_mode.recording


def _describe(thing: object) -> str:
    """Name an object's type and show its value, shortened, for error messages."""
    return f"{type(thing).__name__} {_shown(thing)}"


def _shown(thing: object) -> str:
    """``repr(thing)``, cut to 40 characters, for error messages."""
    try:
        shown = repr(thing)
    except ValueError:  # an int of more digits than Python turns into text (4,300)
        return f"<a whole number of more than {sys.get_int_max_str_digits()} digits>"
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _is_real_number(thing: object) -> bool:
    if type(thing) is float or type(thing) is int:  # the common case, checked fast
        return True
    # bool is an int in Python, but True + True == 2 is never what a learner meant.
    return isinstance(thing, numbers.Real) and not isinstance(thing, bool)


# ---------------------------------------------------------------------- the Value


class Value:
    """A scalar that records the computation graph and can backpropagate through it.

    ``data`` is the number, ``grad`` the accumulated derivative of some output with
    respect to it (0.0 until ``backward`` runs), ``inputs`` the Values it was computed
    from, ``local_grads`` d(self)/d(input) for each of them, ``op`` the name of the
    operation that made it ('' for a leaf) and ``label`` an optional name for display.
    """

    # __slots__: no per-instance __dict__, so a node costs about a third of the memory.
    # Every op has one or two inputs, so a node keeps them, and their local derivatives,
    # in two slots each rather than in tuples: the inputs' slots made a training step
    # 1.2x faster, the derivatives' another 1.1x (one object fewer per node for Python
    # to allocate, free and scan) and a node 137 -> 118 bytes.
    __slots__ = (
        "data",
        "grad",
        "_first_input",
        "_second_input",
        "_first_local_grad",
        "_second_local_grad",
        "op",
        "label",
    )

    data: float
    grad: float
    _first_input: Value | None
    _second_input: Value | None
    _first_local_grad: float
    _second_local_grad: float
    op: str
    label: str

    def __init__(self, data: float, label: str = "") -> None:
        if not _is_real_number(data):
            raise TypeError(f"Value() expects a real number, got {_describe(data)}")
        if not isinstance(label, str):
            raise TypeError(f"Value() expects label to be a str, got {_describe(label)}")
        self.data = _to_float(data)
        self.grad = 0.0
        self._first_input = self._second_input = None
        self._first_local_grad = self._second_local_grad = 0.0
        self.op = ""
        self.label = label

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in order: () for a leaf."""
        first, second = self._first_input, self._second_input
        if first is None:
            return ()
        return (first,) if second is None else (first, second)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(input) for each of ``inputs``, at this forward pass's numbers."""
        if self._first_input is None:
            return ()
        if self._second_input is None:
            return (self._first_local_grad,)
        return (self._first_local_grad, self._second_local_grad)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # NOTE: no __float__, on purpose: math.sin(v) or float(v) would quietly leave the
    # graph and lose the gradient. Read the number as v.data; use v's own methods.

    # ------------------------------------------------------------------ arithmetic
    # Each op computes its output and its local derivatives. A plain number on either
    # side becomes a leaf Value (a constant), so every operand of every op is a node
    # and shows in the pictures.
    #
    # Speed: +, - and * (and relu, below) build their node in one call, with the
    # derivatives written inline rather than looked up in LOCAL_GRAD_RULES (a function
    # call and a tuple fewer per op: a training step 1.14x faster). The table says the
    # same (tests/test_engine.py checks every op against it).

    def __add__(self, other: Operand) -> Value:
        """a + b; d/da = 1, d/db = 1."""
        other_value = other if isinstance(other, Value) else _constant(other)
        if other_value is None:
            return NotImplemented
        return _node(self.data + other_value.data, "+", self, other_value, 1.0, 1.0)

    def __radd__(self, other: Operand) -> Value:
        """b + a for a plain number b (this is what lets ``sum(values)`` work)."""
        other_value = _constant(other)
        if other_value is None:
            return NotImplemented
        return other_value + self

    def __sub__(self, other: Operand) -> Value:
        """a - b; d/da = 1, d/db = -1."""
        other_value = other if isinstance(other, Value) else _constant(other)
        if other_value is None:
            return NotImplemented
        return _node(self.data - other_value.data, "-", self, other_value, 1.0, -1.0)

    def __rsub__(self, other: Operand) -> Value:
        """b - a for a plain number b."""
        other_value = _constant(other)
        if other_value is None:
            return NotImplemented
        return other_value - self

    def __mul__(self, other: Operand) -> Value:
        """a * b; d/da = b, d/db = a."""
        other_value = other if isinstance(other, Value) else _constant(other)
        if other_value is None:
            return NotImplemented
        data = self.data * other_value.data
        return _node(data, "*", self, other_value, other_value.data, self.data)

    def __rmul__(self, other: Operand) -> Value:
        """b * a for a plain number b."""
        other_value = _constant(other)
        if other_value is None:
            return NotImplemented
        return other_value * self

    def __truediv__(self, other: Operand) -> Value:
        """a / b; d/da = 1/b, d/db = -a/b**2 = -(a/b)/b. Raises ZeroDivisionError for b = 0."""
        other_value = other if isinstance(other, Value) else _constant(other)
        if other_value is None:
            return NotImplemented
        if other_value.data == 0.0:
            raise ZeroDivisionError(f"division by zero: {self.data!r} / 0.0")
        return _binary("/", self.data / other_value.data, self, other_value)

    def __rtruediv__(self, other: Operand) -> Value:
        """b / a for a plain number b."""
        other_value = _constant(other)
        if other_value is None:
            return NotImplemented
        return other_value / self

    def __neg__(self) -> Value:
        """-a; d/da = -1."""
        return _unary("neg", -self.data, self)

    def __pow__(self, exponent: Operand) -> Value:
        """a ** n; d/da = n * a**(n-1), d/dn = a**n * log(a).

        With a plain number n (a constant), a negative base needs a whole-number
        exponent. With a Value exponent the base must be positive, where log(a) exists.
        A NaN base or exponent gives NaN, as in PyTorch.
        """
        exponent_value = exponent if isinstance(exponent, Value) else _constant(exponent)
        if exponent_value is None:
            return NotImplemented
        if isinstance(exponent, Value) and self.data <= 0.0:
            raise ValueError(
                f"math domain error: a Value exponent needs a positive base, got {self.data!r}"
            )
        power = _checked_power(self.data, exponent_value.data)
        return _binary("**", power, self, exponent_value)

    def __rpow__(self, base: Operand) -> Value:
        """b ** a for a plain number b > 0."""
        base_value = _constant(base)
        if base_value is None:
            return NotImplemented
        return base_value**self

    # ------------------------------------------------------------------ functions
    # NaN goes through every function as it does in PyTorch: a comparison with NaN is
    # False, so each rule below is written to let NaN fall through to the result.

    def exp(self) -> Value:
        """e**a; d/da = e**a, the output itself. Overflows to inf past a = 709.78."""
        return _unary("exp", _exp(self.data), self)

    def log(self) -> Value:
        """Natural logarithm, for a > 0 only; d/da = 1/a."""
        if self.data <= 0.0:
            raise ValueError(f"math domain error: log is defined for a > 0, got {self.data!r}")
        return _unary("log", math.log(self.data), self)

    def tanh(self) -> Value:
        """tanh(a); d/da = 1 - tanh(a)**2."""
        return _unary("tanh", math.tanh(self.data), self)

    def sigmoid(self) -> Value:
        """sigmoid(a) = 1 / (1 + e**-a); d/da = sigmoid(a) * (1 - sigmoid(a)).

        Never overflows: sigmoid(-1000) is 0.0 and sigmoid(1000) is 1.0.
        """
        return _unary("sigmoid", _sigmoid(self.data), self)

    def relu(self) -> Value:
        """max(0, a); d/da = 1 for a > 0, else 0, a mask (see ``MASKED``).

        NOTE: relu has no derivative at 0; like PyTorch we use 0 there. relu(nan) is nan.
        """
        data = self.data
        if data <= 0.0:  # inline, as in +, - and *: relu is most networks' activation
            return _node(0.0, "relu", self, None, MASKED, 0.0)
        return _node(data, "relu", self, None, 1.0, 0.0)

    def leaky_relu(self) -> Value:
        """a for a > 0, else 0.01 * a; d/da = 1 for a > 0, else 0.01 (also at 0).

        The slope 0.01 is PyTorch's default (Keras uses 0.3).
        """
        data = self.data
        return _unary("leaky_relu", LEAKY_RELU_SLOPE * data if data <= 0.0 else data, self)

    def softplus(self) -> Value:
        """log(1 + e**a), a smooth relu; d/da = sigmoid(a).

        Computed as max(a, 0) + log(1 + e**-|a|), which never overflows.
        """
        data = self.data
        positive_part = 0.0 if data <= 0.0 else data
        return _unary("softplus", positive_part + math.log1p(math.exp(-abs(data))), self)

    def sqrt(self) -> Value:
        """Square root, for a >= 0; d/da = 1 / (2 sqrt(a)), which is inf at a = 0."""
        if self.data < 0.0:
            raise ValueError(f"math domain error: sqrt is defined for a >= 0, got {self.data!r}")
        return _unary("sqrt", math.sqrt(self.data), self)

    def clamp(self, low: float, high: float) -> Value:
        """a limited to [low, high]; d/da = 1 inside (bounds included, as in PyTorch),
        else 0, a mask (see ``MASKED``). clamp(nan) is nan."""
        low, high = _bound("low", low), _bound("high", high)
        if not low <= high:
            raise ValueError(f"clamp needs low <= high, got {low!r} > {high!r}")
        data = self.data
        return _unary("clamp", low if data < low else high if data > high else data, self)

    def __abs__(self) -> Value:
        """|a|; d/da = sign(a), and 0 at a = 0 as in PyTorch."""
        return _unary("abs", abs(self.data), self)

    # ------------------------------------------------------------------ comparisons
    # Comparisons look at data only and return plain bools (PyTorch returns tensors).
    # == is left as identity, so Values can be kept in sets and dicts.

    def __lt__(self, other: Operand) -> bool:
        other_value = other if isinstance(other, Value) else _constant(other)
        return NotImplemented if other_value is None else self.data < other_value.data

    def __le__(self, other: Operand) -> bool:
        other_value = other if isinstance(other, Value) else _constant(other)
        return NotImplemented if other_value is None else self.data <= other_value.data

    def __gt__(self, other: Operand) -> bool:
        other_value = other if isinstance(other, Value) else _constant(other)
        return NotImplemented if other_value is None else self.data > other_value.data

    def __ge__(self, other: Operand) -> bool:
        other_value = other if isinstance(other, Value) else _constant(other)
        return NotImplemented if other_value is None else self.data >= other_value.data

    # ------------------------------------------------------------------ backward

    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every Value this one depends on.

        Gradients accumulate as in PyTorch: a second call adds the same amounts again,
        and a Value reached along several paths gets the sum of them. Call
        ``zero_grad()`` (or ``Module.zero_grad()``) first to start from zero.
        """
        order = topological_order(self)
        # Compute this pass's gradients from zero, then add back what earlier passes
        # left, so that each node's grad grows by exactly d(self)/d(node) per call.
        earlier_grads = [node.grad for node in order] if any(map(_grad_of, order)) else None
        if earlier_grads is not None:
            for node in order:
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            first = node._first_input
            if first is None:
                continue  # a leaf
            # The chain rule for each input: input.grad += local_grad * node.grad.
            # Written out for the (at most) two inputs, reading the slots directly,
            # rather than as a loop over zip(node.inputs, node.local_grads), which made
            # backward 3x slower. A MASKED edge passes nothing.
            grad = node.grad
            local_grad = node._first_local_grad
            if local_grad is not MASKED:
                first.grad += local_grad * grad
            second = node._second_input
            if second is not None:
                local_grad = node._second_local_grad
                if local_grad is not MASKED:
                    second.grad += local_grad * grad
        if earlier_grads is not None:
            for node, earlier_grad in zip(order, earlier_grads):
                node.grad += earlier_grad

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this Value and on every Value it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


_grad_of = attrgetter("grad")


def gradient_graph(output: Value, inputs: Sequence[Value]) -> list[Value]:
    """d(output)/d(input) for each input, as Values that record their own graph, so
    that they can be differentiated again (second derivatives, Hessians).

    The same chain rule as ``backward``, but every local derivative comes from
    ``LOCAL_GRAD_RULES`` evaluated on Values, and every product and sum is an op.
    ``.grad`` is left alone. PyTorch: ``torch.autograd.grad(..., create_graph=True)``.
    """
    _check_value(output, "gradient_graph", "output")
    inputs = list(inputs)
    for index, input in enumerate(inputs):
        _check_value(input, "gradient_graph", f"inputs[{index}]")
    grads: dict[Value, Value] = {output: Value(1.0)}
    with enable_grad():
        for node in reversed(topological_order(output)):
            node_grad = grads.get(node)
            if node_grad is None or not node.inputs:
                continue
            local_grads = LOCAL_GRAD_RULES[node.op](*node.inputs, node)
            for input, local_grad in zip(node.inputs, local_grads):
                if local_grad is MASKED:
                    continue
                contribution = local_grad * node_grad
                grads[input] = grads[input] + contribution if input in grads else contribution
    return [grads[input] if input in grads else Value(0.0) for input in inputs]


def topological_order(root: Value) -> list[Value]:
    """Every Value that ``root`` depends on, each after all of its inputs, root last.

    Depth-first search with an explicit stack instead of recursion, so that a graph
    a million nodes deep does not hit Python's recursion limit.
    """
    _check_value(root, "topological_order", "root")
    order: list[Value] = []
    visited = {root}
    # The stack holds the path from the root down to the node being visited. A node
    # leaves it, into order, once both of its inputs are visited. Reading the input
    # slots directly, with no tuple or iterator per node, made the walk 1.7x faster
    # (a training step 1.18x). It allocates no object the garbage collector tracks, so
    # the collector does not run during it (no need to pause it, as the walk once did).
    stack = [root]
    while stack:
        node = stack[-1]
        first = node._first_input
        if first is not None and first not in visited:
            visited.add(first)
            stack.append(first)
            continue
        second = node._second_input
        if second is not None and second not in visited:
            visited.add(second)
            stack.append(second)
            continue
        order.append(stack.pop())
    return order


class _GradMode(ContextDecorator):
    """Switches this thread's graph recording to ``recording`` inside a ``with`` block
    (or a decorated function), and back to what it was afterwards."""

    recording: bool

    def __enter__(self) -> None:
        # The saved switch lives with the thread, not with this object: one decorated
        # function may run in several threads at once, or call itself.
        _grad_mode.saved.append(_grad_mode.recording)
        _grad_mode.recording = self.recording

    def __exit__(self, *exc_info: object) -> None:
        _grad_mode.recording = _grad_mode.saved.pop()


class no_grad(_GradMode):
    """Inside ``with no_grad():`` (or a function decorated ``@no_grad()``), ops record
    no graph: their results are leaves. Use it for evaluation and parameter updates.

    As in PyTorch, the switch is per thread: other threads go on recording.
    """

    recording = False


class enable_grad(_GradMode):
    """The opposite of ``no_grad``: ops inside record the graph, even within a
    ``no_grad`` block. Tools that need the graph (``grad``, ``jvp``) use it."""

    recording = True


# ---------------------------------------------------------------------- local derivatives

Scalar = Union[float, "Value"]
"""A float, or a Value when gradients of gradients are being built."""

Rule = Callable[..., tuple[Scalar, ...]]

LEAKY_RELU_SLOPE = 0.01


class _Mask(float):
    """The type of ``MASKED``: a float equal to 0.0, told apart by identity."""

    __slots__ = ()


MASKED: float = _Mask(0.0)
"""The local derivative of an edge that passes no gradient at all: 0, but never multiplied.

relu below 0, clamp outside its bounds and a**0 do not depend on their input there.
PyTorch computes their gradients with a mask (``where``), not a product, so they stay 0
even when the gradient arriving from above is inf or NaN, where 0 * inf would be NaN:
sqrt(relu(x)) at x = -1 has gradient 0, not NaN. The chain rule skips an edge whose
local derivative ``is MASKED``; anywhere else it is the number 0.0. Every other zero
derivative (a * b at b = 0, tanh far from 0) is a product, as in PyTorch: 0 * inf is NaN.
"""


def edge_contribution(local_grad: float, upstream: float) -> float:
    """What the chain rule sends down one edge: ``local_grad * upstream``, or 0.0 for
    a ``MASKED`` edge. (``backward`` writes this out inline, for speed.)"""
    return 0.0 if local_grad is MASKED else local_grad * upstream


def _power_rule(base: Scalar, exponent: Scalar, out: Scalar) -> tuple[Scalar, ...]:
    """d/da a**n = n * a**(n-1) and d/dn a**n = a**n * log(a).

    a**0 is the constant 1: no gradient reaches a (MASKED, as in PyTorch). Run on
    Values for second derivatives, the slope n * a**(n-1) stays a product where a > 0:
    it is 0 at n = 0, but its derivative with respect to n is not. log(a) exists for
    a > 0 only. A base a <= 0 only ever meets an exponent that was a plain number (a
    Value exponent needs a positive base), held in a constant leaf: nothing uses its
    gradient, and it gets none. A NaN base gives NaN for both.
    """
    n = _number(exponent)
    if n == 0.0 and not (isinstance(exponent, Value) and _number(base) > 0.0):
        base_slope: Scalar = MASKED
    elif _number(base) > 0.0:
        base_slope = exponent * _power(base, exponent - 1.0)  # exponent may be a Value
    elif _number(base) == 0.0 and n < 1.0:
        base_slope = math.inf  # e.g. a**0.5 is vertical at 0
    else:
        base_slope = n * _power(base, n - 1.0)
    exponent_slope = MASKED if _number(base) <= 0.0 else out * _log(base)
    return (base_slope, exponent_slope)


LOCAL_GRAD_RULES: dict[str, Rule] = {
    "+": lambda a, b, out: (1.0, 1.0),
    "-": lambda a, b, out: (1.0, -1.0),
    "*": lambda a, b, out: (b, a),
    "/": lambda a, b, out: (1.0 / b, -out / b),
    "**": _power_rule,
    "neg": lambda a, out: (-1.0,),
    "exp": lambda a, out: (out,),
    "log": lambda a, out: (1.0 / a,),
    "tanh": lambda a, out: (1.0 - out * out,),
    "sigmoid": lambda a, out: (out * (1.0 - out),),
    "relu": lambda a, out: (MASKED if a <= 0.0 else 1.0,),
    "leaky_relu": lambda a, out: (1.0 if a > 0.0 else LEAKY_RELU_SLOPE,),
    "softplus": lambda a, out: (_sigmoid_of(a),),
    "sqrt": lambda a, out: (math.inf if _number(out) == 0.0 else 0.5 / out,),
    "clamp": lambda a, out: (1.0 if _number(a) == _number(out) else MASKED,),
    "abs": lambda a, out: (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0,),
}
"""d(out)/d(input) of each op, as arithmetic on the op's inputs and its output.

Each rule is written once and runs on two kinds of number: on floats in the forward
pass, to fill ``local_grads``, and on Values in ``gradient_graph``, where the local
derivatives must themselves be differentiable. At NaN each gives what PyTorch's does:
NaN, except where the op masks (relu, clamp) or its slope is a constant (leaky_relu,
abs: 0, as ``sign(nan)`` is in PyTorch).
"""


def _unary(op: str, data: float, input: Value) -> Value:
    """The output node of a one-input op, with its local derivative from the table."""
    (local_grad,) = LOCAL_GRAD_RULES[op](input.data, data)
    return _node(data, op, input, None, local_grad, 0.0)  # type: ignore[arg-type]


def _binary(op: str, data: float, left: Value, right: Value) -> Value:
    """The output node of a two-input op, with its local derivatives from the table."""
    left_grad, right_grad = LOCAL_GRAD_RULES[op](left.data, right.data, data)
    return _node(data, op, left, right, left_grad, right_grad)  # type: ignore[arg-type]


_new_object = object.__new__


def _node(
    data: float,
    op: str = "",
    first_input: Value | None = None,
    second_input: Value | None = None,
    first_local_grad: float = 0.0,
    second_local_grad: float = 0.0,
) -> Value:
    """A new node, made without Value()'s checks (data is already a float). It keeps
    its inputs and their local derivatives only if this thread records the graph;
    otherwise it is a leaf."""
    out = _new_object(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _threads_not_recording and not _grad_mode.recording:
        first_input = second_input = None
        op = ""
    out._first_input = first_input
    out._second_input = second_input
    out._first_local_grad = first_local_grad
    out._second_local_grad = second_local_grad
    out.op = op
    return out


# ---------------------------------------------------------------------- helpers


def _check_value(thing: object, function: str, argument: str) -> None:
    """A TypeError naming the argument, if ``thing`` is not a Value."""
    if not isinstance(thing, Value):
        raise TypeError(f"{function}() expects {argument} to be a Value, got {_describe(thing)}")


def _constant(thing: object) -> Value | None:
    """A plain number as a leaf Value, or None if it is not a real number."""
    if type(thing) is float:  # the common case, made fast
        return _node(thing)
    return _node(_to_float(thing)) if _is_real_number(thing) else None  # type: ignore[arg-type]


def _to_float(number: float) -> float:
    """A real number as a float, or a clear error for an int too large for one."""
    try:
        return float(number)
    except OverflowError:
        raise OverflowError(
            f"Value() holds a float, and {_describe(number)} is too large for one"
        ) from None


def _bound(name: str, bound: float) -> float:
    """One of clamp's bounds as a float, or a clear error naming it."""
    if not _is_real_number(bound):
        raise TypeError(f"clamp() expects {name} to be a real number, got {_describe(bound)}")
    number = _to_float(bound)
    if math.isnan(number):
        raise ValueError(f"clamp() needs a number for {name}, got nan")
    return number


def _number(x: Scalar) -> float:
    return x.data if isinstance(x, Value) else x


def _log(x: Scalar) -> Scalar:
    return x.log() if isinstance(x, Value) else math.log(x)


def _sigmoid_of(x: Scalar) -> Scalar:
    return x.sigmoid() if isinstance(x, Value) else _sigmoid(x)


def _power(base: Scalar, exponent: Scalar) -> Scalar:
    if isinstance(base, Value) or isinstance(exponent, Value):
        return base**exponent
    return _checked_power(base, exponent)


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
    if base < 0.0 and not exponent.is_integer() and not math.isnan(exponent):
        raise ValueError(
            f"math domain error: a negative base ({base!r}) to a fractional power "
            f"({exponent!r}) is not a real number"
        )
    try:
        return math.pow(base, exponent)
    except OverflowError:  # past the largest float: inf, with the sign the power has
        odd = exponent.is_integer() and exponent % 2 == 1
        return -math.inf if base < 0.0 and odd else math.inf
