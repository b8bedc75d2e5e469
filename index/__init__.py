"""Indexing: files in, cleaned chunks with exact offsets out, embedded into a Chroma store."""

from index import offline

offline.apply()
