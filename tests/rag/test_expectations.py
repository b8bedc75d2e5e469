"""rag/expectations.py: which questions ask for an amount, a year, a time, a measure or a unit,
and which sentences can carry that kind of answer (what lets the extractive backend decline)."""

from __future__ import annotations

import pytest

from rag.expectations import Expectation, expectation
from rag.judge import covers_topic

# --- which questions expect what ---------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "In what year did relations between Baku and Tehran sour?",
        "Which year was the previous treaty signed?",
        "WHAT YEAR did Iran join BRICS?",
        "The year did they sign it, do you know?",
    ],
)
def test_year_questions_expect_a_year(question):
    assert expectation(question) == Expectation("year")


@pytest.mark.parametrize(
    "question",
    [
        "Since when has the corridor served as a trade route?",
        "What date was the treaty signed?",
        "What century did the rivalry begin in?",
        "What month did the ministers meet?",
    ],
)
def test_date_questions_expect_a_time(question):
    assert expectation(question) == Expectation("time")


@pytest.mark.parametrize(
    "question",
    [
        "What price did Moscow and Tehran settle on for the gas?",
        "How much will the railway cost?",
        "What's the construction budget for the bridge?",
        "How much is Iran paying Russia for each fighter jet?",
        "What is the deal worth?",
        "How much did they spend on the bridge?",
    ],
)
def test_money_questions_expect_money(question):
    assert expectation(question) == Expectation("money")


@pytest.mark.parametrize(
    "question",
    [
        "How long will the railway between Iran and Turkey be?",
        "How far is Astara from Baku?",
        "How big is the planned border bridge going to be?",
        "How old is the previous treaty?",
        "How wide is the river?",
    ],
)
def test_size_and_duration_questions_expect_a_measure(question):
    assert expectation(question) == Expectation("measure")


@pytest.mark.parametrize(
    "question",
    [
        "How much Iranian gas does Turkey receive each year?",
        "How many articles does the agreement contain?",
        "How many oil and gas fields will Gazprom develop?",
        "What share of Iran's trade goes to Russia?",
        "What yearly capacity will the pipeline have?",
    ],
)
def test_amount_questions_expect_a_number(question):
    wanted = expectation(question)
    assert wanted is not None and (wanted.kind, wanted.unit) == ("number", None)


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("What yearly freight capacity, in tonnes, is the railway designed for?", "tonnes"),
        ("How many tons of cargo cross the border?", "tonnes"),
        ("How many barrels of oil a day?", "barrels"),
        ("How many cubic meters of gas flow each year?", "cubic"),
        ("By what percentage did trade grow?", "percent"),
        ("Trade grew by how many per cent?", "percent"),
        ("How many miles of track are missing?", "miles"),
        ("The railway, in kilometres?", "kilometers"),
    ],
)
def test_a_unit_in_the_question_is_expected_with_a_number(question, wanted):
    found = expectation(question)
    assert found is not None and (found.kind, found.unit) == ("number", wanted)


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("How long is the railway in km?", Expectation("measure", "kilometers")),
        ("How far, in miles, is the border?", Expectation("measure", "miles")),
        ("What is the price per tonne?", Expectation("money", "tonnes")),
    ],
)
def test_a_unit_also_narrows_a_measure_or_money_question(question, wanted):
    assert expectation(question) == wanted


@pytest.mark.parametrize(
    "question",
    [
        "Why was Tehran against the transit route through Armenia?",
        "What do Iranian drones do for Russia according to Atwan?",
        "Where will the border bridge be built?",
        "Did Russia and Iran sign their deal before or after Donald Trump took office?",
        "Which close ally of Turkey has been dragged into Israel's attacks?",
        "How did relations between Baku and Tehran change?",
        "",
    ],
)
def test_other_questions_expect_nothing(question):
    assert expectation(question) is None


