"""Several models: what the whole design says beyond each pairing's two-model result.

Inputs are each pairing's own :class:`~judge.summary.Summary` and outcomes (the real two-model
aggregation, run once per pairing). From them:

* **decisions corrected for several models**: the vs-baseline sign tests' p-values, Holm-adjusted
  across the models compared with the baseline (family-wise error <= alpha under any dependence);
* **Bradley-Terry ratings** from every verdict of every pairing (a tie is half a win), with
  cluster-robust intervals. The cluster is the *group of items* the mixed batches judged together
  (:func:`judge.judging.blind.mixed_batches`): found here as the connected parts of the graph that
  links each item to the judge calls that judged it, so it also holds for imported or resumed runs;
* **ranks with their uncertainty** (best rank = 1 + models clearly better, worst = K - clearly worse),
  the chance of being best, the pairwise win-rate matrix, the ranking per category;
* **checkpoints** (models with a ``step``): the preference against the baseline by step and the best
  step with the chance that it is best and the steps that cannot be told from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from judge import stats
from judge.aggregation.aggregate import _rate as wilson
from judge.config import Pairing, RunConfig
from judge.records import Outcome
from judge.summary import Rate, RunState, Summary, UsageSummary
from judge.summary_several import (
    CategoryRanking,
    CheckpointPoint,
    Checkpoints,
    JudgeTrust,
    MatrixCell,
    ModelEntry,
    ModelVerified,
    PairingResult,
    Rating,
    SeveralSummary,
)

__all__ = ["PairingOutcome", "clusters_of", "summarize_several"]

PairingOutcome = tuple[Pairing, Summary, list[Outcome]]
"""One pairing's result: the pairing, its two-model summary and its outcomes."""

_SCORE = {"win": 1.0, "tie": 0.5, "loss": 0.0}
_METHOD = (
    "Bradley-Terry maximum likelihood (a tie is half a win); {level:.0f} % intervals cluster-robust (CR1, "
    "t on clusters - 1 degrees of freedom), the cluster being a group of prompts judged together; a model "
    "is clearly better than another when their difference's simultaneous interval excludes 0"
)


def clusters_of(outcomes: Sequence[Outcome]) -> list[str]:
    """A cluster label per outcome: the connected part of the item-call graph holding its item.

    Two outcomes share a cluster when their items were judged in a common call, directly or through
    other items (union-find over items and the call ids in ``Outcome.cluster``).
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for o in outcomes:
        item = find(f"item:{o.item_id}")
        for call in filter(None, o.cluster.split("+")):
            parent[find(f"call:{call}")] = item
    return [find(f"item:{o.item_id}") for o in outcomes]


Verdict = tuple[str, str, float, str, str]
"""One decided comparison: candidate, other, score (1 win, 0.5 tie, 0 loss), cluster, category."""


def _verdicts(results: Sequence[PairingOutcome]) -> list[Verdict]:
    """Every decided comparison of every pairing, with its cluster (found once, over all outcomes)."""
    every = [o for _, _, outcomes in results for o in outcomes]
    clusters = iter(clusters_of(every))
    rows = []
    for pairing, _, outcomes in results:
        for o in outcomes:
            cluster = next(clusters)  # in the order of ``every``
            if o.result is not None:
                rows.append((pairing.candidate, pairing.other, _SCORE[o.result], cluster, o.category))
    return rows


def _ratings(
    verdicts: Sequence[Verdict], level: float, seed: int
) -> tuple[list[Rating], stats.BradleyTerryResult]:
    """Ratings, best first, with cluster-robust intervals, rank ranges and P(best).

    Raises:
        ValueError: no verdicts, fewer clusters than models, or verdicts that do not connect the models.
    """
    if not verdicts:
        raise ValueError("no verdicts")
    first, second, scores, clusters, _ = (list(column) for column in zip(*verdicts, strict=True))
    fit = stats.bradley_terry(first, second, scores, clusters=clusters, level=level, seed=seed)
    rows = []
    for i in np.argsort(-fit.rating, kind="stable"):
        rows.append(
            Rating(
                model=fit.systems[i],
                rating=float(fit.rating[i]),
                se=_finite(fit.standard_error[i]),
                ci_low=_finite(fit.ci_low[i]),
                ci_high=_finite(fit.ci_high[i]),
                rank=int(fit.rank[i]),
                rank_best=int(fit.rank_best[i]),
                rank_worst=int(fit.rank_worst[i]),
                p_best=_finite(fit.prob_best[i]),
                verdicts=int(fit.comparisons[i].sum()),
            )
        )
    return rows, fit


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _matrix(fit: stats.BradleyTerryResult, order: list[str]) -> list[MatrixCell]:
    index = {s: i for i, s in enumerate(fit.systems)}
    cells = []
    for row in order:
        for col in order:
            if row == col or row not in index or col not in index:
                continue
            i, j = index[row], index[col]
            n = int(fit.comparisons[i, j])
            cells.append(
                MatrixCell(
                    row=row,
                    col=col,
                    preference=None if n == 0 else float(fit.win_rate[i, j]),
                    ci_low=None if n == 0 else _finite(fit.win_low[i, j]),
                    ci_high=None if n == 0 else _finite(fit.win_high[i, j]),
                    comparisons=n,
                )
            )
    return cells


def _holm(pairings: list[PairingResult], alpha: float) -> list[PairingResult]:
    family = [i for i, p in enumerate(pairings) if p.vs_baseline and p.summary.sign_test.pvalue is not None]
    if not family:
        return pairings
    adjusted = stats.holm(np.array([pairings[i].summary.sign_test.pvalue for i in family], dtype=float))
    out = list(pairings)
    for i, p in zip(family, adjusted, strict=True):
        out[i] = out[i].model_copy(update={"pvalue_holm": float(p), "significant_holm": bool(p < alpha)})
    return out


def _checkpoints(
    config: RunConfig, pairings: list[PairingResult], ratings: list[Rating], fit: stats.BradleyTerryResult
) -> Checkpoints | None:
    steps = {k: spec.step for k, spec in config.models.items() if spec.step is not None}
    by_model = {r.model: r for r in ratings}
    steps = {k: v for k, v in steps.items() if k in by_model}
    if len(steps) < 2:
        return None
    vs_base = {p.candidate: p for p in pairings if p.vs_baseline}
    points = [
        CheckpointPoint(
            model=key,
            step=step,
            preference=vs_base[key].summary.preference if key in vs_base else None,
            rating=by_model[key].rating,
            ci_low=by_model[key].ci_low,
            ci_high=by_model[key].ci_high,
        )
        for key, step in sorted(steps.items(), key=lambda kv: kv[1])
    ]
    best = fit.best_among([p.model for p in points])
    chance = dict(zip(best.systems, best.prob_best, strict=True))
    return Checkpoints(
        points=points,
        best_model=best.best,
        best_step=steps[best.best],
        p_best=_finite(chance[best.best]),
        not_distinguishable=sorted(steps[m] for m in best.indistinguishable if m != best.best),
    )


def _verified(pairings: list[PairingResult]) -> list[ModelVerified]:
    """Each model's verified accuracy, read from the pairings it is in (the same outputs in each)."""
    found: dict[str, Rate] = {}
    for p in pairings:
        acc = p.summary.verification.accuracy if p.summary.verification else None
        if acc is not None:
            found.setdefault(p.candidate, acc.finetuned)
            found.setdefault(p.other, acc.base)
    rows = [ModelVerified(model=m, accuracy=r) for m, r in found.items()]
    return sorted(rows, key=lambda v: -(v.accuracy.estimate or 0.0))


