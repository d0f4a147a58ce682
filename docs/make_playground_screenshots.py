"""Take the screenshots of docs/playground.md from the real playground, in a real browser.

Every picture of the playground in the docs comes from this script, which starts the
playground's server, opens it in Debian's headless Chromium and uses it as a person
would: it picks a set-up, trains, clicks a point and steps through its backprop. Run it
again after changing the page: python3 docs/make_playground_screenshots.py [folder]

Needs Chromium (apt-get install chromium) and playwright (pip install -e ".[dev]"):
playwright drives the system's Chromium, as the browser tests do.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tinygrad_edu.playground.server import make_server

IMAGES = Path(__file__).resolve().parent / "images"
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
WAIT_SECONDS = 180
"""How long a condition may take to come true: generous, for a slow or busy machine."""

SPIRALS = (
    "#dataset=spirals&noise=0.05&features=x1,x2,sinx1,sinx2&hidden=8,8&activation=tanh"
    "&learning_rate=0.03&optimizer=adam&batch_size=10"
)
"""The set-up of the tour: spirals, which a small tanh network learns in a minute."""
SPIRALS_EPOCHS = 150

T = TypeVar("T")


def until(condition: Callable[[], T | None], what: str, seconds: float = WAIT_SECONDS) -> T:
    """Poll ``condition`` until it gives something true; fail, saying what, after
    ``seconds``. (A wait on a condition, never a fixed sleep.)"""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds} s for {what}")


def pause(page: Any) -> int:
    """Press pause, wait for the answer to the request still on its way, and return
    the epoch the page shows then."""
    page.click("#play")
    page.wait_for_selector("#play:not(.playing)")
    epoch: int = page.evaluate("page.queue.then(() => page.state.epoch)")
    return epoch


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


def click_point(page: Any, state: dict[str, Any]) -> int:
    """Click a training point that nothing else is near; return its index."""
    canvas = page.locator("#boundary").bounding_box()
    index = lonely_point(state, pixels=4, width=canvas["width"])
    x1, x2, _ = state["points"]["train"][index]
    half = state["view"]
    page.mouse.click(
        canvas["x"] + (x1 + half) / (2 * half) * canvas["width"],
        canvas["y"] + (half - x2) / (2 * half) * canvas["height"],
    )
    page.wait_for_selector("#point-panel:not([hidden]) #stepper[data-step='0']")
    return index


def take_screenshots(
    browser: Any, base_url: str, folder: Path, epochs: int = SPIRALS_EPOCHS
) -> list[Path]:
    """The tour: spirals learning for ``epochs``, then one point's graph halfway
    through backward."""
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(base_url + SPIRALS)
    page.wait_for_selector("body[data-ready=true]")
    page.click("#play")
    until(
        lambda: int(page.get_attribute("body", "data-epoch") or "0") >= epochs,
        f"{epochs} epochs of training",
    )
    pause(page)
    learning = folder / "playground_spirals.png"
    page.screenshot(path=str(learning))
    compact(learning)

    click_point(page, page.evaluate("page.state"))
    page.select_option("#parameter", "W1[0,0]")
    page.wait_for_selector("#explanation:not(:empty)")
    # Halfway through backward: the forward steps, the seed, then half of the edges.
    steps = page.evaluate("page.point.graph.steps.map((step) => step.kind)")
    halfway = steps.index("seed") + (len(steps) - steps.index("seed")) // 2
    page.locator("#stepper input[type=range]").fill(str(halfway))
    page.wait_for_selector(f"#stepper[data-step='{halfway}']")
    point = folder / "playground_point.png"
    # A clip of the page, not an element screenshot: that would scroll the picture
    # back to its start.
    panel = page.locator("#point-panel")
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(point), clip=panel.bounding_box())
    compact(point)
    page.close()
    return [learning, point]


def compact(path: Path) -> None:
    """Save a screenshot again with a palette of 256 colours: about a third of the
    size, and no visible change for a page of flat colours (Pillow comes with
    matplotlib, in the dev extra)."""
    from PIL import Image

    with Image.open(path) as screenshot:
        palette_image = screenshot.convert("RGB").quantize(colors=256)
    palette_image.save(path, optimize=True)


def main(argv: list[str]) -> int:
    """Take every screenshot into the folder ``argv[0]`` (default docs/images)."""
    from playwright.sync_api import sync_playwright

    folder = Path(argv[0]) if argv else IMAGES
    folder.mkdir(parents=True, exist_ok=True)
    server = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for path in take_screenshots(browser, server.url, folder):
                print(f"wrote {path}")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
