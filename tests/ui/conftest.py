"""Shared by the browser tests: one chromium per test module, and a fresh page on the
module's `served` app (a fixture yielding (url, anything)) for each test."""

from __future__ import annotations

import pytest
from browsing import CHROMIUM, CHROMIUM_ARGS, open_page


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, served):
    url, _ = served
    with open_page(browser, url) as page:
        yield page
