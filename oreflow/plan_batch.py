"""``oreflow run`` on a job with a ``[horizon]`` and ``[[scenarios]]``: the base plan and each
scenario's plan, compared.

Each scenario's changes apply to the years of the plan as :mod:`oreflow.plan_cases` says
(after each year's paths; ``years`` limits a change to some periods; changes of the planning
tables apply once). Every scenario is applied and validated before anything is solved. The
output folder holds ``base/`` and one folder per scenario, each a plan's output (its tables,
``summary.json`` with the changes applied, ``report.html``) or, for a plan without a solution,
``summary.json`` with the status and the conflicting constraints; ``comparison.csv``
(:func:`plan_metrics` of every case against the base: value, base, delta), a batch
``summary.json`` and ``report.html``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from oreflow import outputs, store
from oreflow.errors import SolveError
from oreflow.job import Scenario
from oreflow.manifest import BATCH, CASE, PLAN
from oreflow.model.network import Network
from oreflow.plan_cases import PlanBase
from oreflow.planning import YEAR_METRICS, PlanResult, plan_metrics, plan_summary, solve_job_plan
from oreflow.runs import protected, write_batch_summary
from oreflow.scenarios import comparison

__all__ = ["YEAR_METRICS", "PlanOutcome", "plan_batch_text", "plan_metrics", "run_plan_batch"]


@dataclass
class PlanOutcome:
    """One solved (or failed) plan of a batch."""

    name: str
    result: PlanResult | None
    error: SolveError | None = None
    scenario: Scenario | None = None

    @property
    def status(self) -> str:
        """``optimal``, or the failed solve's status."""
        return "optimal" if self.result is not None else (self.error.status if self.error else "error")


def run_plan_batch(spec: Any, network: Network, scenarios: list[Scenario]) -> tuple[str, int, Path]:
    """Solve the base plan and each of ``scenarios``, compare, write (see the module docstring)."""
    from oreflow.model.planning import PlanningTables

    job = spec.job
    base = PlanBase.read(network, job.horizon.horizon())
    cases: list[tuple[str, Scenario | None, tuple[dict[int, Network], PlanningTables]]] = [
        ("base", None, base.inputs())
    ]
    # every scenario checked before anything is solved
    cases += [(s.name, s, inputs) for s, inputs in zip(scenarios, base.scenario_inputs(scenarios))]
    protect = protected(spec.job_path, network)
    with outputs.lock(spec.destination):
        outputs.check_destination(spec.destination, protect)
        outcomes = [_solved(name, scenario, inputs, job) for name, scenario, inputs in cases]
        table = comparison(outcomes, plan_metrics)
        written = outputs.write_atomically(spec.destination, partial(_fill, spec, outcomes, table), protect)
    store.record_run(spec, BATCH, written, outcomes, network, figures=plan_metrics)  # docs/store.md
    failed = [o for o in outcomes if o.result is None]
    return plan_batch_text(spec.name, outcomes, written), (1 if failed else 0), written


def _solved(name: str, scenario: Scenario | None, inputs: tuple, job: Any) -> PlanOutcome:
    networks, planning = inputs
    try:
        result = solve_job_plan(job, networks, planning)
    except SolveError as exc:
        return PlanOutcome(name, None, exc, scenario)
    return PlanOutcome(name, result, None, scenario)


def _fill(spec: Any, outcomes: list[PlanOutcome], table: pd.DataFrame, folder: Path) -> None:
    for outcome in outcomes:
        case = folder / outcome.name
        case.mkdir()
        if outcome.result is not None:
            summary = plan_summary(outcome.result, outcome.name, spec.job_dump, spec.job_path)
            summary["kind"] = PLAN
        else:
            summary = {
                "kind": CASE,
                "name": outcome.name,
                "status": outcome.status,
                "error": str(outcome.error),
                "infeasibility": [str(outcome.error)],
                "job_file": spec.job_path,
                "job": spec.job_dump,
            }
        if outcome.scenario is not None:
            summary["scenario"] = {
                "name": outcome.scenario.name,
                "description": outcome.scenario.description,
                "changes": [c.describe() for c in outcome.scenario.changes],
            }
        if outcome.result is not None:
            for name, frame in outcome.result.tables().items():
                frame.to_csv(case / f"{name}.csv", index=False)
        outputs.write_summary_json(summary, case)
    table.to_csv(folder / "comparison.csv", index=False)
    cases = [
        {"name": o.name, "status": o.status, "objective_pv_usd": o.result.objective if o.result else None}
        for o in outcomes
    ]
    write_batch_summary(spec, folder, cases, plan=True)


def plan_batch_text(name: str, outcomes: list[PlanOutcome], folder: Path | None = None) -> str:
    """One line per plan: status, objective in present value and its change against the base,
    and what it builds."""
    base = outcomes[0].result
    width = max(len(o.name) for o in outcomes) + 2
    lines = [
        f"oreflow run {name!r}: base plan and {len(outcomes) - 1} scenario(s)",
        f"  {'case':<{width}}{'status':<12}{'objective, USD (PV)':>24}{'vs base':>20}  built (t/yr)",
    ]
    for outcome in outcomes:
        r = outcome.result
        if r is None:
            lines.append(f"  {outcome.name:<{width}}{outcome.status:<12}{'—':>24}{'—':>20}")
            continue
        delta = f"{r.objective - base.objective:+,.0f}" if base is not None else "—"
        built = r.builds.groupby("country", sort=True)["capacity_t"].sum() if len(r.builds) else pd.Series(dtype=float)
        where = ", ".join(f"{c} {v:,.0f}" for c, v in built.items()) or "none"
        lines.append(f"  {outcome.name:<{width}}{'optimal':<12}{r.objective:>24,.0f}{delta:>20}  {where}")
    for outcome in outcomes:
        if outcome.error is not None:
            lines.append(f"Scenario {outcome.name!r}: {outcome.error}")
    out = str(folder) if folder is not None else "<output>"
    lines.append(f"Per-plan tables and timelines: {out}/<case>/; all deltas: {out}/comparison.csv")
    return "\n".join(lines)
