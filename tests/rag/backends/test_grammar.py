"""rag/backends/grammar.py: the shapes a cited answer may take, compiled by real llama.cpp."""

import llama_cpp

from rag.backends.grammar import cited_gbnf, evidence_words, worded_gbnf

DECLINE = 'The documents don\'t say "so".'


def compiles(gbnf: str) -> bool:
    return llama_cpp.LlamaGrammar.from_string(gbnf, verbose=False) is not None


def test_the_evidence_words_are_as_written_capitalised_and_with_function_words():
    words = evidence_words(["The railway is about 200 km long, costing $1.6 billion."])
    assert {"railway", "Railway", "200", "$1.6", "billion", "the", "and"} <= words
    assert "300" not in words and "euros" not in words


def test_both_grammars_compile_with_the_decline_text_escaped():
    assert compiles(cited_gbnf(3, DECLINE))
    gbnf = worded_gbnf(2, DECLINE, evidence_words(['He said "no" to the 5% rise.']))
    assert compiles(gbnf)
    assert "word ::= " in gbnf and '"5%"' in gbnf
    assert 'n ::= "1" | "2"\n' in gbnf
