"""Measure what forward and reverse mode cost as a function's inputs or outputs grow.

Run it from the repository root:

    python docs/modes_cost.py           # the sizes shown in docs/modes.md
    python docs/modes_cost.py --quick   # small sizes, to check that it runs

Two families of functions, each evaluated at seeded random points:

- many inputs, one output: f(x_1, ..., x_n) = sum_i tanh(x_i * x_(i+1)). Reverse mode
  gets all n partial derivatives from one backward pass; forward mode needs one jvp
  per input.
- one input, many outputs: g(t) = [tanh(k u) for k = 1..m], where u = h(t) is a chain
  of 50 steps that every output shares. Forward mode gets all m derivatives from one
  pass with a dual number; reverse mode needs one backward pass per output, and each
  goes back through the whole shared chain.

Times are CPU time, the best of three runs; they vary with the machine, the ratios less.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_edu import Dual, Value
from tinygrad_edu.forward import forward_gradient

FULL_SIZES = (1, 4, 16, 64, 256)
QUICK_SIZES = (1, 4, 16)


def ring_of_tanh(*x: Any) -> Any:
    """sum_i tanh(x_i * x_(i+1)), the last input wrapping round to the first."""
    total = (x[0] * x[-1]).tanh()
    for left, right in itertools.pairwise(x):
        total = total + (left * right).tanh()
    return total


SHARED_STEPS = 50


def fan_of_tanh(t: Any, outputs: int) -> list[Any]:
    """[tanh(k u) for k = 1..outputs], u = h(t) shared: one input, many outputs."""
    u = t
    for _ in range(SHARED_STEPS):
        u = (u * 0.9).tanh() + t
    return [(u * k).tanh() for k in range(1, outputs + 1)]


def reverse_gradient(point: Sequence[float]) -> list[float]:
    """All n partial derivatives of ring_of_tanh from one backward pass."""
    leaves = [Value(x) for x in point]
    ring_of_tanh(*leaves).backward()
    return [leaf.grad for leaf in leaves]


def reverse_derivatives(t: float, outputs: int) -> list[float]:
    """d out_k / dt for every output of fan_of_tanh: one backward pass per output."""
    leaf = Value(t)
    derivatives = []
    for output in fan_of_tanh(leaf, outputs):
        leaf.grad = 0.0
        output.backward()
        derivatives.append(leaf.grad)
    return derivatives


def forward_derivatives(t: float, outputs: int) -> list[float]:
    """d out_k / dt for every output of fan_of_tanh: one forward pass with t + 1e."""
    return [output.tangent for output in fan_of_tanh(Dual(t, 1.0), outputs)]


def best_time(run: Callable[..., object], *arguments: Any) -> float:
    """The shortest of three runs of ``run(*arguments)``, in milliseconds of CPU time."""
    times = []
    for _ in range(3):
        start = time.process_time()
        run(*arguments)
        times.append(time.process_time() - start)
    return 1000 * min(times)


def check_agreement(size: int, generator: random.Random) -> None:
    """Both modes must give the same derivatives before their times mean anything."""
    point = [generator.uniform(-1, 1) for _ in range(max(size, 2))]
    forward = forward_gradient(ring_of_tanh, point)
    reverse = reverse_gradient(point)
    fan_forward = forward_derivatives(point[0], size)
    fan_reverse = reverse_derivatives(point[0], size)
    for a, b in zip(forward + fan_forward, reverse + fan_reverse):
        if abs(a - b) > 1e-12 * max(1.0, abs(b)):
            raise AssertionError(f"forward {a!r} and reverse {b!r} disagree")


def table(sizes: Sequence[int], seed: int = 0) -> list[str]:
    """The measured table, one line per size."""
    generator = random.Random(seed)
    lines = [
        f"{'size':>5}  {'n inputs, 1 output':^25}  {'1 input, m outputs':^25}",
        f"{'':>5}  {'forward ms':>12}{'reverse ms':>13}  {'forward ms':>12}{'reverse ms':>13}",
    ]
    for size in sizes:
        check_agreement(size, generator)
        point = [generator.uniform(-1, 1) for _ in range(max(size, 2))]
        t = generator.uniform(-1, 1)
        times = [
            best_time(forward_gradient, ring_of_tanh, point),
            best_time(reverse_gradient, point),
            best_time(forward_derivatives, t, size),
            best_time(reverse_derivatives, t, size),
        ]
        lines.append(
            f"{size:>5}  {times[0]:>12.2f}{times[1]:>13.2f}  {times[2]:>12.2f}{times[3]:>13.2f}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table for the full sizes, or the quick ones with --quick."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to check it runs")
    args = parser.parse_args(argv)
    for line in table(QUICK_SIZES if args.quick else FULL_SIZES):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
