"""How batch mode runs: the ``[judge.batch]`` table of a run config, and the batch price."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from judge.client import Prices

__all__ = ["BATCH_PRICE_FACTOR", "BatchOptions", "batch_prices"]

BATCH_PRICE_FACTOR = 0.5
"""OpenAI bills Batch API tokens at half the list price."""


class BatchOptions(BaseModel):
    """Batch API settings (used when ``[judge] mode = "batch"``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    price_factor: float = Field(
        default=BATCH_PRICE_FACTOR, gt=0, le=1, description="Batch price as a share of the list price."
    )
    poll_interval: float = Field(default=30.0, gt=0, le=3600, description="Seconds between status polls.")
    completion_window: str = Field(default="24h", description="Batch completion window (OpenAI takes 24h).")
    max_requests: int = Field(
        default=50_000, ge=1, le=50_000, description="Most requests in one batch (OpenAI's limit: 50,000)."
    )
    failed: Literal["live", "batch"] = Field(
        default="live",
        description="Where requests that failed or expired in a batch are asked again: the live API, "
        "or one more batch (then the live API for what fails there too).",
    )


def batch_prices(prices: Prices | None, options: BatchOptions) -> Prices | None:
    """List prices scaled to the batch price (None stays None: cost unknown)."""
    if prices is None:
        return None
    from judge.client import Prices

    f = options.price_factor
    return Prices(prices.input_per_mtok * f, prices.output_per_mtok * f)
