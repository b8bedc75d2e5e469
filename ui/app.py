"""The chat page: a Gradio Blocks app over the answering service, and its launcher.

Every browser session, `/ask` (the scripting endpoint, see `ask`) and the OpenAI-compatible API
under /v1 (`ui.api`) answer through the process's one `rag.services.Answering`: the same
pipelines, warm-up, fallback and limit on answers at once. Sessions keep their own
conversation: the chat messages and the list of `Answer`s, whose citations feed the sources
panel. The page makes no request beyond its own server: system fonts, no analytics, no share
link.

With a generative backend, the pipeline's checked extractive answer (`FirstAnswer`) is shown at
once with its sources, and a line under it says the model is refining it; the model's draft is
not shown. The model's answer replaces it only where it passed every check (`refined_by`), and
the line then says so; otherwise the first answer stays as it is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI

from index.store import StoreError
from rag.backends.base import BackendError, available
from rag.services.answering import ANSWERS_AT_ONCE, Reply
from rag.services.shared import Services
from rag.settings import TOP_K_MAX
from rag.types import Answer, Completed, FirstAnswer, QuestionError, TextDelta
from ui import render, sidebar
from ui.access import check_api_key, login, upload_allowed
from ui.api import create_api, mounted
from ui.library import library_tab
from ui.settings import UISettings

log = logging.getLogger(__name__)

QUEUE_SIZE = 64
MAX_EXAMPLES = 4


def services_for(settings: UISettings) -> Services:
    """The process's shared services; the store is created empty where the page may upload."""
    return Services(settings, create_store=upload_allowed(settings))


def examples(services: Services) -> list[str]:
    """The settings' example questions, else questions made from the documents' titles."""
    if services.settings.ui_examples:
        return services.settings.ui_examples[:MAX_EXAMPLES]
    try:
        return services.library().examples(MAX_EXAMPLES)
    except StoreError:
        return []


# --- chat events -----------------------------------------------------------------------------


def _history(answers: list[Answer]) -> list[tuple[str, str]]:
    return [(a.question, a.answer) for a in answers if not a.error]


def _status(reply: Reply, final: Answer | None) -> str:
    """Which answer the reader is looking at, under a first answer: while the model refines it
    (`final` None), and once it is done."""
    model, fallback = reply.backend, reply.fallback
    if final is None:
        return f"checked {fallback} answer · the {model} model is refining it…"
    if final.refined_by:
        return ""  # the answer says who refined it (`render.answer_html`)
    if final.error:
        return f"the {model} model failed ({final.error}); this is the checked {fallback} answer"
    return f"the {model} model's answer did not pass the checks; this is the {fallback} answer"


