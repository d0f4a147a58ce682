"""The playground and the stand-alone stepper in a real browser: Debian's headless
Chromium, driven by playwright. A network learns in the page, a click on a point opens
its graph, stepping backward to the end shows the same gradient the API gives, the
page's address brings the same set-up back, and nothing goes wrong in the console.

Without Chromium or playwright these tests skip, saying why, except in CI (CI=true),
where .ci/run installs both and a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

from tinygrad_edu.playground.server import PlaygroundServer
from tinygrad_edu.tutorial import tutorial_loss
from tinygrad_edu.viz import format_number, to_html

from .playground_helpers import Client, running_server
from .scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("TINYGRAD_EDU_ARTIFACTS", ROOT / "build")) / "test-artifacts"


def load_screenshots_script() -> ModuleType:
    """docs/make_playground_screenshots.py: it drives the browser as these tests do, and
    these tests run it, so that the docs' pictures can always be taken again."""
    return load_script(ROOT / "docs" / "make_playground_screenshots.py")


shots = load_screenshots_script()
until = shots.until


def missing_browser() -> str | None:
    """Why no browser can run here, or None."""
    if shutil.which(shots.CHROMIUM) is None:
        return f"needs Debian's chromium at {shots.CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright package (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = missing_browser()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=shots.CHROMIUM, args=shots.CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server() -> Iterator[PlaygroundServer]:
    with running_server() as running:
        yield running


class Watched:
    """A page whose console errors, page errors and requests are recorded."""

    def __init__(self, browser: Any, base: str) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.problems: list[str] = []
        self.elsewhere: list[str] = []
        origin = urlsplit(base).netloc
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on(
            "requestfailed", lambda request: self.problems.append(f"failed: {request.url}")
        )
        self.page.on(
            "request",
            lambda request: (
                None
                if urlsplit(request.url).netloc == origin
                or request.url.startswith(("data:", "file:"))
                else self.elsewhere.append(request.url)
            ),
        )

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")


def address(page: Any) -> str:
    """The page's address as the page itself has it now (playwright's ``page.url``
    learns of ``history.replaceState`` only between its own calls)."""
    href: str = page.evaluate("location.href")
    return href


