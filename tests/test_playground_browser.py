"""The playground and the stand-alone stepper in a real browser: Debian's headless
Chromium, driven by playwright. A network learns in the page, a click on a point opens
its graph, stepping backward to the end shows the same gradient the API gives, the
page's address brings the same set-up back, and nothing goes wrong in the console.

Without Chromium or playwright these tests skip, saying why, except in CI (CI=true),
where .ci/run installs both and a missing browser is a failure.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest

from tinygrad_edu.playground.server import PlaygroundServer
from tinygrad_edu.tutorial import tutorial_loss
from tinygrad_edu.viz import format_number, to_html

from .playground_helpers import Client, running_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = (
    Path(os.environ.get("TINYGRAD_EDU_ARTIFACTS", Path(__file__).resolve().parent.parent / "build"))
    / "test-artifacts"
)
WAIT_SECONDS = 120
"""How long a condition may take to come true: generous, for a loaded 2-core machine."""

T = TypeVar("T")


def missing_browser() -> str | None:
    """Why no browser can run here, or None."""
    if shutil.which(CHROMIUM) is None:
        return f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
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
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
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


def until(condition: Callable[[], T | None], what: str) -> T:
    """Poll ``condition`` until it gives something true; fail, saying what, after
    WAIT_SECONDS. (A wait on a condition, never a fixed sleep.)"""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"waited {WAIT_SECONDS} s for {what}")


def address(page: Any) -> str:
    """The page's address as the page itself has it now (playwright's ``page.url``
    learns of ``history.replaceState`` only between its own calls)."""
    href: str = page.evaluate("location.href")
    return href


def lonely_point(state: dict[str, Any], pixels: float, width: float) -> int:
    """A training point with no other shown point within ``pixels`` of it on a canvas
    ``width`` wide, so that a click on it can only mean it (the page takes the point
    nearest the click)."""
    everything = state["points"]["train"] + state["points"]["test"]
    scale = width / (2 * state["view"])
    for index, (x1, x2, _) in enumerate(state["points"]["train"]):
        near = [
            other
            for other in everything
            if math.hypot(other[0] - x1, other[1] - x2) * scale < pixels
        ]
        if len(near) == 1:
            return index
    raise AssertionError("every training point has a neighbour close by")


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
    page.click("#play")
    page.wait_for_selector("#play:not(.playing)")

    def settled() -> int | None:
        shown = int(page.text_content("#epoch") or "0")
        trained = client.ok("GET", f"/api/sessions/{session}")["epoch"]
        return shown if shown == trained > 0 else None

    epoch = until(settled, "the page to show the last epoch trained")
    history = client.ok("GET", f"/api/sessions/{session}")["test_losses"]
    assert len(history) == epoch + 1 and page.evaluate("page.state.test_losses") == history

    # Click a point that nothing else is near, and step backward to the end.
    canvas = page.locator("#boundary").bounding_box()
    index = lonely_point(start, pixels=4, width=canvas["width"])
    x1, x2, label = start["points"]["train"][index]
    half = start["view"]
    page.mouse.click(
        canvas["x"] + (x1 + half) / (2 * half) * canvas["width"],
        canvas["y"] + (half - x2) / (2 * half) * canvas["height"],
    )
    page.wait_for_selector("#point-panel:not([hidden]) #stepper[data-step='0']")
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

    # The address is the experiment: opened again, it brings the same set-up back.
    shared = address(page)
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
    watched.page.close()


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
