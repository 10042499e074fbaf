"""Scenarios, sweep points and stress cases of a plan: changes applied to the years of a horizon.

A plan's inputs are the dataset, its time paths (``paths.csv``) and its planning tables
(``builds.csv``, ``build_limits.csv``, ``stockpiles.csv``). A case changes them with the
same :class:`~oreflow.job.Change` a single-year scenario uses (docs/formulation.md,
"Scenarios, sweeps and stress tests of a plan"):

- a change of a dataset table applies to every year's tables *after* that year's paths (a
  scenario that sets a value holds in every year, a factor multiplies the path's value), or
  with ``years`` only in the periods containing those years (a disruption in 2028);
- a change of a planning table applies once (those tables are not per year; ``years`` is
  an error there).

Every year's tables are re-validated after the change, each problem labelled with its year
and, where a path wrote the value, that path (:func:`~oreflow.model.paths.network_for_year`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oreflow.errors import InputError, Problem
from oreflow.job import Change
from oreflow.model.network import Network
from oreflow.model.paths import PATHS_FILE, Paths, network_for_year
from oreflow.model.plan import Horizon
from oreflow.model.planning import PlanningTables, read_dataset_paths, read_planning
from oreflow.model.tables import BUILD_LIMITS, BUILDS, STOCKPILES, TABLES_BY_NAME
from oreflow.scenarios import apply_changes, changed_network

#: The planning tables a change may name (applied once, not per year).
PLANNING_SPECS = {spec.name: spec for spec in (BUILDS, BUILD_LIMITS, STOCKPILES)}


@dataclass(frozen=True)
class PlanBase:
    """What every case of a plan starts from: the dataset (the base year's tables), the
    horizon, the paths and the planning tables, all validated."""

    network: Network
    horizon: Horizon
    paths: Paths
    planning: PlanningTables
    #: changes every case starts from (a sweep's base_changes), before the case's own
    base_changes: tuple[Change, ...] = ()

    @classmethod
    def read(cls, network: Network, horizon: Horizon) -> PlanBase:
        """The paths and planning tables of ``network``'s folder (empty where absent), checked."""
        paths = read_dataset_paths(network.source, network)
        planning = read_planning(network.source, network).with_paths(paths)
        planning.check_years(network, horizon.years)
        return cls(network, horizon, paths, planning)

    def stress_years_problems(self, years: list[int], label: str) -> list[Problem]:
        """``[stress] years`` outside the horizon, as problems naming ``label``."""
        h = self.horizon
        outside = [str(y) for y in years if self.period_of(y) is None]
        span = f"{h.years[0]}-{h.years[-1] + h.period_years[-1] - 1}"
        if not outside:
            return []
        return [Problem(label, None, "years", ", ".join(outside), f"years within the horizon ({span})", "change_years")]

    def period_of(self, year: int) -> int | None:
        """The modelled year whose period contains calendar year ``year`` (None outside the horizon)."""
        for first, n in zip(self.horizon.years, self.horizon.period_years):
            if first <= year < first + n:
                return first
        return None

    def networks(self, changes: tuple[Change, ...] | list[Change] = (), label: str = "plan") -> dict[int, Network]:
        """Every year's network: its paths applied, then the dataset-table ``changes`` that
        apply in that year (after :attr:`base_changes`); validated. InputError naming
        ``label``, the change and the year."""
        every = [*self.base_changes, *changes]
        problems = self.year_problems(every, label)  # numbered as the case lists them
        changes = [c for c in every if c.table not in PLANNING_SPECS]
        if problems:
            raise InputError(problems, heading=f"{label} cannot be applied")
        return {year: self.year_network(year, self.changes_in(changes, year), label) for year in self.horizon.years}

    def changes_in(self, changes: list[Change], year: int) -> list[Change]:
        """The dataset-table ``changes`` that apply in modelled year ``year``."""
        return [
            c
            for c in changes
            if c.table not in PLANNING_SPECS and (not c.years or year in {self.period_of(y) for y in c.years})
        ]

    def year_network(self, year: int, changes: list[Change], label: str) -> Network:
        """Year ``year``'s network: its paths applied, then ``changes`` (all of them: the
        caller selects those of the year, base changes included); validated. A problem the
        changes leave names the year and ``label`` (``refiners.csv [2030] after scenario 'x'``)."""
        try:
            return network_for_year(self.network, self.paths, year, _editor(changes, f"{label} [{year}]"))
        except InputError as exc:
            if not changes:
                raise
            raise InputError(
                [dataclasses.replace(p, file=f"{p.file} after {label}") for p in exc.problems],
                heading=f"{label} leaves the dataset invalid in {year}",
                omitted=exc.omitted,
            ) from None

    def planning_tables(self, changes: tuple[Change, ...] | list[Change] = (), label: str = "plan") -> PlanningTables:
        """The planning tables with the planning-table ``changes`` applied (after
        :attr:`base_changes`), re-checked; each problem names ``label`` and the change."""
        every = [*self.base_changes, *changes]
        changes = [c for c in every if c.table in PLANNING_SPECS]
        if not changes:
            return self.planning
        problems = [
            Problem(
                f"{label}, change {number} ({c.describe()})",
                None,
                "years",
                ", ".join(map(str, c.years)),
                f"no years: {c.table} is not per year",
                "change_years",
            )
            for number, c in enumerate(every, start=1)
            if c.table in PLANNING_SPECS and c.years
        ]
        tables = {name: getattr(self.planning, name) for name in PLANNING_SPECS}
        problems += apply_changes(tables, changes, label, PLANNING_SPECS)
        if problems:
            raise InputError(problems, heading=f"{label} cannot be applied")
        try:
            planning = read_planning(None, self.network, frames=tables)
            # the paths were checked on the dataset's tables: a change may remove rows they select
            planning = planning.with_paths(self.paths, check=False)
            planning.check_years(self.network, self.horizon.years)
        except InputError as exc:
            raise InputError(
                [
                    dataclasses.replace(p, file=f"{p.file.removesuffix(' (DataFrame)')} after {label}")
                    for p in exc.problems
                ],
                heading=f"{label} leaves the planning tables invalid",
                omitted=exc.omitted,
            ) from None
        return planning

    def inputs(
        self, changes: tuple[Change, ...] | list[Change] = (), label: str = "plan"
    ) -> tuple[dict[int, Network], PlanningTables]:
        """Every year's network and the planning tables of a case with ``changes``."""
        return self.networks(changes, label), self.planning_tables(changes, label)

    def scenario_inputs(self, scenarios: list[Any]) -> list[tuple[dict[int, Network], PlanningTables]]:
        """Each scenario's inputs (:meth:`inputs`), every scenario checked before any is used:
        one InputError with the problems of all of them."""
        found, problems = [], []
        for scenario in scenarios:
            try:
                found.append(self.inputs(scenario.changes, f"scenario {scenario.name!r}"))
            except InputError as exc:
                problems += exc.problems
        if problems:
            raise InputError(problems, heading="invalid scenarios")
        return found

    def check(self, changes: list[Change], label: str) -> list[Problem]:
        """What ``changes`` get wrong before any year is built: an unknown table or column, a
        selection of no row (on the dataset's tables), a year outside the horizon, a planning
        table given years. The values themselves are checked when a case is built."""
        dataset = [c for c in changes if c.table not in PLANNING_SPECS]
        problems = self.year_problems(dataset, label)
        if not problems:
            try:
                changed_network(self.network, dataset, label)
            except InputError as exc:
                problems += exc.problems
        try:
            self.planning_tables(changes, label)
        except InputError as exc:
            problems += [p for p in exc.problems if p.rule.startswith(("scenario_", "change_"))]
        return problems

    def year_problems(self, changes: list[Change], label: str) -> list[Problem]:
        """An unknown table, or a year outside the horizon, in ``changes`` (numbered as listed)."""
        h = self.horizon
        span = f"{h.years[0]}-{h.years[-1] + h.period_years[-1] - 1}"
        problems = []
        for number, change in enumerate(changes, start=1):
            if change.table in PLANNING_SPECS:
                continue  # checked with the planning tables (planning_tables)
            if change.table not in TABLES_BY_NAME:
                known = ", ".join([*TABLES_BY_NAME, *PLANNING_SPECS])
                problems.append(
                    Problem(label, None, "table", change.table, f"one of the tables {known}", "scenario_table")
                )
            outside = [str(y) for y in change.years if not isinstance(y, int) or self.period_of(y) is None]
            if outside:
                problems.append(
                    Problem(
                        f"{label}, change {number} ({change.describe()})",
                        None,
                        "years",
                        ", ".join(outside),
                        f"years within the horizon ({span})",
                        "change_years",
                    )
                )
        return problems


def plan_hashes(network: Network) -> dict[str, str]:
    """sha256 of the plan's own files in ``network``'s folder (paths and planning tables):
    with the dataset's ``file_hashes``, what makes two plans' inputs the same."""
    import hashlib

    source = network.source
    if source is None:
        return {}
    files = [PATHS_FILE, *(spec.file for spec in PLANNING_SPECS.values())]
    return {
        name: hashlib.sha256((source / name).read_bytes()).hexdigest() for name in files if (source / name).is_file()
    }


def _editor(changes: list[Change], label: str) -> Callable[[Network], Network] | None:
    if not changes:
        return None
    return lambda network: changed_network(network, changes, label)
