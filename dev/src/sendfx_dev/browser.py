"""Debian's Chromium (`/usr/bin/chromium`, put there by `make install`) driven
by PyPI's playwright: the browser tests and `make bench-console` launch it here.

Never `playwright install`: browser downloads fail on these machines, and the
distribution's build is the one users of the platform's machines have.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path(os.environ.get("SENDFX_CHROMIUM", "/usr/bin/chromium"))
# What INFRA.md found to work headless as root on a machine with no GPU and
# no network but the loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_missing() -> str | None:
    """Why the browser cannot be launched here, or None when it can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (make install puts Debian's chromium there)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing (uv sync puts the dev group in .venv)"
    return None


@contextmanager
def chromium() -> Iterator["Browser"]:
    """A headless Chromium for the block's duration."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
