"""``oreflow validate JOB.toml|FOLDER``: check a job (its dataset, scenarios and sweep) without solving."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from oreflow.commands.shared import Command, load_target


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The job file or dataset folder to check."""
    parser.add_argument("target", type=Path, help="job file (.toml), dataset folder or dataset workbook (.xlsx)")


def handle(args: argparse.Namespace) -> int:
    """Load and check everything a run would use; print one line of counts (InputError when invalid),
    after the dataset's warnings (``warning: ...`` on stderr)."""

    job_file, network = load_target(args.target, dataset_allowed=True)
    for warning in network.warnings:  # the same lines `oreflow run` prints
        print(f"warning: {warning}", file=sys.stderr)
    what = f"job {job_file.path}" if job_file else f"dataset {network.source}"
    if job_file is not None and job_file.job.solver in (None, "highs"):  # HiGHS directly or through Pyomo
        from oreflow.solvers.highs import check_options

        check_options(job_file.job.solver_options, f"{job_file.path}: solver_options")
    if job_file is not None and job_file.job.horizon is not None:
        what += _check_plan(job_file, network)
    else:
        if job_file is not None and job_file.job.scenarios:
            from oreflow.scenarios import apply_all

            apply_all(network, list(job_file.job.scenarios))
            what += f" and its {len(job_file.job.scenarios)} scenario(s)"
        if job_file is not None and job_file.job.sweep is not None:
            from oreflow.sweep.points import sweep_points
            from oreflow.sweep.run import check_parameters, sweep_base

            check_parameters(sweep_base(job_file, network), job_file.job.sweep, job_file)
            points = sweep_points(job_file.job.sweep)
            what += f" and its sweep of {len(points):,} point(s)"
    print(
        f"{what}: valid — {len(network.origins)} origins, {len(network.refiners)} refiners, "
        f"{len(network.markets)} markets, {len(network.products)} products, "
        f"{len(network.ore_routes)} ore routes, {len(network.product_routes)} product routes, "
        f"{len(network.demand)} demand rows"
    )
    return 0


def _check_plan(job_file: Any, network: Any) -> str:
    """A job with a horizon: every year's network (paths applied), the planning tables, each
    scenario's plan and the sweep's parameters checked as a run would; what was checked, in words."""
    from oreflow.errors import InputError
    from oreflow.plan_cases import PlanBase

    job = job_file.job
    base = PlanBase.read(network, job.horizon.horizon())
    base.inputs()  # every year's network, its paths applied and checked
    base.scenario_inputs(list(job.scenarios))
    h = base.horizon
    what = (
        f" and its plan over {len(h.years)} periods ({len(base.planning.builds)} builds, "
        f"{len(base.planning.stockpiles)} stockpiles)"
    )
    if job.scenarios:
        what += f" with {len(job.scenarios)} scenario(s)"
    problems = base.stress_years_problems(list(job.stress.years), f"{job_file.path}: [stress] years")
    if problems:
        raise InputError(problems, heading="invalid [stress] years")
    if job.sweep is not None:
        from oreflow.sweep.points import sweep_points
        from oreflow.sweep.run import check_plan_parameters

        check_plan_parameters(
            dataclasses.replace(base, base_changes=tuple(job.sweep.base_changes)), job.sweep, job_file
        )
        what += f" and its sweep of {len(sweep_points(job.sweep)):,} plan(s)"
    return what


COMMAND = Command(
    "validate",
    "check a job file, dataset folder or workbook without solving",
    add_arguments,
    handle,
    examples=(
        ("oreflow validate inputs/scenarios_2024.toml", "the job, its dataset and every scenario"),
        ("oreflow validate inputs/rare_earths_2024", "a dataset folder alone"),
    ),
)
