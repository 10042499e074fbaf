"""Solving a chunk of points on one LP built once and re-solved in place.

A worker (a local process, a Dask worker, or the calling process) keeps one
:class:`Engine` per sweep: the base LP loaded into HiGHS and solved once. Each point
applies its changes to the base tables; when they only move costs and right-hand sides
(:mod:`oreflow.model.parameters`) just those vectors are recomputed and changed in place
in HiGHS, which re-solves from the previous basis; otherwise the LP is rebuilt, and
re-solved in place too when its structure is unchanged, or loaded afresh when it is not.
Every chunk starts from the base case's optimal basis, so a point's answer does not
depend on which worker ran it or what it ran before.

A point never reports another point's figures: the values changed in HiGHS are read back
before the re-solve (HiGHS keeps its old value where it rejects one), a re-solve that ends
without a verdict is solved again from scratch, and a point that fails after its changes
reached HiGHS leaves the next point a freshly loaded model.
"""

from __future__ import annotations

import hashlib
import math
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from oreflow.errors import InputError, Problem, SolveError
from oreflow.model.infeasibility import explain, row_name
from oreflow.model.lp import LinearProgram, build_lp
from oreflow.model.market import MarketOptions, as_options
from oreflow.model.network import Network
from oreflow.model.ranging import alternative_optimum, certified_unique, degenerate_positions, dual_uniqueness
from oreflow.model.record import SolutionRecord
from oreflow.solvers.highs import ChangeRejected, HighsModel
from oreflow.sweep.changed import ChangedLPs, carried_basis, structure_of
from oreflow.sweep.extract import Extractor
from oreflow.sweep.points import Point

if TYPE_CHECKING:
    from oreflow.plan_cases import PlanBase


@dataclass(frozen=True)
class SweepContext:
    """What every worker needs, sent once: the sweep's base dataset and solve settings."""

    fingerprint: str
    network: Network
    market: MarketOptions | float  # a number: the unmet penalty, other options at their defaults
    solver_options: dict[str, Any]
    prices: tuple[str, ...]
    flows: tuple[str, ...] = ()
    #: range every point's basis and record whether each price is unique (unique.* columns)
    price_trust: bool = False
    #: a plan's base (its horizon, paths and planning tables): the points are plans
    #: (:mod:`oreflow.sweep.plan_engine`); None for single-year points
    plan: PlanBase | None = None


def fingerprint(*parts: Any) -> str:
    """A short hash of the given JSON-able parts (what makes two sweeps the same)."""
    import json

    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def source_hash() -> str:
    """A hash of oreflow's own code (every .py file of oreflow, oreflow.model and
    oreflow.solvers): rows saved by another build are not resumed."""
    import oreflow
    from oreflow import model, solvers

    h = hashlib.sha256()
    for package in (oreflow, model, solvers):
        assert package.__file__ is not None
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


#: Models of other structures kept per worker (e.g. a stress test's removed routes).
OTHER_MODELS = 2

#: Statuses of a re-solve that ended without a verdict on the LP (HiGHS stopped on a numerical
#: failure, e.g. "Not Set" after its dual simplex met excessive dual values from the previous
#: point's basis; a QP's solver stalling from the previous point's state until a limit): such a
#: point is solved again from scratch, in a freshly loaded model.
NO_VERDICT = ("error", "other", "time_limit", "iteration_limit")


