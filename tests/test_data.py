"""Data: the tutorial's people as the tutorial shifts them, and seeded 2-D sets."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import data


def test_the_tutorials_people_and_shifts() -> None:
    X, y = data.people()
    assert X.tolist() == [[-2, -1], [25, 6], [17, 4], [-15, -6]]
    assert y.tolist() == [1, 0, 0, 1]
    assert [p.name for p in data.PEOPLE] == ["Alice", "Bob", "Charlie", "Diana"]
    emily, frank = data.TEST_PEOPLE
    assert (emily.name, emily.features) == ("Emily", [-7, -3])
    assert (frank.name, frank.features) == ("Frank", [20, 2])


@pytest.mark.parametrize("make", [data.xor, data.moons, data.circles, data.spirals, data.gaussians])
def test_generators_are_seeded_shaped_and_balanced(make: object) -> None:
    X, y = make(n=101, seed=3)  # type: ignore[operator]
    again, labels = make(n=101, seed=3)  # type: ignore[operator]
    other, _ = make(n=101, seed=4)  # type: ignore[operator]
    assert X.shape == (101, 2) and y.shape == (101,)
    assert np.array_equal(X, again) and np.array_equal(y, labels)
    assert not np.array_equal(X, other)
    assert set(y.tolist()) == {0.0, 1.0}
    assert 0.3 < y.mean() < 0.7


def test_xor_labels_follow_the_quadrants_when_noise_is_small() -> None:
    X, y = data.xor(n=50, noise=0.01, seed=0)
    assert np.array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(float))


def test_spirals_make_one_arm_per_class_each_a_turn_fraction_apart() -> None:
    X, y = data.spirals(n=301, noise=0.0, classes=3, seed=0)
    assert np.bincount(y.astype(int)).tolist() == [100, 100, 101]
    # Without noise, each arm's innermost point sits at radius 0.1, at angle 2*pi*k/3
    # plus the same twist: the arms are the same spiral turned by a third of a circle.
    angles = []
    for label in range(3):
        arm = X[y == label]
        innermost = arm[np.argmin(np.hypot(arm[:, 0], arm[:, 1]))]
        assert np.hypot(*innermost) == pytest.approx(0.1)
        angles.append(np.arctan2(innermost[1], innermost[0]))
    turns = np.diff(np.unwrap(angles))
    assert turns == pytest.approx([2 * np.pi / 3, 2 * np.pi / 3])


def test_gaussians_are_two_clouds_around_opposite_corners() -> None:
    X, y = data.gaussians(n=2000, noise=0.0, spread=0.35, seed=0)
    for label, centre in ((0.0, -1.0), (1.0, 1.0)):
        cloud = X[y == label]
        assert cloud.mean(axis=0) == pytest.approx([centre, centre], abs=0.05)
        assert cloud.std(axis=0) == pytest.approx([0.35, 0.35], abs=0.03)


def test_bad_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match="n must be"):
        data.moons(n=1)
    with pytest.raises(ValueError, match="noise"):
        data.xor(noise=-1)
    with pytest.raises(ValueError, match="factor"):
        data.circles(factor=2)
    with pytest.raises(ValueError, match="classes must be"):
        data.spirals(classes=1)
    with pytest.raises(ValueError, match="spread"):
        data.gaussians(spread=-0.1)
