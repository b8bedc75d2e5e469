"""Each rule of the claim check, with the claim that passes and the one that must not."""

import pytest

from rag.claims import (
    antecedents,
    check,
    is_place,
    names_in,
    swapped_actor,
    unmentioned_names,
)

QUOTE = "Reports say that this railway will be approximately 200 kilometers long."


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        ("The railway will be 300 kilometers long.", "number 300"),
        ("The railway will be approximately 200 miles long.", "unit mile"),
        ("The railway will not be 200 kilometers long.", "negated"),
        ("The capital of Peru is 200 kilometers long.", "Peru"),
        ("The new airport terminal will open soon.", "only"),
    ],
)
def test_a_wrong_claim_is_refused_saying_why(claim, reason):
    result = check(claim, QUOTE)
    assert not result.supported and reason in result.reason


@pytest.mark.parametrize(
    "claim",
    [
        "The railway will be about 200 km long.",
        "Reports say the railway will be roughly 200 kilometres long.",
    ],
)
def test_a_restated_claim_is_supported(claim):
    assert check(claim, QUOTE).supported


def test_numbers_spelled_out_and_decades_count_as_numbers():
    quote = "Iran is ready to extend a gas deal signed nearly three decades ago."
    assert check("The gas deal was signed nearly 30 years ago.", quote).supported
    assert check("The gas deal was signed three decades ago.", quote).supported
    assert not check("The gas deal was signed four decades ago.", quote).supported


def test_spellings_of_a_country_match_and_other_countries_do_not():
    quote = "Trade between Turkey and Iran reached $19.4 billion."
    assert check("Turkish-Iranian trade reached $19.4 billion.", quote).supported
    assert check("Trade between Türkiye and Iran reached $19.4 billion.", quote).supported
    assert not check("Trade between Iraq and Iran reached $19.4 billion.", quote).supported
    assert not check("Trade between Turkey and Iran reached $19.4 million.", quote).supported


def test_a_demonym_the_suffix_rules_miss_names_its_country():
    quote = "Iran lost a key ally who had facilitated arms deliveries to Hezbollah in Lebanon."
    assert not unmentioned_names("Which Lebanese militia received arms?", [quote])
    assert unmentioned_names("Which Sudanese militia received arms?", [quote]) == ["Sudanese"]


BRIDGE_DOC = (
    "Iran and Azerbaijan agreed to construct a bridge on the Astarachay River. Moreover, the "
    "bridge's construction will be part of a corridor. The bridge will be about 100 meters long."
)


def test_the_bridge_of_a_quote_is_the_one_its_document_introduced_by_name():
    quote = "The bridge will be about 100 meters long."
    start = BRIDGE_DOC.index(quote)
    (found,) = antecedents("How long is the Astarachay bridge?", quote, BRIDGE_DOC, start)
    assert "Astarachay" in found
    # another bridge's name is not found there: the quote's bridge is the Astarachay one
    other = antecedents("How long is the Kars bridge?", quote, BRIDGE_DOC, start)
    assert unmentioned_names("How long is the Kars bridge?", other) == ["Kars"]
    # a quote that does not speak of "the bridge" refers to none
    assert not antecedents("How long is the Astarachay bridge?", "It is long.", BRIDGE_DOC, start)


def test_a_possessive_asked_for_is_not_answered_by_anothers():
    sentence = "Tehran’s ambassador to Ankara Mohammad Hassan Habibollahzadeh outlined it."
    assert swapped_actor("Who is Turkey's ambassador to Tehran?", sentence, owners_only=True)
    assert not swapped_actor("Who is Iran's ambassador to Turkey?", sentence, owners_only=True)
    militia = "Assad had facilitated arms deliveries to the Hezbollah militia in Lebanon."
    asked = "Which Lebanese militia received arms?"  # a modifier, not an owner
    assert not swapped_actor(asked, militia, owners_only=True)
    assert swapped_actor(asked, militia)  # a claim's every name counts


def test_the_two_countries_resolve_only_inside_the_quotes_document():
    quote = "Cooperation between the two countries has improved since 2022."
    context = "Russia and Iran look for closer ties."
    right = "Cooperation between Russia and Iran has improved since 2022."
    assert check(right, quote, context).supported
    misnamed = "Cooperation between Iran and Azerbaijan has improved since 2022."
    wrong = check(misnamed, quote, context)
    assert not wrong.supported and "Azerbaijan" in wrong.reason
    assert not check(right, quote).supported  # without the document, nothing to resolve to


