"""Rebuild the development corpora of other domains from the Debian packages they come from.

    apt-get install -y sqlite3-doc dict-jargon pandoc dictzip
    apt-get download librust-chrono-tz-dev && dpkg-deb -x librust-chrono-tz-dev_*.deb /tmp/tz
    python eval/corpora/make_corpora.py --tz /tmp/tz

Each corpus is a folder of plain documents, one paragraph a line, real headings kept as
Markdown headings; README.md beside this script names every file's source and licence.
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).parent

SQLITE_DOCS = Path("/usr/share/doc/sqlite3")
SQLITE_PAGES = (
    "about",
    "serverless",
    "inmemorydb",
    "autoinc",
    "lang_transaction",
    "whyc",
    "stricttables",
    "whentouse",
    "limits",
    "quirks",
    "lts",
    "isolation",
)

JARGON_DICT = Path("/usr/share/dictd/jargon")
JARGON_ENTRIES = (
    "advent",
    "back door",
    "blinkenlights",
    "bug",
    "cracker",
    "dongle",
    "emoticon",
    "internet",
    "kluge",
    "multics",
    "mud",
    "spam",
    "teco",
    "twenex",
)
TZ_SECTIONS = {  # region file: country headings whose commentary becomes one document each
    "africa": ("Egypt",),
    "asia": ("Japan", "Mongolia", "Sri Lanka"),
    "australasia": ("Fiji", "Tonga"),
    "europe": ("France", "Sweden"),
    "northamerica": ("Hawaii", "Indiana", "Ontario"),
    "southamerica": ("Chile", "Falklands"),
}
TZ_AS_HTML = ("Hawaii", "Tonga")  # a few documents as HTML pages, as users upload them
_COLUMNS = re.compile(r"\t| {3,}")
_URL = re.compile(r"\s*<?(?:https?|ftp|news):[^\s>]*>?")
_TZ_DATA = re.compile(r"\s*(?:Rule|Zone|Link)\t|\t\t")
_TZ_HEADING = re.compile(r"# (?!From )[A-Z][\w .,()'&/-]{1,45}")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# Drop the site's menus and sidebars, keep link and image text as plain words.
LUA_FILTER = """
function Div(el)
  for _, c in ipairs(el.classes) do
    if c == "nosearch" or c == "rightsidebar" or c == "searchmenu" or c == "menu" then
      return {}
    end
  end
