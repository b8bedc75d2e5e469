"""Saved chats in a real browser, behind a login: ask, reload, the chat is in the sidebar and
opens with its sources; rename, rate, export, delete; stored under the login's name."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from browsing import CHROMIUM, TIMEOUT_MS, ask, last_answer, shoot
from ports import free_port

from rag.services.chats import ChatStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
USER, PASSWORD = "alice", "alice-password"
RAILWAY = "How long will the Iran-Turkey railway be?"


@pytest.fixture(scope="module")
def served(corpus_store, tmp_path_factory):
    from ui.app import build_app, launch
    from ui.settings import UISettings

    database = tmp_path_factory.mktemp("chats") / "chats.db"
    settings = UISettings(
        store_dir=Path(corpus_store.client.get_settings().persist_directory),
        ui_port=free_port(),
        backend="extractive",
        chats_url=f"sqlite:///{database}",
        api_key="key",
        ui_user=USER,
        ui_password=PASSWORD,
    )
    demo = build_app(settings)
    launch(demo, settings, block=False)
    yield f"http://127.0.0.1:{settings.ui_port}", settings.chats_url
    demo.close()


def logged_in(browser, url: str):
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.get_by_label("username").fill(USER)
    page.get_by_label("password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.locator("#question textarea").wait_for()
    return page


def chat_titles(page) -> list[str]:
    return page.locator("#chat-list label").all_inner_texts()


def test_a_chat_survives_a_reload_with_its_sources(browser, served):
    url, chats_url = served
    page = logged_in(browser, url)
    ask(page, RAILWAY)
    ask(page, "How much will it cost?")
    page.locator("#chat-list label", has_text=RAILWAY).wait_for()

    page.reload()
    page.locator("#chat-list label", has_text=RAILWAY).wait_for()
    assert chat_titles(page)[0] == RAILWAY
    assert page.locator("#chat [data-testid=bot]").count() == 0  # a fresh page ...
    page.locator("#chat-list label", has_text=RAILWAY).click()  # ... opens the saved chat
    page.locator("#chat .meta").nth(1).wait_for()
    assert "1.6 billion" in last_answer(page).inner_text()
    quote = page.locator("#src-1-1 mark.quote")
    assert "200 kilometers" in quote.text_content()  # in the first turn's folded sources
    page.locator("#chat a.cite[href='#src-2-1']").wait_for()
    shoot(page, "saved-chats")

    page.locator("#chat-title textarea, #chat-title input").fill("Railway questions")
    page.locator("#rename-chat").click()
    page.locator("#chat-list label", has_text="Railway questions").wait_for()

    page.locator("#chat").get_by_label("Like", exact=True).last.click()  # thumbs up, a comment
    page.locator("#rating-comment textarea").fill("exactly what I needed")
    page.keyboard.press("Enter")
    page.locator("#rating-comment").wait_for(state="hidden")
    page.locator("#export-chat").click()
    link = page.locator("#export-file a").first
    link.wait_for()
    exported = page.request.get(link.get_attribute("href")).text()
    assert exported.startswith("# Railway questions\n\n## How long will the Iran-Turkey railway")
    assert "> Reports say that this railway will be approximately 200 kilometers long." in exported
    page.set_content(f"<pre style='white-space: pre-wrap'>{html.escape(exported)}</pre>")
    shoot(page, "exported-chat")

    page.close()
    store = ChatStore(chats_url)
    ratings = store.feedback()
    assert [(r.liked, r.comment, r.answer.question) for r in ratings] == [
        (True, "exactly what I needed", "How much will it cost?")
    ]
    assert [c.title for c in store.chats(USER)] == ["Railway questions"]
    assert store.chats("") == []  # kept under the login's name


def test_delete_removes_the_chat(browser, served):
    url, _ = served
    page = logged_in(browser, url)
    ask(page, "Who is Nicole Grajewski?")
    page.locator("#chat-list label", has_text="Who is Nicole Grajewski?").wait_for()
    page.locator("#delete-chat").click()
    page.locator("#chat-list label", has_text="Who is Nicole Grajewski?").wait_for(state="detached")
    assert page.locator("#chat [data-testid=bot]").count() == 0
    page.reload()
    page.locator("#question textarea").wait_for()
    page.wait_for_timeout(1000)
    assert "Who is Nicole Grajewski?" not in chat_titles(page)
    page.close()