def respond(
    services: Services,
    question: str,
    messages: list[dict[str, Any]],
    answers: list[Answer],
    backend: str,
    top_k: float,
    show_scores: bool,
    doc_ids: list[str] | None = None,
) -> Iterator[tuple]:
    """Stream one answer into the chat, from the chosen documents only if any are chosen.
    Yields (textbox, chat, answers, sources, tabs)."""
    messages, answers = list(messages or []), list(answers or [])
    question = (question or "").strip()
    started = time.perf_counter()
    skip = gr.skip()
    if question:
        messages.append(render.user_message(question))
    messages.append(render.assistant_message(render.pending_html()))
    yield "", messages, skip, skip, skip
    turn = len(answers) + 1
    first: Answer | None = None
    try:
        reply = services.answering.stream(
            question, _history(answers), backend, int(top_k), doc_ids or None
        )
        answer, text = None, ""
        for event in reply.events:
            match event:
                case FirstAnswer(first):
                    seconds = time.perf_counter() - started
                    shown = [*answers, first]
                    html = render.answer_html(
                        first, turn, seconds, reply.note, _status(reply, None)
                    )
                    messages[-1] = render.assistant_message(html)
                    sources = render.sources_html(shown, show_scores)
                    yield skip, messages, shown, sources, gr.Tabs(selected="sources")
                case TextDelta(piece) if first is None:  # not a draft under a first answer
                    text += piece
                    messages[-1] = render.assistant_message(render.streaming_html(text))
                    yield skip, messages, skip, skip, skip
                case Completed(answer):
                    pass
        assert answer is not None
    except (QuestionError, StoreError, BackendError) as error:
        messages[-1] = render.assistant_message(render.error_html(_sentence(str(error))))
        yield skip, messages, skip, skip, skip
        return
    except Exception as error:
        log.exception("answering %r failed", question)
        messages[-1] = render.assistant_message(
            render.error_html(
                f"Something went wrong while answering ({type(error).__name__}: {error}).",
                "The details are in the server log.",
            )
        )
        yield skip, messages, skip, skip, skip
        return
    status = ""
    if first is not None:
        status = _status(reply, answer)
        if answer.error:  # the first answer stays; the failure is in the log
            log.warning("the %s model failed: %s", reply.backend, answer.error)
            answer = first
    elapsed = time.perf_counter() - started
    answers.append(answer)
    sources = render.sources_html(answers, show_scores)
    messages[-1] = render.assistant_message(
        render.answer_html(answer, turn, elapsed, reply.note, status)
    )
    yield skip, messages, answers, sources, gr.Tabs(selected="sources")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def ask(
    services: Services,
    question: str,
    backend: str | None = None,
    top_k: int | None = None,
    history: list[list[str]] | None = None,
) -> dict[str, Any]:
    """Answer a question from the indexed documents, with citations that quote them exactly.

    Arguments: question; backend (extractive, llamacpp or openai; default: the server's);
    top_k (passages to retrieve, 1-20); history (earlier [question, answer] pairs, for
    follow-up questions). Returns the `rag ask --json` object: answer, abstained,
    citations (n, doc_id, title, quote, start, end, score, page, section), retrieved, backend,
    timings_ms, error.
    """
    if any(not isinstance(turn, list | tuple) or len(turn) != 2 for turn in history or []):
        raise gr.Error("history must be a list of [question, answer] pairs")
    turns = [(str(q), str(a)) for q, a in (history or [])]
    try:
        answer = services.answering.ask(
            question, turns, backend, int(top_k) if top_k is not None else None
        )
    except (QuestionError, StoreError, BackendError) as error:
        raise gr.Error(str(error)) from None
    return answer.to_json_dict()


def document_page(services: Services, doc_id: str, start: int, end: int) -> str:
    """The cleaned text of an indexed document; never a file read from a given path."""
    view = services.library().view(doc_id)
    if view is None:
        return render.document_message_html("That document is not in the index.")
    return render.document_html(
        view.title, view.metadata, view.text, view.body, start, end, view.layout
    )


def open_document(services: Services, event: gr.SelectData) -> tuple[str, Any]:
    """A source card's "Open in document" button: the whole cleaned document at the quote."""
    try:
        doc_id = str(event.value)
        start, end = (int(i) for i in event.index)
        page = document_page(services, doc_id, start, end)
    except (TypeError, ValueError):
        page = render.document_message_html("That link does not name a passage.")
    except StoreError as error:
        page = render.document_message_html(str(error))
    return page, gr.Tabs(selected="document")


# --- the page --------------------------------------------------------------------------------

STATIC = Path(__file__).parent / "static"
SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                "sans-serif"]  # fmt: skip
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def theme() -> gr.themes.Theme:
    return gr.themes.Soft(
        primary_hue="indigo", neutral_hue="slate", font=SYSTEM_FONTS, font_mono=MONO_FONTS
    )


