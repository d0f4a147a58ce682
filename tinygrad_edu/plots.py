"""Pictures of training, drawn with matplotlib.

matplotlib is optional (``pip install "tinygrad_edu[plot]"``): it is imported when a
function here is called, never before, so the rest of the package works without it.
Two kinds of function:

- for notebooks and scripts that show pictures: ``plot_losses`` and
  ``plot_decision_boundary`` draw into the ``ax`` they are given, or into a new figure,
  and return the ``matplotlib.axes.Axes``; Jupyter shows the figure below the cell;
- for the training demos, which write files: ``plot_history`` (loss and accuracy
  curves), ``plot_filters_and_mistakes`` (a CNN's first-layer filters with the digits
  it got wrong) and ``plot_gradient_norms`` (gradient norms through time for an RNN)
  save a PNG. They use only the figure objects (``matplotlib.figure.Figure``), not
  pyplot's global state, so they work the same in scripts, tests and servers, without
  a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_edu.train import Model, predict

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from tinygrad_edu.demos import History

INSTALL_MATPLOTLIB = (
    "tinygrad_edu.plots draws with matplotlib, which is not installed. Install it with\n"
    '    pip install "tinygrad_edu[plot]"      (or: pip install matplotlib)'
)

CLASS_COLOURS = ("#1f77b4", "#d62728")
"""Label 0 in blue, label 1 in red: points, and the regions the model gives them."""


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> Axes:
    """``ax`` itself, or the axes of a new figure (which needs matplotlib)."""
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ModuleNotFoundError:
        # "from None": the install hint is all a learner needs, not the chain behind it.
        raise ModuleNotFoundError(INSTALL_MATPLOTLIB) from None
    _, axes = plt.subplots(figsize=figsize, layout="constrained")
    return axes


def plot_losses(
    histories: Sequence[float] | Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    log_scale: bool = True,
    title: str | None = None,
) -> Axes:
    """Loss against epoch, for one run (a list such as ``fit`` returns) or several
    (a mapping from a name to its list, one line each, named in a legend).

    Epochs count from 1, as ``fit`` and the tutorial count them. ``log_scale``: a
    logarithmic loss axis, on which late progress (0.01 to 0.001) stays visible.
    """
    runs = dict(histories) if isinstance(histories, Mapping) else {"": histories}
    ax = new_axes(ax)
    for name, history in runs.items():
        if len(history) == 0:
            raise ValueError(f"plot_losses: the history {name!r} is empty")
        epochs = np.arange(1, len(history) + 1)
        ax.plot(epochs, np.asarray(history, dtype=float), label=name or None)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(True, which="major", alpha=0.3)
    if any(runs):
        ax.legend()
    if title:
        ax.set_title(title)
    return ax


def decision_grid(
    model: Model,
    X: np.ndarray[Any, Any],
    resolution: int = 60,
    margin: float = 0.1,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The model's output on a ``resolution`` x ``resolution`` grid over the box around
    the 2-D points X, widened by ``margin`` times its size on every side.

    Returns (xs, ys, outputs) with outputs[i, j] = model([xs[j], ys[i]]).data.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"a decision boundary needs points with 2 features, got shape {X.shape}")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    low, high = X.min(axis=0), X.max(axis=0)
    pad = margin * np.maximum(high - low, 1e-9)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    outputs = np.array([output.data for output in predict(model, points)])
    return xs, ys, outputs.reshape(grid_x.shape)


def plot_decision_boundary(
    model: Model,
    X: np.ndarray[Any, Any],
    y: Sequence[float] | np.ndarray[Any, Any],
    *,
    threshold: float = 0.5,
    ax: Axes | None = None,
    resolution: int = 60,
    point_labels: Sequence[str] | None = None,
    class_names: tuple[str, str] = ("label 0", "label 1"),
    title: str | None = None,
) -> Axes:
    """The 2-D points X coloured by their labels y (0 blue, 1 red) over the regions where
    the model's output is above ``threshold`` (light red) or below it (light blue); the
    line between the regions, output = threshold, is the decision boundary.

    Use ``threshold=0`` for a model whose output is a raw score (a logit). Each grid
    point costs one forward pass: ``resolution=60`` is 3600 of them.
    ``point_labels`` writes a name beside each point; ``class_names`` name the labels
    0 and 1 in the legend.
    """
    labels = np.asarray(y, dtype=float)
    if len(labels) != len(X):
        raise ValueError(f"plot_decision_boundary: {len(X)} points but {len(labels)} labels")
    xs, ys, outputs = decision_grid(model, X, resolution)
    ax = new_axes(ax, figsize=(5.0, 4.0))
    # Two bands of the continuous output, below and above the threshold: the line
    # between them is interpolated between grid points, so it stays smooth.
    below, above = min(outputs.min(), threshold) - 1.0, max(outputs.max(), threshold) + 1.0
    ax.contourf(xs, ys, outputs, levels=[below, threshold, above], colors=CLASS_COLOURS, alpha=0.18)
    if outputs.min() < threshold < outputs.max():
        ax.contour(xs, ys, outputs, levels=[threshold], colors="black", linewidths=1.2)
    points = np.asarray(X, dtype=float)
    for label, (colour, name) in enumerate(zip(CLASS_COLOURS, class_names)):
        chosen = (labels > 0.5) == bool(label)
        ax.scatter(points[chosen, 0], points[chosen, 1], c=colour, s=22, label=name)
    for name, point in zip(point_labels or (), points):
        ax.annotate(name, tuple(point), textcoords="offset points", xytext=(5, 4), fontsize=9)
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------------- PNG files


def plot_history(history: History, path: str | Path, title: str = "training") -> Path:
    """Loss (left) and accuracy in % (right) per epoch, as a PNG file at ``path``."""
    figure = _figure(figsize=(9, 3.5))
    epochs = np.arange(1, len(history.loss) + 1)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, history.loss, marker="o")
    loss_axes.set(title=f"{title}: loss", xlabel="epoch", ylabel="mean loss")
    for name, values in (
        # "train", not "during the epoch": the digits demo counts it while it trains,
        # the sequence demo after each epoch (see History).
        ("train", history.train_accuracy),
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
        raise ImportError(INSTALL_MATPLOTLIB) from None
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
