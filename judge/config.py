"""Run configuration: a TOML file -> a validated :class:`RunConfig`.

Paths in the file are relative to the file. API keys never live in the config: a judge or
model names the *environment variable* that holds its key (``api_key_env``), so that config
snapshots in ``results/`` can be shared safely. A literal ``api_key`` is refused.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from judge.errors import ConfigError, redact_url
from judge.specs import ModelSpec

__all__ = [
    "DEFAULT_CRITERIA",
    "JudgeSpec",
    "Pairing",
    "RunConfig",
    "StatsOptions",
    "load_config",
    "prompts_dir",
]

DEFAULT_CRITERIA = ("correctness", "reasoning_quality", "completeness", "mathematical_accuracy", "clarity")


def prompts_dir() -> Path:
    """The folder holding the judge prompt templates shipped inside the package.

    ``judge/judging/prompts/`` is package data (it is in the wheel); the repository's top-level
    ``prompts/`` is a link to it, the place to read and edit them.
    """
    from importlib.resources import as_file, files

    with as_file(files("judge.judging") / "prompts") as folder:  # a real folder for regular installs
        return Path(folder)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


BATCH_PRICE_FACTOR = 0.5
"""OpenAI bills Batch API tokens at half the list price."""


class BatchOptions(BaseModel):
    """Batch API settings (used when ``[judge] mode = "batch"``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    price_factor: float = Field(
        default=BATCH_PRICE_FACTOR, gt=0, le=1, description="Batch price as a share of the list price."
    )
    poll_interval: float = Field(default=30.0, gt=0, le=3600, description="Seconds between status polls.")
    completion_window: str = Field(default="24h", description="Batch completion window (OpenAI takes 24h).")
    max_requests: int = Field(
        default=50_000, ge=1, le=50_000, description="Most requests in one batch (OpenAI's limit: 50,000)."
    )
    failed: Literal["live", "batch"] = Field(
        default="live",
        description="Where requests that failed or expired in a batch are asked again: the live API, "
        "or one more batch (then the live API for what fails there too).",
    )


class JudgeSpec(_Section):
    """The judge model and how to call it."""

    model: str = Field(default="gpt-4o-mini", description="Model name as the endpoint knows it.")
    base_url: str | None = Field(default=None, description="Endpoint; default OPENAI_BASE_URL, then OpenAI.")
    bundled: str | None = Field(
        default=None, description="Judge with a bundled model served on 127.0.0.1 (pipeline tests only)."
    )
    api_key_env: str = Field(default="OPENAI_API_KEY", description="Env var holding the key.")
    batch_size: int = Field(default=5, ge=1, le=10, description="Comparisons per judge call.")
    both_orders: bool = Field(default=False, description="Judge every pair twice with A/B swapped.")
    criteria: tuple[str, ...] = DEFAULT_CRITERIA
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=4096, ge=64)
    timeout: float = Field(default=120.0, gt=0)
    concurrency: int = Field(default=8, ge=1, le=256)
    max_retries: int = Field(default=5, ge=0, le=20, description="HTTP retries per call (429/5xx/timeouts).")
    backoff: float = Field(default=1.0, gt=0, le=60, description="First retry wait in seconds (doubles).")
    max_reasks: int = Field(default=2, ge=0, le=10, description="Re-asks for ids missing from a reply.")
    price_input_per_mtok: float | None = Field(default=None, ge=0, description="USD per 1M prompt tokens.")
    price_output_per_mtok: float | None = Field(
        default=None, ge=0, description="USD per 1M completion tokens."
    )
    prompts: Path | None = Field(default=None, description="Folder of templates overriding prompts/.")
    mode: Literal["live", "batch"] = Field(
        default="live", description="batch: the OpenAI Batch API answers first calls (batch price, <24 h)."
    )
    batch: BatchOptions = Field(default_factory=BatchOptions, description="[judge.batch] settings.")
    rationale_words: int = Field(
        default=25,
        ge=0,
        le=200,
        description="Longest rationale asked of the judge, in words (0: none). Small local judges: 8-12.",
    )
    evidence: bool = Field(
        default=False,
        description="Show the judge, beside each response, the facts the checks verified (program "
        "output vs expected answer, a tool call that does not parse, a degenerate output); blind.",
    )
    max_output_chars: int = Field(
        default=20_000,
        ge=200,
        description="Longer outputs are cut to this many characters for the judge, with a note "
        "saying so (the full text stays in generations.jsonl).",
    )
    recheck_batches: bool = Field(
        default=True, description="Re-judge a sample in new batches: self-consistency (extra calls)."
    )
    recheck_single: bool = Field(
        default=True, description="Re-judge a sample one per call: batched vs single (extra calls)."
    )
    recheck_share: float = Field(default=0.10, ge=0, le=1, description="Share of pairs re-judged per sample.")
    recheck_min: int = Field(default=20, ge=0, description="At least this many pairs per sample (or all).")

    @field_serializer("base_url")
    def _without_credentials(self, url: str | None) -> str | None:
        # config.json is written from this: never a key embedded in the URL.
        return None if url is None else redact_url(url)


