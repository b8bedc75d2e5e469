"""Questions about a document itself are answered from its page, quoting the byline."""

from corpus import SEEDS

from rag.about import asked_about


def test_what_is_asked_about_a_page():
    assert asked_about("Who wrote the article on the Tehran summit?") == "author"
    assert asked_about("When was the report on the gas deal published?") == "date"
    assert asked_about("Which outlet published the piece on Russia and Iran?") == "publisher"
    assert asked_about("Who did Putin meet in Tehran?") is None
    assert asked_about("When was the railway agreement signed?") is None


def test_a_newspaper_asked_about_in_the_content_is_not_the_pages_publisher():
    assert asked_about("Which newspaper published the story on the bridge?") == "publisher"
    assert asked_about("Which newspaper did the ambassador give an interview to?") is None


def test_the_newspaper_of_an_interview_is_answered_from_the_content(extractive):
    answer = extractive.ask("In which newspaper did Habibollahzadeh give his interview?")
    assert answer.backend != "page details" and not answer.abstained
    assert "the newspaper Iran" in answer.citations[0].quote


def test_the_author_is_quoted_from_the_byline(extractive):
    answer = extractive.ask("Who wrote the analysis of the Azerbaijan–Iran normalization?")
    assert answer.backend == "page details" and not answer.abstained
    assert "Fuad Shahbazov" in answer.answer
    (citation,) = answer.citations
    source = (SEEDS / citation.doc_id).read_text(encoding="utf-8")
    assert source[citation.start : citation.end] == citation.quote
    assert "Fuad Shahbazov" in citation.quote


def test_the_date_is_quoted_from_the_dateline(extractive):
    answer = extractive.ask("When was the article on the Tehran summit and the alliance published?")
    assert "26 July 2022" in answer.answer
    (citation,) = answer.citations
    assert citation.quote == "Global Research, July 26, 2022"


def test_a_page_that_names_no_author_is_not_answered_from_page_details(extractive):
    answer = extractive.ask("Who wrote about the upcoming Russia–Iran comprehensive agreement?")
    assert answer.backend != "page details"


def test_the_author_of_an_article_whose_page_names_none_is_declined(extractive):
    answer = extractive.ask("Who wrote the Stern article on the Russia–Iran strategic partnership?")
    assert answer.abstained and answer.backend == "page details"
    assert answer.citations == []


def test_who_wrote_something_in_the_content_is_not_declined_as_a_page_detail(extractive):
    answer = extractive.ask("Who wrote the letter about the Russia–Iran strategic partnership?")
    assert answer.backend != "page details"
