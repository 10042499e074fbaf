"""Running a job: one solve, or the base case and its scenarios, with outputs written atomically.

Without scenarios a run writes its tables and ``summary.json`` into the output folder.
With scenarios the output folder holds ``base/`` and one folder per scenario (each with
its tables and ``summary.json``, recording the changes applied in order),
``comparison.csv`` (every scenario against the base: value, base, delta) and a batch
``summary.json``. A scenario whose solve fails (e.g. infeasible) is recorded — its
folder holds ``summary.json`` with the status and ``infeasibility.txt`` — and the batch
goes on; the run then exits non-zero.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from oreflow import outputs, report, store
from oreflow.api import solve_network
from oreflow.calibration import CALIBRATION_TABLE, calibrate, calibration_line, observed_for
from oreflow.errors import InputError, Problem, SolveError
from oreflow.job import Job, JobFile, market_options
from oreflow.manifest import BATCH, CASE, RUN
from oreflow.model.network import Network
from oreflow.prices import has_curves
from oreflow.result import Result
from oreflow.scenarios import Outcome, apply_all, comparison
from oreflow.summary import summary_dict, summary_text


@dataclass
class RunSpec:
    """What to run: the job (or defaults for a bare dataset folder) and where to write."""

    job: Job
    name: str
    destination: Path
    job_dump: dict[str, Any]
    job_path: str | None

    @classmethod
    def of(cls, job_file: JobFile | None, dataset: Path, out: Path | None) -> RunSpec:
        """From a job file, or (``job_file`` None) defaults for the dataset folder ``dataset``;
        ``out`` overrides the output folder."""
        if job_file is not None:
            job = job_file.job
            resolved = {
                **job.model_dump(mode="json"),
                "name": job_file.name,
                "dataset": str(job_file.dataset),
                "output": str(out or job_file.output),
            }
            return cls(
                job,
                job_file.name,
                out or job_file.output,
                {"as_read": job_file.raw, "resolved": resolved},
                str(job_file.path),
            )
        job = Job(dataset=dataset)
        name = dataset.resolve().stem if dataset.suffix.lower() == ".xlsx" else dataset.resolve().name
        return cls(
            job, name, out or Path("outputs") / name, {"as_read": None, "resolved": job.model_dump(mode="json")}, None
        )


def _solve(spec: RunSpec, network: Network, timings: dict[str, float] | None = None) -> Any:
    job = spec.job
    return solve_network(
        network,
        job.backend,
        solver=job.solver,
        solver_options=job.solver_options,
        market=market_options(job),
        timings=timings,
        ranging=job.ranging,
    )


def protected(spec_path: str | None, network: Network) -> tuple[Path, ...]:
    """What an output folder must never contain: the job file and the dataset it read."""
    return tuple(Path(p) for p in (spec_path, network.source) if p is not None)


def run_single(spec: RunSpec, network: Network, load_s: float) -> tuple[str, int, Path]:
    """Solve once and write; raises SolveError (nothing written) when not optimal.

    The output folder's lock is held from its check (before solving: fail fast) until the
    output is in place; InputError at once when another oreflow process is writing it."""
    protect = protected(spec.job_path, network)
    observed = observed_for(network)  # checked before solving
    with outputs.lock(spec.destination):
        outputs.check_destination(spec.destination, protect)
        result = _solve(spec, network, {"load_s": load_s})
        checked = calibrate(result, observed, strict=False) if observed is not None else None

        def fill(folder: Path) -> None:
            mark = time.perf_counter()
            outputs.write_tables(result, folder)
            if checked is not None:
                checked.to_csv(folder / CALIBRATION_TABLE, index=False)
            result.timings["write_s"] = time.perf_counter() - mark
            outputs.write_summary_json(
                summary_dict(result, name=spec.name, job=spec.job_dump, job_path=spec.job_path), folder
            )
            report.write_report(folder, png=spec.job.report_png)  # built from the files just written
            results_workbook(spec.job, folder)

        written = outputs.write_atomically(spec.destination, fill, protect)
    store.record_run(spec, RUN, written, result, network)  # once the output is in place (docs/store.md)
    text = summary_text(result, spec.name)
    if checked is not None:
        text += "\n" + calibration_line(checked)
    return text, 0, written


def selected_scenarios(spec: RunSpec, only: str | None) -> list[Any]:
    """The job's scenarios, or only the one named ``only`` (InputError when there is none)."""
    scenarios = list(spec.job.scenarios)
    if only is not None:
        scenarios = [s for s in scenarios if s.name == only]
        if not scenarios:
            names = ", ".join(s.name for s in spec.job.scenarios) or "none"
            raise InputError(
                Problem(
                    spec.job_path or "job",
                    None,
                    "--scenario",
                    only,
                    f"a scenario of the job (scenarios: {names})",
                    "scenario_name",
                )
            )
    return scenarios


