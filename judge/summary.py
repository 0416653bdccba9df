"""The schema of ``summary.json``: what a run concluded, in numbers and in words.

These are records (no judge imports), written by ``aggregate`` and read by the reports,
``judge stats --json`` and anyone's scripts. ``schema_version`` changes when a field's
meaning changes. All rates are from the fine-tuned model's side.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CategorySummary",
    "Counts",
    "Estimate",
    "Invocation",
    "PositionBias",
    "Rate",
    "RunState",
    "SignTest",
    "Summary",
    "UsageSummary",
]

SCHEMA_VERSION = 1


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Counts(_Part):
    """Verdict counts. ``n = win + tie + loss`` counts only pairs with a result."""

    win: int = 0
    tie: int = 0
    loss: int = 0
    failed: int = Field(default=0, description="Pairs with no valid verdict after retries (not in n).")
    decided_by_check: int = Field(
        default=0, description="Pairs decided by a check, included in win/tie/loss."
    )

    @property
    def n(self) -> int:
        return self.win + self.tie + self.loss


class Rate(_Part):
    """A proportion k/n with its confidence interval."""

    k: int
    n: int
    estimate: float | None = Field(description="k/n, or None when n is 0.")
    ci_low: float | None
    ci_high: float | None
    level: float = 0.95
    method: str = "wilson"


class Estimate(_Part):
    """A point estimate with standard error and interval (e.g. preference)."""

    estimate: float | None
    se: float | None = Field(description="Standard error, ddof=1 (None when n < 2).")
    ci_low: float | None
    ci_high: float | None
    level: float = 0.95
    method: str = Field(description="How the interval was computed, in words.")


class SignTest(_Part):
    """Two-sided exact sign test of wins vs losses (ties excluded)."""

    wins: int
    losses: int
    pvalue: float | None = Field(description="None when wins + losses is 0.")
    alpha: float = 0.05
    significant: bool
    pairs_for_power: int | None = Field(
        default=None, description="Pairs needed for 80 % power at the observed split (None: no effect seen)."
    )
    power_target: float = 0.8
    pvalue_holm: float | None = Field(
        default=None,
        description="Per-category only: Holm-adjusted p across categories (decides significant).",
    )


class PositionBias(_Part):
    """How often the judge chose label A, among its non-tie verdicts (0.5 = no bias)."""

    share_a: Rate
    consistency: Rate | None = Field(
        default=None, description="both_orders only: share of items whose two verdicts agreed."
    )


class UsageSummary(_Part):
    """Judge tokens and cost of the whole run: every call whose reply produced its verdicts, whichever
    invocation paid for it (read back from the ledger). ``new_*``: what this invocation sent."""

    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = Field(default=None, description="None when no prices were configured.")
    new_calls: int = Field(default=0, description="Calls this invocation sent (and paid for).")
    new_prompt_tokens: int = 0
    new_completion_tokens: int = 0
    new_cost_usd: float | None = Field(default=None, description="This invocation's spend.")


class Invocation(_Part):
    """One ``judge run`` of this run folder (the history is kept in ``invocations.jsonl``)."""

    started: str = Field(description="ISO 8601 UTC.")
    new_calls: int = 0
    new_tokens: int = 0
    new_cost_usd: float | None = None
    recovered_pairs: int = Field(
        default=0, description="Pairs that had failed in an earlier invocation and got a verdict in this one."
    )
    pairs_left: int = Field(default=0, description="Pairs still without a verdict when it ended.")
    exit_code: int = 0


class RunState(_Part):
    """Whether the run is finished, and if not why and what to do."""

    complete: bool = Field(description="Every pair sent to the judge has a verdict.")
    exit_code: int = Field(description="0 complete, 3 judge endpoint failed for good, 4 unreadable replies.")
    pairs: int = Field(description="Blind pairs to judge (pairs decided by a check not included).")
    pairs_left: int = Field(description="Pairs without a verdict; a re-run asks for them again.")
    failure: str | None = Field(
        default=None, description="The cause, e.g. 'unreachable: connection refused'."
    )
    next_step: str | None = Field(default=None, description="What to do about it, in words.")
    invocations: list[Invocation] = Field(default_factory=list)


class CategorySummary(_Part):
    """The headline numbers for one category."""

    category: str
    counts: Counts
    preference: Estimate
    sign_test: SignTest


class Summary(_Part):
    """Everything ``summary.json`` holds."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    created: str = Field(description="ISO 8601 UTC time the summary was written.")
    models: dict[str, str] = Field(description="role -> model name (finetuned, base).")
    judge: dict[str, str] = Field(
        default_factory=dict, description="Judge model and base URL; never the key."
    )
    counts: Counts
    win_rate: Rate
    loss_rate: Rate
    tie_rate: Rate
    preference: Estimate = Field(description="(W + T/2)/n, bootstrap CI clustered by judge call.")
    net_win_rate: Estimate = Field(description="(W - L)/n.")
    sign_test: SignTest
    position_bias: PositionBias | None = None
    confidence: dict[str, int] = Field(default_factory=dict, description="high/medium/low -> count.")
    per_category: list[CategorySummary] = Field(default_factory=list)
    usage: UsageSummary = Field(default_factory=UsageSummary)
    run: RunState | None = Field(default=None, description="judge run only: finished or not, and why.")
    conclusion: str = Field(description="The answer in plain words, with what the data does not show.")
    extras: dict[str, Any] = Field(default_factory=dict, description="Checks, perplexity, judge-vs-truth ...")
