"""Run every notebook of examples/notebooks/ from a clean kernel, and save its outputs.

From the repository root (needs the dev extra: pip install -e ".[dev]"):

    python examples/notebooks/run_notebooks.py            # re-run all, save the outputs
    python examples/notebooks/run_notebooks.py --check    # re-run all, save nothing: fail
                                                          # if a saved output is stale
    python examples/notebooks/run_notebooks.py 01_the_tutorial.ipynb   # just these

The notebooks are saved with their outputs so that they read on a code host without
running. tests/test_notebooks.py runs each one the same way and fails on an error, or
when what the code prints today differs from what the file shows.

What "differs" means: every text output (printed text, results, error messages) must
match exactly once the parts that change from run to run are normalised: memory
addresses (``at 0x7f...``) and trailing spaces. Pictures (SVG, PNG) are compared by
kind, not byte by byte: Graphviz and matplotlib draw the same picture with slightly
different bytes from one version to the next.

What is saved: the outputs as Jupyter shows them. A progress bar redraws its line
after a carriage return many times a second; Jupyter shows only the last drawing, and
so does the file (``settle_streams``), which stays small and reads on a code host as
it did in Jupyter.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parent
ROOT = NOTEBOOKS.parent.parent
TIMEOUT = 120  # seconds one cell may take: every notebook here runs in seconds
TEXT_TYPES = ("text/plain", "text/markdown", "application/json")
"""Output kinds compared as text; every other kind (pictures, HTML) by kind alone."""

MEMORY_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
OVERDRAWN = re.compile(r"[^\n]*\r(?=[^\n])")
"""What a carriage return followed by more text on the same line draws over (as
Jupyter and nbclient's coalesce_streams read it)."""


def notebooks() -> list[Path]:
    """Every notebook of the folder, in reading order (01_, 02_, ...)."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def normalise(text: str) -> str:
    """Text output with what changes from run to run replaced: memory addresses, and
    the spaces at the ends of lines. A progress bar redraws its line after a carriage
    return; only the last drawing counts, as on a terminal."""
    text = MEMORY_ADDRESS.sub("0x...", text)
    return "\n".join(line.rsplit("\r", 1)[-1].rstrip() for line in text.split("\n"))


def execute(path: Path) -> Any:
    """The notebook at ``path``, run top to bottom in a new kernel in its own folder.

    Raises nbclient's CellExecutionError, which shows the failing cell and its
    traceback, on the first cell that fails.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    # The kernel imports this checkout's tinygrad_edu even where it is not installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    )
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT,
        kernel_name="python3",
        record_timing=False,  # no timestamps in the file: a re-run changes nothing
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    settle_streams(notebook)
    return notebook


def settle_streams(notebook: Any) -> None:
    """In each code cell, join consecutive pieces of one stream (how a print is split
    into messages depends on timing, not on the code) and keep of each line only what
    is left after its last carriage return: what Jupyter shows of a progress bar."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        settled: list[Any] = []
        for output in cell.outputs:
            previous = settled[-1] if settled else None
            if (
                output.output_type == "stream"
                and previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name
            ):
                previous.text += output.text
            else:
                settled.append(output)
        for output in settled:
            if output.output_type == "stream":
                output.text = OVERDRAWN.sub("", output.text)
        cell.outputs = settled


def shown(notebook: Any) -> list[list[tuple[str, str]]]:
    """For each code cell, its outputs as (kind, normalised text) pairs: the stream's
    name or the output's MIME type, and its text (empty for pictures)."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs: list[tuple[str, str]] = []
        for output in cell.outputs:
            if output.output_type == "stream":
                if outputs and outputs[-1][0] == output.name:
                    # How a print is split into messages depends on timing, not on the code.
                    outputs[-1] = (output.name, outputs[-1][1] + output.text)
                else:
                    outputs.append((output.name, output.text))
            elif output.output_type == "error":
                outputs.append(("error", f"{output.ename}: {output.evalue}"))
            else:
                for kind, data in sorted(output.data.items()):
                    outputs.append((kind, str(data) if kind in TEXT_TYPES else ""))
        cells.append([(kind, normalise(text)) for kind, text in outputs])
    return cells


def differences(saved: Any, fresh: Any) -> list[str]:
    """Where the outputs saved in a notebook differ from a fresh run's, cell by cell."""
    found = []
    for number, (old, new) in enumerate(zip(shown(saved), shown(fresh)), start=1):
        if old != new:
            found.append(f"code cell {number}: saved {old!r}\n    but a fresh run shows {new!r}")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Run the notebooks named (default: all) and save them, or with --check, compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook file names (default: all)")
    parser.add_argument("--check", action="store_true", help="compare, do not save")
    args = parser.parse_args(argv)
    paths = [NOTEBOOKS / name for name in args.names] if args.names else notebooks()
    import nbformat

    stale = 0
    for path in paths:
        fresh = execute(path)
        if args.check:
            found = differences(nbformat.read(path, as_version=4), fresh)
            stale += bool(found)
            print(f"{path.name}: " + ("stale\n  " + "\n  ".join(found) if found else "in step"))
        else:
            nbformat.write(fresh, path)
            print(f"{path.name}: ran and saved")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