def test_who_questions_are_answered_by_a_person_the_question_does_not_name():
    wanted = expectation("Who did Putin meet privately in Tehran?")
    assert wanted is not None and wanted.kind == "name"
    assert wanted.met_by("Putin met the Supreme Leader Ali Khamenei.")
    assert not wanted.met_by("Putin visited Tehran in February.")  # names the question has
    assert not wanted.met_by("The Russian president travelled to Iran.")  # places are no person
    assert expectation("Which Azerbaijani leader did the Iranian minister meet?").kind == "name"
    official = expectation("Which American official alleged a drone deal?")
    assert official is not None and official.kind == "name"
    assert official.met_by("US National Security Advisor Jake Sullivan alleged it.")
    assert not official.met_by("An American official alleged it in July.")


# --- which sentences meet an expectation ------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "sentence"),
    [
        (Expectation("year"), "Relations took a sharp turn for the worse in 2023."),
        (Expectation("year"), "NATO was founded on 4 April 1949."),
        (Expectation("time"), "The corridor has served trade since the 19th century."),
        (Expectation("time"), "It has been a route since the nineteenth century."),
        (Expectation("time"), "The ministers met in March."),
        (Expectation("time"), "The treaty was signed in 2001."),
        (Expectation("money"), "Iranian officials estimate the total cost at around $1.6 billion."),
        (Expectation("money"), "Trade reached 19.4 billion dollars."),
        (Expectation("money"), "The gas will be paid for in rubles."),
        (Expectation("money"), "Each jet costs €80 million."),
        (Expectation("measure"), "This railway will be approximately 200 kilometers long."),
        (Expectation("measure"), "The bridge will be 1.4 km long."),
        (Expectation("measure"), "The project will take only three to four years to complete."),
        (Expectation("measure"), "The two countries share a 1,200-km border."),
        (Expectation("measure"), "The previous treaty was signed two decades ago."),
        (Expectation("number"), "The agreement contains 47 articles."),
        (Expectation("number"), "Gazprom will develop seven oil and gas fields."),
        (Expectation("number"), "Hundreds of drones were delivered."),
        (Expectation("number", "tonnes"), "It will carry 15 million tonnes of freight a year."),
        (Expectation("number", "tonnes"), "It carries 5 tons."),
        (Expectation("number", "percent"), "Trade surged 65 percent last year."),
        (Expectation("number", "percent"), "Trade surged 65% last year."),
        (Expectation("number", "cubic"), "Turkey receives 10 billion cubic meters of gas."),
        (Expectation("number", "cubic"), "Turkey receives 10 bcm of gas."),
        (Expectation("measure", "kilometers"), "The line will be 200 km long."),
    ],
)
def test_sentences_with_the_kind_of_answer_meet_the_expectation(wanted, sentence):
    assert wanted.met_by(sentence)


@pytest.mark.parametrize(
    ("wanted", "sentence"),
    [
        (Expectation("year"), "Relations took a sharp turn for the worse in March."),
        (Expectation("year"), "The agreement contains 47 articles."),
        (Expectation("year"), "About 1200 people attended."),  # four digits, not a year
        (Expectation("year"), "The plan runs to 2101."),
        (Expectation("time"), "The corridor has served trade for a long time."),
        (Expectation("time"), "Relations soured after the war."),
        (Expectation("money"), "Trade reached approximately 19.4 billion."),  # no currency
        (Expectation("money"), "The railway will be expensive."),
        (Expectation("measure"), "The railway will be long."),
        (Expectation("measure"), "Iranian officials estimate the total cost at $1.6 billion."),
        (Expectation("measure"), "The line opens in 2025."),
        (Expectation("number"), "The agreement contains many articles."),
        (Expectation("number"), "Gazprom will develop several oil and gas fields."),
        (Expectation("number", "tonnes"), "It will carry 15 million units of freight a year."),
        (Expectation("number", "tonnes"), "It will carry tonnes of freight."),  # no amount
        (Expectation("number", "percent"), "Trade surged 65 points last year."),
        (Expectation("number", "percent"), "Trade surged by a large percent."),
        (Expectation("number", "cubic"), "Turkey receives 10 billion meters of gas."),
        (Expectation("measure", "kilometers"), "The line will be 200 miles long."),
        (Expectation("measure", "kilometers"), "The line will be many kilometers long."),
    ],
)
def test_sentences_without_the_kind_of_answer_do_not_meet_it(wanted, sentence):
    assert not wanted.met_by(sentence)


