"""docs/: every Python example runs and prints what the page shows, no example is
skipped without a visible reason, the optimizer comparison script runs, and the API
page lists every module. The site itself is built and checked in tests/test_site.py.

How a page's examples run: the fenced ```pycon / ```python blocks of one page are put
together, at their own line numbers, into one doctest with fresh globals, so a page
reads (and runs) like one interactive session, top to bottom, in an empty folder.
A Python block that is deliberately not run must say why, visibly, on the line right
above it: ``<!-- not tested: the reason -->``.
"""

from __future__ import annotations

import doctest
import io
import re
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from .scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
PYTHON_LANGUAGES = {"python", "python3", "py", "pycon"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<language>[\w+-]*)")
NOT_TESTED = re.compile(r"<!--\s*not tested:\s*(?P<reason>\S.*?)\s*-->")

PAGES_NEEDING = {"guides/pytorch.md": "torch", "guides/your-data.md": "matplotlib"}
"""Pages whose examples need an optional package; they skip, with a reason, without it."""


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # 1-based line number of the opening fence
    language: str
    lines: tuple[str, ...]  # the block's content, its fence's indentation removed
    not_tested_reason: str | None

    @property
    def is_python(self) -> bool:
        return self.language.lower() in PYTHON_LANGUAGES

    @property
    def has_prompts(self) -> bool:
        return any(line.lstrip().startswith(">>>") for line in self.lines)


def fenced_blocks(page: Path) -> list[Block]:
    """Every fenced code block of a Markdown page, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        above = next((line for line in reversed(lines[:index]) if line.strip()), "")
        reason = NOT_TESTED.search(above)
        content = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            content.append(lines[index][len(indent) :] if lines[index].startswith(indent) else "")
            index += 1
        blocks.append(
            Block(
                page,
                line=index - len(content),
                language=opening["language"],
                lines=tuple(content),
                not_tested_reason=reason["reason"] if reason else None,
            )
        )
        index += 1  # past the closing fence
    return blocks


def page_session(page: Path) -> str:
    """The page's tested Python blocks as one doctest text, each line at its own line
    number (everything else blank), so failures point at the page's real lines."""
    total = len(page.read_text(encoding="utf-8").splitlines())
    text = [""] * total
    for block in fenced_blocks(page):
        if block.is_python and block.not_tested_reason is None:
            for offset, line in enumerate(block.lines):
                text[block.line + offset] = line  # block.line is the fence, 1-based
    return "\n".join(text) + "\n"


def relative(page: Path) -> str:
    return page.relative_to(DOCS).as_posix()


# ---------------------------------------------------------------------- the rules


def test_docs_has_pages_with_examples() -> None:
    assert any(block.is_python for page in PAGES for block in fenced_blocks(page))


def test_every_python_block_is_a_doctest_or_says_why_not() -> None:
    silent = [
        f"{relative(block.page)}:{block.line}"
        for page in PAGES
        for block in fenced_blocks(page)
        if block.is_python and not block.has_prompts and block.not_tested_reason is None
    ]
    assert not silent, (
        "these Python blocks have no >>> prompts, so nothing would run them; write them as "
        "doctests, or put '<!-- not tested: <reason> -->' on the line above: " + ", ".join(silent)
    )


def test_no_prompts_hide_outside_the_blocks_that_run() -> None:
    """A >>> line in prose, an indented block or a ```text block would never run."""
    stray = []
    for page in PAGES:
        run = set()
        for block in fenced_blocks(page):
            if block.is_python and block.not_tested_reason is None:
                run.update(range(block.line + 1, block.line + 1 + len(block.lines)))
        lines = page.read_text(encoding="utf-8").splitlines()
        stray += [
            f"{relative(page)}:{number}"
            for number, line in enumerate(lines, start=1)
            if line.lstrip().startswith(">>>") and number not in run
        ]
    assert not stray, f">>> lines outside a ```pycon block, never run: {', '.join(stray)}"


def test_not_tested_blocks_stay_rare() -> None:
    reasons = [
        (relative(block.page), block.line, block.not_tested_reason)
        for page in PAGES
        for block in fenced_blocks(page)
        if block.is_python and block.not_tested_reason is not None
    ]
    assert len(reasons) <= 3, f"too many untested Python blocks: {reasons}"


