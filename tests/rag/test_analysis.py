"""rag/analysis.py: a question read once: the kind of answer asked, its focus, what it gives,
and whether it leans on the conversation. Questions from several domains, none of the seeds'."""

from __future__ import annotations

import pytest

from rag.analysis import Asked, analyse


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Who invented the telephone?", Asked.PERSON),
        ("When was the Treaty of Rome signed?", Asked.DATE),
        ("What year did the museum open?", Asked.DATE),
        ("Where is the headquarters of the agency?", Asked.PLACE),
        ("Where did the two rivers meet?", Asked.PLACE),
        ("Where does the club rank in the league?", Asked.OTHER),  # a position, not a place
        ("Why did the bridge collapse?", Asked.REASON),
        ("How many moons does Jupiter have?", Asked.COUNT),
        ("How long will the repairs take?", Asked.DURATION),
        ("How long is the Danube?", Asked.QUANTITY),
        ("How tall is the tower?", Asked.QUANTITY),
        ("How much did the stadium cost?", Asked.QUANTITY),
        ("What percentage of voters turned out?", Asked.PERCENT),
        ("What is the price of a ticket?", Asked.MONEY),
        ("Which company makes the engine?", Asked.ORGANISATION),
        ("In which city was the accord signed?", Asked.PLACE),
        ("Which function returns the last row id?", Asked.NAME),
        ("Is the library open on Sundays?", Asked.YES_NO),
        ("Does the parser support comments?", Asked.YES_NO),
        ("Compare the two proposals.", Asked.COMPARISON),
        ("List the supported file formats.", Asked.LIST),
        ("Who is Grace Hopper?", Asked.DESCRIPTION),
        ("What is a checkpoint?", Asked.DESCRIPTION),
        ("What was the name of the first president of the club?", Asked.PERSON),
    ],
)
def test_the_kind_of_answer_asked(question, asked):
    assert analyse(question).asked is asked


def test_how_much_with_a_money_verb_asks_for_money_and_its_labels_say_so():
    analysis = analyse("How much did the stadium cost?")
    assert analysis.money and analysis.labels == {"MONEY"}
    assert not analyse("How much water does the tank hold?").money


def test_who_acted_may_be_answered_by_an_organisation_but_who_is_may_not():
    assert "ORG" in analyse("Who built the dam?").labels
    assert analyse("Who was the first director of the lab?").labels == {"PERSON"}


def test_the_focus_is_the_thing_asked_about():
    assert analyse("How many lines does the poem have?").focus == ("lines",)
    assert analyse("Which Roman emperor built the wall?").focus[-1] == "emperor"
    assert analyse("What is the maximum size of a page?").focus[-1] == "size"


def test_what_the_question_gives_are_constraints_on_the_answer():
    analysis = analyse("Who won the Tour de France in 1998?")
    assert analysis.years == ("1998",)
    assert "France" in analysis.name_words
    assert analyse("What did the committee decide?").years == ()


def test_a_follow_up_leans_on_the_question_before_it():
    history = [("How long is the new canal?", "It is 30 km long.")]
    follow = analyse("And how much will it cost?", history)
    assert follow.leans_on_history
    assert follow.search == "And how much will it cost? (How long is the new canal?)"
    pronoun = analyse("When will it open?", history)
    assert pronoun.leans_on_history


def test_a_complete_question_asked_second_is_searched_alone():
    """It has a pronoun ("his") but a topic of its own: gluing the first question to it
    would search for both."""
    history = [("How long is the new canal?", "It is 30 km long.")]
    question = "Which Dutch engineer told his French colleague that the Rhine delta floods?"
    analysis = analyse(question, history)
    assert not analysis.leans_on_history
    assert analysis.search == question
    assert not analyse("When will it open?").leans_on_history  # no history: nothing to lean on