@pytest.mark.parametrize(
    ("question", "answers", "misses"),
    [
        (
            "How long will the railway between Iran and Turkey be?",
            "Reports say that this railway will be approximately 200 kilometers long.",
            "Both foreign ministers emphasized the importance of the new railway.",
        ),
        (
            "What was Iran-Turkey bilateral trade worth last year?",
            "Trade volume last year reached approximately $19.4 billion.",
            "One significant aspect is the immense trade potential between the two countries.",
        ),
        (
            "How much Iranian gas does Turkey receive each year, in cubic meters?",
            "The contract supplies 10 billion cubic meters of Iranian gas to Turkey annually.",
            "The contract supplies Iranian gas to Turkey, and it is due to expire.",
        ),
        (
            "In what year did Iran officially become a full member of BRICS?",
            "Iran became a full member of BRICS in 2024.",
            "Iran became a full member of BRICS after a long wait.",
        ),
        # how many: the number must count the asked thing
        (
            "How many Su-35 jets has Russia delivered?",
            "Russia delivered 24 Su-35 jets last year.",
            "Iran’s purchase of Russian Su-35 fighter jets is likely, with 2 more deals due.",
        ),
        (
            "How many oil and gas fields will Gazprom develop?",
            "Gazprom will develop two Iranian gas fields and six oil fields.",
            "Gazprom signed a memorandum worth $40 billion on fields.",
        ),
        (
            "How many kilometres long is the railway?",
            "The railway will be approximately 200 kilometers long.",
            "The railway will cost $1.6 billion and take 4 years.",
        ),
        (
            "How many drones did Iran send?",
            "It would provide Moscow with hundreds of Iranian drones.",
            "Iran sent drones in 2022 to Russia.",
        ),
        (
            "How long has al-Julani ruled Syria?",
            "The one-year rule of al-Julani has not brought stability.",
            "The rule of al-Julani has not brought stability.",
        ),
        # a role asked for is named by its words: a name alone does not hold it
        (
            "Who heads the state railway company?",
            "The state railway company is headed by Ali Veli.",
            "The state railway company hired Ali Veli as a consultant.",
        ),
        (
            "What is the name of Russia's ambassador to Iran?",
            "Russia's ambassador in Tehran, Alexey Dedov, spoke about trade.",
            "Vladimir Putin met Iranian officials in Tehran.",
        ),
        (
            "Who founded the Carnegie think tank?",
            "The Carnegie think tank was founded by Joe Smith in 1910.",
            "According to expert Nicole Grajewski from the Carnegie think tank, it aims at order.",
        ),
        (
            "Who represents Azerbaijan as ambassador in Tehran?",
            "Azerbaijan's envoy in Tehran, Ali Alizada, met the minister.",
            "Relations between Baku and Tehran strained when Azerbaijan declared victory.",
        ),
        # an organisation asked for: a person or a place does not answer
        (
            "Which company will operate the bridge?",
            "The bridge will be operated by the Azerbaijan Railways Company.",
            "The agreement was inked while Road Minister Rostam Ghasemi visited Azerbaijan.",
        ),
        (
            "Which newspaper did the ambassador speak to?",
            "In an interview with the newspaper Iran, the ambassador outlined trade figures.",
            "Ambassador Mohammad Habibollahzadeh outlined trade figures in Ankara.",
        ),
        (
            "Which bank handles the payments?",
            "Payments between the two go through SWIFT.",
            "Payments between the two go through Moscow and Vladimir Putin's office.",
        ),
        # a relation asked for is stated with its words
        (
            "What did Egypt and Iran agree on in Muscat?",
            "Egypt and Iran signed a deal on direct flights in Muscat.",
            "Egypt is seeking to launch communication channels with Iran in Muscat.",
        ),
        (
            "Who mediated the reconciliation between the two states?",
            "Qatar mediated the reconciliation between the two states.",
            "Iran made a first positive step toward Azerbaijan by sending its minister to Baku.",
        ),
        # a language, religion, currency or capital asked for
        (
            "What is the official language of Azerbaijan?",
            "Azerbaijani is the official language of Azerbaijan.",
            "Iran and Azerbaijan re-engaged in talks to revive the Aras Corridor.",
        ),
        (
            "What religion do most people in Azerbaijan follow?",
            "Most people in Azerbaijan are Shia Muslims.",
            "Most people in Azerbaijan voted for the president.",
        ),
        (
            "Which currency will the two countries trade in?",
            "The two countries will increase rial-ruble trade.",
            "The two countries will increase trade and investment.",
        ),
    ],
)
def test_a_question_is_met_by_the_sentence_with_the_answer_only(question, answers, misses):
    wanted = expectation(question)
    assert wanted is not None
    assert wanted.met_by(answers)
    assert not wanted.met_by(misses)


