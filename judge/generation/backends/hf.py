"""Local generation with Hugging Face transformers (+ an optional PEFT/LoRA adapter).

torch, transformers and peft are imported inside functions so that ``import judge`` stays light
and works without the ``[hf]`` extra. A model is a folder or a GGUF file (transformers
dequantizes GGUF on load; qwen2 and gemma3 included). Prompts are batched with left padding (so
every row's new tokens start at the same column) and wrapped in the tokenizer's chat template
when it has one.
"""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import Any

from judge.errors import ConfigError
from judge.records import PromptItem
from judge.specs import GenerationParams, ModelSpec

__all__ = ["HFBackend", "load_model", "render_prompts", "trim_at_stop"]

_HF_HINT = "local transformers generation needs: pip install torch==2.13.0 && pip install 'judge[hf]'"


def _import_torch() -> Any:
    try:
        import torch
        import transformers  # noqa: F401  (fail early with the install hint)
    except ImportError as exc:
        raise ConfigError(_HF_HINT) from exc
    return torch


def load_model(
    source: str | Path, *, adapter: Path | None = None, dtype: str = "bfloat16"
) -> tuple[Any, Any]:
    """Load a causal LM and its tokenizer from a folder or a GGUF file, optionally with a LoRA.

    Args:
        source: a model folder, or a ``.gguf`` file.
        adapter: a PEFT adapter folder to apply on top.
        dtype: ``bfloat16`` (about twice float32's speed on recent CPUs), ``float32``, ``float16``
            or ``auto``.

    Returns:
        ``(model, tokenizer)`` with the model in eval mode and the tokenizer padding on the left.

    Raises:
        ConfigError: missing packages, or the source / adapter does not exist.
    """
    torch = _import_torch()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(source)
    if not path.exists():
        raise ConfigError(f"hf model {str(source)!r} not found (give a model folder or a .gguf file)")
    where, extra = (str(path.parent), {"gguf_file": path.name}) if path.is_file() else (str(path), {})
    torch_dtype = "auto" if dtype == "auto" else getattr(torch, dtype)
    tokenizer = AutoTokenizer.from_pretrained(where, **extra)
    model: Any = AutoModelForCausalLM.from_pretrained(
        where, dtype=torch_dtype, **extra, **_gguf_options(extra)
    )
    if adapter is not None:
        model = _with_adapter(model, adapter)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model.eval(), tokenizer


def _gguf_options(extra: dict[str, str]) -> dict[str, Any]:
    if not extra:
        return {}
    from transformers import GgufConfig

    # Dense weights: packed GGUF matmuls need a kernel download (impossible offline), and a LoRA
    # adapter wraps plain Linear layers only.
    return {"quantization_config": GgufConfig(dequantize=True)}


def _with_adapter(model: Any, adapter: Path) -> Any:
    if not (adapter / "adapter_config.json").is_file():
        raise ConfigError(f"adapter {adapter} is not a PEFT adapter folder (no adapter_config.json)")
    try:
        from peft import PeftModel
    except ImportError as exc:
        raise ConfigError(_HF_HINT) from exc
    with warnings.catch_warnings():
        # peft calls a transformers API that newer transformers deprecate; nothing a user can act on.
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        return PeftModel.from_pretrained(model, str(adapter))


def render_prompts(tokenizer: Any, prompts: list[str], system: str | None) -> list[str]:
    """Wrap prompts in the tokenizer's chat template, or leave them raw when it has none."""
    if not getattr(tokenizer, "chat_template", None):
        return list(prompts)
    rendered = []
    for prompt in prompts:
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": prompt})
        rendered.append(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
    return rendered


def trim_at_stop(text: str, stop: tuple[str, ...]) -> str:
    """Cut ``text`` before the first stop string, as OpenAI-compatible servers do."""
    cut = min((i for i in (text.find(s) for s in stop) if i >= 0), default=len(text))
    return text[:cut]


def _sampling(params: GenerationParams) -> dict[str, Any]:
    if params.temperature == 0.0:
        return {"do_sample": False}
    opts: dict[str, Any] = {"do_sample": True, "temperature": params.temperature, "top_p": params.top_p}
    opts["top_k"] = params.top_k if params.top_k is not None else 0  # 0: no top-k, as the APIs default
    return opts


class HFBackend:
    """A transformers model held in memory; batches run in a worker thread.

    Args:
        spec: a spec with ``hf`` (folder or GGUF file) and optionally ``adapter``.
    """

    def __init__(self, spec: ModelSpec) -> None:
        if spec.hf is None:
            raise ValueError(f"model {spec.name!r} has no hf source")
        self.spec = spec
        self.batch_size = spec.batch_size
        self.model, self.tokenizer = load_model(spec.hf, adapter=spec.adapter, dtype=spec.dtype)

    async def generate_batch(self, items: list[PromptItem]) -> list[str]:
        """Outputs for ``items`` in order, generated as one left-padded batch."""
        return await asyncio.to_thread(self.generate_texts, [item.prompt for item in items])

    def generate_texts(self, prompts: list[str]) -> list[str]:
        """Generate for raw prompts synchronously (one batch); returns only the new text."""
        torch = _import_torch()
        p = self.spec.params
        texts = render_prompts(self.tokenizer, prompts, p.system)
        # A template already holds its special tokens; adding BOS again would shift the model.
        templated = bool(getattr(self.tokenizer, "chat_template", None))
        enc = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=not templated)
        torch.manual_seed(p.seed)
        extra = {"stop_strings": list(p.stop), "tokenizer": self.tokenizer} if p.stop else {}
        with torch.inference_mode():
            out = self.model.generate(
                **enc,
                max_new_tokens=p.max_tokens,
                pad_token_id=self.tokenizer.pad_token_id,
                **_sampling(p),
                **extra,
            )
        new = out[:, enc["input_ids"].shape[1] :]
        decoded = self.tokenizer.batch_decode(new, skip_special_tokens=True)
        return [trim_at_stop(text, p.stop) for text in decoded]

    async def aclose(self) -> None:
        """Drop the model so its memory can be reclaimed."""
        self.model = None
        self.tokenizer = None
