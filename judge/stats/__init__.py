"""Statistics for pairwise verdicts: pure numpy/scipy, result objects, no other judge imports.

Everything is from the fine-tuned model's side (W wins, L losses, T ties of n pairs):

* :mod:`.intervals` -- ``proportion(k, n).confidence_interval(method="wilson"|"clopper-pearson")``
* :mod:`.bootstrap` -- ``preference`` / ``net_win_rate`` with (cluster) bootstrap CIs
* :mod:`.tests` -- ``sign_test`` (three tie conventions), ``mcnemar_exact``, ``holm``
* :mod:`.power` -- ``pairs_for_power``, ``minimum_detectable_effect``, ``sign_test_power``
* :mod:`.ratings` -- ``bradley_terry`` for several systems
* :mod:`.sequential` -- ``SequentialSignTest`` (always-valid early stopping)
* :mod:`.agreement` -- position bias/consistency, Cohen's kappa, agreement with truth
"""

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
from .intervals import proportion
from .power import minimum_detectable_effect, pairs_for_power, sign_test_power
from .ratings import BradleyTerryResult, bradley_terry
from .sequential import CONTINUE, SequentialSignTest, mixture_log_evidence
from .tests import describe_sign_test, holm, mcnemar_exact, sign_test

__all__ = [
    "CONTINUE",
    "BootstrapResult",
    "BradleyTerryResult",
    "ConfidenceInterval",
    "KappaResult",
    "ProportionResult",
    "SequentialSignTest",
    "TestResult",
    "agreement_with_truth",
    "bootstrap_mean",
    "bradley_terry",
    "cohen_kappa",
    "cohen_kappa_interval",
    "describe_sign_test",
    "holm",
    "mcnemar_exact",
    "minimum_detectable_effect",
    "mixture_log_evidence",
    "net_win_rate",
    "pairs_for_power",
    "position_bias",
    "position_consistency",
    "preference",
    "proportion",
    "sign_test",
    "sign_test_power",
]
