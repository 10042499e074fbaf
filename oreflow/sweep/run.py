"""``oreflow sweep`` and ``oreflow stress``: points solved, tables and summary written.

A sweep's output folder holds ``points.parquet`` and ``points.csv`` (one row per point,
docs/sensitivity.md lists the columns), ``summary.json`` and ``report.html``. A stress
test's adds ``stress.csv`` (the disruptions ranked), ``stress_unmet.csv`` and
``stress_prices.csv``. Outputs are written atomically once every point has run; until
then finished chunks sit in a journal beside the output folder, so an interrupted run
resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oreflow import outputs, report, store
from oreflow.errors import InputError, Problem
from oreflow.job import JobFile, Scenario, Sweep, line_of_path, market_options
from oreflow.model.conventions import split_year
from oreflow.model.network import Network
from oreflow.plan_cases import PlanBase, plan_hashes
from oreflow.runs import protected, results_workbook
from oreflow.scenarios import apply_scenario, changed_network
from oreflow.summary import versions
from oreflow.sweep.engine import SweepContext, fingerprint, source_hash
from oreflow.sweep.execute import default_workers, execute
from oreflow.sweep.extract import price_columns
from oreflow.sweep.journal import Journal
from oreflow.sweep.points import Point, sweep_points
from oreflow.sweep.progress import Progress
from oreflow.sweep.workers import engine_for

#: Column groups of the points table, in output order (prefix, or exact name).
COLUMN_ORDER = (
    "point",
    "label",
    "kind",
    "element",
    "param.",
    "status",
    "error",
    "objective_usd",
    "welfare_usd",
    "cost.",
    "unmet_t",
    "unmet_t.",
    "quantity_t.",
    "feed_t.",
    "ore_t.",
    "flow_t.",
    "ship_t.",
    "build_t.",
    "built_t.",
    "stock_t.",
    "price.",
    "unique.",
    "has_basis",
    "unique_duals",
    "degenerate_rows",
    "alternative_optima",
    "iterations",
    "warm",
    "solve_s",
)


@dataclass
class ExecutionPlan:
    """How to run the points: the job's ``[execution]`` with command-line overrides."""

    workers: int | None
    scheduler: str | None
    chunk_size: int
    fresh: bool = False
    progress: bool = True


def execution_of(
    job_file: JobFile, workers: int | None, scheduler: str | None, fresh: bool, progress: bool
) -> ExecutionPlan:
    """The job's ``[execution]`` section, overridden by the command line where given."""
    section = job_file.job.execution
    return ExecutionPlan(
        workers or section.workers, scheduler or section.scheduler, section.chunk_size, fresh, progress
    )


@dataclass
class Solved:
    """The points of a run, solved: the table and what the summary records."""

    table: pd.DataFrame
    context: SweepContext
    base_objective: float
    resumed: int
    seconds: float
    execution: ExecutionPlan
    columns: dict[str, dict[str, str]]
    #: the points are plans: objective_usd in present value, each year's figures suffixed @<year>
    plan: bool = False


def solve_points(
    job_file: JobFile,
    base: Network,
    points: list[Point],
    prices: tuple[str, ...],
    destination: Path,
    execution: ExecutionPlan,
    what: str,
    flows: tuple[str, ...] = (),
    price_trust: bool = False,
    plan: PlanBase | None = None,
) -> Solved:
    """Solve ``points`` on ``base`` (the base case first, here, so a bad base fails early);
    with ``plan``, each point is a plan over its horizon (:mod:`oreflow.sweep.plan_engine`)."""
    job = job_file.job
    # what makes two runs the same sweep (a journal is only resumed by the same sweep): not
    # where it runs ([execution] other than chunk_size; command-line options are not in raw)
    raw = {key: value for key, value in job_file.raw.items() if key != "execution"}
    context = SweepContext(
        fingerprint(
            what,
            raw,
            dict(base.file_hashes),
            dataclasses.asdict(market_options(job)),
            execution.chunk_size,
            versions("highs"),
            source_hash(),
            plan_hashes(base) if plan is not None else None,
        ),
        base,
        market_options(job),
        dict(job.solver_options),
        prices,
        flows,
        price_trust,
        plan,
    )
    started = time.perf_counter()
    engine = engine_for(context)
    journal = Journal(destination, context.fingerprint)
    progress = Progress(len(points), enabled=execution.progress)
    rows, resumed = execute(
        context,
        points,
        chunk_size=execution.chunk_size,
        workers=execution.workers,
        scheduler=execution.scheduler,
        journal=journal,
        fresh=execution.fresh,
        progress=progress,
    )
    table = points_table(rows)
    return Solved(
        table,
        context,
        engine.base_objective,
        resumed,
        time.perf_counter() - started,
        execution,
        price_columns(table.columns),
        plan is not None,
    )


