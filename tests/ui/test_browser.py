"""The real chat page in a real browser: the served app over a real index, Debian's chromium.

One server for the module (seeds plus a hostile document, extractive backend), one browser;
each test opens a fresh page. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import pytest
from browsing import CHROMIUM, ask, last_answer, serving, shoot
from corpus import SEEDS
from ports import free_port

HOSTILE = """Falcon Watch

The Zanzibar falcon sanctuary opened on Tuesday with forty rescued birds in its new aviary. \
<script>window.pwned = "script"; alert("script ran")</script> The sanctuary is run by a \
volunteer trust that has worked on the island for a decade.
Keepers feed the falcons twice a day and record every flight in a public logbook \
<img src=x onerror="window.pwned='img'; alert('img ran')"> that visitors may read at the gate.
The trust hopes to release half of the birds back into the wild before the rainy season.
"""

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder):
    """The app as `rag ui` serves it, over seeds + hostile.txt indexed into a fresh store."""
    from index.chunking import ChunkSpec
    from index.indexer import index_paths
    from index.store import ChunkStore, open_client
    from ui.settings import UISettings

    root = tmp_path_factory.mktemp("ui")
    hostile = root / "hostile.txt"
    hostile.write_text(HOSTILE, encoding="utf-8")
    store_dir = root / "store"
    store = ChunkStore(open_client(store_dir), "corpus")
    index_paths([SEEDS, hostile], store, embedder, ChunkSpec(), progress=False)
    down = f"http://127.0.0.1:{free_port()}/v1"  # an LLM server that is down
    settings = UISettings(
        store_dir=store_dir,
        ui_port=free_port(),
        backend="extractive",
        backend_options={"openai": {"base_url": down}},
    )
    with serving(settings) as url:
        yield url, hostile


def test_a_cited_answer_its_quote_its_document_and_a_follow_up(page):
    title = "Ankara and Tehran: From Economic Partnership to Anti-Israeli Alliance"
    examples = page.get_by_text(f"What does “{title}” report?")
    assert examples.is_visible()  # example questions on the empty page, from the titles

    ask(page, "What did Iran's president sign during his visit to Moscow?")
    answer = last_answer(page)
    marker = page.locator("#chat a.cite[href='#src-1-1']")
    assert marker.is_visible() and marker.inner_text() == "[1]"
    assert "extractive" in answer.locator(".meta").inner_text()
    card = page.locator("#src-1-1")
    quote = card.locator("mark.quote")
    assert quote.is_visible()
    doc_id = card.locator(".open-doc").get_attribute("data-doc")
    assert quote.inner_text() in (SEEDS / doc_id).read_text(encoding="utf-8")
    assert quote.inner_text() in answer.inner_text()  # the extractive answer quotes it

    shoot(page, "answer")

    card.locator(".open-doc").click()
    highlighted = page.locator("#doc-quote")
    highlighted.wait_for()
    assert highlighted.inner_text() == quote.inner_text()
    page.wait_for_function(
        "(() => { const m = document.querySelector('#doc-quote').getBoundingClientRect();"
        " return m.top >= 0 && m.bottom <= window.innerHeight; })()"
    )
    shoot(page, "document")

    ask(page, "Which areas does it cover?")  # alone, this question abstains
    follow_up = last_answer(page)
    assert "searched for" in follow_up.inner_text()
    assert follow_up.locator("a.cite[href='#src-2-1']").is_visible()
    assert page.locator("#turn-2[open] mark.quote").first.is_visible()
    assert page.locator("#turn-1").get_attribute("open") is None

    marker.click()  # the first answer's [1]: unfolds its sources, brings the card into view
    page.wait_for_function("document.querySelector('#src-1-1').classList.contains('flash')")
    page.wait_for_function(
        "(() => { const r = document.querySelector('#src-1-1').getBoundingClientRect();"
        " return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; })()"
    )
    shoot(page, "follow-up")
    assert page.hosts == {"127.0.0.1"}, f"requests left the machine: {page.hosts}"


def test_an_unanswerable_question_abstains_and_errors_are_chat_messages(page):
    ask(page, "What is the boiling point of mercury on Mars?")
    answer = last_answer(page)
    assert answer.locator(".abstain").is_visible()
    assert "The documents don't say." in answer.inner_text()
    assert answer.locator("a.cite").count() == 0
    assert page.locator("#sources .label", has_text="Closest passages").is_visible()
    assert page.locator("#sources .card.passage").count() >= 1
    shoot(page, "abstention")

    ask(page, "x" * 2100)
    error = last_answer(page).locator(".error")
    assert "the limit is 2,000" in error.inner_text()

    page.get_by_text("Settings").click()
    page.get_by_label("Backend").click()
    page.get_by_role("option", name="openai").click()
    ask(page, "Why did Azerbaijan and Iran return to the negotiating table?")
    failed = last_answer(page).locator(".status", has_text="the openai model failed")
    failed.wait_for()  # the model's failure is named; the checked first answer stays
    assert "this is the checked extractive answer" in failed.inner_text()
    assert last_answer(page).locator("a.cite").count() >= 1
    assert "openai" in last_answer(page).locator(".meta").inner_text()
    assert page.locator("#turn-2 mark.quote").first.is_visible()
    assert "Traceback" not in page.content()
    shoot(page, "backend-down")


def test_hostile_document_and_question_render_as_text(page, served):
    _, hostile = served
    ask(
        page,
        '<img src=x onerror="window.pwned=1">How many birds did the falcon sanctuary open with?',
    )
    assert page.get_by_text('<img src=x onerror="window.pwned=1">').first.is_visible()
    card = page.locator("#src-1-1")
    assert "falcon" in card.inner_text()
    assert "<script>window.pwned" in card.inner_text() or "<img src=x" in card.inner_text()
    card.locator(".open-doc").click()
    page.locator("#doc-quote").wait_for()
    text = page.locator("#document").inner_text()
    assert "<img src=x onerror=\"window.pwned='img'; alert('img ran')\">" in text
    assert page.locator("#doc-quote").inner_text() in hostile.read_text(encoding="utf-8")
    page.wait_for_timeout(500)  # give any injected handler the chance to run
    assert page.evaluate("window.pwned") is None
    assert page.dialogs == []
    assert page.locator("img[src=x]").count() == 0
    assert not page.evaluate("[...document.scripts].some(s => s.text.includes('pwned'))")
    shoot(page, "hostile")


def test_gradio_client_gets_the_answer_and_its_citations(served):
    from gradio_client import Client

    url, _ = served
    client = Client(url, verbose=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    result = client.predict(
        "Why did Azerbaijan and Iran return to the negotiating table?", top_k=4, api_name="/ask"
    )
    assert not result["abstained"] and result["error"] is None
    assert result["backend"] == "extractive"
    assert result["citations"]
    for citation in result["citations"]:
        source = (SEEDS / citation["doc_id"]).read_text(encoding="utf-8")
        assert source[citation["start"] : citation["end"]] == citation["quote"]

    first = client.predict("What did Iran's president sign during his visit to Moscow?",
                           api_name="/ask")  # fmt: skip
    history = [[first["question"], first["answer"]]]
    assert client.predict("Which areas does it cover?", api_name="/ask")["abstained"]
    follow_up = client.predict("Which areas does it cover?", history=history, api_name="/ask")
    assert not follow_up["abstained"] and follow_up["citations"]
    with pytest.raises(Exception, match="top_k must be between 1 and 20"):
        client.predict("Why?", top_k=99, api_name="/ask")
