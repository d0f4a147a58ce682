"""Optimizers: rules that move each parameter against its gradient.

Each ``step()`` reads ``parameter.grad`` and changes ``parameter.data`` in place (no
graph is recorded); ``zero_grad()`` clears the grads before the next backward. The
update formulas follow PyTorch's ``torch.optim`` so results can be compared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from tinygrad_edu.checks import describe, real_number
from tinygrad_edu.engine import Value


class Optimizer:
    """Holds the parameters to update and clears their gradients."""

    def __init__(self, parameters: Iterable[Value], lr: float) -> None:
        name = type(self).__name__
        if hasattr(parameters, "parameters") or not isinstance(parameters, Iterable):
            hint = " (pass model.parameters())" if hasattr(parameters, "parameters") else ""
            raise TypeError(
                f"{name} expects parameters to be a list of Values, got {describe(parameters)}"
                + hint
            )
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError(f"{name} got no parameters to optimize")
        for index, parameter in enumerate(self.parameters):
            if not isinstance(parameter, Value):
                raise TypeError(f"parameter {index} is a {type(parameter).__name__}, not a Value")
        # A Value for lr would make every parameter's data a Value; True would be a step
        # of 1; inf or nan would wreck every parameter at the first step.
        self.lr = real_number("lr", lr, above=0.0)

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0."""
        for parameter in self.parameters:
            parameter.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current grad."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum:
    ``v = momentum * v + grad``, then ``w = w - lr * v``.

    With momentum 0 this is the tutorial's update ``w = w - lr * dL/dw``.
    """

    def __init__(self, parameters: Iterable[Value], lr: float = 0.1, momentum: float = 0.0) -> None:
        super().__init__(parameters, lr)
        self.momentum = _fraction("momentum", momentum)
        self.velocities = [0.0] * len(self.parameters)

    def step(self) -> None:
        for index, parameter in enumerate(self.parameters):
            velocity = self.momentum * self.velocities[index] + parameter.grad
            self.velocities[index] = velocity
            parameter.data -= self.lr * velocity


class RMSprop(Optimizer):
    """Divides each step by a running root-mean-square of recent gradients:
    ``s = alpha * s + (1 - alpha) * grad**2``, then ``w = w - lr * grad / (sqrt(s) + eps)``.
    """

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(parameters, lr)
        self.alpha = _fraction("alpha", alpha)
        self.eps = real_number("eps", eps, above=0.0)
        self.mean_squares = [0.0] * len(self.parameters)

    def step(self) -> None:
        for index, parameter in enumerate(self.parameters):
            grad = parameter.grad
            mean_square = self.alpha * self.mean_squares[index] + (1 - self.alpha) * grad * grad
            self.mean_squares[index] = mean_square
            parameter.data -= self.lr * grad / (math.sqrt(mean_square) + self.eps)


class Adam(Optimizer):
    """Momentum and RMSprop together, with bias correction for the zero start:
    ``m = b1 * m + (1 - b1) * grad``, ``v = b2 * v + (1 - b2) * grad**2``,
    ``w = w - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)`` at step t.
    """

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(parameters, lr)
        if isinstance(betas, str) or not isinstance(betas, Sequence) or len(betas) != 2:
            raise TypeError(f"betas must be a pair of numbers (b1, b2), got {describe(betas)}")
        self.betas = (_fraction("betas[0]", betas[0]), _fraction("betas[1]", betas[1]))
        self.eps = real_number("eps", eps, above=0.0)
        self.steps = 0
        self.means = [0.0] * len(self.parameters)
        self.mean_squares = [0.0] * len(self.parameters)

    def step(self) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        mean_correction = 1 - beta1**self.steps
        square_correction = 1 - beta2**self.steps
        for index, parameter in enumerate(self.parameters):
            grad = parameter.grad
            mean = beta1 * self.means[index] + (1 - beta1) * grad
            mean_square = beta2 * self.mean_squares[index] + (1 - beta2) * grad * grad
            self.means[index], self.mean_squares[index] = mean, mean_square
            step = (mean / mean_correction) / (
                math.sqrt(mean_square / square_correction) + self.eps
            )
            parameter.data -= self.lr * step


def _fraction(name: str, number: float) -> float:
    """A decay rate: a number in [0, 1)."""
    return real_number(name, number, at_least=0.0, below=1.0)
