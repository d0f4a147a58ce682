"""Gradient checking: compare backpropagation with central finite differences.

The derivative of f at x is about (f(x + eps) - f(x - eps)) / (2 eps), with an error
that shrinks like eps**2. If that number and the gradient from ``backward()`` agree
for every input, the op's local derivatives are almost certainly right.

The criterion is PyTorch's ``torch.autograd.gradcheck``:
|analytic - numeric| <= atol + rtol * |numeric|, with eps=1e-6, atol=1e-5, rtol=1e-3
by default (PyTorch runs it in float64, as every Value is). ``gradgradcheck`` does the
same one order up, and ``forward_reverse_check`` compares the two modes of autodiff.

For a function of Tensors, ``gradcheck`` takes arrays as inputs and checks the
vector-Jacobian product that ``backward(gradient=u)`` computes, for a random upstream
gradient u (with all ones, a rule that mixed up two elements could still pass): element
by element against central differences of sum(u * f(x)).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_edu.checks import describe, function, real_number, whole_number
from tinygrad_edu.engine import Value, enable_grad, no_grad
from tinygrad_edu.forward import forward_gradient
from tinygrad_edu.functional import hessian, output_value
from tinygrad_edu.tensor import Tensor

Function = Callable[..., Value | float]
"""f takes one Value per input and returns a Value (or a plain number)."""


@dataclass(frozen=True)
class Mismatch:
    """One derivative whose two computations disagree."""

    name: str  # which derivative: "input 0 ('a')", or "d2f/dx0dx1" for a second one
    analytic: float
    numeric: float

    def __str__(self) -> str:
        difference = abs(self.analytic - self.numeric)
        return (
            f"{self.name}: analytic {self.analytic!r} vs numeric {self.numeric!r} "
            f"(difference {difference:.3g})"
        )


class GradcheckError(AssertionError):
    """Raised by the checks here when two ways of computing derivatives disagree."""

    def __init__(self, mismatches: Sequence[Mismatch], what: str = "gradients") -> None:
        self.mismatches = tuple(mismatches)
        lines = "\n".join(f"  {mismatch}" for mismatch in self.mismatches)
        super().__init__(f"{what} disagree in {len(self.mismatches)} place(s):\n{lines}")


def numerical_grad(f: Function, inputs: Sequence[float | Value], eps: float = 1e-6) -> list[float]:
    """df/dx_i for each input by central differences: (f(x + eps e_i) - f(x - eps e_i)) / 2 eps."""
    _check_eps(eps)
    point = _point(f, inputs)
    return [
        (_evaluate(f, _shifted(point, i, eps)) - _evaluate(f, _shifted(point, i, -eps))) / (2 * eps)
        for i in range(len(point))
    ]


def analytic_grad(f: Function, inputs: Sequence[float | Value]) -> list[float]:
    """df/dx_i for each input by backpropagation through fresh leaf Values."""
    leaves = [Value(x, label=_label_of(input)) for x, input in zip(_point(f, inputs), inputs)]
    with enable_grad():  # so that it works inside a no_grad block too
        output = output_value(f(*leaves))
    output.backward()
    return [leaf.grad for leaf in leaves]


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """True if backprop's gradient of f at ``inputs`` matches central differences.

    For Values (inputs are numbers or Values), raises ``GradcheckError`` naming every
    input (by index, and label if its Value has one) where
    |analytic - numeric| > atol + rtol * |numeric|, or either is not finite.

    For Tensors (inputs are ndarrays or Tensors; f takes Tensors and returns one),
    checks every element of each input's vector-Jacobian product, in float64, for a
    random upstream gradient drawn with ``seed``; the error names each input that
    disagrees, its worst element's index and both values.
    """
    _check_tolerances(atol, rtol)
    _check_call(f, inputs, "gradcheck")
    whole_number("seed", seed)  # checked on both paths, though only Tensors use it
    if any(isinstance(x, (np.ndarray, Tensor)) for x in inputs):
        return _tensor_gradcheck(f, inputs, eps, atol, rtol, seed)
    numeric = numerical_grad(f, inputs, eps)
    analytic = analytic_grad(f, inputs)
    names = [_input_name(index, x) for index, x in enumerate(inputs)]
    _compare(names, analytic, numeric, atol, rtol, "gradients")
    return True


def gradgradcheck(
    f: Function,
    inputs: Sequence[float | Value],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """True if the second derivatives of f (``hessian``, built by differentiating the
    gradient's graph) match central differences of the first derivatives (backprop).

    Raises ``GradcheckError`` naming each d2f/dx_i dx_j that disagrees.
    """
    _check_eps(eps)
    _check_tolerances(atol, rtol)
    _check_call(f, inputs, "gradgradcheck")
    point = _point(f, inputs)
    analytic = hessian(f)(*point)
    names, analytic_flat, numeric_flat = [], [], []
    for i in range(len(point)):
        above = analytic_grad(f, _shifted(point, i, eps))
        below = analytic_grad(f, _shifted(point, i, -eps))
        for j in range(len(point)):
            names.append(f"d2f/dx{i}dx{j}")
            analytic_flat.append(analytic[i][j])
            numeric_flat.append((above[j] - below[j]) / (2 * eps))
    _compare(names, analytic_flat, numeric_flat, atol, rtol, "second derivatives")
    return True


def forward_reverse_check(
    f: Function, inputs: Sequence[float | Value], atol: float = 1e-10, rtol: float = 1e-9
) -> bool:
    """True if forward mode (a ``jvp`` with tangent e_i, per input) and reverse mode
    (one ``backward``) give the same gradient; they are exact, so the tolerance is tight.

    Raises ``GradcheckError`` naming each input where they differ.
    """
    _check_tolerances(atol, rtol)
    _check_call(f, inputs, "forward_reverse_check")
    point = _point(f, inputs)
    forward = forward_gradient(f, point)
    reverse = analytic_grad(f, inputs)
    names = [_input_name(index, x) for index, x in enumerate(inputs)]
    _compare(names, reverse, forward, atol, rtol, "reverse and forward mode")
    return True


def _shifted(point: list[float], index: int, step: float) -> list[float]:
    """The point with its coordinate ``index`` moved by ``step``."""
    moved = list(point)
    moved[index] += step
    return moved


def _check_eps(eps: float) -> None:
    real_number("eps", eps, above=0.0)


def _check_tolerances(atol: float, rtol: float) -> None:
    real_number("atol", atol, at_least=0.0)
    real_number("rtol", rtol, at_least=0.0)


def _check_call(f: Callable[..., Any], inputs: Sequence[Any], check: str = "") -> None:
    """f is a function that takes one argument per input, and inputs is a sequence (not
    empty, for a ``check``): checked before f is called, so that a wrong count is not a
    bare TypeError from inside (f's signature says how many inputs it takes)."""
    function("f", f)
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        hint = " (put a single array in a list: [x])" if isinstance(inputs, np.ndarray) else ""
        raise TypeError(
            "inputs must be a sequence of numbers or Values, or of arrays or Tensors, got "
            f"{describe(inputs)}{hint}"
        )
    if check and len(inputs) == 0:
        raise ValueError(f"{check} needs at least one input to differentiate f by, got none")
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # some built-in callables have none: f's call will say
        return
    try:
        signature.bind(*inputs)
    except TypeError as error:
        count = f"{len(inputs)} input" + ("" if len(inputs) == 1 else "s")
        raise TypeError(
            f"f cannot be called with {count}, one per entry of inputs: {error}"
        ) from None


def _point(f: Function, inputs: Sequence[float | Value]) -> list[float]:
    """The numbers of ``inputs``, once f and inputs are checked."""
    _check_call(f, inputs)
    return [_number_of(x) for x in inputs]


def _compare(
    names: list[str],
    analytic: Sequence[float],
    numeric: Sequence[float],
    atol: float,
    rtol: float,
    what: str,
) -> None:
    mismatches = [
        Mismatch(name, a, n)
        for name, a, n in zip(names, analytic, numeric)
        if not _close(a, n, atol, rtol)
    ]
    if mismatches:
        raise GradcheckError(mismatches, what)


def _close(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    if not (math.isfinite(analytic) and math.isfinite(numeric)):
        return False
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _input_name(index: int, x: float | Value) -> str:
    label = _label_of(x)
    return f"input {index}" + (f" ({label!r})" if label else "")


def _number_of(x: float | Value) -> float:
    return x.data if isinstance(x, Value) else Value(x).data  # Value() rejects non-numbers


def _label_of(x: float | Value) -> str:
    return x.label if isinstance(x, Value) else ""


@no_grad()
def _evaluate(f: Function, point: list[float]) -> float:
    return output_value(f(*(Value(x) for x in point))).data


# ---------------------------------------------------------------------- Tensors


def _tensor_gradcheck(
    f: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float,
    atol: float,
    rtol: float,
    seed: int,
) -> bool:
    """``gradcheck`` for a function of Tensors: see its docstring."""
    _check_eps(eps)
    points = [_float64_array(x, index) for index, x in enumerate(inputs)]
    leaves = [
        Tensor(point, requires_grad=True, label=_label_of_tensor(x))
        for point, x in zip(points, inputs)
    ]
    with enable_grad():
        output = _tensor_output(f(*leaves))
    upstream = np.random.default_rng(seed).standard_normal(output.shape)
    if output.requires_grad:  # else no input reaches the output: every gradient is 0
        output.backward(gradient=upstream)
    mismatches = []
    for index, (leaf, point) in enumerate(zip(leaves, points)):
        analytic = np.zeros_like(point) if leaf.grad is None else np.asarray(leaf.grad)
        numeric = _numerical_vjp(f, points, index, upstream, eps)
        mismatch = _worst_element(_input_name_of_tensor(index, leaf), analytic, numeric, atol, rtol)
        if mismatch is not None:
            mismatches.append(mismatch)
    if mismatches:
        raise GradcheckError(mismatches, "vector-Jacobian products")
    return True


def _numerical_vjp(
    f: Callable[..., Tensor],
    points: list[np.ndarray[Any, Any]],
    index: int,
    upstream: np.ndarray[Any, Any],
    eps: float,
) -> np.ndarray[Any, Any]:
    """d/dx_j sum(upstream * f(...)) for each element j of input ``index``, by central
    differences: one pair of evaluations of f per element."""
    result = np.zeros_like(points[index])
    for element in np.ndindex(points[index].shape):
        sums = []
        for step in (eps, -eps):
            moved = [point.copy() for point in points]
            moved[index][element] += step
            with no_grad():
                output = _tensor_output(f(*(Tensor(point) for point in moved)))
            sums.append(float(np.sum(upstream * output.data)))
        result[element] = (sums[0] - sums[1]) / (2 * eps)
    return result


def _worst_element(
    name: str,
    analytic: np.ndarray[Any, Any],
    numeric: np.ndarray[Any, Any],
    atol: float,
    rtol: float,
) -> Mismatch | None:
    """The element of one input whose two derivatives disagree most, or None."""
    finite = np.isfinite(analytic) & np.isfinite(numeric)
    excess = np.where(finite, np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric)), np.inf)
    if not (excess > 0).any():
        return None
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
    at = tuple(int(i) for i in worst)
    how_many = int((excess > 0).sum())
    where = f"{name} at index {at} (the worst of {how_many} of {excess.size} elements)"
    return Mismatch(where, float(analytic[at]), float(numeric[at]))


def _tensor_output(output: Any) -> Tensor:
    if not isinstance(output, Tensor):
        raise TypeError(f"f must return a Tensor, got {type(output).__name__}")
    return output


def _float64_array(x: Any, index: int) -> np.ndarray[Any, Any]:
    """Input ``index`` as a float64 array (finite differences need the precision)."""
    data = x.data if isinstance(x, Tensor) else x
    try:
        return np.array(Tensor(data).data, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise type(error)(f"gradcheck: input {index}: {error}") from None


def _label_of_tensor(x: Any) -> str:
    return x.label if isinstance(x, Tensor) else ""


def _input_name_of_tensor(index: int, leaf: Tensor) -> str:
    return f"input {index}" + (f" ({leaf.label!r})" if leaf.label else "")
