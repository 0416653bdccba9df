"""How batch mode runs: the ``[judge.batch]`` table of a run config, and the batch price."""

from __future__ import annotations

from typing import TYPE_CHECKING

# The [judge.batch] table is config (judge.config); the price arithmetic lives here.
from judge.config import BATCH_PRICE_FACTOR, BatchOptions

if TYPE_CHECKING:
    from judge.client import Prices

__all__ = ["BATCH_PRICE_FACTOR", "BatchOptions", "batch_prices"]


def batch_prices(prices: Prices | None, options: BatchOptions) -> Prices | None:
    """List prices scaled to the batch price (None stays None: cost unknown)."""
    if prices is None:
        return None
    from judge.client import Prices

    f = options.price_factor
    return Prices(prices.input_per_mtok * f, prices.output_per_mtok * f)
