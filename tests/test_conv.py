"""conv2d, max_pool2d, avg_pool2d: against central differences, against
torch.nn.functional (outputs, gradients, and gradients of gradients), and their errors."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Tensor, gradcheck
from tinygrad_edu.conv import avg_pool2d, conv2d, max_pool2d


def random_case(seed: int) -> dict[str, Any]:
    """A random convolution: batch, channels, image and kernel sizes, stride, padding."""
    rng = np.random.default_rng(seed)
    kh, kw = (int(k) for k in rng.integers(1, 4, size=2))
    padding = (int(rng.integers(0, 2)), int(rng.integers(0, 3)))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
    height, width = kh + int(rng.integers(0, 5)), kw + int(rng.integers(0, 5))
    n, channels, out_channels = (int(k) for k in rng.integers(1, 4, size=3))
    return {
        "x": rng.standard_normal((n, channels, height, width)),
        "weight": rng.standard_normal((out_channels, channels, kh, kw)),
        "bias": rng.standard_normal(out_channels),
        "stride": stride,
        "padding": padding,
    }


def random_pool_case(seed: int) -> tuple[np.ndarray[Any, Any], Any, Any]:
    rng = np.random.default_rng(100 + seed)
    kernel = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    stride = None if seed % 3 == 0 else (int(rng.integers(1, 4)), int(rng.integers(1, 3)))
    shape = (2, int(rng.integers(1, 3)), kernel[0] + int(rng.integers(0, 5)), kernel[1] + 3)
    return rng.standard_normal(shape), kernel, stride


CASES = range(10)
POOLS = {"max_pool2d": max_pool2d, "avg_pool2d": avg_pool2d}


@pytest.mark.parametrize("seed", CASES)
def test_conv2d_gradients_match_central_differences(seed: int) -> None:
    case = random_case(seed)
    stride, padding = case["stride"], case["padding"]
    assert gradcheck(
        lambda x, w, b: conv2d(x, w, b, stride=stride, padding=padding),
        [case["x"], case["weight"], case["bias"]],
        seed=seed,
    )


@pytest.mark.parametrize("name", sorted(POOLS))
@pytest.mark.parametrize("seed", CASES)
def test_pool_gradients_match_central_differences(name: str, seed: int) -> None:
    x, kernel, stride = random_pool_case(seed)
    assert gradcheck(lambda t: POOLS[name](t, kernel, stride), [x], seed=seed)


@pytest.mark.parametrize("seed", CASES)
def test_conv2d_matches_torch_outputs_and_gradients(seed: int) -> None:
    torch = pytest.importorskip("torch", reason="compares with torch.nn.functional")
    case = random_case(seed)
    ours = {name: Tensor(case[name], requires_grad=True) for name in ("x", "weight", "bias")}
    theirs = {name: torch.tensor(case[name], requires_grad=True) for name in ours}
    out = conv2d(ours["x"], ours["weight"], ours["bias"], case["stride"], case["padding"])
    expected = torch.nn.functional.conv2d(
        theirs["x"], theirs["weight"], theirs["bias"], case["stride"], case["padding"]
    )
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    for name in ours:
        np.testing.assert_allclose(
            ours[name].grad, theirs[name].grad.numpy(), rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize("name", sorted(POOLS))
@pytest.mark.parametrize("seed", CASES)
def test_pools_match_torch_outputs_and_gradients(name: str, seed: int) -> None:
    torch = pytest.importorskip("torch", reason="compares with torch.nn.functional")
    x, kernel, stride = random_pool_case(seed)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = POOLS[name](ours, kernel, stride)
    expected = getattr(torch.nn.functional, name)(theirs, kernel, stride)
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-13, atol=1e-14)


def test_gradients_of_gradients_match_torch() -> None:
    """backward(create_graph=True) through conv and pools, then backward again."""
    torch = pytest.importorskip("torch", reason="compares with torch.autograd.grad")
    rng = np.random.default_rng(7)
    x, weight = rng.standard_normal((2, 2, 7, 6)), rng.standard_normal((3, 2, 3, 2))
    directions = rng.standard_normal(x.shape), rng.standard_normal(weight.shape)

    def ours_loss(x: Tensor, w: Tensor) -> Tensor:
        features = conv2d(x, w, stride=(2, 1), padding=1).tanh()
        return (max_pool2d(features, 2, 1) ** 2).sum() + (avg_pool2d(features, 2) ** 3).sum()

    def torch_loss(x: Any, w: Any) -> Any:
        F = torch.nn.functional
        features = F.conv2d(x, w, stride=(2, 1), padding=1).tanh()
        return (F.max_pool2d(features, 2, 1) ** 2).sum() + (F.avg_pool2d(features, 2) ** 3).sum()

    ours = [Tensor(x, requires_grad=True), Tensor(weight, requires_grad=True)]
    ours_loss(*ours).backward(create_graph=True)
    first = [tensor.grad for tensor in ours]
    for tensor in ours:
        tensor.grad = None
    sum((grad * direction).sum() for grad, direction in zip(first, directions)).backward()

    theirs = [torch.tensor(x, requires_grad=True), torch.tensor(weight, requires_grad=True)]
    torch_first = torch.autograd.grad(torch_loss(*theirs), theirs, create_graph=True)
    mixed = sum((grad * torch.tensor(d)).sum() for grad, d in zip(torch_first, directions))
    second = torch.autograd.grad(mixed, theirs)
    for mine, grad, reference, reference_grad in zip(ours, first, second, torch_first):
        np.testing.assert_allclose(grad.data, reference_grad.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(mine.grad, reference.numpy(), rtol=1e-10, atol=1e-12)


def test_convolution_is_a_sliding_dot_product() -> None:
    """The docstring's formula, written out with loops, on one small case."""
    rng = np.random.default_rng(3)
    x, weight = rng.standard_normal((1, 2, 5, 4)), rng.standard_normal((3, 2, 2, 3))
    out = conv2d(Tensor(x), Tensor(weight), stride=(2, 1)).data
    assert out.shape == (1, 3, 2, 2)
    for o in range(3):
        for p in range(2):
            for q in range(2):
                window = x[0, :, 2 * p : 2 * p + 2, q : q + 3]
                assert out[0, o, p, q] == pytest.approx(float((window * weight[o]).sum()))