class StatsOptions(_Section):
    """How the statistics are computed."""

    alpha: float = Field(default=0.05, gt=0, lt=1)
    level: float = Field(default=0.95, gt=0, lt=1)
    power: float = Field(default=0.8, gt=0, lt=1)
    bootstrap_resamples: int = Field(default=10_000, ge=100)
    margin: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="Net win rate (W - L)/n below which a difference is negligible (0.05: one pair in 20).",
    )


@dataclass(frozen=True)
class Pairing:
    """One comparison of a several-models run: ``candidate`` is judged against ``other``.

    Inside the pairing the candidate takes the fine-tuned side and ``other`` the base side, so every
    two-model statistic reads "the candidate against the other".
    """

    candidate: str
    other: str

    @property
    def name(self) -> str:
        """The pairing's folder name under ``pairings/``."""
        return f"{self.candidate}-vs-{self.other}"


_MODEL_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class RunConfig(_Section):
    """One comparison run."""

    name: str = Field(description="Run id: results go to <results>/<name>/.")
    prompts: Path = Field(description="Prompt set, JSONL or CSV.")
    seed: int = Field(default=0, description="Run seed: fixes blinding positions and batch order.")
    results: Path = Field(default=Path("results"))
    limit: int | None = Field(default=None, ge=1, description="Use only the first N prompts.")
    decide_degenerate: bool = Field(
        default=False, description="Decide pairs with a degenerate side unjudged."
    )
    models: dict[str, ModelSpec] = Field(
        description="[models.<key>]: finetuned + base, or any number of models (see baseline, design)."
    )
    baseline: str | None = Field(
        default=None, description='Several models: the model every other is compared with (default "base").'
    )
    design: Literal["vs-baseline", "all-pairs"] = Field(
        default="vs-baseline",
        description="Several models: every model against the baseline, or every pair of models.",
    )
    judge: JudgeSpec = Field(default_factory=JudgeSpec)
    stats: StatsOptions = Field(default_factory=StatsOptions)
    source: Path | None = Field(default=None, description="The TOML file this came from.")

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if not name.strip() or name in (".", "..") or any(c in name for c in "/\\\0"):
            raise ValueError(f"{name!r} cannot name a run folder: use letters, digits, - and _")
        return name

    @model_validator(mode="after")
    def _models(self) -> RunConfig:
        bad = [k for k in self.models if not _MODEL_KEY.fullmatch(k)]
        if bad:
            raise ValueError(
                f"[models.{bad[0]}]: a model key names folders and report rows; use letters, digits, "
                "'.', '-' and '_' (at most 64, starting with a letter or digit)"
            )
        if not self.several:
            if self.baseline not in (None, "base"):
                raise ValueError(
                    f'baseline = "{self.baseline}": a two-model run compares [models.finetuned] with '
                    "[models.base]; name the models by what they are to choose another baseline"
                )
            return self
        if len(self.models) < 2:
            only = next(iter(self.models), "finetuned")
            missing = "finetuned" if only == "base" else "base"
            raise ValueError(
                f"no [models.{missing}] section: a run compares at least two models; add "
                f"[models.{missing}] with a name and one of outputs, base_url + model, hf, bundled"
            )
        wanted = self.baseline or "base"
        if wanted not in self.models:
            raise ValueError(
                f'the baseline "{wanted}" is not among the models ({", ".join(self.models)}); '
                'set baseline = "<one of them>" or name the baseline [models.base]'
            )
        return self

    @property
    def several(self) -> bool:
        """More (or other) models than the classic [models.finetuned] + [models.base] pair."""
        return set(self.models) != {"finetuned", "base"}

    @property
    def baseline_key(self) -> str:
        """The model every other is compared with."""
        return self.baseline or "base"

    @property
    def run_dir(self) -> Path:
        """The run folder."""
        return self.results / self.name

    def pairings(self) -> list[Pairing]:
        """The comparisons the design asks for, in config order.

        ``vs-baseline``: every other model against the baseline. ``all-pairs``: every pair of models;
        in a pair without the baseline the later-listed model is the candidate (for checkpoints listed
        by step: the later step against the earlier). A two-model run has one pairing, finetuned-vs-base.
        """
        if not self.several:
            return [Pairing("finetuned", "base")]
        keys, base = list(self.models), self.baseline_key
        if self.design == "vs-baseline":
            return [Pairing(k, base) for k in keys if k != base]
        out = []
        for i, first in enumerate(keys):
            for later in keys[i + 1 :]:
                out.append(Pairing(first, later) if later == base else Pairing(later, first))
        return out

    def for_pairing(self, pairing: Pairing) -> RunConfig:
        """The two-model config of one pairing: its candidate as finetuned, the other as base.

        Its run folder is ``<run>/pairings/<candidate>-vs-<other>/``, a complete two-model run folder.
        """
        if not self.several:
            return self
        models = {"finetuned": self.models[pairing.candidate], "base": self.models[pairing.other]}
        return self.model_copy(
            update={
                "models": models,
                "name": pairing.name,
                "results": self.run_dir / "pairings",
                "baseline": None,
            }
        )


