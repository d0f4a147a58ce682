"""Draw the plots of the docs into docs/images/ (or into a folder you give).

Run it from the repository root after changing training, the comparisons or the
measured tables (needs matplotlib: pip install -e ".[plot]"):

    python docs/make_plots.py                  # every plot the docs show (about 30 s)
    python docs/make_plots.py --quick FOLDER   # tiny runs, to check that it works

Like docs/make_pictures.py for the graph pictures, this is the only source of the
plots: none is drawn by hand. Training plots come from seeded runs, so they come out
the same every time. The modes and performance plots draw the tables printed on
docs/modes.md and docs/performance.md, so a picture never shows other numbers than its
page; each SVG keeps the table it was drawn from in its description, and
tests/test_plots.py checks that it is still the page's table.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

DOCS = Path(__file__).resolve().parent
IMAGES = DOCS / "images"


def load_script(name: str) -> ModuleType:
    """Import docs/<name>.py (the docs' scripts are files, not a package)."""
    spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def pyplot() -> Any:
    """matplotlib.pyplot, drawing to files only, with settings that keep SVGs small and
    the same from run to run; or a clear message when matplotlib is missing."""
    try:
        import matplotlib
    except ModuleNotFoundError:
        sys.exit('docs/make_plots.py needs matplotlib: pip install -e ".[plot]"')
    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",  # text stays text: smaller, and readable in the file
            "svg.hashsalt": "tinygrad_edu",  # the same ids every run, so no spurious diffs
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    import matplotlib.pyplot as plt

    return plt


def save(figure: Any, path: Path, description: str = "") -> Path:
    """Write ``figure`` as SVG on white (readable in the site's dark mode too)."""
    metadata = {"Date": None, "Creator": "docs/make_plots.py"}
    if description:
        metadata["Description"] = description
    figure.savefig(path, format="svg", facecolor="white", metadata=metadata)
    pyplot().close(figure)
    return path


# ---------------------------------------------------------------------- the tutorial


def tutorial_plots(folder: Path, quick: bool) -> list[Path]:
    """Section 6's training (autograd and the hand derivation, from the same start) and
    section 7's verdicts: the trained network's output over the whole input plane."""
    from tinygrad_edu.data import PEOPLE, TEST_PEOPLE, people
    from tinygrad_edu.plots import plot_decision_boundary, plot_losses
    from tinygrad_edu.train import fit
    from tinygrad_edu.tutorial import HandDerivedNetwork, tutorial_network

    plt = pyplot()
    epochs = 20 if quick else 1000
    X, y = people()
    network = tutorial_network(seed=0)
    history = fit(network, X, y, epochs=epochs)
    by_hand = HandDerivedNetwork(seed=0).train(X, y, lr=0.1, epochs=epochs)

    figure, ax = plt.subplots(figsize=(6.0, 3.4), layout="constrained")
    plot_losses({"autograd (MLP + backward)": history}, ax=ax)
    ax.plot(range(1, epochs + 1), by_hand, "--", color="black", lw=1, label="by hand (tutorial.py)")
    ax.legend()
    ax.set_title("Mean squared error over the four people, SGD lr=0.1, seed 0")
    curve = save(figure, folder / "tutorial_training.svg")

    figure, ax = plt.subplots(figsize=(5.6, 4.2), layout="constrained")
    plot_decision_boundary(
        network,
        X,
        y,
        ax=ax,
        resolution=12 if quick else 80,
        point_labels=[person.name for person in PEOPLE],
        class_names=("M (0)", "F (1)"),
        title="The trained network's verdict: F where red, M where blue",
    )
    unseen = [person.features for person in TEST_PEOPLE]
    ax.scatter(*zip(*unseen), marker="x", c="black", s=40, label="never seen")
    for person in TEST_PEOPLE:
        ax.annotate(person.name, person.features, textcoords="offset points", xytext=(5, -11))
    ax.set_xlabel("weight - 135 (lb)")
    ax.set_ylabel("height - 66 (in)")
    ax.legend(loc="lower right", fontsize=8)
    boundary = save(figure, folder / "tutorial_boundary.svg")
    return [curve, boundary]


# ---------------------------------------------------------------------- two moons


def moons_plots(folder: Path, quick: bool) -> list[Path]:
    """docs/guides/choosing.md: the optimizers' loss curves, and the boundary each
    hidden activation learns, from the comparison's own runs (its first seed)."""
    from tinygrad_edu.data import moons
    from tinygrad_edu.plots import plot_decision_boundary, plot_losses

    comparison = load_script("compare_optimizers")
    sizes = comparison.FAST if quick else comparison.FULL
    seed = sizes.seeds[0]
    (optimizers, _), (activations, _) = [(rows, title) for title, rows in comparison.TABLES][:2]
    plt = pyplot()

    figure, ax = plt.subplots(figsize=(6.0, 3.4), layout="constrained")
    histories = {name: comparison.run(setting, sizes, seed).history for name, setting in optimizers}
    plot_losses(histories, ax=ax, title="Binary cross-entropy on two moons (training set)")
    curves = save(figure, folder / "moons_optimizers.svg")

    X, y = moons(sizes.points, noise=comparison.NOISE, seed=comparison.TRAIN_DATA_SEED)
    figure, axes = plt.subplots(1, len(activations), figsize=(10.0, 2.9), layout="constrained")
    for ax, (name, setting) in zip(axes, activations):
        result = comparison.run(setting, sizes, seed)
        plot_decision_boundary(result.model, X, y, ax=ax, resolution=10 if quick else 40)
        ax.set_title(f"{name}: train accuracy {result.train_accuracy:.0%}", fontsize=9)
        ax.get_legend().remove()
        ax.set_xticks([])
        ax.set_yticks([])
    boundaries = save(figure, folder / "moons_activations.svg")
    return [curves, boundaries]


# ---------------------------------------------------------------------- measured tables


def text_block(page: Path, starts_with: str) -> list[str]:
    """The lines of the first ```text block of ``page`` whose first line starts so."""
    lines = page.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if line.strip() == "```text" and lines[number + 1].startswith(starts_with):
            end = lines.index("```", number + 1)
            return lines[number + 1 : end]
    raise ValueError(f"{page.name} has no ```text block starting with {starts_with!r}")


def modes_table() -> list[str]:
    """docs/modes.md's measured table, as the page shows it."""
    header = load_script("modes_cost").table([])[0]
    return text_block(DOCS / "modes.md", header)


def modes_plot(folder: Path, quick: bool) -> list[Path]:
    """Forward against reverse mode: time against size, both axes logarithmic."""
    table = modes_table()
    rows = [[float(cell) for cell in line.split()] for line in table[2:]]
    sizes = [row[0] for row in rows]
    plt = pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(9.0, 3.4), layout="constrained", sharey=True)
    panels = [
        ("n inputs, 1 output (a loss)", "n", 1),
        ("1 input, m outputs", "m", 3),
    ]
    for ax, (title, letter, column) in zip(axes, panels):
        ax.loglog(sizes, [row[column] for row in rows], "o-", label="forward mode")
        ax.loglog(sizes, [row[column + 1] for row in rows], "s-", label="reverse mode")
        ax.set_title(title)
        ax.set_xlabel(letter)
        ax.grid(True, which="major", alpha=0.3)
        ax.minorticks_off()  # dozens of tiny ticks would double the file for nothing
        ax.legend()
    axes[0].set_ylabel("ms (CPU time, best of 3)")
    return [save(figure, folder / "modes_cost.svg", "\n".join(table))]


