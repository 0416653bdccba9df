"""The run's inference from its outcomes: one decision, its intervals, the effect, power, bounds.

Everything here reads a table of outcomes (one row per prompt: status, result, cluster) and
returns the records of :mod:`judge.summary`. The decision, the net win rate's interval and the
preference's interval all come from :func:`judge.stats.net_win_summary`, so the words can never
find "not significant" beside an interval that excludes 50 %. Aggregation calls these through a
guard: a failure here is reported in ``Summary.problems`` and never loses a paid run.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from judge import stats
from judge.config import StatsOptions
from judge.summary import (
    Counts,
    Effect,
    EffectVerdict,
    Estimate,
    FailedBound,
    FailedBounds,
    Power,
    Rate,
    SignTest,
)

__all__ = [
    "MIN_PAIRS_FOR_PLANNING",
    "clustered",
    "effect",
    "estimates",
    "failed_bounds",
    "holm_update",
    "power",
    "rate",
    "sign_test",
]

# Fewer judged pairs than this and the tie share and design effect are too noisy to plan from.
MIN_PAIRS_FOR_PLANNING = 30

_SIGN = {"win": 1.0, "tie": 0.0, "loss": -1.0}


def clustered(df: pd.DataFrame, alpha: float) -> stats.ClusteredResult | None:
    """The clustered decision and interval for the judged rows of ``df`` (None when none)."""
    judged = df[df.status != "failed"]
    if judged.empty:
        return None
    results = judged.result.map(_SIGN).to_numpy(dtype=float)
    counts = stats.ClusterCounts.from_results(results, judged.cluster.astype(str).to_numpy())
    return stats.net_win_summary(counts, alpha=alpha)


def rate(df: pd.DataFrame, result: str, level: float) -> Rate:
    """Share of judged pairs with ``result``, with a Wilson interval that counts judge calls as units."""
    judged = df[df.status != "failed"]
    hits = (judged.result == result).to_numpy(dtype=float)
    n, k = int(hits.size), int(hits.sum())
    if n == 0:
        return Rate(k=0, n=0, estimate=None, ci_low=None, ci_high=None, level=level, method="wilson")
    ci = stats.clustered_rate(hits, judged.cluster.astype(str).to_numpy(), level=level)
    return Rate(k=k, n=n, estimate=k / n, ci_low=ci.low, ci_high=ci.high, level=level, method=ci.method)


def _unit(res: stats.ClusteredResult) -> str:
    if res.clusters == res.n:
        return "each verdict its own cluster (no shared judge calls)"
    return f"clustered by judge call ({res.clusters} independent calls or groups)"


def estimates(res: stats.ClusteredResult | None, alpha: float) -> tuple[Estimate, Estimate]:
    """(preference, net win rate), both with the decision's interval and a clustered SE."""
    level = 1 - alpha
    if res is None:
        empty = Estimate(estimate=None, se=None, ci_low=None, ci_high=None, level=level, method="no verdicts")
        return empty, empty
    se = None if math.isnan(res.standard_error) else res.standard_error
    how = f"score interval (Tango), {_unit(res)}; the same procedure as the sign test"
    est, low, high = res.preference
    pref = Estimate(
        estimate=est,
        se=None if se is None else se / 2,
        ci_low=low,
        ci_high=high,
        level=level,
        method=f"(W + T/2)/n = (1 + net)/2; {how}",
    )
    net = Estimate(
        estimate=res.net,
        se=se,
        ci_low=res.ci.low,
        ci_high=res.ci.high,
        level=level,
        method=f"(W - L)/n; {how}",
    )
    return pref, net


def sign_test(counts: Counts, res: stats.ClusteredResult | None, alpha: float) -> SignTest:
    """The decision as a record."""
    if res is None or math.isnan(res.test.pvalue):
        return SignTest(wins=counts.win, losses=counts.loss, pvalue=None, alpha=alpha, significant=False)
    return SignTest(
        wins=counts.win,
        losses=counts.loss,
        pvalue=float(res.test.pvalue),
        alpha=alpha,
        significant=res.significant,
        method=res.test.method,
        design_effect=res.design_effect,
        clusters=res.clusters,
    )


