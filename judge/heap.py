"""Keeping the cyclic garbage collector off the objects a run made before a long step.

A run holds some 250,000 objects that live as long as the process (the openai SDK's types,
pydantic's schemas, numpy, pandas, scipy). Every full collection walks all of them: 0.1-0.3 s
each, stalling the event loop that reads judge replies, and several of them in the statistics
and reports after the last verdict. :func:`frozen` moves what exists on entry to the permanent
generation (``gc.freeze``) and gives it back on exit (``gc.unfreeze``): nothing is kept longer
than the block, and garbage made inside the block is collected as usual.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["frozen"]

_lock = threading.Lock()
_depth = 0  # blocks open now: only the outermost one freezes and unfreezes


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """Leave the objects that exist now out of garbage collections until the block ends."""
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.unfreeze()
