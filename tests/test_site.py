"""The documentation site: mkdocs.yml lists every page, every page title has its Chinese
name, the site builds with ``mkdocs build --strict`` (a broken link fails it) in both
languages, and the built site loads nothing from another host.

The site is built once for this file (about 15 s: the API page is generated for each
language) and every test below reads that build.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def site_config() -> dict[str, object]:
    config: dict[str, object] = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    return config


def i18n_languages() -> list[dict[str, object]]:
    """The i18n plugin's languages, as mkdocs.yml lists them."""
    plugins = site_config()["plugins"]
    assert isinstance(plugins, list)
    for plugin in plugins:
        if isinstance(plugin, dict) and "i18n" in plugin:
            languages: list[dict[str, object]] = plugin["i18n"]["languages"]
            return languages
    raise AssertionError("mkdocs.yml has no i18n plugin: the site has no language switch")


def translated_locales() -> list[str]:
    return [str(language["locale"]) for language in i18n_languages() if not language.get("default")]


def nav_entries(nav: object) -> Iterator[tuple[str, str | None]]:
    """(title, page) for every entry of a nav, sections included (their page is None)."""
    if isinstance(nav, list):
        for item in nav:
            yield from nav_entries(item)
    elif isinstance(nav, dict):
        for title, value in nav.items():
            if isinstance(value, str):
                yield title, value
            else:
                yield title, None
                yield from nav_entries(value)


def english_pages() -> set[str]:
    """docs/**/*.md outside the translations' folders, relative to docs/."""
    locales = translated_locales()
    return {
        page.relative_to(DOCS).as_posix()
        for page in DOCS.rglob("*.md")
        if page.relative_to(DOCS).parts[0] not in locales
    }


# ---------------------------------------------------------------------- mkdocs.yml


def test_every_page_is_in_the_nav_and_every_nav_entry_exists() -> None:
    listed = [page for _, page in nav_entries(site_config()["nav"]) if page is not None]
    existing = english_pages()
    assert len(listed) == len(set(listed)), "a page is listed twice in the nav"
    assert existing <= set(listed), f"pages missing from the nav: {existing - set(listed)}"
    missing = set(listed) - existing
    assert not missing, f"the nav lists pages that do not exist: {missing}"


@pytest.mark.parametrize("locale", translated_locales())
def test_every_nav_title_has_a_translation(locale: str) -> None:
    """A new page gets its title in every language, and a renamed one keeps it."""
    (language,) = [lang for lang in i18n_languages() if lang["locale"] == locale]
    translations = language["nav_translations"]
    assert isinstance(translations, dict)
    titles = [title for title, _ in nav_entries(site_config()["nav"])]
    assert not set(titles) - set(translations), (
        f"nav titles without a '{locale}' name in mkdocs.yml's nav_translations: "
        f"{sorted(set(titles) - set(translations))}"
    )
    assert not set(translations) - set(titles), (
        f"'{locale}' nav_translations for titles the nav no longer has: "
        f"{sorted(set(translations) - set(titles))}"
    )


@pytest.mark.parametrize("locale", translated_locales())
def test_every_translated_page_translates_an_english_page(locale: str) -> None:
    translated = {
        page.relative_to(DOCS / locale).as_posix() for page in (DOCS / locale).rglob("*.md")
    }
    assert {"index.md", "tutorial.md"} <= translated
    assert translated <= english_pages(), (
        f"docs/{locale}/ has pages with no English original: {translated - english_pages()}"
    )


HEADING = re.compile(r"^(#{2,6}) (.+?)(?: \{#(?P<anchor>[\w-]+)\})?$")


def headings(page: Path) -> list[tuple[int, str, str]]:
    """(level, text, anchor) of every ## heading; the anchor is the explicit {#id}, or
    the one the toc extension makes from the text."""
    found = []
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        match = None if fenced else HEADING.match(line)
        if match:
            anchor = match["anchor"] or slugify(match[2], "-")
            found.append((len(match[1]), match[2], anchor))
    return found


