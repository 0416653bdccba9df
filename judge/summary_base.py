"""Records shared by the summary's sections: a proportion, an estimate, position bias.

Kept apart so that :mod:`judge.summary` and :mod:`judge.summary_judge` both build on them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Estimate", "Part", "PositionBias", "Rate"]


class Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rate(Part):
    """A proportion k/n with its confidence interval."""

    k: int
    n: int
    estimate: float | None = Field(description="k/n, or None when n is 0.")
    ci_low: float | None
    ci_high: float | None
    level: float = 0.95
    method: str = "wilson"


class Estimate(Part):
    """A point estimate with standard error and interval (e.g. preference)."""

    estimate: float | None
    se: float | None = Field(
        description="Standard error, cluster-robust by judge call (CR1); with one verdict per cluster "
        "std(ddof=1)/sqrt(n). None when it cannot be estimated (fewer than 2 clusters)."
    )
    ci_low: float | None
    ci_high: float | None
    level: float = 0.95
    method: str = Field(description="How the interval was computed, in words.")


class PositionBias(Part):
    """How often the judge chose label A, among its non-tie verdicts (0.5 = no bias)."""

    share_a: Rate
    consistency: Rate | None = Field(
        default=None, description="both_orders only: share of items whose two verdicts agreed."
    )