def test_a_network_learns_and_a_clicked_points_backprop_matches_the_api(
    browser: Any, server: PlaygroundServer
) -> None:
    client = Client(server)
    watched = Watched(browser, server.url)
    page = watched.page
    page.goto(server.url)
    page.wait_for_selector("body[data-ready=true]")

    # Choose a data set and an optimizer; the set-up goes into the address at once.
    page.click("[data-dataset=gaussians]")
    page.wait_for_selector("[data-dataset=gaussians].chosen")
    page.select_option("#optimizer", "adam")
    until(
        lambda: "optimizer=adam" in address(page) and "dataset=gaussians" in address(page),
        "the address",
    )
    session = until(lambda: page.get_attribute("body", "data-session"), "a session")
    until(
        lambda: client.ok("GET", f"/api/sessions/{session}")["config"]["optimizer"] == "adam",
        "the set-up to reach the server",
    )
    start = client.ok("GET", f"/api/sessions/{session}")
    first_loss = start["test_losses"][0]

    # Train until the test loss has dropped to a third.
    page.click("#play")
    until(
        lambda: float(page.get_attribute("body", "data-test-loss") or "nan") < first_loss / 3,
        "the test loss to drop",
    )
    epoch = shots.pause(page)
    assert int(page.text_content("#epoch") or "0") == epoch > 0
    history = client.ok("GET", f"/api/sessions/{session}")["test_losses"]
    assert len(history) == epoch + 1 and page.evaluate("page.state.test_losses") == history

    # Click a point that nothing else is near, and step backward to the end.
    index = shots.click_point(page, start)
    label = start["points"]["train"][index][2]
    assert page.text_content("#point-heading").startswith(f"Training point {index}:")
    page.click("#stepper button[data-action=end]")
    page.wait_for_selector("#stepper[data-phase=done]")
    page.select_option("#parameter", "W1[1,0]")
    page.wait_for_selector("#scalar-grad[data-final=true]")
    until(lambda: page.text_content("#explanation"), "the chain rule")

    # The page shows what the API computes: the scalar engine's gradient, equal to
    # the tensor engine's for the same point.
    answer = client.ok("POST", f"/api/sessions/{session}/point", {"split": "train", "index": index})
    parameter = next(p for p in answer["parameters"] if p["label"] == "W1[1,0]")
    shown_scalar = float(page.get_attribute("#scalar-grad", "data-value"))
    shown_tensor = float(page.get_attribute("#tensor-grad", "data-value"))
    assert shown_scalar == parameter["grad"]
    assert shown_tensor == parameter["tensor_grad"]
    assert shown_scalar == pytest.approx(shown_tensor, rel=1e-9, abs=1e-15)
    assert answer["point"]["label"] == label
    explained = client.ok(
        "POST",
        f"/api/sessions/{session}/explain",
        {"split": "train", "index": index, "parameter": "W1[1,0]"},
    )
    assert page.text_content("#explanation") == explained["text"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=True)

    # The address is the experiment: reloaded, or opened in another tab, it brings the
    # same set-up back, from the start.
    shared = address(page)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert address(page) == shared and page.text_content("#epoch") == "000000"
    reloaded = page.get_attribute("body", "data-session")
    assert client.ok("GET", f"/api/sessions/{reloaded}")["config"] == start["config"]
    again = Watched(browser, server.url)
    again.page.goto(shared)
    again.page.wait_for_selector("body[data-ready=true]")
    assert address(again.page) == shared
    assert again.page.get_attribute("[data-dataset=gaussians]", "aria-checked") == "true"
    assert again.page.input_value("#optimizer") == "adam"
    copy = client.ok("GET", f"/api/sessions/{again.page.get_attribute('body', 'data-session')}")
    assert copy["config"] == start["config"]
    assert copy["test_losses"][0] == first_loss  # same seed: same points, same start

    assert watched.problems == [] and again.problems == []
    assert watched.elsewhere == [] and again.elsewhere == []
    page.close()
    again.page.close()


def test_a_link_with_a_bad_set_up_says_why_and_shows_the_defaults(
    browser: Any, server: PlaygroundServer
) -> None:
    watched = Watched(browser, server.url)
    watched.page.goto(server.url + "#dataset=spirals&hidden=4,99")
    watched.page.wait_for_selector("body[data-ready=true]")
    message = watched.page.text_content("#message") or ""
    assert "hidden[1] must be from 1 to 8, got 99" in message
    assert watched.page.get_attribute("[data-dataset=circles]", "aria-checked") == "true"
    # A new address in the same tab (typed, pasted, or a link's #...) is followed...
    watched.page.goto(server.url + "#dataset=moons&hidden=3")
    watched.page.wait_for_selector("[data-dataset=moons][aria-checked=true]")
    assert watched.page.text_content("#layer-count") == "1 hidden layer"
    # ...unless it cannot be: then the page says why and keeps the set-up it shows.
    watched.page.goto(server.url + "#dataset=moons&activation=softmax")
    watched.page.wait_for_selector("#message:has-text('activation must be one of')")
    until(lambda: "activation=tanh" in address(watched.page), "the address put back")
    watched.page.close()


