import json
from collections.abc import Iterator

import pytest
from corpus import DEV_SET, SEEDS

from rag.backends.base import Backend, GenerationRequest
from rag.pipeline import AnswerPipeline
from rag.types import Answer, Completed, FirstAnswer, QuestionError, TextDelta

DEV = [json.loads(line) for line in DEV_SET.read_text().splitlines() if line.strip()]
ANSWERABLE = [q for q in DEV if q["answerable"]]
UNANSWERABLE = [q for q in DEV if not q["answerable"]]


def assert_citations_verify(answer: Answer) -> None:
    for citation in answer.citations:
        source = (SEEDS / citation.doc_id).read_text(encoding="utf-8")
        assert source[citation.start : citation.end] == citation.quote
        assert f"[{citation.n}]" in answer.answer


def test_dev_answers_cite_expected_files_with_verified_quotes(extractive):
    cited_expected = 0
    for q in ANSWERABLE:
        answer = extractive.ask(q["question"])
        assert not answer.abstained, q["id"]
        assert answer.citations, q["id"]
        assert_citations_verify(answer)
        cited_expected += any(c.doc_id in q["expected_sources"] for c in answer.citations)
        assert all(s.citations for s in answer.sentences if s.supported)
    assert cited_expected >= 0.9 * len(ANSWERABLE)


@pytest.mark.parametrize("q", UNANSWERABLE, ids=[q["id"] for q in UNANSWERABLE])
def test_unanswerable_dev_questions_abstain(extractive, q):
    answer = extractive.ask(q["question"])
    assert answer.abstained
    assert answer.citations == []
    assert answer.retrieved, "the closest passages are still offered"


def test_follow_up_uses_the_conversation(extractive):
    first = extractive.ask("Which Carnegie expert commented on the treaty's public order article?")
    assert "Grajewski" in first.answer
    follow_up = "And what does she think it is really for?"
    alone = extractive.ask(follow_up)
    answer = extractive.ask(follow_up, history=[(first.question, first.answer)])
    assert "Carnegie" in answer.standalone_question
    assert "dissidents" in answer.answer
    assert "dissidents" not in alone.answer
    assert_citations_verify(answer)


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_empty_questions_are_refused(extractive, question):
    with pytest.raises(QuestionError, match="empty"):
        extractive.ask(question)


def test_overlong_questions_are_refused(extractive):
    with pytest.raises(QuestionError, match="limit is 2,000"):
        extractive.ask("why " * 1000)


class Scripted(Backend):
    """A generative backend that replies with fixed text: to test what happens *after*
    generation (marker repair, unsupported claims) with real retrieval and real support."""

    name = "scripted"

    def __init__(self, reply: str) -> None:
        super().__init__()
        self.reply = reply
        self.asked = 0

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        self.asked += 1
        yield from self.reply.split(" ")[:1]
        yield from (" " + word for word in self.reply.split(" ")[1:])


def scripted(answer_with, reply: str) -> AnswerPipeline:
    return answer_with(Scripted(reply))


QATAR = "Which close ally of Turkey has been dragged into Israel's attacks on the region?"


def test_markers_pointing_at_nothing_are_repaired(answer_with):
    pipe = scripted(answer_with, "Qatar, a key Turkish ally, was ensnared [9].")
    answer = pipe.ask(QATAR)
    assert not answer.abstained
    (citation,) = answer.citations
    assert "ensnared Qatar" in citation.quote
    assert "[9]" not in answer.answer and "[1]" in answer.answer
    assert_citations_verify(answer)


def test_wrong_markers_are_moved_to_the_supporting_passage(answer_with, retriever):
    retrieval = retriever.retrieve(QATAR)
    wrong = next(p.n for p in retrieval.passages if "ensnared Qatar" not in p.text)
    reply = f"Israel's aggression has now ensnared Qatar, a key Turkish ally [{wrong}]."
    answer = scripted(answer_with, reply).ask(QATAR)
    assert "ensnared Qatar" in answer.citations[0].quote