# --- regressions --------------------------------------------------------------------------------
# A number followed by a word that merely starts like a unit ("met", "methods") is no measure;
# "What is the capacity of X?" asks for an amount like "What capacity does X have?".


@pytest.mark.parametrize(
    ("sentence", "number"),
    [
        ("Five leaders met in Tehran.", "Five"),
        ("The 2 presidents met on Monday.", "2"),
        ("Three methods were discussed.", "Three"),
        ("Two metro lines were opened.", "Two"),
    ],
)
def test_a_number_followed_by_met_or_methods_is_no_measure(sentence, number):
    assert not Expectation("measure").met_by(sentence)
    assert Expectation("measure").met_by(f"{number} metres of track were laid.")


@pytest.mark.parametrize(
    "question",
    [
        "What is the capacity of the planned pipeline?",
        "What is the length of the railway?",
        "What was the volume of trade last year?",
    ],
)
def test_what_is_the_amount_questions_expect_a_number(question):
    assert expectation(question) == Expectation("number")


def test_how_many_times_counts_nothing_in_particular():
    wanted = expectation("How many times bigger could the flow be?")
    assert wanted is not None and not wanted.counted
    assert wanted.met_by("Up to 50 billion cubic meters could flow.")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is the population of Azerbaijan?", "number"),
        ("What top speed will trains reach on the railway?", "number"),
        ("How fast will the trains run?", "measure"),
        ("What is Iran's gross domestic product?", "money"),
        ("What is Iran's GDP?", "money"),
    ],
)
def test_quantities_named_by_a_noun_expect_an_amount(question, kind):
    wanted = expectation(question)
    assert wanted is not None and wanted.kind == kind


def test_a_speed_or_population_is_not_met_by_any_number():
    speed = expectation("What top speed will trains reach?")
    population = expectation("What is the population of Azerbaijan?")
    assert speed is not None and population is not None
    assert speed.met_by("Trains will run at 160 kilometers per hour.")
    assert not speed.met_by("The railway will be approximately 200 kilometers long.")
    assert population.met_by("Azerbaijan has a population of 10 million.")
    assert not population.met_by("Trade grew to $688 million.")


@pytest.mark.parametrize(
    "question",
    [
        "Which pipeline project to China was slowed by disputes over price?",
        "Why did the price of gas rise?",
        "Where is the budget decided?",
    ],
)
def test_a_question_asking_which_why_or_where_expects_no_amount_it_mentions(question):
    wanted = expectation(question)
    assert wanted is None or wanted.kind == "name"


@pytest.mark.parametrize(
    "question",
    [
        "What is the name of the Saudi deputy foreign minister?",
        "Which Russian company will build the pipeline?",
        "Which armed group in Lebanon received weapons?",
        "Which bank will run the payment system?",
    ],
)
def test_names_and_organisations_asked_for_expect_a_name(question):
    wanted = expectation(question)
    assert wanted is not None and wanted.kind == "name"


def test_what_did_the_official_say_asks_no_name():
    assert expectation("What did the official say about trade?") is None