def run_batch(spec: RunSpec, network: Network, only: str | None = None) -> tuple[str, int, Path]:
    """Solve the base case and the job's scenarios (or only ``only``), compare, write."""
    scenarios = selected_scenarios(spec, only)
    applied = apply_all(network, scenarios)  # every change checked before anything is solved
    observed = observed_for(network)  # the base case is compared with it (calibration.csv)
    protect = protected(spec.job_path, network)
    with outputs.lock(spec.destination):  # held from the check until the output is in place
        outputs.check_destination(spec.destination, protect)
        outcomes = [_outcome("base", spec, network, None)]
        outcomes += [_outcome(a.scenario.name, spec, a.network, a) for a in applied]
        table = comparison(outcomes)
        base = outcomes[0].result
        checked = calibrate(base, observed, strict=False) if observed is not None and base is not None else None
        written = outputs.write_atomically(
            spec.destination, partial(_fill_batch, spec, outcomes, table, checked), protect
        )
    store.record_run(spec, BATCH, written, outcomes, network)  # the batch and each case (docs/store.md)
    failed = [o for o in outcomes if o.result is None]
    return batch_text(spec.name, outcomes, written), (1 if failed else 0), written


def _fill_batch(
    spec: RunSpec, outcomes: list[Outcome], table: pd.DataFrame, checked: pd.DataFrame | None, folder: Path
) -> None:
    """Write a batch into ``folder``: one folder per case (the base case with ``checked``, its
    comparison with the observed figures, as calibration.csv), ``table`` as comparison.csv,
    summary.json, report."""
    for outcome in outcomes:
        case = folder / outcome.name
        case.mkdir()
        summary = _case_summary(spec, outcome)
        if outcome.result is not None:
            outputs.write_tables(outcome.result, case)
            if checked is not None and outcome is outcomes[0]:
                checked.to_csv(case / CALIBRATION_TABLE, index=False)
        elif outcome.error is not None and outcome.error.report is not None:
            (case / "infeasibility.txt").write_text(str(outcome.error.report) + "\n", encoding="utf-8")
        outputs.write_summary_json(summary, case)
    table.to_csv(folder / "comparison.csv", index=False)
    cases = [
        {"name": o.name, "status": o.status, "objective_usd": o.result.objective if o.result is not None else None}
        for o in outcomes
    ]
    write_batch_summary(spec, folder, cases)


def write_batch_summary(spec: RunSpec, folder: Path, cases: list[dict[str, Any]], plan: bool = False) -> None:
    """A batch's summary.json (``cases``: name, status, objective of each; ``plan``: a batch of
    plans, oreflow/plan_batch.py), its report, built from the case folders already written, and
    with the job's ``results_xlsx`` its results.xlsx."""
    summary: dict[str, Any] = {
        "kind": BATCH,
        "name": spec.name,
        "job_file": spec.job_path,
        "job": spec.job_dump,
        "cases": cases,
    }
    if plan:
        summary["plan"] = True
    outputs.write_summary_json(summary, folder)
    report.write_batch_report(folder, png=spec.job.report_png)
    results_workbook(spec.job, folder)


