"""bridge.py: models move to PyTorch and back with the same weights, and give the same
outputs and gradients (to 1e-12 in float64); torch is imported only by the bridge."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Tensor, Value, bridge
from tinygrad_edu.layers import (
    GRU,
    LSTM,
    AvgPool2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Linear,
    MaxPool2d,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from tinygrad_edu.nn import MLP

ROOT = Path(__file__).resolve().parent.parent


def cnn() -> Sequential:
    rng = np.random.default_rng(0)
    return Sequential(
        Conv2d(1, 4, 3, padding=1, seed=rng),
        ReLU(),
        MaxPool2d(2),
        Conv2d(4, 6, 2, stride=(2, 1), seed=rng),
        Tanh(),
        AvgPool2d((1, 2)),
        Flatten(),
        Dropout(0.2),
        Linear(6 * 2 * 1, 3, seed=rng),
        Sigmoid(),
    ).eval()


def same_numbers(torch: Any, ours: Module, theirs: Any, x: np.ndarray[Any, Any]) -> None:
    """Outputs, input gradient and every parameter's gradient agree to 1e-12."""
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(x_ours), theirs(x_theirs)
    if isinstance(out, tuple):  # a recurrent layer: (output, states)
        out, expected = out[0], expected[0]
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    upstream = np.random.default_rng(5).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), rtol=1e-12, atol=1e-14)
    their_parameters = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        reference = their_parameters[name].grad.numpy()
        np.testing.assert_allclose(parameter.grad, reference, rtol=1e-12, atol=1e-14, err_msg=name)


MODELS = {
    "CNN": (cnn, (2, 1, 8, 8)),
    "LSTM": (lambda: LSTM(3, 4, num_layers=2, batch_first=True, seed=1), (2, 5, 3)),
    "GRU": (lambda: GRU(3, 4, seed=2), (5, 2, 3)),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_to_torch_gives_the_same_outputs_and_gradients(name: str) -> None:
    torch = pytest.importorskip("torch", reason="the bridge needs torch")
    make, shape = MODELS[name]
    ours = make()
    theirs = bridge.to_torch(ours)
    assert theirs.training == ours.training
    assert all(p.dtype == torch.float64 for p in theirs.parameters())
    same_numbers(torch, ours, theirs, np.random.default_rng(0).standard_normal(shape))


def test_from_torch_gives_the_same_outputs_and_gradients() -> None:
    torch = pytest.importorskip("torch", reason="the bridge needs torch")
    nn = torch.nn
    torch.manual_seed(0)
    theirs = nn.Sequential(
        nn.Conv2d(2, 3, 3, stride=2, padding=(1, 0)),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(3 * 4 * 3, 2),
    ).double()
    ours = bridge.from_torch(theirs)
    assert isinstance(ours, Sequential) and isinstance(ours[0], Conv2d)
    same_numbers(torch, ours, theirs, np.random.default_rng(1).standard_normal((2, 2, 8, 8)))


def test_a_model_goes_to_torch_and_back_unchanged() -> None:
    pytest.importorskip("torch", reason="the bridge needs torch")
    for model in (cnn(), LSTM(2, 3), Embedding(5, 2), GRU(2, 3, bias=False)):
        back = bridge.from_torch(bridge.to_torch(model))
        assert repr(back) == repr(model)
        for name, array in model.state_dict().items():
            assert np.array_equal(back.state_dict()[name], array), name


def test_float32_models_stay_float32() -> None:
    torch = pytest.importorskip("torch", reason="the bridge needs torch")
    theirs = bridge.to_torch(Linear(2, 3, dtype="float32"))
    assert theirs.weight.dtype == torch.float32
    assert bridge.from_torch(torch.nn.Linear(2, 3)).weight.dtype == np.float32


def test_the_scalar_mlp_goes_to_torch_with_the_same_numbers() -> None:
    torch = pytest.importorskip("torch", reason="the bridge needs torch")
    model = MLP(3, [4, 4, 2], activation="tanh", output_activation="sigmoid", seed=0)
    theirs = bridge.to_torch(model)
    point = [0.5, -1.0, 2.0]
    outputs = model(point)
    assert isinstance(outputs, list)
    loss = outputs[0] * 2.0 + outputs[1] * -3.0
    loss.backward()
    x = torch.tensor([point], dtype=torch.float64)
    their_loss = (theirs(x)[0] * torch.tensor([2.0, -3.0], dtype=torch.float64)).sum()
    their_loss.backward()
    assert loss.data == pytest.approx(their_loss.item(), rel=1e-13)
    first = theirs[0]
    ours = [[w.grad for w in neuron.weights] for neuron in model.layers[0].neurons]
    np.testing.assert_allclose(ours, first.weight.grad.numpy(), rtol=1e-12)
    assert isinstance(outputs[0], Value)


def test_what_has_no_twin_is_refused_with_the_reason() -> None:
    torch = pytest.importorskip("torch", reason="the bridge needs torch")
    nn = torch.nn

    class Custom(Module):
        def forward(self, x: Tensor) -> Tensor:
            return x

    with pytest.raises(TypeError, match="no torch twin for Custom"):
        bridge.to_torch(Custom())
    with pytest.raises(TypeError, match=r"no twin for torch\.nn\.BatchNorm1d"):
        bridge.from_torch(nn.BatchNorm1d(3))
    with pytest.raises(ValueError, match="dilation"):
        bridge.from_torch(nn.Conv2d(1, 1, 3, dilation=2))
    with pytest.raises(ValueError, match="bidirectional"):
        bridge.from_torch(nn.LSTM(2, 3, bidirectional=True))
    with pytest.raises(ValueError, match="ceil_mode"):
        bridge.from_torch(nn.MaxPool2d(2, ceil_mode=True))
    with pytest.raises(ValueError, match="named 0, 1, 2"):
        from collections import OrderedDict

        bridge.from_torch(nn.Sequential(OrderedDict(first=nn.ReLU())))
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        bridge.from_torch("not a module")


def test_without_torch_the_bridge_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0"):
        bridge.to_torch(Linear(1, 1))


def test_only_the_bridge_imports_torch() -> None:
    code = (
        "import sys, tinygrad_edu, tinygrad_edu.layers, tinygrad_edu.conv, tinygrad_edu.data,"
        " tinygrad_edu.losses, tinygrad_edu.bridge, tinygrad_edu.cli; print('torch' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