def test_a_name_met_must_not_be_part_of_the_asked_persons_full_name():
    wanted = expectation("What is the name of the minister who travelled with Fidan?")
    assert wanted is not None
    assert not wanted.met_by("The latest visit of the Turkish Foreign Minister Hakan Fidan.")
    assert wanted.met_by("Fidan travelled with deputy minister Ali Bagheri.")


def test_who_is_a_named_person_asks_for_a_description_not_another_name():
    assert expectation("Who is Ilham Aliyev?") is None
    assert expectation("who was Nicole Grajewski") is None
    assert expectation("Who is the president of Azerbaijan?") is not None


@pytest.mark.parametrize(
    ("question", "texts", "covered"),
    [
        (
            "What did Joe Biden say about Iran's nuclear programme?",
            ["Joe Biden declared that his country will not permit a security vacuum."],
            False,
        ),
        (
            "What did Fidan say about Israel?",
            ["Fidan said both consider Israel the greatest threat to stability."],
            True,
        ),
        (
            "What did Araghchi say about extending the gas deal with Turkey?",
            ["Araghchi said that Iran is ready to extend a gas deal with Turkey."],
            True,
        ),
        (
            "What do Iranians think about the cooperation with Russia?",
            ["The growing cooperation is met with sharp criticism from the Iranian population."],
            True,
        ),
        ("How long is the railway?", ["Nothing related at all."], True),
    ],
)
def test_an_answer_about_a_topic_mentions_the_topic(question, texts, covered):
    assert covers_topic(question, texts) is covered


@pytest.mark.parametrize(
    ("sentence", "met"),
    [
        ("The contract will expire in November 2026.", True),
        ("The deal comes just before the inauguration of Donald Trump.", True),
        ("A gas deal was signed nearly three decades ago.", True),
        ("Since the diplomatic thaw unfolded, the two agreed to build a bridge.", True),
        ("On this route, the rail line is interrupted at Lake Van.", False),
        ("Wagons must be transported across the lake via ferries.", False),
        ("The ferries across Lake Van mark a new era in the region's trade.", False),
        ("The ferry period of Lake Van trade is a long one.", False),
        ("The ferries began running during the imperial era.", True),
    ],
)
def test_when_questions_are_answered_by_a_date_or_a_relative_time(sentence, met):
    wanted = expectation("When did the ferry service across Lake Van start?")
    assert wanted is not None and wanted.met_by(sentence) is met


def test_who_acted_may_be_answered_by_a_country_but_who_is_may_not():
    acted = expectation("Who has significantly weakened the position of Iran and its allies?")
    role = expectation("Who is the president of Azerbaijan?")
    assert acted is not None and role is not None
    sentence = "With its attacks on Iran and its allies, Israel has significantly weakened them."
    assert acted.met_by(sentence)
    assert not role.met_by("Azerbaijan and Israel have maintained solid trade relations.")


@pytest.mark.parametrize(
    "question",
    [
        "Which Azerbaijani leader did the Iranian foreign minister meet in Baku?",
        "How many articles does the agreement the two sides signed contain?",
        "When was the railway agreement signed?",
        "Who did Putin meet privately in Tehran?",
        "What connects the city of Astara to Baku?",
    ],
)
def test_a_role_or_relation_the_question_only_mentions_is_not_required(question):
    wanted = expectation(question)
    assert wanted is None or wanted.needs == ()


def test_a_role_asked_for_is_required_and_a_role_mentioned_is_not():
    wanted = expectation("Which Iranian minister was visiting Baku when the deal was signed?")
    assert wanted is not None
    assert wanted.met_by("The deal was inked while Road Minister Rostam Ghasemi visited Baku.")
    assert not wanted.met_by("The deal was inked while Rostam Ghasemi visited Baku.")


def test_a_number_joined_to_the_counted_word_by_a_hyphen_counts_it():
    wanted = expectation("How many processors did the machine have?")
    assert wanted.met_by("The machine, a 65,536-processor computer, was a black cube.")
    assert not wanted.met_by("The machine, a 1980s computer, was a black cube.")
