"""Draw the pictures of docs/cnn.md and docs/rnn.md into docs/images/ (or a folder).

Every number in them is measured by this script, with the project's own code:

- ``digits_filters.png`` and ``digits_curves.png``: ``tinygrad-edu train digits`` with
  its defaults (seed 0): the first layer's 16 learned filters, the test digits it
  still gets wrong, and the loss and accuracy per epoch.
- ``vanishing_gradients.png``: how much of the gradient of a loss at the last step of
  a sequence reaches each earlier input, for untrained RNN, LSTM and GRU layers, and
  for LSTM and GRU layers whose gates start open (``gradient_norms`` below).

Run: python3 docs/make_training_pictures.py [folder]   (needs scikit-learn, matplotlib)
     python3 docs/make_training_pictures.py --quick FOLDER   (one epoch, a few seconds:
                                                             to check that it works)
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor
from tinygrad_edu.demos import draw_digit_pictures, train_digits
from tinygrad_edu.layers import GRU, LSTM, RNN, Module
from tinygrad_edu.plots import plot_gradient_norms, plot_history

IMAGES = Path(__file__).resolve().parent / "images"


def with_gate_bias(layer: LSTM | GRU, gate: int, shift: float) -> Module:
    """The layer with ``shift`` added to the input bias of one gate (LSTM's forget gate
    is gate 1 of i, f, g, o; GRU's update gate is gate 1 of r, z, n): the gate starts
    near 1 instead of near 0.5."""
    size = layer.hidden_size
    layer.bias_ih_l0.data[gate * size : (gate + 1) * size] += shift
    return layer


def layers_compared() -> dict[str, Module]:
    """The recurrent layers of the picture, input 8, hidden 32, seed 0."""
    return {
        "RNN (tanh)": RNN(8, 32, seed=0),
        "LSTM": LSTM(8, 32, seed=0),
        "GRU": GRU(8, 32, seed=0),
        "LSTM, forget gate bias +3": with_gate_bias(LSTM(8, 32, seed=0), 1, 3.0),
        "GRU, update gate bias +3": with_gate_bias(GRU(8, 32, seed=0), 1, 3.0),
    }


def gradient_norms(layer: Module, steps: int = 60, batch: int = 16, seed: int = 0) -> list[float]:
    """|d loss / d x_t|, averaged over the batch, for t = steps - 1, steps - 2, ..., 0
    (0, 1, 2, ... steps before the loss), where loss = sum of the last output h_T."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((steps, batch, layer.input_size)), requires_grad=True)  # type: ignore[attr-defined]
    output, _ = layer(x)
    output[-1].sum().backward()
    per_step = np.linalg.norm(x.grad, axis=2).mean(axis=1)  # (steps,)
    return [float(norm) for norm in per_step[::-1]]


def main(argv: Sequence[str] | None = None) -> int:
    """Draw the three pictures into the folder given (default docs/images)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=IMAGES)
    parser.add_argument("--quick", action="store_true", help="one epoch, to check it works")
    args = parser.parse_args(argv)
    folder: Path = args.folder
    folder.mkdir(parents=True, exist_ok=True)
    log = io.StringIO()
    model, history, test = train_digits(epochs=1 if args.quick else 8, out=log)
    print(log.getvalue().splitlines()[-1])
    print(draw_digit_pictures(model, test, folder / "digits_filters.png"))
    print(plot_history(history, folder / "digits_curves.png", "digits CNN"))
    norms = {name: gradient_norms(layer) for name, layer in layers_compared().items()}
    for name, values in norms.items():
        print(
            f"{name}: {values[0]:.3g} at the last step, {values[20]:.3g} 20 steps back, "
            f"{values[50]:.3g} 50 steps back"
        )
    title = "gradient reaching the input t steps before the loss (untrained, hidden 32)"
    print(plot_gradient_norms(norms, folder / "vanishing_gradients.png", title))
    return 0


if __name__ == "__main__":
    sys.exit(main())
