"""The soft link: oreflow re-solved in place for another model that calls it in a loop.

:class:`Resolver` loads a dataset's LP into HiGHS once and solves it; each
:meth:`Resolver.solve` then takes new demand, ore supply or refining costs as pandas
tables, moves only the right-hand sides and costs they feed (the sweep machinery:
:func:`~oreflow.model.parameters.updated_lp` recomputes those pieces with the functions
``build_lp`` uses, :func:`~oreflow.model.parameters.check_changed` re-checks what the new
values can break, :func:`~oreflow.sweep.engine.solve_in_place` hands HiGHS what differs) and
re-solves from the previous basis. It answers with prices as DataFrames
(:class:`ResolvedPrices`), equal to :func:`oreflow.solve` on the dataset with those values
(tests/test_embedding.py). Each call is the base dataset with that call's values: values
given to an earlier call are not kept.

The hard link, a Pyomo Block of the LP for a model written in Pyomo, is
:func:`oreflow.pyomo_block`; docs/embedding.md says when to use which.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oreflow.errors import InputError, Problem, SolveError
from oreflow.infeasibility import report_of
from oreflow.job import Change
from oreflow.model.conventions import clean
from oreflow.model.families import CAPACITY, DEMAND, FAMILIES_BY_NAME, SHIPMENTS, SUPPLY
from oreflow.model.lp import LinearProgram, build_lp
from oreflow.model.market import MarketOptions, as_options
from oreflow.model.network import Network, load_inputs
from oreflow.model.parameters import check_changed, updated_lp
from oreflow.model.reading import check_numbers
from oreflow.model.record import SolutionRecord
from oreflow.model.solution import shadow_table
from oreflow.model.tables import TABLES_BY_NAME
from oreflow.scenarios import changed_network
from oreflow.solvers.highs import HighsModel
from oreflow.sweep.changed import ChangedLPs, carried_basis, structure_of
from oreflow.sweep.engine import NO_VERDICT, copy_vectors, solve_in_place

__all__ = ["ResolvedPrices", "Resolver"]

#: Models of LPs of other structures than the base case's a Resolver keeps loaded.
OTHER_MODELS = 3


@dataclass(frozen=True)
class _Input:
    """One input of :meth:`Resolver.solve`: its keyword, the table and column it sets, the
    table's key columns."""

    argument: str
    table: str
    keys: tuple[str, ...]
    column: str

    @property
    def label(self) -> str:
        return f"Resolver.solve({self.argument}=...)"


#: The inputs of Resolver.solve, in its argument order. Demand and ore supply are keyed like
#: the demand and supply rows (the families' own tables); refining costs like capacity rows.
INPUTS = (
    _Input(DEMAND, FAMILIES_BY_NAME[DEMAND].table, ("market", "product"), "demand_t"),
    _Input(SUPPLY, FAMILIES_BY_NAME[SUPPLY].table, ("origin",), "supply_t"),
    _Input("costs", FAMILIES_BY_NAME[CAPACITY].table, ("refiner",), "processing_cost_usd_per_t"),
)


