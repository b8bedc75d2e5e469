"""The OpenAI-compatible API: `POST /v1/chat/completions` and `GET /v1/models`.

Any OpenAI client can use the chat as a "model" (the model name picks the backend). The
answer text carries its `[n]` markers; the response adds `citations` (the exact quotes, as
structured data) and `abstained`, which standard clients ignore. Errors have OpenAI's shape,
`{"error": {"message", "type", "param", "code"}}`.

A streamed reply sends the checked answer, never a generative backend's draft: the draft may
lose unsupported sentences or be replaced by the fallback's answer, and text already sent
cannot be taken back. So the content chunks follow once the answer is checked.

Answers come from the process's one `rag.services.Answering`, as the page's do: while the
default backend warms up its fallback answers, and the limit on answers at once is shared with
the page. `top_k` is accepted as an extra body field, with the page's bounds.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Mount

from index.store import StoreError
from rag.backends.base import BackendError, available
from rag.pipeline import Turn
from rag.services.answering import Answering
from rag.settings import TOP_K_MAX
from rag.types import Answer, Citation, QuestionError
from ui.settings import UISettings

log = logging.getLogger(__name__)

MAX_WAITING = 256  # beyond this a request is refused at once (503), never dropped silently
PRESENTATION_ONLY = {"before", "after"}  # the page's context around a quote
BEARER = HTTPBearer(auto_error=False)  # module level: FastAPI resolves annotations here


@dataclass
class ApiError(Exception):
    """An error in OpenAI's shape with its HTTP status."""

    status: int
    message: str
    code: str | None = None
    param: str | None = None
    kind: str = "invalid_request_error"

    def response(self) -> JSONResponse:
        body = {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}
        return JSONResponse({"error": body}, status_code=self.status)


# --- request and response shapes -------------------------------------------------------------


class Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant"]
    content: str


class ChatRequest(BaseModel):
    """OpenAI's request; options we do not use (temperature, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    top_k: int | None = Field(None, ge=1, le=TOP_K_MAX, description="passages to retrieve")


def parse(body: bytes) -> ChatRequest:
    try:
        return ChatRequest.model_validate_json(body)
    except ValidationError as error:
        first = error.errors()[0]
        param = ".".join(str(part) for part in first["loc"]) or None
        if first["type"] == "json_invalid":
            raise ApiError(400, f"the request body is not valid JSON: {first['msg']}") from None
        raise ApiError(400, f"{param or 'the body'}: {first['msg']}", param=param) from None


def citation_json(citation: Citation) -> dict[str, Any]:
    """Every field of a citation (doc id, title, quote, start, end, page, ...) but the page's
    presentation context, so fields added to `Citation` reach API clients unchanged."""
    return citation.model_dump(exclude=PRESENTATION_ONLY)


def _unless_none() -> Any:
    return Field(None, exclude_if=lambda value: value is None)


def _now() -> int:
    return int(time.time())


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class _Reply(BaseModel):
    id: str
    created: int = Field(default_factory=_now)
    model: str  # the backend that answered


class Completion(_Reply):
    """OpenAI's chat completion, plus `citations` and `abstained`."""

    object: Literal["chat.completion"] = "chat.completion"
    choices: list[Choice]
    citations: list[dict[str, Any]]
    abstained: bool


class Delta(BaseModel):
    role: Literal["assistant"] | None = _unless_none()
    content: str | None = _unless_none()


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None


class Chunk(_Reply):
    """One server-sent event of a stream; the last one adds `citations` and `abstained`."""

    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    choices: list[ChunkChoice]
    citations: list[dict[str, Any]] | None = _unless_none()
    abstained: bool | None = _unless_none()


class Model(BaseModel):
    id: str  # a backend
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "rag-chat"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


def completion(answer: Answer, model: str, completion_id: str) -> Completion:
    return Completion(
        id=completion_id,
        model=model,
        choices=[Choice(message=AssistantMessage(content=answer.answer))],
        citations=[citation_json(c) for c in answer.citations],
        abstained=answer.abstained,
    )