def _reject_secrets(data: Any, path: Path, trail: str = "") -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if key.lower() in {"api_key", "apikey", "key", "token", "secret"}:
                raise ConfigError(
                    f"{path}: [{trail or 'top'}] holds {key!r}; keys never go in config files. "
                    f'Put it in an environment variable and name it with api_key_env = "OPENAI_API_KEY".'
                )
            _reject_secrets(value, path, f"{trail}.{key}" if trail else key)


def _resolve(base: Path, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    try:
        return str((base / value).resolve())
    except (OSError, ValueError):  # e.g. a NUL byte: left as given, for validation to name it
        return value


def _absolutise(data: dict[str, Any], base: Path) -> dict[str, Any]:
    data = dict(data)
    data.setdefault("results", "results")  # beside the config, wherever judge is run from
    for key in ("prompts", "results"):
        if key in data:
            data[key] = _resolve(base, data[key])
    models = {}
    given = data.get("models")
    for role, spec in (given if isinstance(given, dict) else {}).items():
        spec = dict(spec) if isinstance(spec, dict) else spec
        if isinstance(spec, dict):
            spec.setdefault("name", role)  # a model is named by its key unless it says otherwise
            for key in ("outputs", "adapter"):
                if key in spec:
                    spec[key] = _resolve(base, spec[key])
            if "hf" in spec and not str(spec["hf"]).startswith("bundled:") and (base / spec["hf"]).exists():
                spec["hf"] = _resolve(base, spec["hf"])
        models[role] = spec
    if models:
        data["models"] = models
    judge = data.get("judge")
    if isinstance(judge, dict) and "prompts" in judge:
        data["judge"] = {**judge, "prompts": _resolve(base, judge["prompts"])}
    return data


def config_from_dict(data: dict[str, Any], *, base: Path, source: Path | None = None) -> RunConfig:
    """Validate a config mapping (as parsed from TOML); relative paths are taken from ``base``."""
    where = source or base
    _reject_secrets(data, Path(where))
    data = _absolutise(data, base)
    if source is not None:
        data.setdefault("name", source.stem)
        data["source"] = str(source)
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{where}: {'; '.join(map(_problem, exc.errors()))}") from None


def _problem(err: Any) -> str:
    """One validation error as ``[key] what is wrong``."""
    where = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = _unknown_key(tuple(err["loc"]))
    return f"[{where}] {msg}" if where else msg


def _section(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The settings model that holds the key at ``loc`` (``models.<role>`` skips the role)."""
    model: type[BaseModel] = RunConfig
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None:  # a dict key such as the role in models.finetuned
            continue
        inner = [field.annotation, *get_args(field.annotation)]
        nested = [t for t in inner if isinstance(t, type) and issubclass(t, BaseModel)]
        if not nested:
            return None
        model = nested[0]
    return model


def _unknown_key(loc: tuple[Any, ...]) -> str:
    """'unknown key', with the closest known key of that section when one is near."""
    section = _section(loc)
    known = sorted(n for n in section.model_fields if n != "source") if section else []
    close = difflib.get_close_matches(str(loc[-1]), known, n=2, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {' or '.join(map(repr, close))}?"
    return f"unknown key; this section takes {', '.join(known)}" if known else "unknown key"


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a run config.

    Args:
        path: a TOML file (see examples/).

    Returns:
        The validated config, paths made absolute.

    Raises:
        ConfigError: the file is missing, not TOML, or not a valid config; the message names
            the file, the setting and what to change.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder; give the TOML config file inside it") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return config_from_dict(data, base=path.resolve().parent, source=path.resolve())