end
function Link(el) return el.content end
function Image(el) return {} end
"""


def html_to_markdown(html: Path) -> str:
    """One page as Markdown: headings as `#` lines, each paragraph on one line."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(LUA_FILTER)
        lua.flush()
        out = subprocess.run(
            [
                "pandoc",
                "-f",
                "html",
                "-t",
                "markdown-raw_html-native_divs-native_spans-header_attributes-smart"
                "-bracketed_spans-fenced_divs-link_attributes",
                "--wrap=none",
                f"--lua-filter={lua.name}",
                str(html),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    out = re.sub(r"\\([\[\]*_`'\"$<>|#~^-])", r"\1", out)  # pandoc's escapes
    out = re.sub(r"(?m)^\*\*[\w-]+:\*\* hide$", "", out)  # syntax diagrams (images)
    out = re.sub(r"(?m)^[> ]*-{10,}[ -]*$", "", out)  # table rules
    out = re.sub(r"(?m)^\*This page last modified on .*\*$", "", out)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip() + "\n"


def make_sqlite(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for page in SQLITE_PAGES:
        html = SQLITE_DOCS / f"{page}.html"
        title = re.search(r"<title>(.*?)</title>", html.read_text()).group(1)
        body = html_to_markdown(html)
        if not body.startswith(f"# {title}"):
            body = f"# {title}\n\n{body}"
        (out / f"{page}.md").write_text(body)


def dict_entries(dictionary: Path) -> dict[str, str]:
    """Every entry of a dictd dictionary by its lower-cased headword (index offsets are base64)."""
    data = gzip.decompress(dictionary.with_suffix(".dict.dz").read_bytes())
    entries = {}
    for line in dictionary.with_suffix(".index").read_text().splitlines():
        word, offset, length = line.split("\t")[:3]
        start, size = (
            sum(_B64.index(c) * 64**i for i, c in enumerate(reversed(n))) for n in (offset, length)
        )
        entries.setdefault(word.lower(), data[start : start + size].decode())
    return entries


def entry_to_text(entry: str) -> str:
    """A dictionary entry as plain text: the headword, then one paragraph a line; cross-references
    lose their braces."""
    blocks = [
        [re.sub(r"^ {1,4}", "", line) for line in block.splitlines()]
        for block in re.split(r"\n\s*\n", entry.strip("\n"))
    ]
    blocks[0:1] = [[line] for line in blocks[0]]  # the headword and its pronunciation
    text = re.sub(r"\{\s*([^{}]+?)\s*\}", r"\1", join_paragraphs(blocks))
    return text.strip() + "\n"


def make_jargon(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    entries = dict_entries(JARGON_DICT)
    for word in JARGON_ENTRIES:
        (out / f"{word.replace(' ', '-')}.txt").write_text(entry_to_text(entries[word]))


def join_paragraphs(blocks: list[list[str]]) -> str:
    """Blocks of lines as paragraphs: wrapped prose joined into one line, tables (box-drawing
    characters, or columns: most lines hold a tab or a run of three spaces) kept line by line."""
    paragraphs = []
    for block in blocks:
        lines = [line.rstrip() for line in block if line.strip()]
        if not lines:
            continue
        columns = sum(bool(_COLUMNS.search(line.strip())) for line in lines)
        if "│" in "".join(lines) or columns * 2 > len(lines):
            paragraphs.append("\n".join(lines))
        else:
            paragraphs.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(paragraphs)


def tz_commentary(region_text: str, heading: str) -> str:
    """The comment lines of one country's section of a tz region file (up to the next country
    heading), as Markdown paragraphs; the Rule and Zone data lines and the bare URLs of
    sources are left out (sources stay named in words)."""
    lines = region_text.split("\n")
    start = next(
        i for i, line in enumerate(lines) if line == f"# {heading}" and lines[i + 1] in ("", "#")
    )
    blocks: list[list[str]] = [[]]
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if lines[i - 1] == "" and _TZ_HEADING.fullmatch(line):  # the next country
            break
        comment = line[1:] if line.startswith("#") and not line.startswith("##") else ""
        comment = _URL.sub("", comment)
        if _TZ_DATA.match(comment):  # a commented-out or heading line of the data table
            continue
        if comment.strip():
            blocks[-1].append(comment[1:] if comment.startswith(" ") else comment)
        elif blocks[-1]:
            blocks.append([])
    return join_paragraphs(blocks) + "\n"


def make_tz(tz_dir: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for region, headings in TZ_SECTIONS.items():
        text = (tz_dir / region).read_text()
        for heading in headings:
            name = re.sub(r"[^a-z]+", "-", heading.split(" (")[0].lower()).strip("-")
            commentary = tz_commentary(text, heading)
            if heading in TZ_AS_HTML:
                html = subprocess.run(
                    [
                        "pandoc",
                        "-f",
                        "markdown-smart",
                        "-t",
                        "html5",
                        "--standalone",
                        "--wrap=none",
                        "--metadata",
                        f"title={heading}",
                    ],
                    input=commentary,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                (out / f"{name}.html").write_text(html)
            else:
                (out / f"{name}.md").write_text(f"# {heading}\n\n{commentary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "jargon", "tz"), default=None)
    parser.add_argument(
        "--tz", type=Path, help="the tz folder of the unpacked librust-chrono-tz-dev"
    )
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        make_sqlite(HERE / "sqlite")
    if args.only in (None, "jargon"):
        make_jargon(HERE / "jargon")
    if args.only in (None, "tz"):
        if args.tz is None:
            parser.error("--tz is needed to build the tz corpus")
        make_tz(args.tz, HERE / "tz")


if __name__ == "__main__":
    main()
