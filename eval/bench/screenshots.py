"""docs/screenshots/: the chat page as `make run` serves it, asked as a new user would.

`make screenshots` (`python -m eval.bench.screenshots docs/screenshots`) serves the page as
`eval.bench.page` does (the seeds, the local model with the extractive fallback, warm), asks
each chat's questions in turn in a new chat in Chromium, saves the page once the last reply is
final (a PNG 1280 px wide), and writes README.md there: each question, the text the page
answered, and whether it is the checked extractive answer or the model's refined one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from eval.bench.machine import load_average
from eval.bench.page import Asked, asked, chat, chromium, serving

# (file name, the questions of one chat, in order)
CHATS = (
    ("bridge-finished", ("Is the Astara bridge already finished?",)),
    ("compare-russia-turkey", ("Compare what Russia and Turkey want from Iran.",)),
    (
        "weapons-follow-up",
        ("What weapons has Iran supplied to Russia?", "And what does Russia give in return?"),
    ),
    ("railway-duration", ("How long will the Iran-Turkey railway take to build?",)),
)

WHICH = {
    "refined": "refined by the model (it passed every check)",
    "kept first": "the checked extractive answer (the model's answer did not pass the checks)",
    "model failed": "the checked extractive answer (the model failed)",
    "at once": "the checked extractive answer, at once (the model was not asked)",
    "error": "an error",
}

INTRO = """# The chat page, as a new user tries it

Taken by `make screenshots` (`eval/bench/screenshots.py`) on {when},
load average {load} (a shared 2-core machine): `make run`'s configuration (the seeds indexed,
`rag ui` with the local model `llamacpp` and the `extractive` fallback, after its warm-up),
each chat new, in headless Chromium 1280 px wide. Under each question: the text the page
answered (copied from the page, citations as [n]), the line under it, which answer it is, and
the page's own times from Enter to the first cited answer and to the final one. The same times
over ten questions: `python -m eval.bench.page` (also part of `rag bench`; a run:
[page-bench.md](page-bench.md)).
"""


def entry(name: str, turns: list[Asked]) -> str:
    lines = [f"## {name}", "", f"![{turns[-1].question}]({name}.png)", ""]
    for turn in turns:
        lines += [
            f"**{turn.question}**",
            "",
            *(f"> {line}" for line in turn.answer.splitlines() if line.strip()),
            "",
            f"- which answer: {WHICH[turn.outcome]}",
            *([f"- the line under it: “{turn.status}”"] if turn.status else []),
            f"- {turn.meta}; first cited answer after {turn.first_s} s, final after "
            f"{turn.final_s} s",
            "",
        ]
    return "\n".join(lines)


def main(out: Annotated[Path, typer.Argument(help="folder of the PNGs and README.md")]) -> None:
    """Screenshots of the chat page, one per chat, and a README of what it answered."""
    out.mkdir(parents=True, exist_ok=True)
    load = load_average()[0]
    sections = []
    with serving(log=lambda line: typer.echo(line, err=True)) as url, chromium() as browser:
        for name, questions in CHATS:
            with chat(browser, url) as page:
                turns = [asked(page, question) for question in questions]
                page.screenshot(path=str(out / f"{name}.png"))
            sections.append(entry(name, turns))
            typer.echo(f"{out / name}.png: {turns[-1].outcome}", err=True)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    intro = INTRO.format(when=when, load=f"{load}-{load_average()[0]}")
    (out / "README.md").write_text("\n".join([intro, *sections]).rstrip() + "\n")
    typer.echo(out / "README.md")


if __name__ == "__main__":
    typer.run(main)
