"""Debian's Chromium under Playwright, headless: one place for its path and flags, used by the
browser tests and ``bench pages``. Playwright never downloads a browser of its own."""

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("BALAI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
# A phone's screen, in CSS pixels.
PHONE = {"width": 390, "height": 844}


def chromium_missing() -> str | None:
    """Why Chromium cannot run here, or None."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return None
    return (
        f"Chromium is missing at {CHROMIUM}: install Debian's package "
        "(apt-get install chromium; scripts/test and scripts/bench pages do) or set BALAI_CHROMIUM."
    )


@contextlib.contextmanager
def chromium(*extra_args: str, env: dict | None = None):
    """A headless Chromium (Playwright's ``Browser``), closed on leaving; fails the test when
    Chromium is missing. ``env``: the browser process's environment (e.g. a HOME whose NSS
    database trusts a test CA)."""
    from playwright.sync_api import sync_playwright

    if problem := chromium_missing():
        pytest.fail(problem)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args], env=env
        )
        try:
            yield browser
        finally:
            browser.close()
