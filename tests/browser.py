"""The browser tests' shared parts: Debian's chromium, and asking on the chat page."""

from __future__ import annotations

from pathlib import Path

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
