"""One run end to end: the pipeline that sequences the stages, and what it needs around them.

``pipeline`` (run_comparison), ``prepare`` (inputs, outputs, checks and blinding before judging),
``dryrun`` (the estimate that sends and writes nothing), ``state`` (settings guard, invocations,
how a run ended), ``demo`` (the offline demo's config).
"""