class Engine:
    """The base LP of a sweep, loaded into HiGHS, and the point-by-point re-solve."""

    def __init__(self, context: SweepContext) -> None:
        self.context = context
        self.market = as_options(context.market)
        self.base_lp = build_lp(context.network, self.market)
        self.structure = structure_of(self.base_lp)
        self.model = HighsModel(copy_vectors(self.base_lp), context.solver_options)
        record = self.model.solve()
        if record.status != "optimal":
            raise SolveError(
                record.status,
                f"{record.solver_status}: the sweep's base case (the dataset with "
                f"the sweep's base_changes) must solve to optimality",
            )
        self.base_objective = float(record.objective)
        self.base_record = record
        self.base_basis = self.model.highs.getBasis()
        self.extractor = Extractor(context.network, self.base_lp, context.prices, context.flows)
        self.others: OrderedDict[str, HighsModel] = OrderedDict()
        self.lps = ChangedLPs(context.network, self.base_lp, self.market, self.structure)

    def run_chunk(self, points: list[Point]) -> list[dict[str, Any]]:
        """Solve ``points`` in order, starting from the base case's basis in a freshly
        loaded model (HiGHS keeps factorisation state between solves: a reused model gave
        answers equal only to rounding, a fresh one gives the same bits wherever it runs)."""
        self._restart()
        return [self.run_point(point) for point in points]

    def _restart(self) -> None:
        """The base LP freshly loaded, to re-solve from the base case's basis; no other models."""
        self.model = HighsModel(copy_vectors(self.base_lp), self.context.solver_options)
        self.model.start_from(self.base_basis)
        self.others.clear()

    def run_point(self, point: Point) -> dict[str, Any]:
        """One point's row: its identity, status, error (if any), figures and dual trust."""
        return point_row(point, self._solve_point, self._restart)

    def _solve_point(self, point: Point, row: dict[str, Any]) -> None:
        """Solve ``point`` and add its status, error, figures, dual trust, iterations and
        whether it re-solved from a previous basis to ``row``."""
        lp, model, extractor, warm = self._prepare(point)
        record = solve_in_place(model, lp, ranging=self.context.price_trust)
        if record.status in NO_VERDICT and warm:
            model = self._reload(model, lp)
            record = model.solve(ranging=self.context.price_trust)
            warm = False
        row.update(status=record.status, error=_failure(lp, record))
        if record.status == "optimal":
            row.update(extractor.figures(lp, record))
            degenerate = degenerate_positions(lp, record) if record.has_basis else None
            codes = dual_uniqueness(lp, record, degenerate)
            row.update(trust_of(lp, record, codes, degenerate))
            if self.context.price_trust:
                row.update(extractor.price_uniqueness(lp, codes))
        row["iterations"] = record.iterations
        row["warm"] = warm and "interior point" not in record.dual_method

    def _reload(self, model: HighsModel, lp: LinearProgram) -> HighsModel:
        """A model of ``lp`` loaded afresh, to be solved from scratch, in ``model``'s place."""
        fresh = HighsModel(copy_vectors(lp), self.context.solver_options)
        if model is self.model:
            self.model = fresh
        for structure, other in self.others.items():
            if other is model:
                self.others[structure] = fresh
        return fresh

    def _prepare(self, point: Point) -> tuple[LinearProgram, HighsModel, Extractor, bool]:
        """The point's LP (:meth:`~oreflow.sweep.changed.ChangedLPs.prepare`), the HiGHS model
        to solve it in, its extractor, and whether the model re-solves from a previous basis."""
        context = self.context
        check_finite(point)
        prepared = self.lps.prepare(list(point.changes), f"point {point.index} ({point.label})")
        lp = prepared.lp
        extractor = (
            self.extractor
            if lp.columns is self.base_lp.columns
            else Extractor(prepared.network, lp, context.prices, context.flows)
        )
        if prepared.structure == self.structure:
            return lp, self.model, extractor, True
        if prepared.structure in self.others:
            self.others.move_to_end(prepared.structure)
            return lp, self.others[prepared.structure], extractor, True
        model = HighsModel(copy_vectors(lp), context.solver_options)  # a new structure: from the
        base = self.base_record  # base case's basis carried over (a route removed, a ban's rows added)
        warm = base.has_basis and model.start_from_statuses(
            *carried_basis(self.base_lp, base.col_basis, base.row_basis, lp)
        )
        self.others[prepared.structure] = model
        if len(self.others) > OTHER_MODELS:
            self.others.popitem(last=False)
        return lp, model, extractor, warm


def point_row(
    point: Point, solve: Callable[[Point, dict[str, Any]], None], restart: Callable[[], None]
) -> dict[str, Any]:
    """One point's row, for a single-year sweep and a plan sweep alike: its identity (index,
    label, tags, ``param.*`` values), what ``solve(point, row)`` adds (status, error, figures,
    dual trust, iterations, warm) and ``solve_s``. A point never stops the sweep: bad values
    (InputError) make it ``invalid``, a solve that fails (SolveError: e.g. HiGHS did not take
    its values) takes that status, anything else is an ``error`` naming where it happened;
    after either of the last two ``restart()`` gives the next point a freshly loaded model
    (one may hold changes its copy of the LP does not show)."""
    row: dict[str, Any] = {"point": point.index, "label": point.label, **point.tags}
    row.update({f"param.{name}": value for name, value in point.values.items()})
    started = time.perf_counter()
    try:
        solve(point, row)
    except InputError as exc:
        row.update(status="invalid", error="; ".join(str(p) for p in exc.problems) or str(exc))
    except SolveError as exc:
        row.update(status=exc.status, error=str(exc))
        restart()
    except Exception as exc:
        row.update(
            status="error",
            error=f"{type(exc).__name__}: {exc} ({traceback.extract_tb(exc.__traceback__)[-1].name})",
        )
        restart()
    row["solve_s"] = time.perf_counter() - started
    return row


def copy_vectors(lp: LinearProgram) -> LinearProgram:
    """``lp`` with its own cost and bound vectors (HighsModel changes them in place)."""
    import dataclasses

    return dataclasses.replace(
        lp,
        cost_offsets=dict(lp.cost_offsets),
        hessian=None if lp.hessian is None else lp.hessian.copy(),
        cost=lp.cost.copy(),
        row_lower=lp.row_lower.copy(),
        row_upper=lp.row_upper.copy(),
        col_lower=lp.col_lower.copy(),
        col_upper=lp.col_upper.copy(),
    )


