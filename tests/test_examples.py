"""The examples: each runs as a script and prints the tutorial's numbers."""

from __future__ import annotations

import ast
import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# graph_pictures.py is another engineer's example; tests/test_viz.py runs and checks it.
TESTED_ELSEWHERE = {"graph_pictures.py"}

KEY_LINES = {
    "01_neuron.py": ["output = sigmoid(7.0) = 0.9990889488055994"],
    "02_feedforward.py": [
        "h1 = sigmoid(0*2 + 1*3 + 0) = 0.9526",
        "h2 = sigmoid(0*2 + 1*3 + 0) = 0.9526",
        "o1 = sigmoid(0*h1 + 1*h2 + 0) = 0.7216325609518421",
        "the same network as an MLP: o1 = 0.7216325609518421",
    ],
    "03_loss.py": ["MSE = 0.5"],
    "04_backprop_by_hand_vs_autograd.py": [
        "h1 = 0.0474, h2 = 0.0474, o1 = y_pred = 0.524",
        "dL/dw1 by hand:  0.02146953526581111",
        "dL/dw1 autograd: 0.02146953526581111",
    ],
    "05_train_people.py": [
        "seed 0, learning rate 0.1, 1000 epochs, one person at a time",
        *(f"Epoch {epoch} loss: " for epoch in range(100, 1001, 100)),
    ],
    "06_moons_mlp.py": ["training accuracy: "],
    "07_tutorial_as_matrices.py": [
        "h = [0.0474 0.0474], y_pred = 0.524, loss = 0.2269",
        "dL/dw1 from the matrices:     0.02146953526581111",
        "dL/dw1 from the scalar engine: 0.02146953526581111",
    ],
    "08_digits_cnn.py": ["epoch 1: last batch's loss ", "test accuracy: "],
    "09_sequence_rnn.py": ["epoch 1: loss ", "183 + 165 = ", "test accuracy: "],
    "10_char_rnn.py": ["epoch 1: loss ", "sample: '"],
    "11_to_pytorch.py": [
        "same predictions on 359 of 359 test digits",
        "largest difference between the gradients: ",
        "back from torch, the same weights: True",
    ],
}
"""For each example, the start of lines its output must contain (whole lines for numbers)."""

QUICK_ARGUMENTS = {name: ("--epochs", "1") for name in ("08_digits_cnn.py", "09_sequence_rnn.py")}
QUICK_ARGUMENTS["10_char_rnn.py"] = ("LICENSE", "--epochs", "1")
"""Short runs of the training examples: their full runs take tens of seconds."""

NEEDS = {
    "08_digits_cnn.py": ("sklearn",),
    "11_to_pytorch.py": ("sklearn", "torch"),
}
"""Examples that need an optional package; their tests skip, saying so, without it."""


@functools.cache
def run_example(name: str, *args: str) -> str:
    """The standard output of ``python examples/<name> <args>``, run from the repository root."""
    # Import this checkout's package even where it is not pip-installed.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stderr}"
    return result.stdout


def example_files() -> list[str]:
    """Every example script this file is responsible for."""
    return sorted(path.name for path in EXAMPLES.glob("*.py") if path.name not in TESTED_ELSEWHERE)


def test_every_example_is_tested_here() -> None:
    assert example_files() == sorted(KEY_LINES)


@pytest.mark.parametrize("name", sorted(KEY_LINES))
def test_example_prints_its_key_lines(name: str) -> None:
    for package in NEEDS.get(name, ()):
        pytest.importorskip(package, reason=f"{name} needs {package}")
    lines = run_example(name, *QUICK_ARGUMENTS.get(name, ())).splitlines()
    for expected in KEY_LINES[name]:
        assert any(line.startswith(expected) for line in lines), f"{name}: no line {expected!r}"


@pytest.mark.parametrize("name", sorted(KEY_LINES))
def test_example_says_what_it_teaches_and_runs_only_as_a_script(name: str) -> None:
    module = ast.parse((EXAMPLES / name).read_text(encoding="utf-8"))
    assert ast.get_docstring(module), f"{name} has no module docstring"
    last = module.body[-1]
    assert isinstance(last, ast.If) and ast.unparse(last.test) == "__name__ == '__main__'"


def test_examples_readme_lists_every_example() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in KEY_LINES:
        assert f"examples/{name}" in readme, f"examples/README.md does not mention {name}"


def test_backprop_by_hand_and_autograd_agree_on_all_nine_gradients() -> None:
    rows = [
        line.split()
        for line in run_example("04_backprop_by_hand_vs_autograd.py").splitlines()
        if re.fullmatch(r"dL/d[wb]\d( +-?[\d.e+-]+){3}", line)
    ]
    assert [row[0] for row in rows] == [
        f"dL/d{name}" for name in ("w1", "w2", "b1", "w3", "w4", "b2", "w5", "w6", "b3")
    ]
    for name, by_hand, by_autograd, _ in rows:
        assert float(by_hand) == pytest.approx(float(by_autograd), rel=1e-12), name
    assert rows[0][1] == "0.02146953526581111"


def test_trained_network_calls_emily_female_and_frank_male() -> None:
    out = run_example("05_train_people.py")
    assert re.search(r"^Emily: 0\.\d{3} F$", out, re.MULTILINE), out
    assert re.search(r"^Frank: 0\.\d{3} M$", out, re.MULTILINE), out


def test_training_seed_changes_the_start_but_not_the_verdicts() -> None:
    default, other = (
        run_example("05_train_people.py"),
        run_example("05_train_people.py", "--seed", "3"),
    )
    assert "seed 3," in other and other != default
    assert "F" in re.findall(r"^Emily: \S+ (\w)$", other, re.MULTILINE)
    assert "M" in re.findall(r"^Frank: \S+ (\w)$", other, re.MULTILINE)


def test_moons_mlp_reaches_95_percent_training_accuracy() -> None:
    match = re.search(
        r"^training accuracy: ([\d.]+)%$", run_example("06_moons_mlp.py"), re.MULTILINE
    )
    assert match is not None
    assert float(match.group(1)) >= 95.0
