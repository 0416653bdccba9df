"""Property: no config or input file, however malformed, ends in a traceback.

Hypothesis mutates a valid config (keys deleted, values of the wrong type or range, unknown keys,
broken TOML) and writes prompt and outputs files with random lines (wrong types, broken JSON,
bytes that are not UTF-8, U+2028 in strings). ``judge run`` must answer with an exit code, and
with exit 2 it must have written nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeServer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from judge.cli import main

PATHS = (
    "name", "prompts", "seed", "results", "limit", "decide_degenerate", "models", "models.finetuned",
    "models.finetuned.name", "models.finetuned.outputs", "models.base", "models.base.outputs",
    "models.base.model", "models.base.params", "models.base.params.max_tokens", "judge", "judge.model",
    "judge.batch_size", "judge.criteria", "judge.prompts", "judge.both_orders", "judge.max_output_chars",
    "judge.price_input_per_mtok", "stats", "stats.alpha", "stats.bootstrap_resamples", "surprise",
)  # fmt: skip

scalars = st.one_of(
    st.booleans(),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "..", "/", "ft.jsonl", "results", "a/b", "x" * 300, "\u2028", "0"]),
    st.text(max_size=12),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.sampled_from(["name", "outputs", "x"]), scalars, max_size=3),
)


def _valid(judge_url: str) -> dict[str, Any]:
    return {
        "name": "prop",
        "prompts": "prompts.jsonl",
        "seed": 1,
        "models": {
            "finetuned": {"name": "ft", "outputs": "ft.jsonl"},
            "base": {"name": "base", "outputs": "base.jsonl"},
        },
        "judge": {"model": "m", "base_url": judge_url, "max_retries": 0, "timeout": 5},
        "stats": {"bootstrap_resamples": 200},
    }


def _mutate(data: dict[str, Any], path: str, value: Any, delete: bool) -> None:
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        if not isinstance(node, dict) or not isinstance(node.get(key), dict):
            return
        node = node[key]
    if delete:
        node.pop(last, None)
    else:
        node[last] = value


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are TOML basic-string escapes (surrogates aside)
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_value, value)) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _toml(data: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k)} = {_toml_value(v)}\n" for k, v in data.items())


texts = st.one_of(st.text(min_size=1, max_size=10), st.just("x" * 30_000), values)
garbage = st.one_of(
    st.binary(max_size=12),
    values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"{", b'{"id": "a", "prompt": "x\xe2\x80\xa8y"}', b"\xff\xfe", b"[]"]),
)


def _dump(row: dict[str, Any]) -> bytes:
    return json.dumps(row, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def projects(draw: st.DrawFn) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """A prompt set and both outputs files for the same ids, then a few of their lines spoiled."""
    ids = draw(st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=4, unique=True))
    extra = st.fixed_dictionaries({}, optional={"category": values, "reference": values, "metadata": values})
    prompts = [_dump({"id": i, "prompt": draw(texts), **draw(extra)}) for i in ids]
    ft, base = ([_dump({"id": i, "output": draw(texts)}) for i in ids] for _ in range(2))
    for lines in (prompts, ft, base):
        for _ in range(draw(st.integers(0, 2))):
            spoiled = draw(garbage)
            at = draw(st.integers(0, len(lines)))
            if draw(st.booleans()) and at < len(lines):
                lines[at] = spoiled
            else:
                lines.insert(at, spoiled)
    return prompts, ft, base


@pytest.fixture(scope="module")
def judge_server() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


def _project(factory: pytest.TempPathFactory, valid_files: bool) -> Path:
    root = factory.mktemp("prop")
    if valid_files:
        (root / "prompts.jsonl").write_text('{"id": "a", "prompt": "p"}\n{"id": "b", "prompt": "q"}\n')
        for name in ("ft.jsonl", "base.jsonl"):
            (root / name).write_text('{"id": "a", "output": "x"}\n{"id": "b", "output": "y"}\n')
    return root


def _check(root: Path, argv: list[str], allowed: set[int]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse only
        code = int(exc.code or 0)
    event(f"exit {code}")
    assert code in allowed, code
    if code == 2:
        assert not (root / "results").exists(), "a refused run wrote its folder"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.sampled_from(PATHS), values, st.booleans()), min_size=1, max_size=4),
    garble=st.one_of(st.none(), st.tuples(st.integers(0, 400), st.text(max_size=6))),
)
def test_malformed_configs_never_end_in_a_traceback(
    tmp_path_factory: pytest.TempPathFactory,
    judge_server: FakeServer,
    edits: list[tuple[str, Any, bool]],
    garble: tuple[int, str] | None,
) -> None:
    root = _project(tmp_path_factory, valid_files=True)
    data = _valid(judge_server.base_url)
    for path, value, delete in edits:
        _mutate(data, path, value, delete)
    text = _toml(data)
    if garble is not None:
        at, junk = garble
        text = text[:at] + junk + text[at:]
    (root / "run.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    _check(root, ["run", str(root / "run.toml"), "--dry-run"], {0, 2})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=projects(), csv=st.booleans())
def test_malformed_files_never_end_in_a_traceback(
    tmp_path_factory: pytest.TempPathFactory,
    judge_server: FakeServer,
    files: tuple[list[bytes], list[bytes], list[bytes]],
    csv: bool,
) -> None:
    prompts, ft, base = files
    root = _project(tmp_path_factory, valid_files=False)
    prompt_file = "prompts.csv" if csv else "prompts.jsonl"
    (root / prompt_file).write_bytes(b"\n".join(prompts))
    (root / "ft.jsonl").write_bytes(b"\n".join(ft))
    (root / "base.jsonl").write_bytes(b"\n".join(base))
    data = _valid(judge_server.base_url)
    data["prompts"] = prompt_file
    (root / "run.toml").write_text(_toml(data))
    _check(root, ["run", str(root / "run.toml"), "--no-progress"], {0, 2, 4})
