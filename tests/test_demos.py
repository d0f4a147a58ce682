"""The training demos (tinygrad-edu train digits|sequence|text): they run, print a
line per epoch, are seeded, save a model that loads back, draw their pictures, and
report bad input clearly. Short runs here; the full accuracy runs are marked slow."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from tinygrad_edu import cli
from tinygrad_edu.demos import History, digits_cnn, epoch_line, progress

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIMES = re.compile(r"\d+\.\d s$")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["train", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_digits_trains_saves_and_draws(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("sklearn", reason="the digits come with scikit-learn")
    pytest.importorskip("matplotlib", reason="the pictures need matplotlib")
    model_file, curves, pictures = tmp_path / "cnn.npz", tmp_path / "c.png", tmp_path / "p.png"
    code, out, _ = run(
        capsys,
        "digits",
        "--epochs",
        "1",
        "--save",
        str(model_file),
        "--plot",
        str(curves),
        "--pictures",
        str(pictures),
    )
    assert code == 0
    epochs = [line for line in out.splitlines() if line.startswith("epoch")]
    assert len(epochs) == 1 and "loss" in epochs[0] and "test" in epochs[0]
    accuracy = float(re.search(r"^test accuracy: ([\d.]+)%$", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert accuracy > 80  # one epoch already learns most digits
    model = digits_cnn(seed=5)
    model.load(model_file)  # the saved file is the trained model's state dict
    assert curves.read_bytes()[:8] == PNG_MAGIC and pictures.read_bytes()[:8] == PNG_MAGIC


def test_the_same_seed_gives_the_same_run(capsys: pytest.CaptureFixture[str]) -> None:
    def lines(seed: str) -> list[str]:
        code, out, _ = run(capsys, "sequence", "--epochs", "1", "--seed", seed)
        assert code == 0
        return [TIMES.sub("", line) for line in out.splitlines()]

    first = lines("3")
    assert first == lines("3") and first != lines("4")
    assert any(line.startswith("test accuracy:") for line in first)


def test_text_learns_a_file_from_the_repo_and_prints_samples(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(
        capsys,
        "text",
        str(ROOT / "LICENSE"),
        "--epochs",
        "2",
        "--hidden-size",
        "16",
        "--sequence-length",
        "16",
        "--sample-length",
        "25",
        "--save",
        str(tmp_path / "m.json"),
    )
    assert code == 0
    samples = re.findall(r"^  sample: '(.*)'$", out, re.MULTILINE)
    assert len(samples) == 2 and all(len(sample) >= 20 for sample in samples)
    losses = [float(x) for x in re.findall(r"^epoch +\d+/2 +loss ([\d.]+)", out, re.MULTILINE)]
    assert losses[1] < losses[0]
    assert (tmp_path / "m.json").stat().st_size > 0


def test_bad_input_is_reported_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, "text", str(tmp_path / "missing.txt"))
    assert code == 2 and "missing.txt" in err and "Traceback" not in err
    short = tmp_path / "short.txt"
    short.write_text("abc", encoding="utf-8")
    code, _, err = run(capsys, "text", str(short))
    assert code == 2 and "too few" in err
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # as if not installed
    code, _, err = run(capsys, "sequence", "--epochs", "1", "--plot", str(tmp_path / "c.png"))
    assert code == 1 and "tinygrad_edu[plot]" in err
    with pytest.raises(SystemExit):
        cli.main(["train", "digits", "--save", "model.pt"])
    assert ".npz or .json" in capsys.readouterr().err


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, log = Terminal(), io.StringIO()
    assert list(progress(range(4), 4, "epoch 1/1", terminal)) == [0, 1, 2, 3]
    assert list(progress(range(4), 4, "epoch 1/1", log)) == [0, 1, 2, 3]
    assert "epoch 1/1 [" + "#" * 30 + "] 4/4" in terminal.getvalue()
    assert "2/4" in terminal.getvalue() and log.getvalue() == ""


def test_the_progress_bar_draws_where_asked_and_is_wiped_at_the_end() -> None:
    """A notebook's output is no terminal: draw=True draws there, draw=False nowhere."""
    notebook_output, quiet_terminal = io.StringIO(), io.StringIO()
    quiet_terminal.isatty = lambda: True  # type: ignore[method-assign]
    assert list(progress(range(2), 2, "epoch 1/1", notebook_output, draw=True)) == [0, 1]
    assert list(progress(range(2), 2, "epoch 1/1", quiet_terminal, draw=False)) == [0, 1]
    drawn = notebook_output.getvalue()
    assert "epoch 1/1 [" + "#" * 15 + "." * 15 + "] 1/2" in drawn
    assert quiet_terminal.getvalue() == ""
    last_drawing = drawn.rsplit("\r", 2)[-2]  # what a terminal shows: the last wipe
    assert drawn.endswith("\r") and last_drawing.strip() == ""


def test_an_epoch_line_shows_seconds_only_when_given() -> None:
    history = History(loss=[0.5], train_accuracy=[0.25], test_accuracy=[0.125])
    assert epoch_line(1, 8, history) == "epoch  1/8  loss 0.5000  train 25.0%  test 12.5%"
    assert epoch_line(1, 8, history, 1.25).endswith("test 12.5%  1.2 s")


@pytest.mark.slow
def test_digits_demo_reaches_97_percent(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sklearn", reason="the digits come with scikit-learn")
    code, out, _ = run(capsys, "digits")
    accuracy = float(re.search(r"^test accuracy: ([\d.]+)%$", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert code == 0 and accuracy >= 97.0


@pytest.mark.slow
def test_sequence_demo_adds_99_percent_of_sums_right(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sequence")
    accuracy = float(re.search(r"^test accuracy: ([\d.]+)%", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert code == 0 and accuracy >= 99.0
