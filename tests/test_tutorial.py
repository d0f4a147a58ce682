"""The tutorial reproduced: every worked number, by hand and by autograd, and training."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import Value
from tinygrad_edu.data import TEST_PEOPLE, people
from tinygrad_edu.losses import mse_loss
from tinygrad_edu.nn import MLP
from tinygrad_edu.optim import SGD
from tinygrad_edu.tutorial import (
    PARAMETER_NAMES,
    WORKED_EXAMPLE,
    HandDerivedNetwork,
    initial_parameters,
    tutorial_loss,
    tutorial_network,
)

from .strategies import reals

ALICE, ALICE_IS_FEMALE = [-2.0, -1.0], 1.0


def _autograd_gradients(
    params: dict[str, float], x: list[float], y_true: float
) -> dict[str, float]:
    model = tutorial_network(params=params)
    output = model(x)
    assert isinstance(output, Value)
    mse_loss([y_true], [output]).backward()
    return {p.label: p.grad for p in model.parameters()}


def test_feedforward_example_by_hand_and_by_autograd() -> None:
    params = {name: (1.0 if name in ("w2", "w4", "w6") else 0.0) for name in PARAMETER_NAMES}
    output = tutorial_network(params=params)([2, 3])
    assert isinstance(output, Value)
    assert output.data == 0.7216325609518421
    assert HandDerivedNetwork(params=params).feedforward([2, 3]) == 0.7216325609518421


def test_backprop_worked_example_by_hand_and_by_autograd() -> None:
    net = HandDerivedNetwork(params=WORKED_EXAMPLE)
    forward = net._forward(ALICE)
    assert round(forward["h1"], 4) == round(forward["h2"], 4) == 0.0474
    assert round(forward["y_pred"], 3) == 0.524
    assert net.gradients(ALICE, ALICE_IS_FEMALE)["w1"] == 0.02146953526581111
    autograd = _autograd_gradients(WORKED_EXAMPLE, ALICE, ALICE_IS_FEMALE)
    assert autograd["w1"] == 0.02146953526581111


def test_tutorial_loss_is_alices_worked_example_by_default() -> None:
    loss, model = tutorial_loss()
    loss.backward()
    assert loss.label == "L" and model.parameters()[0].grad == 0.02146953526581111
    emily = TEST_PEOPLE[0]
    with pytest.raises(ValueError, match="Emily has no known gender"):
        tutorial_loss(emily)


def test_the_autograd_graph_carries_the_tutorials_names() -> None:
    model = tutorial_network(params=WORKED_EXAMPLE)
    output = model(ALICE)
    assert isinstance(output, Value)
    assert output.label == "y_pred"
    assert [p.label for p in model.parameters()] == list(PARAMETER_NAMES)
    hidden_labels = {node.label for node in output.inputs[0].inputs[0].inputs[0].inputs}
    assert "h1" in hidden_labels


def test_the_same_seed_gives_the_same_start_both_ways() -> None:
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=11)
    assert [p.data for p in model.parameters()] == list(initial_parameters(11).values())
    assert HandDerivedNetwork(seed=11).params == initial_parameters(11)
    assert [p.data for p in tutorial_network(seed=11).parameters()] == list(
        initial_parameters(11).values()
    )


parameter_sets = st.fixed_dictionaries({name: reals(-3, 3) for name in PARAMETER_NAMES})
samples = st.lists(reals(-10, 10), min_size=2, max_size=2)


@given(params=parameter_sets, x=samples, y_true=st.sampled_from([0.0, 1.0]))
def test_autograd_gradients_equal_the_hand_derived_ones(
    params: dict[str, float], x: list[float], y_true: float
) -> None:
    by_hand = HandDerivedNetwork(params=params).gradients(x, y_true)
    autograd = _autograd_gradients(params, x, y_true)
    for name in PARAMETER_NAMES:
        assert autograd[name] == pytest.approx(by_hand[name], rel=1e-9, abs=1e-300), name


@given(params=parameter_sets, x=samples, y_true=st.sampled_from([0.0, 1.0]), lr=reals(0.01, 1))
def test_one_sgd_step_lands_on_the_same_parameters(
    params: dict[str, float], x: list[float], y_true: float, lr: float
) -> None:
    net = HandDerivedNetwork(params=params)
    net.sgd_step(x, y_true, lr)
    model = tutorial_network(params=params)
    output = model(x)
    assert isinstance(output, Value)
    mse_loss([y_true], [output]).backward()
    SGD(model.parameters(), lr=lr).step()
    for parameter in model.parameters():
        assert parameter.data == pytest.approx(net.params[parameter.label], rel=1e-12, abs=1e-15)


def test_training_calls_emily_female_and_frank_male_for_at_least_8_of_10_seeds() -> None:
    X, y = people()
    emily, frank = (person.features for person in TEST_PEOPLE)
    right = 0
    for seed in range(10):
        net = HandDerivedNetwork(seed=seed)
        history = net.train(X, y, lr=0.1, epochs=1000)
        assert history[-1] < history[0]
        right += net.feedforward(emily) > 0.5 and net.feedforward(frank) < 0.5
    assert right >= 8


def test_bad_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="missing \\['b3'\\]"):
        HandDerivedNetwork(params={k: v for k, v in WORKED_EXAMPLE.items() if k != "b3"})
    with pytest.raises(TypeError, match="params\\['w1'\\] must be a number"):
        HandDerivedNetwork(params={**WORKED_EXAMPLE, "w1": "1"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        HandDerivedNetwork(seed=0).feedforward([1, 2, 3])
