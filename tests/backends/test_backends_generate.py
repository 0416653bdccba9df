"""generate(): caching/resume, the OpenAI-compatible backend through the SDK, the file backend."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fakeserver import Content, Fail, FakeServer

from judge.errors import APIError, InputError
from judge.generation.backends import GenerationCache, cache_keys, generate
from judge.records import ROLES, PromptItem
from judge.specs import GenerationParams, ModelSpec

ITEMS = [PromptItem(id=f"p{i}", prompt=f"question {i}") for i in range(5)]


class DictCache:
    """The GenerationCache protocol over a dict, counting writes."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.puts = 0

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def put(self, key: str, text: str) -> None:
        self.data[key] = text
        self.puts += 1


def _spec(url: str, **params: object) -> ModelSpec:
    return ModelSpec(name="m", base_url=url, model="served", batch_size=2, params=GenerationParams(**params))


def test_dict_cache_satisfies_protocol() -> None:
    assert isinstance(DictCache(), GenerationCache)


def test_openai_backend_sends_per_model_params(fake_server: FakeServer) -> None:
    spec = _spec(fake_server.base_url, max_tokens=7, temperature=0.5, top_p=0.9, top_k=20, seed=3,
                 stop=("###",), system="be brief")  # fmt: skip
    gens = asyncio.run(generate(spec, ITEMS[:1], role="base"))
    assert gens[0].output == "echo: question 0" and gens[0].role == "base" and gens[0].model == "m"
    body = fake_server.posts[0]["json"]
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "question 0"},
    ]
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["top_k"]) == (7, 0.5, 0.9, 20)
    assert (body["seed"], body["stop"], body["model"]) == (3, ["###"], "served")


def test_completions_api_sends_raw_prompt(fake_server: FakeServer) -> None:
    spec = ModelSpec(name="m", base_url=fake_server.base_url, model="served", api="completions")
    fake_server.script(Content("forty-two"))
    gens = asyncio.run(generate(spec, ITEMS[:1], role="finetuned"))
    assert gens[0].output == "forty-two"
    post = fake_server.posts[0]
    assert post["path"].endswith("/completions") and post["json"]["prompt"] == "question 0"


def test_cache_makes_a_rerun_call_nothing(fake_server: FakeServer) -> None:
    cache, spec = DictCache(), _spec(fake_server.base_url)
    first = asyncio.run(generate(spec, ITEMS, role="base", cache=cache))
    assert cache.puts == 5 and len(fake_server.posts) == 5
    second = asyncio.run(generate(spec, ITEMS, role="base", cache=cache))
    assert second == first and len(fake_server.posts) == 5 and cache.puts == 5


def test_crash_loses_at_most_the_batch_in_flight(fake_server: FakeServer) -> None:
    cache, spec = DictCache(), _spec(fake_server.base_url)
    # Batch size 2: the first batch succeeds, the third request fails for good (401 is not retried).
    fake_server.script(Content("a"), Content("b"), Fail(401))
    with pytest.raises(APIError):
        asyncio.run(generate(spec, ITEMS, role="base", cache=cache))
    assert sorted(cache.data.values()) == ["a", "b"]
    fake_server.reset()
    gens = asyncio.run(generate(spec, ITEMS, role="base", cache=cache))
    assert sorted(g.output for g in gens[:2]) == ["a", "b"]
    assert len(fake_server.posts) == 3  # only the three missing prompts were asked again


def test_progress_reports_cached_then_each_batch(fake_server: FakeServer) -> None:
    cache, spec, seen = DictCache(), _spec(fake_server.base_url), []
    asyncio.run(generate(spec, ITEMS[:2], role="base", cache=cache))
    asyncio.run(generate(spec, ITEMS, role="base", cache=cache, progress=lambda d, t: seen.append((d, t))))
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_cache_key_ignores_name_but_not_params_or_prompt() -> None:
    a = ModelSpec(name="a", base_url="http://127.0.0.1:1/v1", model="x")
    renamed = a.model_copy(update={"name": "b", "batch_size": 3})
    hotter = a.model_copy(update={"params": GenerationParams(temperature=1.0)})
    other = [PromptItem(id="p0", prompt="question 0 ")]
    assert cache_keys(a, ITEMS[:1]) == cache_keys(renamed, ITEMS[:1])
    assert cache_keys(a, ITEMS[:1]) != cache_keys(hotter, ITEMS[:1])
    assert cache_keys(a, ITEMS[:1]) != cache_keys(a, other)


def test_cache_key_follows_adapter_bytes(tmp_path: Path) -> None:
    adapter = tmp_path / "lora.gguf"
    adapter.write_bytes(b"v1")
    spec = ModelSpec(name="f", bundled="qwen2.5-coder-0.5b", adapter=adapter)
    before = cache_keys(spec, ITEMS[:1])
    adapter.write_bytes(b"v2")  # retrained in place
    assert cache_keys(spec, ITEMS[:1]) != before


def test_file_backend_reads_outputs_in_item_order(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "output": f"o{i}"}) + "\n" for i in (2, 0, 1)))
    spec = ModelSpec(name="f", outputs=path)
    gens = asyncio.run(generate(spec, ITEMS[:3], role="finetuned", cache=DictCache()))
    assert [g.output for g in gens] == ["o0", "o1", "o2"] and {g.role for g in gens} == {"finetuned"}


def test_file_backend_names_missing_ids(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps({"id": "p0", "output": "o0"}) + "\n")
    with pytest.raises(InputError, match="p1"):
        asyncio.run(generate(ModelSpec(name="f", outputs=path), ITEMS[:2], role="base"))


def test_two_served_sides_are_generated_at_the_same_time(tmp_path: Path) -> None:
    from judge.generation.stage import generate_sides
    from judge.store import Ledger

    with FakeServer(latency=0.2) as server, Ledger(tmp_path / "ledger.sqlite") as ledger:
        specs = {
            role: ModelSpec(name=role, base_url=server.base_url, model=role, batch_size=1) for role in ROLES
        }
        sides = generate_sides(specs, ITEMS[:3], ledger, show_progress=False)
        # one request in flight per side (batch_size 1): two at once only if both sides ran together
        assert server.max_in_flight == 2 and len(server.posts) == 6
        assert sides["base"]["p2"].output == "echo: question 2" and sides["base"]["p2"].role == "base"
        assert sides["finetuned"]["p0"].model == "finetuned"
        again = generate_sides(specs, ITEMS[:3], ledger, show_progress=False)
        assert again == sides and len(server.posts) == 6  # every output from the ledger
