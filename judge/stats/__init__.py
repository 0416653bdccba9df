"""Statistics for pairwise verdicts: pure numpy/scipy, result objects, no other judge imports.

Everything is from the fine-tuned model's side (W wins, L losses, T ties of n pairs):

* :mod:`.clustered` -- ``net_win_summary``: the decision (sign test with the judge call as the
  unit), the net win rate's interval consistent with it, a cluster-robust SE
* :mod:`.intervals` -- ``proportion(k, n).confidence_interval(method="wilson"|"clopper-pearson")``
* :mod:`.bootstrap` -- ``preference`` / ``net_win_rate`` with (cluster) bootstrap CIs
* :mod:`.tests` -- ``sign_test`` (three tie conventions), ``mcnemar_exact``, ``holm``
* :mod:`.power` -- ``pairs_for_power`` (with a design effect), ``minimum_detectable_effect``
* :mod:`.ratings` -- ``bradley_terry`` for several systems: ratings with cluster-robust intervals
* :mod:`.ranking` -- pairwise differences (simultaneous intervals), rank intervals, P(best)
* :mod:`.agreement` -- position bias/consistency, Cohen's kappa, agreement with truth

There is no sequential (early-stopping) test: with five correlated verdicts per call, none we
tried saved the 30 % of calls that would justify its complexity (see benchmarks/README).
"""

from ._design import ClusterCounts, clustered_sign_test
from ._types import BootstrapResult, ConfidenceInterval, ProportionResult, TestResult
from .agreement import (
    KappaResult,
    agreement_with_truth,
    cohen_kappa,
    cohen_kappa_interval,
    position_bias,
    position_consistency,
)
from .bootstrap import bootstrap_mean, net_win_rate, preference
from .clustered import ClusteredResult, net_win_interval, net_win_summary
from .intervals import clustered_rate, proportion
from .power import design_effect, minimum_detectable_effect, pairs_for_power, sign_test_power
from .ranking import BestOf, PairwiseDifferences
from .ratings import BradleyTerryResult, bradley_terry
from .tests import holm, mcnemar_exact, sign_test

__all__ = [
    "BestOf",
    "BootstrapResult",
    "BradleyTerryResult",
    "ClusterCounts",
    "ClusteredResult",
    "ConfidenceInterval",
    "KappaResult",
    "PairwiseDifferences",
    "ProportionResult",
    "TestResult",
    "agreement_with_truth",
    "bootstrap_mean",
    "bradley_terry",
    "clustered_rate",
    "clustered_sign_test",
    "cohen_kappa",
    "cohen_kappa_interval",
    "design_effect",
    "holm",
    "mcnemar_exact",
    "minimum_detectable_effect",
    "net_win_interval",
    "net_win_rate",
    "net_win_summary",
    "pairs_for_power",
    "position_bias",
    "position_consistency",
    "preference",
    "proportion",
    "sign_test",
    "sign_test_power",
]
