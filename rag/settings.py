"""The core settings every entry point shares: RAG_* environment variables, offline defaults.

Backend options are not here: each backend declares its own (`Backend.Options`, read from its
own RAG_* variables), and `backend_options` carries per-backend overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TOP_K = 5  # passages retrieved for a question, unless RAG_TOP_K or the client says otherwise
TOP_K_MAX = 20  # the most a question may ask for, on every client (page, CLI, /v1, RAG_TOP_K)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=None, extra="ignore")

    # corpus and store
    corpus_dir: Path = Field(Path("seeds"), description="what `rag index` indexes by default")
    store_dir: Path = Field(Path(".rag"), description="folder of the embedded Chroma store")
    collection: str = Field("corpus", description="the index (Chroma collection) name")
    chroma_url: str | None = Field(
        None, description="a Chroma server, e.g. http://127.0.0.1:8000 (https means TLS)"
    )
    chroma_host: str | None = Field(None, description="the Chroma server as host + port instead")
    chroma_port: int = 8000
    chroma_token: str | None = Field(None, description="token for the Chroma server")
    chroma_token_header: Literal["Authorization", "X-Chroma-Token"] = Field(
        "Authorization", description="Authorization sends `Bearer <token>`"
    )
    chroma_ca_file: Path | None = Field(None, description="CA bundle for a self-signed https")
    chroma_timeout_s: float = Field(30.0, description="per request to the Chroma server")
    chroma_retry_s: float = Field(
        60.0, description="how long to retry while the Chroma server is unreachable"
    )

    chats_url: str | None = Field(
        None,
        description="saved chats and feedback (SQLAlchemy URL); default SQLite in store_dir",
    )

    # indexing
    embedding_model: str = "all-MiniLM-L6-v2-int8"
    embed_batch_size: int = 32
    chunk_size: int = Field(192, description="tokens (cl100k_base) per chunk")
    chunk_overlap: int = Field(32, description="tokens shared by consecutive chunks")

    # answering
    backend: str = Field("extractive", description="a registered backend name")
    backend_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='per-backend option overrides, e.g. {"llamacpp": {"max_tokens": 64}}',
    )
    fallback: str | None = Field(
        "extractive",
        description="answers when a generative backend declines or none of its claims holds",
    )
    top_k: int = Field(TOP_K, ge=1, le=TOP_K_MAX, description="passages retrieved")
    context_tokens: int = Field(1500, description="passages an extractive backend reads, tokens")
    evidence_tokens: int = Field(350, description="sentences a generative backend reads, tokens")
    max_question_chars: int = 2000
    concise: bool = Field(
        True, description="answer 'how long', 'when', 'who'... with the asked words, citing them"
    )

    @model_validator(mode="after")
    def _chroma_server(self) -> Settings:
        """RAG_CHROMA_HOST/PORT are another spelling of RAG_CHROMA_URL (plain http)."""
        if self.chroma_host:
            url = f"http://{self.chroma_host}:{self.chroma_port}"
            if self.chroma_url and self.chroma_url.rstrip("/") != url:
                raise ValueError(
                    f"RAG_CHROMA_URL={self.chroma_url} and RAG_CHROMA_HOST/PORT ({url}) disagree; "
                    "set one of them"
                )
            self.chroma_url = url
        return self


def checked_top_k(top_k: int | None) -> int | None:
    """A client's top_k (None: the settings'), within the one bound; ValueError says it."""
    if top_k is not None and not 1 <= top_k <= TOP_K_MAX:
        raise ValueError(f"top_k must be between 1 and {TOP_K_MAX}, not {top_k}")
    return top_k


def problems(error: ValidationError) -> str:
    """What is wrong with the settings, named by the variables that set them:
    `RAG_TOP_K=500: Input should be less than or equal to 20`."""
    return "; ".join(
        f"RAG_{'_'.join(map(str, e['loc'])).upper()}={e['input']}: {e['msg']}"
        if e["loc"]
        else e["msg"]
        for e in error.errors()
    )
