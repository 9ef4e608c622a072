"""A headless Chromium for the picture tests (dashboard, report), with the network blocked.

Why blocked: the dashboard and the offline HTML report promise to work without the internet (no
CDN script, no web font). A browser that can reach nothing but 127.0.0.1 turns a forgotten CDN
link into a page that does not render, so the test fails instead of passing on a networked laptop.
Two locks, because each misses something on its own:
- every host name but `localhost` resolves to nothing (`--host-resolver-rules`);
- every request not for the loopback goes to a proxy on a closed local port, so even an IP literal
  (`http://203.0.113.7/x.js`) fails.
`outside_requests(driver)` then lists what the page asked of anything but its own origin; a test
asserts it is empty.

Why these paths: the machine's network is closed, so nothing may be downloaded at run time.
Selenium is given the Debian chromedriver and `SE_OFFLINE=true`, so Selenium Manager never goes
looking for a driver. Usage:

    with chromium() as driver:
        driver.get(url)
        WebDriverWait(driver, 10).until(...)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1280, 900)
"""The window's size in CSS pixels: also the size of a screenshot (docs images are 1280 wide)."""

_CLOSED_PORT = 9
"""The discard port on 127.0.0.1, where nothing listens: the proxy every outside request is sent to."""


@contextmanager
def chromium(*, window: tuple[int, int] = WINDOW) -> Iterator[webdriver.Chrome]:
    """A headless Chromium that can reach only 127.0.0.1 and localhost; quit on exit."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            raise RuntimeError(
                f"{path} is missing: install Debian's chromium and chromium-driver (make system)"
            )
    previous = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never reach for the network
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={window[0]},{window[1]}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{_CLOSED_PORT}",
        "--proxy-bypass-list=localhost;127.0.0.1",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
    ):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    finally:
        if previous is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = previous
    try:
        yield driver
    finally:
        driver.quit()


def outside_requests(driver: webdriver.Chrome) -> list[str]:
    """The URLs the current page requested (scripts, styles, fonts, images, fetches) from anything but
    its own origin, as the browser's resource timing recorded them: empty for a self-contained page."""
    here = urlsplit(driver.current_url)
    urls: list[str] = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    return [
        url
        for url in urls
        if (parts := urlsplit(url)).scheme not in ("data", "blob")
        and (parts.scheme, parts.netloc) != (here.scheme, here.netloc)
    ]
