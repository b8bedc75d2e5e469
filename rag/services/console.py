"""What every `rag` command shares: the backend option and failing with a clear message."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

BackendOption = Annotated[
    str | None,
    typer.Option(
        "--backend", "-b", help="extractive, llamacpp, openai or a plugin's (default: RAG_BACKEND)"
    ),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `error: message` in red on stderr and exit with `code` (1 failure, 2 bad input)."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)
