"""Pydantic records that cross stage boundaries.

Every stage hands one of these to the next through the run folder; they import nothing from
`judge` but the check findings (:mod:`judge.findings`, also records). Vocabulary used throughout:

* *blind label*: ``"A"`` or ``"B"``, the only names the judge ever sees.
* *model role*: ``"finetuned"`` (the candidate) or ``"base"`` (the baseline). Statistics are
  always from the fine-tuned side: a *win* means the fine-tuned output was preferred.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from judge.findings import Checks

__all__ = [
    "ROLES",
    "AuditRow",
    "BlindKey",
    "BlindPair",
    "Confidence",
    "Generation",
    "Judgment",
    "Outcome",
    "OutcomeStatus",
    "PromptItem",
    "Result",
    "Role",
    "Usage",
    "Verdict",
    "Winner",
]

Winner = Literal["A", "B", "tie"]
"""A blind verdict: which label the judge preferred."""

Confidence = Literal["high", "medium", "low"]
"""The judge's stated confidence in one verdict."""

Role = Literal["finetuned", "base"]
"""Which side of the comparison a model is on."""

ROLES: tuple[Role, Role] = ("finetuned", "base")
"""Both roles, in the order outputs are listed and stored."""

Result = Literal["win", "loss", "tie"]
"""An un-blinded verdict from the fine-tuned model's side."""

OutcomeStatus = Literal["judged", "failed", "decided_by_check"]
"""``judged``: the judge gave a valid verdict; ``failed``: no valid verdict after the retry
budget (never counted as a loss); ``decided_by_check``: a check (e.g. one side degenerate)
decided the pair without a judge call."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PromptItem(_Record):
    """One prompt of the prompt set."""

    id: str = Field(description="Unique id within the prompt set.")
    prompt: str = Field(description="The text given to both models.")
    reference: str | None = Field(default=None, description="Optional reference answer.")
    category: str = Field(default="all", description="Group for per-category statistics.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Free-form extras.")


class Generation(_Record):
    """One model's output for one prompt."""

    item_id: str = Field(description="PromptItem.id this output answers.")
    role: Role = Field(description="Which side produced it.")
    output: str = Field(description="The model's text, verbatim.")
    model: str = Field(default="", description="Human name of the model (never sent to the judge).")
    checks: Checks = Field(
        default_factory=Checks, description="What the checks found: degeneration, execution, tool call."
    )


class BlindPair(_Record):
    """What the judge may see of one comparison: no model names, no item id."""

    pair_id: str = Field(description="Opaque id, derived from (run seed, item id, round) by a keyed hash.")
    prompt: str
    reference: str | None = None
    output_a: str
    output_b: str
    evidence_a: str | None = Field(
        default=None, description="Facts the checks verified on response A ([judge] evidence), in words."
    )
    evidence_b: str | None = Field(default=None, description="The same for response B.")


class BlindKey(_Record):
    """The secret half of a BlindPair: which role sits behind label A. Read only when un-blinding."""

    pair_id: str
    item_id: str
    round: int = Field(description="0, or 1 for the position-swapped copy under both_orders.")
    a_role: Role = Field(description="Role whose output was shown as A.")


class Usage(_Record):
    """Tokens billed for one call (summed per run by the client)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Verdict(_Record):
    """One blind verdict as the judge returned it, validated."""

    id: str = Field(description="The opaque pair id the judge was given.")
    winner: Winner
    confidence: Confidence
    criteria: dict[str, Winner] = Field(default_factory=dict, description="Preference per criterion.")
    rationale: str = ""


class Judgment(_Record):
    """The stored result of judging one blind pair (valid verdict or recorded failure)."""

    pair_id: str
    status: Literal["ok", "failed"]
    verdict: Verdict | None = None
    reason: str | None = Field(default=None, description="Why it failed, when it did.")
    call_id: str | None = Field(default=None, description="Ledger key of the call that produced the verdict.")
    attempts: int = Field(default=1, description="Number of judge calls that included this pair.")


class Outcome(_Record):
    """One prompt's un-blinded result, from the fine-tuned model's side."""

    item_id: str
    category: str
    status: OutcomeStatus
    result: Result | None = Field(default=None, description="None unless status is judged/decided_by_check.")
    finetuned_label: Literal["A", "B"] | None = Field(
        default=None, description="Label the fine-tune had (round 0)."
    )
    judge_label: Winner | None = Field(default=None, description="Blind label the judge chose (round 0).")
    confidence: Confidence | None = None
    criteria: dict[str, Result] = Field(default_factory=dict)
    rationale: str = ""
    cluster: str = Field(default="", description="Judge call id(s) for clustered resampling.")
    position_consistent: bool | None = Field(
        default=None, description="both_orders only: did the swap agree?"
    )
    reason: str | None = None


class AuditRow(_Record):
    """One judged comparison as the audit shows it: what the judge saw, what it said, and the key.

    One row per (item, round); written to ``audit.jsonl`` in the run folder. The report keeps
    ``a_role`` hidden until the reader asks to reveal it.
    """

    item_id: str
    category: str
    round: int = 0
    pair_id: str
    prompt: str
    reference: str | None = None
    output_a: str
    output_b: str
    a_role: Role = Field(description="Role whose output was shown as A.")
    status: OutcomeStatus
    judge_label: Winner | None = Field(default=None, description="Blind label the judge chose.")
    result: Result | None = Field(default=None, description="Un-blinded, fine-tuned side.")
    confidence: Confidence | None = None
    criteria: dict[str, Winner] = Field(default_factory=dict, description="Blind per-criterion preferences.")
    rationale: str = ""
    raw_reply: str = Field(
        default="", description="The judge's raw reply text for the call holding this pair."
    )
    reason: str | None = Field(default=None, description="Failure or check reason.")
    position_consistent: bool | None = None
    checks: dict[Role, Checks] = Field(default_factory=dict, description="role -> that side's checks.")