def chunks(answer: Answer, model: str, completion_id: str) -> Iterator[str]:
    """The answer as server-sent events: the role, one chunk per word, then a last chunk
    with the finish reason, the citations and the abstention; then `[DONE]`."""

    def event(delta: Delta, finish: Literal["stop"] | None = None, **extra: Any) -> str:
        choice = ChunkChoice(delta=delta, finish_reason=finish)
        chunk = Chunk(id=completion_id, model=model, choices=[choice], **extra)
        return f"data: {chunk.model_dump_json()}\n\n"

    yield event(Delta(role="assistant", content=""))
    for word in re.findall(r"\s*\S+", answer.answer):
        yield event(Delta(content=word))
    citations = [citation_json(c) for c in answer.citations]
    yield event(Delta(), "stop", citations=citations, abstained=answer.abstained)
    yield "data: [DONE]\n\n"


# --- the conversation --------------------------------------------------------------------------


def conversation(messages: list[Message], validate: Callable[[str], str]) -> tuple[str, list[Turn]]:
    """The last user message is the question; earlier user/assistant pairs are the history
    (system prompts are ignored: the answer comes from the documents only)."""
    talk = [(i, m) for i, m in enumerate(messages) if m.role in ("user", "assistant")]
    if not talk or talk[-1][1].role != "user":
        raise ApiError(400, "the last message must be the user's question", param="messages")
    for i, message in talk:
        if message.role == "user":
            try:
                validate(message.content)
            except QuestionError as error:
                raise ApiError(400, str(error), param=f"messages.{i}.content") from None
    turns: list[Turn] = []
    question: str | None = None
    for _, message in talk[:-1]:
        if message.role == "user":
            question = message.content
        elif question is not None:
            turns.append((question, message.content))
            question = None
    return talk[-1][1].content, turns


# --- the app -----------------------------------------------------------------------------------


def create_api(settings: UISettings, answering: Answering) -> FastAPI:
    """The /v1 app, answering through `answering` (the process's one)."""
    api = FastAPI(title="rag-chat OpenAI-compatible API", docs_url=None, redoc_url=None)
    key = settings.api_key.get_secret_value() if settings.api_key else None

    def authorised(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    ) -> None:
        if key is None:
            return
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode(), key.encode()):
            message = "Incorrect or missing API key: send it as `Authorization: Bearer <key>`"
            raise ApiError(401, message, "invalid_api_key")

    @api.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return error.response()

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        code = "not_found" if error.status_code == 404 else None
        return ApiError(error.status_code, str(error.detail), code).response()

    @api.exception_handler(Exception)
    async def crashed(request: Request, error: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=error)
        message = f"the server failed to answer ({type(error).__name__}); see its log"
        return ApiError(500, message, kind="server_error").response()

    @api.get("/models", dependencies=[Depends(authorised)])
    def models() -> ModelList:
        return ModelList(data=[Model(id=name) for name in available()])

    @api.post("/chat/completions", dependencies=[Depends(authorised)], response_model=None)
    async def chat_completions(raw: Request) -> JSONResponse | StreamingResponse:
        request = parse(await raw.body())  # whatever the content type, as OpenAI's API does
        if request.model not in available():
            raise ApiError(
                404,
                f"The model {request.model!r} does not exist; "
                f"the models are the backends: {', '.join(available())}",
                "model_not_found",
                "model",
            )
        if answering.slots.waiting >= MAX_WAITING:
            raise ApiError(503, "too many requests are waiting; retry", kind="server_error")
        answer = await anyio.to_thread.run_sync(_answer, answering, request)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        if request.stream:
            return StreamingResponse(
                chunks(answer, request.model, completion_id), media_type="text/event-stream"
            )
        return JSONResponse(completion(answer, request.model, completion_id).model_dump())

    return api


def mounted(api: FastAPI) -> list[Mount]:
    """The routes that serve `api` under /v1 (on the page's server, or alone)."""
    return [Mount("/v1", api)]


def _answer(answering: Answering, request: ChatRequest) -> Answer:
    try:
        validate = functools.partial(answering.validate, backend=request.model)
        question, history = conversation(request.messages, validate)
        answer = answering.ask(question, history, request.model, request.top_k)
    except (StoreError, BackendError) as error:
        raise ApiError(503, str(error), "unavailable", kind="server_error") from None
    if answer.error:
        message = f"the {answer.backend} backend failed: {answer.error}"
        raise ApiError(502, message, "backend_error", kind="server_error")
    return answer
