"""Regenerate the real-document corpus (files/) and its labels (labels.json) from public,
freely licensed text that Debian packages install, with real tools: pandoc, LibreOffice,
chromium, pdftops + psnup + ps2pdf.

    apt-get install python3.11-doc sqlite3-doc debian-handbook debian-reference-en git \
        pandoc libreoffice-writer chromium poppler-utils psutils ghostscript
    .venv/bin/python tests/data/realdocs/make.py

Labels are marked by hand as *where* the body is: for each source, the element that holds the
main text (`MAIN`), from which every paragraph and list item of four words or more is a body
paragraph; headings, code, tables of contents, navigation and footers are not. Boilerplate
strings (menus, footers, notices) are listed by hand per document. Nothing here depends on
the cleaner: the labels say what a reader would call the body, whatever the cleaner does."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from lxml import html as lxml_html

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
PYDOC = Path("/usr/share/doc/python3.11-doc/html")
SQLITE = Path("/usr/share/doc/sqlite3")
HANDBOOK = Path("/usr/share/doc/debian-handbook/html/en-US")
DEBREF = Path("/usr/share/doc/debian-reference-en/docs")
CHROMIUM = shutil.which("chromium") or "chromium"
MIN_WORDS = 4
BLOCKS = ("p", "li", "dd", "div[@class='para']", "h1", "h2", "h3", "h4")
MAIN = {  # where each source's body is (hand-marked by looking at the page)
    "pydoc": "//div[@role='main']",
    "sqlite": "//body",  # less its menu (div.nosearch) and its "last modified" line
    "handbook": "//body/div[@class='section' or @class='chapter']",
    "debref": "//div[@class='chapter' or @class='preface']",
    "pandoc": "//body",
}
LICENCES = {
    "pydoc": "PSF-2.0 (Python documentation, Debian package python3.11-doc)",
    "sqlite": "public domain (SQLite documentation, Debian package sqlite3-doc)",
    "handbook": "GPL-2+ or CC-BY-SA-3.0 (The Debian Administrator's Handbook, Debian package "
    "debian-handbook)",
    "debref": "GPL-2+ (Debian Reference, Debian package debian-reference-en)",
    "git": "GPL-2 (Git README, Debian package git)",
    "gpl": "verbatim copying permitted (GNU GPL v3 text, /usr/share/common-licenses/GPL-3)",
    "own": "CC0 (written for this corpus)",
}


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def norm(text: str) -> str:
    return " ".join(text.replace("\xad", "").replace("¶", "").split())


def pieces(path: Path, source: str, limit: int, skip: int = 0) -> list[tuple[str, str]]:
    """(kind, text) of the main text's headings and paragraphs, in order, `skip` paragraphs
    left out first, up to about `limit` characters; code and tables are not text."""
    tree = lxml_html.parse(str(path))
    main = tree.xpath(MAIN[source])[0]
    main = copy.deepcopy(main)
    junk_paths = (
        ".//pre|.//table|.//script|.//style|.//div[@class='toc' or @class='nosearch']"
        "|.//dl[@class='field-list simple']"  # a HOWTO's author and release fields
    )
    for junk in main.xpath(junk_paths + "|.//p[@align='center']|.//div[@class='footnotes']/hr"):
        junk.drop_tree()
    found, size, seen = [], 0, 0
    query = "|".join(f".//{b}" for b in BLOCKS)
    for element in main.xpath(query):
        if element.xpath(query.replace(".//", "descendant::")):
            continue  # the innermost blocks only (a paragraph in a list item, not the item)
        text = norm(element.text_content())
        if not text:
            continue
        kind = "h" if element.tag.startswith("h") else "p"
        if kind == "p" and words(text) >= MIN_WORDS:
            seen += 1
            if seen <= skip:
                continue
        elif seen < skip:
            continue
        found.append((kind, text))
        size += len(text)
        if size > limit:
            break
    return found


def as_html(parts: list[tuple[str, str]], title: str, style: str = "") -> str:
    import html

    body = "\n".join(
        f"<h2>{html.escape(t)}</h2>" if k == "h" else f"<p>{html.escape(t)}</p>" for k, t in parts
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>body{{font:11pt serif;margin:2em}}{style}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>\n{body}</body></html>"
    )


def body_of(parts: list[tuple[str, str]]) -> list[str]:
    return [t for k, t in parts if k == "p" and words(t) >= MIN_WORDS]


def run(*command: str | Path, **options) -> None:
    subprocess.run([str(c) for c in command], check=True, capture_output=True, **options)


def pandoc(source: Path, out: Path, *options: str) -> Path:
    run("pandoc", *options, "-o", out, source)
    return out


def print_pdf(page: Path, out: Path, header: bool = True) -> Path:
    flags = [] if header else ["--no-pdf-header-footer"]
    run(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        *flags, f"--print-to-pdf={out}", page.resolve().as_uri())  # fmt: skip
    return out


def two_up(pdf: Path, out: Path) -> Path:
    """Two pages per sheet, as a print shop would: pdftocairo -ps, psnup -2, ps2pdf."""
    ps, up = pdf.with_suffix(".ps"), pdf.with_suffix(".2up.ps")
    run("pdftocairo", "-ps", pdf, ps)  # pdftops loses the text layer through ps2pdf
    run("psnup", "-2", ps, up)
    run("ps2pdf", up, out)
    return out


def libreoffice_docx(page: Path, out: Path) -> Path:
    with tempfile.TemporaryDirectory() as folder:
        run("soffice", "--headless", "--convert-to", "docx:MS Word 2007 XML",
            "--outdir", folder, page, timeout=180)  # fmt: skip
        shutil.move(Path(folder) / f"{page.stem}.docx", out)
    return out


def readme(package: str) -> str:
    """The long description of an installed package: its README."""
    from importlib.metadata import metadata

    return metadata(package).get_payload()  # type: ignore[attr-defined]


def text_body(text: str) -> list[str]:
    """The prose paragraphs of Markdown or reStructuredText, as written: blocks separated by
    blank lines (list items each a block), less headings, code, tables, directives, images."""
    blocks, current = [], []
    fenced = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
            current = []
            continue
        item = re.match(r"\s*(?:[-*+]|\d+[.)])\s+", line)
        if fenced or not line.strip() or item:
            if current:
                blocks.append(current)
            current = [] if fenced or not line.strip() else [line]
            continue
        current.append(line)
    if current:
        blocks.append(current)
    body = []
    for block in blocks:
        first = block[0].strip()
        if (
            first.startswith(("#", "|", "..", "![", "[![", "<", ":", ">>>", "$"))
            or block[0].startswith(("    ", "\t"))
            or (len(block) > 1 and re.fullmatch(r"[=\-~^*#]{3,}", block[1].strip()))
            or re.fullmatch(r"[=\-~^*#]{3,}", first)
            or words(" ".join(block)) < MIN_WORDS
        ):
            continue
        body.append(norm(" ".join(block)))
    return body


def site_page(template: Path, parts: list[tuple[str, str]]) -> tuple[list[str], str]:
    """A page of a site's chrome around the text; the chrome's own text is its boilerplate
    (each line of the template of four words or more, but for the story's own headline, byline
    and correction: class "own")."""
    import html

    page = template.read_text(encoding="utf-8")
    wiki = template.stem == "wiki"  # reference marks after paragraphs, as an encyclopedia has
    article = "\n".join(
        f"<h2>{html.escape(t)}<span class='edit'>[edit]</span></h2>" * wiki
        or f"<h2>{html.escape(t)}</h2>"
        if k == "h"
        else f"<p>{html.escape(t)}"
        + (f"<sup>[{i}]</sup>" if i % 3 else "<sup>[citation needed]</sup>") * wiki
        + "</p>"
        for i, (k, t) in enumerate(parts, 1)
    )
    chrome_page = lxml_html.fromstring(page.replace("{{ARTICLE}}", "")).find("body")
    for own in chrome_page.xpath("//*[contains(@class, 'own')]"):
        own.drop_tree()
    query = "|".join(f".//{b}" for b in (*BLOCKS, "div", "footer", "nav"))
    chrome = [
        norm(element.text_content())
        for element in chrome_page.xpath(query)
        if not element.xpath(query.replace(".//", "descendant::"))
        and words(element.text_content()) >= MIN_WORDS
    ]
    return chrome, page.replace("{{ARTICLE}}", article)


def main() -> None:
    shutil.rmtree(FILES, ignore_errors=True)
    FILES.mkdir(parents=True)
    work = Path(tempfile.mkdtemp())
    labels: dict[str, dict] = {}

    def label(name: str, kind: str, source: str, origin: str, body: list[str], chrome=()):
        labels[name] = {
            "kind": kind,
            "licence": LICENCES[source],
            "source": origin,
            "body": body,
            "boilerplate": list(chrome),
        }

    def excerpt_page(name: str, parts, title: str, style: str = "") -> Path:
        page = work / f"{name}.html"
        page.write_text(as_html(parts, title, style), encoding="utf-8")
        return page

    # --- Word --------------------------------------------------------------------------------
    parts = pieces(PYDOC / "howto/sorting.html", "pydoc", 6000)
    page = excerpt_page("sorting", parts, "Sorting HOW TO")
    pandoc(page, FILES / "sorting-howto.docx", "-f", "html")
    label("sorting-howto.docx", "Word, pandoc, a HOWTO", "pydoc", "howto/sorting.html",
          body_of(parts))  # fmt: skip

    parts = pieces(HANDBOOK / "sect.apt-get.html", "handbook", 7000)
    one = [("p", " ".join(t for k, t in parts if k == "p"))]  # the whole text, one paragraph
    page = excerpt_page("apt-one-paragraph", one, "aptitude, apt-get, and apt Commands")
    pandoc(page, FILES / "handbook-one-paragraph.docx", "-f", "html")
    label("handbook-one-paragraph.docx", "Word, pandoc, one long paragraph", "handbook",
          "sect.apt-get.html", body_of(parts))  # fmt: skip

    parts = pieces(DEBREF / "ch01.en.html", "debref", 6000, skip=3)
    page = excerpt_page("debref-ch01", parts, "GNU/Linux tutorials")
    libreoffice_docx(page, FILES / "debref-tutorial-libreoffice.docx")
    label("debref-tutorial-libreoffice.docx", "Word, LibreOffice, numbered headings", "debref",
          "ch01.en.html", body_of(parts))  # fmt: skip

    parts = pieces(SQLITE / "whentouse.html", "sqlite", 6000)
    long = [
        ("p", " ".join(t for k, t in parts[i : i + 4] if k == "p")) for i in range(0, len(parts), 4)
    ]
    page = excerpt_page("whentouse-long", long, "Appropriate Uses For SQLite")
    pandoc(page, FILES / "sqlite-uses-long-paragraphs.docx", "-f", "html")
    label("sqlite-uses-long-paragraphs.docx", "Word, pandoc, long paragraphs", "sqlite",
          "whentouse.html", body_of(parts))  # fmt: skip

    # --- PDF: columns, two pages per sheet, a paper, a manual ----------------------------------
    columns = "body{column-count:2;column-gap:2em}h1{column-span:all}"
    parts = pieces(PYDOC / "howto/functional.html", "pydoc", 7000)
    page = excerpt_page("functional", parts, "Functional Programming HOWTO", columns)
    print_pdf(page, FILES / "functional-two-columns.pdf")
    label("functional-two-columns.pdf", "PDF, chromium, two columns", "pydoc",
          "howto/functional.html", body_of(parts), ["file://"])  # fmt: skip

    parts = pieces(SQLITE / "howtocorrupt.html", "sqlite", 7000)
    page = excerpt_page("howtocorrupt", parts, "How To Corrupt An SQLite Database File",
                        columns.replace("2", "3"))  # fmt: skip
    print_pdf(page, FILES / "sqlite-corrupt-three-columns.pdf", header=False)
    label("sqlite-corrupt-three-columns.pdf", "PDF, chromium, three columns", "sqlite",
          "howtocorrupt.html", body_of(parts))  # fmt: skip

    parts = pieces(PYDOC / "howto/logging.html", "pydoc", 7000)
    page = excerpt_page("logging", parts, "Logging HOWTO")
    two_up(print_pdf(page, work / "logging.pdf"), FILES / "logging-two-up.pdf")
    label("logging-two-up.pdf", "PDF, two pages per sheet (psnup -2)", "pydoc",
          "howto/logging.html", body_of(parts), ["PM Logging HOWTO"])  # fmt: skip

    parts = pieces(HANDBOOK / "sect.apt-cache.html", "handbook", 6000)
    page = excerpt_page("apt-cache", parts, "The apt-cache Command")
    two_up(print_pdf(page, work / "apt-cache.pdf", header=False), FILES / "handbook-two-up.pdf")
    label("handbook-two-up.pdf", "PDF, two pages per sheet (psnup -2)", "handbook",
          "sect.apt-cache.html", body_of(parts))  # fmt: skip

    rst = work / "urllib2.rst"
    rst.write_text((PYDOC / "_sources/howto/urllib2.rst.txt").read_text(), encoding="utf-8")
    paper = pandoc(
        rst,
        work / "urllib2.html",
        "-f",
        "rst",
        "-s",
        "--metadata",
        "title=HOWTO Fetch Internet Resources Using The urllib Package",
    )
    print_pdf(paper, FILES / "urllib-paper-footnotes.pdf")
    parts = pieces(paper, "pandoc", 10**6)
    label("urllib-paper-footnotes.pdf", "PDF, a paper with footnotes and references", "pydoc",
          "_sources/howto/urllib2.rst.txt (pandoc rst -> html, chromium)", body_of(parts),
          ["file://"])  # fmt: skip

    parts = pieces(HANDBOOK / "sect.apt-get.html", "handbook", 9000, skip=10)
    page = excerpt_page("apt-get", parts, "6.2. aptitude, apt-get, and apt Commands")
    print_pdf(page, FILES / "handbook-manual-numbered.pdf")
    label("handbook-manual-numbered.pdf", "PDF, a manual with numbered headings", "handbook",
          "sect.apt-get.html", body_of(parts), ["file://"])  # fmt: skip

    # --- HTML: the real pages, with their own navigation and footers ---------------------------
    for name, path, source, chrome in (
        ("python-sorting-docs.html", PYDOC / "howto/sorting.html", "pydoc",
         ["Table of Contents", "Previous topic", "Report a Bug", "Show Source", "Navigation",
          "Python Software Foundation", "Found a bug?"]),
        ("sqlite-when-to-use.html", SQLITE / "whentouse.html", "sqlite",
         ["Small. Fast. Reliable.", "Search Documentation", "Search Changelog",
          "This page last modified"]),
        ("handbook-apt-cache.html", HANDBOOK / "sect.apt-cache.html", "handbook",
         ["Download the ebook", "6.4. The apt-file Command"]),
        ("debref-preface.html", DEBREF / "pr01.en.html", "debref",
         ["Table of Contents", "Chapter 1. GNU/Linux tutorials"]),
    ):  # fmt: skip
        shutil.copy(path, FILES / name)
        parts = pieces(path, source, 10**6)
        label(name, "HTML, a real documentation page", source, str(path), body_of(parts), chrome)

    # --- Markdown and plain text -------------------------------------------------------------
    for name, path, origin, source in (
        ("requests-README.md", "requests", "PyPI requests 2.34.2 (METADATA)", "Apache-2.0"),
        ("pypdf-README.md", "pypdf", "PyPI pypdf 7.1.1 (METADATA)", "BSD-3-Clause"),
        ("tiktoken-README.md", "tiktoken", "PyPI tiktoken 0.14.0 (METADATA)", "MIT"),
    ):
        text = readme(path)
        (FILES / name).write_text(text, encoding="utf-8")
        labels[name] = {"kind": "Markdown README", "licence": source, "source": origin,
                        "body": text_body(text), "boilerplate": []}  # fmt: skip
    text = Path("/usr/share/doc/git/README.md").read_text(encoding="utf-8")
    (FILES / "git-README.md").write_text(text, encoding="utf-8")
    label("git-README.md", "Markdown README", "git", "/usr/share/doc/git/README.md",
          text_body(text))  # fmt: skip

    rst = (PYDOC / "_sources/howto/sockets.rst.txt").read_text(encoding="utf-8")
    (FILES / "sockets-howto-wrapped.txt").write_text(rst, encoding="utf-8")
    label("sockets-howto-wrapped.txt", "plain text, hard-wrapped (reStructuredText)", "pydoc",
          "_sources/howto/sockets.rst.txt", text_body(rst))  # fmt: skip

    gpl = Path("/usr/share/common-licenses/GPL-3").read_text(encoding="utf-8")
    gpl = gpl[: gpl.index("  1. Source Code.")]
    (FILES / "gpl3-preamble-wrapped.txt").write_text(gpl, encoding="utf-8")
    label("gpl3-preamble-wrapped.txt", "plain text, hard-wrapped, 'copyright' in every "
          "paragraph", "gpl", "/usr/share/common-licenses/GPL-3", text_body(gpl))  # fmt: skip

    for name, kind in (("meeting-notes.txt", "short notes"), ("shopping-list.md", "a list"),
                       ("sqlite-limits-table.txt", "a table-like snippet"),
                       ("release-note.txt", "a short note")):  # fmt: skip
        text = (HERE / "own" / name).read_text(encoding="utf-8")
        shutil.copy(HERE / "own" / name, FILES / name)
        label(
            name,
            kind,
            "own",
            f"own/{name}",
            [norm(line) for line in text.splitlines() if words(line) >= MIN_WORDS],
        )

    # --- HTML: pages of other kinds of site, real text in a site's chrome (templates/) ---------
    for name, path, source, template, limit in (
        ("blog-sockets.html", PYDOC / "howto/sockets.html", "pydoc", "blog.html", 5000),
        ("news-whatsnew.html", PYDOC / "whatsnew/3.11.html", "pydoc", "news.html", 4000),
        ("wiki-sqlite.html", SQLITE / "about.html", "sqlite", "wiki.html", 5000),
    ):
        parts = pieces(path, source, limit)
        chrome, page = site_page(HERE / "templates" / template, parts)
        (FILES / name).write_text(page, encoding="utf-8")
        label(name, f"HTML, a {template.split('.')[0]} page (template) around real text", source,
              f"{path} in templates/{template}", body_of(parts), chrome)  # fmt: skip

    (HERE / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
