"""layers.py: every layer against its torch twin with copied weights (outputs, the
input's and every parameter's gradient), PyTorch's names, shapes and initialisation,
registration, train/eval, and state dicts and files (round trips; every broken one
refused with the model untouched)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Tensor, gradcheck
from tinygrad_edu.layers import (
    GRU,
    LSTM,
    RNN,
    AvgPool2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Linear,
    MaxPool2d,
    ModelFileError,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    lstm_cell,
)
from tinygrad_edu.optim import SGD, Adam


def small_cnn(seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2d(1, 4, 3, padding=1, seed=rng),
        ReLU(),
        MaxPool2d(2),
        Conv2d(4, 3, (2, 3), stride=(1, 2), seed=rng),
        Tanh(),
        AvgPool2d(1),
        Flatten(),
        Linear(3 * 3 * 1, 5, seed=rng),
        Sigmoid(),
    )


# Each case: our layer, the torch layer's constructor (from torch.nn), an input shape.
LAYER_CASES: dict[str, tuple[Callable[[], Module], Callable[[Any], Any], tuple[int, ...]]] = {
    "Linear": (lambda: Linear(4, 3, seed=1), lambda nn: nn.Linear(4, 3), (2, 5, 4)),
    "Linear no bias": (
        lambda: Linear(4, 3, bias=False),
        lambda nn: nn.Linear(4, 3, bias=False),
        (6, 4),
    ),
    "Conv2d": (
        lambda: Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 2), seed=2),
        lambda nn: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 2)),
        (2, 2, 6, 5),
    ),
    "MaxPool2d": (lambda: MaxPool2d(3, 2), lambda nn: nn.MaxPool2d(3, 2), (2, 2, 7, 6)),
    "AvgPool2d": (lambda: AvgPool2d(2), lambda nn: nn.AvgPool2d(2), (2, 3, 5, 4)),
    "Flatten": (lambda: Flatten(), lambda nn: nn.Flatten(), (2, 3, 2, 2)),
    "Flatten, negative axes": (
        lambda: Flatten(-3, -2),
        lambda nn: nn.Flatten(-3, -2),
        (2, 3, 2, 2),
    ),
    "Flatten of a 0-d tensor": (lambda: Flatten(0), lambda nn: nn.Flatten(0), ()),
    "ReLU": (lambda: ReLU(), lambda nn: nn.ReLU(), (3, 4)),
    "Tanh": (lambda: Tanh(), lambda nn: nn.Tanh(), (3, 4)),
    "Sigmoid": (lambda: Sigmoid(), lambda nn: nn.Sigmoid(), (3, 4)),
    "Dropout in eval": (lambda: Dropout(0.3).eval(), lambda nn: nn.Dropout(0.3).eval(), (3, 4)),
    "Sequential CNN": (
        small_cnn,
        lambda nn: nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(4, 3, (2, 3), stride=(1, 2)),
            nn.Tanh(),
            nn.AvgPool2d(1),
            nn.Flatten(),
            nn.Linear(9, 5),
            nn.Sigmoid(),
        ),
        (3, 1, 8, 8),
    ),
}

RECURRENT_CASES: dict[str, tuple[Callable[[], Module], Callable[[Any], Any], tuple[int, ...]]] = {
    "RNN": (lambda: RNN(3, 5, seed=3), lambda nn: nn.RNN(3, 5), (6, 2, 3)),
    "RNN relu, 2 layers, batch first": (
        lambda: RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True),
        lambda nn: nn.RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True),
        (2, 5, 3),
    ),
    "RNN unbatched, no bias": (
        lambda: RNN(3, 4, bias=False),
        lambda nn: nn.RNN(3, 4, bias=False),
        (5, 3),
    ),
    "LSTM": (lambda: LSTM(3, 5, seed=4), lambda nn: nn.LSTM(3, 5), (6, 2, 3)),
    "LSTM 2 layers, batch first": (
        lambda: LSTM(3, 4, num_layers=2, batch_first=True),
        lambda nn: nn.LSTM(3, 4, num_layers=2, batch_first=True),
        (2, 5, 3),
    ),
    "LSTM unbatched": (lambda: LSTM(2, 3), lambda nn: nn.LSTM(2, 3), (4, 2)),
    "GRU": (lambda: GRU(3, 5, seed=5), lambda nn: nn.GRU(3, 5), (6, 2, 3)),
    "GRU 2 layers, batch first": (
        lambda: GRU(3, 4, num_layers=2, batch_first=True),
        lambda nn: nn.GRU(3, 4, num_layers=2, batch_first=True),
        (2, 5, 3),
    ),
}


def torch_twin(torch: Any, ours: Module, make: Callable[[Any], Any]) -> Any:
    """The torch layer in float64 with our weights copied in by load_state_dict."""
    theirs = make(torch.nn).double()
    theirs.load_state_dict({name: torch.tensor(array) for name, array in ours.state_dict().items()})
    theirs.train(ours.training)
    return theirs


def assert_same_gradients(torch: Any, ours: Module, theirs: Any, rtol: float = 1e-12) -> None:
    their_parameters = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(their_parameters)
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(
            parameter.grad, their_parameters[name].grad.numpy(), rtol=rtol, atol=1e-13, err_msg=name
        )


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_layer_matches_its_torch_twin(name: str) -> None:
    torch = pytest.importorskip("torch", reason="compares with torch.nn")
    make_ours, make_theirs, shape = LAYER_CASES[name]
    ours = make_ours()
    theirs = torch_twin(torch, ours, make_theirs)
    x = np.random.default_rng(0).standard_normal(shape)
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(x_ours), theirs(x_theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    upstream = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert_same_gradients(torch, ours, theirs)


@pytest.mark.parametrize("with_start", [False, True], ids=["zero start", "given start"])
@pytest.mark.parametrize("name", sorted(RECURRENT_CASES))
def test_recurrent_layer_matches_its_torch_twin(name: str, with_start: bool) -> None:
    torch = pytest.importorskip("torch", reason="compares with torch.nn")
    make_ours, make_theirs, shape = RECURRENT_CASES[name]
    ours = make_ours()
    theirs = torch_twin(torch, ours, make_theirs)
    assert isinstance(ours, (RNN, LSTM, GRU))
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    batch = () if len(shape) == 2 else (shape[0] if ours.batch_first else shape[1],)
    state_shape = (ours.num_layers, *batch, ours.hidden_size)
    starts = [rng.standard_normal(state_shape) for _ in range(2 if isinstance(ours, LSTM) else 1)]
    ours_in = [Tensor(x, requires_grad=True)] + [Tensor(s, requires_grad=True) for s in starts]
    theirs_in = [torch.tensor(x, requires_grad=True)] + [
        torch.tensor(s, requires_grad=True) for s in starts
    ]

    def call(layer: Any, inputs: list[Any]) -> list[Any]:
        """Output and final states as one flat list."""
        if not with_start:
            output, states = layer(inputs[0])
        elif isinstance(ours, LSTM):
            output, states = layer(inputs[0], (inputs[1], inputs[2]))
        else:
            output, states = layer(inputs[0], inputs[1])
        return [output, *(states if isinstance(states, tuple) else (states,))]

    results, expected = call(ours, ours_in), call(theirs, theirs_in)
    assert [r.shape for r in results] == [tuple(e.shape) for e in expected]
    for result, reference in zip(results, expected):
        np.testing.assert_allclose(result.data, reference.detach().numpy(), rtol=1e-12, atol=1e-14)
    upstreams = [rng.standard_normal(result.shape) for result in results]
    sum((result * u).sum() for result, u in zip(results, upstreams)).backward()
    sum((e * torch.tensor(u)).sum() for e, u in zip(expected, upstreams)).backward()
    used = ours_in if with_start else ours_in[:1]
    for mine, reference in zip(used, theirs_in):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-11, atol=1e-13)
    assert_same_gradients(torch, ours, theirs, rtol=1e-11)


def test_saturated_lstm_gates_are_0_and_1_without_a_numpy_warning() -> None:
    gates = Tensor(np.array([[-1000.0, 1000.0, 0.0, -1000.0]]), requires_grad=True)
    c = Tensor([[1.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # set after the tensors were made
        both = lstm_cell(gates, c)  # sigmoid(-1000) = 1 / (1 + e**1000): e**1000 overflows
        both.sum().backward()
    assert both.data.tolist() == [[0.0, 1.0]]  # i = 0, f = 1, o = 0: h = 0, c = c_{t-1}
    assert c.grad is not None and c.grad.tolist() == [[1.0]]


def test_embedding_matches_torch_and_adds_the_gradients_of_repeated_indices() -> None:
    torch = pytest.importorskip("torch", reason="compares with torch.nn")
    ours = Embedding(6, 3, seed=2)
    theirs = torch_twin(torch, ours, lambda nn: nn.Embedding(6, 3))
    indices = np.array([[0, 5, 0], [2, 2, 2]])
    out, expected = ours(indices), theirs(torch.tensor(indices))
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    upstream = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    assert_same_gradients(torch, ours, theirs)
    assert np.allclose(ours.weight.grad[0], upstream[0, 0] + upstream[0, 2])


def test_optimizers_train_a_model_as_torch_optim_does_over_several_steps() -> None:
    torch = pytest.importorskip("torch", reason="compares with torch.optim")
    ours = small_cnn()
    theirs = torch_twin(torch, ours, LAYER_CASES["Sequential CNN"][1])
    rng = np.random.default_rng(3)
    for make_ours, make_theirs in [
        (
            lambda p: Adam(p, lr=0.01, weight_decay=0.1),
            lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1),
        ),
        (
            lambda p: SGD(p, lr=0.1, momentum=0.9),
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        ),
    ]:
        optimizer, torch_optimizer = make_ours(ours.parameters()), make_theirs(theirs.parameters())
        for _ in range(4):
            x = rng.standard_normal((4, 1, 8, 8))
            optimizer.zero_grad()
            (ours(Tensor(x)) ** 2).mean().backward()
            optimizer.step()
            torch_optimizer.zero_grad()
            (theirs(torch.tensor(x)) ** 2).mean().backward()
            torch_optimizer.step()
    for (name, array), reference in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(array, reference.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


# ---------------------------------------------------------------------- names, shapes, start


def test_parameter_names_and_shapes_are_pytorchs() -> None:
    shapes = {name: p.shape for name, p in LSTM(3, 5, num_layers=2).named_parameters()}
    assert shapes == {
        "weight_ih_l0": (20, 3),
        "weight_hh_l0": (20, 5),
        "bias_ih_l0": (20,),
        "bias_hh_l0": (20,),
        "weight_ih_l1": (20, 5),
        "weight_hh_l1": (20, 5),
        "bias_ih_l1": (20,),
        "bias_hh_l1": (20,),
    }
    assert [name for name, _ in small_cnn().named_parameters()] == [
        "0.weight",
        "0.bias",
        "3.weight",
        "3.bias",
        "7.weight",
        "7.bias",
    ]
    assert GRU(2, 4).weight_ih_l0.shape == (12, 2) and RNN(2, 4).weight_hh_l0.shape == (4, 4)


@pytest.mark.parametrize(
    ("layer", "bound"),
    [
        (Linear(50, 40, seed=3), 1 / 50**0.5),
        (Conv2d(3, 8, (3, 5), seed=3), 1 / (3 * 3 * 5) ** 0.5),
        (LSTM(7, 30, seed=3), 1 / 30**0.5),
        (GRU(7, 30, seed=3), 1 / 30**0.5),
    ],
    ids=["Linear", "Conv2d", "LSTM", "GRU"],
)
def test_initialisation_is_uniform_within_one_over_root_fan_in(layer: Module, bound: float) -> None:
    values = np.concatenate([p.data.ravel() for p in layer.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound  # it fills the range, not a narrower one
    assert abs(values.mean()) < 0.1 * bound


def test_the_same_seed_gives_the_same_start_and_another_seed_another() -> None:
    first, again, other = (LSTM(3, 4, seed=s).state_dict() for s in (7, 7, 8))
    assert all(np.array_equal(first[name], again[name]) for name in first)
    assert not any(np.array_equal(first[name], other[name]) for name in first)
    assert Embedding(5, 2, seed=1).weight.data.std() > 0.3  # N(0, 1), as PyTorch's


def test_layers_take_a_dtype() -> None:
    model = Sequential(Conv2d(1, 2, 3, dtype="float32"), Flatten(), Linear(2, 1, dtype="float32"))
    out = model(Tensor(np.ones((1, 1, 3, 3), dtype=np.float32)))
    out.sum().backward()
    assert out.dtype == np.float32 and all(p.grad.dtype == np.float32 for p in model.parameters())


# ---------------------------------------------------------------------- modules


class TwoLayers(Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = Linear(2, 3, seed=1)
        self.scale = Tensor([2.0], requires_grad=True)
        self.note = "not a parameter"
        self.constant = Tensor([5.0])  # requires no grad: not a parameter
        self.out = Linear(3, 1, seed=2)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.hidden(x).relu() * self.scale)


def test_assigned_parameters_and_modules_register_themselves_in_order() -> None:
    model = TwoLayers()
    assert [name for name, _ in model.named_parameters()] == [
        "scale",
        "hidden.weight",
        "hidden.bias",
        "out.weight",
        "out.bias",
    ]
    assert [name for name, _ in model.named_modules()] == ["", "hidden", "out"]
    model.out = Linear(3, 2)  # replacing keeps the place and the name
    model.scale = Tensor([1.0])  # no longer a parameter
    assert [name for name, _ in model.named_parameters()] == [
        "hidden.weight",
        "hidden.bias",
        "out.weight",
        "out.bias",
    ]


def test_a_shared_layer_is_listed_once() -> None:
    shared = Linear(2, 2)
    model = Sequential(shared, ReLU(), shared)
    assert len(model.parameters()) == 2


def test_assigning_before_super_init_says_what_to_do() -> None:
    class Forgetful(Module):
        def __init__(self) -> None:
            self.layer = Linear(1, 1)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgetful()


def test_zero_grad_train_and_eval_reach_every_module() -> None:
    model = Sequential(Linear(2, 2), Sequential(Dropout(0.5), Linear(2, 1)))
    model(Tensor(np.ones((3, 2)))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.eval() is model
    assert not any(module.training for _, module in model.named_modules())
    model.train()
    assert all(module.training for _, module in model.named_modules())


def test_dropout_is_seeded_scaled_and_the_identity_in_eval() -> None:
    x = Tensor(np.ones((200, 50)))
    first, again = Dropout(0.2, seed=4)(x).data, Dropout(0.2, seed=4)(x).data
    assert np.array_equal(first, again)
    assert set(np.unique(first)) == {0.0, 1.25}
    assert abs((first == 0).mean() - 0.2) < 0.01
    layer = Dropout(0.2, seed=4)
    assert not np.array_equal(layer(x).data, layer(x).data)  # a new mask each call
    assert layer.eval()(x) is x
    assert np.array_equal(Dropout(1.0)(x).data, np.zeros((200, 50)))
    with pytest.raises(ValueError, match="probability"):
        Dropout(1.5)


def test_repr_is_pytorchs() -> None:
    torch = pytest.importorskip("torch", reason="compares with torch.nn's repr")
    nn = torch.nn
    ours = Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), Flatten(), Linear(8, 2, bias=False))
    theirs = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2, bias=False)
    )
    assert repr(ours) == repr(theirs)
    assert repr(LSTM(3, 4, num_layers=2, batch_first=True)) == repr(
        nn.LSTM(3, 4, num_layers=2, batch_first=True)
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Linear(3, 2)(Tensor(np.ones((4, 2)))), ValueError, "in_features = 3"),
        (lambda: Linear(0, 2), ValueError, "in_features must be a whole number >= 1"),
        (lambda: Linear(3, 2, bias="no"), TypeError, "Linear: bias must be True or False"),
        (lambda: Conv2d(1, 2, 3, bias=1), TypeError, "Conv2d: bias must be True or False"),
        (lambda: Conv2d(1, 2, "3"), TypeError, "Conv2d: kernel_size must be a whole number"),
        (lambda: Conv2d(1, 2, (3,)), ValueError, "kernel_size must be an int or a pair"),
        (lambda: Conv2d(1, 2, 3, stride=(1, 0)), ValueError, r"stride\[1\] must be .* >= 1"),
        (lambda: Conv2d(1, 2, 3, padding=-1), ValueError, "padding must be .* >= 0"),
        (lambda: MaxPool2d(2, stride=0), ValueError, "MaxPool2d: stride must be"),
        (lambda: AvgPool2d(2.0), TypeError, "AvgPool2d: kernel_size must be a whole number"),
        (lambda: RNN(2, 3, batch_first="yes"), TypeError, "RNN: batch_first must be True or"),
        (lambda: LSTM(2, 3, bias=None), TypeError, "LSTM: bias must be True or False"),
        (lambda: GRU(2, 3, num_layers=1.5), TypeError, "GRU: num_layers must be a whole"),
        (lambda: Embedding(4, 0), ValueError, "embedding_dim must be a whole number >= 1"),
        (lambda: Flatten("1"), TypeError, "Flatten: start_dim must be a whole number"),
        # PyTorch raises IndexError; % would have wrapped 5 onto axis 1 and changed nothing
        (lambda: Flatten(5)(Tensor(np.ones((2, 3)))), ValueError, "start_dim 5 is out of range"),
        (lambda: Flatten(0, -3)(Tensor(np.ones((2, 3)))), ValueError, r"end_dim -3 .*-2 to 1"),
        (lambda: Flatten()(Tensor(5.0)), ValueError, r"start_dim 1 .*\(axes -1 to 0\)"),
        (lambda: Conv2d(1, 2, 0), ValueError, "kernel_size"),
        (
            lambda: RNN(2, 3)(Tensor(np.ones((4, 1, 2))), Tensor(np.ones((1, 2, 3)))),
            ValueError,
            r"\(1, 1, 3\)",
        ),
        (lambda: RNN(2, 3, nonlinearity="sigmoid"), ValueError, "nonlinearity"),
        (
            lambda: LSTM(2, 3)(Tensor(np.ones((4, 1, 2))), Tensor(np.ones((1, 1, 3)))),
            TypeError,
            "pair",
        ),
        (lambda: GRU(2, 3)(Tensor(np.ones((4, 2, 1, 2)))), ValueError, "must be"),
        (lambda: Embedding(4, 2)(np.array([1, 4])), IndexError, r"\[0, 4\)"),
        (lambda: Embedding(4, 2)(np.array([0.5])), TypeError, "whole numbers"),
        (lambda: Sequential(Linear(1, 1), "relu"), TypeError, "item 1"),  # type: ignore[arg-type]
        (lambda: Linear(1, 1, seed=-1), ValueError, "seed"),
    ],
)
def test_bad_use_is_refused_with_the_reason(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------------- state dicts and files


def test_state_dict_round_trip_gives_the_same_model() -> None:
    model, other = small_cnn(seed=0), small_cnn(seed=1)
    x = Tensor(np.random.default_rng(0).standard_normal((2, 1, 8, 8)))
    state = model.state_dict()
    state["0.bias"][0] += 0.0  # a copy: changing it would not change the model
    other.load_state_dict(state)
    assert np.array_equal(other(x).data, model(x).data)
    state["0.bias"][:] = 99.0
    assert not np.any(model.state_dict()["0.bias"] == 99.0)


def test_loading_keeps_the_parameters_so_an_optimizer_keeps_working() -> None:
    model = Linear(2, 1)
    optimizer = SGD(model.parameters(), lr=0.1)
    weight = model.weight
    model.load_state_dict(Linear(2, 1, seed=5).state_dict())
    assert model.weight is weight and optimizer.parameters[0] is weight


def broken_state_dicts() -> dict[str, Any]:
    good = small_cnn().state_dict()
    return {
        "a name missing": {k: v for k, v in good.items() if k != "3.bias"},
        "an extra name": {**good, "9.weight": np.zeros(1)},
        "a wrong shape": {**good, "7.weight": np.zeros((5, 8))},
        "integers": {**good, "0.bias": np.zeros(4, dtype=np.int64)},
        "a NaN": {**good, "0.bias": np.array([0.0, np.nan, 0.0, 0.0])},
        "a list": {**good, "0.bias": [0.0, 0.0, 0.0, 0.0]},
        "not a dict": list(good.items()),
    }


@pytest.mark.parametrize("case", sorted(broken_state_dicts()))
def test_a_broken_state_dict_is_refused_and_changes_nothing(case: str) -> None:
    model = small_cnn(seed=1)
    before = model.state_dict()
    with pytest.raises((ValueError, TypeError)) as raised:
        model.load_state_dict(broken_state_dicts()[case])
    assert "changed" in str(raised.value) or "dict of arrays" in str(raised.value)
    after = model.state_dict()
    assert all(np.array_equal(before[name], after[name]) for name in before)


def test_every_problem_is_named_at_once() -> None:
    good = Linear(2, 2).state_dict()
    with pytest.raises(ValueError) as raised:
        Linear(2, 2).load_state_dict({"weight": np.zeros((3, 3)), "extra": good["bias"]})
    message = str(raised.value)
    assert "missing 'bias'" in message and "unexpected 'extra'" in message
    assert "'weight': expected shape (2, 2), got (3, 3)" in message


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_save_and_load_round_trip_exactly(tmp_path: Path, suffix: str) -> None:
    model, other = small_cnn(seed=0), small_cnn(seed=1)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    other.load(path)
    for name, array in model.state_dict().items():
        assert np.array_equal(other.state_dict()[name], array), name


def test_a_npz_file_is_plain_numpy_arrays(tmp_path: Path) -> None:
    model = Linear(2, 3)
    model.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == ["bias", "weight"]
        assert np.array_equal(archive["weight"], model.weight.data)


def write_broken_files(folder: Path) -> dict[str, Path]:
    model = Linear(2, 3)
    model.save(folder / "good.npz")
    model.save(folder / "good.json")
    document = json.loads((folder / "good.json").read_text())
    files: dict[str, Path] = {}

    def json_file(name: str, content: Any) -> None:
        files[name] = folder / f"{name.replace(' ', '_')}.json"
        files[name].write_text(content if isinstance(content, str) else json.dumps(content))

    def npz_file(name: str, arrays: dict[str, Any]) -> None:
        files[name] = folder / f"{name.replace(' ', '_')}.npz"
        np.savez(files[name], **arrays)

    json_file("json not json", "{not json")
    json_file("json another format", {**document, "format": "something else"})
    json_file("json a NaN", (folder / "good.json").read_text().replace("0.", "NaN, 0.", 1))
    short = json.loads(json.dumps(document))
    short["parameters"]["weight"]["values"].pop()
    json_file("json too few values", short)
    wrong = json.loads(json.dumps(document))
    wrong["parameters"]["bias"]["shape"] = [4]
    json_file("json a wrong shape", wrong)
    json_file("json nested too deep", '{"weight": ' + "[" * 100_000 + "]" * 100_000 + "}")
    npz_file("npz a wrong name", {"weight": model.weight.data, "bias2": model.bias.data})
    npz_file(
        "npz pickled objects",
        {"weight": np.array([object()] * 6).reshape(3, 2), "bias": model.bias.data},
    )
    files["npz not a zip"] = folder / "not_a_zip.npz"
    files["npz not a zip"].write_bytes(b"this is not a zip file")
    files["npz truncated"] = folder / "truncated.npz"
    files["npz truncated"].write_bytes((folder / "good.npz").read_bytes()[:100])
    files["npz one array"] = folder / "one_array.npz"
    with files["npz one array"].open("wb") as file:
        np.save(file, np.zeros(3))
    return files


BROKEN_FILES = [
    "json not json",
    "json another format",
    "json a NaN",
    "json too few values",
    "json a wrong shape",
    "json nested too deep",
    "npz a wrong name",
    "npz pickled objects",
    "npz not a zip",
    "npz truncated",
    "npz one array",
]


@pytest.mark.parametrize("case", BROKEN_FILES)
def test_a_broken_file_is_refused_and_changes_nothing(tmp_path: Path, case: str) -> None:
    path = write_broken_files(tmp_path)[case]
    model = Linear(2, 3, seed=9)
    before = model.state_dict()
    with pytest.raises(ModelFileError):
        model.load(path)
    assert all(np.array_equal(before[name], model.state_dict()[name]) for name in before)


def test_saving_refuses_other_suffixes_and_non_finite_numbers(tmp_path: Path) -> None:
    model = Linear(1, 1)
    with pytest.raises(ValueError, match=r"\.npz or \.json"):
        model.save(tmp_path / "model.pt")
    model.bias.data[0] = np.inf
    with pytest.raises(ValueError, match="non-finite"):
        model.save(tmp_path / "model.npz")
    assert not (tmp_path / "model.npz").exists()


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_recurrent_gradients_of_gradients_match_torch(kind: str) -> None:
    """backward(create_graph=True) through the time loop (and LSTM's fused cell)."""
    torch = pytest.importorskip("torch", reason="compares with torch.autograd.grad")
    ours = LSTM(2, 3, seed=1) if kind == "LSTM" else GRU(2, 3, seed=1)
    theirs = torch_twin(torch, ours, lambda nn: getattr(nn, kind)(2, 3))
    rng = np.random.default_rng(4)
    x, direction = rng.standard_normal((4, 2, 2)), rng.standard_normal((4, 2, 2))
    x_ours = Tensor(x, requires_grad=True)
    (ours(x_ours)[0] ** 2).sum().backward(create_graph=True)
    first = x_ours.grad
    assert isinstance(first, Tensor)
    for parameter in [x_ours, *ours.parameters()]:
        parameter.grad = None
    (first * direction).sum().backward()
    x_theirs = torch.tensor(x, requires_grad=True)
    (torch_first,) = torch.autograd.grad(
        (theirs(x_theirs)[0] ** 2).sum(), x_theirs, create_graph=True
    )
    second = torch.autograd.grad(
        (torch_first * torch.tensor(direction)).sum(), [x_theirs, *theirs.parameters()]
    )
    np.testing.assert_allclose(first.data, torch_first.detach().numpy(), rtol=1e-12)
    for mine, reference in zip([x_ours, *ours.parameters()], second):
        np.testing.assert_allclose(mine.grad, reference.numpy(), rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------------- central differences


def as_function(layer: Module) -> tuple[Callable[..., Tensor], list[np.ndarray[Any, Any]]]:
    """f(x, *parameters) computing the layer's (first) output with the given parameters
    put in place of its own, for gradcheck; and the parameters' current values."""
    named = layer.named_parameters()

    def f(x: Tensor, *parameters: Tensor) -> Tensor:
        for (name, _), parameter in zip(named, parameters):
            *path, attribute = name.split(".")
            owner = layer
            for step in path:
                owner = owner._modules[step]
            setattr(owner, attribute, parameter)
        out = layer(x)
        return out[0] if isinstance(out, tuple) else out

    return f, [parameter.data.copy() for _, parameter in named]


GRADCHECK_CASES = {
    "Linear": (lambda: Linear(3, 2, seed=1), (2, 3)),
    "Conv2d": (lambda: Conv2d(2, 2, (2, 3), stride=(1, 2), padding=1, seed=1), (1, 2, 4, 5)),
    "small CNN": (
        lambda: Sequential(
            Conv2d(1, 2, 3, padding=1), Tanh(), MaxPool2d(2), Flatten(), Linear(8, 2)
        ),
        (2, 1, 4, 4),
    ),
    "RNN": (lambda: RNN(2, 3, num_layers=2, seed=1), (3, 2, 2)),
    "LSTM": (lambda: LSTM(2, 3, batch_first=True, seed=1), (2, 3, 2)),
    "GRU": (lambda: GRU(2, 3, seed=1), (3, 2, 2)),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK_CASES))
def test_layer_gradients_match_central_differences(name: str) -> None:
    """The input's and every parameter's gradient, element by element."""
    make, shape = GRADCHECK_CASES[name]
    f, parameters = as_function(make())
    x = np.random.default_rng(3).uniform(-1, 1, shape)
    assert gradcheck(f, [x, *parameters])
