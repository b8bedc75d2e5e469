"""Uploaded files: names sanitised into ids, kept by content hash, discarded only if ours."""

from __future__ import annotations

import pytest

from index.uploads import MAX_NAME, UploadFolder, safe_name


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("/abs/path/notes.docx", "notes.docx"),
        (".hidden.pdf", "hidden.pdf"),
        ("a\x00b\nc.pdf", "a_b_c.pdf"),
        ("Ünïcödé résumé.pdf", "Ünïcödé résumé.pdf"),
        ("<script>.pdf", "script_.pdf"),
        ("..", "upload"),
        ("", "upload"),
    ],
)
def test_safe_name(given, expected):
    assert safe_name(given) == expected


def test_a_long_name_keeps_its_suffix():
    name = safe_name("x" * 500 + ".pdf")
    assert len(name) == MAX_NAME and name.endswith(".pdf")


def test_the_same_bytes_are_kept_once(tmp_path):
    folder = UploadFolder(tmp_path / "uploads")
    one, two = tmp_path / "one.pdf", tmp_path / "two.PDF"
    one.write_bytes(b"%PDF-1.4 same bytes")
    two.write_bytes(b"%PDF-1.4 same bytes")
    kept = folder.keep(one, "one.pdf")
    assert folder.keep(two, "../two.PDF") == kept
    assert kept.parent == folder.root and kept.suffix == ".pdf" and len(kept.stem) == 64
    assert [p.name for p in folder.root.iterdir()] == [kept.name]


def test_an_unknown_suffix_is_not_kept_on_the_file(tmp_path):
    source = tmp_path / "x.exe"
    source.write_bytes(b"MZ")
    assert UploadFolder(tmp_path / "u").keep(source, "x.exe").suffix == ""


def test_only_our_own_files_are_discarded(tmp_path):
    folder = UploadFolder(tmp_path / "uploads")
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    folder.discard(outside)
    assert outside.exists()
    kept = folder.keep(outside, "precious.txt")
    folder.discard(kept)
    assert not kept.exists()
