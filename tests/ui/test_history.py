"""The sidebar's handlers over a real index and a real database; and when the database is
corrupt, the chat still answers and the sidebar says that history is unavailable."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.services.shared import Services
from ui import history
from ui.app import respond, services_for
from ui.settings import UISettings

RAILWAY = "How long will the Iran-Turkey railway be?"


def services_with(corpus_store, chats_url: str) -> Services:
    store_dir = Path(corpus_store.client.get_settings().persist_directory)
    return services_for(UISettings(store_dir=store_dir, backend="extractive", chats_url=chats_url))


def ask(services: Services, question: str, messages: list, answers: list) -> tuple[list, list]:
    *_, last = respond(services, question, messages, answers, "extractive", 5, False)
    _, messages, kept, *_ = last
    return messages, kept if isinstance(kept, list) else answers  # an error skips the answers


def test_a_chat_is_saved_opened_and_rated(corpus_store, tmp_path):
    services = services_with(corpus_store, f"sqlite:///{tmp_path / 'chats.db'}")
    store = services.chats()
    messages, answers = ask(services, "", [], [])  # an error message: not an answer
    messages, answers = ask(services, RAILWAY, messages, answers)
    chat_id, positions, listing, note = history.save(store, "ann", None, answers, messages, {})
    assert positions == {"2": 0} and note == ""
    assert listing.choices == [(RAILWAY, chat_id)] and listing.value == chat_id
    assert history.rate(store, "ann", chat_id, positions, 0, True) == "Only answers can be rated."
    assert history.rate(store, "ann", chat_id, positions, 2, True).startswith("Thank you")
    assert store.feedback()[0].answer == answers[0]
    assert history.rate(store, "ann", chat_id, positions, 2, None) == "Rating removed."
    assert store.feedback() == []
    history.rate(store, "ann", chat_id, positions, 2, True)

    shown, kept, sources, opened, title, _ = history.open_chat(store, "ann", chat_id, False)
    assert kept == answers and title == RAILWAY and opened == {"1": 0}
    assert [m["role"] for m in shown] == ["user", "assistant"]
    assert "200 kilometers" in shown[1]["content"] and "200 kilometers" in sources
    assert history.open_chat(store, "bob", chat_id, False)[1] == []

    path = history.markdown_file(store, "ann", chat_id)
    assert "> Reports say that this railway will be approximately 200 kilometers long." in Path(
        path
    ).read_text(encoding="utf-8")
    assert history.markdown_file(store, "bob", chat_id) is None
    again = history.markdown_file(store, "ann", chat_id)
    assert again == path  # exporting again overwrites: one file per chat, in one private folder
    assert Path(path).parent.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("damage", ["corrupt", "unreachable"])
def test_without_history_the_chat_still_answers(corpus_store, tmp_path, damage):
    if damage == "corrupt":
        (tmp_path / "chats.db").write_bytes(b"not a database" * 500)
        url = f"sqlite:///{tmp_path / 'chats.db'}"
    else:
        url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    services = services_with(corpus_store, url)
    assert services.chats() is None
    messages, answers = ask(services, RAILWAY, [], [])
    assert "200 kilometers" in answers[0].answer
    chat_id, positions, _, note = history.save(None, "", None, answers, messages, {})
    assert chat_id is None and positions == {"1": 0}
    assert note == history.UNAVAILABLE
    assert history.chat_list(None, "")[1] == history.UNAVAILABLE
    assert history.rate(None, "", None, positions, 1, True) == history.UNAVAILABLE
