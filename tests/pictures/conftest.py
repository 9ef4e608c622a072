"""Fixtures of the report tests (the shared `world` comes from tests/conftest.py): one
network-blocked headless Chromium per module (`tests/pictures/browser.py`) that records every
script error and refused request of a page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.pictures.browser import chromium

WATCH = """
window.__problems = [];
addEventListener('error',
  e => __problems.push('error: ' + (e.message || (e.target && e.target.outerHTML))), true);
addEventListener('securitypolicyviolation',
  e => __problems.push('refused: ' + e.violatedDirective + ' ' + e.blockedURI));
"""
"""Run before any script of every page: what went wrong lands in `window.__problems`."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
        yield driver