def _trust(pairings: list[PairingResult], level: float) -> JudgeTrust | None:
    verdicts = {p.name: p.summary.judge_reliability.verdict for p in pairings if p.summary.judge_reliability}
    truths = [
        t
        for p in pairings
        if p.summary.verification and (t := p.summary.verification.judge_vs_truth) is not None
    ]
    if not verdicts and not truths:
        return None
    picked = None
    if truths:
        picked = wilson(
            sum(t.picked_correct.k for t in truths), sum(t.picked_correct.n for t in truths), level
        )
    return JudgeTrust(
        verdicts=verdicts, picked_correct=picked, judge_saw_evidence=any(t.judge_saw_evidence for t in truths)
    )


def summarize_several(
    config: RunConfig,
    results: Sequence[PairingOutcome],
    *,
    judge: dict[str, str],
    usage: UsageSummary,
    state: RunState | None,
) -> SeveralSummary:
    """The several-models summary from each pairing's real two-model result.

    Args:
        config: the run config (models, baseline, design, stats options).
        results: each pairing with its summary and outcomes.
        judge: the judge as the summary names it.
        usage: the whole run's tokens and cost.
        state: whether every comparison has a verdict.
    """
    opts, base = config.stats, config.baseline_key
    models = [
        ModelEntry(key=k, name=spec.name, source=spec.kind, step=spec.step, baseline=k == base)
        for k, spec in config.models.items()
    ]
    pairings = _holm(
        [
            PairingResult(
                name=p.name, candidate=p.candidate, other=p.other, vs_baseline=p.other == base, summary=s
            )
            for p, s, _ in results
        ],
        opts.alpha,
    )
    ratings: list[Rating] | None = None
    note = None
    matrix: list[MatrixCell] = []
    fit = None
    verdicts = _verdicts(results)
    try:
        ratings, fit = _ratings(verdicts, opts.level, config.seed)
        matrix = _matrix(fit, list(config.models))
    except ValueError as exc:
        note = str(exc)
    per_category = []
    categories = sorted({o.category for _, _, outcomes in results for o in outcomes})
    if len(categories) > 1:
        for category in categories:
            try:
                mine = [v for v in verdicts if v[4] == category]
                rows, _ = _ratings(mine, opts.level, config.seed)
                per_category.append(CategoryRanking(category=category, ratings=rows))
            except ValueError as exc:
                per_category.append(CategoryRanking(category=category, note=str(exc)))
    summary = SeveralSummary(
        run_id=config.name,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        baseline=base,
        design=config.design,
        models=models,
        judge=judge,
        alpha=opts.alpha,
        pairings=pairings,
        ratings=ratings,
        ratings_method=_METHOD.format(level=100 * opts.level),
        ratings_note=note,
        matrix=matrix,
        per_category=per_category,
        checkpoints=_checkpoints(config, pairings, ratings, fit) if ratings and fit is not None else None,
        verified=_verified(pairings),
        judge_trust=_trust(pairings, opts.level),
        usage=usage,
        run=state,
        conclusion="",
    )
    from judge.reporting.narrator import several_conclusion

    return summary.model_copy(update={"conclusion": several_conclusion(summary)})