@dataclass(frozen=True)
class Workload:
    """One row of the performance table: time per graph node for both engines."""

    name: str
    ours_us_per_node: float
    micrograd_us_per_node: float | None  # None: micrograd could not run it
    micrograd_note: str  # why not, as the table says ("RecursionError", "not run")


def performance_table() -> list[str]:
    """docs/performance.md's measured run, as the page shows it."""
    return text_block(DOCS / "performance.md", "Python ")


WORKLOAD_ROW = re.compile(
    r"^(?P<name>\S.*?)\s{2,}[\d,]+ \|\s+(?P<ours>.*?)\s*\|\s+(?P<micrograd>.*?)\s*\|"
)
MEMORY_ROW = re.compile(r"^(?P<name>[a-z].*?)\s{2,}(?P<ours>\d+)\s+(?P<micrograd>\d+)\s+[\d.]+x$")


def workloads(table: Sequence[str]) -> list[Workload]:
    """The time rows: 'name  nodes | ms  µs/node  gc | ms  µs/node  gc | ratio'."""
    found = []
    for line in table:
        match = WORKLOAD_ROW.match(line)
        if match is None or match["name"].startswith("workload"):
            continue
        ours = match["ours"].split()
        theirs = match["micrograd"].split()
        measured = len(theirs) == 3
        found.append(
            Workload(
                name=match["name"],
                ours_us_per_node=float(ours[1]),
                micrograd_us_per_node=float(theirs[1]) if measured else None,
                micrograd_note="" if measured else match["micrograd"],
            )
        )
    if not found:
        raise ValueError("docs/performance.md's table has no rows in the expected layout")
    return found


