"""Neuron, Layer and MLP: outputs, parameter order and names, inputs, saving and loading."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import Value
from tinygrad_edu.nn import MLP, Layer, ModelFileError, Neuron, load_module


def test_the_tutorials_neuron() -> None:
    neuron = Neuron(2, activation="sigmoid", weights=[0, 1], bias=4)
    assert neuron([2, 3]).data == 0.9990889488055994


def test_the_tutorials_feedforward_example() -> None:
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    for neuron in model.layers[0].neurons + model.layers[1].neurons:
        neuron.weights[0].data, neuron.weights[1].data, neuron.bias.data = 0.0, 1.0, 0.0
    hidden = model.layers[0]([2, 3])
    assert isinstance(hidden, list)
    assert [round(h.data, 4) for h in hidden] == [0.9526, 0.9526]
    output = model([2, 3])
    assert isinstance(output, Value)
    assert output.data == 0.7216325609518421


def test_tutorial_net_parameters_come_in_the_tutorials_order() -> None:
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    h1, h2 = model.layers[0].neurons
    (o1,) = model.layers[1].neurons
    expected = [*h1.weights, h1.bias, *h2.weights, h2.bias, *o1.weights, o1.bias]
    assert model.parameters() == expected  # w1, w2, b1, w3, w4, b2, w5, w6, b3
    assert [name for name, _ in model.named_parameters()][:3] == [
        "layers.0.neurons.0.w0",
        "layers.0.neurons.0.w1",
        "layers.0.neurons.0.bias",
    ]
    assert model.parameters()[-1].label == "layers.1.neurons.0.bias"


def test_same_seed_same_start_and_different_seeds_differ() -> None:
    def start(seed: int) -> list[float]:
        return [p.data for p in MLP(3, [4, 2], seed=seed).parameters()]

    assert start(7) == start(7)
    assert start(7) != start(8)
    neurons = Layer(3, 4, seed=0).neurons
    assert len({n.weights[0].data for n in neurons}) == 4  # no two neurons alike


def test_layer_returns_a_value_for_one_neuron_and_a_list_otherwise() -> None:
    assert isinstance(Layer(2, 1, seed=0)([1, 2]), Value)
    outputs = Layer(2, 3, seed=0)([1, 2])
    assert isinstance(outputs, list) and len(outputs) == 3


@pytest.mark.parametrize(
    "sample", [[1.0, -2.0], (1.0, -2.0), np.array([1.0, -2.0]), [Value(1.0), Value(-2.0)]]
)
def test_inputs_may_be_lists_tuples_arrays_or_values(sample: object) -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    expected = model([1.0, -2.0])
    assert isinstance(expected, Value)
    result = model(sample)  # type: ignore[arg-type]
    assert isinstance(result, Value) and result.data == expected.data


def test_a_wrong_input_size_names_expected_and_actual() -> None:
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        MLP(2, [1], seed=0)([1, 2, 3])
    with pytest.raises(ValueError, match="1-D"):
        MLP(2, [1], seed=0)(np.ones((2, 1)))
    with pytest.raises(TypeError, match="sequence of numbers"):
        Neuron(2, seed=0)(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sequence of numbers, got dict"):
        Neuron(2, seed=0)({0: 1.0, 1: 2.0})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sequence of numbers, got set"):
        Neuron(2, seed=0)({1.0, 2.0})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expects a real number, got str"):
        Neuron(2, seed=0)(["a", "b"])  # type: ignore[list-item]


def test_bad_construction_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Neuron(2, activation="swish")
    with pytest.raises(ValueError, match="needs 2 weights, got 3"):
        Neuron(2, weights=[1, 2, 3])
    with pytest.raises(ValueError, match="nin must be a whole number >= 1, got 0"):
        MLP(0, [1])
    with pytest.raises(ValueError, match="at least one layer"):
        MLP(2, [])


@pytest.mark.parametrize(
    "activation", ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus"]
)
def test_every_activation_trains_through_backward(activation: str) -> None:
    model = MLP(2, [3, 1], activation=activation, seed=0)
    output = model([0.5, -1.5])
    assert isinstance(output, Value)
    output.backward()
    assert any(p.grad != 0.0 for p in model.parameters())


def test_zero_grad_clears_every_parameter() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    output = model([1.0, 2.0])
    assert isinstance(output, Value)
    output.backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_repr_shows_the_architecture() -> None:
    text = repr(MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid"))
    assert "Layer(2, 2, activation='sigmoid')" in text
    assert "Layer(2, 1, activation='sigmoid')" in text


# ---------------------------------------------------------------------- saving and loading


def test_save_and_load_round_trip_exactly(tmp_path: Path) -> None:
    model = MLP(2, [4, 1], activation="tanh", seed=3)
    path = tmp_path / "model.json"
    model.save(path)
    other = MLP(2, [4, 1], activation="tanh", seed=99)
    other.load(path)
    assert [p.data for p in other.parameters()] == [p.data for p in model.parameters()]
    rebuilt = load_module(path)
    assert [p.data for p in rebuilt.parameters()] == [p.data for p in model.parameters()]
    assert rebuilt.architecture() == model.architecture()
    assert json.loads(path.read_text())["format"] == "tinygrad_edu.module"


def _broken_files(good: dict[str, object]) -> dict[str, str]:
    def changed(**changes: object) -> str:
        return json.dumps({**good, **changes})

    parameters = dict(good["parameters"])  # type: ignore[call-overload]
    first = next(iter(parameters))
    text = json.dumps(good)
    return {
        "truncated": text[: len(text) // 2],
        "not json": "this is not JSON",
        "empty": "",
        "a list": "[1, 2, 3]",
        "wrong format": changed(format="something else"),
        "newer version": changed(version=2),
        "other architecture": changed(architecture={**good["architecture"], "nouts": [3, 1]}),  # type: ignore[dict-item]
        "missing parameter": changed(
            parameters={k: v for k, v in parameters.items() if k != first}
        ),
        "extra parameter": changed(parameters={**parameters, "layers.9.w0": 1.0}),
        "text value": changed(parameters={**parameters, first: "1.0"}),
        "bool value": changed(parameters={**parameters, first: True}),
        "infinite value": changed(parameters={**parameters, first: float("inf")}),
        "no parameters": changed(parameters=None),
        "huge value": changed(parameters={**parameters, first: 10**400}),
        "type not a name": changed(architecture={**good["architecture"], "type": ["MLP"]}),  # type: ignore[dict-item]
    }


def test_each_broken_file_is_rejected_and_leaves_the_model_untouched(tmp_path: Path) -> None:
    model = MLP(2, [2, 1], activation="sigmoid", seed=0)
    path = tmp_path / "good.json"
    model.save(path)
    good = json.loads(path.read_text())
    target = MLP(2, [2, 1], activation="sigmoid", seed=5)
    before = [p.data for p in target.parameters()]
    broken_files = {name: text.encode() for name, text in _broken_files(good).items()}
    broken_files["not UTF-8"] = b"\xff\xfe not text"
    for problem, content in broken_files.items():
        broken = tmp_path / f"{problem}.json"
        broken.write_bytes(content)
        with pytest.raises(ModelFileError):
            target.load(broken)
        assert [p.data for p in target.parameters()] == before, problem
        with pytest.raises(ModelFileError):
            load_module(broken)


def test_a_non_finite_parameter_is_not_saved(tmp_path: Path) -> None:
    model = Neuron(2, seed=0)
    model.bias.data = float("nan")
    with pytest.raises(ValueError, match="non-finite parameters: bias"):
        model.save(tmp_path / "nan.json")


def _model_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_hostile_json_is_a_model_file_error_not_a_crash(tmp_path: Path) -> None:
    good = json.dumps(
        {"format": "tinygrad_edu.module", "version": 1, "parameters": {"w0": 1.0, "bias": 0.0}}
    )[:-1]
    hostile = {
        "brackets nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
        "a 5,000-digit number": good + ', "architecture": {"type": "Neuron", "nin": '
        + "9" * 5000
        + ', "activation": "linear"}}',
        "a 5,000-digit parameter": good.replace("1.0", "1" * 5000) + ', "architecture": {}}',
        "an unknown key": good
        + ', "architecture": {"type": "Neuron", "nin": 1, "activation": "relu", "seed": 1}}',
    }
    for problem, text in hostile.items():
        with pytest.raises(ModelFileError):
            load_module(_model_file(tmp_path, text))
        assert problem


def test_a_small_file_cannot_make_load_module_build_a_big_model(tmp_path: Path) -> None:
    # 300 inputs and two layers of 300: 180,600 parameters described in 200 bytes.
    architecture = {
        "type": "MLP",
        "nin": 300,
        "nouts": [300, 300],
        "activation": "relu",
        "output_activation": "linear",
    }
    document = {"format": "tinygrad_edu.module", "version": 1, "architecture": architecture}
    path = _model_file(tmp_path, json.dumps({**document, "parameters": {"w0": 1.0}}))
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="180,600 parameters, but the file holds 1"):
            load_module(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # bytes: the model was never built
    huge = {**architecture, "nin": 10**40}
    with pytest.raises(ModelFileError, match="more than 1,000,000 parameters"):
        load_module(
            _model_file(
                tmp_path, json.dumps({**document, "architecture": huge, "parameters": {}})
            )
        )


class CountingName(str):
    """A parameter name that counts how often it is compared with another."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountingName.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_loading_compares_each_parameter_name_a_few_times_not_with_every_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checking each stored name against a list of the model's names made loading take
    # time quadratic in the parameter count (a 94,000-parameter MLP: 100 s).
    model = MLP(4, [40, 40, 1], seed=0)
    path = tmp_path / "model.json"
    model.save(path)
    named = [(CountingName(name), value) for name, value in model.named_parameters()]
    monkeypatch.setattr(model, "named_parameters", lambda: named)
    model.load(path)
    assert CountingName.comparisons <= 3 * len(named)
