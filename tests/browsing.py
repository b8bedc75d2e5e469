"""Driving the chat page in Debian's chromium (importable from any test)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from corpus import ARTIFACTS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 90_000  # a loaded 2-core machine answers in seconds; allow for the worst


@contextmanager
def serving(settings) -> Iterator[str]:
    """The app as `rag ui` serves it, in this process; yields its URL."""
    from ui.app import build_app, launch

    demo = build_app(settings)
    launch(demo, settings, block=False)
    try:
        yield f"http://127.0.0.1:{settings.ui_port}"
    finally:
        demo.close()


@contextmanager
def open_page(browser, url: str) -> Iterator:
    """A fresh page on the app, recording every request host and every dialog."""
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.hosts, page.dialogs = set(), []
    page.on("request", lambda request: page.hosts.add(urlparse(request.url).hostname))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url, wait_until="load")
    page.locator("#question textarea").wait_for()
    try:
        yield page
    finally:
        page.close()


def ask(page, question: str) -> None:
    """Type a question, send it, wait for the final reply: an answer's meta line, or an error."""
    done = page.locator("#chat .meta, #chat .error")
    before = done.count()
    page.locator("#question textarea").fill(question)
    page.keyboard.press("Enter")
    done.nth(before).wait_for()


def last_answer(page):
    return page.locator("#chat [data-testid=bot]").last


def shoot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