def _verdict(low: float, high: float, significant: bool, margin: float) -> EffectVerdict:
    inside = -margin < low and high < margin
    if significant:
        side = "better" if low > 0 else "worse"
        return f"{side}_but_negligible" if inside else side  # type: ignore[return-value]
    if inside:
        return "equivalent"
    return "non_inferior" if low > -margin else "inconclusive"


def effect(res: stats.ClusteredResult | None, margin: float) -> Effect:
    """The interval read against the margin (the same interval the report prints)."""
    if res is None or res.n == 0:
        return Effect(
            margin=margin, verdict="no_data", non_inferior=False, equivalent=False, negligible=False
        )
    low, high = res.ci.low, res.ci.high
    inside = -margin < low and high < margin
    return Effect(
        margin=margin,
        level=res.ci.level,
        verdict=_verdict(low, high, res.significant, margin),
        non_inferior=low > -margin,
        equivalent=inside,
        negligible=res.significant and inside,
    )


def power(counts: Counts, res: stats.ClusteredResult | None, opts: StatsOptions) -> Power:
    """Pairs needed for the margin at the target power, with this run's ties and design effect.

    ``pairs_needed`` is None with too few pairs or a margin the ties make impossible; the narrator
    says which in ``note`` (:func:`judge.reporting.narrator.power_note`, filled by ``summarize``).
    """
    plan = Power(
        effect=opts.margin,
        power=opts.power,
        alpha=opts.alpha,
        min_pairs=MIN_PAIRS_FOR_PLANNING,
        tie_share=None,
        design_effect=1.0,
        pairs_needed=None,
    )
    if res is None or counts.n < MIN_PAIRS_FOR_PLANNING:
        return plan
    ties = counts.tie / counts.n
    design = max(1.0, res.design_effect)
    decisive = 1 - ties
    plan = plan.model_copy(update={"tie_share": ties, "design_effect": design})
    if opts.margin >= decisive:
        return plan
    p_win, p_loss = (decisive + opts.margin) / 2, (decisive - opts.margin) / 2
    observed = None
    if counts.win != counts.loss:
        observed = stats.pairs_for_power(
            counts.win / counts.n, counts.loss / counts.n, power=opts.power, alpha=opts.alpha, design=design
        )
    mde = stats.minimum_detectable_effect(
        max(1, int(counts.n / design)), p_tie=ties, power=opts.power, alpha=opts.alpha
    )
    return plan.model_copy(
        update={
            "pairs_needed": stats.pairs_for_power(
                p_win, p_loss, power=opts.power, alpha=opts.alpha, design=design
            ),
            "pairs_for_observed": observed,
            "detectable_effect": None if math.isnan(mde) else mde,
        }
    )


def failed_bounds(df: pd.DataFrame, alpha: float) -> FailedBounds | None:
    """The decision and interval if every failed pair had gone to the base, and to the fine-tune."""
    failed = int((df.status == "failed").sum())
    if failed == 0:
        return None

    def bound(result: str) -> FailedBound:
        filled = df.assign(
            result=np.where(df.status == "failed", result, df.result),
            status=np.where(df.status == "failed", "judged", df.status),
        )
        res = clustered(filled, alpha)
        assert res is not None  # at least the failed rows are judged now
        p = None if math.isnan(res.test.pvalue) else float(res.test.pvalue)
        return FailedBound(
            net=res.net, ci_low=res.ci.low, ci_high=res.ci.high, pvalue=p, significant=res.significant
        )

    return FailedBounds(failed=failed, all_to_base=bound("loss"), all_to_finetuned=bound("win"))


def holm_update(tests: list[SignTest]) -> list[SignTest]:
    """Add Holm-adjusted p-values across categories (``significant`` itself stays unadjusted)."""
    valid = [i for i, t in enumerate(tests) if t.pvalue is not None]
    if not valid:
        return tests
    adjusted = stats.holm(np.array([tests[i].pvalue for i in valid], dtype=float))
    out = list(tests)
    for i, adj in zip(valid, adjusted, strict=True):
        alpha = tests[i].alpha
        out[i] = tests[i].model_copy(
            update={"pvalue_holm": float(adj), "significant_holm": bool(adj < alpha)}
        )
    return out
