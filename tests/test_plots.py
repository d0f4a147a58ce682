"""Plots: tinygrad_edu.plots draws what it is given and explains a missing matplotlib;
docs/make_plots.py runs (in its quick mode) and writes every plot the docs show; the
committed plots of measured tables show the tables their pages print today."""

from __future__ import annotations

import html
import io
import re
import sys
from contextlib import redirect_stdout
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the plots need matplotlib (the plot extra)")

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from tinygrad_edu import plots
from tinygrad_edu.demos import History
from tinygrad_edu.nn import MLP
from tinygrad_edu.plots import (
    INSTALL_MATPLOTLIB,
    decision_grid,
    plot_decision_boundary,
    plot_losses,
)

from .scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


@pytest.fixture(autouse=True)
def close_figures() -> object:
    yield
    plt.close("all")


# ---------------------------------------------------------------------- tinygrad_edu.plots


def test_plot_losses_draws_one_line_per_run_from_epoch_one() -> None:
    ax = plot_losses({"sgd": [0.5, 0.25, 0.125], "adam": [0.4, 0.1, 0.01]})
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["sgd", "adam"]
    assert list(lines[0].get_xdata()) == [1, 2, 3]
    assert list(lines[1].get_ydata()) == [0.4, 0.1, 0.01]
    assert ax.get_yscale() == "log"
    assert ax.get_legend() is not None


def test_plot_losses_takes_one_history_as_fit_returns_it() -> None:
    ax = plot_losses([0.3, 0.2], log_scale=False, title="one run")
    assert len(ax.get_lines()) == 1 and ax.get_legend() is None
    assert ax.get_yscale() == "linear" and ax.get_title() == "one run"


def test_plot_losses_refuses_an_empty_history() -> None:
    with pytest.raises(ValueError, match="'first' is empty"):
        plot_losses({"first": []})


def test_decision_grid_holds_the_models_output_at_each_grid_point() -> None:
    model = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    xs, ys, outputs = decision_grid(model, X, resolution=5, margin=0.0)
    assert list(xs) == [0.0, 0.25, 0.5, 0.75, 1.0] and list(ys) == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert outputs.shape == (5, 5)
    assert outputs[3, 1] == model([xs[1], ys[3]]).data


def test_decision_boundary_refuses_points_that_are_not_2d_or_labels_that_do_not_match() -> None:
    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match=r"2 features, got shape \(4, 3\)"):
        decision_grid(model, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="3 points but 2 labels"):
        plot_decision_boundary(model, np.zeros((3, 2)), [0, 1])


def test_decision_boundary_colours_the_points_by_label_and_draws_the_boundary() -> None:
    model = MLP(2, [1], activation="linear", output_activation="linear", seed=0)
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
    ax = plot_decision_boundary(model, X, [0, 1, 0, 1], threshold=0.0, class_names=("a", "b"))
    scatter_labels = [collection.get_label() for collection in ax.collections[-2:]]
    assert scatter_labels == ["a", "b"]
    assert [len(collection.get_offsets()) for collection in ax.collections[-2:]] == [2, 2]


