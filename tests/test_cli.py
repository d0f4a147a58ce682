"""The command line: the demo runs, agrees both ways, and explains itself."""

from __future__ import annotations

import subprocess
import sys

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
