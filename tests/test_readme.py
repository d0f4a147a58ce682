"""README.md: its Python taste runs as shown, and its commands are the ones CI runs."""

from __future__ import annotations

import doctest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_examples_print_what_they_show() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in text.split("```python\n")[1:]]
    parser = doctest.DocTestParser()
    test = parser.get_doctest("\n".join(blocks), {}, "README.md", str(ROOT / "README.md"), 0)
    assert test.examples, "README.md has no >>> examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_ci_runs_the_readme_commands_exactly() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [block.split("```", 1)[0].strip() for block in readme.split("```bash\n")[1:]]
    assert commands[:2] == [
        'pip install -e ".[dev]" && python -m tinygrad_edu demo',
        "python -m pytest",
    ]
    ci_lines = [line.strip() for line in ci.splitlines()]
    assert all(command in ci_lines for command in commands[:2])
