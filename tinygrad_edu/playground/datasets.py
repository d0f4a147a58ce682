"""The playground's data: 2-D points with class labels, and the features a network sees.

A data set is a cloud of points (x1, x2), each of class 0, 1 (or 2, for three spirals).
The built-in sets come from ``tinygrad_edu.data``, moved and stretched to fill about
[-3, 3] x [-3, 3]: wide enough that sin x1 bends and x1² curves, small enough that
tanh and sigmoid neurons are not saturated from the start. Your own points come from
a CSV file of rows ``x1,x2,label``.

The network does not have to see (x1, x2) as they are: it sees the *features* you
tick, such as x1² or sin x1, each computed from the point. With x1² and x2² a
straight line in feature space is a circle in the plane, so circles need no hidden
layer; that is the playground's first lesson in feature engineering.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_edu import data
from tinygrad_edu.playground.messages import shown

Array = np.ndarray[Any, np.dtype[np.float64]]
Labels = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True)
class Points:
    """Points ``X`` of shape (n, 2) and their class ``labels`` (n,), from 0 to classes - 1."""

    X: Array
    labels: Labels
    classes: int

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: np.ndarray[Any, Any]) -> Points:
        """The points at ``indices``, as a new Points with the same classes."""
        return Points(self.X[indices], self.labels[indices], self.classes)


# ---------------------------------------------------------------------- built-in sets

Maker = Callable[[int, float, int], data.Dataset]


@dataclass(frozen=True)
class BuiltIn:
    """A data set of ``tinygrad_edu.data``, and how to move it into view: the point
    ``centre`` goes to (0, 0), then everything is stretched by ``scale``."""

    title: str
    make: Maker
    centre: tuple[float, float]
    scale: float


DATASETS: dict[str, BuiltIn] = {
    "xor": BuiltIn("xor", lambda n, noise, seed: data.xor(n, noise, seed), (0, 0), 1.5),
    "circles": BuiltIn(
        "circles", lambda n, noise, seed: data.circles(n, noise, seed=seed), (0, 0), 2.5
    ),
    "moons": BuiltIn(
        "two moons", lambda n, noise, seed: data.moons(n, noise, seed), (0.5, 0.25), 1.6
    ),
    "gaussians": BuiltIn(
        "two gaussians",
        lambda n, noise, seed: data.gaussians(n, noise, seed=seed),
        (0, 0),
        1.5,
    ),
    "spirals": BuiltIn(
        "spirals", lambda n, noise, seed: data.spirals(n, noise, seed=seed), (0, 0), 2.5
    ),
    "spirals3": BuiltIn(
        "3 spirals",
        lambda n, noise, seed: data.spirals(n, noise, seed=seed, classes=3),
        (0, 0),
        2.5,
    ),
}
"""The built-in data sets by name, as the page and the URL name them."""


def make_points(name: str, n: int, noise: float, seed: int) -> Points:
    """``n`` points of the built-in set ``name``, with ``noise`` (in the units of
    ``tinygrad_edu.data``, before stretching) and ``seed``."""
    dataset = DATASETS[name]
    X, y = dataset.make(n, noise, seed)
    X = (X - np.array(dataset.centre)) * dataset.scale
    labels = y.astype(np.int64)
    return Points(X, labels, int(labels.max()) + 1)


# ---------------------------------------------------------------------- your own points

MAX_CSV_ROWS = 10_000
MAX_COORDINATE = 1000.0
"""Coordinates beyond this are refused: features like x1² would dwarf everything else."""


def parse_csv(text: str, max_rows: int = MAX_CSV_ROWS) -> Points:
    """Points from CSV text with rows ``x1,x2,label`` (a header row is allowed).

    Labels are 0 and 1 (two classes) or 0, 1 and 2 (three). Any other row, a
    non-finite number, a coordinate beyond ±1000 or more than ``max_rows`` rows raise
    ValueError naming the line.
    """
    rows: list[tuple[float, float, int]] = []
    for line_number, cells in enumerate(csv.reader(text.splitlines()), start=1):
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if not rows and line_number == _first_line(text) and not _is_number(cells[0]):
            continue  # a header such as "x1,x2,label"
        if len(rows) == max_rows:
            raise ValueError(f"the CSV has more than {max_rows} rows of points")
        rows.append(_parse_row(cells, line_number))
    if len(rows) < 4:
        raise ValueError(f"the CSV needs at least 4 rows of points x1,x2,label; it has {len(rows)}")
    labels = np.array([label for _, _, label in rows], dtype=np.int64)
    found = sorted(set(labels.tolist()))
    if found not in ([0, 1], [0, 1, 2]):
        raise ValueError(
            f"the labels must be 0 and 1 (two classes) or 0, 1 and 2 (three); found {found}"
        )
    X = np.array([(x1, x2) for x1, x2, _ in rows], dtype=np.float64)
    return Points(X, labels, len(found))


def _first_line(text: str) -> int:
    """The number of the first line that is not blank."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            return number
    return 0


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _parse_row(cells: list[str], line_number: int) -> tuple[float, float, int]:
    where = f"CSV line {line_number}"
    if len(cells) != 3:
        raise ValueError(f"{where}: expected 3 values x1,x2,label, got {len(cells)}")
    try:
        x1, x2, label = (float(cell) for cell in cells)
    except ValueError:
        raise ValueError(f"{where}: {shown(','.join(cells))} are not all numbers") from None
    for name, coordinate in (("x1", x1), ("x2", x2)):
        if not abs(coordinate) <= MAX_COORDINATE:  # also catches nan
            raise ValueError(
                f"{where}: {name} = {coordinate} is not a number between "
                f"-{MAX_COORDINATE:g} and {MAX_COORDINATE:g}"
            )
    if label not in (0, 1, 2):
        raise ValueError(f"{where}: the label must be 0, 1 or 2, got {shown(cells[2].strip())}")
    return x1, x2, int(label)