def results_workbook(job: Job, folder: Path) -> None:
    """results.xlsx in the output folder being written, when the job asks for it (``results_xlsx``):
    built from the files already there (docs/excel.md)."""
    if job.results_xlsx:
        from oreflow.excel import write_results_xlsx

        write_results_xlsx(folder)


def _outcome(name: str, spec: RunSpec, network: Network, applied: Any) -> Outcome:
    try:
        return Outcome(name, _solve(spec, network), applied=applied)
    except SolveError as exc:
        return Outcome(name, None, error=exc, applied=applied)


def _case_summary(spec: RunSpec, outcome: Outcome) -> dict[str, Any]:
    if outcome.result is not None:
        summary = summary_dict(outcome.result, name=outcome.name, job=spec.job_dump, job_path=spec.job_path)
    else:
        error = outcome.error
        summary = {
            "name": outcome.name,
            "status": outcome.status,
            "error": str(error),
            "infeasibility": list(error.report.constraints) if error is not None and error.report else None,
            # each constraint with what relaxing it alone does, as infeasibility.txt lists them
            "infeasibility_items": error.report.items() if error is not None and error.report else None,
            # what the set is and what relaxing one member does (model/infeasibility.py)
            "infeasibility_heading": error.report.heading if error is not None and error.report else None,
            "infeasibility_irreducible": error.report.irreducible if error is not None and error.report else None,
            "job_file": spec.job_path,
            "job": spec.job_dump,
        }
    summary["kind"] = CASE
    if outcome.applied is not None:
        summary["scenario"] = {
            "name": outcome.applied.scenario.name,
            "description": outcome.applied.scenario.description,
            "changes_applied": outcome.applied.log,
        }
    return summary


def _total_cost(result: Result) -> float:
    """The total cost of a result (with demand curves: the objective less the willingness to pay)."""
    return float(result.welfare.get("total_cost", result.objective))


def batch_text(name: str, outcomes: list[Outcome], folder: Path | None = None) -> str:
    """One line per case: status, total cost and its change against the base."""
    base = outcomes[0].result
    # with demand curves the objective is total cost - WTP: show the total cost and the welfare
    curves = any(o.result is not None and has_curves(o.result.market) for o in outcomes)
    lines = [
        f"oreflow run {name!r}: base case and {len(outcomes) - 1} scenario(s)",
        f"  {'case':<32}{'status':<12}{'total cost, USD/yr':>22}{'vs base':>18}{'unmet t':>12}"
        + (f"{'welfare vs base':>20}" if curves else ""),
    ]
    for outcome in outcomes:
        if outcome.result is None:
            lines.append(
                f"  {outcome.name:<32}{outcome.status:<12}{'—':>22}{'—':>18}{'—':>12}"
                + (f"{'—':>20}" if curves else "")
            )
            continue
        result = outcome.result
        cost = _total_cost(result) if curves else result.objective
        base_cost = (_total_cost(base) if curves else base.objective) if base is not None else float("nan")
        delta = f"{cost - base_cost:+,.0f}" if base is not None else "—"
        line = (
            f"  {outcome.name:<32}{result.status:<12}{cost:>22,.0f}{delta:>18}{result.unmet['unmet_t'].sum():>12,.0f}"
        )
        if curves:  # welfare = -objective
            line += f"{base.objective - result.objective:>+20,.0f}" if base is not None else f"{'—':>20}"
        lines.append(line)
    for outcome in outcomes:
        if outcome.error is not None:
            lines.append(f"Scenario {outcome.name!r}: {outcome.error}")
    out = str(folder) if folder is not None else "<output>"
    lines.append(f"Per-scenario tables and prices: {out}/<case>/; all deltas: {out}/comparison.csv")
    return "\n".join(lines)
