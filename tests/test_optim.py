"""Optimizers: each step follows its documented formula (and PyTorch's)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value
from tinygrad_edu.optim import SGD, Adam, RMSprop


def _parameter(data: float, grad: float) -> Value:
    parameter = Value(data)
    parameter.grad = grad
    return parameter


def test_sgd_is_the_tutorials_update() -> None:
    w = _parameter(1.0, 0.5)
    SGD([w], lr=0.1).step()
    assert w.data == 1.0 - 0.1 * 0.5


def test_sgd_momentum_accumulates_velocity() -> None:
    w = _parameter(1.0, 1.0)
    optimizer = SGD([w], lr=0.1, momentum=0.9)
    optimizer.step()  # v = 1
    optimizer.step()  # v = 0.9 * 1 + 1 = 1.9
    assert w.data == pytest.approx(1.0 - 0.1 * 1.0 - 0.1 * 1.9)


def test_rmsprop_first_step() -> None:
    w = _parameter(1.0, 2.0)
    RMSprop([w], lr=0.01, alpha=0.99, eps=1e-8).step()
    mean_square = 0.01 * 4.0
    assert w.data == pytest.approx(1.0 - 0.01 * 2.0 / (math.sqrt(mean_square) + 1e-8))


def test_adam_first_step_moves_by_lr_times_the_sign() -> None:
    # After bias correction, m/sqrt(v) = g/|g| on the first step.
    w, u = _parameter(1.0, 3.0), _parameter(1.0, -0.2)
    Adam([w, u], lr=0.01).step()
    assert w.data == pytest.approx(0.99, abs=1e-8)
    assert u.data == pytest.approx(1.01, abs=1e-8)


@pytest.mark.parametrize(
    "make",
    [lambda p: SGD(p, lr=0.1, momentum=0.5), lambda p: RMSprop(p), lambda p: Adam(p, lr=0.05)],
)
def test_every_optimizer_minimises_a_bowl(make: object) -> None:
    x, y = Value(3.0), Value(-2.0)
    optimizer = make([x, y])  # type: ignore[operator]
    for _ in range(500):
        optimizer.zero_grad()
        loss = (x - 1) ** 2 + (y + 0.5) ** 2
        loss.backward()
        optimizer.step()
    assert (x.data, y.data) == (pytest.approx(1.0, abs=1e-2), pytest.approx(-0.5, abs=1e-2))


def test_zero_grad_and_bad_arguments() -> None:
    w = _parameter(1.0, 5.0)
    SGD([w]).zero_grad()
    assert w.grad == 0.0
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0\.0, got 0\.0"):
        SGD([w], lr=0.0)
    with pytest.raises(ValueError, match=r"momentum must be a finite number >= 0\.0 and < 1\.0"):
        SGD([w], momentum=1.5)
    with pytest.raises(ValueError, match="no parameters"):
        Adam([])
    with pytest.raises(TypeError, match="parameter 0 is a float"):
        SGD([1.0])  # type: ignore[list-item]


# ---------------------------------------------------------------------- Tensor parameters


OPTIMIZER_CASES = {
    "SGD": (SGD, {"lr": 0.1}),
    "SGD momentum, weight decay": (SGD, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}),
    "RMSprop": (RMSprop, {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.1}),
    "Adam": (Adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.05}),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZER_CASES))
def test_tensor_steps_match_torch_optim_over_several_steps(name: str) -> None:
    torch = pytest.importorskip("torch", reason="compares with torch.optim")
    optimizer_class, options = OPTIMIZER_CASES[name]
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    ours = [Tensor(array, requires_grad=True) for array in start]
    theirs = [torch.tensor(array, requires_grad=True) for array in start]
    optimizer = optimizer_class(ours, **options)
    torch_class = getattr(torch.optim, optimizer_class.__name__)
    torch_optimizer = torch_class(theirs, **options)
    for _ in range(6):
        optimizer.zero_grad()
        ((ours[0] ** 2).sum() + (ours[1].tanh() * 3.0).sum()).backward()
        optimizer.step()
        torch_optimizer.zero_grad()
        ((theirs[0] ** 2).sum() + (theirs[1].tanh() * 3.0).sum()).backward()
        torch_optimizer.step()
    for mine, reference in zip(ours, theirs):
        assert np.allclose(mine.data, reference.detach().numpy(), rtol=1e-13, atol=1e-15)


def test_a_tensor_no_backward_reached_is_left_alone_and_zero_grad_sets_none() -> None:
    used, unused = Tensor([1.0], requires_grad=True), Tensor([5.0], requires_grad=True)
    optimizer = SGD([used, unused], lr=0.5)
    (used * 2.0).sum().backward()
    optimizer.step()
    assert (used.data.tolist(), unused.data.tolist()) == ([0.0], [5.0])
    optimizer.zero_grad()
    assert used.grad is None


@pytest.mark.parametrize("lr", [True, float("inf"), float("nan"), "0.1", Value(0.1), 0.0, -1.0])
def test_a_learning_rate_that_is_not_a_positive_finite_number_is_refused(lr: object) -> None:
    with pytest.raises((TypeError, ValueError), match="lr must be"):
        SGD([Value(1.0)], lr=lr)  # type: ignore[arg-type]


def test_a_tensor_that_cannot_get_a_gradient_is_refused_as_a_parameter() -> None:
    with pytest.raises(ValueError, match="requires_grad=True"):
        SGD([Tensor([1.0])])
    with pytest.raises(ValueError, match="leaf"):
        SGD([Tensor([1.0], requires_grad=True) * 2])
