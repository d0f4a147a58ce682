"""See it: the tutorial's network as a computation graph, before and after backward.

The worked example of the tutorial: all weights 1, all biases 0, and Alice
(x = [-2, -1], y_true = 1), with the loss of one sample L = (1 - y_pred)**2.

Three pictures come out:

1. before backward: every Value shows its data; every grad is still 0.
2. after backward: every grad is filled in, dL/dw1 = 0.0215 among them.
3. the chain rule for w1: the path from w1 up to L in red, and on each edge its
   local derivative. Multiplying them along the path gives dL/dw1.

Without Graphviz's ``dot`` program the pictures are written as DOT source instead
(paste it into any Graphviz viewer), and the text table is printed either way.

Run: python3 examples/graph_pictures.py [folder]   (default: a new temporary folder)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from tinygrad_edu.engine import Value
from tinygrad_edu.nn import MLP
from tinygrad_edu.tutorial import tutorial_loss
from tinygrad_edu.viz import GraphvizNotFoundError, graph_table, render_graph


def main(argv: list[str]) -> int:
    """Write the three pictures into the folder ``argv[0]`` (or a temporary one)."""
    folder = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="graph_pictures_"))
    folder.mkdir(parents=True, exist_ok=True)

    loss, model = tutorial_loss()  # Alice, every weight 1, every bias 0
    w1 = model.parameters()[0]

    save(loss, folder / "1_before_backward", model)
    loss.backward()
    save(loss, folder / "2_after_backward", model)
    save(loss, folder / "3_chain_rule_for_w1", model, highlight=w1, show_local_grads=True)

    print(f"\ndL/dw1 = {w1.grad:.4f}; the whole graph after backward:\n")
    print(graph_table(loss, model=model))
    return 0


def save(loss: Value, stem: Path, model: MLP, **options: Any) -> None:
    """Write one picture as SVG, or as DOT source when Graphviz is not installed."""
    try:
        path = render_graph(loss, stem.with_suffix(".svg"), model=model, **options)
    except GraphvizNotFoundError:
        path = render_graph(loss, stem.with_suffix(".dot"), model=model, **options)
        print("(Graphviz's dot program is not installed: DOT source instead of SVG)")
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
