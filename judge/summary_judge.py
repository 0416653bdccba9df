"""The summary's typed findings about the judge and the checks: ``Summary.judge_reliability`` and
``Summary.verification`` (records, no judge imports; re-exported by :mod:`judge.summary`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from judge.summary_base import Estimate, Part, PositionBias, Rate

__all__ = [
    "Agreement",
    "BatchNotes",
    "CutNotes",
    "JudgeReliability",
    "LengthBias",
    "ModelAccuracy",
    "RationaleCheck",
    "ReliabilityVerdict",
    "RunNotes",
    "ScreenNotes",
    "SlotEffect",
    "SlotShare",
    "TruthCheck",
    "Verification",
]


class ModelAccuracy(Part):
    """Each model's execution-verified accuracy and McNemar's exact test between them."""

    finetuned: Rate
    base: Rate
    only_finetuned_right: int = Field(description="McNemar b: items only the fine-tune got right.")
    only_base_right: int = Field(description="McNemar c: items only the base got right.")
    n_paired: int = Field(description="Items verified for both sides.")
    mcnemar_pvalue: float | None = Field(description="Exact McNemar p (None without discordant items).")


class TruthCheck(Part):
    """How often the judge picked the verified-correct side where exactly one side was correct."""

    picked_correct: Rate
    ties: int = 0
    both_correct: int = 0
    neither_correct: int = 0
    unverified: int = 0
    not_judged: int = 0
    judge_saw_evidence: bool = Field(
        default=False, description="The judge was shown the checks' facts ([judge] evidence)."
    )


class Verification(Part):
    """What execution and the checks say, regardless of any judge."""

    accuracy: ModelAccuracy | None = None
    judge_vs_truth: TruthCheck | None = None
    degeneration: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="role -> degeneration label -> outputs."
    )


class SlotShare(Part):
    """Verdicts given to comparisons at one slot (1 = first) of their judge call."""

    slot: int
    n: int
    preference: float | None = Field(description="Fine-tune's share, ties half (un-blinded).")
    share_a: Rate = Field(description="Share of decisive verdicts for label A at this slot.")


class SlotEffect(Part):
    """Does a comparison's place in the batch change its verdict? Chi-square of A/B/tie by slot."""

    slots: list[SlotShare]
    statistic: float | None = None
    pvalue: float | None = Field(description="Test of no slot effect (None: too few verdicts).")
    first_vs_rest: float | None = Field(
        default=None, description="Slot 1's share of label A minus the other slots' (decisive verdicts)."
    )


class LengthBias(Part):
    """How often the judge prefers the longer output, and the preference with length held equal."""

    prefers_longer: Rate = Field(description="Decisive verdicts with unequal lengths won by the longer.")
    slope: float | None = Field(
        default=None, description="Logistic slope of 'fine-tune wins' on the log length ratio (ft/base)."
    )
    slope_pvalue: float | None = None
    raw_preference: float | None = Field(default=None, description="Fine-tune's share of decisive verdicts.")
    length_controlled: Estimate | None = Field(
        default=None, description="Fitted share at equal length (logistic regression on this run alone)."
    )


class Agreement(Part):
    """Verdicts of the same blind pairs judged twice: agreement and Cohen's kappa (A/B/tie)."""

    n: int
    agree: Rate
    kappa: float | None
    first: Estimate | None = Field(default=None, description="Fine-tune preference from the run's verdicts.")
    second: Estimate | None = Field(default=None, description="... and from the re-judged ones.")
    calls: int = Field(default=0, description="Extra judge calls this sample cost.")
    prompt_tokens: int = 0
    completion_tokens: int = 0


class RationaleCheck(Part):
    """Verdicts whose per-criterion majority names the other side than the winner."""

    checked: int = Field(description="Decisive verdicts with a criteria majority.")
    contradicting: int
    pair_ids: list[str] = Field(default_factory=list, description="Blind pair ids (flagged in the audit).")


ReliabilityVerdict = Literal["reliable here", "use with care", "not trustworthy here", "not measured"]


class JudgeReliability(Part):
    """Can this judge be trusted on this run? Measured from the run's own verdicts (+ small samples)."""

    verdict: ReliabilityVerdict
    reasons: list[str] = Field(default_factory=list, description="The numbers behind the verdict.")
    position: PositionBias | None = None
    slots: SlotEffect | None = None
    length: LengthBias | None = None
    self_consistency: Agreement | None = Field(default=None, description="Re-judged in new batches.")
    batched_vs_single: Agreement | None = Field(default=None, description="Re-judged one per call.")
    rationale: RationaleCheck | None = None
    truth: TruthCheck | None = None


class ScreenNotes(Part):
    """What the screens flagged before judging."""

    injection_flagged: int = Field(default=0, description="Outputs flagged as injection (judged alone).")
    programs_not_run: int = Field(default=0, description="Procedural checks not run (no sandbox).")
    not_run_reason: str | None = None


class CutNotes(Part):
    """Outputs longer than ``[judge] max_output_chars``, cut for the judge (whole in generations.jsonl)."""

    count: int
    outputs: str = Field(description="Which (item id and role), the first 20.")
    limit: int = Field(description="Characters the judge was shown.")


class BatchNotes(Part):
    """What the OpenAI Batch API did in this run (``[judge] mode = "batch"``)."""

    batch_ids: list[str] = Field(default_factory=list)
    created: int = Field(default=0, description="Batches this invocation created (0: it resumed one).")
    answered: int = 0
    failed_then_reasked: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = Field(default=None, description="At the batch price.")
    price_factor: float = Field(default=0.5, description="Batch price as a share of the list price.")


class RunNotes(Part):
    """What the run itself did beyond judging: screens, cut outputs, batch mode. None: nothing to note."""

    screen: ScreenNotes | None = None
    outputs_cut: CutNotes | None = None
    batch: BatchNotes | None = None
