"""Offline switches, set before chromadb, gradio, tiktoken or llama-index load.

Nothing in a default code path may reach the network: model hubs, telemetry and
tiktoken's BPE download are all turned off here, in code, not only in the docs.
"""

import os
from importlib.util import find_spec
from pathlib import Path

_SWITCHES = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "CHROMA_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def llama_index_static() -> Path | None:
    """llama-index-core ships tiktoken's cl100k_base and NLTK's punkt and stopwords here."""
    spec = find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "_static"


def apply() -> None:
    for name, value in _SWITCHES.items():
        os.environ.setdefault(name, value)
    static = llama_index_static()
    if static is not None and static.is_dir():
        os.environ["TIKTOKEN_CACHE_DIR"] = str(static / "tiktoken_cache")
        os.environ.setdefault("NLTK_DATA", str(static / "nltk_cache"))