@dataclass(frozen=True)
class ResolvedPrices:
    """What one :meth:`Resolver.solve` found (units and signs: docs/conventions.md).

    Attributes:
        status: ``optimal`` (a solve that is not raises :class:`~oreflow.SolveError`).
        objective: USD per year, as :attr:`oreflow.Result.objective`: total cost, minus the
            willingness to pay of what the demand curves consume where demand has curves.
        market: one row per demand row: ``market``, ``product``, ``demand_t`` (the demand
            solved for: the reference quantity on a row with a curve), ``price_usd_per_t``
            (the demand row's shadow price: the equilibrium price on a curve, else the
            marginal delivered cost; as ``Result.market``'s), ``quantity_t`` (t delivered).
        iterations: simplex iterations of the re-solve.
        warm: whether it re-solved from the previous basis.
        solve_s: seconds for the whole call (checking and applying the values, the re-solve,
            the market table); the shadow-price tables are built on first use.
    """

    status: str
    objective: float
    market: pd.DataFrame = field(repr=False)
    iterations: int
    warm: bool
    solve_s: float
    lp: LinearProgram = field(repr=False, compare=False)
    record: SolutionRecord = field(repr=False, compare=False)
    #: the dataset solved (the base dataset with the call's values or changes)
    network: Network | None = field(default=None, repr=False, compare=False)
    #: how the LP was found: ``base``, ``in_place``, ``shape``, ``coefficients``,
    #: ``validated`` or ``rebuilt`` (:class:`~oreflow.sweep.changed.Prepared`)
    lp_path: str = field(default="base", compare=False)

    @functools.cached_property
    def shadow_prices(self) -> dict[str, pd.DataFrame]:
        """Every constraint family's table, as :attr:`oreflow.Result.shadow_prices` (key
        columns, ``rhs``, ``activity``, ``shadow_price``, ``slack``, ``binding``; without the
        ranging-based ``dual_unique`` and ``fragile``): :attr:`supply` and :attr:`capacity`
        are two of them."""
        return {name: shadow_table(self.lp, self.record, name) for name in self.lp.rows}

    @property
    def supply(self) -> pd.DataFrame:
        """Ore supply per origin: shadow_price <= 0 USD/t REO, minus what one more tonne would save."""
        return self.shadow_prices[SUPPLY]

    @property
    def capacity(self) -> pd.DataFrame:
        """Feed capacity per refiner: shadow_price <= 0 USD/t REO, minus what one more tonne would save."""
        return self.shadow_prices[CAPACITY]

    def price(self, market: str, product: str) -> float:
        """The market table's price of ``product`` in ``market``, USD per t."""
        rows = self.market[(self.market["market"] == market) & (self.market["product"] == product)]
        if rows.empty:
            raise KeyError(f"no demand row ({market!r}, {product!r})")
        return float(rows["price_usd_per_t"].iloc[0])


