"""The shape a cited answer must take, as a GBNF grammar (llama.cpp's constrained decoding):
one to three sentences of at most 240 characters, each followed by a marker naming one of the
passages given, or exactly the decline text. A model decoding under it cannot answer without
citing, nor cite a passage it was not given."""

from __future__ import annotations

from functools import cache


@cache
def cited_gbnf(passages: int, not_found: str) -> str:
    numbers = " | ".join(f'"{n}"' for n in range(1, max(passages, 1) + 1))
    declined = not_found.replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'root ::= "{declined}" | claim (" " claim){{0,2}}\n'
        'claim ::= [^\\[\\]\\n]{5,240} " [" n "]"\n'
        f"n ::= {numbers}\n"
    )
