"""``oreflow run JOB.toml|FOLDER``: solve a job (or a dataset folder with default settings), write its outputs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from oreflow.commands.shared import Command, finish, load_target


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The job or dataset folder, --out, --quiet and --scenario."""
    parser.add_argument("job", type=Path, help="job file (.toml), dataset folder or dataset workbook (.xlsx)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (overrides the job's 'output')")
    parser.add_argument("--quiet", action="store_true", help="print only the output folder")
    parser.add_argument("--scenario", default=None, help="run the base case and only this scenario of the job")


def handle(args: argparse.Namespace) -> int:
    """Solve once, or the base case and the job's scenarios (all, or only --scenario), and write."""
    from oreflow.runs import RunSpec, run_batch, run_single

    started = time.perf_counter()
    job_file, network = load_target(args.job, dataset_allowed=True)
    for warning in network.warnings:  # the same lines `oreflow validate` prints
        print(f"warning: {warning}", file=sys.stderr)
    spec = RunSpec.of(job_file, args.job, args.out)
    if spec.job.horizon is not None and (spec.job.scenarios or args.scenario is not None):
        from oreflow.plan_batch import run_plan_batch
        from oreflow.runs import selected_scenarios

        text, status, written = run_plan_batch(spec, network, selected_scenarios(spec, args.scenario))
    elif spec.job.horizon is not None:
        from oreflow.planning import run_plan

        text, status, written = run_plan(spec, network)
    elif spec.job.scenarios or args.scenario is not None:
        text, status, written = run_batch(spec, network, args.scenario)
    else:
        text, status, written = run_single(spec, network, time.perf_counter() - started)
    return finish(text, status, written, args.quiet)


COMMAND = Command(
    "run",
    "solve a job and write its outputs",
    add_arguments,
    handle,
    examples=(
        (
            "oreflow run inputs/baseline.toml",
            "the 2024 base case: tables, summary.json and report.html in outputs/baseline",
        ),
        ("oreflow run inputs/scenarios_2024.toml --scenario us_ore_ban_cn", "the base case and one scenario"),
        ("oreflow run inputs/plan_2035.toml", "a job with a [horizon]: the plan to 2035"),
        ("oreflow run inputs/rare_earths_2024 --out /tmp/x", "a dataset folder with default settings"),
    ),
)
