"""Real PDF and Word versions of text files, made by real tools (importable from any test).

PDFs are printed by Debian's chromium, which adds its own running header (date, title) and
footer (URL, "2/4") to every page; Word files are written by pandoc, one paragraph per line,
with markdown headings ("## ...") as Word headings and the file's first line as its title."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from browsing import CHROMIUM


def need(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        pytest.skip(f"{tool} is not installed (.ci/run installs it)")
    return found


def print_pdf(source: Path, out: Path) -> Path:
    """`source` printed to PDF by headless chromium (with its header and footer)."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (.ci/run installs it)")
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--print-to-pdf={out}",
            source.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


def write_docx(source: Path, out: Path, author: str = "") -> Path:
    """`source` (text) as a Word file written by pandoc."""
    pandoc = need("pandoc")
    lines = source.read_text(encoding="utf-8").splitlines()
    body = []
    for line in lines:
        if heading := re.match(r"#{1,6}\s+(.*)", line):
            body.append(f"<h2>{html.escape(heading.group(1))}</h2>")
        elif line.strip():
            body.append(f"<p>{html.escape(line.strip())}</p>")
    title = lines[0].strip()
    options = ["--metadata", f"title={title}"] if len(title.split()) <= 15 else []
    if author:
        options += ["--metadata", f"author={author}"]
    subprocess.run(
        [pandoc, "-f", "html", "-t", "docx", "-o", str(out), *options],
        input="\n".join(body),
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


def converted(sources: list[Path], folder: Path, suffix: str) -> Path:
    """Every source converted into `folder` (same stem, the new suffix)."""
    folder.mkdir(parents=True, exist_ok=True)
    make = print_pdf if suffix == ".pdf" else write_docx
    for source in sources:
        make(source, folder / f"{source.stem}{suffix}")
    return folder