def memory_rows(table: Sequence[str]) -> list[tuple[str, int, int]]:
    """The memory rows: (what, our bytes per node, micrograd's)."""
    rows = [MEMORY_ROW.match(line) for line in table]
    return [(row["name"], int(row["ours"]), int(row["micrograd"])) for row in rows if row]


def paired_bars(
    ax: Any, ours: Sequence[float], theirs: Sequence[float | None], horizontal: bool
) -> None:
    """Two bars per row, ours and micrograd's, each with its number written on it;
    a row micrograd could not run gets no bar of its own."""
    width = 0.38
    bars = ax.barh if horizontal else ax.bar
    for offset, values, name in (
        (-width / 2, ours, "tinygrad_edu"),
        (width / 2, theirs, "micrograd"),
    ):
        spots = [row + offset for row, value in enumerate(values) if value is not None]
        numbers = [value for value in values if value is not None]
        drawn = bars(spots, numbers, width, label=name)
        ax.bar_label(drawn, fmt="%g", padding=2, fontsize=8)


def performance_plot(folder: Path, quick: bool) -> list[Path]:
    """Time and memory per graph node, ours against micrograd, from the page's run."""
    table = performance_table()
    rows = workloads(table)
    memory = memory_rows(table)
    plt = pyplot()
    figure, (time_ax, memory_ax) = plt.subplots(
        1, 2, figsize=(10.0, 3.8), layout="constrained", width_ratios=[3, 2]
    )
    paired_bars(
        time_ax,
        [row.ours_us_per_node for row in rows],
        [row.micrograd_us_per_node for row in rows],
        horizontal=True,
    )
    for position, row in enumerate(rows):
        if row.micrograd_us_per_node is None:
            note = f"micrograd: {row.micrograd_note}"
            time_ax.text(0.3, position + 0.19, note, va="center", fontsize=8, color="#a33")
    time_ax.set_yticks(range(len(rows)), [row.name for row in rows])
    time_ax.set_ylim(len(rows) - 0.35, -0.65)  # the first row at the top, room for notes
    time_ax.set_title("Time per graph node (shorter is faster)")
    time_ax.set_xlabel("µs of CPU time per node")
    time_ax.legend(loc="lower right")
    paired_bars(memory_ax, [ours for _, ours, _ in memory], [mg for _, _, mg in memory], False)
    memory_ax.set_xticks(range(len(memory)), [name for name, _, _ in memory], fontsize=8)
    memory_ax.set_title("Memory per graph node")
    memory_ax.set_ylabel("bytes per node")
    memory_ax.legend()
    return [save(figure, folder / "performance.svg", "\n".join(table))]


