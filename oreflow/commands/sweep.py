"""``oreflow sweep JOB.toml`` and ``oreflow stress JOB.toml`` (docs/sensitivity.md): many solves of one job.

The two commands take the same arguments and run the same way (a job file only, local
workers or a Dask scheduler, resumable); they differ only in the runner that makes the points.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

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
    if not args.quiet:  # say where it writes before the (long) run: the job's output plus -sweep / -stress
        name = "sweep" if runner.__name__ == "run_sweep" else "stress"
        if args.out:
            how = "--out"
        elif _section_output(job_file, name):
            how = f"[{name}] output; --out to change"
        else:
            how = f"the job's output + '-{name}'; --out to change"
        print(f"oreflow {name}: writing to {args.out or job_file.output_of(name)} ({how})", file=sys.stderr)
    text, status, written = runner(job_file, network, args.out, execution)
    return finish(text, status, written, args.quiet)


def _section_output(job_file: Any, name: str) -> bool:
    section = job_file.job.sweep if name == "sweep" else job_file.job.stress
    return section is not None and section.output is not None


SWEEP = Command(
    "sweep",
    "solve every point of the job's [sweep] (grid or Monte Carlo)",
    partial(add_arguments, name="sweep"),
    handle_sweep,
    examples=(
        ("oreflow sweep inputs/frontier_ndpr.toml", "the NdPr share-limit frontier, into outputs/frontier_ndpr-sweep"),
        ("oreflow sweep inputs/plan_2035_risk.toml --workers 2", "a Monte Carlo of plans, on two processes"),
    ),
)
STRESS = Command(
    "stress",
    "N-1 disruptions: each origin, refiner and route group lost in turn",
    partial(add_arguments, name="stress"),
    handle_stress,
    examples=(
        (
            "oreflow stress inputs/baseline.toml",
            "every single loss of the 2024 base case, into outputs/baseline-stress",
        ),
        ("oreflow stress inputs/plan_2035_risk.toml", "each loss for the plan's 2028-29 period ([stress] years)"),
    ),
)
