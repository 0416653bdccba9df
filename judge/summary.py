"""The schema of ``summary.json``: what a run concluded, in numbers and in words.

These are records (no judge imports), written by ``aggregate`` and read by the reports,
``judge stats --json`` and anyone's scripts. ``schema_version`` changes when a field's
meaning changes. All rates are from the fine-tuned model's side.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field

from judge.summary_base import Estimate, Part, PositionBias, Rate
from judge.summary_import import AlpacaEvalNumbers, ImportedFile
from judge.summary_judge import (
    Agreement,
    BatchNotes,
    CutNotes,
    JudgeReliability,
    LengthBias,
    ModelAccuracy,
    RationaleCheck,
    ReliabilityVerdict,
    RunNotes,
    ScreenNotes,
    SlotEffect,
    SlotShare,
    TruthCheck,
    Verification,
)

__all__ = [
    "SCHEMA_VERSION",
    "Agreement",
    "AlpacaEvalNumbers",
    "BatchNotes",
    "CategorySummary",
    "Counts",
    "CutNotes",
    "Effect",
    "EffectVerdict",
    "Estimate",
    "FailedBound",
    "FailedBounds",
    "ImportedFile",
    "Invocation",
    "JudgeReliability",
    "LengthBias",
    "ModelAccuracy",
    "Plan",
    "PositionBias",
    "Power",
    "Problem",
    "Rate",
    "RationaleCheck",
    "ReliabilityVerdict",
    "RunNotes",
    "RunState",
    "ScreenNotes",
    "SignTest",
    "SlotEffect",
    "SlotShare",
    "Summary",
    "TruthCheck",
    "UsageSummary",
    "Verification",
    "load_summary",
]

# 2: the decision is clustered by judge call (SignTest.method/design_effect/clusters), per-category
#    "significant" is unadjusted (significant_holm is the Holm one), power moved to Summary.power
#    (for the margin, with a design effect), new effect / failed_bounds / problems / comparison.
# 3: the product's own findings are typed sections: judge_reliability (the plain verdict on the judge
#    and its figures) and verification (verified accuracy, judge vs truth, degeneration), no longer
#    extras["checks"] / extras["degeneration"]; the run's own notes (screens, outputs cut for the
#    judge, batch mode) are the typed `notes`; extras holds only what users add.
# 4: an imported verdict file (`judge stats FILE`, `judge report FILE`) is described by the typed
#    `imported` section (source tool, file, rows read and skipped, whether the order seen is
#    recorded, AlpacaEval's own win rate and SE), no longer extras["import"] / extras["alpaca_eval"].
#    Several models in one run: the run folder's summary.json is a SeveralSummary ("kind": "several",
#    judge.summary_several) and each pairing's folder holds this Summary, whose `comparison` may now
#    be "baseline" or "model". A two-model run's summary.json is otherwise unchanged.
SCHEMA_VERSION = 4

EffectVerdict = Literal[
    "better",
    "better_but_negligible",
    "equivalent",
    "non_inferior",
    "inconclusive",
    "worse_but_negligible",
    "worse",
    "no_data",
]


_Part = Part


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


class SignTest(_Part):
    """The decision: a two-sided sign test of wins vs losses (ties excluded), by judge call.

    Its p-value, the net win rate's interval and the preference's interval come from one
    procedure: ``significant`` is True exactly when those intervals exclude 0 / 50 %.
    """

    wins: int
    losses: int
    pvalue: float | None = Field(description="None when wins + losses is 0.")
    alpha: float = 0.05
    significant: bool = Field(description="pvalue < alpha (unadjusted, like the interval beside it).")
    method: str = Field(default="exact sign test, ties excluded", description="The test, in words.")
    design_effect: float = Field(
        default=1.0,
        description="Variance inflation from verdicts sharing a judge call (1: the exact sign test).",
    )
    clusters: int = Field(default=0, description="Independent units: judge calls (or groups of calls).")
    pvalue_holm: float | None = Field(
        default=None, description="Per-category only: Holm-adjusted p across categories."
    )
    significant_holm: bool | None = Field(default=None, description="Per-category only: pvalue_holm < alpha.")


class Effect(_Part):
    """The net win rate's interval read against the margin the user set.

    ``verdict``: better / worse (significant, the interval reaches beyond the margin),
    better_but_negligible / worse_but_negligible (significant, the interval inside the margin),
    equivalent (not significant, the interval inside the margin), non_inferior (the interval's
    low end above -margin), inconclusive (none of these), no_data.
    """

    margin: float = Field(description="Net win rate (W - L)/n below which a difference is negligible.")
    level: float = 0.95
    verdict: EffectVerdict
    non_inferior: bool = Field(description="The interval's low end is above -margin.")
    equivalent: bool = Field(description="The whole interval lies within -margin to +margin.")
    negligible: bool = Field(description="Significant, but the whole interval lies within the margin.")


class Plan(_Part):
    """What ``judge plan`` computes: pairs needed for a power at an expected win/tie/loss split."""

    win: float
    tie: float
    loss: float
    power: float
    alpha: float
    batch_size: int = Field(description="Comparisons per judge call (they are correlated).")
    icc: float = Field(description="Assumed intra-call correlation of verdicts.")
    design_effect: float = Field(description="1 + (batch_size - 1) * icc.")
    pairs: int | None = Field(description="Pairs needed; None only when win == loss (no effect).")
    text: str = Field(description="The plan in words (judge.reporting.narrator).")


class Power(_Part):
    """How many pairs a decision needs, planned for a stated effect, not from a handful of verdicts."""

    effect: float = Field(description="Net win rate the plan is for (the margin).")
    power: float = 0.8
    alpha: float = 0.05
    tie_share: float | None = Field(description="Share of ties assumed (observed in this run).")
    design_effect: float = Field(description="Clustering's variance inflation used (observed, >= 1).")
    pairs_needed: int | None = Field(
        description="Pairs for the target power at the effect; None below min_pairs."
    )
    pairs_for_observed: int | None = Field(
        default=None, description="Pairs the observed net win rate would need (None below min_pairs or if 0)."
    )
    detectable_effect: float | None = Field(
        default=None, description="Net win rate this run's n detects with the target power."
    )
    min_pairs: int = Field(
        description="Fewer judged pairs than this: no planning from the run's own numbers."
    )
    note: str | None = Field(default=None, description="Why a number is missing, in words.")


class FailedBound(_Part):
    """The result if every failed pair had gone to one side."""

    net: float
    ci_low: float
    ci_high: float
    pvalue: float | None
    significant: bool


class FailedBounds(_Part):
    """Bounds from the failed pairs: all of them lost by the fine-tune, or all won."""

    failed: int
    all_to_base: FailedBound
    all_to_finetuned: FailedBound


class Problem(_Part):
    """A statistic that could not be computed; the rest of the summary stands."""

    part: str
    error: str


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
    prompt_tokens_per_comparison: float | None = Field(
        default=None, description="Judge prompt tokens per comparison sent (whole run; re-asks included)."
    )
    completion_tokens_per_comparison: float | None = Field(
        default=None, description="Judge completion tokens per comparison sent (whole run)."
    )


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
    net_win_rate: Estimate | None = None
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
    comparison: Literal["base", "reference", "baseline", "model"] = Field(
        default="base",
        description="The second model: the fine-tune's base (a run), a reference (an imported file), or in "
        "a several-models run's pairing the run's baseline or another model.",
    )
    preference: Estimate = Field(description="(W + T/2)/n = (1 + net)/2, the same interval as net_win_rate.")
    net_win_rate: Estimate = Field(description="(W - L)/n with the interval consistent with sign_test.")
    sign_test: SignTest
    effect: Effect | None = Field(default=None, description="The interval read against the margin.")
    power: Power | None = None
    failed_bounds: FailedBounds | None = Field(
        default=None, description="The result if the failed pairs had all gone one way (None: none failed)."
    )
    problems: list[Problem] = Field(
        default_factory=list, description="Statistics that failed to compute; the verdicts are kept."
    )
    position_bias: PositionBias | None = None
    judge_reliability: JudgeReliability | None = Field(
        default=None, description="Can this judge be trusted here: the plain verdict and its figures."
    )
    verification: Verification | None = Field(
        default=None, description="Verified accuracy, judge vs truth, degeneration (from the checks)."
    )
    confidence: dict[str, int] = Field(default_factory=dict, description="high/medium/low -> count.")
    per_category: list[CategorySummary] = Field(default_factory=list)
    usage: UsageSummary = Field(default_factory=UsageSummary)
    run: RunState | None = Field(default=None, description="judge run only: finished or not, and why.")
    conclusion: str = Field(description="The answer in plain words, with what the data does not show.")
    notes: RunNotes | None = Field(default=None, description="Screens, outputs cut for the judge, batch.")
    imported: ImportedFile | None = Field(
        default=None, description="An imported verdict file only: its source and the tool's own numbers."
    )
    extras: dict[str, Any] = Field(default_factory=dict, description="What users add (perplexity, ...).")


def _upgrade_sign_test(test: dict[str, Any]) -> dict[str, Any]:
    test = {k: v for k, v in test.items() if k not in ("pairs_for_power", "power_target")}
    if test.get("pvalue_holm") is not None:  # v1 decided per category on the Holm p
        test["significant_holm"] = test["significant"]
        test["significant"] = test["pvalue"] is not None and test["pvalue"] < test.get("alpha", 0.05)
    return test


def _upgrade_import(data: dict[str, Any]) -> dict[str, Any]:
    """Versions 1-3 kept an imported file's facts in extras["import"] and extras["alpaca_eval"]."""
    extras = data.get("extras")
    if not isinstance(extras, dict) or not {"import", "alpaca_eval"} & extras.keys():
        return data
    extras = dict(extras)
    info, theirs = extras.pop("import", None) or {}, extras.pop("alpaca_eval", None)
    counts: dict[str, Any] = data["counts"] if isinstance(data.get("counts"), dict) else {}
    failed = int(counts.get("failed", 0))
    rows = sum(int(counts.get(k, 0)) for k in ("win", "tie", "loss")) + failed
    imported = {
        "tool": "alpaca_eval" if theirs is not None else "verdict file",
        "file": str(info.get("file", data.get("run_id", ""))),
        "rows": int(info.get("rows", rows)),
        "skipped": failed,
        "position_recorded": bool(info.get("position_recorded", False)),
        "alpaca_eval": theirs,
    }
    return {**data, "extras": extras, "imported": imported}


def load_summary(raw: str | bytes) -> Summary:
    """Read a ``summary.json``, upgrading an older schema's file to the current records.

    Versions 1-3 kept an imported file's facts in ``extras``; they move to ``imported``. Version 2
    kept the checks' findings in ``extras`` (they are still shown from there). Version 1 kept
    power inside the sign test and decided per-category significance on the Holm p-value; those
    fields move (power is left out: it was for the observed split).

    Raises:
        pydantic.ValidationError: not a summary.
    """
    try:
        data = json.loads(raw)
    except ValueError:
        return Summary.model_validate_json(raw)  # raises the ValidationError that names the problem
    if not isinstance(data, dict) or data.get("schema_version") not in (1, 2, 3):
        return Summary.model_validate(data)
    old, data = data["schema_version"], {**_upgrade_import(data), "schema_version": SCHEMA_VERSION}
    if old == 1:
        if isinstance(data.get("sign_test"), dict):
            data["sign_test"] = _upgrade_sign_test(data["sign_test"])
        for cat in data.get("per_category") or []:
            if isinstance(cat, dict) and isinstance(cat.get("sign_test"), dict):
                cat["sign_test"] = _upgrade_sign_test(cat["sign_test"])
    return Summary.model_validate(data)
