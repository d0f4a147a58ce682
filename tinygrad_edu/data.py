"""Data to learn from: the tutorial's people, and small 2-D sets to try next.

Every generator takes a ``seed``: the same seed gives the same points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_edu.checks import random_generator, real_number, whole_number

Dataset = tuple["np.ndarray[Any, np.dtype[np.float64]]", "np.ndarray[Any, np.dtype[np.float64]]"]
"""``(X, y)``: an (n, 2) array of points and an (n,) array of 0/1 labels."""

WEIGHT_SHIFT_LB = 135
HEIGHT_SHIFT_IN = 66
"""The tutorial subtracts these (roughly the group's averages) so inputs sit near 0,
where the sigmoid is steep and learning is quick."""


@dataclass(frozen=True)
class Person:
    """One row of the tutorial's table; gender is 1 for female, 0 for male."""

    name: str
    weight_lb: float
    height_in: float
    gender: int | None = None

    @property
    def features(self) -> list[float]:
        """[weight - 135, height - 66]: the inputs the tutorial's network sees."""
        return [self.weight_lb - WEIGHT_SHIFT_LB, self.height_in - HEIGHT_SHIFT_IN]


PEOPLE = (
    Person("Alice", 133, 65, gender=1),
    Person("Bob", 160, 72, gender=0),
    Person("Charlie", 152, 70, gender=0),
    Person("Diana", 120, 60, gender=1),
)
"""The four people the tutorial trains on."""

TEST_PEOPLE = (Person("Emily", 128, 63), Person("Frank", 155, 68))
"""The two people the tutorial asks the trained network about."""


def people() -> Dataset:
    """The tutorial's training set: X holds [weight - 135, height - 66], y is 1 for F."""
    return (
        np.array([person.features for person in PEOPLE], dtype=np.float64),
        np.array([person.gender for person in PEOPLE], dtype=np.float64),
    )


def xor(n: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Points near the four corners of [-1, 1]^2; label 1 where x and y differ in sign.

    No straight line separates the classes: a network needs a hidden layer.
    """
    generator = _generator(n, noise, seed)
    corners = generator.choice([-1.0, 1.0], size=(n, 2))
    X = corners + noise * generator.standard_normal((n, 2))
    y = (corners[:, 0] != corners[:, 1]).astype(np.float64)
    return X, y


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles, label 0 for the upper one and 1 for the lower."""
    generator = _generator(n, noise, seed)
    upper = n // 2
    angles = np.concatenate([np.linspace(0, np.pi, upper), np.linspace(0, np.pi, n - upper)])
    X = np.column_stack([np.cos(angles), np.sin(angles)])
    X[upper:] = np.column_stack([1 - X[upper:, 0], 0.5 - X[upper:, 1]])
    y = np.concatenate([np.zeros(upper), np.ones(n - upper)])
    return _shuffled(X + noise * generator.standard_normal((n, 2)), y, generator)


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Dataset:
    """A ring of radius 1 (label 0) around a ring of radius ``factor`` (label 1)."""
    factor = real_number("factor", factor, above=0.0, below=1.0)
    generator = _generator(n, noise, seed)
    outer = n // 2
    angles = generator.uniform(0, 2 * np.pi, n)
    radii = np.where(np.arange(n) < outer, 1.0, factor)
    X = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    y = (np.arange(n) >= outer).astype(np.float64)
    return _shuffled(X + noise * generator.standard_normal((n, 2)), y, generator)


def spirals(
    n: int = 200, noise: float = 0.05, turns: float = 1.5, seed: int = 0, classes: int = 2
) -> Dataset:
    """``classes`` spirals winding around each other, one per label 0, 1, ...: hard for
    small networks. Spiral k starts at angle 2*pi*k/classes."""
    turns = real_number("turns", turns, above=0.0)
    generator = _generator(n, noise, seed)
    if whole_number("classes", classes, minimum=2) > n:
        raise ValueError(f"classes must be at most n={n}, got {classes!r}")
    sizes = [n // classes] * (classes - 1)
    sizes.append(n - sum(sizes))
    labels = np.repeat(np.arange(classes, dtype=np.float64), sizes)
    radii = np.concatenate([np.linspace(0.1, 1, size) for size in sizes])
    angles = radii * turns * 2 * np.pi + 2 * np.pi * labels / classes
    X = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    return _shuffled(X + noise * generator.standard_normal((n, 2)), labels, generator)


def gaussians(n: int = 200, noise: float = 0.1, spread: float = 0.35, seed: int = 0) -> Dataset:
    """Two round clouds of points: label 0 around (-1, -1), label 1 around (1, 1).

    Each cloud is normal with standard deviation ``spread``; ``noise`` adds more, as in
    the other sets, until the clouds overlap. A straight line separates them.
    """
    spread = real_number("spread", spread, at_least=0.0)
    generator = _generator(n, noise, seed)
    first = n // 2
    labels = (np.arange(n) >= first).astype(np.float64)
    centres = np.where(labels[:, None] == 1.0, 1.0, -1.0) * np.ones((n, 2))
    deviation = float(np.hypot(spread, noise))  # two independent normal spreads add so
    X = centres + deviation * generator.standard_normal((n, 2))
    return _shuffled(X, labels, generator)


def _generator(n: int, noise: float, seed: int) -> np.random.Generator:
    """The seeded generator, once the arguments every set takes are checked."""
    whole_number("n", n, minimum=2)
    real_number("noise", noise, at_least=0.0)
    return random_generator("seed", seed)


def _shuffled(
    X: np.ndarray[Any, np.dtype[np.float64]],
    y: np.ndarray[Any, np.dtype[np.float64]],
    generator: np.random.Generator,
) -> Dataset:
    """The points in random order, so that mini-batches mix both labels."""
    order = generator.permutation(len(y))
    return X[order], y[order]