def test_unsupported_claims_get_no_citation(answer_with):
    reply = (
        "Qatar, a key Turkish ally, was ensnared [1]. "
        "The ferry across Lake Van costs 99 dollars per wagon [2]."
    )
    answer = scripted(answer_with, reply).ask(QATAR)
    supported, unsupported = answer.sentences
    assert supported.supported and supported.citations
    assert not unsupported.supported and not unsupported.citations
    assert all("99" not in c.quote for c in answer.citations)


def test_a_reply_with_no_support_at_all_abstains(answer_with):
    reply = "The moon is made of green cheese [1]."
    answer = scripted(answer_with, reply).ask(QATAR)
    assert answer.abstained and answer.citations == []


def test_the_model_saying_it_does_not_know_is_an_abstention(answer_with):
    answer = scripted(answer_with, "The documents don't say.").ask(QATAR)
    assert answer.abstained


def test_streaming_yields_text_then_the_answer(extractive):
    events = list(extractive.stream("How many articles does the Russia–Iran agreement contain?"))
    *pieces, last = events
    assert pieces and all(isinstance(p, TextDelta) and p.text for p in pieces)
    assert isinstance(last, Completed) and "47" in last.answer.answer
    assert set(last.answer.timings_ms) >= {"retrieve", "generate", "total"}


RAILWAY = "How long will the new railway between Iran and Turkey be?"
WRONG_CLAIMS = {
    "number": "The railway will be approximately 300 kilometers long. [1]",
    "country": "The railway between Iraq and Turkey will be approximately 200 kilometers long. [1]",
    "negation": "The railway will not be approximately 200 kilometers long. [1]",
    "unit": "The railway will be approximately 200 miles long. [1]",
    "invented": "The capital of Peru is Baku. [1]",
}


@pytest.mark.parametrize("reply", WRONG_CLAIMS.values(), ids=WRONG_CLAIMS.keys())
def test_a_wrong_claim_never_keeps_a_citation(answer_with, reply):
    answer = answer_with(Scripted(reply)).ask(RAILWAY)
    assert answer.citations == []
    assert answer.abstained


def test_the_same_claim_restated_rightly_is_cited(answer_with):
    answer = answer_with(Scripted("The railway will be about 200 km long. [1]")).ask(RAILWAY)
    assert not answer.abstained
    (citation,) = answer.citations
    assert "200 kilometers" in citation.quote
    assert_citations_verify(answer)


def test_a_declining_model_is_backed_by_the_extractive_answer(answer_with):
    alone = answer_with(Scripted("The documents don't say.")).ask(RAILWAY)
    assert alone.abstained
    backed = answer_with(Scripted("The documents don't say."), fallback="extractive").ask(RAILWAY)
    assert not backed.abstained and backed.backend == "scripted+extractive"
    assert "200" in backed.answer
    assert_citations_verify(backed)


def test_a_name_the_documents_never_mention_is_declined(extractive):
    answer = extractive.ask("What is the capital of Peru?")
    assert answer.abstained and answer.citations == []
    named = extractive.ask("Who is Nicole Grajewski?")  # far from everything, but BM25 finds her
    assert not named.abstained and "Grajewski" in named.answer


def test_the_bridge_a_sentence_speaks_of_is_the_named_one_its_document_introduced(extractive):
    """ "The bridge will be about 100 meters long" is about the Astarachay bridge, named three
    paragraphs before; the Nakhchivan-Kars link, named in the document too, has no bridge."""
    answer = extractive.ask("How wide will the Astarachay bridge be?")
    assert not answer.abstained and "31 meters" in answer.citations[0].quote
    assert extractive.ask("How wide will the Nakhchivan-Kars bridge be?").abstained


def test_another_countrys_ambassador_does_not_answer(extractive):
    assert extractive.ask("Who is Turkey's ambassador to Tehran?").abstained
    answer = extractive.ask("Who is Iran's ambassador to Turkey?")
    assert not answer.abstained and "Habibollahzadeh" in answer.answer


def test_a_demonym_is_found_as_its_country(extractive):
    answer = extractive.ask("Which Lebanese militia received arms deliveries facilitated by Assad?")
    assert not answer.abstained and "Hezbollah" in answer.answer


