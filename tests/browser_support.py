"""Helpers for the browser tests (test_browser.py): Debian's Chromium driven by Playwright,
axe-core run inside the page, and screenshots a reviewer can look at.

The browser is always /usr/bin/chromium from the distribution (`make test` installs it when it
may); a downloaded browser is never used. Without it the tests are skipped with the reason,
except under CI=true, where they fail.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",  # the browser itself phones nobody during the tests
    "--disable-component-update",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
BLOCKING_IMPACTS = ("serious", "critical")


def require_chromium() -> None:
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return
    reason = (
        f"no Chromium at {CHROMIUM}: install Debian's package (`apt-get install chromium`, "
        "or `make test` as root); a downloaded browser is never used"
    )
    if IN_CI:
        pytest.fail(f"browser tests must run in CI, but {reason}")
    pytest.skip(reason)


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def axe_script() -> str:
    """axe-core as shipped by the axe-playwright-python package (no npm at test time)."""
    return (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text("utf-8")


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    {' '.join(node['target'])}: {node['html'][:160]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    """Run axe-core in the page as it is now; fail on any serious or critical violation."""
    page.add_script_tag(content=axe_script())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {where}:\n{describe_violations(blocking)}"


def overflow_px(page: Page) -> int:
    """How far the page is wider than the window: a phone user would have to scroll sideways."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def save_screenshots(page: Page, name: str) -> list[Path]:
    """Full-page PNGs at phone and desktop size (the phone size is restored afterwards), saved
    under test-output/screenshots/ for a reviewer; on the phone nothing may stick out sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(100)  # a resize re-lays out (and a Leaflet map redraws)
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=path, full_page=True)
        saved.append(path)
    assert overflow_px(page) <= 0, f"{name}: wider than a {PHONE['width']} px phone screen"
    return saved