def test_a_deep_networks_point_is_explained_and_a_session_that_ended_says_so(
    browser: Any, server: PlaygroundServer
) -> None:
    client = Client(server)
    watched = Watched(browser, server.url)
    page = watched.page
    # Three hidden layers of 8: a point's graph of 511 Values, whose chain rule was a 500.
    page.goto(server.url + "#dataset=spirals&hidden=8,8,8")
    page.wait_for_selector("body[data-ready=true]")
    session = page.get_attribute("body", "data-session")
    shots.click_point(page, client.ok("GET", f"/api/sessions/{session}"))
    until(lambda: (page.text_content("#explanation") or "").startswith("dL/d("), "the chain rule")
    assert page.is_hidden("#message") and watched.problems == []

    # More tabs than the server keeps: this one, now used least recently, has ended.
    for _ in range(server.sessions.max_sessions):
        client.new_session(dataset="xor", hidden=[])
    page.click("#step")
    page.wait_for_selector("#message:has-text('session has ended')")
    message = page.text_content("#message") or ""
    assert "tabs were opened" in message and "Reload the page to start again" in message
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.get_attribute("body", "data-session") != session
    page.close()


def test_the_stand_alone_stepper_steps_to_the_end(browser: Any, tmp_path: Path) -> None:
    loss, model = tutorial_loss()
    path = tmp_path / "stepper.html"
    path.write_text(to_html(loss, model=model), encoding="utf-8")
    loss.backward()  # the numbers the page must end on
    watched = Watched(browser, path.as_uri())
    page = watched.page
    page.goto(path.as_uri())
    page.wait_for_selector("#stepper[data-step='0']")
    w1_box = page.locator("g.node", has_text="w1")
    assert "grad 0" in (w1_box.text_content() or "")
    page.locator("#stepper").press("ArrowRight")
    page.wait_for_selector("#stepper[data-step='1']")
    page.click("#stepper button[data-action=end]")
    page.wait_for_selector("#stepper[data-phase=done]")
    for name, parameter in zip(("w1", "w2", "b1"), model.parameters()):
        box = page.locator("g.node", has=page.locator("text", has_text=name)).first
        assert f"grad {format_number(parameter.grad)}" in (box.text_content() or "")
    steps = int(page.get_attribute("#stepper", "data-step") or "0")
    assert page.text_content(".stepper-counter") == f"step {steps} of {steps} · backward"
    page.click("#stepper button[data-action=start]")
    page.wait_for_selector("#stepper[data-step='0']")
    assert page.locator("g.node.is-unknown").count() > 0  # computed Values hidden again
    page.screenshot(path=str(tmp_path / "stepper.png"))
    assert watched.problems == [] and watched.elsewhere == []
    page.close()


@pytest.mark.slow
def test_the_docs_screenshots_can_be_taken_again(
    browser: Any, server: PlaygroundServer, tmp_path: Path
) -> None:
    """docs/make_playground_screenshots.py takes every picture docs/playground.md shows
    (after a few epochs only: the docs' pictures are taken after 150)."""
    written = shots.take_screenshots(browser, server.url, tmp_path, epochs=5)
    page = (ROOT / "docs" / "playground.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\(images/(playground_[\w.]+\.png)\)", page))
    assert shown == {path.name for path in written}
    for path in written:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert (ROOT / "docs" / "images" / path.name).is_file()


def test_your_own_points_from_a_csv_file(
    browser: Any, server: PlaygroundServer, tmp_path: Path
) -> None:
    rows = "".join(f"{x / 4},{(x * 7 % 11) / 4},{int(x % 3 == 0)}\n" for x in range(-12, 12))
    csv = tmp_path / "points.csv"
    csv.write_text("x1,x2,label\n" + rows, encoding="utf-8")
    watched = Watched(browser, server.url)
    page = watched.page
    page.goto(server.url)
    page.wait_for_selector("body[data-ready=true]")
    page.set_input_files("#csv", str(csv))
    until(lambda: "dataset=csv" in address(page), "the uploaded points")
    state = Client(server).ok("GET", f"/api/sessions/{page.get_attribute('body', 'data-session')}")
    assert len(state["points"]["train"]) + len(state["points"]["test"]) == 24
    assert watched.problems == [] and watched.elsewhere == []
    page.close()
