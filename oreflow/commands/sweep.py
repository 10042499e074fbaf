"""``oreflow sweep JOB.toml`` and ``oreflow stress JOB.toml`` (docs/sensitivity.md): many solves of one job.

The two commands take the same arguments and run the same way (a job file only, local
workers or a Dask scheduler, resumable); they differ only in the runner that makes the points.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from pathlib import Path

from oreflow.commands.shared import Command, finish, load_target
from oreflow.errors import InputError, Problem


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """The job file and the execution options of command ``name`` (sweep or stress)."""
    parser.add_argument("job", type=Path, help="job file (.toml)")
    parser.add_argument("--out", type=Path, default=None, help=f"output folder (default: <output>-{name})")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    parser.add_argument("--scheduler", default=None, help="address of a Dask scheduler to run the points on")
    parser.add_argument("--fresh", action="store_true", help="ignore points saved by an interrupted run")
    parser.add_argument("--quiet", action="store_true", help="no progress bar; print only the output folder")


def handle_sweep(args: argparse.Namespace) -> int:
    """Solve every point of the job's [sweep] and write the sweep's outputs."""
    from oreflow.sweep.run import run_sweep

    return _solve_points(args, run_sweep)


def handle_stress(args: argparse.Namespace) -> int:
    """Solve each N-1 disruption of the job's dataset and write the ranking."""
    from oreflow.sweep.stress import run_stress

    return _solve_points(args, run_stress)


def _solve_points(args: argparse.Namespace, runner: Callable[..., tuple[str, int, Path]]) -> int:
    """Check the command line, load the job and run ``runner(job_file, network, out, execution)``."""
    from oreflow.sweep.run import execution_of

    if args.workers is not None and args.workers < 1:
        raise InputError(Problem("command line", None, "--workers", str(args.workers), "a number >= 1", "workers"))
    job_file, network = load_target(args.job, dataset_allowed=False)
    execution = execution_of(job_file, args.workers, args.scheduler, args.fresh, not args.quiet)
    text, status, written = runner(job_file, network, args.out, execution)
    return finish(text, status, written, args.quiet)


SWEEP = Command(
    "sweep",
    "solve every point of the job's [sweep] (grid or Monte Carlo)",
    partial(add_arguments, name="sweep"),
    handle_sweep,
)
STRESS = Command(
    "stress",
    "N-1 disruptions: each origin, refiner and route group lost in turn",
    partial(add_arguments, name="stress"),
    handle_stress,
)
