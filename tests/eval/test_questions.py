"""Question files: the dev set loads; every bad line is reported with its number and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.questions import QuestionSetError, load_questions

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
DEV_SET = ROOT / "eval" / "questions" / "dev.jsonl"
SOURCE = "000_9e243a5a117bdeca.txt"
GOOD = {
    "id": "ok",
    "question": "How long is the railway?",
    "answerable": True,
    "expected_sources": [SOURCE],
    "sources_mode": "all",
    "evidence": ["this railway will be approximately 200 kilometers long."],
    "answer_contains": ["200"],
    "kind": "number",
}


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**changes) -> str:
    data = {**GOOD, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not ...})


def problems(path: Path) -> list[tuple[int, str]]:
    with pytest.raises(QuestionSetError) as caught:
        load_questions(path, SEEDS)
    return [(p.line, p.field) for p in caught.value.problems]


def test_the_dev_set_loads():
    questions = load_questions(DEV_SET, SEEDS)
    assert len(questions) == 31
    assert len({q.id for q in questions}) == 31
    assert sum(not q.answerable for q in questions) == 5


def test_minimal_question_and_blank_lines(tmp_path):
    path = write(tmp_path, "", json.dumps({"id": "a", "question": "Q?", "answerable": False}), "")
    (question,) = load_questions(path, SEEDS)
    assert question.expected_sources == [] and question.sources_mode == "all"


def test_every_bad_line_is_reported_with_line_and_field(tmp_path):
    path = write(
        tmp_path,
        line(id="a"),
        "{not json",
        line(id="b", answerable="yes"),
        line(id="c", question=...),
        line(id="d", sources_mode="some"),
        line(id="e", expected_sources=["nope.txt"]),
        line(id="f", evidence=["this sentence is not in the file"]),
        line(id="a"),
        line(id="g", answer_contain=["200"]),
        line(id="h", answerable=False),
        line(id="i", expected_sources=[]),
        "[1, 2]",
        line(id="j", evidence=["ok", 3]),
        line(id=" ", question=""),
    )
    assert problems(path) == [
        (2, "json"),
        (3, "answerable"),
        (4, "question"),
        (5, "sources_mode"),
        (6, "expected_sources.0"),
        (7, "evidence.0"),
        (8, "id"),
        (9, "answer_contain"),
        (10, "expected_sources"),
        (10, "evidence"),
        (10, "answer_contains"),
        (11, "expected_sources"),
        (12, "json"),
        (13, "evidence.1"),
        (14, "question"),
        (14, "id"),
    ]


def test_messages_say_what_is_wrong(tmp_path):
    path = write(tmp_path, line(expected_sources=["nope.txt"]), line(id="x", answer_contain=[]))
    with pytest.raises(QuestionSetError) as caught:
        load_questions(path, SEEDS)
    message = str(caught.value)
    assert "line 1: expected_sources.0: 'nope.txt' is not a file in" in message
    assert "line 2: answer_contain: unknown field; the fields are id, question" in message


def test_a_source_outside_the_corpus_folder_is_unknown(tmp_path):
    assert problems(write(tmp_path, line(expected_sources=["../README.md"]))) == [
        (1, "expected_sources.0")
    ]


def test_missing_or_empty_file(tmp_path):
    assert problems(tmp_path / "absent.jsonl") == [(0, "file")]
    assert problems(write(tmp_path, "")) == [(0, "file")]


def test_a_conversation_becomes_its_turns_in_order(tmp_path):
    path = tmp_path / "conversations.jsonl"
    turns = [
        {"question": "How long is the railway?", "answerable": True,
         "expected_sources": ["a.txt"], "kind": "number"},
        {"question": "What will it cost?", "answerable": False},
    ]  # fmt: skip
    path.write_text(json.dumps({"id": "c1", "turns": turns}) + "\n")
    (tmp_path / "a.txt").write_text(
        "The new railway between the two countries is 200 km long, officials said on Monday.\n"
        "Work on the line is expected to begin next year and to last about four years.\n"
    )
    first, second = load_questions(path, tmp_path)
    assert (first.id, first.conversation, first.turn, first.kind) == ("c1#1", "c1", 1, "number")
    assert (second.id, second.turn, second.kind) == ("c1#2", 2, "follow-up")


def test_a_broken_conversation_names_the_turn_and_field(tmp_path):
    path = tmp_path / "conversations.jsonl"
    bad = {"id": "c1", "turns": [{"question": "Why?", "answerable": "yes"}, {"answerable": True}]}
    path.write_text(json.dumps(bad) + "\n" + json.dumps({"id": "c2", "turns": []}) + "\n")
    with pytest.raises(QuestionSetError) as raised:
        load_questions(path, tmp_path)
    text = str(raised.value)
    assert "line 1: turns.0.answerable" in text and "line 1: turns.1.question" in text
    assert "line 2: turns" in text


def test_the_committed_json_schema_is_the_loaders():
    from eval.questions import schema

    committed = json.loads((ROOT / "eval" / "questions" / "schema.json").read_text())
    assert committed == schema()
    assert {"Question", "Conversation", "Turn"} <= set(committed["$defs"])


@pytest.mark.parametrize(
    "name",
    [
        "dev.jsonl",
        "dev2.jsonl",
        "dev3.jsonl",
        "dev4.jsonl",
        "dev5.jsonl",
        "test.jsonl",
        "conversations.jsonl",
    ],
)
def test_the_shipped_question_sets_load(name):
    questions = load_questions(ROOT / "eval" / "questions" / name, ROOT / "seeds")
    assert len(questions) >= 20
