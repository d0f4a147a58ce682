"""Draw the graph pictures of the docs into docs/images/ (or into a folder you give).

Every picture in the docs comes from this script, never from a drawing program, so
that a picture always shows what the code really does. Run it again after changing
how graphs are drawn: python3 docs/make_pictures.py [folder]

Needs Graphviz's ``dot`` program (see docs/pictures.md for how to install it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from tinygrad_edu.engine import Value
from tinygrad_edu.nn import Neuron
from tinygrad_edu.tensor import Tensor
from tinygrad_edu.tutorial import tutorial_loss
from tinygrad_edu.viz import render_graph

IMAGES = Path(__file__).resolve().parent / "images"


def neuron(folder: Path) -> list[Path]:
    """The tutorial's first neuron: w = [0, 1], b = 4, x = [2, 3], sigmoid."""
    cell = Neuron(2, activation="sigmoid", weights=[0, 1], bias=4, label="y")
    y = cell([2, 3])
    assert isinstance(y, Value)
    y.backward()
    return [render_graph(y, folder / "neuron.svg", model=cell)]


def used_twice(folder: Path) -> list[Path]:
    """y = a*a + a: a Value used in three places gets the sum of three contributions."""
    a = Value(3.0, label="a")
    y = a * a + a
    y.label = "y"
    y.backward()
    return [render_graph(y, folder / "used_twice.svg", show_local_grads=True)]


def tutorial(folder: Path) -> list[Path]:
    """The worked example before backward, after it, and the chain rule for w1."""
    loss, model = tutorial_loss()
    before = render_graph(loss, folder / "tutorial_before_backward.svg", model=model)
    loss.backward()
    after = render_graph(loss, folder / "tutorial_after_backward.svg", model=model)
    w1 = model.parameters()[0]
    chain_rule = render_graph(
        loss,
        folder / "tutorial_chain_rule_w1.svg",
        model=model,
        highlight=w1,
        show_local_grads=True,
        rankdir="TB",
    )
    return [before, after, chain_rule]


def tensor_graph(folder: Path) -> list[Path]:
    """docs/tensors.md's graph: the tutorial's hidden layer as one matrix, on Alice."""
    W = Tensor([[1.0, 1.0], [1.0, 1.0]], requires_grad=True, label="W")
    hidden = (W @ Tensor([-2.0, -1.0], label="x")).sigmoid()
    hidden.label = "h"
    L = ((1.0 - hidden) ** 2).sum()
    L.label = "L"
    L.backward()
    return [render_graph(L, folder / "tensor_graph.svg")]


PICTURES: list[Callable[[Path], list[Path]]] = [neuron, used_twice, tutorial, tensor_graph]


def main(argv: list[str]) -> int:
    """Draw every picture into the folder ``argv[0]`` (default docs/images)."""
    folder = Path(argv[0]) if argv else IMAGES
    folder.mkdir(parents=True, exist_ok=True)
    for draw in PICTURES:
        for path in draw(folder):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