# ---------------------------------------------------------------------- train and test


def split(points: Points, test_fraction: float, seed: int) -> tuple[Points, Points]:
    """A seeded random split into training and test points; the test part holds
    ``round(test_fraction * n)`` points, and each part at least one."""
    order = np.random.default_rng(seed).permutation(len(points))
    test_size = min(max(round(test_fraction * len(points)), 1), len(points) - 1)
    return points.subset(order[test_size:]), points.subset(order[:test_size])


def view_half_width(points: Points) -> float:
    """Half the side of the square, centred on (0, 0), that the page draws: the
    largest coordinate plus 10%, rounded up to a multiple of 0.5."""
    largest = float(np.abs(points.X).max()) * 1.1
    return max(math.ceil(largest * 2) / 2, 0.5)


# ---------------------------------------------------------------------- features


@dataclass(frozen=True)
class Feature:
    """One input of the network, computed from the point's coordinates."""

    title: str
    compute: Callable[[Array, Array], Array]


FEATURES: dict[str, Feature] = {
    "x1": Feature("x1", lambda x1, x2: x1),
    "x2": Feature("x2", lambda x1, x2: x2),
    "x1sq": Feature("x1²", lambda x1, x2: x1 * x1),
    "x2sq": Feature("x2²", lambda x1, x2: x2 * x2),
    "x1x2": Feature("x1·x2", lambda x1, x2: x1 * x2),
    "sinx1": Feature("sin x1", lambda x1, x2: np.sin(x1)),
    "sinx2": Feature("sin x2", lambda x1, x2: np.sin(x2)),
}
"""The input features by name, as the page and the URL name them."""


def feature_matrix(X: Array, features: tuple[str, ...]) -> Array:
    """The network's inputs for points ``X`` (n, 2): one column per feature, in order."""
    x1, x2 = X[:, 0], X[:, 1]
    return np.column_stack([FEATURES[name].compute(x1, x2) for name in features])


def grid(half_width: float, size: int) -> Array:
    """The centres of a ``size`` x ``size`` grid of cells over the square of half side
    ``half_width``, row by row from the top (x2 largest) down, as an image is stored."""
    edges = np.linspace(-half_width, half_width, size + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    x1, x2 = np.meshgrid(centres, centres[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])