@pytest.mark.parametrize("locale", translated_locales())
def test_a_translated_page_keeps_the_english_pages_headings_and_anchors(locale: str) -> None:
    """Chinese headings make no anchor of their own (the toc drops non-ASCII letters), so
    each carries the English heading's as {#id}: the same link reaches the same section
    in both languages, and a translation cannot silently skip a section."""
    for page in sorted((DOCS / locale).rglob("*.md")):
        original = DOCS / page.relative_to(DOCS / locale)
        english = [(level, anchor) for level, _, anchor in headings(original)]
        translated = [(level, anchor) for level, _, anchor in headings(page)]
        assert translated == english, f"docs/{page.relative_to(DOCS)} vs docs/{original.name}"


# ---------------------------------------------------------------------- the build


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # no banner about MkDocs 2
    )
    assert built.returncode == 0, built.stderr + built.stdout
    return folder


def test_site_builds_strictly_in_every_language(site: Path) -> None:
    for page in ("index.html", "tutorial/index.html", "api/index.html"):
        assert (site / page).is_file(), page
        for locale in translated_locales():
            assert (site / locale / page).is_file(), f"{locale}/{page}"


def test_the_scripts_beside_the_pages_stay_out_of_the_site(site: Path) -> None:
    assert sorted(path.name for path in DOCS.glob("*.py"))  # there are some to leave out
    assert not sorted(str(path.relative_to(site)) for path in site.rglob("*.py"))


def test_the_api_page_is_generated_from_the_docstrings(site: Path) -> None:
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert 'id="tinygrad_edu.engine.Value"' in api
    assert "Value.backward" in api


def test_code_is_coloured_at_build_time_and_has_a_copy_button(site: Path) -> None:
    tutorial = (site / "tutorial" / "index.html").read_text(encoding="utf-8")
    # Pygments' tokens: the prompt (gp) and a keyword (kn), each with its colour class.
    assert '<span class="gp">&gt;&gt;&gt; </span><span class="kn">from</span>' in tutorial
    assert '"content.code.copy"' in tutorial  # Material's feature flag for the copy button


def test_every_page_has_a_language_switch_to_its_translation(site: Path) -> None:
    english = (site / "tutorial" / "index.html").read_text(encoding="utf-8")
    for locale in translated_locales():
        assert f'href="../{locale}/tutorial/" hreflang="{locale}"' in english
        translated = (site / locale / "tutorial" / "index.html").read_text(encoding="utf-8")
        assert f'<html lang="{locale}"' in translated
        assert 'href="../../tutorial/" hreflang="en"' in translated


def test_chinese_pages_are_searchable_word_by_word(site: Path) -> None:
    """jieba splits Chinese text at build time; the search index marks the splits."""
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    section = [
        entry["text"] for entry in index["docs"] if entry["location"] == "zh/tutorial/#1-one-neuron"
    ]
    assert section and "\u200b神经元\u200b" in section[0]


# ---------------------------------------------------------------------- nothing from elsewhere

RESOURCE_ATTRIBUTES = {
    "script": ("src",),
    "link": ("href",),  # stylesheets, icons, preloads (rel="alternate"/"next": links)
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "iframe": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "image": ("href", "xlink:href"),  # inside inline SVG
    "use": ("href", "xlink:href"),
}
NAVIGATION_LINKS = {"alternate", "canonical", "next", "prev", "search"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)|@import\s+['"]([^'"]+)""")


class ResourceFinder(HTMLParser):
    """Collects every address a page makes the browser load: scripts, styles, fonts,
    pictures, frames; inline styles' url(...) too. Plain links (<a href>) are not loads."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and set(values.get("rel", "").split()) & NAVIGATION_LINKS:
            return
        for attribute in RESOURCE_ATTRIBUTES.get(tag, ()):
            if attribute in values:
                addresses = values[attribute]
                if attribute == "srcset":
                    self.addresses += [part.split()[0] for part in addresses.split(",") if part]
                else:
                    self.addresses.append(addresses)
        if "style" in values:
            self.addresses += css_addresses(values["style"])

    def handle_data(self, data: str) -> None:
        if self.lasttag == "style":
            self.addresses += css_addresses(data)


def css_addresses(css: str) -> list[str]:
    return [match[0] or match[1] for match in CSS_URL.findall(css)]


def is_elsewhere(address: str) -> bool:
    """An address on another host: a scheme (http:, https:, ...) or a protocol-relative
    //host. data: URIs carry their content inline and count as here."""
    parts = urlsplit(address.strip())
    return parts.scheme not in ("", "data") or bool(parts.netloc)


