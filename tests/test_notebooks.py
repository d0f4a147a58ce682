"""The notebooks of examples/notebooks/: each runs from a clean kernel without an error,
and what it prints today is what the file shows (run
``python examples/notebooks/run_notebooks.py`` after changing one, or the code it uses).

Every notebook in the folder is tested, so a new one needs nothing here. How outputs
are compared (memory addresses normalised, pictures by kind) is said in
examples/notebooks/run_notebooks.py, which both this test and that command use.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .scripts import load_script

nbformat = pytest.importorskip("nbformat", reason="the notebooks need the dev extra")
pytest.importorskip("nbclient", reason="the notebooks need the dev extra")
pytest.importorskip("ipykernel", reason="the notebooks need the dev extra")

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ("image/svg+xml", "image/png")


runner = load_script(ROOT / "examples" / "notebooks" / "run_notebooks.py")
NOTEBOOKS = runner.notebooks()


def test_the_notebooks_of_the_issue_are_there() -> None:
    names = [path.name for path in NOTEBOOKS]
    assert names[:5] == [
        "01_the_tutorial.ipynb",
        "02_autograd_internals.ipynb",
        "03_tensors.ipynb",
        "04_digits_cnn.ipynb",
        "05_rnn.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_from_a_clean_kernel_and_shows_what_it_prints(path: Path) -> None:
    fresh = runner.execute(path)  # raises, showing the cell and its traceback, on an error
    stale = runner.differences(nbformat.read(path, as_version=4), fresh)
    assert not stale, (
        f"{path.name} shows other outputs than its code prints today; run "
        f"python examples/notebooks/run_notebooks.py {path.name}\n" + "\n".join(stale)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_saved_notebook_ran_top_to_bottom_once_with_every_output(path: Path) -> None:
    """A reader on a code host sees every output, from one run in reading order."""
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert all(cell.outputs for cell in code), "a code cell shows no output"
    errors = [out for cell in code for out in cell.outputs if out.output_type == "error"]
    assert not errors, f"{path.name} was saved with an error: {errors[0].evalue}"
    kinds = {kind for cell in code for out in cell.outputs for kind in out.get("data", {})}
    assert kinds & set(PICTURES), f"{path.name} shows no picture"


def test_every_notebook_starts_with_a_title_and_says_what_it_teaches() -> None:
    for path in NOTEBOOKS:
        first = nbformat.read(path, as_version=4).cells[0]
        assert first.cell_type == "markdown" and first.source.startswith("# "), path.name


def test_the_tutorial_notebook_draws_the_graph_before_and_after_backward_and_the_curve() -> None:
    notebook = nbformat.read(NOTEBOOKS[0], as_version=4)
    kinds = [
        kind
        for cell in notebook.cells
        for out in cell.get("outputs", [])
        for kind in out.get("data", {})
    ]
    assert kinds.count("image/svg+xml") >= 2 and "image/png" in kinds


def saved(name: str) -> tuple[str, list[str]]:
    """What the saved notebook ``name`` prints (every stream, joined) and the kinds of
    its other outputs, in order. The saved outputs are what a fresh run shows (the test
    above), so a check of them is a check of the code."""
    notebook = nbformat.read(runner.NOTEBOOKS / name, as_version=4)
    outputs = [out for cell in notebook.cells for out in cell.get("outputs", [])]
    printed = "".join(out.text for out in outputs if out.output_type == "stream")
    return printed, [kind for out in outputs for kind in out.get("data", {})]


def test_the_tensors_notebook_checks_every_number_against_the_scalar_engine() -> None:
    printed, kinds = saved("03_tensors.ipynb")
    assert printed.count("equal: True") == 9 and "equal: False" not in printed
    assert "all nine agree to 1e-15: True" in printed  # the batch
    assert "summed over the people (axis 0): [-0.01037328  0.02279693]" in printed
    assert "b_hidden.grad:                   [-0.01037328  0.02279693]" in printed
    assert "the curves agree to 1e-12: True" in printed  # training, both engines
    assert "the same as H v to 1e-12: True" in printed  # the Hessian-vector product
    assert "image/svg+xml" in kinds and "image/png" in kinds  # the graph, the curves


def test_the_digits_notebook_trains_with_a_settled_progress_bar_to_97_percent() -> None:
    printed, kinds = saved("04_digits_cnn.ipynb")
    accuracy = re.search(r"^test accuracy: ([\d.]+)% of 359 digits", printed, re.MULTILINE)
    assert accuracy is not None and float(accuracy.group(1)) >= 97.0
    assert printed.count("epoch ") >= 8 and "\r" not in printed and "[###" not in printed
    assert not re.search(r"\d s$", printed, re.MULTILINE), "a timing would differ each run"
    assert kinds.count("image/png") >= 4  # digits, one filter, the curves, filters + mistakes


def test_the_rnn_notebook_learns_to_add_and_finds_the_carry() -> None:
    printed, kinds = saved("05_rnn.ipynb")
    assert "the same last state: True" in printed  # a GRU step by hand
    accuracy = re.search(r"^test accuracy: ([\d.]+)% of 1000 sums", printed, re.MULTILINE)
    assert accuracy is not None and float(accuracy.group(1)) >= 99.0
    assert "183 + 165 = 348 by the network" in printed
    carry = re.search(r"^unit \d+: (-?[\d.]+)$", printed, re.MULTILINE)
    assert carry is not None and abs(float(carry.group(1))) > 0.9
    assert kinds.count("image/png") >= 3  # the curves, the state, the gradient norms


# ---------------------------------------------------------------------- the comparison


def test_normalise_hides_memory_addresses_trailing_spaces_and_redrawn_lines() -> None:
    assert runner.normalise("<ComputationGraph at 0x7f4a08366950>  \nnext") == (
        "<ComputationGraph at 0x...>\nnext"
    )
    assert runner.normalise("\r[#...] epoch 1/3\r[###] epoch 3/3\n") == "[###] epoch 3/3\n"
    assert runner.normalise("0x10 and 0.5") == "0x10 and 0.5"  # short hex numbers stay


def notebook_with(*outputs: dict[str, object]) -> object:
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.from_dict(output) for output in outputs]
    notebook.cells.append(cell)
    return notebook


def test_settle_streams_joins_a_stream_and_keeps_what_jupyter_shows_of_a_redrawn_line() -> None:
    notebook = notebook_with(
        {"output_type": "stream", "name": "stdout", "text": "epoch 1 [#.] 1/2\repoch 1 ["},
        {"output_type": "stream", "name": "stdout", "text": "##] 2/2\r         \rloss 0.5\n"},
        {"output_type": "stream", "name": "stdout", "text": "done\r\n"},
        {"output_type": "display_data", "data": {"text/plain": "<Fig>"}, "metadata": {}},
        {"output_type": "stream", "name": "stdout", "text": "after the picture\n"},
    )
    runner.settle_streams(notebook)
    outputs = notebook.cells[0].outputs  # type: ignore[attr-defined]
    assert [output.get("text") for output in outputs] == [
        "loss 0.5\ndone\r\n",  # a carriage return that ends a line draws over nothing
        None,
        "after the picture\n",  # a stream is not joined across a picture
    ]


def test_differences_compare_text_exactly_and_pictures_by_kind() -> None:
    saved = notebook_with(
        {"output_type": "stream", "name": "stdout", "text": "loss 0.5\n"},
        {
            "output_type": "display_data",
            "data": {"image/png": "AAAA", "text/plain": "<Fig>"},
            "metadata": {},
        },
    )
    split_and_redrawn = notebook_with(
        {"output_type": "stream", "name": "stdout", "text": "loss "},
        {"output_type": "stream", "name": "stdout", "text": "0.5\n"},
        {
            "output_type": "display_data",
            "data": {"image/png": "BBBB", "text/plain": "<Fig>"},
            "metadata": {},
        },
    )
    assert runner.differences(saved, split_and_redrawn) == []
    other_number = notebook_with({"output_type": "stream", "name": "stdout", "text": "loss 0.4\n"})
    (difference,) = runner.differences(saved, other_number)
    assert difference.startswith("code cell 1: saved") and "0.4" in difference
