"""The command line: the demo runs, agrees both ways, and explains itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_edu.cli import main


def test_demo_trains_both_ways_and_calls_emily_f_and_frank_m(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--epochs", "300", "--every", "100"]) == 0
    out = capsys.readouterr().out
    rows = [
        line.split() for line in out.splitlines() if line.strip().startswith(("100", "200", "300"))
    ]
    assert len(rows) == 3
    for _, autograd, by_hand in rows:
        assert autograd == by_hand
    emily = next(line for line in out.splitlines() if line.startswith("Emily")).split()
    frank = next(line for line in out.splitlines() if line.startswith("Frank")).split()
    assert emily[2] == emily[4] == "F" and frank[2] == frank[4] == "M"


def test_demo_help_teaches_what_it_does() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "demo", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "hand" in result.stdout and "--seed" in result.stdout and "--lr" in result.stdout


def test_bad_flags_are_rejected_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--epochs", "0"])
    assert "must be a positive whole number" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["demo", "--seed", "-1"])
    assert "--seed: must be a whole number >= 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["demo", "--lr", "inf"])
    assert "--lr: must be a positive finite number" in capsys.readouterr().err
    assert main([]) == 2


def test_the_tinygrad_edu_script_is_declared() -> None:
    from importlib.metadata import entry_points

    scripts = {entry.name: entry.value for entry in entry_points(group="console_scripts")}
    assert scripts.get("tinygrad-edu") == "tinygrad_edu.cli:main"


BAD_GRAPH_COMMANDS = {
    "text into a .png": ["graph", "--format", "text", "--output", "picture.png"],
    "a fractional power of -1": ["graph", "a ** b", "a=-1", "b=0.5"],
    "a division by zero": ["graph", "1 / a", "a=0"],
    "brackets nested 5,000 deep": ["graph", "(" * 5000 + "a" + ")" * 5000, "a=1"],
    "a 5,000-digit constant": ["graph", "a * " + "9" * 5000, "a=1"],
    "a constant past a float's range": ["graph", "a * 2e999", "a=1"],
    "a value past a float's range": ["graph", "a*b", "a=1", "b=2e999"],
    "a 5,000-digit value": ["graph", "a*b", "a=1", "b=" + "9" * 5000],
    "a value of inf": ["graph", "a*b", "a=1", "b=inf"],
    "a value of nan": ["graph", "a*b", "a=nan", "b=1"],
    "a graph too big to show": ["graph", " + ".join(["a"] * 600), "a=1"],
    "a tree too deep to indent": ["graph", "tanh(" * 120 + "a" + ")" * 120, "a=1", "--format=tree"],
    "an unknown label": ["graph", "--highlight", "w9"],
    "a folder that is not there": ["graph", "--output", "no/such/folder/graph.txt"],
}


@pytest.mark.parametrize("argv", BAD_GRAPH_COMMANDS.values(), ids=BAD_GRAPH_COMMANDS.keys())
def test_each_bad_graph_command_exits_2_with_one_readable_line(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" or "=" in captured.out  # nothing, or the explanation asked for
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygrad-edu graph: "), captured.err
    assert not list(tmp_path.iterdir())  # and no file written


@pytest.mark.parametrize(
    "value", ["2e999", "9" * 5000, "-inf", "nan"], ids=["2e999", "5,000 digits", "-inf", "nan"]
)
def test_a_value_that_is_not_a_finite_float_is_refused_by_its_name(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", "a*b", "a=1", f"b={value}"]) == 2  # not run with b = inf
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("tinygrad-edu graph: b must be a finite number, got ")


def test_the_output_files_suffix_picks_the_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dot = tmp_path / "graph.dot"
    assert main(["graph", "--output", str(dot)]) == 0
    assert dot.read_text().startswith("digraph")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    png = tmp_path / "picture.png"
    assert main(["graph", "--output", str(png)]) == 0  # a PNG, not text in a .png
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["graph", "--format", "png", "--output", str(png)]) == 0


def _unwritable_outputs(folder: Path) -> dict[str, list[str]]:
    (folder / "a file").write_text("not a folder")
    (folder / "a folder.npz").mkdir()
    return {
        "no such folder": ["digits", "--save", str(folder / "nonexistent" / "x.npz")],
        "a file as the folder": ["sequence", "--plot", str(folder / "a file" / "c.png")],
        "a folder as the file": ["digits", "--save", str(folder / "a folder.npz")],
        "pictures into no folder": ["digits", "--pictures", str(folder / "none" / "p.png")],
    }


@pytest.mark.parametrize(
    "case",
    ["no such folder", "a file as the folder", "a folder as the file", "pictures into no folder"],
)
def test_train_refuses_an_output_it_could_not_write_before_training(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinygrad_edu import demos

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started before the output was checked")

    for name in ("train_digits", "train_sequence", "train_text"):
        monkeypatch.setattr(demos, name, no_training)
    argv = _unwritable_outputs(tmp_path)[case]
    assert main(["train", *argv]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"tinygrad-edu train {argv[0]}: {argv[1]} {argv[2]}: ")


def test_train_refuses_a_folder_it_may_not_write_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as a read-only folder is
    assert main(["train", "digits", "--save", str(tmp_path / "x.npz")]) == 2
    assert capsys.readouterr().err.strip().endswith(f"the folder {tmp_path} is not writable")
