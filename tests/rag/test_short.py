"""The short answer: the entity of an answering sentence that is what was asked, or nothing."""

import pytest

from index.nlp import Mention, mentions
from rag.analysis import analyse
from rag.judge import Sentence
from rag.short import _whole_name, short_answer


def sentence(text: str) -> Sentence:
    return Sentence(text, tuple(mentions(text, [(0, len(text))])))


def short(question: str, *texts: str) -> str | None:
    found = short_answer(analyse(question), [sentence(t) for t in texts])
    return None if found is None else found.text


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        (
            "How long is the new bridge?",
            "The new bridge, opened in 2019 after a long delay, is 1.2 kilometres long.",
            "1.2 kilometres",
        ),
        (
            "How long will the tunnel take to build?",
            "The tunnel is 12 kilometres long and builders expect it to take five years.",
            "five years",
        ),
        ("How many moons does Jupiter have?", "Jupiter is known to have 95 moons.", "95 moons"),
        # a measure of the asked kind needs fewer of the question's words around it
        (
            "How long will the new museum take to build?",
            "Officials predict the work will take about five years.",
            "about five years",
        ),
        # the small model reads "4096" as a date: what it counts decides
        (
            "How many files can a copy job hold?",
            "A copy job can hold at most 4096 files, and each file may be up to 2 gigabytes.",
            "4096 files",
        ),
        (
            "Who wrote the annual report?",
            "The annual report was written by Jane Smith, an economist.",
            "Jane Smith",
        ),
        (
            "How much did the museum cost?",
            "The museum opened in 2011 and cost around $40 million to build.",
            "around $40 million",
        ),
        # the question names Biden: "Joe Biden" is not who met him
        (
            "Who met Biden in Riyadh?",
            "Joe Biden met Mohammed bin Salman in Riyadh in July.",
            "Mohammed bin Salman",
        ),
        (
            "Which agency keeps the national film registry?",
            "The national film registry is kept by the Library of Congress in Washington.",
            "the Library of Congress",
        ),
        (
            "When did the library move to its new building?",
            "The library moved to its new building in March 1998.",
            "March 1998",
        ),
    ],
)
def test_the_asked_entity_is_the_short_answer(question, text, expected):
    assert short(question, text) == expected


@pytest.mark.parametrize(
    ("question", "text"),
    [
        # a country is not who signed: the sentence stays the answer
        ("Who signed the treaty?", "France signed the treaty after long talks."),
        # two people, neither singled out: no guess
        ("Who founded the company?", "Alice Brown and Bob Green met at a conference in Oslo."),
        # a length does not say how long something takes
        ("How long will the tunnel take to build?", "The tunnel will be 12 kilometres long."),
        # what the question gives is not its answer
        ("When did the library open in 1998?", "The library opened in 1998."),
        # a date relative to the text's own is not when
        ("When did the council cancel the rule?", "The council cancelled the rule today."),
        # nothing the question says is near the name: it may be anyone in the sentence
        ("Who leads the orchestra?", "Anna Berg, a violinist from Oslo, has played since 1990."),
        # several places are asked for
        ("Which two cities will the bridge connect?", "The bridge will connect Oslo with Bergen."),
        # a reason has no short answer
        ("Why did the library move?", "The library moved in 1998 because it ran out of room."),
    ],
)
def test_no_short_answer_where_no_one_entity_answers(question, text):
    assert short(question, text) is None


@pytest.mark.parametrize(
    ("question", "text", "right", "wrong"),
    [
        # the sentence names a province: the answer is the entity next to that word
        (
            "Through which province would the new road pass?",
            "Officials in Tehran said the new road would pass through Syunik province.",
            "Syunik",
            "Tehran",
        ),
        # a country does not answer "which city" (the small model may miss the city)
        (
            "Which city did the minister visit?",
            "The minister flew to Portugal and visited Lisbon on Monday.",
            "Lisbon",
            "Portugal",
        ),
    ],
)
def test_never_another_entity_of_the_sentence(question, text, right, wrong):
    found = short(question, text)
    assert found in {None, right} and found != wrong


def test_of_several_dates_the_one_among_the_question_words():
    question = "When did the town adopt standard time?"
    first = "The town changed its clocks again on 10 September 1945, after the war."
    second = "The town adopted standard time on January 13, 1896."
    assert short(question, first, second) == "January 13, 1896"
    found = short_answer(analyse(question), [sentence(first), sentence(second)])
    assert found is not None and found.sentence == 1


def test_two_candidates_equally_close_are_no_answer():
    assert short("When was the bridge opened?", "It was opened in 1990 and in 1995.") is None


def test_a_name_found_in_part_is_taken_whole():
    """The recogniser may find "Congress" alone in "the US Library of Congress"."""
    text = "SQLite is recommended by the US Library of Congress as a storage format."
    start = text.index("Congress")
    whole = _whole_name(text, Mention(start, start + len("Congress"), "ORG"))
    assert text[whole.start : whole.end] == "US Library of Congress"