def test_plot_history_names_the_accuracies_as_every_demo_measures_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sequence demo measures its train accuracy after each epoch, the digits demo
    during it: the legend must not claim either."""
    drawn = []
    monkeypatch.setattr(plots, "_save", lambda figure, path: drawn.append(figure) or Path(path))
    history = History(loss=[0.5, 0.25], train_accuracy=[0.5, 0.75], test_accuracy=[0.4, 0.7])
    plots.plot_history(history, tmp_path / "curves.png", "sums")
    loss_axes, accuracy_axes = drawn[0].axes
    legend = [text.get_text() for text in accuracy_axes.get_legend().get_texts()]
    assert legend == ["train", "test"]
    assert list(accuracy_axes.get_lines()[0].get_ydata()) == [50.0, 75.0]
    assert loss_axes.get_title() == "sums: loss"


def test_without_matplotlib_a_plot_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import now fails
    with pytest.raises(ModuleNotFoundError) as raised:
        plot_losses([1.0])
    assert str(raised.value) == INSTALL_MATPLOTLIB
    assert 'pip install "tinygrad_edu[plot]"' in INSTALL_MATPLOTLIB


# ---------------------------------------------------------------------- docs/make_plots.py


def load_docs_script(name: str) -> ModuleType:
    return load_script(DOCS / f"{name}.py")


def referenced_images() -> set[str]:
    """The file names of docs/images/ that some page shows."""
    pattern = re.compile(r"\]\((?:\.\./)*images/([\w.-]+)\)")
    return {name for page in DOCS.rglob("*.md") for name in pattern.findall(page.read_text())}


def test_make_plots_quick_writes_every_plot_the_docs_show(tmp_path: Path) -> None:
    printed = io.StringIO()
    with redirect_stdout(printed):
        assert load_docs_script("make_plots").main([str(tmp_path), "--quick"]) == 0
    written = {path.name for path in tmp_path.iterdir()}
    assert written == {
        line.split()[1].rsplit("/", 1)[1] for line in printed.getvalue().splitlines()
    }
    assert all(name.endswith(".svg") for name in written)
    committed = {path.name for path in (DOCS / "images").iterdir()}
    assert written <= committed, f"plots not committed to docs/images/: {written - committed}"
    assert written <= referenced_images(), f"plots no page shows: {written - referenced_images()}"
    for name in written:
        assert "<svg" in (tmp_path / name).read_text(encoding="utf-8")


def test_one_command_runs_every_script_that_draws_a_picture_of_the_docs() -> None:
    make_images = load_docs_script("make_images")
    scripts = {path.stem for path in DOCS.glob("make_*.py")} - {"make_images"}
    assert set(make_images.SCRIPTS) == scripts
    sources = "\n".join((DOCS / f"{script}.py").read_text("utf-8") for script in scripts)
    drawn_by_hand = [
        path.name for path in (DOCS / "images").iterdir() if f'"{path.name}"' not in sources
    ]
    assert not drawn_by_hand, f"pictures that no script of make_images.py writes: {drawn_by_hand}"


def test_make_training_pictures_quick_writes_its_three_pictures(tmp_path: Path) -> None:
    pytest.importorskip("sklearn", reason="the digits need scikit-learn (the datasets extra)")
    printed = io.StringIO()
    with redirect_stdout(printed):
        assert load_docs_script("make_training_pictures").main([str(tmp_path), "--quick"]) == 0
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == ["digits_curves.png", "digits_filters.png", "vanishing_gradients.png"]
    assert all((tmp_path / name).read_bytes().startswith(b"\x89PNG") for name in written)
    assert "test accuracy:" in printed.getvalue()


def test_committed_plots_stay_small() -> None:
    sizes = {path.name: path.stat().st_size for path in (DOCS / "images").iterdir()}
    assert max(sizes.values()) < 120_000, sizes


@pytest.mark.parametrize(
    ("image", "table"),
    [
        ("modes_cost.svg", "modes_table"),
        ("performance.svg", "performance_table"),
        ("tensor_performance.svg", "tensor_performance_table"),
    ],
)
def test_a_plot_of_a_measured_table_shows_the_table_its_page_prints(image: str, table: str) -> None:
    """Change the table on the page and this fails until `python docs/make_plots.py`
    draws the picture again."""
    svg = (DOCS / "images" / image).read_text(encoding="utf-8")
    match = re.search(r"<dc:description>(.*?)</dc:description>", svg, flags=re.DOTALL)
    assert match is not None, f"{image} does not say which table it was drawn from"
    shown = getattr(load_docs_script("make_plots"), table)()
    assert html.unescape(match[1]).splitlines() == shown, (
        f"docs/images/{image} was drawn from another table than its page shows: "
        "run python docs/make_plots.py"
    )


def test_the_performance_table_is_read_row_by_row() -> None:
    make_plots = load_docs_script("make_plots")
    rows = make_plots.workloads(
        [
            "workload   nodes | ours ms µs/node gc | micrograd ms µs/node gc | mg/ours",
            "train step, MLP 2-16-16-1 x100       68,038 |        100.0    1.470   29% |"
            "       1040.1   15.310   88% |   10.4x",
            "chain depth 1,000                     4,001 |          2.9    0.723   13% |"
            "              RecursionError |       -",
        ]
    )
    assert rows == [
        make_plots.Workload("train step, MLP 2-16-16-1 x100", 1.47, 15.31, ""),
        make_plots.Workload("chain depth 1,000", 0.723, None, "RecursionError"),
    ]
    assert make_plots.memory_rows(
        ["forward graph, kept                     137        675     4.9x"]
    ) == [("forward graph, kept", 137, 675)]


def test_the_tensor_table_is_read_from_its_first_part_only() -> None:
    make_plots = load_docs_script("make_plots")
    rows = make_plots.tensor_workloads(
        [
            "one thread each (numpy's BLAS and torch pinned to 1)",
            "workload                      dtype    ours     torch  ours/torch median (range)",
            "per op: tanh(y * w) + b  float32  15.07 µs/op  24.25 µs/op  0.62x (0.48-0.75)",
            "train step, MLP, cross-entropy float64  4.13 ms  4.64 ms  0.90x (0.69-1.36)",
            "",
            "default threads",
            "per op: tanh(y * w) + b  float32  11.55 µs/op  18.55 µs/op  0.64x (0.56-0.91)",
        ]
    )
    assert rows == [
        make_plots.TensorWorkload("per op: tanh(y * w) + b", "float32", 0.62, 0.48, 0.75),
        make_plots.TensorWorkload("train step, MLP, cross-entropy", "float64", 0.90, 0.69, 1.36),
    ]
