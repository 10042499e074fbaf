"""The app for a plan: a job with a ``[horizon]`` re-solved as its controls move.

:class:`PlanSolver` holds the job's base plan loaded in HiGHS (the plan sweep engine,
:class:`~oreflow.sweep.plan_engine.PlanEngine`): each change applies to every year of the
horizon, after that year's paths, and the whole plan (builds, stocks, every year's market) is
re-solved in place from the last basis where its structure stays. Its answer is a
:class:`~oreflow.planning.PlanResult`, equal to ``oreflow run`` of the plan with the same
changes as a scenario (tests/test_app_plan.py). :func:`figures` and :func:`view` show it as the
plan's report does (its timeline charts and their captions), each chart with its change against
the base plan, and the prices of the horizon's last period.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oreflow.app.figures import chart_slots, price_rows
from oreflow.errors import SolveError
from oreflow.job import Change, JobFile, market_options
from oreflow.model.network import Network
from oreflow.plan_cases import PlanBase
from oreflow.planning import PlanResult, plan_conflict_rows, plan_result, plan_summary
from oreflow.prices import FRAGILE, FRAGILE_MEANING, kg_text
from oreflow.report.common import fmt
from oreflow.report.common.html import _plain
from oreflow.report.plan.charts import plan_charts
from oreflow.report.plan.data import PlanData
from oreflow.sweep.engine import SweepContext
from oreflow.sweep.plan_engine import PlanEngine

#: The page's chart slots for a plan, in page order (the plan report's charts).
SLOTS = ("separation", "builds", "prices", "stockpiles", "costs")

#: Heading and words of a slot whose chart the report leaves out.
EMPTY_TITLE = {"builds": "Builds", "stockpiles": "Stockpiles"}
EMPTY = {"builds": "Nothing is built.", "stockpiles": "No stockpile in this plan."}


class Infeasible:
    """A plan with no optimum, in the words the page shows (as an infeasibility report)."""

    heading = "these constraints cannot all hold together over the horizon"

    def __init__(self, rows: list[str]) -> None:
        self.rows = rows or ["HiGHS found no optimal plan (check supply, capacity, contracts and stock bounds)"]

    def items(self) -> list[str]:
        return list(self.rows)


class PlanSolver:
    """A plan job's base plan loaded in HiGHS, re-solved with a session's changes."""

    def __init__(self, job_file: JobFile, network: Network) -> None:
        """Read the plan's years and planning tables and solve the base plan (:attr:`base`)."""
        job = job_file.job
        assert job.horizon is not None
        context = SweepContext(
            fingerprint="oreflow serve",
            network=network,
            market=market_options(job),
            solver_options=dict(job.solver_options),
            prices=(),
            plan=PlanBase.read(network, job.horizon.horizon()),
        )
        self.engine = PlanEngine(context)
        self.base = self.solve_changes([], "the base plan")

    def fork(self) -> PlanSolver:
        """The same base plan in a HiGHS model of its own (one per session)."""
        twin = copy.copy(self)
        twin.engine = self.engine.fork()
        return twin

    def solve_changes(self, changes: Sequence[Change], label: str) -> PlanResult:
        """The plan with ``changes`` applied to every year. InputError for changes that cannot
        be applied; SolveError (its ``report`` naming the conflicting rows and their years)
        when the plan has no optimum."""
        plan, record, networks, planning, mip = self.engine.solve_changes(list(changes), label, ranging=True)
        if record.status != "optimal":
            raise SolveError(
                record.status, f"{label}: {record.solver_status}", report=Infeasible(plan_conflict_rows(plan, record))
            )
        return plan_result(plan, record, networks, planning, mip=mip)


def plan_data(result: PlanResult, name: str) -> PlanData:
    """``result`` as the plan report reads it: its tables in memory and its summary."""
    return PlanData(Path(name), plan_summary(result, name, None, None), result.tables())