def test_max_pool_gives_a_tie_to_the_first_maximum_and_sums_overlaps() -> None:
    x = Tensor([[[[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]]]], requires_grad=True)
    out = max_pool2d(x, kernel_size=2, stride=1)  # windows [[1, 3], [3, 0]] and [[3, 3], [0, 2]]
    assert out.data.tolist() == [[[[3.0, 3.0]]]]
    out.backward(np.array([[[[10.0, 1.0]]]]))
    # Both windows pick the 3 at (0, 1), the first maximum of each: 10 + 1 there.
    assert x.grad.tolist() == [[[[0.0, 11.0, 0.0], [0.0, 0.0, 0.0]]]]


def test_float32_images_stay_float32() -> None:
    x = Tensor(np.ones((1, 1, 4, 4), dtype=np.float32), requires_grad=True)
    weight = Tensor(np.ones((2, 1, 3, 3), dtype=np.float32), requires_grad=True)
    out = max_pool2d(conv2d(x, weight, padding=1), 2) + avg_pool2d(x, 2)
    out.sum().backward()
    assert (
        out.dtype == np.float32 and x.grad.dtype == np.float32 and weight.grad.dtype == np.float32
    )


def ones(*shape: int) -> Tensor:
    return Tensor(np.ones(shape))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: conv2d(ones(3, 4, 4), ones(1, 3, 2, 2)), ValueError, "N, C, H, W"),
        (lambda: conv2d(ones(1, 2, 4, 4), ones(1, 3, 2, 2)), ValueError, "2 channels"),
        (lambda: conv2d(ones(1, 1, 4, 4), ones(1, 1, 2)), ValueError, "weight must be 4-D"),
        (lambda: conv2d(ones(1, 1, 2, 2), ones(1, 1, 3, 3)), ValueError, "larger than"),
        (lambda: conv2d(ones(1, 1, 4, 4), ones(1, 1, 2, 2), stride=0), ValueError, "stride must"),
        (lambda: conv2d(ones(1, 1, 4, 4), ones(1, 1, 2, 2), padding=-1), ValueError, "padding"),
        (lambda: conv2d(ones(1, 1, 4, 4), ones(1, 1, 2, 2), stride=1.5), TypeError, "an int"),
        (lambda: conv2d(ones(1, 1, 4, 4), ones(2, 1, 2, 2), ones(3)), ValueError, "bias must"),
        (lambda: conv2d([[1.0]], ones(1, 1, 1, 1)), TypeError, "x must be a Tensor"),
        (lambda: max_pool2d(ones(1, 1, 4, 4), 5), ValueError, "larger than"),
        (lambda: avg_pool2d(ones(1, 1, 4, 4), (2, True)), TypeError, "kernel_size"),
        (lambda: max_pool2d(ones(4, 4), 2), ValueError, "N, C, H, W"),
    ],
)
def test_bad_arguments_are_refused_with_the_reason(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_a_nan_in_a_window_is_the_maximum_and_gets_the_gradient_as_in_torch() -> None:
    torch = pytest.importorskip("torch", reason="compares with torch.nn.functional")
    x = np.array([[[[1.0, np.nan, 2.0, np.nan], [np.nan, 3.0, 1.0, 1.0]]]])
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = max_pool2d(ours, 2)
    expected = torch.nn.functional.max_pool2d(theirs, 2)
    assert np.isnan(out.data).all() and np.isnan(expected.detach().numpy()).all()
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_inf_in_a_window_gives_the_ieee_result_without_a_numpy_warning() -> None:
    x = Tensor(np.array([[[[np.inf, -np.inf], [1.0, 2.0]]]]), requires_grad=True)
    zero_kernel = Tensor(np.zeros((1, 1, 1, 1)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # set after the tensors were made
        convolved = conv2d(x, zero_kernel)  # inf * 0
        averaged = avg_pool2d(x, 2)  # inf + -inf
        (convolved.sum() + averaged.sum()).backward()
    assert np.isnan(convolved.data[0, 0, 0]).all() and np.isnan(averaged.data).all()
    assert zero_kernel.grad is not None and np.isnan(zero_kernel.grad).all()
