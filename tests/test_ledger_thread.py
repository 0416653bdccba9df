"""The ledger served by its own thread: each awaited call is committed when it returns, calls made
together are committed together, and one that fails fails alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from judge.records import Usage
from judge.store import Ledger


def _other_view(path: Path) -> dict[str, int]:
    """What another connection (another process, a re-run) sees in the file."""
    with Ledger(path) as fresh:
        return fresh.counts("judge")


def test_an_awaited_reply_is_committed_when_the_call_returns(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"

    async def run() -> list[dict[str, int]]:
        seen = []
        with Ledger(path) as ledger:
            async with ledger.on_thread() as book:
                await book.begin("k1", "judge", {"messages": ["hi"]})
                seen.append(_other_view(path))
                await book.finish("k1", '{"v": []}', Usage(prompt_tokens=3, completion_tokens=2))
                seen.append(_other_view(path))
                stored = await book.finished("k1")
                assert stored is not None and stored.reply == '{"v": []}' and stored.usage.prompt_tokens == 3
        return seen

    assert asyncio.run(run()) == [{"pending": 1}, {"done": 1}]


def test_calls_made_together_are_all_kept_and_a_failing_one_fails_alone(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"

    async def run() -> list[object]:
        with Ledger(path) as ledger:
            async with ledger.on_thread() as book:
                calls = [book.begin(f"k{i}", "judge", {"i": i}) for i in range(20)]
                calls.insert(7, book.begin("bad", "judge", {"not json": object()}))
                return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = asyncio.run(run())
    assert [type(o).__name__ for o in outcomes].count("TypeError") == 1
    assert isinstance(outcomes[7], TypeError)
    assert _other_view(path) == {"pending": 20}


def test_the_ledgers_own_methods_work_beside_the_thread(tmp_path: Path) -> None:
    async def run() -> None:
        with Ledger(tmp_path / "ledger.sqlite") as ledger:
            async with ledger.on_thread() as book:
                await book.begin("k", "judge", {})
                ledger.put("gen", "output")  # the generation cache, from the loop's thread
                await book.finish("k", "reply", Usage())
                assert ledger.get("gen") == "output" and ledger.counts() == {"done": 1}
            with pytest.raises(RuntimeError, match="stopped"):
                await book.finished("k")

    asyncio.run(run())
