"""The schema of a several-models run's ``summary.json`` (``"kind": "several"``).

A run of several models is a set of *pairings* judged together (their comparisons mixed in the same
judge calls). Each pairing is a complete two-model result (:class:`~judge.summary.Summary`, also
written to ``pairings/<candidate>-vs-<other>/summary.json``); this record adds what only the whole
design can say: the decisions corrected for comparing several models, Bradley-Terry ratings with
intervals that respect the clustering, ranks with their uncertainty, the pairwise win-rate matrix,
per-category ranking and, for checkpoints of one training run, the curve and the best step.
Records only (no judge imports).
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field

from judge.summary import SCHEMA_VERSION, RunState, Summary, UsageSummary
from judge.summary_base import Estimate, Part, Rate
from judge.summary_judge import ReliabilityVerdict

__all__ = [
    "CategoryRanking",
    "CheckpointPoint",
    "Checkpoints",
    "JudgeTrust",
    "MatrixCell",
    "ModelEntry",
    "ModelVerified",
    "PairingResult",
    "Rating",
    "SeveralSummary",
    "is_several",
]


class ModelEntry(Part):
    """One model of the run."""

    key: str = Field(description="Its [models.<key>] in the config.")
    name: str = Field(description="Its display name.")
    source: str = Field(description="Where its outputs came from: file, openai, hf or bundled.")
    step: int | None = Field(default=None, description="Training step, for checkpoints.")
    baseline: bool = False


class PairingResult(Part):
    """One pairing: the candidate judged against the other model, with the full two-model result."""

    name: str = Field(description="<candidate>-vs-<other>, its folder under pairings/.")
    candidate: str = Field(description="Model key on the fine-tuned side of the pairing's result.")
    other: str = Field(description="Model key on the base side.")
    vs_baseline: bool = Field(description="The other model is the baseline.")
    summary: Summary = Field(description="The pairing's two-model result, from the candidate's side.")
    pvalue_holm: float | None = Field(
        default=None,
        description="vs-baseline pairings: the sign test's p-value, Holm-adjusted across the models "
        "compared with the baseline.",
    )
    significant_holm: bool | None = Field(default=None, description="pvalue_holm < alpha.")


class Rating(Part):
    """One model's Bradley-Terry rating and rank."""

    model: str
    rating: float = Field(description="Log-strength, centred to mean 0 (a difference of 1: odds e to 1).")
    se: float | None = Field(description="Cluster-robust standard error of the rating.")
    ci_low: float | None
    ci_high: float | None
    rank: int = Field(description="Rank by rating, 1 = best.")
    rank_best: int = Field(description="Best rank the intervals allow: 1 + the models clearly better.")
    rank_worst: int = Field(description="Worst rank the intervals allow: K - the models clearly worse.")
    p_best: float | None = Field(default=None, description="Probability of having the highest rating.")
    verdicts: int = Field(description="Comparisons this model took part in.")


class MatrixCell(Part):
    """Observed preference of ``row`` over ``col``: (wins + ties/2) / comparisons, row's side."""

    row: str
    col: str
    preference: float | None
    ci_low: float | None = Field(default=None, description="Cluster-aware Wilson interval of the preference.")
    ci_high: float | None = None
    comparisons: int


class CategoryRanking(Part):
    """Ratings within one category (None with a note when they cannot be fitted there)."""

    category: str
    ratings: list[Rating] | None = None
    note: str | None = None


class CheckpointPoint(Part):
    """One checkpoint on the curve: its preference against the baseline."""

    model: str
    step: int
    preference: Estimate | None = Field(description="None for the baseline itself (it is the 50 % line).")
    rating: float
    ci_low: float | None
    ci_high: float | None


class Checkpoints(Part):
    """The curve over training steps and the best step, with how sure we are."""

    points: list[CheckpointPoint]
    best_model: str
    best_step: int
    p_best: float | None = Field(description="Probability the best step has the highest rating.")
    not_distinguishable: list[int] = Field(
        default_factory=list,
        description="Other steps whose rating the simultaneous intervals cannot tell from the best's.",
    )


class ModelVerified(Part):
    """One model's execution-verified accuracy (where the prompts carry a checkable answer)."""

    model: str
    accuracy: Rate


class JudgeTrust(Part):
    """The judge measured over the whole design: its verdict per pairing and judge vs truth pooled."""

    verdicts: dict[str, ReliabilityVerdict] = Field(
        description="pairing -> the plain verdict on the judge there."
    )
    picked_correct: Rate | None = Field(
        default=None,
        description="Comparisons where exactly one side was verified correct: how often the judge chose it "
        "(pooled over the pairings).",
    )
    judge_saw_evidence: bool = False


class SeveralSummary(Part):
    """Everything a several-models run concluded."""

    schema_version: int = SCHEMA_VERSION
    kind: Literal["several"] = "several"
    run_id: str
    created: str = Field(description="ISO 8601 UTC time the summary was written.")
    baseline: str = Field(description="The model every other is compared with.")
    design: Literal["vs-baseline", "all-pairs"]
    models: list[ModelEntry]
    judge: dict[str, str] = Field(description="model, base_url (redacted), evidence shown or not.")
    alpha: float = 0.05
    pairings: list[PairingResult]
    ratings: list[Rating] | None = Field(
        default=None, description="Best first; None when the comparisons do not connect the models."
    )
    ratings_method: str = Field(default="", description="How the ratings and their intervals were computed.")
    ratings_note: str | None = None
    matrix: list[MatrixCell] = Field(default_factory=list)
    per_category: list[CategoryRanking] = Field(default_factory=list)
    checkpoints: Checkpoints | None = None
    verified: list[ModelVerified] = Field(
        default_factory=list, description="Execution-verified accuracy per model, most accurate first."
    )
    judge_trust: JudgeTrust | None = None
    usage: UsageSummary = Field(default_factory=UsageSummary)
    run: RunState | None = None
    conclusion: str = Field(
        description="The answer in plain words: which models beat the baseline, the order."
    )

    def pairing(self, candidate: str, other: str | None = None) -> PairingResult:
        """The pairing of ``candidate`` against ``other`` (default: the baseline).

        Raises:
            KeyError: no such pairing in this run.
        """
        other = other or self.baseline
        for p in self.pairings:
            if (p.candidate, p.other) == (candidate, other):
                return p
        raise KeyError(f"no pairing {candidate}-vs-{other}: {', '.join(p.name for p in self.pairings)}")


def is_several(raw: str | bytes) -> bool:
    """Whether a summary.json text is a several-models summary."""
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("kind") == "several"
