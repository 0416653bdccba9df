"""Stage 4, aggregation: un-blind verdicts into outcomes and compute every statistic once.

``aggregate`` (outcomes and the typed summary), ``inference`` (the clustered decision, effect sizes,
power), ``audit_rows`` (one audit row per judged comparison).
"""
