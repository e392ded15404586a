"""Headless Chromium for tests: the system's browser (Debian's `chromium`, installed by .ci/run),
driven by Playwright. Playwright's own browser downloads are never used: nothing may download
at run time.

Outside CI a machine without Chromium skips the browser tests with the reason; under CI (the
`CI` environment variable set, as .ci/run does) a missing browser is a failure, so the checks
cannot silently vanish.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# Flags for a sandboxed, offline, root-run CI container.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        message = "no system Chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless browser (playwright.sync_api.Browser); closed on exit."""
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()