@pytest.fixture(scope="module")
def loaded_addresses(site: Path) -> list[tuple[Path, str]]:
    """(file, address) for everything each page and stylesheet of the site loads."""
    found = []
    for page in site.rglob("*.html"):
        finder = ResourceFinder()
        finder.feed(page.read_text(encoding="utf-8"))
        found += [(page, address) for address in finder.addresses]
    for stylesheet in site.rglob("*.css"):
        found += [(stylesheet, address) for address in css_addresses(stylesheet.read_text())]
    return found


def test_the_finder_sees_what_a_browser_would_load() -> None:
    finder = ResourceFinder()
    finder.feed(
        '<link rel="stylesheet" href="https://cdn.example/x.css"><link rel="alternate" '
        'href="https://example.org/zh/"><script src="//cdn.example/y.js"></script>'
        '<img src="images/a.svg" srcset="b.png 2x, https://img.example/c.png 3x">'
        '<a href="https://example.org">prose</a><div style="background: url(\'z.png\')">'
        "<style>@import 'https://fonts.example/f.css';</style>"
    )
    assert finder.addresses == [
        "https://cdn.example/x.css",
        "//cdn.example/y.js",
        "images/a.svg",
        "b.png",
        "https://img.example/c.png",
        "z.png",
        "https://fonts.example/f.css",
    ]
    assert [is_elsewhere(address) for address in finder.addresses] == [
        True, True, False, False, True, False, True
    ]  # fmt: skip
    assert not is_elsewhere("data:image/svg+xml;charset=utf-8,<svg/>")


def test_the_built_site_loads_nothing_from_another_host(
    site: Path, loaded_addresses: list[tuple[Path, str]]
) -> None:
    assert any(address.endswith(".css") for _, address in loaded_addresses)  # the finder works
    elsewhere = sorted(
        f"{file.relative_to(site)}: {address}"
        for file, address in loaded_addresses
        if is_elsewhere(address)
    )
    assert not elsewhere, "the site loads from other hosts:\n" + "\n".join(elsewhere[:20])


def test_everything_the_site_loads_is_in_the_site(
    site: Path, loaded_addresses: list[tuple[Path, str]]
) -> None:
    """Relative addresses resolve to files of the build; so do root-relative ones, which
    only 404.html uses (it is served at any depth)."""
    missing = []
    for file, address in loaded_addresses:
        if is_elsewhere(address) or address.startswith(("data:", "#")):
            continue
        path = urlsplit(address).path
        target = site / path.lstrip("/") if path.startswith("/") else file.parent / path
        if not target.exists():
            missing.append(f"{file.relative_to(site)}: {address}")
    assert not missing, "the site refers to files it does not have:\n" + "\n".join(missing[:20])


@pytest.mark.parametrize("page", ["tutorial/index.html", "zh/tutorial/index.html"])
def test_the_tutorial_in_each_language_shows_its_pictures_and_the_stepper(
    site: Path, page: str
) -> None:
    """The chain-rule picture, the training curve, the decision boundary and the
    stand-alone backprop stepper are embedded where the tutorial teaches them."""
    finder = ResourceFinder()
    tutorial = site / page
    finder.feed(tutorial.read_text(encoding="utf-8"))
    names = {Path(urlsplit(address).path).name for address in finder.addresses}
    expected = {
        "tutorial_chain_rule_w1.svg",
        "tutorial_training.svg",
        "tutorial_boundary.svg",
        "tutorial.html",
    }
    assert expected <= names, f"{page} lacks {sorted(expected - names)}"
    (stepper,) = [address for address in finder.addresses if address.endswith("tutorial.html")]
    assert 'id="stepper-data"' in (tutorial.parent / stepper).read_text(encoding="utf-8")


def test_no_page_needs_a_script_from_the_internet(site: Path) -> None:
    """Material's script fetches mermaid from a CDN, but only for a page with a mermaid
    diagram (and a polyfill only in browsers without ResizeObserver, which every current
    browser has). No page may have one; a diagram belongs in a picture made by a script."""
    pages = [page for page in site.rglob("*.html") if 'class="mermaid"' in page.read_text("utf-8")]
    assert not pages, f"pages with mermaid diagrams: {pages}"
