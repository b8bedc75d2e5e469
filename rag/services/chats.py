"""Saved chats and feedback, in any database SQLAlchemy speaks (`RAG_CHATS_URL`).

The default is SQLite in the data folder, in WAL mode with a busy timeout, so that several
`rag ui` processes can share the file; PostgreSQL serves several machines. Each turn keeps its
whole `Answer` as JSON, so an old chat's sources panel shows what it showed then. A rating
keeps its own copy of the answer: it outlives the chat it was given in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from rag.settings import Settings
from rag.types import Answer

DEFAULT_FILE = "chats.db"  # in the data folder (store_dir), beside the Chroma store
TITLE_CHARS = 80
BUSY_TIMEOUT_MS = 5000


class ChatStoreError(RuntimeError):
    """The database is unreachable, locked or corrupt: answering goes on, history does not."""


class _Base(DeclarativeBase):
    pass


class _Chat(_Base):
    __tablename__ = "chats"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(200))
    updated: Mapped[datetime] = mapped_column(index=True)
    turns: Mapped[list[_Turn]] = relationship(
        order_by="_Turn.position", cascade="all, delete-orphan", passive_deletes=True
    )


class _Turn(_Base):
    __tablename__ = "turns"

    chat_id: Mapped[str] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer: Mapped[str] = mapped_column(Text)  # Answer JSON


class _Feedback(_Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("user", "chat_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user: Mapped[str] = mapped_column(String(200))
    chat_id: Mapped[str] = mapped_column(String(32))  # no foreign key: kept after a delete
    position: Mapped[int]
    liked: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    question: Mapped[str] = mapped_column(Text)
    backend: Mapped[str] = mapped_column(String(100))
    answer: Mapped[str] = mapped_column(Text)  # Answer JSON: the text and its citations
    created: Mapped[datetime]


@dataclass(frozen=True)
class ChatSummary:
    id: str
    title: str
    updated: datetime


@dataclass(frozen=True)
class Feedback:
    liked: bool
    comment: str
    answer: Answer
    created: datetime


def chats_url(settings: Settings) -> str:
    return settings.chats_url or f"sqlite:///{Path(settings.store_dir).resolve() / DEFAULT_FILE}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # writers wait for each other
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class ChatStore:
    """Chats per user (the login name; "" without a login). Every failure is ChatStoreError."""

    def __init__(self, url: str) -> None:
        self.url = url
        with self._errors():
            self.engine = _engine(url)
            _Base.metadata.create_all(self.engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatStore:
        return cls(chats_url(settings))

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (SQLAlchemyError, ImportError) as error:  # ImportError: a driver not installed
            first = (str(error).splitlines() or [""])[0][:200]  # not the SQL that follows
            raise ChatStoreError(f"chat history is unavailable: {first}") from error

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._errors(), Session(self.engine) as session, session.begin():
            yield session

    def chats(self, user: str) -> list[ChatSummary]:
        """The user's chats, the most recently used first."""
        with self._session() as session:
            rows = session.scalars(
                select(_Chat).where(_Chat.user == user).order_by(_Chat.updated.desc())
            )
            return [ChatSummary(row.id, row.title, row.updated) for row in rows]

    def save(self, user: str, chat_id: str | None, answers: Sequence[Answer]) -> str:
        """Store the answers not stored yet (a new chat when `chat_id` is None, titled by its
        first question); returns the chat's id."""
        with self._session() as session:
            chat = self._owned(session, user, chat_id) if chat_id else None
            if chat is None:
                title = " ".join(answers[0].question.split())[:TITLE_CHARS]
                chat = _Chat(id=uuid.uuid4().hex, user=user, title=title)
                session.add(chat)
            for position in range(len(chat.turns), len(answers)):
                chat.turns.append(
                    _Turn(position=position, answer=answers[position].model_dump_json())
                )
            chat.updated = _now()
            return chat.id

    def answers(self, user: str, chat_id: str) -> list[Answer]:
        """A chat's answers in order; none when it is not the user's or is gone."""
        with self._session() as session:
            chat = self._owned(session, user, chat_id)
            return [Answer.model_validate_json(t.answer) for t in chat.turns] if chat else []

    def title(self, user: str, chat_id: str) -> str | None:
        with self._session() as session:
            chat = self._owned(session, user, chat_id)
            return chat.title if chat else None

    def rename(self, user: str, chat_id: str, title: str) -> None:
        with self._session() as session:
            if chat := self._owned(session, user, chat_id):
                chat.title = " ".join(title.split())[:TITLE_CHARS] or chat.title

    def delete(self, user: str, chat_id: str) -> None:
        with self._session() as session:
            session.execute(delete(_Chat).where(_Chat.id == chat_id, _Chat.user == user))

    def rate(
        self, user: str, chat_id: str, position: int, liked: bool | None, comment: str = ""
    ) -> None:
        """Thumbs up or down on a stored answer (again: the new rating replaces the old; None:
        the rating is taken back)."""
        with self._session() as session:
            chat = self._owned(session, user, chat_id)
            if chat is None or not 0 <= position < len(chat.turns):
                raise ChatStoreError("that answer is not in your saved chats")
            answer = Answer.model_validate_json(chat.turns[position].answer)
            found = session.scalars(
                select(_Feedback).where(
                    _Feedback.user == user,
                    _Feedback.chat_id == chat_id,
                    _Feedback.position == position,
                )
            ).one_or_none()
            if liked is None:
                if found:
                    session.delete(found)
                return
            feedback = found or _Feedback(user=user, chat_id=chat_id, position=position)
            feedback.liked, feedback.comment, feedback.created = liked, comment.strip(), _now()
            feedback.question, feedback.backend = answer.question, answer.backend
            feedback.answer = answer.model_dump_json()
            session.add(feedback)

    def feedback(self) -> list[Feedback]:
        """Every user's ratings, oldest first."""
        with self._session() as session:
            rows = session.scalars(select(_Feedback).order_by(_Feedback.created, _Feedback.id))
            return [
                Feedback(r.liked, r.comment, Answer.model_validate_json(r.answer), r.created)
                for r in rows
            ]

    @staticmethod
    def _owned(session: Session, user: str, chat_id: str) -> _Chat | None:
        chat = session.get(_Chat, chat_id)
        return chat if chat is not None and chat.user == user else None
