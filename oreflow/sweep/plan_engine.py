"""Sweep points and stress cases of a plan: the horizon's stacked LP, re-solved per point.

A point of a plan changes the dataset (in every year, or in the years its changes name) or
the planning tables (:class:`oreflow.plan_cases.PlanBase`). Only the years its changes reach
are rebuilt, and those whose changes move only costs and bounds are updated in place from the
base year's LP, as a single-year sweep's are (:meth:`PlanEngine._prepare`); the stacked LP,
when its structure is the base plan's, is re-solved in place in HiGHS from the previous basis
(only the costs and bounds that differ are changed); otherwise it is loaded afresh. A plan
with whole plants (``min_t``) is a MIP: each point runs HiGHS's branch and bound, then the
LP with the integer decisions fixed gives the point's prices.

A point's row (docs/sensitivity.md, "Sweeps and stress tests of a plan"): ``objective_usd``
is the plan's objective in present value; each year's figures carry an ``@<year>`` suffix
(``price.demand.US/NdPr@2030``, ``feed_t.CN@2030``, ``objective_usd@2030``: that year's,
per year of its period, in that year's money), read exactly as a single-year point's
(:class:`~oreflow.sweep.extract.Extractor`). Totals over the horizon, without a suffix:
``cost.<term>_usd`` (present value, with ``cost.build_charges_usd`` and
``cost.stock_holding_usd``), ``welfare_usd`` (= -objective, with demand curves),
``unmet_t`` and ``unmet_t.<market>/<product>`` (t over every year of the horizon),
``built_t.<country>`` (t/yr of capacity built over the horizon, refining and mining, in
each country with a build on offer), ``build_t.<build>``; and
``stock_t.<stockpile>@<year>`` (t at the end of the period).
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

from oreflow.errors import InputError, SolveError
from oreflow.job import Change
from oreflow.model.conventions import year_column
from oreflow.model.lp import build_lp
from oreflow.model.market import as_options
from oreflow.model.network import Network
from oreflow.model.plan import PlanLP, restacked, year_record
from oreflow.model.planning import BUILT_CAPACITY, PlanningTables, site_countries
from oreflow.model.ranging import degenerate_positions, dual_uniqueness
from oreflow.model.record import SolutionRecord
from oreflow.plan_cases import PLANNING_SPECS
from oreflow.planning import assemble_plan, plan_conflicts, solve_integers
from oreflow.solvers.highs import HighsModel, solve_highs
from oreflow.sweep.changed import ChangedLPs, carried_basis
from oreflow.sweep.engine import (
    NO_VERDICT,
    OTHER_MODELS,
    SweepContext,
    check_finite,
    copy_vectors,
    point_row,
    solve_in_place,
    structure_of,
    trust_of,
)
from oreflow.sweep.extract import Extractor
from oreflow.sweep.points import Point


class PlanEngine:
    """The base plan of a sweep, loaded into HiGHS, and the point-by-point re-solve."""

    def __init__(self, context: SweepContext) -> None:
        assert context.plan is not None
        self.context = context
        self.base = context.plan
        self.networks, self.planning = self.base.inputs(label="the sweep's base plan")
        self.plan = assemble_plan(self.networks, self.base.horizon, self.planning, context.market)
        self.structure = structure_of(self.plan.lp)
        self.extractors: dict[int, Extractor] = {}
        self.model: HighsModel | None = None
        #: per year, its LP with a point's changes found as cheaply as they allow (made when
        #: first needed; each engine its own: a fork starts without)
        self.year_changes: dict[int, ChangedLPs] = {}
        #: models of stacked LPs of other structures (a ban's rows), newest last
        self.others: OrderedDict[str, HighsModel] = OrderedDict()
        self.base_record: SolutionRecord | None = None
        record, _, _ = self._solve(self.plan, warm=False)
        if record.status != "optimal":
            raise SolveError(
                record.status,
                f"{record.solver_status}: the sweep's base plan (the dataset with the sweep's base_changes) "
                "must solve to optimality",
            )
        self.base_objective = float(record.objective)
        self.base_record = record
        self.base_basis = self.model.highs.getBasis() if self.model is not None else None

    def run_chunk(self, points: list[Point]) -> list[dict[str, Any]]:
        """Solve ``points`` in order, from the base plan's basis in a freshly loaded model."""
        self._restart()
        return [self.run_point(point) for point in points]

    def _restart(self) -> None:
        self.others.clear()
        if self.base_basis is not None:
            self.model = HighsModel(copy_vectors(self.plan.lp), self.context.solver_options)
            self.model.start_from(self.base_basis)

    def run_point(self, point: Point) -> dict[str, Any]:
        """One point's row: its identity, status, error (if any), figures and dual trust."""
        return point_row(point, self._solve_point, self._restart)

    def _solve_point(self, point: Point, row: dict[str, Any]) -> None:
        """Solve the plan of ``point`` and add its status, error, figures, dual trust,
        iterations and whether it re-solved from a previous basis to ``row``."""
        check_finite(point)
        plan, networks, planning = self._prepare(list(point.changes), f"point {point.index} ({point.label})")
        record, warm, _ = self._solve(plan, warm=True)
        row.update(status=record.status, error="" if record.status == "optimal" else plan_failure(plan, record))
        if record.status == "optimal":
            row.update(self.figures(plan, record, networks, planning))
            degenerate = degenerate_positions(plan.lp, record) if record.has_basis else None
            row.update(trust_of(plan.lp, record, dual_uniqueness(plan.lp, record, degenerate), degenerate))
        row["iterations"] = record.iterations
        row["warm"] = warm

    def solve_changes(
        self, changes: list[Change], label: str, ranging: bool = False
    ) -> tuple[PlanLP, SolutionRecord, dict[int, Network], PlanningTables, dict[str, Any]]:
        """The base plan with ``changes`` (a scenario's), re-solved as a sweep point is (in
        place from the last basis where its structure is the base plan's): its stacked LP,
        the solution record (any status; ranged with ``ranging``), each year's network, the
        planning tables and, for a MIP, its objective, gap and nodes. InputError for changes
        that cannot be applied (nothing solved)."""
        plan, networks, planning = self._prepare(list(changes), label)
        record, _, mip = self._solve(plan, warm=True, ranging=ranging)
        return plan, record, networks, planning, mip

    def fork(self) -> PlanEngine:
        """The same base plan in a HiGHS model of its own, at the base plan's basis (for
        another user of it: each session of ``oreflow serve``)."""
        twin = copy.copy(self)
        twin.extractors, twin.year_changes, twin.others = {}, {}, OrderedDict()
        twin._restart()
        return twin

    def _prepare(self, changes: list[Change], label: str) -> tuple[PlanLP, dict[int, Network], PlanningTables]:
        """The plan of ``changes``. A year no change reaches keeps the base plan's network and
        LP; a year that changes gets its LP from the base year's as cheaply as the changes
        allow (:class:`~oreflow.sweep.changed.ChangedLPs`: costs and bounds in place, a policy
        row seen before moved again, a recovery's coefficients, a tariff's costs, else the
        changed tables revalidated and the LP built); changes a year's data cannot take are
        said as that year's dataset says them (its paths applied, the year named). The
        stacked matrix and the horizon parts are kept while every year keeps its matrix and
        the planning tables stay; otherwise the plan is stacked again."""
        problems = self.base.year_problems(changes, label)  # a year outside the horizon, an unknown table
        if problems:
            raise InputError(problems)
        planning = (
            self.base.planning_tables(changes, label)
            if any(c.table in PLANNING_SPECS for c in changes)
            else self.planning
        )
        networks: dict[int, Network] = {}
        year_lps = {}
        rebuilt = False
        for year in self.base.horizon.years:
            mine = self.base.changes_in(changes, year)
            base_lp = self.plan.year_lps[year]
            if not mine:
                networks[year], year_lps[year] = self.networks[year], base_lp
                continue
            try:  # on the base year's network (its paths and the sweep's base changes applied)
                prepared = self._year_changes(year).prepare(mine, f"{label} [{year}]")
                network, updated = prepared.network, prepared.lp
            except InputError:  # said as the year's dataset would say it, naming the year
                every = self.base.changes_in([*self.base.base_changes, *changes], year)
                network = self.base.year_network(year, every, label)
                updated = build_lp(network, self.context.market)
            # costs and bounds only: the stacked matrix stays; anything else is stacked again
            rebuilt = rebuilt or updated.matrix is not base_lp.matrix
            networks[year], year_lps[year] = network, updated
        if not rebuilt and planning is self.planning:
            return restacked(self.plan, year_lps), networks, planning
        return assemble_plan(networks, self.base.horizon, planning, self.context.market, year_lps), networks, planning

    def _year_changes(self, year: int) -> ChangedLPs:
        """Year ``year``'s base network and LP, to find a point's LP of that year from."""
        if year not in self.year_changes:
            lp = self.plan.year_lps[year]
            self.year_changes[year] = ChangedLPs(
                self.networks[year], lp, as_options(self.context.market), structure_of(lp)
            )
        return self.year_changes[year]

    def _solve(self, plan: PlanLP, warm: bool, ranging: bool = False) -> tuple[SolutionRecord, bool, dict[str, Any]]:
        """Solve ``plan``: a MIP by branch and bound then its fixed LP (cold); an LP of the
        base plan's structure in place from the current basis; another LP in a fresh model.
        Returns the record (ranged with ``ranging``), whether it re-solved from a basis, and
        for a MIP its objective, gap and nodes (:func:`~oreflow.planning.solve_integers`)."""
        options = self.context.solver_options
        if plan.is_mip:
            mip, lp = solve_integers(plan, options)
            record = solve_highs(lp, options, ranging)
            mip["fixed_lp_objective"] = float(record.objective)
            return record, False, mip
        structure = structure_of(plan.lp)
        same = structure == self.structure
        if warm and same and self.model is not None:
            record = solve_in_place(self.model, plan.lp, ranging=ranging)
            if record.status not in NO_VERDICT:
                return record, True, {}
        elif warm and structure in self.others:  # a structure met before (a ban moved again)
            self.others.move_to_end(structure)
            record = solve_in_place(self.others[structure], plan.lp, ranging=ranging)
            if record.status not in NO_VERDICT:
                return record, True, {}
        model = HighsModel(copy_vectors(plan.lp), options)
        base = self.base_record
        started = (
            warm
            and not same
            and base is not None
            and base.has_basis
            and model.start_from_statuses(*carried_basis(self.plan.lp, base.col_basis, base.row_basis, plan.lp))
        )
        record = model.solve(ranging=ranging)
        if record.status in NO_VERDICT and started:  # no verdict from the carried basis: from scratch
            model = HighsModel(copy_vectors(plan.lp), options)
            record = model.solve(ranging=ranging)
            started = False
        if same:
            self.model = model
        else:
            self.others[structure] = model
            while len(self.others) > OTHER_MODELS:
                self.others.popitem(last=False)
        return record, bool(started), {}

    def _extractor(self, year: int, plan: PlanLP, network: Network) -> Extractor:
        """The year's extractor: the base plan's when the year's LP has the base's index tables
        (unchanged, or updated in place: :func:`~oreflow.model.parameters.updated_lp` shares them)."""
        context = self.context
        if plan.year_lps[year].columns is self.plan.year_lps[year].columns:
            if year not in self.extractors:
                self.extractors[year] = Extractor(
                    self.networks[year], self.plan.year_lps[year], context.prices, context.flows
                )
            return self.extractors[year]
        return Extractor(network, plan.year_lps[year], context.prices, context.flows)

    def figures(
        self, plan: PlanLP, record: SolutionRecord, networks: dict[int, Network], planning: PlanningTables
    ) -> dict[str, Any]:
        """The point's figures: the objective in present value, each year's (suffixed with
        ``@<year>``) and the horizon's builds and stock levels."""
        out: dict[str, Any] = {"objective_usd": float(record.objective)}
        totals: dict[str, float] = {}
        for year, n_years in zip(plan.horizon.years, plan.horizon.period_years):
            year_lp, year_rec = year_record(plan, record, year)
            extractor = self._extractor(year, plan, networks[year])
            figures = extractor.figures(year_lp, year_rec)
            out.update({year_column(k, year): v for k, v in figures.items()})
            # the horizon's totals: costs in present value, unmet demand in tonnes over the period's years
            for key, value in figures.items():
                if key.startswith("cost."):
                    totals[key] = totals.get(key, 0.0) + plan.weight[year] * value
                elif key == "unmet_t" or key.startswith("unmet_t."):
                    totals[key] = totals.get(key, 0.0) + n_years * value
            if "welfare_usd" in figures:
                out["welfare_usd"] = -float(record.objective) + 0.0
        out.update(totals)
        out.update(_horizon_costs(plan, record))
        out.update(_build_figures(plan, record, networks, planning))
        out.update(_stock_figures(plan, record))
        return out


