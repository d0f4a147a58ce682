"""A small, measured comparison of optimizers, activations and losses on two moons.

Run it from the repository root:

    python docs/compare_optimizers.py          # the full run shown in docs/guides/choosing.md
    python docs/compare_optimizers.py --fast   # a few points and epochs, to check it runs

Every run starts from the same seeded weights and visits the points in the same
seeded order, so the full run prints exactly the numbers on the page. Each table
changes one thing and keeps everything else fixed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tinygrad_edu import Value
from tinygrad_edu.data import moons
from tinygrad_edu.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    hinge_loss,
    mse_loss,
)
from tinygrad_edu.nn import MLP
from tinygrad_edu.optim import SGD, Adam, Optimizer, RMSprop
from tinygrad_edu.train import accuracy, fit

LossFunction = Callable[[Sequence[float], Sequence[Value]], Value]
MakeOptimizer = Callable[[list[Value]], Optimizer]


@dataclass(frozen=True)
class Sizes:
    """How big a run is: points per set, hidden layers, epochs, batch size, random starts."""

    points: int
    hidden: tuple[int, ...]
    epochs: int
    batch_size: int
    seeds: tuple[int, ...]


FULL = Sizes(points=100, hidden=(8,), epochs=40, batch_size=10, seeds=(0, 1, 2))
FAST = Sizes(points=20, hidden=(3,), epochs=2, batch_size=10, seeds=(0,))
TARGET_ACCURACY = 0.95
NOISE = 0.1
TRAIN_DATA_SEED, TEST_DATA_SEED = 0, 1


def adam(parameters: list[Value]) -> Optimizer:
    """The optimizer every table uses unless it varies the optimizer."""
    return Adam(parameters, lr=0.02)


@dataclass(frozen=True)
class Setting:
    """How to train one row of a table; every field not given is the baseline's."""

    activation: str = "tanh"
    output_activation: str = "sigmoid"
    loss: LossFunction = binary_cross_entropy
    make_optimizer: MakeOptimizer = adam
    signed_targets: bool = False  # hinge loss wants labels -1/+1 instead of 0/1
    threshold: float = 0.5  # outputs above it count as label 1 (0 for raw scores)


BASELINE = Setting()
"""tanh hidden layer, sigmoid output, binary cross-entropy, Adam lr=0.02."""

TABLES: list[tuple[str, list[tuple[str, Setting]]]] = [
    (
        "Optimizers (tanh hidden layer, sigmoid output, binary cross-entropy)",
        [
            ("SGD lr=0.1", Setting(make_optimizer=lambda p: SGD(p, lr=0.1))),
            ("SGD lr=0.1 momentum=0.9", Setting(make_optimizer=lambda p: SGD(p, 0.1, 0.9))),
            ("RMSprop lr=0.01", Setting(make_optimizer=lambda p: RMSprop(p, lr=0.01))),
            ("Adam lr=0.02", BASELINE),
        ],
    ),
    (
        "Hidden activations (sigmoid output, binary cross-entropy, Adam lr=0.02)",
        [
            ("sigmoid", Setting(activation="sigmoid")),
            ("tanh", BASELINE),
            ("relu", Setting(activation="relu")),
            ("leaky_relu", Setting(activation="leaky_relu")),
        ],
    ),
    (
        "Losses (tanh hidden layer, Adam lr=0.02)",
        [
            ("mse, sigmoid output", Setting(loss=mse_loss)),
            ("binary cross-entropy, sigmoid output", BASELINE),
            (
                "bce with logits, linear output",
                Setting(
                    output_activation="linear",
                    loss=binary_cross_entropy_with_logits,
                    threshold=0.0,
                ),
            ),
            (
                "hinge (-1/+1), linear output",
                Setting(
                    output_activation="linear",
                    loss=hinge_loss,
                    signed_targets=True,
                    threshold=0.0,
                ),
            ),
        ],
    ),
]


