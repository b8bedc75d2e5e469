"""The plain llama-index pipeline we compare against, built the way the tutorials build it.

SimpleDirectoryReader over the raw files (no cleaning), the default SentenceSplitter, the same
embedding model, a Chroma VectorStoreIndex, top-2 dense retrieval and CitationQueryEngine with
the same LLM backend. For a non-generative backend (`extractive`) the answer is the top chunk.

It returns our Answer type so the same metrics apply. Its citations are what llama-index gives:
the cited source node's text as the quote, and the offsets of the retrieved node it came from
(CitationQueryEngine re-splits nodes and drops their offsets), so they are not verified quotes;
quote_verified measures exactly that difference.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import (
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
)
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.mock import MockLLM
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.query_engine import CitationQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle
from pydantic import PrivateAttr

from eval.stats import ms
from index.documents import SUFFIXES
from rag.backends.base import Backend, BackendError, GenerationRequest
from rag.prompt import NOT_FOUND
from rag.types import Answer, Citation, Passage

TOP_K = 2
_MARKER = re.compile(r"\[(\d{1,3})\]")
_LABEL = re.compile(r"^Source \d+:\n")
# The same family of decline phrases our pipeline recognises, plus the "sources" wording of
# llama-index's citation prompt ("If none of the sources are helpful, you should indicate that").
_DECLINES = re.compile(
    r"none of the sources|no (?:relevant )?information|"
    r"(?:sources?|passages?|context|documents?) (?:do(?:es)?n['\u2019]?t|do(?:es)? not) "
    r"(?:contain|mention|provide|say|include|specify|state)|"
    r"not (?:mentioned|provided|specified|stated)|cannot be (?:determined|answered)",
    re.IGNORECASE,
)


class BackendLLM(CustomLLM):
    """One of our backends as a llama-index LLM, so the baseline runs on the same model."""

    context_window: int = 4096
    num_output: int = 256
    _backend: Backend = PrivateAttr()

    def __init__(self, backend: Backend, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._backend = backend

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.num_output,
            model_name=self._backend.name,
        )

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(
            text="".join(self._backend.execute(_request(prompt), stream=False))
        )

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def pieces() -> CompletionResponseGen:
            text = ""
            for piece in self._backend.execute(_request(prompt), stream=True):
                text += piece
                yield CompletionResponse(text=text, delta=piece)

        return pieces()


def use_nltk_copy(cache_dir: Path | None = None) -> None:
    """Let the SentenceSplitter read llama-index's bundled NLTK data when uv hard-linked it.

    uv installs files as hard links into its cache, and nltk 3.10 refuses to open a data file
    with more than one link (a CWE-59 guard). Then the two resources the splitter reads
    (English stopwords, and punkt_tab which it checks for) are copied once into `cache_dir`,
    and NLTK looks there instead. Installing with `UV_LINK_MODE=copy` makes this a no-op.
    """
    import llama_index.core
    import nltk

    cache_dir = cache_dir or Path.home() / ".cache" / "rag-chat" / "nltk_data"
    bundled = Path(llama_index.core.__file__).parent / "_static" / "nltk_cache"
    wanted = ("corpora/stopwords", "tokenizers/punkt_tab/english")
    if (bundled / wanted[0] / "english").stat().st_nlink == 1:
        return
    if not (cache_dir / wanted[1]).is_dir():
        cache_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cache_dir.parent, prefix=".nltk-"))
        for name in wanted:
            shutil.copytree(bundled / name, staging / name)
        try:
            staging.rename(cache_dir)
        except OSError:  # another process got there first
            shutil.rmtree(staging, ignore_errors=True)
    os.environ["NLTK_DATA"] = str(cache_dir)
    nltk.data.path[:] = [str(cache_dir)] + [
        p for p in nltk.data.path if Path(p).resolve() != bundled.resolve()
    ]


def _request(prompt: str) -> GenerationRequest:
    return GenerationRequest(question=prompt, passages=[], prompt=prompt)


class BaselinePipeline:
    """Index `corpus_dir` into an in-memory Chroma collection and answer like llama-index does."""

    def __init__(self, corpus_dir: Path, embed_model: BaseEmbedding, backend: Backend) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.corpus_dir = Path(corpus_dir).resolve()
        self.backend = backend
        num_output = getattr(backend.options, "max_tokens", 256)  # the prompt budget leaves room
        llm = BackendLLM(backend, num_output=num_output) if backend.generative else MockLLM()
        Settings.llm = llm  # set explicitly: llama-index would otherwise reach for OpenAI
        Settings.embed_model = embed_model
        use_nltk_copy()
        documents = SimpleDirectoryReader(
            input_dir=str(self.corpus_dir), recursive=True, required_exts=list(SUFFIXES)
        ).load_data()
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.create_collection(
            f"baseline-{uuid.uuid4().hex}", embedding_function=None
        )
        self.index = VectorStoreIndex.from_documents(
            documents,
            storage_context=StorageContext.from_defaults(
                vector_store=ChromaVectorStore(chroma_collection=collection)
            ),
            embed_model=embed_model,
            transformations=[SentenceSplitter()],
        )
        self.llm = llm
        self._engines: dict[int, CitationQueryEngine] = {}

    def ask(
        self, question: str, history: Sequence[tuple[str, str]] = (), *, top_k: int | None = None
    ) -> Answer:
        """The plain pipeline has no conversation memory: each turn is answered alone."""
        started = time.perf_counter()
        top_k = top_k or TOP_K
        if top_k not in self._engines:
            self._engines[top_k] = CitationQueryEngine.from_args(
                self.index, llm=self.llm, similarity_top_k=top_k
            )
        engine = self._engines[top_k]
        bundle = QueryBundle(question)
        nodes = engine.retrieve(bundle)
        retrieved = ms(time.perf_counter() - started, 1)
        answer = Answer(
            question=question,
            standalone_question=question,
            answer="",
            backend=self.backend.name,
            retrieved=[self._passage(n, node) for n, node in enumerate(nodes, start=1)],
            timings_ms={"retrieve": retrieved},
        )
        mark = time.perf_counter()
        if not nodes:
            answer.answer, answer.abstained = NOT_FOUND, True
        elif not self.backend.generative:
            answer.answer = nodes[0].node.get_content()
            answer.citations = [self._citation(1, nodes[0], answer.answer)]
        else:
            try:
                response = engine.synthesize(bundle, nodes)
            except BackendError as error:
                answer.error = str(error)
            else:
                answer.answer = str(response.response or "").strip()
                answer.abstained = not answer.answer or bool(_DECLINES.search(answer.answer))
                answer.citations = self._cited(answer.answer, response.source_nodes, nodes)
        now = time.perf_counter()
        answer.timings_ms |= {"generate": ms(now - mark, 1), "total": ms(now - started, 1)}
        return answer

    def _cited(
        self, text: str, sources: list[NodeWithScore], retrieved: list[NodeWithScore]
    ) -> list[Citation]:
        """The source nodes the answer's [n] markers name, each traced to its retrieved node."""
        citations = []
        for number in dict.fromkeys(int(m) for m in _MARKER.findall(text)):
            if not 1 <= number <= len(sources):
                continue
            source = sources[number - 1]
            origin = next(
                (
                    node
                    for node in retrieved
                    if node.node.metadata == source.node.metadata and node.score == source.score
                ),
                source,
            )
            quote = _LABEL.sub("", source.node.get_content()).strip()
            citations.append(self._citation(len(citations) + 1, origin, quote))
        return citations

    def _doc_id(self, node: NodeWithScore) -> str:
        path = Path(node.node.metadata.get("file_path", ""))
        try:
            return path.resolve().relative_to(self.corpus_dir).as_posix()
        except ValueError:
            return path.name

    def _passage(self, n: int, node: NodeWithScore) -> Passage:
        doc_id = self._doc_id(node)
        return Passage(
            n=n,
            chunk_id=node.node.node_id,
            doc_id=doc_id,
            title=doc_id,
            text=node.node.get_content(),
            start=_offset(node.node.start_char_idx),
            end=_offset(node.node.end_char_idx),
            score=round(node.score or 0.0, 6),
        )

    def _citation(self, n: int, node: NodeWithScore, quote: str) -> Citation:
        doc_id = self._doc_id(node)
        return Citation(
            n=n,
            doc_id=doc_id,
            title=doc_id,
            quote=quote,
            start=_offset(node.node.start_char_idx),
            end=_offset(node.node.end_char_idx),
            score=round(node.score or 0.0, 4),
            chunk_id=node.node.node_id,
        )


def _offset(value: int | None) -> int:
    return -1 if value is None else value