def build_app(settings: UISettings, services: Services | None = None) -> gr.Blocks:
    """The page, answering through `services` (default: new ones for `settings`)."""
    services = services or services_for(settings)
    offered = [{"text": q} for q in examples(services)]
    warm_question = offered[0]["text"] if offered else "What do the documents say?"
    services.answering.warm_up_in_background(warm_question)
    backends = available()
    default_backend = settings.backend if settings.backend in backends else backends[0]

    with gr.Blocks(title="Ask the documents", analytics_enabled=False) as demo:
        answers = gr.State([])
        saved = sidebar.build()
        with gr.Column(elem_id="title"):
            gr.Markdown(
                "# Ask the documents\nAnswers come only from the indexed documents, and every "
                "claim shows the exact quote it rests on."
            )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chat = gr.Chatbot(
                    elem_id="chat",
                    label="Chat",
                    show_label=False,
                    height=560,
                    latex_delimiters=[],
                    buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                    placeholder="**Ask a question about the documents**, or pick an example.",
                    examples=offered or None,
                )
                saved.comment.render()
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        elem_id="question",
                        show_label=False,
                        placeholder="Ask a question, then press Enter",
                        max_lines=6,
                        scale=6,
                        autofocus=True,
                    )
                    send = gr.Button("Ask", variant="primary", scale=0, min_width=90)
                    clear = gr.Button("New chat", variant="secondary", scale=0, min_width=130)
                with gr.Accordion("Settings", open=False, elem_id="settings"), gr.Row():
                    backend = gr.Dropdown(
                        backends, value=default_backend, label="Backend", min_width=150
                    )
                    top_k = gr.Slider(
                        1,
                        TOP_K_MAX,
                        value=settings.top_k,
                        step=1,
                        label="Passages (top-k)",
                        min_width=260,
                    )
                    show_scores = gr.Checkbox(label="Show retrieval scores", min_width=150)
            with gr.Column(scale=2, min_width=340), gr.Tabs(elem_id="side-tabs") as tabs:
                with gr.Tab("Sources", id="sources"):
                    sources = gr.HTML(
                        render.empty_sources_html(),
                        elem_id="sources",
                        js_on_load=_static("sources.js"),
                        max_height=620,
                    )
                with gr.Tab("Document", id="document"):
                    document = gr.HTML(
                        render.document_message_html(
                            "Open a source in its document with the “Open in document” button."
                        ),
                        elem_id="document",
                        js_on_load=_static("document.js"),
                        max_height=620,
                    )
                with gr.Tab("Library", id="library"):
                    within = library_tab(services)

        def answer(*args):
            yield from respond(services, *args)

        answer_event = {
            "fn": answer,
            "inputs": [question, chat, answers, backend, top_k, show_scores, within],
            "outputs": [question, chat, answers, sources, tabs],
            "api_visibility": "private",
            "concurrency_id": "answer",
            "show_progress": "hidden",
        }

        page = sidebar.Page(demo, chat, answers, sources, show_scores)
        save_event = sidebar.save_event(services.chats, saved, page)
        gr.on([question.submit, send.click], **answer_event).then(**save_event)

        def pick_example(event: gr.SelectData) -> str:
            return event.value["text"]

        chat.example_select(pick_example, None, question, api_visibility="private").then(
            **answer_event
        ).then(**save_event)
        show_scores.change(
            lambda kept, scores: render.sources_html(kept, scores),
            [answers, show_scores],
            sources,
            api_visibility="private",
        )

        def show_document(event: gr.SelectData) -> tuple[str, Any]:
            return open_document(services, event)

        sources.select(
            show_document,
            None,
            [document, tabs],
            api_visibility="private",
        )
        gr.on(
            [clear.click, chat.clear],
            lambda: ([], [], render.empty_sources_html(), "", *sidebar.CLEARED),
            None,
            [chat, answers, sources, question, *saved.cleared],
            api_visibility="private",
        )
        sidebar.wire(services.chats, saved, page)

        def api_ask(
            question: str,
            backend: str | None = None,
            top_k: int | None = None,
            history: list[list[str]] | None = None,
        ) -> dict[str, Any]:
            return ask(services, question, backend, top_k, history)

        api_ask.__doc__ = ask.__doc__
        gr.api(api_ask, api_name="ask", concurrency_id="answer")
    # the page's queue admits as many answers as the service computes at once (the service's
    # limit holds for the page, /ask and /v1 together); the rest wait in the queue and see it
    demo.queue(default_concurrency_limit=ANSWERS_AT_ONCE, max_size=QUEUE_SIZE)
    demo.openai_api = create_api(settings, services.answering)  # served by `launch` under /v1
    return demo


# --- launching -------------------------------------------------------------------------------


def launch(demo: gr.Blocks, settings: UISettings, block: bool = True):
    """Serve the page and the /v1 API; returns (app, local_url, share_url) like
    `Blocks.launch`. ValueError when the API would need a key and has none."""
    check_api_key(settings)
    api: FastAPI = demo.openai_api
    return demo.launch(
        server_name=settings.ui_host,
        server_port=settings.ui_port,
        auth=login(settings),
        auth_message="Log in to ask the documents.",
        share=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        quiet=True,
        prevent_thread_lock=not block,
        footer_links=["api"],
        theme=theme(),
        css=_static("app.css"),
        app_kwargs={"routes": mounted(api)},  # before Gradio's own routes
    )