def plan_failure(plan: PlanLP, record: SolutionRecord) -> str:
    """Why a point's plan is not optimal, in one line (the conflicting rows named with their year)."""
    return f"{record.solver_status}: the plan {plan_conflicts(plan, record)}"


def _horizon_costs(plan: PlanLP, record: SolutionRecord) -> dict[str, float]:
    """``cost.build_charges_usd`` and ``cost.stock_holding_usd``: the horizon parts' costs
    in present value (the years' ``cost.*`` are summed in present value beside them)."""
    names = {"build": "cost.build_charges_usd", "stock": "cost.stock_holding_usd"}
    return {
        names[name]: float(plan.parts[name].cost @ plan.part_values(record, name))
        for name in names
        if name in plan.parts
    }


def _build_figures(
    plan: PlanLP, record: SolutionRecord, networks: dict[int, Network], planning: PlanningTables
) -> dict[str, float]:
    """``build_t.<build>`` (t/yr built, every build offered) and ``built_t.<country>`` (t/yr
    built in each country with a build on offer)."""
    if "build" not in plan.parts:
        return {}
    part = plan.parts["build"]
    capacity = part.columns.assign(value=plan.part_values(record, "build"))
    capacity = capacity.loc[capacity["kind"] == BUILT_CAPACITY]
    per_build = capacity.groupby("build", sort=False)["value"].sum()
    per_build = per_build.reindex(planning.builds["build"], fill_value=0.0)
    builds = planning.builds.set_index("build").reindex(per_build.index)
    country = site_countries(networks[plan.horizon.years[0]], builds["stage"].to_numpy(), builds["site"].to_numpy())
    per_country = per_build.groupby(country).sum()
    out = {f"build_t.{b}": float(v) + 0.0 for b, v in per_build.items()}  # + 0.0: no -0.0
    out.update({f"built_t.{c}": float(v) + 0.0 for c, v in per_country.items()})
    return out


def _stock_figures(plan: PlanLP, record: SolutionRecord) -> dict[str, float]:
    """``stock_t.<stockpile>@<year>``: the level at the end of each period (t)."""
    if "stock" not in plan.parts:
        return {}
    part = plan.parts["stock"]
    levels = part.columns.assign(value=plan.part_values(record, "stock"))
    levels = levels.loc[levels["kind"] == "level"]
    return {
        year_column(f"stock_t.{k}", int(y)): float(v)
        for k, y, v in zip(levels["stockpile"], levels["year"], levels["value"])
    }
