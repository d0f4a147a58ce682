"""Optimizers: rules that move each parameter against its gradient.

Each ``step()`` reads ``parameter.grad`` and changes ``parameter.data`` in place (no
graph is recorded); ``zero_grad()`` clears the grads before the next backward. The
update formulas follow PyTorch's ``torch.optim`` so results can be compared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from tinygrad_edu.engine import Value


class Optimizer:
    """Holds the parameters to update and clears their gradients."""

    def __init__(self, parameters: Iterable[Value], lr: float) -> None:
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError(f"{type(self).__name__} got no parameters to optimize")
        for index, parameter in enumerate(self.parameters):
            if not isinstance(parameter, Value):
                raise TypeError(f"parameter {index} is a {type(parameter).__name__}, not a Value")
        _check_positive("lr", lr)
        self.lr = lr

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
        _check_fraction("momentum", momentum)
        self.momentum = momentum
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
        _check_fraction("alpha", alpha)
        _check_positive("eps", eps)
        self.alpha, self.eps = alpha, eps
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
        _check_fraction("betas[0]", betas[0])
        _check_fraction("betas[1]", betas[1])
        _check_positive("eps", eps)
        self.betas, self.eps = betas, eps
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


def _check_positive(name: str, number: float) -> None:
    if not number > 0:
        raise ValueError(f"{name} must be positive, got {number!r}")


def _check_fraction(name: str, number: float) -> None:
    if not 0 <= number < 1:
        raise ValueError(f"{name} must be in [0, 1), got {number!r}")
