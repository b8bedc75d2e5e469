"""Speed, memory and scale, ours beside the plain llama-index baseline (`rag bench`).

The machine is shared and noisy, so every comparison runs both sides in one run, alternating
(ours, baseline, raw embedder, ours, ...), and the report gives medians and ratios.

What is measured, per corpus size:
- indexing, ours: `index.indexer.index_paths` into a fresh embedded Chroma store, in a fresh
  child process (`python -m eval.bench.indexing`) after loading the model, tokenizers and
  store (so the time is the build, not Python start-up); documents/s, chunks/s, tokens/s, the
  share of the time spent inside the embedder, a no-change re-index, and the child's peak RSS.
- indexing, raw embedder: the model's `get_text_embedding_batch` on exactly our chunk
  texts: the physical limit. `index_ratio_vs_raw_embedder` = ours chunks/s / raw chunks/s.
- indexing, baseline: `eval.baseline.BaselinePipeline` (SimpleDirectoryReader over the raw
  files, default SentenceSplitter, same embedding model, VectorStoreIndex over an in-memory
  Chroma collection), in this process. `index_speedup_vs_baseline` = baseline seconds / ours
  seconds for the same files.
- retrieval: `HybridRetriever.retrieve` (query embedding + dense + BM25 + fusion) over the dev
  questions, alternating with the baseline's top-2 dense retriever; the first query, which
  builds the BM25 index, is reported apart (`first_retrieve_ms`).
- extractive answers: `AnswerPipeline.ask` with the extractive backend, alternating with the
  baseline's `ask` (its extractive answer is the top chunk).
Once: llama.cpp time to first token, tokens/s and total through our pipeline, beside
`llama_cpp.Llama.create_chat_completion` called directly on the same messages (the model's
prompt cache is reset before every run, on both sides); the chat page as `make run` serves it,
asked in Chromium (`page`: Enter to the first cited answer and to the final one); cold start of
`rag --help`, `rag ask` and `rag ui` until its page answers, each a new process of the `rag`
command.

Scale (eval/scale.py makes the corpora): embedding 100k chunks with the model would take about
an hour here, and would measure nothing but the model again. So sizes above `real_embed_max`
chunks (default 2,000: the 1k corpus is embedded for real) are indexed with `PooledEmbedding`:
a pool of real model embeddings of the first `pool` distinct chunk texts of that corpus,
each chunk getting a pool vector chosen by a hash of its text plus a deterministic random
perturbation. Everything else is real and unchanged: reading, cleaning, chunking, a real
Chroma collection of that many chunks, BM25 over all of them, and queries embedded by the
model. At those sizes `index_ratio_vs_raw_embedder` is projected: the model's measured time
per chunk (on the pool) plus our measured non-embedding time per chunk, against the model
alone; `embeddings` says "model" or "reused" for every size.

Above `bulk_above` chunks (default 50,000: the 100k size) the writes are buffered too: the
build goes through the same door (`rag.factory.indexer`), with `batch_chunks=5000`, so
`index_paths` (read, clean, chunk, version, skip-if-complete) writes documents together,
5,000 chunks at a time in a few large calls (`ChunkStore.replace_many`), instead of one
document at a time. Measured here, the per-document path slowed to about
17 chunks/s past 15k chunks on the busy machine (Chroma's HNSW insert and its per-call write
cost: about 75% of our non-model indexing time at 10k in the profile), so a 100k build would
take over an hour; `writes` says "per document" or "buffered" for every size. The records are
the same, so the no-change re-index that follows must skip all.

The modules, one job each: `config` (BenchConfig, paths, size names), `machine`, `embedders`,
`corpus` (the corpora and their chunk texts), `indexing` (the builds, and the child process),
`queries`, `llm`, `page`, `cold`, `tables` and `run` (a whole run, and merging runs);
`screenshots` (`make screenshots`) photographs the page for docs/screenshots/.
"""

import index  # noqa: F401  (offline switches before heavy libraries)
