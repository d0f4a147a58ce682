"""Losses on Tensors: cross_entropy, mse_loss and binary_cross_entropy_with_logits
agree with torch.nn.functional (PyTorch's (input, target) order), stay exact at logits
of ±1000, have checked gradients, and refuse bad targets."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, gradcheck
from tinygrad_edu.losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss


def against_torch(ours: Any, theirs: Any, *arrays: np.ndarray[Any, Any]) -> None:
    """Our loss of Tensors and torch's of tensors: the same value and gradient of the first."""
    torch = pytest.importorskip("torch", reason="compares with torch.nn.functional")
    first = Tensor(arrays[0], requires_grad=True)
    loss = ours(first, *arrays[1:])
    torch_first = torch.tensor(arrays[0], requires_grad=True)
    torch_loss = theirs(torch_first, *(torch.tensor(array) for array in arrays[1:]))
    loss.backward()
    torch_loss.backward()
    assert loss.item() == pytest.approx(torch_loss.item(), rel=1e-13, abs=1e-300)
    np.testing.assert_allclose(first.grad, torch_first.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["ordinary logits", "logits of ±1000"])
def test_cross_entropy_matches_torch(scale: float) -> None:
    rng = np.random.default_rng(0)
    logits = scale * rng.standard_normal((6, 4))
    targets = rng.integers(0, 4, size=6)
    torch = pytest.importorskip("torch")
    against_torch(cross_entropy, torch.nn.functional.cross_entropy, logits, targets)


def test_cross_entropy_is_exact_at_huge_logits() -> None:
    logits = Tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]], requires_grad=True)
    loss = cross_entropy(logits, [2, 1])
    # Row 1: 1000 + log(1 + e**-1000 + e**-2000) ≈ 1000; row 2: log 2.
    assert loss.item() == pytest.approx((1000.0 + np.log(2.0)) / 2, rel=1e-15)
    loss.backward()
    assert np.isfinite(logits.grad).all()
    assert logits.grad.tolist()[1] == pytest.approx([0.0, -0.25, 0.25])


def test_cross_entropy_of_one_sample_takes_one_index() -> None:
    logits = Tensor([2.0, 0.5, -1.0])
    expected = -np.log(np.exp(0.5) / np.exp([2.0, 0.5, -1.0]).sum())
    assert cross_entropy(logits, 1).item() == pytest.approx(expected)


def test_cross_entropy_gradients_match_central_differences() -> None:
    rng = np.random.default_rng(1)
    logits, targets = rng.standard_normal((5, 3)), np.array([0, 2, 1, 1, 0])
    assert gradcheck(lambda z: cross_entropy(z, targets), [logits])


def test_cross_entropy_differentiates_twice_as_torch() -> None:
    """A Hessian-vector product through backward(create_graph=True)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    logits, targets = rng.standard_normal((5, 3)), np.array([0, 2, 1, 1, 0])
    direction = rng.standard_normal(logits.shape)
    z = Tensor(logits, requires_grad=True)
    cross_entropy(z.tanh(), targets).backward(create_graph=True)
    first = z.grad
    assert isinstance(first, Tensor)
    z.grad = None
    (first * direction).sum().backward()
    torch_z = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(torch_z.tanh(), torch.tensor(targets))
    (torch_first,) = torch.autograd.grad(loss, torch_z, create_graph=True)
    (expected,) = torch.autograd.grad((torch_first * torch.tensor(direction)).sum(), torch_z)
    np.testing.assert_allclose(z.grad, expected.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("targets", "error", "message"),
    [
        ([0, 3], ValueError, r"in \[0, 3\)"),
        ([0, -1], ValueError, r"in \[0, 3\)"),
        ([0.5, 1], TypeError, "whole numbers"),
        ([0, 1, 2], ValueError, "2 rows of logits need 2 targets"),
        (["a", "b"], TypeError, "whole numbers"),
    ],
)
def test_cross_entropy_refuses_bad_targets(targets: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        cross_entropy(Tensor(np.zeros((2, 3))), targets)


def test_cross_entropy_refuses_logits_that_are_not_a_matrix_of_scores() -> None:
    with pytest.raises(TypeError, match="logits must be a Tensor"):
        cross_entropy(np.zeros((2, 3)), [0, 1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        cross_entropy(Tensor(np.zeros((2, 3, 4))), [0, 1])


def test_mse_loss_on_tensors_matches_torch_and_is_symmetric() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    against_torch(mse_loss, torch.nn.functional.mse_loss, a, b)
    assert mse_loss(Tensor(a), Tensor(b)).item() == mse_loss(Tensor(b), Tensor(a)).item()


def test_mse_loss_keeps_the_tutorials_order_on_values_and_refuses_mismatched_tensors() -> None:
    loss = mse_loss([1.0, 0.0], [Value(0.5), Value(0.5)])
    assert isinstance(loss, Value) and loss.data == 0.25
    with pytest.raises(ValueError, match=r"\(3,\) and \(3, 1\) differ"):
        mse_loss(Tensor(np.zeros(3)), Tensor(np.zeros((3, 1))))


@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["ordinary logits", "logits of ±1000"])
def test_binary_cross_entropy_with_logits_takes_pytorchs_order_on_tensors(scale: float) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    logits, targets = scale * rng.standard_normal(8), rng.uniform(0, 1, size=8)
    against_torch(
        binary_cross_entropy_with_logits,
        torch.nn.functional.binary_cross_entropy_with_logits,
        logits,
        targets,
    )


def test_binary_cross_entropy_with_logits_refuses_targets_outside_zero_one() -> None:
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        binary_cross_entropy_with_logits(Tensor([0.0, 1.0]), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match="differ"):
        binary_cross_entropy_with_logits(Tensor([0.0, 1.0]), np.array([0.0]))
