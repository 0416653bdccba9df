"""What batch mode did in a run, and its bill: live calls at list price, batched ones at batch price."""

from __future__ import annotations

from dataclasses import dataclass, field

from judge.client import Prices
from judge.judging.batch_options import BATCH_PRICE_FACTOR
from judge.records import Usage
from judge.summary import BatchNotes

__all__ = ["BatchOutcome", "billed"]


@dataclass(frozen=True)
class BatchOutcome:
    """What batch mode did in this run.

    Attributes:
        batch_ids: batches polled or created by this run, in order.
        created: batches this run created (0 when it only resumed one).
        answered: requests answered by those batches.
        failed: requests that failed, expired or came back missing (asked again live or in a batch).
        usage: tokens of the batch replies this run collected (a batch submitted by a killed run is
            billed to the run that collects it, once).
        prices: the batch prices (list prices times the price factor), None when unknown.
        price_factor: the batch price as a share of the list price.
    """

    batch_ids: tuple[str, ...] = ()
    created: int = 0
    answered: int = 0
    failed: int = 0
    usage: Usage = field(default_factory=Usage)
    prices: Prices | None = None
    price_factor: float = BATCH_PRICE_FACTOR

    @property
    def cost(self) -> float | None:
        """Cost of the batched tokens at the batch price (None when prices are unknown)."""
        return None if self.prices is None else self.prices.cost(self.usage)

    def notes(self) -> BatchNotes:
        """What a run summary shows of batch mode (``summary.notes.batch``)."""
        return BatchNotes(
            batch_ids=list(self.batch_ids),
            created=self.created,
            answered=self.answered,
            failed_then_reasked=self.failed,
            prompt_tokens=self.usage.prompt_tokens,
            completion_tokens=self.usage.completion_tokens,
            cost_usd=self.cost,
            price_factor=self.price_factor,
        )


def billed(live: Usage, list_prices: Prices | None, batch: BatchOutcome | None) -> tuple[Usage, float | None]:
    """Tokens and cost of a run: live calls at the list price plus batched ones at the batch price.

    Args:
        live: the judge stage's own usage (its live calls; batched calls are cached to it).
        list_prices: list prices, None when unknown.
        batch: the batch outcome, None in live mode.

    Returns:
        (all tokens billed, total cost or None when prices are unknown).
    """
    if batch is None:
        return live, None if list_prices is None else list_prices.cost(live)
    tokens = Usage(
        prompt_tokens=live.prompt_tokens + batch.usage.prompt_tokens,
        completion_tokens=live.completion_tokens + batch.usage.completion_tokens,
    )
    batch_cost = batch.cost
    if list_prices is None or batch_cost is None:
        return tokens, None
    return tokens, list_prices.cost(live) + batch_cost
