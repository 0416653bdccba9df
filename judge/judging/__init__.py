"""Stage 2-3, blinding and judging: blind A/B pairs in batches, judged exactly once each.

``blind`` (the only owner of the key), ``stage`` (the call loop with the ledger, re-asks and
isolation of suspected injections), ``replies`` (the reply schema and the parser), ``prompts/``
(the templates, plain text), ``endpoint`` (which judge to call, started lazily), ``batch*`` (the
OpenAI Batch API mode that pre-fills the ledger).
"""
