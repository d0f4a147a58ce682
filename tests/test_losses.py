"""Losses: the tutorial's MSE, cross-entropy stable at the edges, hinge, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import Value, gradcheck
from tinygrad_edu.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    hinge_loss,
    mse_loss,
)

from .strategies import reals


def test_the_tutorials_mse_example() -> None:
    assert mse_loss([1, 0, 0, 1], [0, 0, 0, 0]).data == 0.5
    assert mse_loss(np.array([1, 0, 0, 1]), np.array([0, 0, 0, 0])).data == 0.5


def test_mse_of_one_sample_is_the_squared_error() -> None:
    y_pred = Value(0.25)
    loss = mse_loss(1.0, y_pred)
    loss.backward()
    assert loss.data == 0.75**2
    assert y_pred.grad == -2 * 0.75


@given(st.lists(st.tuples(st.sampled_from([0.0, 1.0]), reals(-5, 5)), min_size=1, max_size=5))
def test_losses_have_the_gradients_of_their_formulas(pairs: list[tuple[float, float]]) -> None:
    targets = [t for t, _ in pairs]
    scores = [s for _, s in pairs]
    gradcheck(lambda *p: mse_loss(targets, list(p)), scores)
    gradcheck(lambda *z: binary_cross_entropy_with_logits(targets, list(z)), scores)
    gradcheck(lambda *z: binary_cross_entropy(targets, [v.sigmoid() for v in z]), scores)
    signs = [2 * t - 1 for t in targets]
    if all(abs(1 - t * s) > 1e-3 for t, s in zip(signs, scores)):  # away from the hinge
        gradcheck(lambda *s: hinge_loss(signs, list(s)), scores)


@given(z=reals(-30, 30), target=st.sampled_from([0.0, 1.0]))
def test_cross_entropy_from_logits_matches_the_definition(z: float, target: float) -> None:
    # log p = -log(1 + e**-z) and log(1 - p) = -z - log(1 + e**-z), written without
    # the cancellation of 1 - p for large z
    log_p = -math.log1p(math.exp(-z))
    log_1_minus_p = -z + log_p
    expected = -(target * log_p + (1 - target) * log_1_minus_p)
    loss = binary_cross_entropy_with_logits([target], [z]).data
    assert loss == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_cross_entropy_is_finite_at_probabilities_zero_and_one() -> None:
    for p, target in [(0.0, 1.0), (1.0, 0.0), (0.0, 0.0), (1.0, 1.0)]:
        prediction = Value(p)
        loss = binary_cross_entropy([target], [prediction])
        loss.backward()
        assert math.isfinite(loss.data) and math.isfinite(prediction.grad)
    assert binary_cross_entropy([1.0], [0.0]).data == pytest.approx(-math.log(1e-7))
    assert binary_cross_entropy_with_logits([1.0], [-1000.0]).data == 1000.0
    assert binary_cross_entropy_with_logits([0.0], [1000.0]).data == 1000.0


def test_hinge_loss_of_a_confident_right_answer_is_zero() -> None:
    assert hinge_loss([1, -1], [2.0, -3.0]).data == 0.0
    assert hinge_loss([1], [0.5]).data == 0.5


def test_numpy_scalars_and_integer_labels_are_accepted() -> None:
    assert mse_loss(np.int64(1), Value(0.5)).data == 0.25
    assert mse_loss(np.float32(1), 0.5).data == 0.25
    labels = np.array([1, 0])
    assert binary_cross_entropy_with_logits(labels, [0.0, 0.0]).data == pytest.approx(math.log(2))


def test_mismatched_empty_or_wrong_labels_are_errors() -> None:
    with pytest.raises(ValueError, match="3 targets but 2 predictions"):
        mse_loss([1, 0, 1], [Value(0.0), Value(1.0)])
    with pytest.raises(ValueError, match="no targets"):
        mse_loss([], [])
    with pytest.raises(ValueError, match="labels -1 or \\+1"):
        hinge_loss([0, 1], [0.5, 0.5])
    with pytest.raises(TypeError, match="bool"):
        mse_loss(True, 1.0)
    with pytest.raises(ValueError, match=r"targets between 0 and 1, got 2\.0"):
        binary_cross_entropy([2.0], [0.5])


@pytest.mark.parametrize("prediction", [-0.5, 1.5, math.nan, -math.inf])
def test_binary_cross_entropy_refuses_predictions_that_are_not_probabilities(
    prediction: float,
) -> None:
    # The clamp to [1e-7, 1 - 1e-7] would give such a prediction gradient 0: training
    # would stall without a word. PyTorch refuses them too.
    with pytest.raises(ValueError, match="predicted probabilities between 0 and 1"):
        binary_cross_entropy([1.0, 0.0], [Value(0.5), Value(prediction)])
