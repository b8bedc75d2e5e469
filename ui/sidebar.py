"""The saved chats' sidebar and the ratings: its components and how they are wired to the
page. What each event does is in `ui.history`; this module only connects them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from rag.services.chats import ChatStore
from ui import history, render

Chats = Callable[[], ChatStore | None]  # the shared database, or None while unavailable
PRIVATE = {"api_visibility": "private"}
CLEARED = (None, {}, None, "")  # a new chat: no id, no positions, nothing selected, no title


@dataclass(frozen=True)
class Page:
    """The parts of the page a saved chat fills."""

    demo: gr.Blocks
    chat: gr.Chatbot
    answers: gr.State
    sources: gr.HTML
    show_scores: gr.Checkbox


@dataclass(frozen=True)
class Saved:
    chat_id: gr.State  # the saved chat on show; None until its first answer
    positions: gr.State  # which chat message shows which answer (for ratings)
    rating: gr.State  # [message index, liked] of the last thumbs up/down
    chats: gr.Radio
    note: gr.Markdown
    title: gr.Textbox
    rename: gr.Button
    delete: gr.Button
    export: gr.Button
    export_file: gr.File
    comment: gr.Textbox  # not rendered here: the page puts it under the chat

    @property
    def cleared(self) -> list[Any]:
        """The components `CLEARED` resets."""
        return [self.chat_id, self.positions, self.chats, self.title]


def build() -> Saved:
    """The sidebar (inside a gr.Blocks) and the states it keeps."""
    states = gr.State(None), gr.State({}), gr.State(None)
    with gr.Sidebar(label="Chats", elem_id="chats-sidebar"):
        chats = gr.Radio([], label="Your chats", elem_id="chat-list")
        note = gr.Markdown(elem_id="history-note")
        title = gr.Textbox(label="Title", elem_id="chat-title", max_lines=1)
        with gr.Row():
            rename = gr.Button("Rename", size="sm", elem_id="rename-chat")
            delete = gr.Button("Delete", size="sm", variant="stop", elem_id="delete-chat")
        export = gr.Button("Export as Markdown", size="sm", elem_id="export-chat")
        export_file = gr.File(label="Markdown", visible=False, elem_id="export-file")
    comment = gr.Textbox(
        visible=False,
        show_label=False,
        elem_id="rating-comment",
        placeholder="A comment on your rating (optional), then Enter",
        render=False,
    )
    return Saved(*states, chats, note, title, rename, delete, export, export_file, comment)


def save_event(chats: Chats, saved: Saved, page: Page) -> dict[str, Any]:
    """The step after each answer: store it (keyword arguments of `.then`)."""

    def save(chat_id, answers, messages, positions, request: gr.Request):
        user = history.user_of(request)
        return history.save(chats(), user, chat_id, answers, messages, positions)

    return {
        "fn": save,
        "inputs": [saved.chat_id, page.answers, page.chat, saved.positions],
        "outputs": [saved.chat_id, saved.positions, saved.chats, saved.note],
        **PRIVATE,
    }


def wire(chats: Chats, saved: Saved, page: Page) -> None:
    """The sidebar's events: list on load, open, rename, delete, export; and the ratings."""

    def listed(request: gr.Request):
        return history.chat_list(chats(), history.user_of(request))

    page.demo.load(listed, None, [saved.chats, saved.note], **PRIVATE)

    def opened(chat_id: str, show_scores: bool, request: gr.Request):
        return chat_id, *history.open_chat(chats(), history.user_of(request), chat_id, show_scores)

    shown = [page.chat, page.answers, page.sources, saved.positions, saved.title, saved.note]
    saved.chats.input(opened, [saved.chats, page.show_scores], [saved.chat_id, *shown], **PRIVATE)

    def renamed(chat_id: str | None, title: str, request: gr.Request):
        return history.rename(chats(), history.user_of(request), chat_id, title)

    saved.rename.click(renamed, [saved.chat_id, saved.title], [saved.chats, saved.note], **PRIVATE)

    def deleted(chat_id: str | None, request: gr.Request):
        listing = history.delete(chats(), history.user_of(request), chat_id)
        return [], [], render.empty_sources_html(), None, {}, "", *listing

    emptied = [page.chat, page.answers, page.sources, saved.chat_id, saved.positions]
    saved.delete.click(
        deleted, [saved.chat_id], [*emptied, saved.title, saved.chats, saved.note], **PRIVATE
    )

    def exported(chat_id: str | None, request: gr.Request):
        path = history.markdown_file(chats(), history.user_of(request), chat_id)
        if path is None:
            gr.Warning("Ask a question first: there is no saved chat to export.")
        return gr.File(value=path, visible=path is not None)

    saved.export.click(exported, [saved.chat_id], [saved.export_file], **PRIVATE)

    def rated(chat_id, positions, event: gr.LikeData, request: gr.Request):
        index = event.index if isinstance(event.index, int) else event.index[0]
        # Gradio sends True (like), False (dislike), or "" when a rating is clicked off again
        liked = event.liked if isinstance(event.liked, bool) else None
        user = history.user_of(request)
        note = history.rate(chats(), user, chat_id, positions, index, liked)
        gr.Info(note)
        return [index, liked], gr.Textbox(visible=note.startswith("Thank"), value="")

    page.chat.like(
        rated, [saved.chat_id, saved.positions], [saved.rating, saved.comment], **PRIVATE
    )

    def commented(chat_id, positions, rating, text: str, request: gr.Request):
        if rating:
            index, liked = rating
            user = history.user_of(request)
            gr.Info(history.rate(chats(), user, chat_id, positions, index, liked, text))
        return gr.Textbox(visible=False, value="")

    saved.comment.submit(
        commented,
        [saved.chat_id, saved.positions, saved.rating, saved.comment],
        [saved.comment],
        **PRIVATE,
    )
