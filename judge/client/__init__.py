"""The one door to model endpoints: OpenAI-compatible calls with honest retries and accounting.

This package is the only place in `judge` that imports openai, httpx or tenacity. The SDK's own
retries are off (``max_retries=0``) so that tenacity alone decides: 429, 5xx, 408/409, timeouts
and dropped connections are retried with exponential backoff and jitter (a 429's Retry-After is
honoured, capped); other 4xx and a 429 for ``insufficient_quota`` fail at once. A failure for
good is a :class:`judge.errors.APIError` whose text never holds the API key.

Example::

    async with ChatClient("gpt-4o-mini", prices=Prices(0.15, 0.60)) as client:
        reply = await client.chat([{"role": "user", "content": "..."}], json_schema=schema)
        print(reply.text, client.totals.cost)
"""

from judge.client._batch import TERMINAL, BatchClient, BatchLine, BatchStatus, chat_body
from judge.client._chat import ChatClient, resolve_endpoint
from judge.client._records import ChatReply, FormatMode, Prices, Totals
from judge.client._retry import RetryEvent, RetryPolicy

__all__ = [
    "TERMINAL",
    "BatchClient",
    "BatchLine",
    "BatchStatus",
    "ChatClient",
    "ChatReply",
    "FormatMode",
    "Prices",
    "RetryEvent",
    "RetryPolicy",
    "Totals",
    "chat_body",
    "resolve_endpoint",
]
