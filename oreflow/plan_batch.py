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

from oreflow import outputs
from oreflow.errors import InputError, SolveError
from oreflow.job import Scenario
from oreflow.manifest import CASE, PLAN
from oreflow.model.network import Network
from oreflow.plan_cases import PlanBase
from oreflow.planning import PlanResult, plan_summary, solve_job_plan
from oreflow.runs import protected, write_batch_summary
from oreflow.scenarios import comparison, metrics

#: Metrics of a single year (:func:`oreflow.scenarios.metrics`) renamed in a plan's
#: comparison, where the plan's own totals take their names.
YEAR_METRICS = {"objective": "year_objective", "cost": "year_cost", "welfare": "year_welfare", "unmet": "year_unmet"}


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


def plan_metrics(result: PlanResult) -> pd.DataFrame:
    """The figures a comparison of plans shows, long format (metric, key, unit, value):

    - ``objective`` (``total``: the objective in present value, USD), ``present_value`` per
      year (the year's objective times its discounted years, USD);
    - ``cost`` per component in present value (the years' and the builds' charges and
      stock holding, USD); ``unmet`` per market/product (t over every year of the horizon);
    - ``built`` per country and ``build`` per build (t/yr of capacity built);
    - every single-year metric of each year (:func:`oreflow.scenarios.metrics`) keyed
      ``<key>@<year>``, with ``objective``, ``cost``, ``welfare`` and ``unmet`` renamed
      ``year_objective``, ``year_cost``, ``year_welfare`` and ``year_unmet``.
    """
    h = result.horizon
    costs = result.costs_by_year
    parts = [
        pd.DataFrame({"metric": ["objective"], "key": ["total"], "unit": ["USD"], "value": [result.objective]}),
        pd.DataFrame(
            {
                "metric": "present_value",
                "key": costs["year"].astype(str),
                "unit": "USD",
                "value": costs["present_value_usd"].to_numpy(float),
            }
        ),
    ]
    years = []
    cost: dict[str, float] = {}
    unmet: dict[str, float] = {}
    weight = dict(zip(costs["year"], costs["weight"]))
    for (year, r), n_years in zip(result.years.items(), h.period_years):
        frame = metrics(r)
        for key, value in r.cost_breakdown.items():
            if key != "total":
                cost[key] = cost.get(key, 0.0) + float(weight[year]) * value
        for m, p, t in zip(r.unmet["market"], r.unmet["product"], r.unmet["unmet_t"]):
            unmet[f"{m}/{p}"] = unmet.get(f"{m}/{p}", 0.0) + n_years * float(t)
        years.append(frame.assign(metric=frame["metric"].replace(YEAR_METRICS), key=frame["key"] + f"@{year}"))
    charges = result.builds["charges_pv_usd"].sum() if len(result.builds) else 0.0
    if len(result.builds):
        cost["build_charges"] = float(charges)
    parts.append(pd.DataFrame({"metric": "cost", "key": list(cost), "unit": "USD", "value": list(cost.values())}))
    parts.append(pd.DataFrame({"metric": "unmet", "key": list(unmet), "unit": "t", "value": list(unmet.values())}))
    if len(result.builds):
        built = result.builds.groupby("country", sort=True)["capacity_t"].sum()
        per_build = result.builds.groupby("build", sort=True)["capacity_t"].sum()
        parts.append(pd.DataFrame({"metric": "built", "key": built.index, "unit": "t/yr", "value": built.to_numpy()}))
        parts.append(
            pd.DataFrame({"metric": "build", "key": per_build.index, "unit": "t/yr", "value": per_build.to_numpy()})
        )
    return pd.concat([p for p in parts + years if len(p)], ignore_index=True)


def run_plan_batch(spec: Any, network: Network, scenarios: list[Scenario]) -> tuple[str, int, Path]:
    """Solve the base plan and each of ``scenarios``, compare, write (see the module docstring)."""
    from oreflow.model.planning import PlanningTables

    job = spec.job
    base = PlanBase.read(network, job.horizon.horizon())
    cases: list[tuple[str, Scenario | None, tuple[dict[int, Network], PlanningTables]]] = [
        ("base", None, base.inputs())
    ]
    problems = []
    for scenario in scenarios:  # every scenario checked before anything is solved
        try:
            cases.append((scenario.name, scenario, base.inputs(scenario.changes, f"scenario {scenario.name!r}")))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems, heading="invalid scenarios")
    protect = protected(spec.job_path, network)
    with outputs.lock(spec.destination):
        outputs.check_destination(spec.destination, protect)
        outcomes = [_solved(name, scenario, inputs, job) for name, scenario, inputs in cases]
        table = comparison(outcomes, plan_metrics)
        written = outputs.write_atomically(spec.destination, partial(_fill, spec, outcomes, table), protect)
    failed = [o for o in outcomes if o.result is None]
    return plan_batch_text(spec.name, outcomes), (1 if failed else 0), written


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


def plan_batch_text(name: str, outcomes: list[PlanOutcome]) -> str:
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
    lines.append("Per-plan tables and timelines: <output>/<case>/; all deltas: <output>/comparison.csv")
    return "\n".join(lines)
