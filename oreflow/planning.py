"""Solving a plan: the years of a horizon in one LP (:mod:`oreflow.model.plan`), with builds,
build limits and stockpiles (:mod:`oreflow.model.planning`), read back year by year.

:func:`solve_plan` returns a :class:`PlanResult`: a :class:`~oreflow.Result` per year, read
exactly as a single-year run is (prices in USD per tonne of that year, costs of that year),
and the horizon's own tables: the builds (what, where, when, how much, at what capital), the
stockpiles' levels, the prices of the build limits and stock balances, and the cost of each
year with its present value. docs/formulation.md, "Planning over years".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oreflow.errors import SolveError
from oreflow.model.arrays import LinearProgram
from oreflow.model.conventions import clean
from oreflow.model.families import CAPACITY
from oreflow.model.lp import build_lp
from oreflow.model.market import MarketOptions, as_options
from oreflow.model.network import Network
from oreflow.model.plan import Horizon, PlanLP, build_plan_lp, year_record
from oreflow.model.planning import BUILT_CAPACITY, PlanningTables, build_part, site_countries, stock_part
from oreflow.model.record import SolutionRecord
from oreflow.result import Result, make_result
from oreflow.solvers import solve_lp
from oreflow.solvers.highs import solve_highs


@dataclass
class PlanResult:
    """The optimal plan over a horizon.

    Attributes:
        horizon: the years, their periods and the discount rate.
        objective: the minimised quantity in present value (USD at the base year): the
            discounted total cost of every year, minus the willingness to pay where demand
            has curves, plus the builds' charges and the stockpiles' holding costs.
        years: a Result per year (its tables in that year's money, per year of the period).
        builds: one row per build and start year with capacity: build, site, stage, start,
            online year, ``capacity_t`` (t/yr), and its charges in present value.
        inventory: one row per stockpile and year: level at the period's end, fill and draw
            (t/yr) and the value of one more tonne in stock (``price_usd_per_t``, >= 0, in
            that year's money).
        horizon_prices: the rows of the horizon: build sizes, build limits (per t/yr of
            building capability) and stock balances, with the dual in present value and the
            price in the year's money.
        costs_by_year: per year, its weight (discounted years it stands for), its objective
            per year and that times the weight (present value).
        mip: with minimum plant sizes (a MIP): its objective, relative gap, node count and
            the fixed LP's objective; empty for an LP. See :attr:`price_basis`.
    """

    horizon: Horizon
    objective: float
    years: dict[int, Result]
    builds: pd.DataFrame
    inventory: pd.DataFrame
    horizon_prices: pd.DataFrame
    costs_by_year: pd.DataFrame
    mip: dict[str, Any] = field(default_factory=dict)
    plan_lp: PlanLP | None = field(default=None, repr=False)

    @property
    def price_basis(self) -> str:
        """Where the prices come from: the LP, or with minimum plant sizes the LP with the
        integer build decisions fixed at the MIP's optimum (its gap said)."""
        if not self.mip:
            return "the LP's duals"
        return (
            "the LP with the integer build decisions fixed at the MIP optimum "
            f"(relative gap {100 * self.mip['gap']:.3g} %); prices hold for that build pattern"
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table: each year's tables stacked with a leading ``year`` column, then the
        horizon's own."""
        stacked: dict[str, list[pd.DataFrame]] = {}
        for year, result in self.years.items():
            for name, frame in result.tables().items():
                stacked.setdefault(name, []).append(frame.assign(year=year)[["year", *frame.columns]])
        out = {name: pd.concat(frames, ignore_index=True) for name, frames in stacked.items()}
        out.update(
            builds=self.builds,
            inventory=self.inventory,
            horizon_prices=self.horizon_prices,
            costs_by_year=self.costs_by_year,
        )
        return out


def solve_plan(
    networks: Mapping[int, Network],
    horizon: Horizon,
    planning: PlanningTables | None = None,
    market: MarketOptions | float | None = None,
    solver_options: Mapping[str, Any] | None = None,
    ranging: bool = True,
    backend: str = "highs",
    solver: str | None = None,
) -> PlanResult:
    """Solve the plan of ``networks`` (one validated Network per year of ``horizon``) with the
    ``planning`` tables; raises SolveError when the plan has no optimum. ``backend``
    ``"pyomo"`` solves the stacked LP through Pyomo (:mod:`oreflow.solvers`), as a single
    year's; a plan with whole plants (``min_t``, a MIP) is solved with HiGHS directly."""
    plan = assemble_plan(networks, horizon, planning, market)
    mip: dict[str, Any] = {}
    lp = plan.lp
    if plan.is_mip:
        if backend != "highs":
            raise SolveError(
                "error",
                "a plan with whole plants (builds.csv min_t) is a MIP: solve it with backend 'highs' "
                "(the pyomo backend states LPs only)",
            )
        mip, lp = solve_integers(plan, solver_options)
    record = (
        solve_highs(lp, solver_options, ranging)
        if backend == "highs"
        else solve_lp(lp, backend, solver, dict(solver_options or {}), ranging)
    )
    if record.status != "optimal":
        raise SolveError(record.status, f"{record.solver_status}: the plan {plan_conflicts(plan, record)}")
    if mip:
        mip["fixed_lp_objective"] = float(record.objective)
    return plan_result(plan, record, networks, planning, backend, mip)


def plan_result(
    plan: PlanLP,
    record: SolutionRecord,
    networks: Mapping[int, Network],
    planning: PlanningTables | None,
    backend: str = "highs",
    mip: dict[str, Any] | None = None,
) -> PlanResult:
    """The PlanResult of an optimal ``record`` of ``plan`` (each year's Result, the builds,
    stocks, horizon prices and costs by year), as :func:`solve_plan` gives it."""
    mip = mip or {}
    horizon = plan.horizon
    years = {}
    for year in horizon.years:
        year_lp, year_rec = year_record(plan, record, year)
        years[year] = result = make_result(networks[year], year_lp, year_rec, backend)
        # a refiner's capacity that year includes what was built (its capacity row's rhs)
        capacity = result.shadow_prices[CAPACITY].set_index("refiner")["rhs"]
        refinery = result.refinery
        refinery["capacity_t"] = refinery["refiner"].map(capacity).to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = refinery["throughput_t"].to_numpy(float) / refinery["capacity_t"].to_numpy(float)
        refinery["utilisation"] = np.where(np.isfinite(share), share, np.nan)
    weights = np.asarray([plan.weight[y] for y in horizon.years])
    objectives = np.asarray([years[y].objective for y in horizon.years])
    return PlanResult(
        horizon=horizon,
        objective=float(record.objective),
        years=years,
        builds=_builds(plan, record, planning, networks, horizon),
        inventory=_inventory(plan, record, planning),
        horizon_prices=_horizon_prices(plan, record),
        mip=mip,
        costs_by_year=pd.DataFrame(
            {
                "year": list(horizon.years),
                "period_years": list(horizon.period_years),
                "weight": weights,
                "objective_usd_per_year": objectives,
                "present_value_usd": weights * objectives,
            }
        ),
        plan_lp=plan,
    )


def assemble_plan(
    networks: Mapping[int, Network],
    horizon: Horizon,
    planning: PlanningTables | None = None,
    market: MarketOptions | float | None = None,
    year_lps: Mapping[int, LinearProgram] | None = None,
) -> PlanLP:
    """The plan's stacked LP: each year's LP (the registry's, from that year's network, unless
    ``year_lps`` gives it), the builds' and stockpiles' parts, stacked
    (:func:`~oreflow.model.plan.build_plan_lp`)."""
    options = as_options(market)
    given = dict(year_lps or {})
    year_lps = {year: given.get(year) or build_lp(networks[year], options) for year in horizon.years}
    parts = []
    if planning is not None and len(planning.builds):
        parts.append(build_part(planning, horizon, dict(networks), year_lps))
    if planning is not None and len(planning.stockpiles):
        parts.append(stock_part(planning, horizon, year_lps))
    return build_plan_lp(dict(networks), horizon, options, parts, year_lps)


def solve_integers(plan: PlanLP, solver_options: Mapping[str, Any] | None) -> tuple[dict[str, Any], Any]:
    """Solve the plan as a MIP with HiGHS (branch and bound; option ``mip_rel_gap``), then
    fix its integer columns at their rounded optimum: the LP whose duals are the prices (the
    method of RELOG and of every MIP-based planner: a MIP has no duals of its own)."""
    import dataclasses

    import highspy

    from oreflow.solvers.highs import apply_options, new_highs, pass_lp

    lp = plan.lp
    h = new_highs()
    options = {key: value for key, value in dict(solver_options or {}).items() if key not in ("solver",)}
    apply_options(h, options)
    pass_lp(h, lp)
    integer = np.flatnonzero(plan.integrality).astype(np.int32)
    h.changeColsIntegrality(len(integer), integer, np.asarray([highspy.HighsVarType.kInteger] * len(integer)))
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise SolveError("infeasible" if "nfeasible" in status else "other", f"{status}: the plan's MIP has no optimum")
    info = h.getInfo()
    value = np.asarray(h.getSolution().col_value, dtype=float)
    fixed = np.round(value[integer])
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    lower[integer], upper[integer] = fixed, fixed
    mip = {
        "objective": float(info.objective_function_value) + lp.offset,
        "gap": float(info.mip_gap),
        "nodes": int(info.mip_node_count),
        "integers": int(len(integer)),
    }
    return mip, dataclasses.replace(lp, col_lower=lower, col_upper=upper)


def plan_conflicts(plan: PlanLP, record: SolutionRecord) -> str:
    """The rows HiGHS found in conflict, named with their year, when it found some."""
    names = plan_conflict_rows(plan, record)
    if not names:
        return "has no optimal solution (check supply, capacity, contracts and stockpile bounds in every year)"
    return "cannot satisfy these constraints together: " + "; ".join(names)


def plan_conflict_rows(plan: PlanLP, record: SolutionRecord) -> list[str]:
    """The first eight rows HiGHS found in conflict, each named with its year (a horizon
    row: its build, limit or stock); empty when it found none."""
    from oreflow.model.infeasibility import row_name

    if record.iis_rows is None or not len(record.iis_rows):
        return []
    names = []
    for row in np.asarray(record.iis_rows)[:8]:
        year = plan.year_of_row(int(row))
        if year is not None:
            names.append(f"{row_name(plan.year_lps[year], int(row) - plan.row_start[year])} in {year}")
        else:
            names.append(_horizon_row(plan, int(row)))
    return names


def _horizon_row(plan: PlanLP, row: int) -> str:
    for name, part in plan.parts.items():
        start = plan.part_row_start[name]
        if start <= row < start + len(part.rows):
            r = part.rows.iloc[row - start]
            return f"{r['kind']}[{r['key']}{'' if not r['year'] else ', ' + str(r['year'])}]"
    return f"row {row}"


def _builds(
    plan: PlanLP,
    record: SolutionRecord,
    planning: PlanningTables | None,
    networks: Mapping[int, Network],
    horizon: Horizon,
) -> pd.DataFrame:
    columns = ["build", "stage", "site", "country", "start_year", "online_year", "capacity_t", "charges_pv_usd"]
    if "build" not in plan.parts or planning is None:
        return pd.DataFrame(columns=columns)
    part = plan.parts["build"]
    value = plan.part_values(record, "build")
    built = part.columns.assign(capacity_t=value, charges_pv_usd=value * part.cost)
    built = built.loc[(built["kind"] == BUILT_CAPACITY) & (built["capacity_t"] > 0)]
    info = planning.builds.set_index("build")[["stage", "site"]]
    out = built.join(info, on="build")
    out["country"] = site_countries(networks[horizon.years[0]], out["stage"].to_numpy(), out["site"].to_numpy())
    return out[columns].reset_index(drop=True)


def _inventory(plan: PlanLP, record: SolutionRecord, planning: PlanningTables | None) -> pd.DataFrame:
    columns = ["stockpile", "market", "product", "year", "level_t", "fill_t", "draw_t", "price_usd_per_t"]
    if "stock" not in plan.parts or planning is None:
        return pd.DataFrame(columns=columns)
    part = plan.parts["stock"]
    value = plan.part_values(record, "stock")
    frame = part.columns.assign(value=value).pivot_table(
        index=["stockpile", "year"], columns="kind", values="value", sort=False
    )
    frame = frame.reset_index()
    start = plan.part_row_start["stock"]
    # the value of one more tonne in stock (minus the balance row's dual), in that year's money
    duals = -record.row_dual[start : start + len(part.rows)] / part.row_price_weight
    prices = part.rows.assign(price=clean(duals)).set_index(["key", "year"])["price"]
    frame["price_usd_per_t"] = [prices.get((k, y), np.nan) for k, y in zip(frame["stockpile"], frame["year"])]
    where = planning.stockpiles.set_index("stockpile")[["market", "product"]]
    frame = frame.join(where, on="stockpile").rename(columns={"level": "level_t", "fill": "fill_t", "draw": "draw_t"})
    return frame[columns]


def _horizon_prices(plan: PlanLP, record: SolutionRecord) -> pd.DataFrame:
    frames = []
    for name, part in plan.parts.items():
        start = plan.part_row_start[name]
        rows = slice(start, start + len(part.rows))
        dual = clean(record.row_dual[rows])
        activity = clean(record.row_value[rows])
        rhs = np.where(part.row_is_upper, part.row_upper, part.row_lower)
        frames.append(
            part.rows.assign(
                rhs=rhs,
                activity=activity,
                shadow_price_pv=dual,
                shadow_price=clean(dual / part.row_price_weight),
            )
        )
    columns = ["kind", "key", "year", "rhs", "activity", "shadow_price_pv", "shadow_price", "rhs_unit", "price_unit"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    units = out["kind"].map(HORIZON_ROW_UNITS)
    return out.assign(rhs_unit=units.str[0], price_unit=units.str[1])[columns]


#: The units of a horizon row's rhs (and activity) and of its ``shadow_price``, by kind (its
#: ``shadow_price_pv`` is in USD at the base year per unit of rhs).
HORIZON_ROW_UNITS: dict[str, tuple[str, str]] = {
    "build_size": ("t/yr", "USD (present value) per t/yr"),
    "build_min": ("t/yr", "USD (present value) per t/yr"),
    "build_limit": ("t/yr", "USD per t/yr, that period's money"),
    "stock_balance": ("t", "USD/t, that year's money"),
}


# ---------------------------------------------------------------------------------
# `oreflow run` on a job with a horizon
# ---------------------------------------------------------------------------------


def plan_networks(network: Network, horizon: Horizon) -> dict[int, Network]:
    """One network per year: the dataset with its time paths (``paths.csv``) applied for that
    year when the dataset has them, else the dataset itself in every year."""
    from oreflow.model.paths import network_for_year
    from oreflow.model.planning import read_dataset_paths

    paths = read_dataset_paths(network.source, network)
    return {year: network_for_year(network, paths, year) for year in horizon.years}


def run_plan(spec: Any, network: Network) -> tuple[str, int, Any]:
    """Solve the job's plan and write every table (each year's stacked with ``year``, and the
    horizon's) and summary.json into the output folder; nothing is written when it fails."""
    from pathlib import Path

    from oreflow import outputs, report, store
    from oreflow.manifest import PLAN
    from oreflow.plan_cases import PlanBase
    from oreflow.runs import protected, results_workbook

    job = spec.job
    networks, planning = PlanBase.read(network, job.horizon.horizon()).inputs()
    protect = protected(spec.job_path, network)
    with outputs.lock(spec.destination):
        outputs.check_destination(spec.destination, protect)
        result = solve_job_plan(job, networks, planning)
        summary = plan_summary(result, spec.name, spec.job_dump, spec.job_path)
        summary["kind"] = PLAN

        def fill(folder: Path) -> None:
            for name, frame in result.tables().items():
                frame.to_csv(folder / f"{name}.csv", index=False)
            outputs.write_summary_json(summary, folder)
            report.write_plan_report(folder, png=spec.job.report_png)  # built from the files just written
            results_workbook(spec.job, folder)

        written = outputs.write_atomically(spec.destination, fill, protect)
    store.record_run(spec, PLAN, written, result, network, figures=plan_metrics)  # docs/store.md
    return plan_text(result, spec.name), 0, written


def solve_job_plan(job: Any, networks: Mapping[int, Network], planning: PlanningTables | None) -> PlanResult:
    """:func:`solve_plan` with a job's horizon, market, solver options, ranging and backend."""
    from oreflow.job import market_options

    return solve_plan(
        networks,
        job.horizon.horizon(),
        planning,
        market_options(job),
        job.solver_options,
        job.ranging,
        backend=job.backend,
        solver=job.solver,
    )


def plan_summary(result: PlanResult, name: str, job: Any, job_path: str | None) -> dict[str, Any]:
    """summary.json of a plan: the horizon, the objective in present value, the builds, and
    per year its objective and its demand prices."""
    return {
        "name": name,
        "job_file": job_path,
        "job": job,
        "status": "optimal",
        "horizon": {
            "years": list(result.horizon.years),
            "period_years": list(result.horizon.period_years),
            "discount_rate": result.horizon.discount_rate,
            "base_year": result.horizon.base,
        },
        "objective_pv_usd": result.objective,
        "prices_from": result.price_basis,
        "mip": result.mip,
        "builds": result.builds.to_dict(orient="records"),
        "years": {
            str(year): {
                "objective_usd": r.objective,
                "prices_usd_per_t": {
                    f"{m}/{p}": float(v)
                    for m, p, v in zip(r.market["market"], r.market["product"], r.market["price_usd_per_t"])
                },
            }
            for year, r in result.years.items()
        },
    }


#: Metrics of a single year (:func:`oreflow.scenarios.metrics`) renamed in a plan's
#: comparison, where the plan's own totals take their names.
YEAR_METRICS = {"objective": "year_objective", "cost": "year_cost", "welfare": "year_welfare", "unmet": "year_unmet"}


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

    (Here, beside :class:`PlanResult`, so that a plan's run and a batch of plans read the
    same figures; :mod:`oreflow.plan_batch` re-exports it.)
    """
    from oreflow.scenarios import metrics

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


def plan_text(result: PlanResult, name: str) -> str:
    """The printed summary of a plan."""
    h = result.horizon
    lines = [
        f"oreflow plan {name!r}: optimal, {len(h.years)} periods {h.years[0]}-{h.years[-1] + h.period_years[-1] - 1}, "
        f"discount rate {100 * h.discount_rate:g} %; objective (present value at {h.base}) {result.objective:,.0f} USD",
        "Per year (USD per year of the period):",
    ]
    for row in result.costs_by_year.itertuples(index=False):
        lines.append(
            f"  {row.year}  objective {row.objective_usd_per_year:>20,.0f}  x {row.weight:.3f} discounted years"
        )
    if len(result.builds):
        lines.append("Builds (t/yr of capacity):")
        for b in result.builds.itertuples(index=False):
            lines.append(
                f"  {b.build} at {b.site} ({b.country}): {b.capacity_t:,.0f} t/yr, started {b.start_year}, "
                f"online {b.online_year}; charges {b.charges_pv_usd:,.0f} USD (present value)"
            )
    else:
        lines.append("Builds: none")
    if len(result.inventory):
        lines.append("Stockpiles (t at the end of each period):")
        for key, frame in result.inventory.groupby("stockpile", sort=False):
            path = ", ".join(f"{y}: {v:,.0f}" for y, v in zip(frame["year"], frame["level_t"]))
            lines.append(f"  {key}: {path}")
    binding = result.horizon_prices.loc[result.horizon_prices["shadow_price"] != 0]
    for row in binding.itertuples(index=False):
        if row.kind == "build_limit":
            lines.append(
                f"  build limit {row.key} in {row.year}: one more t/yr of building capability saves "
                f"{-row.shadow_price:,.0f} USD ({row.year} money)"
            )
    lines.append(f"Prices: {result.price_basis}")
    lines.append(
        "Every table: <table>.csv in the output folder (a year column on each year's tables); timelines: report.html"
    )
    return "\n".join(lines)