def trust_of(lp: LinearProgram, record: SolutionRecord, codes: np.ndarray, degenerate: int | None) -> dict[str, Any]:
    """A point's dual trust (docs/conventions.md, "Dual trust and degeneracy"): whether the
    duals come from a basis, whether every price is certified unique (``unique_duals``,
    the same test as a run's: :func:`~oreflow.model.ranging.certified_unique` of the
    per-row ``codes``; without ranging, a basis with no basic variable at a bound), how
    many basic variables sit at a bound (``degenerate``, None without a basis: -1) and how
    many non-basic columns have a zero reduced cost (alternative optima)."""
    return {
        "has_basis": bool(record.has_basis),
        "unique_duals": certified_unique(record, codes),
        "degenerate_rows": -1 if degenerate is None else degenerate,
        "alternative_optima": int(alternative_optimum(lp, record).sum()),
    }


def _failure(lp: LinearProgram, record: SolutionRecord) -> str:
    """Why a point is not optimal, in one line ('' when it is): for an infeasible LP the
    constraints that conflict, named (oreflow.infeasibility)."""
    if record.status == "optimal":
        return ""
    if record.iis_rows is not None:
        report = explain(lp, record.iis_rows, record.iis_cols, record.iis_moves)
        if report.constraints:
            return f"{record.solver_status}: these constraints cannot all hold: " + "; ".join(report.constraints)
    if record.status in NO_VERDICT:
        return f"{record.solver_status}: HiGHS stopped without a verdict on this point's LP (also solved from scratch)"
    return record.solver_status


def solve_in_place(model: HighsModel, lp: LinearProgram, ranging: bool = False) -> SolutionRecord:
    """Move ``model`` to ``lp``'s costs, bounds and matrix coefficients (only what differs;
    ``lp`` has the model's structure, :func:`structure_of`), then re-solve. Where
    HiGHS does not hold a new value (HighsModel raises ChangeRejected), the point fails naming
    the rows and columns: solved anyway, it would report another LP's figures (the model still
    "optimal" from the previous point, re-solved in 0 iterations)."""
    current = model.lp
    cost_cols = np.flatnonzero(current.cost != lp.cost)
    rows = np.flatnonzero((current.row_lower != lp.row_lower) | (current.row_upper != lp.row_upper))
    cols = np.flatnonzero((current.col_lower != lp.col_lower) | (current.col_upper != lp.col_upper))
    try:
        if len(cost_cols):
            model.set_costs(cost_cols, lp.cost[cost_cols])
        if len(rows):
            model.set_row_bounds(rows, lp.row_lower[rows], lp.row_upper[rows])
        if len(cols):
            model.set_col_bounds(cols, lp.col_lower[cols], lp.col_upper[cols])
        if current.cost_offsets != lp.cost_offsets or not _same(current.hessian, lp.hessian):
            model.set_objective_terms(lp.cost_offsets, lp.hessian)
        model.set_matrix(lp.matrix)
    except ChangeRejected as exc:
        message = f"HiGHS did not take the point's values ({_named(lp, exc)}); the point is not solved"
        raise SolveError("error", message) from None
    return model.solve(ranging=ranging)


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Whether two optional arrays (a QP's Hessians) are equal."""
    return (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))


def check_finite(point: Point) -> None:
    """Raise InputError (the point is invalid) for a set value or scale factor that is not a
    finite number: a Monte Carlo draw that overflowed (a lognormal's exp of a large mean) would
    otherwise set a capacity or supply to inf (no limit) or an optional column to blank.
    Only the changes the swept parameters made (the last ``len(point.values)``) are checked:
    a change given as such (a stress test's voided contract: max_t = inf) may name inf."""
    drawn = point.changes[len(point.changes) - len(point.values) :] if point.values else ()
    bad = [
        (change, value)
        for change in drawn
        if change.action in ("set", "scale")
        for value in [change.value if change.action == "set" else change.factor]
        if isinstance(value, float) and not math.isfinite(value)
    ]
    if bad:
        raise InputError(
            [
                Problem(
                    f"point {point.index} ({point.label})",
                    None,
                    f"{change.table}.{change.column}",
                    repr(value),
                    "a finite value (the sweep drew or computed one that is not)",
                    "sweep_value",
                )
                for change, value in bad
            ]
        )


def _named(lp: LinearProgram, rejected: ChangeRejected) -> str:
    """The first few rows and columns whose values HiGHS did not take, in words."""
    count = len(rejected.rows) + len(rejected.cols)
    named = [row_name(lp, int(i)) for i in rejected.rows[:3]]
    named += [f"the cost or bounds of {_column_label(lp, int(j))}" for j in rejected.cols[: 3 - len(named)]]
    return "; ".join(named) + (f" and {count - len(named)} more" if count > len(named) else "")


def _column_label(lp: LinearProgram, position: int) -> str:
    """``block[key, ...]`` of LP column ``position``."""
    for name, block in lp.columns.items():
        if block.start <= position < block.stop:
            return f"{name}[{', '.join(str(v) for v in block.index.iloc[position - block.start].tolist())}]"
    return f"column {position}"