def figures(result: PlanResult) -> dict[str, Any]:
    """The figures of a plan that :func:`view` compares with the base plan's."""
    data = plan_data(result, "oreflow serve")
    horizon = result.horizon
    last = horizon.years[-1]
    market = result.years[last].market
    builds = result.builds
    # unmet demand over the horizon: each period's t/yr times the years it stands for
    unmet = sum(
        n_years * float(result.years[year].unmet["unmet_t"].sum())
        for year, n_years in zip(horizon.years, horizon.period_years)
        if len(result.years[year].unmet)
    )
    stock = result.inventory
    return {
        "data": data,
        "charts": {c.name: c for c in plan_charts(data)},
        "objective": float(result.objective),
        "last_year": last,
        "built_t": float(builds["capacity_t"].sum()) if len(builds) else 0.0,
        "by_build": builds.groupby("build")["capacity_t"].sum() if len(builds) else None,
        "prices": market.set_index(["product", "market"])["price_usd_per_t"],
        "quantities": market.set_index(["product", "market"])["quantity_t"],
        "fragile": market.set_index(["product", "market"])["fragile"].astype("boolean").fillna(False),
        "notes": market.set_index(["product", "market"])["note"].fillna("").astype(str),
        "unmet_t": float(unmet),
        # every year's prices, to name the largest moves wherever they are in the horizon
        "all_prices": pd.concat(
            {year: r.market.set_index(["product", "market"])["price_usd_per_t"] for year, r in result.years.items()},
            names=["year"],
        ),
        "stock_drawn_t": float(stock["draw_t"].sum()) if "draw_t" in stock and len(stock) else 0.0,
    }


def _change(now: float, base: float, text: Any) -> str:
    diff = now - base
    sign = "+" if diff > 0 else "−" if diff < 0 else "±"
    return f"{text(now)} (base {text(base)}; {sign}{text(abs(diff))})"


def _deltas(now: dict[str, Any], base: dict[str, Any]) -> dict[str, str]:
    """One line per slot: how its figure moved from the base plan."""
    same = "Same as the base plan."
    out = {slot: same for slot in SLOTS}
    if abs(now["built_t"] - base["built_t"]) > 0.5:
        out["builds"] = f"Capacity built {_change(now['built_t'], base['built_t'], fmt.tonnes)} per year."
    if out["builds"] == same and now["by_build"] is not None and base["by_build"] is not None:
        moved = now["by_build"].sub(base["by_build"], fill_value=0)
        moved = moved[moved.abs() > 0.5]
        if len(moved):
            out["builds"] = "Builds move: " + "; ".join(f"{b} {v:+,.0f} t/yr" for b, v in moved.items()) + "."
    prices, was = now["all_prices"], base["all_prices"].reindex(now["all_prices"].index)
    rel = ((prices - was) / was.where(was.abs() > 1e-9)).dropna()
    rel = rel[rel.abs() > 1e-6].sort_values(key=np.abs, ascending=False)
    if len(rel):
        out["prices"] = (
            "Prices that moved most: "
            + "; ".join(
                f"{p} in {m} in {y} {kg_text(prices[(y, p, m)])} ({v:+.1%})" for (y, p, m), v in rel.head(4).items()
            )
            + "."
        )
    if abs(now["stock_drawn_t"] - base["stock_drawn_t"]) > 0.5:
        out["stockpiles"] = (
            "Drawn from stock over the periods: "
            + _change(now["stock_drawn_t"], base["stock_drawn_t"], fmt.tonnes)
            + " per year of each period, summed."
        )
    if abs(now["objective"] - base["objective"]) > 0.5:
        out["costs"] = (
            "The plan's objective " + _change(now["objective"], base["objective"], fmt.usd) + " in present value."
        )
    if out["builds"] != same:
        out["separation"] = "Separation capacity moves with the builds (below)."
    return out


def view(result: PlanResult, base: dict[str, Any], now: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the page shows of a plan (JSON-ready, the keys of the single-year view): the lead
    line, the prices of the horizon's last period against the base plan's, each chart with its
    caption and change, and the builds as the plan report lists them."""
    now = now if now is not None else figures(result)
    charts = chart_slots(SLOTS, now["charts"], _deltas(now, base), EMPTY_TITLE, EMPTY)
    prices = price_rows(now, base)
    span = now["data"].span
    lead = (
        f"The plan {span}: objective {_change(now['objective'], base['objective'], fmt.usd)} in present value; "
        f"{fmt.tonnes(now['built_t'])} per year of capacity built; "
        + (f"{fmt.tonnes(now['unmet_t'])} of demand unmet over the years." if now["unmet_t"] > 0 else "all demand met.")
        + f" Prices below are {now['last_year']}'s."
    )
    return _plain(
        {
            "lead": lead,
            "numbers": {
                "objective_usd": now["objective"],
                "base_objective_usd": base["objective"],
                "built_t": now["built_t"],
                "base_built_t": base["built_t"],
                "unmet_t": now["unmet_t"],
            },
            "prices": prices,
            "charts": charts,
            "fragile_word": FRAGILE,
            "fragile_meaning": FRAGILE_MEANING,
            "market_html": "",
            "welfare_html": "",
            "iterations": 0,
        }
    )
