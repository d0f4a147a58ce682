"""Draw every picture of the docs into docs/images/ (or into a folder you give): one
command for the four scripts that make them.

    python docs/make_images.py [folder]     # about a minute and a half

Each script can also run alone, and says in its docstring what it needs:

- docs/make_pictures.py: the graph pictures (Graphviz's ``dot``);
- docs/make_plots.py: loss curves, decision boundaries, the measured tables (matplotlib);
- docs/make_training_pictures.py: the digits CNN's filters and curves, the vanishing
  gradients of recurrent layers (matplotlib, scikit-learn);
- docs/make_playground_screenshots.py: the playground in a real browser (playwright and
  Debian's chromium).

No picture in docs/images/ is drawn by hand; tests/test_plots.py checks that each one
is written by one of these scripts.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SCRIPTS = ("make_pictures", "make_plots", "make_training_pictures", "make_playground_screenshots")


def run(script: str, folder: Path) -> int:
    """Run docs/<script>.py's ``main`` with the folder as its one argument."""
    spec = importlib.util.spec_from_file_location(script, DOCS / f"{script}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[script] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    status: int = module.main([str(folder)])
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run every script in turn; stop at the first that fails."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    folder = Path(arguments[0]) if arguments else DOCS / "images"
    for script in SCRIPTS:
        print(f"docs/{script}.py:")
        status = run(script, folder)
        if status != 0:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