class Resolver:
    """A dataset's LP loaded into HiGHS, re-solved in place with new demand, supply or costs.

    Example (an outer loop setting NdPr demand in the EU from oreflow's price)::

        resolver = oreflow.Resolver("inputs/rare_earths_2024", fixed_demand=[("EU", "NdPr")])
        demand = pd.DataFrame({"market": ["EU"], "product": ["NdPr"], "demand_t": [2500.0]})
        answer = resolver.solve(demand=demand)
        answer.price("EU", "NdPr")        # USD per t
        answer.capacity                   # refiner, rhs, activity, shadow_price, slack, binding
    """

    def __init__(
        self,
        network: Network | str | Path,
        market: MarketOptions | float | None = None,
        solver_options: Mapping[str, Any] | None = None,
        *,
        fixed_demand: Iterable[tuple[str, str]] = (),
        ranging: bool = False,
    ) -> None:
        """Build the LP of ``network`` (a Network or a dataset folder), load it into HiGHS and
        solve it (:attr:`base`).

        Args:
            market: how demand is represented, as for :func:`oreflow.solve`
                (:class:`~oreflow.MarketOptions`; a number: the unmet penalty, USD/t).
            solver_options: passed to HiGHS unchanged.
            fixed_demand: (market, product) rows whose demand curve is removed, so that
                the demand given to :meth:`solve` is the quantity delivered (a fixed demand,
                priced at its marginal delivered cost) rather than a curve's reference
                quantity: for an outer model that sets the quantity by its own response.
            ranging: range every optimal basis (about 2 ms on the default dataset), so that
                each answer's record carries the ranging :func:`oreflow.solve` reports and a
                Result built from it flags fragile prices (``oreflow serve`` does).

        Raises InputError (bad inputs) and SolveError (the base case is not optimal).
        """
        if not isinstance(network, Network):
            network = load_inputs(network)
        fixed = list(fixed_demand)
        if fixed:
            demand = FAMILIES_BY_NAME[DEMAND].table
            changes = [
                Change(action="set", table=demand, where={"market": m, "product": p}, column="elasticity", value="")
                for m, p in fixed
            ]
            network = changed_network(network, changes, "Resolver(fixed_demand=...)")  # no curve: nothing to re-check
        self.network = network
        self.market = as_options(market)
        self.solver_options = dict(solver_options or {})
        self.ranging = ranging
        self.base_lp = build_lp(network, self.market)
        started = time.perf_counter()
        self._model = HighsModel(copy_vectors(self.base_lp), self.solver_options)
        record = self._model.solve(ranging=ranging)
        self._check(self.base_lp, record, "the base case")
        self._structure = structure_of(self.base_lp)
        self._lps = ChangedLPs(network, self.base_lp, self.market, self._structure)
        #: the structure of the last answer (its model is never the one a new structure evicts)
        self._last_structure = self._structure
        #: models of LPs of other structures (a ban, a new quota row), by structure, newest last
        self._others: OrderedDict[str, HighsModel] = OrderedDict()
        self._basis = self._model.highs.getBasis()
        #: per input, its table's key (a tuple) -> the row's position
        self._rows = {
            spec.argument: {
                key: at for at, key in enumerate(zip(*(getattr(network, spec.table)[k] for k in spec.keys)))
            }
            for spec in INPUTS
        }
        demand_index = pd.MultiIndex.from_frame(network.demand[["market", "product"]])
        ships = self.base_lp.columns[SHIPMENTS].index
        self._delivered_to = demand_index.get_indexer(pd.MultiIndex.from_frame(ships[["market", "product"]]))
        #: the base case's answer
        self.base = self._answer(network, self.base_lp, record, started, warm=False, lp_path="base")

    def fork(self) -> Resolver:
        """A Resolver of the same base case in a HiGHS model of its own, loaded at the base
        case's basis without solving it again (about a tenth of building one): for another
        user of the same dataset, e.g. each session of ``oreflow serve``. The base dataset,
        LP and answer are shared, read-only; the two re-solve independently."""
        twin = copy.copy(self)
        twin._model = HighsModel(copy_vectors(self.base_lp), self.solver_options)
        twin._model.start_from(self._basis)
        twin._others = OrderedDict()
        twin._last_structure = self._structure
        twin._lps = ChangedLPs(self.network, self.base_lp, self.market, self._structure)
        return twin

    def solve(
        self,
        demand: pd.DataFrame | pd.Series | None = None,
        supply: pd.DataFrame | pd.Series | None = None,
        costs: pd.DataFrame | pd.Series | None = None,
    ) -> ResolvedPrices:
        """Re-solve with these values in place of the base dataset's; rows not given keep
        the base values (and so does everything not given: a call does not remember the last).

        Args:
            demand: ``market``, ``product``, ``demand_t`` (t of product per year): columns of a
                DataFrame (or its index), or a Series indexed by (market, product).
            supply: ``origin``, ``supply_t`` (t REO per year; ``inf``: unlimited).
            costs: ``refiner``, ``processing_cost_usd_per_t`` (USD per t REO fed).

        Raises:
            InputError: a key the dataset does not have, a key given twice, a value that is
                not a number the dataset's column allows, or values that break a dataset rule
                (demand no refiner can serve, a curve's demand_t of 0, ...); each problem
                names the input. Nothing is solved, and the loaded model is unchanged.
            SolveError: the LP with these values is not optimal (infeasible: the report
                names the conflicting constraints).
        """
        started = time.perf_counter()
        tables: dict[str, pd.DataFrame] = {}
        problems: list[Problem] = []
        for spec, data in zip(INPUTS, (demand, supply, costs)):
            if data is not None:
                table, found = self._with_values(spec, data)
                problems += found
                if table is not None:
                    tables[spec.table] = table
        if problems:
            raise InputError(problems, heading="Resolver.solve: invalid inputs (nothing solved)")
        changed = [(spec.table, spec.column) for spec in INPUTS if spec.table in tables]
        network = dataclasses.replace(self.network, **tables)
        problems = check_changed(network, changed, "Resolver.solve")
        if problems:
            raise InputError(problems, heading="Resolver.solve: the values break the dataset's rules (nothing solved)")
        lp = updated_lp(self.base_lp, network, changed, self.market)
        if lp is None:  # not for these inputs: they move right-hand sides and costs only (model/parameters.py)
            raise SolveError("error", "these values change the LP's structure: solve with oreflow.solve instead")
        record, warm = self._run(lp, self._structure, "these values")
        return self._answer(network, lp, record, started, warm, lp_path="in_place")

    def solve_changes(self, changes: Sequence[Change], label: str = "Resolver.solve_changes") -> ResolvedPrices:
        """Re-solve the base dataset with ``changes`` (a scenario's :class:`~oreflow.job.Change`
        list, applied in order), with the LP found as cheaply as the changes allow
        (:meth:`~oreflow.sweep.changed.ChangedLPs.prepare`: values moved in place, a policy
        row added before moved again, coefficients such as a recovery moved without
        revalidating). It is re-solved in place from the last basis when its structure is
        one already loaded (the base case's, or one of the last :data:`OTHER_MODELS` others:
        a ban), else loaded afresh. As :meth:`solve`, a call does not remember the last.

        Raises InputError (a change that cannot be applied, or values that break the
        dataset's rules; each problem names ``label`` and the change; nothing is solved)
        and SolveError (not optimal; an infeasible LP's report names the conflicting
        constraints). The answer's ``network`` is the changed dataset.
        """
        started = time.perf_counter()
        prepared = self._lps.prepare(list(changes), label)
        record, warm = self._run(prepared.lp, prepared.structure, label)
        return self._answer(prepared.network, prepared.lp, record, started, warm, lp_path=prepared.path)

    def _run(self, lp: LinearProgram, structure: str, label: str) -> tuple[SolutionRecord, bool]:
        """Solve ``lp`` in the model of its ``structure`` (:meth:`_model_of`), in place from its
        basis; a re-solve that ends without a verdict is redone from scratch in a fresh model.
        Returns the optimal record and whether it started from a basis; raises SolveError
        (:meth:`_check`), after which that structure's model is loaded afresh when next needed."""
        model, warm = self._model_of(lp, structure)
        try:
            record = solve_in_place(model, lp, ranging=self.ranging) if warm else model.solve(ranging=self.ranging)
            if record.status in NO_VERDICT and warm:  # no verdict from the old basis: from scratch
                model = HighsModel(copy_vectors(lp), self.solver_options)
                record = model.solve(ranging=self.ranging)
                warm = False
                if structure == self._structure:
                    self._model = model
                else:
                    self._others[structure] = model
            self._check(lp, record, label)
        except Exception:
            if structure == self._structure:
                self._restart()  # the next call starts from the base case's basis in a fresh model
            else:
                self._others.pop(structure, None)  # loaded afresh when next needed
            raise
        self._last_structure = structure
        return record, warm

    def prepare_changes(self, changes: Sequence[Change], label: str = "Resolver.prepare_changes") -> str:
        """Get ready for :meth:`solve_changes` with ``changes``, or with the same rows added
        and other values (the slider of a quota about to be moved): their LP found (the
        changed tables validated and built once, kept as a shape) and, for a new structure,
        loaded in HiGHS at the base case's basis carried over. Nothing is solved and the
        last answer stays. ``oreflow serve`` calls it when a control's keys are chosen or
        its slider pressed, so that the change itself is a move in place. Returns how the LP
        was found (as :attr:`ResolvedPrices.lp_path`); raises InputError as solve_changes."""
        prepared = self._lps.prepare(list(changes), label)
        self._model_of(prepared.lp, prepared.structure)
        return prepared.path

    def _model_of(self, lp: LinearProgram, structure: str) -> tuple[HighsModel, bool]:
        """The model to solve ``lp`` in, and whether it starts from a basis: the base case's
        (or one of the last :data:`OTHER_MODELS` other structures') model, or a new one
        loaded at the base case's basis carried over to ``lp`` (a ban's rows)."""
        if structure == self._structure:
            return self._model, True
        if structure in self._others:
            self._others.move_to_end(structure)
            model = self._others[structure]
            return model, model.starts_from_basis
        model = HighsModel(copy_vectors(lp), self.solver_options)
        warm = self.base.record.has_basis and model.start_from_statuses(
            *carried_basis(self.base_lp, self.base.record.col_basis, self.base.record.row_basis, lp)
        )
        self._others[structure] = model
        while len(self._others) > OTHER_MODELS:  # the oldest goes, never the one last solved in
            del self._others[next(key for key in self._others if key != self._last_structure)]
        return model, warm

    def _with_values(self, spec: _Input, data: pd.DataFrame | pd.Series) -> tuple[pd.DataFrame | None, list[Problem]]:
        """The base table of ``spec`` with the given values set, or the problems found."""
        given, problems = _given(spec, data)
        if given is None:
            return None, problems
        keys = list(zip(*(given[k] for k in spec.keys)))
        rows = self._rows[spec.argument]
        position = np.asarray([rows.get(key, -1) for key in keys], dtype=np.int64)
        names = "/".join(spec.keys)
        problems += [
            Problem(spec.label, None, names, "/".join(map(str, key)), f"a {names} of the dataset's {spec.table}.csv")
            for key, at in zip(keys, position)
            if at < 0
        ]
        problems += [
            Problem(spec.label, None, names, "/".join(map(str, key)), f"each {names} given once")
            for key, count in Counter(keys).items()
            if count > 1
        ]
        column = next(c for c in TABLES_BY_NAME[spec.table].columns if c.name == spec.column)
        for at, value, expected in check_numbers(given[spec.column], column):
            key = "/".join(map(str, keys[at]))
            problems.append(Problem(f"{spec.label}, {names} {key}", None, spec.column, value, expected))
        if problems:
            return None, problems
        base = getattr(self.network, spec.table)
        values = base[spec.column].to_numpy(float).copy()
        values[position] = given[spec.column].to_numpy(float)
        return base.assign(**{spec.column: values}), []

    def _answer(
        self, network: Network, lp: LinearProgram, record: SolutionRecord, started: float, warm: bool, lp_path: str
    ) -> ResolvedPrices:
        """The tables of one optimal solve."""
        demand = lp.rows[DEMAND]
        price = clean(record.row_dual[demand.slice] / lp.report_scale(DEMAND))  # as Result.market's price
        shipped = np.asarray(record.col_value, dtype=float)[lp.columns[SHIPMENTS].slice]
        delivered_to = self._delivered_to
        if lp.columns is not self.base_lp.columns or len(network.demand) != len(self.network.demand):
            demand_index = pd.MultiIndex.from_frame(network.demand[["market", "product"]])
            ships = lp.columns[SHIPMENTS].index
            delivered_to = demand_index.get_indexer(pd.MultiIndex.from_frame(ships[["market", "product"]]))
        known = delivered_to >= 0
        delivered = np.bincount(delivered_to[known], shipped[known], minlength=len(demand.index))
        market = demand.index[["market", "product"]].assign(
            demand_t=network.demand["demand_t"].to_numpy(float),
            price_usd_per_t=price,
            quantity_t=clean(delivered),
        )
        return ResolvedPrices(
            status=record.status,
            objective=float(record.objective),
            market=market,
            iterations=int(record.iterations),
            warm=warm,
            solve_s=time.perf_counter() - started,
            lp=lp,
            record=record,
            network=network,
            lp_path=lp_path,
        )

    @staticmethod
    def _check(lp: LinearProgram, record: SolutionRecord, what: str) -> None:
        """Raise SolveError unless ``record`` is optimal; an infeasible LP's conflicting
        constraints are named, as :func:`oreflow.solve` names them."""
        if record.status == "optimal":
            return
        if record.status in ("infeasible", "infeasible_or_unbounded"):
            report = report_of(lp, record)
            raise SolveError(record.status, f"{what}: {record.solver_status}; {report}", report=report)
        raise SolveError(record.status, f"{what}: {record.solver_status}")

    def _restart(self) -> None:
        """The base LP freshly loaded, to re-solve from the base case's basis."""
        self._model = HighsModel(copy_vectors(self.base_lp), self.solver_options)
        self._model.start_from(self._basis)


def _given(spec: _Input, data: pd.DataFrame | pd.Series) -> tuple[pd.DataFrame | None, list[Problem]]:
    """``data`` as a frame with the key columns and the value column of ``spec``, or why not."""
    keys = list(spec.keys)
    if isinstance(data, pd.Series):
        series = data.copy()
        if all(name is None for name in series.index.names) and series.index.nlevels == len(keys):
            series.index = series.index.set_names(keys)
        frame = series.rename(spec.column).reset_index() if set(keys) <= set(series.index.names) else None
    elif isinstance(data, pd.DataFrame):
        indexed = [name for name in data.index.names if name in keys]
        frame = data.reset_index(indexed) if indexed else data
    else:
        frame = None
    missing = [] if frame is None else [c for c in (*keys, spec.column) if c not in frame.columns]
    if frame is None or missing:
        expected = (
            f"a DataFrame with columns {', '.join((*keys, spec.column))} (keys as columns or index), "
            f"or a Series of {spec.column} indexed by {', '.join(keys)}"
        )
        got = type(data).__name__ if frame is None else f"no column {', '.join(missing)}"
        return None, [Problem(spec.label, None, None, got, expected, "resolver_input")]
    return frame.reset_index(drop=True), []
