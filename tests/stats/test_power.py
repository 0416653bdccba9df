"""Exact power of the sign test: critical values, power by simulation, pairs needed, MDE."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from scipy import stats as sps

from judge.stats import design_effect, minimum_detectable_effect, pairs_for_power, sign_test_power
from judge.stats.power import EXACT_LIMIT, _critical_counts


def test_rejection_region_is_exactly_where_binomtest_rejects() -> None:
    c = _critical_counts(400, 0.05)
    for m in [*range(1, 40), 57, 100, 251, 400]:
        rejects = {k for k in range(m + 1) if sps.binomtest(k, m).pvalue <= 0.05}
        assert rejects == {k for k in range(m + 1) if c[m] >= 0 and (k <= c[m] or k >= m - c[m])}


def test_power_matches_simulation() -> None:
    rng = np.random.default_rng(5)
    n, p_win, p_loss = 60, 0.5, 0.3
    outcomes = rng.choice(3, size=(20_000, n), p=[p_win, p_loss, 1 - p_win - p_loss])
    wins, losses = (outcomes == 0).sum(axis=1), (outcomes == 1).sum(axis=1)
    c = _critical_counts(n, 0.05)
    m = wins + losses
    simulated = np.mean((wins <= c[m]) | (wins >= m - c[m]))
    assert sign_test_power(n, p_win, p_loss) == pytest.approx(simulated, abs=0.01)


def test_seed_001_split_needs_about_seven_hundred_pairs() -> None:
    needed = pairs_for_power(0.5, 0.4, power=0.8)
    assert needed == 723
    assert sign_test_power(needed, 0.5, 0.4) >= 0.8 > sign_test_power(needed - 1, 0.5, 0.4)


@pytest.mark.parametrize("p_win,p_loss", [(0.7, 0.2), (0.6, 0.4), (0.2, 0.5), (0.9, 0.0)])
def test_pairs_for_power_is_the_smallest_n(p_win: float, p_loss: float) -> None:
    needed = pairs_for_power(p_win, p_loss)
    assert needed is not None
    powers = [sign_test_power(n, p_win, p_loss) for n in range(1, needed + 1)]
    assert powers[-1] >= 0.8 and max(powers[:-1], default=0) < 0.8


def test_only_no_effect_gives_none_and_tiny_effects_get_a_number() -> None:
    assert pairs_for_power(0.45, 0.45) is None
    with pytest.raises(ValueError):
        pairs_for_power(0.8, 0.4)
    # 502 / 498: the normal approximation gives ~490,000 pairs, never "no effect"
    z_a, z_b = sps.norm.ppf(0.975), sps.norm.ppf(0.8)
    q = 0.502
    expected = ((0.5 * z_a + z_b * math.sqrt(q * (1 - q))) / (q - 0.5)) ** 2
    assert pairs_for_power(0.502, 0.498) == math.ceil(expected)
    assert 489_000 < math.ceil(expected) < 492_000
    assert pairs_for_power(0.502, 0.498, design=2.0) == math.ceil(2 * math.ceil(expected))


@pytest.mark.parametrize(
    "p_win,p_loss", [(0.3413, 0.3360), (0.502, 0.498), (0.5, 0.45), (0.7, 0.2), (0.51, 0.49)]
)
def test_pairs_for_power_is_fast_and_finite(p_win: float, p_loss: float) -> None:
    # 0.3413 / 0.3360 crashed (matmul mismatch) and effects needing > 100,000 pairs returned None.
    start = time.perf_counter()
    needed = pairs_for_power(p_win, p_loss)
    assert time.perf_counter() - start < 0.1
    assert needed is not None and needed > 0


def test_normal_approximation_beyond_the_exact_limit_keeps_its_power() -> None:
    # Just past EXACT_LIMIT the approximate answer reaches the target within a point of power.
    needed = pairs_for_power(0.50, 0.45)
    assert needed is not None and needed > EXACT_LIMIT
    assert 0.79 <= sign_test_power(needed, 0.50, 0.45) <= 0.82


def test_design_effect() -> None:
    assert design_effect(5, 0.1) == pytest.approx(1.4) and design_effect(1, 0.9) == 1.0
    with pytest.raises(ValueError):
        design_effect(0, 0.1)
    assert pairs_for_power(0.5, 0.4, design=1.4) == math.ceil(723 * 1.4)


def test_minimum_detectable_effect_inverts_power() -> None:
    effect = minimum_detectable_effect(200, p_tie=0.1)
    decisive = 0.9
    p_win = (decisive + effect) / 2
    assert sign_test_power(200, p_win, decisive - p_win) == pytest.approx(0.8, abs=1e-4)
    assert minimum_detectable_effect(800) < minimum_detectable_effect(200)
    assert math.isnan(minimum_detectable_effect(3))  # 3 pairs can never reach p < 0.05
    big = minimum_detectable_effect(1_000_000, p_tie=0.1)  # normal approximation, instant
    p_win = (0.9 + big) / 2
    assert pairs_for_power(p_win, 0.9 - p_win) == pytest.approx(1_000_000, rel=1e-3)
