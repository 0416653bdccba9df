"""A scripted OpenAI-compatible server on 127.0.0.1 for tests and benchmarks.

It is a real HTTP server (``ThreadingHTTPServer``, one thread per connection, so replies are
served truly in parallel) that the official openai SDK talks to over loopback. It answers
``GET /v1/models``, ``POST /v1/chat/completions`` and ``POST /v1/completions``.

Auto mode reads the judge prompt (``prompts/comparison.md`` blocks in the last user message),
asks ``policy(prompt, a, b)`` for each comparison and answers with valid verdict JSON. A request
without comparison blocks gets ``"echo: <last user message>"``.

Actions, queued with :meth:`FakeServer.script` and consumed in order by POST requests (then auto
mode again). A request rejected for its ``response_format`` (``structured_output=False``) is
answered 400 before the script is looked at, so it consumes no action.

* ``Fail(status, headers={}, body=None)``: that status with an OpenAI-style error body
  (``Fail.quota()`` is a 429 ``insufficient_quota``).
* ``Stall(seconds, then=None)``: wait, then do ``then`` (auto mode when None); exceeds client timeouts.
* ``Drop()``: close the connection without any reply.
* ``Content(text)``: a 200 whose message content is exactly ``text``.
``CallPolicy(decide)`` is a policy that sees a whole call (``decide([(prompt, a, b), ...])``): it
plants effects of the slot in the batch or of batching itself.

* ``Auto(wrap="plain", missing=0, extra=0, duplicate=0)``: auto verdicts, altered. ``wrap`` is
  ``"plain"``, ``"prose"`` (JSON inside prose), ``"fenced"`` (inside a json code fence) or
  ``"not_json"``; ``missing`` drops the last N ids, ``extra`` adds N unknown ids, ``duplicate``
  repeats the first N verdicts.

``server.batch_api`` answers ``/v1/files`` and ``/v1/batches`` (the Batch API), each batch moving
one state per poll as a queued :class:`BatchPlan` says (see ``_batches.py``).
"""

from fakeserver._actions import (
    DEFAULT_CRITERIA,
    Action,
    Auto,
    CallPolicy,
    Content,
    Drop,
    Fail,
    Policy,
    Stall,
    default_policy,
    last_user_text,
    parse_comparisons,
)
from fakeserver._batches import BatchAPI, BatchPlan
from fakeserver._server import FakeServer

__all__ = [
    "DEFAULT_CRITERIA",
    "Action",
    "Auto",
    "BatchAPI",
    "BatchPlan",
    "CallPolicy",
    "Content",
    "Drop",
    "Fail",
    "FakeServer",
    "Policy",
    "Stall",
    "default_policy",
    "last_user_text",
    "parse_comparisons",
]