def test_a_question_far_in_meaning_but_held_in_words_by_a_sentence_is_answered(extractive):
    """No name, no close chunk (cosine under 0.2), but one sentence holds most of its words."""
    answer = extractive.ask("Which broadcaster showed the signing live?")
    assert not answer.abstained and "state television" in answer.citations[0].quote


@pytest.mark.parametrize(
    "question",
    [
        "What is the boiling point of water?",
        "How do vaccines work?",
        "What is the speed of light?",
        "Which areas does it cover?",  # two words, both in a sentence: too few to tell
    ],
)
def test_a_question_far_in_meaning_and_in_words_is_declined(extractive, question):
    answer = extractive.ask(question)
    assert answer.abstained and answer.citations == []


def test_a_true_sentence_off_the_asked_topic_is_declined(answer_with):
    """Biden's words on a security vacuum are true and quoted, but not about a nuclear programme."""
    biden = (
        "US President Joe Biden declared that his country will not permit a strategic security "
        "vacuum in the region to be filled by the Sino-Russian alliance. [1]"
    )
    off_topic = answer_with(Scripted(biden)).ask(
        "What did Joe Biden say about Iran's nuclear programme?"
    )
    assert off_topic.abstained and off_topic.citations == []
    on_topic = answer_with(Scripted(biden)).ask("What did Joe Biden say about the security vacuum?")
    assert not on_topic.abstained and on_topic.citations


THREAT = "What do Iran and Turkey both see as the greatest threat to stability?"
ALLY = "Which key ally did Iran lose in Syria?"
CHAPTER = "What part of the agreement did Putin single out as one of the most important?"
JEDDAH = "Besides the GCC, whose leaders did Biden meet in Jeddah?"
# Replies a small model gives that are true but do not answer: the extractive answer is shown.
NOT_ANSWERING = {
    "echo": (THREAT, "Iran and Turkey both see as the greatest threat to stability. [1]", "Israel"),
    "echo-with-one-new-word": (
        CHAPTER,
        "Putin single out as one of the most important chapters of the agreement in [1]",
        "trade",
    ),
    "beside-the-answer": (
        "Which organisation does Iran aspire to join, according to Atwan?",
        "Iran's provision of drones to Russia helps compensate for its losses in the "
        "Ukrainian war and enhances its offensive capabilities. [1]",
        "BRICS",
    ),
    "acronym-spelled-out": (
        JEDDAH,
        "Biden met with leaders of the Gulf Cooperation Council (GCC) in Jeddah. [1]",
        "Jordan",
    ),
    "clipped-copy": (
        ALLY,
        "Iran lost a key ally who, among other things, had facilitated arms deliveries to the "
        "pro-Iranian Hezbollah militia in Lebanon. [1]",
        "Assad",
    ),
}
ANSWERING = {
    "threat": (THREAT, "Iran and Turkey consider Israel the greatest threat to stability. [1]"),
    "ally": (ALLY, "Iran lost Bashar al-Assad, a key ally. [1]"),
    "chapter": (CHAPTER, "Trade and economic relations. [1]"),
    "gcc": (JEDDAH, "Biden met the leaders of Egypt, Jordan and Iraq. [1]"),
    # a reason may be the part of its sentence that gives it
    "reason-part": (
        "Why can't trains run straight through between Iran and Turkey?",
        "The rail line is interrupted at Lake Van, and wagons must be transported across the "
        "lake via ferries. [1]",
    ),
}


@pytest.mark.parametrize(
    ("question", "reply", "named"), NOT_ANSWERING.values(), ids=NOT_ANSWERING.keys()
)
def test_a_true_reply_that_does_not_answer_is_backed_by_the_extractive_answer(
    answer_with, question, reply, named
):
    answer = answer_with(Scripted(reply), fallback="extractive").ask(question)
    assert answer.backend == "scripted+extractive" and named in answer.answer
    assert_citations_verify(answer)


@pytest.mark.parametrize(("question", "reply"), ANSWERING.values(), ids=ANSWERING.keys())
def test_a_reply_that_answers_is_kept(answer_with, question, reply):
    kept = answer_with(Scripted(reply), fallback="extractive").ask(question)
    assert kept.backend == "scripted" and kept.citations and kept.refined_by == "scripted"
    assert_citations_verify(kept)


