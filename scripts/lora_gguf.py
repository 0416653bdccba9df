"""Convert a PEFT LoRA folder into a GGUF LoRA that llama.cpp loads (``--lora_path``).

Uses ``convert_lora_to_gguf.py`` from the llama.cpp sources vendored in the llama-cpp-python
sdist (fetched with ``pip download``, which works against the local package index; nothing else
is downloaded). The converter needs the base model's ``config.json`` and tokenizer, which we
write from the already-loaded transformers model, so no model hub is contacted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

LLAMA_CPP_PYTHON = "llama-cpp-python==0.3.36"


def llama_cpp_sources(cache: Path | None = None) -> Path:
    """The ``vendor/llama.cpp`` folder of the llama-cpp-python sdist, downloading it once."""
    cache = cache or Path(os.environ.get("JUDGE_CACHE_DIR", Path.home() / ".cache" / "judge")) / "src"
    found = sorted(cache.glob("llama_cpp_python-*/vendor/llama.cpp"))
    if found:
        return found[-1]
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    LLAMA_CPP_PYTHON, "-d", str(cache)], check=True)  # fmt: skip
    sdist = sorted(cache.glob("llama_cpp_python-*.tar.gz"))[-1]
    with tarfile.open(sdist) as tar:
        tar.extractall(cache, filter="data")
    return sorted(cache.glob("llama_cpp_python-*/vendor/llama.cpp"))[-1]


def convert_to_gguf(model: Any, tok: Any, peft_dir: Path, out_file: Path) -> Path:
    """Write ``out_file`` (f16 GGUF LoRA) from ``peft_dir``; ``model``/``tok`` give the base config."""
    src = llama_cpp_sources()
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    with tempfile.TemporaryDirectory() as tmp:
        inner.config.save_pretrained(tmp)
        # A config read from GGUF has no "architectures"; the converter needs it to pick the class.
        cfg_path = Path(tmp) / "config.json"
        cfg = json.loads(cfg_path.read_text())
        cfg["architectures"] = cfg.get("architectures") or [type(inner).__name__]
        cfg_path.write_text(json.dumps(cfg))
        tok.save_pretrained(tmp)
        # Absolute paths: the converter runs with its own folder as the working directory.
        cmd = [sys.executable, str(src / "convert_lora_to_gguf.py"), "--base", tmp,
               "--outfile", str(out_file.resolve()), "--outtype", "f16", str(peft_dir.resolve())]  # fmt: skip
        subprocess.run(cmd, check=True, cwd=src)
    return out_file


if __name__ == "__main__":
    # python scripts/lora_gguf.py PEFT_DIR OUT.gguf : convert an adapter trained on the bundled model.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from judge.generation.backends.hf import load_model
    from judge.generation.bundled import bundled_model_path

    m, t = load_model(bundled_model_path("qwen2.5-coder-0.5b"), dtype="bfloat16")
    print(convert_to_gguf(m, t, Path(sys.argv[1]), Path(sys.argv[2])))
