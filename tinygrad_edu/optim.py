"""Optimizers: rules that move each parameter against its gradient.

Each ``step()`` reads ``parameter.grad`` and changes ``parameter.data`` in place (no
graph is recorded); ``zero_grad()`` clears the grads before the next backward. The
parameters are Values (``data`` a float) or Tensors (``data`` an array): the formulas
are the same arithmetic on either, and follow PyTorch's ``torch.optim``, including its
``weight_decay`` (an L2 penalty: ``grad + weight_decay * w`` is used as the gradient),
so that results can be compared number for number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tinygrad_edu.checks import describe, real_number
from tinygrad_edu.engine import Value
from tinygrad_edu.tensor import Tensor

Parameter = Value | Tensor


class Optimizer:
    """Holds the parameters to update, its learning rate, and clears their gradients."""

    def __init__(
        self, parameters: Iterable[Parameter], lr: float, weight_decay: float = 0.0
    ) -> None:
        name = type(self).__name__
        if (
            hasattr(parameters, "parameters")
            or isinstance(parameters, (Value, Tensor))
            or not isinstance(parameters, Iterable)
        ):
            hint = " (pass model.parameters())" if hasattr(parameters, "parameters") else ""
            raise TypeError(
                f"{name} expects parameters to be a list of Values or Tensors, got "
                f"{describe(parameters)}{hint}"
            )
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError(f"{name} got no parameters to optimize")
        for index, parameter in enumerate(self.parameters):
            _check_parameter(index, parameter)
        # A Value for lr would make every parameter's data a Value; True would be a step
        # of 1; inf or nan would wreck every parameter at the first step.
        self.lr = real_number("lr", lr, above=0.0)
        self.weight_decay = real_number("weight_decay", weight_decay, at_least=0.0)

    def zero_grad(self) -> None:
        """Clear every parameter's grad: 0.0 for a Value, None for a Tensor (as PyTorch)."""
        for parameter in self.parameters:
            if isinstance(parameter, Tensor):
                parameter.grad = None
            else:
                parameter.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current grad."""
        raise NotImplementedError

    def _gradient(self, parameter: Parameter) -> Any:
        """The gradient a step uses: grad + weight_decay * w; None for a Tensor that no
        backward reached (PyTorch skips such parameters too)."""
        grad = parameter.grad
        if grad is None:
            return None
        if isinstance(grad, Tensor):  # left by backward(create_graph=True)
            grad = grad.data
        if self.weight_decay:
            grad = grad + self.weight_decay * parameter.data
        return grad


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum:
    ``v = momentum * v + grad``, then ``w = w - lr * v``.

    With momentum 0 this is the tutorial's update ``w = w - lr * dL/dw``.
    """

    def __init__(
        self,
        parameters: Iterable[Parameter],
        lr: float = 0.1,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(parameters, lr, weight_decay)
        self.momentum = _fraction("momentum", momentum)
        self.velocities: list[Any] = [0.0] * len(self.parameters)

    def step(self) -> None:
        for index, parameter in enumerate(self.parameters):
            grad = self._gradient(parameter)
            if grad is None:
                continue
            velocity = self.momentum * self.velocities[index] + grad if self.momentum else grad
            self.velocities[index] = velocity
            parameter.data -= self.lr * velocity


class RMSprop(Optimizer):
    """Divides each step by a running root-mean-square of recent gradients:
    ``s = alpha * s + (1 - alpha) * grad**2``, then ``w = w - lr * grad / (sqrt(s) + eps)``.
    """

    def __init__(
        self,
        parameters: Iterable[Parameter],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(parameters, lr, weight_decay)
        self.alpha = _fraction("alpha", alpha)
        self.eps = real_number("eps", eps, above=0.0)
        self.mean_squares: list[Any] = [0.0] * len(self.parameters)

    def step(self) -> None:
        for index, parameter in enumerate(self.parameters):
            grad = self._gradient(parameter)
            if grad is None:
                continue
            mean_square = self.alpha * self.mean_squares[index] + (1 - self.alpha) * grad * grad
            self.mean_squares[index] = mean_square
            parameter.data -= self.lr * grad / (mean_square**0.5 + self.eps)


class Adam(Optimizer):
    """Momentum and RMSprop together, with bias correction for the zero start:
    ``m = b1 * m + (1 - b1) * grad``, ``v = b2 * v + (1 - b2) * grad**2``,
    ``w = w - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)`` at step t.

    ``weight_decay`` adds an L2 penalty to the gradient, as ``torch.optim.Adam`` does
    (``torch.optim.AdamW`` instead shrinks the weights directly).
    """

    def __init__(
        self,
        parameters: Iterable[Parameter],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(parameters, lr, weight_decay)
        if isinstance(betas, str) or not isinstance(betas, Sequence) or len(betas) != 2:
            raise TypeError(f"betas must be a pair of numbers (b1, b2), got {describe(betas)}")
        self.betas = (_fraction("betas[0]", betas[0]), _fraction("betas[1]", betas[1]))
        self.eps = real_number("eps", eps, above=0.0)
        self.steps = 0
        self.means: list[Any] = [0.0] * len(self.parameters)
        self.mean_squares: list[Any] = [0.0] * len(self.parameters)

    def step(self) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        mean_correction = 1 - beta1**self.steps
        square_correction = 1 - beta2**self.steps
        for index, parameter in enumerate(self.parameters):
            grad = self._gradient(parameter)
            if grad is None:
                continue
            mean = beta1 * self.means[index] + (1 - beta1) * grad
            mean_square = beta2 * self.mean_squares[index] + (1 - beta2) * grad * grad
            self.means[index], self.mean_squares[index] = mean, mean_square
            step = (mean / mean_correction) / ((mean_square / square_correction) ** 0.5 + self.eps)
            parameter.data -= self.lr * step


def _check_parameter(index: int, parameter: object) -> None:
    if isinstance(parameter, Value):
        return
    if not isinstance(parameter, Tensor):
        raise TypeError(f"parameter {index} is a {type(parameter).__name__}, not a Value or Tensor")
    if not parameter.is_leaf or not parameter.requires_grad:
        raise ValueError(
            f"parameter {index} must be a leaf Tensor with requires_grad=True (one you "
            "made, not the result of an op): no backward would give it a gradient"
        )


def _fraction(name: str, number: float) -> float:
    """A decay rate: a number in [0, 1)."""
    return real_number(name, number, at_least=0.0, below=1.0)
