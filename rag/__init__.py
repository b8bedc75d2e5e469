"""Answering: a question in, a cited answer out (retrieve, generate, verify quotes, abstain)."""

import index  # noqa: F401  (applies the offline switches before any library loads)
