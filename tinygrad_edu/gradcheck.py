"""Gradient checking: compare backpropagation with central finite differences.

The derivative of f at x is about (f(x + eps) - f(x - eps)) / (2 eps), with an error
that shrinks like eps**2. If that number and the gradient from ``backward()`` agree
for every input, the op's local derivatives are almost certainly right.

The criterion is PyTorch's ``torch.autograd.gradcheck``:
|analytic - numeric| <= atol + rtol * |numeric|, with eps=1e-6, atol=1e-5, rtol=1e-3
by default (PyTorch runs it in float64, as every Value is).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tinygrad_edu.engine import Value, no_grad

Function = Callable[..., Value | float]
"""f takes one Value per input and returns a Value (or a plain number)."""


@dataclass(frozen=True)
class Mismatch:
    """One input whose analytic and numeric gradients disagree."""

    index: int
    label: str
    analytic: float
    numeric: float

    def __str__(self) -> str:
        name = f"input {self.index}" + (f" ({self.label!r})" if self.label else "")
        difference = abs(self.analytic - self.numeric)
        return (
            f"{name}: analytic {self.analytic!r} vs numeric {self.numeric!r} "
            f"(difference {difference:.3g})"
        )


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` when backpropagation disagrees with finite differences."""

    def __init__(self, mismatches: Sequence[Mismatch]) -> None:
        self.mismatches = tuple(mismatches)
        lines = "\n".join(f"  {mismatch}" for mismatch in self.mismatches)
        super().__init__(f"gradients disagree for {len(self.mismatches)} input(s):\n{lines}")


def numerical_grad(f: Function, inputs: Sequence[float | Value], eps: float = 1e-6) -> list[float]:
    """df/dx_i for each input by central differences: (f(x + eps e_i) - f(x - eps e_i)) / 2 eps."""
    _check_eps(eps)
    points = [_number_of(x) for x in inputs]
    gradient = []
    for index in range(len(points)):
        shifted = list(points)
        shifted[index] = points[index] + eps
        above = _evaluate(f, shifted)
        shifted[index] = points[index] - eps
        below = _evaluate(f, shifted)
        gradient.append((above - below) / (2 * eps))
    return gradient


def analytic_grad(f: Function, inputs: Sequence[float | Value]) -> list[float]:
    """df/dx_i for each input by backpropagation through fresh leaf Values."""
    leaves = [Value(_number_of(x), label=_label_of(x)) for x in inputs]
    output = _call(f, leaves)
    if isinstance(output, Value):
        output.backward()
    return [leaf.grad for leaf in leaves]


def gradcheck(
    f: Function,
    inputs: Sequence[float | Value],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """True if backprop's gradient of f at ``inputs`` matches central differences.

    Raises ``GradcheckError`` naming every input (by index, and label if its Value has
    one) where |analytic - numeric| > atol + rtol * |numeric|, or either is not finite.
    """
    numeric = numerical_grad(f, inputs, eps)
    analytic = analytic_grad(f, inputs)
    mismatches = [
        Mismatch(index, _label_of(inputs[index]), a, n)
        for index, (a, n) in enumerate(zip(analytic, numeric))
        if not _close(a, n, atol, rtol)
    ]
    if mismatches:
        raise GradcheckError(mismatches)
    return True


def _close(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    if not (math.isfinite(analytic) and math.isfinite(numeric)):
        return False
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _check_eps(eps: float) -> None:
    if not eps > 0.0:
        raise ValueError(f"eps must be a positive step, got {eps!r}")


def _number_of(x: float | Value) -> float:
    return x.data if isinstance(x, Value) else Value(x).data  # Value() rejects non-numbers


def _label_of(x: float | Value) -> str:
    return x.label if isinstance(x, Value) else ""


def _call(f: Function, arguments: list[Value]) -> Value | float:
    output = f(*arguments)
    if not isinstance(output, (Value, int, float)) or isinstance(output, bool):
        raise TypeError(f"f must return a Value or a number, got {type(output).__name__}")
    return output


@no_grad()
def _evaluate(f: Function, point: list[float]) -> float:
    return float(_call(f, [Value(x) for x in point]))
