"""rag/judge.py: does a sentence answer a question? Constraint matching on the question's
analysis and on the entities indexing found in the sentence. Each check has its negative."""

from __future__ import annotations

from index import nlp
from rag.analysis import analyse
from rag.judge import Sentence, answers, covers_topic, sentence_of
from rag.support import passage_sentences
from rag.types import Passage


def sentence(text: str, context: str = "") -> Sentence:
    """A sentence with the entities indexing would store for it."""
    found = tuple(nlp.mentions(text, [(0, len(text))]))
    return Sentence(text, found, context)


def test_a_year_the_question_gives_must_be_in_the_sentence_or_before_it():
    question = analyse("Who won the national chess championship in 1998?")
    assert answers(question, sentence("In 1998 the title went to Maria Lopez of Seville.")).answers
    wrong_year = answers(question, sentence("In 2001 the title went to Maria Lopez of Seville."))
    assert not wrong_year.answers and "1998" in wrong_year.reason
    told_before = sentence("The title went to Maria Lopez of Seville.", context="The 1998 season.")
    assert answers(question, told_before).answers


def test_a_number_the_question_gives_must_be_in_the_sentence():
    question = analyse("What changed in version 3.8 of the library?")
    assert answers(question, sentence("Version 3.8 added a faster parser.")).answers
    assert not answers(question, sentence("Version 3.9 added a faster parser.")).answers


def test_who_needs_a_name_the_question_does_not_give():
    question = analyse("Who founded the observatory?")
    assert answers(question, sentence("The observatory was founded by Jan Kowalski.")).answers
    no_name = sentence("The observatory was founded by a group of local teachers.")
    assert not answers(question, no_name).answers


def test_a_where_question_about_places_needs_a_place_but_a_technical_one_does_not():
    question = analyse("Where in Portugal did the delegates meet?")
    assert answers(question, sentence("The delegates met in Lisbon in May.")).answers
    assert not answers(question, sentence("The delegates met in a small room.")).answers
    technical = analyse("Where does the engine keep its temporary files?")
    assert answers(technical, sentence("The engine keeps them in memory by default.")).answers


def test_how_much_money_needs_an_amount_of_money():
    question = analyse("How much did the new stadium cost?")
    assert answers(question, sentence("The new stadium cost $420 million to build.")).answers
    assert not answers(question, sentence("The new stadium took three years to build.")).answers


def test_sentence_of_reads_the_entities_stored_with_the_passage():
    text = "The mill opened in Leeds in 1822. It closed after a fire."
    passage = Passage(
        n=1, chunk_id="mill#0", doc_id="mill", title="Mill", text=text, start=100,
        end=100 + len(text), score=1.0,
        entities=[nlp.Mention(100 + m.start, 100 + m.end, m.label)
                  for m in nlp.mentions(text, [(0, len(text))])],
    )  # fmt: skip
    first, second = passage_sentences([passage])
    judged = sentence_of(first)
    assert {(judged.text[m.start : m.end], m.label) for m in judged.mentions} >= {("Leeds", "GPE")}
    assert sentence_of(second).mentions == ()
    assert "The mill opened" in sentence_of(second).context


def test_what_did_x_say_about_y_is_answered_only_about_y():
    question = "What did the minister say about the new tax on fuel?"
    assert covers_topic(question, ["The minister said the new tax on fuel would be dropped."])
    assert not covers_topic(question, ["The minister said the budget was balanced."])


def test_a_number_is_found_only_as_a_number_of_its_own():
    """Version 2 is not version 3 because "2050" holds a 2."""
    question = analyse("Until which year will version 2 of the format be supported?")
    assert not answers(
        question, sentence("Version 3 of the format is supported until 2050.")
    ).answers
    assert answers(question, sentence("Version 2 of the format is supported until 2030.")).answers