@dataclass(frozen=True)
class Result:
    """What one training run measured, and the trained network (docs/make_plots.py
    draws its loss curve and its decision boundary)."""

    final_loss: float
    train_accuracy: float
    test_accuracy: float
    first_good_epoch: int | None  # first epoch with train accuracy >= TARGET_ACCURACY
    history: list[float]  # the loss after each epoch
    model: MLP


def run(setting: Setting, sizes: Sizes, seed: int) -> Result:
    """Train a fresh network from the random start ``seed`` and measure it."""
    X_train, y_train = moons(sizes.points, noise=NOISE, seed=TRAIN_DATA_SEED)
    X_test, y_test = moons(sizes.points, noise=NOISE, seed=TEST_DATA_SEED)
    targets = 2 * y_train - 1 if setting.signed_targets else y_train
    model = MLP(
        2,
        [*sizes.hidden, 1],
        activation=setting.activation,
        output_activation=setting.output_activation,
        seed=seed,
    )
    good_epochs: list[int] = []

    def note_accuracy(epoch: int, loss: float) -> None:
        if accuracy(model, X_train, y_train, setting.threshold) >= TARGET_ACCURACY:
            good_epochs.append(epoch)

    history = fit(
        model,
        X_train,
        targets,
        loss=setting.loss,
        optimizer=setting.make_optimizer(model.parameters()),
        epochs=sizes.epochs,
        batch_size=sizes.batch_size,
        shuffle=True,
        seed=seed,
        callback=note_accuracy,
    )
    return Result(
        final_loss=history[-1],
        train_accuracy=accuracy(model, X_train, y_train, setting.threshold),
        test_accuracy=accuracy(model, X_test, y_test, setting.threshold),
        first_good_epoch=good_epochs[0] if good_epochs else None,
        history=history,
        model=model,
    )


def describe(sizes: Sizes) -> list[str]:
    """The lines above the tables: what was run, and how to read the numbers."""
    network = "-".join(str(size) for size in (2, *sizes.hidden, 1))
    seeds = ", ".join(str(seed) for seed in sizes.seeds)
    return [
        f"Two moons, noise {NOISE}: {sizes.points} training and {sizes.points} test points.",
        f"Network {network}, {sizes.epochs} epochs in shuffled batches of {sizes.batch_size}, "
        f"random starts (seeds) {seeds}.",
        "Loss and accuracies are means over the starts; the last column is each start's",
        f"first epoch with at least {TARGET_ACCURACY:.0%} training accuracy ('-': never).",
    ]


def report(sizes: Sizes) -> str:
    """The description and every table, as the script prints them."""
    lines = describe(sizes)
    header = (
        f"  {'setting':<38}{'final loss':>11}{'train acc':>10}{'test acc':>9}"
        f"   epoch at {TARGET_ACCURACY:.0%}"
    )
    measured: dict[Setting, list[Result]] = {}
    for title, rows in TABLES:
        lines += ["", title, header]
        for name, setting in rows:
            if setting not in measured:  # the baseline appears in every table: train it once
                measured[setting] = [run(setting, sizes, seed) for seed in sizes.seeds]
            results = measured[setting]
            epochs = " ".join(
                "-" if r.first_good_epoch is None else str(r.first_good_epoch) for r in results
            )
            lines.append(
                f"  {name:<38}{_mean(r.final_loss for r in results):>11.4f}"
                f"{_mean(r.train_accuracy for r in results):>10.0%}"
                f"{_mean(r.test_accuracy for r in results):>9.0%}   {epochs}"
            )
    return "\n".join(lines)


def _mean(numbers: Iterable[float]) -> float:
    values = list(numbers)
    return sum(values) / len(values)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fast",
        action="store_true",
        help="a tiny run (20 points, 2 epochs, 1 start) to check it works",
    )
    args = parser.parse_args(argv)
    print(report(FAST if args.fast else FULL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