def points_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as one table, columns in :data:`COLUMN_ORDER` (NaN where a point has none)."""
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame.sort_values("point", kind="stable").reset_index(drop=True)

    def rank(column: str) -> int:
        column = split_year(column)[0]
        for position, group in enumerate(COLUMN_ORDER):
            if column == group or (group.endswith(".") and column.startswith(group)):
                return position
        return len(COLUMN_ORDER)

    ordered = sorted(frame.columns, key=rank)  # stable: first-seen order within a group
    frame = frame[ordered]
    frame["error"] = frame["error"].fillna("")
    return frame


def write_points(folder: Path, table: pd.DataFrame) -> None:
    """``points.parquet`` and ``points.csv``."""
    table.to_parquet(folder / "points.parquet", index=False)
    table.to_csv(folder / "points.csv", index=False)


def summary_base(job_file: JobFile, kind: str, solved: Solved) -> dict[str, Any]:
    """summary.json entries shared by sweeps and stress tests."""
    table = solved.table
    optimal = int((table["status"] == "optimal").sum()) if len(table) else 0
    solved_rows = table.loc[table["status"] == "optimal"] if len(table) else table
    return {
        "kind": kind,
        "plan": solved.plan,  # the points are plans: objective_usd in present value (docs/sensitivity.md)
        "name": job_file.name,
        "description": job_file.job.description,
        "points": int(len(table)),
        "optimal": optimal,
        "failed": int(len(table) - optimal),
        "base_objective_usd": solved.base_objective,
        "dual_trust": {
            "points_without_basis": int((~solved_rows["has_basis"].astype(bool)).sum()) if len(solved_rows) else 0,
            "points_with_non_unique_duals": int((~solved_rows["unique_duals"].astype(bool)).sum())
            if len(solved_rows)
            else 0,
            "note": "per point: has_basis, unique_duals, degenerate_rows, alternative_optima "
            "(docs/conventions.md, 'Dual trust and degeneracy')",
        },
        "columns": solved.columns,
        "timings_s": {
            "total_s": solved.seconds,
            "points_per_s": (len(table) - solved.resumed) / solved.seconds if solved.seconds else None,
        },
        "resumed_points": solved.resumed,
        "execution": {
            "workers": 1 if solved.execution.workers == 1 else (solved.execution.workers or default_workers()),
            "scheduler": solved.execution.scheduler,
            "chunk_size": solved.execution.chunk_size,
        },
        "backend": "highs (in-place re-solves)",
        "versions": versions("highs"),
        "dataset": str(solved.context.network.source) if solved.context.network.source else None,
        "input_sha256": dict(solved.context.network.file_hashes),
        "job_file": str(job_file.path),
        "job": job_file.raw,
    }


def sweep_base(job_file: JobFile, network: Network) -> Network:
    """The dataset with the sweep's ``base_changes`` (validated)."""
    sweep = job_file.job.sweep
    assert sweep is not None
    if not sweep.base_changes:
        return network
    return apply_scenario(network, Scenario(name="sweep-base", changes=sweep.base_changes)).network


def check_parameters(base: Network, sweep: Sweep, job_file: JobFile) -> None:
    """Every parameter names a table and a number column and selects rows (each checked
    with its first value), before anything is solved; all problems reported together."""
    problems: list[Problem] = []
    text = job_file.path.read_text(encoding="utf-8")
    for number, parameter in enumerate(sweep.parameters):
        first = parameter.grid_values()[0] if sweep.mode == "grid" else 1.0
        try:
            changed_network(base, [parameter.change(first)], f"{job_file.path}: sweep parameter {parameter.name!r}")
        except InputError as exc:
            line = line_of_path(text, f"sweep.parameters.{number}")
            problems += [dataclasses.replace(p, line=line) for p in exc.problems]
    if problems:
        raise InputError(problems, heading="invalid sweep parameters")


