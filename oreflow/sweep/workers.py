"""The worker side of a sweep: one engine per sweep and thread, kept between chunks (a
single-year :class:`~oreflow.sweep.engine.Engine`, or a plan's
:class:`~oreflow.sweep.plan_engine.PlanEngine` when the context holds a plan)."""

from __future__ import annotations

import threading
from typing import Any

from oreflow.sweep.engine import Engine, SweepContext
from oreflow.sweep.plan_engine import PlanEngine
from oreflow.sweep.points import Point

_ENGINES: dict[tuple[str, int], Engine | PlanEngine] = {}
_LOCK = threading.Lock()


def engine_for(context: SweepContext) -> Engine | PlanEngine:
    """This worker's engine for ``context`` (built on first use, kept for later chunks)."""
    key = (context.fingerprint, threading.get_ident())
    with _LOCK:
        engine = _ENGINES.get(key)
    if engine is None:
        engine = PlanEngine(context) if context.plan is not None else Engine(context)
        with _LOCK:
            stale = [k for k in _ENGINES if k[1] == key[1]]
            for k in stale:  # one sweep at a time per thread
                del _ENGINES[k]
            _ENGINES[key] = engine
    return engine


def run_chunk(context: SweepContext, chunk: int, points: list[Point]) -> tuple[int, list[dict[str, Any]]]:
    """Solve one chunk of points on this worker's engine: (chunk number, rows)."""
    return chunk, engine_for(context).run_chunk(points)