@dataclass(frozen=True)
class TensorWorkload:
    """One row of the Tensor engine's table: our time over torch's, median and range."""

    name: str
    dtype: str
    ratio: float
    low: float
    high: float


def tensor_performance_table() -> list[str]:
    """docs/performance.md's Tensor run against PyTorch, as the page shows it."""
    return text_block(DOCS / "performance.md", "one thread each")


TENSOR_ROW = re.compile(
    r"^(?P<name>\S.*?)\s+(?P<dtype>float32|float64)\s.*?"
    r"(?P<ratio>[\d.]+)x \((?P<low>[\d.]+)-(?P<high>[\d.]+)\)$"
)


def tensor_workloads(table: Sequence[str]) -> list[TensorWorkload]:
    """The rows of the table's first part (one thread each), down to its blank line."""
    first_part = table[: table.index("")] if "" in table else table
    found = []
    for line in first_part:
        match = TENSOR_ROW.match(line)
        if match is not None:
            numbers = (float(match[key]) for key in ("ratio", "low", "high"))
            found.append(TensorWorkload(match["name"], match["dtype"], *numbers))
    if not found:
        raise ValueError("docs/performance.md's Tensor table has no rows in the expected layout")
    return found


def tensor_performance_plot(folder: Path, quick: bool) -> list[Path]:
    """Our time over torch's for each Tensor workload, one thread each: a bar per dtype
    at the median ratio, a whisker over the rounds' range, and a line at 1 (as fast)."""
    table = tensor_performance_table()
    rows = tensor_workloads(table)
    names = list(dict.fromkeys(row.name for row in rows))  # in the table's order, once
    plt = pyplot()
    figure, ax = plt.subplots(figsize=(9.0, 3.6), layout="constrained")
    height = 0.38
    for offset, dtype in ((-height / 2, "float32"), (height / 2, "float64")):
        of_dtype = [row for row in rows if row.dtype == dtype]
        spots = [names.index(row.name) + offset for row in of_dtype]
        ratios = [row.ratio for row in of_dtype]
        whiskers = [
            [row.ratio - row.low for row in of_dtype],
            [row.high - row.ratio for row in of_dtype],
        ]
        ax.barh(spots, ratios, height, xerr=whiskers, capsize=2, label=dtype)
        for spot, row in zip(spots, of_dtype):  # beyond the whisker, where it is free
            ax.text(row.high + 0.02, spot, f"{row.ratio:.2f}x", va="center", fontsize=8)
    ax.axvline(1.0, color="black", lw=1, ls="--")
    ax.text(1.0, -0.75, " as fast as torch", fontsize=8, va="bottom")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_ylim(len(names) - 0.5, -0.9)  # the first row at the top, room for the label
    ax.set_xlabel("our time / torch's time: median and range over the rounds (shorter is faster)")
    ax.set_title("The Tensor engine against PyTorch, one thread each")
    ax.set_xlim(0, max(row.high for row in rows) + 0.25)
    ax.legend(loc="upper right")
    return [save(figure, folder / "tensor_performance.svg", "\n".join(table))]


# ---------------------------------------------------------------------- all of them

PLOTS: list[Callable[[Path, bool], list[Path]]] = [
    tutorial_plots,
    moons_plots,
    modes_plot,
    performance_plot,
    tensor_performance_plot,
]


def main(argv: Sequence[str] | None = None) -> int:
    """Draw every plot into the folder given (default docs/images)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=IMAGES)
    parser.add_argument("--quick", action="store_true", help="tiny runs, to check it works")
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    for draw in PLOTS:
        for path in draw(args.folder, args.quick):
            print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
