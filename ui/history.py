"""The page's saved chats and ratings: the sidebar's event handlers over `rag.services.chats`.

Each user (the login name; everyone is "" without a login) sees only their own chats. When the
database is unreachable, locked or corrupt the chat still answers; the sidebar says that
history is unavailable and nothing is saved.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import gradio as gr

from rag.services.chats import ChatStore, ChatStoreError
from rag.services.transcript import chat_markdown
from rag.types import Answer
from ui import render

log = logging.getLogger(__name__)

UNAVAILABLE = "⚠ Chat history is unavailable: this chat answers, but is not saved."

Positions = dict[str, int]  # chat message index (as a string: gr.State is JSON) -> answer position


def user_of(request: gr.Request | None) -> str:
    return (request.username if request else None) or ""


def chat_list(store: ChatStore | None, user: str, selected: str | None = None) -> tuple[Any, str]:
    """The sidebar's list (newest first) and its note."""
    if store is None:
        return gr.Radio(choices=[], value=None), UNAVAILABLE
    try:
        chats = store.chats(user)
    except ChatStoreError as error:
        log.warning("listing chats: %s", error)
        return gr.Radio(choices=[], value=None), UNAVAILABLE
    choices = [(chat.title, chat.id) for chat in chats]
    return gr.Radio(choices=choices, value=selected), "" if chats else "No saved chats yet."


def save(
    store: ChatStore | None,
    user: str,
    chat_id: str | None,
    answers: list[Answer],
    messages: list[dict],
    positions: Positions,
) -> tuple[str | None, Positions, Any, str]:
    """After an answer: store it, note which message shows it; (chat_id, positions, list, note)."""
    if not answers:
        return chat_id, positions, *chat_list(store, user, chat_id)
    if len(answers) > len(positions):
        positions = {**positions, str(len(messages) - 1): len(answers) - 1}
    if store is None:
        return chat_id, positions, gr.skip(), UNAVAILABLE
    try:
        chat_id = store.save(user, chat_id, answers)
    except ChatStoreError as error:
        log.warning("saving a chat: %s", error)
        return chat_id, positions, gr.skip(), UNAVAILABLE
    return chat_id, positions, *chat_list(store, user, chat_id)


def open_chat(
    store: ChatStore | None, user: str, chat_id: str, show_scores: bool
) -> tuple[list[dict], list[Answer], str, Positions, str, str]:
    """A saved chat as it was shown: (messages, answers, sources, positions, title, note)."""
    try:
        answers = store.answers(user, chat_id) if store and chat_id else []
        title = (store.title(user, chat_id) if answers else None) or ""
    except ChatStoreError as error:
        log.warning("opening a chat: %s", error)
        raise gr.Error(UNAVAILABLE) from None
    messages: list[dict] = []
    for turn, answer in enumerate(answers, start=1):
        seconds = answer.timings_ms.get("total", 0) / 1000
        messages.append(render.user_message(answer.question))
        messages.append(render.assistant_message(render.answer_html(answer, turn, seconds)))
    positions = {str(2 * i + 1): i for i in range(len(answers))}
    sources = render.sources_html(answers, show_scores) if answers else render.empty_sources_html()
    return messages, answers, sources, positions, title, ""


def rename(store: ChatStore | None, user: str, chat_id: str | None, title: str) -> tuple[Any, str]:
    if store and chat_id and title.strip():
        try:
            store.rename(user, chat_id, title)
        except ChatStoreError as error:
            log.warning("renaming a chat: %s", error)
            return gr.skip(), UNAVAILABLE
    return chat_list(store, user, chat_id)


def delete(store: ChatStore | None, user: str, chat_id: str | None) -> tuple[Any, str]:
    if store and chat_id:
        try:
            store.delete(user, chat_id)
        except ChatStoreError as error:
            log.warning("deleting a chat: %s", error)
            return gr.skip(), UNAVAILABLE
    return chat_list(store, user)


def rate(
    store: ChatStore | None,
    user: str,
    chat_id: str | None,
    positions: Positions,
    index: int,
    liked: bool | None,
    comment: str = "",
) -> str:
    """Thumbs up/down (and a comment) on the answer shown by message `index`, or None when the
    reader takes their rating back; returns a note."""
    position = positions.get(str(index))
    if position is None:
        return "Only answers can be rated."
    if store is None or chat_id is None:
        return UNAVAILABLE
    try:
        store.rate(user, chat_id, position, liked, comment)
    except ChatStoreError as error:
        log.warning("rating an answer: %s", error)
        return UNAVAILABLE
    if liked is None:
        return "Rating removed."
    return "Thank you: rating saved." + (" Comment saved." if comment.strip() else "")


def markdown_file(store: ChatStore | None, user: str, chat_id: str | None) -> str | None:
    """The chat as a Markdown file to download, or None when there is none."""
    if not store or not chat_id:
        return None
    try:
        answers, title = store.answers(user, chat_id), store.title(user, chat_id)
    except ChatStoreError as error:
        log.warning("exporting a chat: %s", error)
        return None
    if not answers:
        return None
    path = _exports() / f"chat-{chat_id}.md"  # a chat exported again overwrites its file
    path.write_text(chat_markdown(title or "Chat", answers), encoding="utf-8")
    return str(path)


@cache
def _exports() -> Path:
    """This process's private folder of exported chats, removed when it exits."""
    folder = Path(tempfile.mkdtemp(prefix="rag-chat-exports-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