# ---------------------------------------------------------------------- examples


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_page_examples_print_what_they_show(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    needed = PAGES_NEEDING.get(relative(page))
    if needed is not None:
        pytest.importorskip(
            needed, reason=f"{relative(page)} compares with {needed}, which is not installed"
        )
    monkeypatch.chdir(tmp_path)  # pages that save files save them here
    name = relative(page)
    test = doctest.DocTestParser().get_doctest(
        page_session(page), {"__name__": "__docs__"}, name, str(page), 0
    )
    report = io.StringIO()
    runner = doctest.DocTestRunner()  # exact output; a page may opt in to +ELLIPSIS
    runner.run(test, out=report.write)
    assert runner.failures == 0, f"{name}: examples print something else:\n{report.getvalue()}"


def test_the_blocks_of_a_page_run_as_one_session(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Intro.\n\n```pycon\n>>> x = 2\n```\n\nProse.\n\n"
        "<!-- not tested: shows an error on purpose -->\n```python\nraise SystemExit\n```\n\n"
        "```pycon\n>>> x + 1\n3\n```\n",
        encoding="utf-8",
    )
    blocks = fenced_blocks(page)
    assert [(block.line, block.language, block.has_prompts) for block in blocks] == [
        (3, "pycon", True),
        (10, "python", False),
        (14, "pycon", True),
    ]
    assert blocks[1].not_tested_reason == "shows an error on purpose"
    test = doctest.DocTestParser().get_doctest(page_session(page), {}, "page", str(page), 0)
    assert [(example.source, example.want, example.lineno + 1) for example in test.examples] == [
        ("x = 2\n", "", 4),
        ("x + 1\n", "3\n", 15),
    ]


# ---------------------------------------------------------------------- the comparison


def load_comparison() -> ModuleType:
    return load_script(DOCS / "compare_optimizers.py")


def shown_comparison() -> list[str]:
    """The output block of docs/guides/choosing.md that starts like the script's output."""
    for block in fenced_blocks(DOCS / "guides" / "choosing.md"):
        if block.language == "text" and block.lines and block.lines[0].startswith("Two moons"):
            return list(block.lines)
    raise AssertionError("docs/guides/choosing.md shows no output of compare_optimizers.py")


def test_compare_optimizers_runs_in_fast_mode() -> None:
    comparison = load_comparison()
    printed = io.StringIO()
    with redirect_stdout(printed):
        assert comparison.main(["--fast"]) == 0
    lines = printed.getvalue().splitlines()
    rows = [name for _, table in comparison.TABLES for name, _ in table]
    assert all(any(line.strip().startswith(row) for line in lines) for row in rows)
    assert len(lines) == len(comparison.describe(comparison.FAST)) + sum(
        2 + len(table) + 1 for _, table in comparison.TABLES
    )


def test_choosing_page_shows_the_full_comparison_as_the_script_prints_it() -> None:
    """The numbers take ~25 s to recompute, too slow for every run; this checks that the
    page shows the full run's settings, tables and rows in the script's layout."""
    comparison = load_comparison()
    described = comparison.describe(comparison.FULL)
    shown = shown_comparison()
    assert shown[: len(described)] == described
    fast = io.StringIO()
    with redirect_stdout(fast):
        comparison.main(["--fast"])
    fast_lines = fast.getvalue().splitlines()[len(comparison.describe(comparison.FAST)) :]
    shown_lines = shown[len(described) :]
    number = re.compile(r"\s+[\d.]+%?|\s+-(?=\s|$)")
    assert [number.sub("", line) for line in shown_lines] == [
        number.sub("", line) for line in fast_lines
    ]


# ---------------------------------------------------------------------- the API page


def test_the_api_page_documents_every_module() -> None:
    modules = {
        f"tinygrad_edu.{path.stem}"
        for path in (ROOT / "tinygrad_edu").glob("*.py")
        if path.stem not in ("__init__", "__main__")
    }
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^::: (tinygrad_edu\.\w+)\s*$", api, flags=re.MULTILINE))
    assert not modules - listed, (
        f"docs/api.md does not document {sorted(modules - listed)}: add a line "
        "'::: tinygrad_edu.<module>' in the order the modules build on each other"
    )
    assert not listed - modules, f"docs/api.md lists modules that do not exist: {listed - modules}"
