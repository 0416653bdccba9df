"""The judge stage streams its batches through a fixed pool: memory does not grow with the run."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge.config import JudgeSpec
from judge.judging.replies import schema_ids
from judge.judging.stage import JudgeStage, Templates
from judge.records import BlindPair, Usage
from judge.store import Ledger


@dataclass
class _Reply:
    text: str
    usage: Usage


class _Counting:
    """Answers every call (all "A"), recording how many calls were in flight at once."""

    def __init__(self) -> None:
        self.now = self.most = self.calls = 0

    async def chat(
        self, messages: Sequence[Mapping[str, Any]], *, json_schema: dict[str, Any] | None = None, **_: Any
    ) -> _Reply:
        self.now, self.calls = self.now + 1, self.calls + 1
        self.most = max(self.most, self.now)
        await asyncio.sleep(0.001)
        self.now -= 1
        rows = [[i, "r", "AAAAA", "A", "h"] for i in schema_ids(json_schema or {})]
        return _Reply(json.dumps({"v": rows}), Usage(prompt_tokens=100, completion_tokens=10))


def test_batches_stream_through_a_bounded_pool(tmp_path: Path) -> None:
    pairs = [BlindPair(pair_id=f"p{i:04d}", prompt=f"q{i}", output_a="a", output_b="b") for i in range(1000)]
    groups = [pairs[i : i + 5] for i in range(0, 1000, 5)]
    client, spec = _Counting(), JudgeSpec(model="m", concurrency=3)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        stage = JudgeStage(client, ledger, spec, Templates.load())
        done = asyncio.run(stage.run(groups))
    assert len(done) == 1000 and all(j.status == "ok" and j.verdict for j in done.values())
    assert client.calls == 200 and client.most <= 2 * spec.concurrency
    assert stage.comparisons == 1000 and stage.usage.prompt_tokens == 200 * 100
