"""Pictures of training, saved as PNG files with matplotlib (an optional extra:
``pip install 'tinygrad_edu[plot]'``): loss and accuracy curves, a CNN's first-layer
filters with the digits it got wrong, and gradient norms through time for an RNN.

Only the figure objects are used (``matplotlib.figure.Figure``), not pyplot's global
state, so drawing works the same in scripts, tests and servers, without a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tinygrad_edu.demos import History

PLOT_HINT = "drawing needs matplotlib: pip install 'tinygrad_edu[plot]' (or pip install matplotlib)"


def plot_history(history: History, path: str | Path, title: str = "training") -> Path:
    """Loss (left) and accuracy in % (right) per epoch, as a PNG file at ``path``."""
    figure = _figure(figsize=(9, 3.5))
    epochs = np.arange(1, len(history.loss) + 1)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, history.loss, marker="o")
    loss_axes.set(title=f"{title}: loss", xlabel="epoch", ylabel="mean loss")
    for name, values in (
        ("train, during the epoch", history.train_accuracy),
        ("test", history.test_accuracy),
    ):
        if values:
            accuracy_axes.plot(epochs, 100 * np.asarray(values), marker="o", label=name)
    accuracy_axes.set(title=f"{title}: accuracy", xlabel="epoch", ylabel="%")
    if history.train_accuracy or history.test_accuracy:
        accuracy_axes.legend()
    return _save(figure, path)


def plot_filters_and_mistakes(
    filters: np.ndarray[Any, Any],
    images: np.ndarray[Any, Any],
    labels: np.ndarray[Any, Any],
    predictions: np.ndarray[Any, Any],
    path: str | Path,
    mistakes: int = 8,
) -> Path:
    """The first convolution's filters (out_channels, 1, kh, kw) as small grey
    pictures (top), and up to ``mistakes`` misclassified images with their true and
    predicted labels (bottom), as a PNG file at ``path``."""
    wrong = np.flatnonzero(predictions != labels)[:mistakes]
    figure = _figure(figsize=(max(len(filters), 2 * len(wrong), 4) * 0.75, 3.4))
    top, bottom = figure.subfigures(2, 1, height_ratios=(1, 1.3))
    top.suptitle(
        f"the {len(filters)} learned filters of the first layer ({filters.shape[2]}x"
        f"{filters.shape[3]} weights each)",
        fontsize=10,
    )
    for axes, kernel in zip(np.atleast_1d(top.subplots(1, len(filters))), filters):
        axes.imshow(kernel[0], cmap="gray")
        axes.set_axis_off()
    bottom.suptitle(f"{len(wrong)} test digits it got wrong: true label as predicted", fontsize=10)
    if len(wrong):
        for axes, index in zip(np.atleast_1d(bottom.subplots(1, len(wrong))), wrong):
            axes.imshow(images[index, 0], cmap="gray_r")
            axes.set_title(f"{labels[index]} as {predictions[index]}", fontsize=9)
            axes.set_axis_off()
    return _save(figure, path)


def plot_gradient_norms(norms: Mapping[str, Sequence[float]], path: str | Path, title: str) -> Path:
    """For each named model, |d loss / d h_t| against how many steps t lies before the
    loss, on a log scale: a straight falling line is a vanishing gradient."""
    figure = _figure(figsize=(7.5, 4.2))
    axes = figure.subplots()
    for name, values in norms.items():
        axes.semilogy(np.arange(len(values)), values, label=name)
    axes.set(title=title, xlabel="steps before the loss", ylabel="gradient norm (log scale)")
    axes.legend()
    return _save(figure, path)


def require_matplotlib() -> None:
    """Raise ImportError with the install hint if matplotlib is missing (checked before
    a long training run, rather than after it)."""
    _figure_class()


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(PLOT_HINT) from None
    return Figure


def _figure(figsize: tuple[float, float]) -> Any:
    return _figure_class()(figsize=figsize, layout="constrained")


def _save(figure: Any, path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(
            f"pictures are saved as PNG: the file name must end in .png, got {path.name!r}"
        )
    figure.savefig(path, dpi=100)
    return path