def check_plan_parameters(plan: PlanBase, sweep: Sweep, job_file: JobFile) -> None:
    """A plan's sweep: the base changes and every parameter (at its first value) name a
    table, a column, rows and years of the plan, before anything is solved."""
    text = job_file.path.read_text(encoding="utf-8")
    label = f"{job_file.path}: sweep base_changes"
    problems = dataclasses.replace(plan, base_changes=()).check(list(sweep.base_changes), label)
    if sweep.price_trust:
        problems.append(
            Problem(
                str(job_file.path),
                line_of_path(text, "sweep.price_trust"),
                "price_trust",
                "true",
                "false in a job with a [horizon] (a plan's points are not ranged)",
                "plan_price_trust",
            )
        )
    for number, parameter in enumerate(sweep.parameters):
        if sweep.mode == "grid":
            first = parameter.grid_values()[0]
        else:
            first = float(plan.horizon.years[0]) if parameter.draws == "year" else 1.0
        found = plan.check([parameter.change(first)], f"{job_file.path}: sweep parameter {parameter.name!r}")
        line = line_of_path(text, f"sweep.parameters.{number}")
        problems += [dataclasses.replace(p, line=line) for p in found]
    if problems:
        raise InputError(problems, heading="invalid sweep parameters")


def run_sweep(job_file: JobFile, network: Network, out: Path | None, execution: ExecutionPlan) -> tuple[str, int, Path]:
    """Run the job's ``[sweep]``; write its outputs; return (text, exit status, folder)."""
    sweep = job_file.job.sweep
    if sweep is None:
        raise InputError(
            Problem(
                str(job_file.path),
                None,
                "sweep",
                None,
                "a [sweep] section with parameters (docs/sensitivity.md)",
                "sweep_missing",
            )
        )
    with claimed(job_file, network, out, "sweep") as (destination, protect):
        plan = None
        if job_file.job.horizon is not None:
            # a plan: its base is the plan with the base changes (they may name years)
            plan = dataclasses.replace(
                PlanBase.read(network, job_file.job.horizon.horizon()), base_changes=tuple(sweep.base_changes)
            )
            base = network
            check_plan_parameters(plan, sweep, job_file)
            points = sweep_points(sweep)
        else:
            base = sweep_base(job_file, network)
            check_parameters(base, sweep, job_file)
            points = sweep_points(sweep)
        solved = solve_points(
            job_file,
            base,
            points,
            tuple(sweep.prices),
            destination,
            execution,
            "sweep",
            tuple(sweep.flows),
            sweep.price_trust,
            plan,
        )
        summary = summary_base(job_file, "sweep", solved)
        summary.update(
            mode=sweep.mode,
            seed=sweep.seed if sweep.mode == "monte_carlo" else None,
            parameters=[
                {
                    **p.model_dump(mode="json", exclude={"values", "range", "distribution"}),
                    "unit": p.unit or ("factor" if p.action == "scale" else ""),
                }
                for p in sweep.parameters
            ],
        )

        def fill(folder: Path) -> None:
            write_points(folder, solved.table)
            outputs.write_summary_json(summary, folder)
            report.write_sweep_report(folder, png=job_file.job.report_png)
            results_workbook(job_file.job, folder)

        written = publish(destination, protect, fill, solved)
        store.record_run(job_file, "sweep", written, solved, network, summary=summary)  # docs/store.md
        return sweep_text(job_file.name, solved, summary), (0 if summary["failed"] == 0 else 1), written


