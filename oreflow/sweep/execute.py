"""Running the chunks of a sweep: in this process, on local worker processes, or on a
Dask distributed cluster; finished chunks go to the journal as they arrive."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from typing import Any

from oreflow.errors import InputError, Problem
from oreflow.sweep.engine import SweepContext
from oreflow.sweep.journal import Journal
from oreflow.sweep.points import Point
from oreflow.sweep.progress import Progress
from oreflow.sweep.workers import engine_for, run_chunk

Rows = list[dict[str, Any]]

#: With the worker count left to oreflow: below this many seconds of estimated work
#: (measured on a first chunk solved here) the rest is solved here too, since starting
#: worker processes (a fresh Python and oreflow import each, about a second) would not pay.
PARALLEL_FROM_S = 3.0


#: How long to try to reach a Dask scheduler before saying it cannot be reached.
SCHEDULER_TIMEOUT = "10s"


def chunks_of(points: list[Point], size: int) -> list[list[Point]]:
    """Consecutive chunks of ``size`` points (the last may be shorter)."""
    return [points[k : k + size] for k in range(0, len(points), size)]


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def execute(
    context: SweepContext,
    points: list[Point],
    *,
    chunk_size: int,
    workers: int | None = None,
    scheduler: str | None = None,
    journal: Journal | None = None,
    fresh: bool = False,
    progress: Progress | None = None,
) -> tuple[Rows, int]:
    """Solve every point; return (rows in point order, number of points resumed from the journal)."""
    chunks = chunks_of(points, chunk_size)
    done = journal.load(fresh) if journal is not None else {}
    done = {k: rows for k, rows in done.items() if k < len(chunks) and len(rows) == len(chunks[k])}
    resumed = sum(len(rows) for rows in done.values())
    progress = progress or Progress(len(points), enabled=False)
    progress.start(resumed)
    pending = [(k, chunks[k]) for k in range(len(chunks)) if k not in done]

    def finished(chunk: int, rows: Rows) -> None:
        done[chunk] = rows
        if journal is not None:
            journal.save(chunk, rows)
        progress.advance(len(rows))

    if scheduler and pending:
        _on_dask(scheduler, context, pending, finished)
    elif pending:
        n_workers = min(workers or default_workers(), len(pending))
        if n_workers > 1 and workers is None:
            # a pilot chunk here: when the rest would take only seconds, starting workers does not pay
            started = time.perf_counter()
            first, first_points = pending.pop(0)
            finished(*run_chunk(context, first, first_points))
            per_point = (time.perf_counter() - started) / len(first_points)
            if per_point * sum(len(p) for _, p in pending) < PARALLEL_FROM_S:
                n_workers = 1
        if n_workers <= 1:
            for chunk, chunk_points in pending:
                finished(*run_chunk(context, chunk, chunk_points))
        elif pending:
            _on_processes(n_workers, context, pending, finished)
    progress.finish()
    return [row for k in sorted(done) for row in done[k]], resumed


# ---- local processes ---------------------------------------------------------------------

_CONTEXT: SweepContext | None = None


def _init_worker(context: SweepContext) -> None:
    global _CONTEXT
    _CONTEXT = context
    engine_for(context)  # build and solve the base LP once, before the first chunk


def _chunk_on_worker(chunk: int, points: list[Point]) -> tuple[int, Rows]:
    assert _CONTEXT is not None
    return run_chunk(_CONTEXT, chunk, points)


def _on_processes(
    workers: int, context: SweepContext, pending: list[tuple[int, list[Point]]], finished: Callable[[int, Rows], None]
) -> None:
    """Chunks on ``workers`` fresh processes (spawned: no state inherited from this one)."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(context,),
    )
    try:
        futures = [pool.submit(_chunk_on_worker, chunk, points) for chunk, points in pending]
        for future in as_completed(futures):
            finished(*future.result())
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


# ---- Dask ----------------------------------------------------------------------------------


def _on_dask(
    address: str, context: SweepContext, pending: list[tuple[int, list[Point]]], finished: Callable[[int, Rows], None]
) -> None:
    """Chunks as tasks on the Dask cluster at ``address``; the context is sent to every
    worker once, and each worker keeps its engine between chunks."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError(
            Problem(
                "execution",
                None,
                "scheduler",
                address,
                "Dask installed to use a scheduler: pip install 'oreflow[dask]'",
                "dask_missing",
            )
        ) from None
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT)
    except OSError as exc:
        raise InputError(
            Problem(
                "execution",
                None,
                "scheduler",
                address,
                f"the address of a running Dask scheduler ({exc})",
                "dask_scheduler",
            )
        ) from None
    try:
        shared = client.scatter(context, broadcast=True)
        futures = client.map(
            run_chunk, [shared] * len(pending), [k for k, _ in pending], [points for _, points in pending], pure=False
        )
        for future in as_completed(futures):
            finished(*future.result())
    finally:
        client.close()