def test_an_opposite_word_is_a_contradiction():
    quote = "Currently, the rail connection between Iran and Turkey has very low capacity."
    swapped = "The rail connection between Iran and Turkey has high capacity."
    assert not check(swapped, quote).supported
    assert check("The rail link between Iran and Turkey has very low capacity.", quote).supported


def test_a_negation_elsewhere_in_the_quote_does_not_refuse_the_claim():
    quote = "Ankara is not a rival but a strategic partner in the energy sector."
    assert check("Ankara is a strategic partner in the energy sector.", quote).supported
    assert not check("Ankara is a rival in the energy sector.", quote).supported


def test_names_and_places():
    assert names_in("What did Putin tell Erdogan in Tehran?") == ["Putin", "Erdogan", "Tehran"]
    assert names_in("Peru's capital is Lima.") == ["Peru", "Lima"]  # a place, first or not
    assert "Trade" not in names_in("Trade rose.")
    assert is_place("Iranian") and is_place("Moscow") and not is_place("Putin")
    assert unmentioned_names("What is the capital of Peru?", ["Baku, Azerbaijan"]) == ["Peru"]
    assert unmentioned_names("Who is Nicole Grajewski?", ["expert Nicole Grajewski"]) == []


def test_a_name_put_in_anothers_place_is_refused_though_both_are_quoted():
    quote = (
        "The relations between Baku and Tehran dramatically strained in the post-Karabakh war "
        "in 2020, when Azerbaijan declared military victory over Armenia."
    )
    swapped = check("In 2020 Iran declared military victory in the Karabakh war.", quote)
    assert not swapped.supported and "Azerbaijan declared" in swapped.reason
    assert check("In 2020 Azerbaijan declared military victory over Armenia.", quote).supported


def test_other_names_of_a_country_come_from_country_data_and_codes_only_in_capitals():
    """countryinfo's demonyms, capitals and spellings: American = US = Washington; "us" the
    pronoun is no country."""
    from rag.claims import check, unmentioned

    assert check(
        "The American library recommends the format.", "The US library recommends the format."
    ).supported
    assert unmentioned(["Americans"], ["Officials in Washington agreed."]) == []
    assert unmentioned(["US"], ["They told us the plan."]) == ["US"]
    assert unmentioned(["Brazil"], ["Officials in Washington agreed."]) == ["Brazil"]


def test_a_country_named_in_several_words_is_one_name_in_every_spelling():
    from rag.claims import check, names_in, unmentioned

    assert names_in("Talks between the United States and the United Kingdom.")[-2:] == [
        "United States",
        "United Kingdom",
    ]
    quote = "The game crossed the Atlantic around 1988 and gained popularity in the U.S."
    assert check("The game gained popularity in the United States around 1988.", quote).supported
    assert not check(
        "The game gained popularity in the United Kingdom around 1988.", quote
    ).supported
    assert unmentioned(["United States"], ["It is popular in the Netherlands."]) == [
        "United States"
    ]


def test_number_words_come_from_number_parser_and_agree_everywhere():
    from rag.claims import check
    from rag.expectations import expectation

    assert check("The fleet has sixty ships.", "The fleet has 60 ships.").supported
    assert not check("The fleet has seventy ships.", "The fleet has 60 ships.").supported
    assert expectation("How many ships does the fleet have?").met_by("It has sixty ships.")


def test_units_and_opposites_come_from_the_lexicon_and_a_corpus_extends_them(tmp_path, monkeypatch):
    from rag import claims, lexicon

    tank = "The tank holds 40 litres of water and its level is high."
    assert "unit gal" in check("The tank holds 40 gallons of water.", tank).reason
    assert not check("The tank's level is low.", tank).supported
    cistern = "The cistern lies 3 miles from the well."
    assert check("The cistern lies 3 furlongs from the well.", cistern).supported  # unknown unit

    extra = tmp_path / "more.json"
    extra.write_text('{"units": {"furlong": ["furlong", "furlongs"]}}', encoding="utf-8")
    monkeypatch.setenv("RAG_LEXICON", str(extra))
    for cached in (lexicon.lexicon, claims._unit_names, claims._opposites):
        cached.cache_clear()
    try:
        refused = check("The cistern lies 3 furlongs from the well.", cistern)
        assert not refused.supported and "unit furlong" in refused.reason
    finally:
        monkeypatch.delenv("RAG_LEXICON")
        for cached in (lexicon.lexicon, claims._unit_names, claims._opposites):
            cached.cache_clear()