def test_where_the_evidence_answers_nothing_a_models_answer_is_not_kept(answer_with):
    """The extractive reading finds no sentence saying when the bridge is finished; the model's
    "In May 2023." (the month a railway deal was signed) would pass the claim check alone."""
    question = "When will construction of the Astara border bridge be finished?"
    model = Scripted("In May 2023. [1]")
    guess = answer_with(model, fallback="extractive").ask(question)
    assert guess.abstained and guess.citations == []
    assert guess.backend == "scripted+extractive"
    assert model.asked == 0  # a guess is not even written: the answer is known to be a decline
    answer_with(model, fallback="extractive").ask(WHY_NO_TRAINS)
    assert model.asked == 1


WHY_NO_TRAINS = "Why can't trains currently run straight through between Iran and Turkey?"


def test_a_complete_short_answer_is_not_sent_to_the_model(answer_with):
    """ "How long?" answered by "approximately 200 kilometers" in a sentence that says what the
    question asks: the model has nothing to add, and is not asked."""
    model = Scripted("The railway will be about 200 km long. [1]")
    answer = answer_with(model, fallback="extractive").ask(RAILWAY)
    assert model.asked == 0
    assert answer.short_answer is not None and "200 kilometers" in answer.short_answer
    assert answer.answer == f"{answer.short_answer.capitalize()} [1]"
    (citation,) = answer.citations
    assert answer.short_answer in citation.quote
    assert_citations_verify(answer)


def test_without_concise_answers_the_sentence_stays_the_answer(answer_with):
    model = Scripted("The railway will be about 200 km long. [1]")
    answer = answer_with(model, fallback="extractive", concise=False).ask(RAILWAY)
    assert answer.short_answer is not None and "200 kilometers" in answer.short_answer
    assert answer.answer != f"{answer.short_answer.capitalize()} [1]"
    assert "railway" in answer.answer


def test_a_reason_is_sent_to_the_model_after_the_first_answer(answer_with):
    model = Scripted("The documents don't say.")
    events = list(answer_with(model, fallback="extractive").stream(WHY_NO_TRAINS))
    first = next(e for e in events if isinstance(e, FirstAnswer))
    assert events.index(first) < len(events) - 1 and model.asked == 1
    final = events[-1]
    assert isinstance(final, Completed) and final.answer.refined_by is None
    assert final.answer.answer == first.answer.answer  # the model failed: the first one stays


def _manual_pipeline(tmp_path, settings, product: str):
    """A pipeline over a three-page manual about `product` whose answering paragraph does not
    repeat the product's name (as manuals do)."""
    from index.chunking import ChunkSpec
    from index.indexer import index_paths
    from index.store import ChunkStore, open_client
    from rag import factory

    folder = tmp_path / "manual"
    folder.mkdir()
    intro = f"{product} is a command-line tool for copying files. " * 3
    for page in ("install", "usage", "limits"):
        text = (
            f"# {page.title()}\n\n{intro}\n\n"
            f"The {page} chapter explains the tool in detail and gives examples.\n\n"
            "A single copy job can hold at most 4096 files, and each file may be up to "
            "2 gigabytes in size.\n"
        )
        (folder / f"{page}.md").write_text(text, encoding="utf-8")
    store = ChunkStore(open_client(tmp_path / "store"), "manual")
    index_paths([folder], store, factory.embedder(settings), ChunkSpec(), progress=False)
    return factory.pipeline(settings, "extractive", chunk_store=store)


def test_a_question_about_what_a_manual_documents_is_answered_where_the_name_is_not_repeated(
    tmp_path, settings
):
    """The paragraph with the answer does not name the product; the manual names it
    throughout, so the answer is about it. A name the manual does not document is declined."""
    pipe = _manual_pipeline(tmp_path, settings, "Filecopier")
    answer = pipe.ask("How many files can a Filecopier copy job hold?")
    assert not answer.abstained and "4096" in answer.answer
    assert pipe.ask("How many files can a Zipmover copy job hold?").abstained