def destination_of(
    job_file: JobFile, network: Network, out: Path | None, command: str
) -> tuple[Path, tuple[Path, ...]]:
    """The output folder of ``oreflow sweep`` / ``stress`` (``--out``, else the job's) and
    what it must not contain; checked before anything is solved.

    The folder's lock is claimed first (:func:`oreflow.outputs.claim`) and held for the whole
    run, until :func:`publish` has put the outputs in place: the journal beside the folder
    has one writer. InputError at once when another oreflow process is writing the folder."""
    destination = out or job_file.output_of(command)
    protect = protected(str(job_file.path), network)
    outputs.claim(destination)
    try:
        outputs.check_destination(destination, protect)
    except BaseException:
        outputs.release(destination)
        raise
    return destination, protect


@contextmanager
def claimed(
    job_file: JobFile, network: Network, out: Path | None, command: str
) -> Iterator[tuple[Path, tuple[Path, ...]]]:
    """:func:`destination_of` for the with-block; a run that fails inside it (bad parameters,
    an interrupt, an error before :func:`publish`) releases the folder's lock on the way out."""
    destination, protect = destination_of(job_file, network, out, command)
    try:
        yield destination, protect
    except BaseException:
        outputs.release(destination)
        raise


def publish(destination: Path, protect: tuple[Path, ...], fill: Callable[[Path], None], solved: Solved) -> Path:
    """Write the outputs atomically, then drop the journal the run no longer needs; the
    folder's lock (claimed by :func:`destination_of`) is released either way."""
    try:
        written = outputs.write_atomically(destination, fill, protect)
        Journal(destination, solved.context.fingerprint).clear()
    finally:
        outputs.release(destination)
    return written


def sweep_text(name: str, solved: Solved, summary: dict[str, Any]) -> str:
    """A few lines for people: counts, speed, the range of total cost."""
    table = solved.table
    fresh = len(table) - solved.resumed
    lines = [
        f"oreflow sweep {name!r}: {len(table):,} points ({summary.get('mode', '')}), "
        f"{summary['optimal']:,} optimal, {summary['failed']:,} failed; "
        f"{fresh:,} solved in {solved.seconds:,.1f} s"
        + (f", {solved.resumed:,} resumed from an interrupted run" if solved.resumed else "")
    ]
    solved_rows = table["status"] == "optimal" if len(table) else pd.Series(dtype=bool)
    objective = table.loc[solved_rows, "objective_usd"] if solved_rows.any() else pd.Series(dtype=float)
    if len(objective):
        q = np.percentile(objective, [0, 5, 50, 95, 100])
        curves = "welfare_usd" in table.columns
        what = "objective (total cost - willingness to pay)" if curves else "total cost"
        unit = "USD, present value of the plan" if solved.plan else "USD/yr"
        lines.append(
            f"  {what}, {unit}: min {q[0]:,.0f}, P5 {q[1]:,.0f}, median {q[2]:,.0f}, "
            f"P95 {q[3]:,.0f}, max {q[4]:,.0f} (base case {solved.base_objective:,.0f})"
        )
        cheapest, dearest = table.loc[objective.idxmin()], table.loc[objective.idxmax()]
        best, worst = ("highest welfare", "lowest welfare") if curves else ("cheapest point", "dearest")
        lines.append(f"  {best}: {cheapest['label']}; {worst}: {dearest['label']}")
    trust = summary["dual_trust"]
    if trust["points_without_basis"]:
        lines.append(
            f"  WARNING: {trust['points_without_basis']:,} point(s) have no basis: their prices are not "
            "basis duals (interior point without crossover?); see has_basis"
        )
    if trust["points_with_non_unique_duals"]:
        lines.append(
            f"  {trust['points_with_non_unique_duals']:,} point(s) have degenerate optima: some prices are "
            "one of several valid values (unique_duals, docs/conventions.md)"
        )
    failed = table.loc[table["status"] != "optimal"] if len(table) else table
    for row in failed.head(5).itertuples(index=False):
        lines.append(f"  point {row.point} ({row.label}): {row.status}: {row.error}")
    if len(failed) > 5:
        lines.append(f"  ... and {len(failed) - 5} more failed points (points.csv, column error)")
    if summary["job"].get("backend") == "pyomo":
        lines.append(
            "  note: sweeps solve with HiGHS directly (in-place re-solves); the job's backend 'pyomo' "
            "applies to oreflow run only"
        )
    lines.append("Every point: points.csv / points.parquet; charts: report.html")
    return "\n".join(lines)
