"""PDF and Word files that cannot be indexed: each gets its own reason, made from real files."""

from __future__ import annotations

import shutil
import subprocess
import zipfile

import pytest
from corpus import SEEDS
from documents import CHROMIUM, need, print_pdf, write_docx

from index.documents import read_document

SEED = SEEDS / "001_a9912d943c8d215c.txt"


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    folder = tmp_path_factory.mktemp("good")
    return print_pdf(SEED, folder / "good.pdf"), write_docx(SEED, folder / "good.docx")


def reason(path) -> str:
    with pytest.raises(ValueError) as error:
        read_document(path.name, path)
    return str(error.value)


def test_the_good_files_are_read(good):
    for path in good:
        assert read_document(path.name, path).sections


def test_an_encrypted_pdf(good, tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(good[0]))
    writer.encrypt(user_password="secret", owner_password="owner")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    assert "encrypted PDF" in reason(path)


def test_a_pdf_encrypted_with_an_empty_password_is_read(good, tmp_path):
    """Owner-only protection (printing, copying): no password is needed to read the text."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(good[0]))
    writer.encrypt(user_password="", owner_password="owner")
    path = tmp_path / "protected.pdf"
    writer.write(path)
    assert read_document(path.name, path).text == read_document(good[0].name, good[0]).text


def test_a_scanned_pdf_without_a_text_layer(good, tmp_path):
    """A page rendered to an image (pdftoppm), printed to PDF without any text."""
    subprocess.run(
        [need("pdftoppm"), "-png", "-r", "60", "-singlefile", str(good[0]), str(tmp_path / "scan")],
        check=True,
        timeout=120,
    )
    path = tmp_path / "scan.pdf"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={path}",
            (tmp_path / "scan.png").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert "without a text layer" in reason(path)


def test_a_corrupt_docx(good, tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(good[1].read_bytes()[:2000])
    assert "damaged Word file" in reason(path)


def test_a_zip_that_is_not_a_word_file(good, tmp_path):
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a Word document")
    assert "damaged Word file" in reason(path)


def test_a_damaged_pdf(good, tmp_path):
    path = tmp_path / "broken.pdf"
    raw = good[0].read_bytes()
    path.write_bytes(raw[:200])
    assert "PDF" in reason(path)


@pytest.mark.parametrize(
    ("source", "name", "said"),
    [
        (0, "report.docx", "the content is a PDF but the name ends in .docx"),
        (1, "report.pdf", "the content is a Word document but the name ends in .pdf"),
        (0, "report.txt", "binary file (a PDF) under a text name (.txt)"),
    ],
)
def test_a_wrong_extension_is_found_by_content(good, tmp_path, source, name, said):
    path = tmp_path / name
    shutil.copy(good[source], path)
    assert said in reason(path)


def test_text_named_pdf(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("Just some words in a text file, not a PDF at all.\n")
    assert "the content is text but the name ends in .pdf" in reason(path)


def test_binary_garbage_named_pdf_is_a_damaged_pdf_not_text(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(bytes(range(256)) * 8)  # no %PDF- header, not text either
    assert reason(path) == "a damaged PDF: binary content that does not start with %PDF-"


def test_an_empty_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert reason(path) == "empty file"


def test_a_file_over_the_size_limit(good):
    with pytest.raises(ValueError, match="too large"):
        read_document(good[0].name, good[0], max_bytes=good[0].stat().st_size - 1)
