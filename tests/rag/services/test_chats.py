"""Saved chats and ratings in SQLite (the default, shared by several processes) and in a real
PostgreSQL server; a locked or corrupt database is a ChatStoreError, never a crash."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, text

from rag.services.chats import ChatStore, ChatStoreError, chats_url
from rag.settings import Settings
from rag.types import Answer, Citation


def answer(question: str, text_: str = "It is 200 kilometers long. [1]") -> Answer:
    quote = Citation(n=1, doc_id="rail.txt", title="Rail", quote="200 kilometers", start=10,
                     end=24, score=1.0, before="It is ", after=" long.")  # fmt: skip
    return Answer(question=question, answer=text_, citations=[quote], backend="extractive")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> ChatStore:
    if request.param == "sqlite":
        return ChatStore(f"sqlite:///{tmp_path / 'chats.db'}")
    server = request.getfixturevalue("postgres_server")
    name = f"chats_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return ChatStore(f"{server}/{name}")


def test_chats_newest_first_titled_by_the_first_question(store):
    first = store.save("ann", None, [answer("How long is the railway?")])
    second = store.save("ann", None, [answer("  Who   signed\nthe treaty?  ")])
    assert [c.title for c in store.chats("ann")] == [
        "Who signed the treaty?",
        "How long is the railway?",
    ]
    store.save("ann", first, [answer("How long is the railway?"), answer("How much will it cost?")])
    assert [c.id for c in store.chats("ann")] == [first, second]  # used last: first


def test_answers_come_back_whole(store):
    answers = [
        answer("How long is the railway?"),
        answer("And the cost?", "The documents don't say."),
    ]
    chat = store.save("ann", None, answers[:1])
    assert store.save("ann", chat, answers) == chat  # only the new turn is added
    assert store.answers("ann", chat) == answers
    assert store.answers("ann", chat)[0].citations[0].before == "It is "  # the sources panel's


def test_each_user_sees_only_their_own(store):
    chat = store.save("ann", None, [answer("How long is the railway?")])
    assert store.chats("bob") == []
    assert store.answers("bob", chat) == []
    store.rename("bob", chat, "mine now")
    store.delete("bob", chat)
    with pytest.raises(ChatStoreError):
        store.rate("bob", chat, 0, liked=True)
    assert [c.title for c in store.chats("ann")] == ["How long is the railway?"]
    assert store.save("bob", chat, [answer("Hijack?")]) != chat  # a new chat of bob's


def test_rename_and_delete(store):
    chat = store.save("ann", None, [answer("How long is the railway?")])
    store.rename("ann", chat, "  Railway \n questions ")
    assert store.title("ann", chat) == "Railway questions"
    store.rename("ann", chat, "   ")
    assert store.title("ann", chat) == "Railway questions"  # a blank title is no title
    store.rate("ann", chat, 0, liked=False, comment="wrong number")
    store.delete("ann", chat)
    assert store.chats("ann") == [] and store.answers("ann", chat) == []
    assert [r.comment for r in store.feedback()] == ["wrong number"]  # ratings outlive it


def test_ratings_replace_each_other_and_keep_the_answer(store):
    chat = store.save("ann", None, [answer("How long is the railway?"), answer("Cost?")])
    store.rate("ann", chat, 1, liked=True)
    store.rate("ann", chat, 1, liked=False, comment=" not this one ")
    store.rate("ann", chat, 0, liked=True)
    ratings = store.feedback()
    assert [(r.answer.question, r.liked, r.comment) for r in ratings] == [
        ("Cost?", False, "not this one"),
        ("How long is the railway?", True, ""),
    ]
    assert ratings[0].answer.citations[0].quote == "200 kilometers"
    with pytest.raises(ChatStoreError, match="not in your saved chats"):
        store.rate("ann", chat, 2, liked=True)
    store.rate("ann", chat, 1, liked=None)  # taken back: gone, not a dislike
    assert [(r.answer.question, r.liked) for r in store.feedback()] == [
        ("How long is the railway?", True)
    ]
    store.rate("ann", chat, 1, liked=None)  # nothing to take back: no error


def test_default_is_sqlite_in_the_data_folder(tmp_path):
    url = chats_url(Settings(store_dir=tmp_path / "data"))
    assert url == f"sqlite:///{tmp_path / 'data' / 'chats.db'}"
    ChatStore(url).save("", None, [answer("Q?")])
    mode = sqlite3.connect(tmp_path / "data" / "chats.db").execute("PRAGMA journal_mode")
    assert mode.fetchone()[0] == "wal"
    assert chats_url(Settings(chats_url="postgresql+psycopg://h/db")) == "postgresql+psycopg://h/db"


def test_a_corrupt_database_is_an_error(tmp_path):
    path = tmp_path / "chats.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ChatStoreError, match="unavailable"):
        ChatStore(f"sqlite:///{path}")


def test_a_missing_driver_or_a_bad_url_is_an_error():
    with pytest.raises(ChatStoreError, match="unavailable"):
        ChatStore("mysql+nosuchdriver://u@h/db")
    with pytest.raises(ChatStoreError, match="unavailable"):
        ChatStore("not a url")


def test_a_locked_database_is_an_error_after_the_busy_timeout(tmp_path, monkeypatch):
    monkeypatch.setattr("rag.services.chats.BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "chats.db"
    store = ChatStore(f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(ChatStoreError, match="unavailable"):
            store.save("ann", None, [answer("Q?")])
        assert store.chats("ann") == []  # WAL: reading goes on
    finally:
        holder.execute("ROLLBACK")
    assert store.save("ann", None, [answer("Q?")])


WRITER = """
import sys
from rag.services.chats import ChatStore
from rag.types import Answer
store = ChatStore(sys.argv[1])
for i in range(25):
    answer = Answer(question=f"{sys.argv[2]} {i}?", answer="a", backend="extractive")
    chat = store.save(sys.argv[2], None, [answer])
    store.save(sys.argv[2], chat, [answer, answer])
"""


def test_several_processes_share_one_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'chats.db'}"
    ChatStore(url)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, f"user{n}"]) for n in range(4)]
    assert [w.wait(timeout=120) for w in writers] == [0] * 4
    store = ChatStore(url)
    for n in range(4):
        chats = store.chats(f"user{n}")
        assert len(chats) == 25
        assert all(len(store.answers(f"user{n}", c.id)) == 2 for c in chats)
