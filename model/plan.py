"""Several years in one LP: the single-year LP of each year, stacked, plus what links them.

A plan (docs/formulation.md, "Planning over years") is a :class:`Horizon` — the years
modelled, the years each represents, a discount rate — and one validated
:class:`~oreflow.model.network.Network` per year (the dataset with its time paths applied,
:mod:`.paths`). :func:`build_plan_lp` builds each year's LP with
:func:`~oreflow.model.lp.build_lp` (the registry's blocks and families, unchanged), lays
them out year after year, weights each year's costs by the discounted years it represents,
and appends the horizon's own parts (:mod:`.planning`: builds, build limits, stockpiles),
whose columns may also enter the years' rows (a build adds to a refiner's capacity row of
every year it is online).

:func:`year_record` gives back, for one year, the year's own LP and a solution record in its
units (duals and costs divided by the year's weight; the horizon columns' share of a year
row moved to its right-hand side): :func:`~oreflow.model.solution.read_solution` then reads
each year exactly as it reads a single-year run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .arrays import Block, CscMatrix, LinearProgram
from .market import MarketOptions
from .network import Network
from .record import RangingArrays, SolutionRecord


@dataclass(frozen=True)
class Horizon:
    """The years of a plan.

    Attributes:
        years: the first year of each period, ascending.
        period_years: how many years each period represents (the model's year stands for
            them all: its flows repeat each year).
        discount_rate: real, per year; costs are discounted to ``base_year``.
        base_year: the year of present values (default: the first year).
    """

    years: tuple[int, ...]
    period_years: tuple[int, ...]
    discount_rate: float = 0.0
    base_year: int | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.years or list(self.years) != sorted(set(self.years)):
            problems.append(f"years must be distinct and ascending, not {list(self.years)}")
        if len(self.period_years) != len(self.years) or any(n < 1 for n in self.period_years):
            problems.append("period_years needs one whole number >= 1 per year")
        elif any(a + n > b for a, n, b in zip(self.years, self.period_years, self.years[1:])):
            problems.append("a period overlaps the next year: period_years must not exceed the gap between years")
        if not (0.0 <= self.discount_rate < 1.0):
            problems.append(f"discount_rate must be at least 0 and below 1, not {self.discount_rate}")
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def of(
        cls,
        years: Sequence[int],
        period_years: Sequence[int] | None = None,
        discount_rate: float = 0.0,
        base_year: int | None = None,
    ) -> Horizon:
        """A horizon whose periods, when not given, run to the next year (the last as long as
        the one before it; a single year stands for one year)."""
        years = tuple(int(y) for y in years)
        if period_years is None:
            gaps = [b - a for a, b in zip(years, years[1:])]
            period_years = (*gaps, gaps[-1] if gaps else 1)
        return cls(years, tuple(int(n) for n in period_years), float(discount_rate), base_year)

    @property
    def base(self) -> int:
        return self.base_year if self.base_year is not None else self.years[0]

    def discount(self, year: float | np.ndarray) -> float | np.ndarray:
        """(1 + r)^-(year - base): the present value of one USD paid in ``year``."""
        return (1.0 + self.discount_rate) ** -(np.asarray(year, dtype=float) - self.base)

    def weights(self) -> np.ndarray:
        """Per period: the sum of its years' discount factors (a year's costs count this much)."""
        return np.asarray(
            [float(np.sum(self.discount(np.arange(year, year + n)))) for year, n in zip(self.years, self.period_years)]
        )

    def covered(self) -> np.ndarray:
        """Every calendar year the periods represent."""
        return np.concatenate([np.arange(y, y + n) for y, n in zip(self.years, self.period_years)])


@dataclass
class HorizonPart:
    """Columns and rows of the horizon (not of one year), and the entries by which its columns
    enter year rows. Built by :mod:`.planning`; ``row_year`` and ``row_family`` name the
    year rows an entry hits (in the year's own LP numbering)."""

    name: str
    columns: pd.DataFrame  # index of its columns
    cost: np.ndarray  # USD per unit, already in present value
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray  # True for an integer column
    rows: pd.DataFrame  # index of its own rows
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_is_upper: np.ndarray
    #: entries of its own rows: (row within the part, column within the part, value)
    own: tuple[np.ndarray, np.ndarray, np.ndarray]
    #: entries in year rows: (year, global row of that year's LP, column within the part, value)
    into_years: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    #: per own row, the factor from its dual to its reported price (1, or a discount factor)
    row_price_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class PlanLP:
    """The stacked LP and where each year and each horizon part sits in it."""

    lp: LinearProgram
    horizon: Horizon
    year_lps: dict[int, LinearProgram]
    col_start: dict[int, int]
    row_start: dict[int, int]
    weight: dict[int, float]
    parts: dict[str, HorizonPart]
    part_col_start: dict[str, int]
    part_row_start: dict[str, int]
    integrality: np.ndarray  # per column: True for an integer column

    @property
    def is_mip(self) -> bool:
        return bool(self.integrality.any())

    def part_values(self, record: SolutionRecord, name: str) -> np.ndarray:
        """The values of horizon part ``name``'s columns in ``record`` (tiny magnitudes as 0)."""
        from .conventions import clean

        start = self.part_col_start[name]
        return clean(record.col_value[start : start + len(self.parts[name].columns)])

    def year_of_row(self, row: int) -> int | None:
        """The year whose LP holds global row ``row`` (None for a horizon row)."""
        for year, lp in self.year_lps.items():
            if self.row_start[year] <= row < self.row_start[year] + lp.n_rows:
                return year
        return None


def _coo(matrix: CscMatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cols = np.repeat(np.arange(matrix.shape[1]), np.diff(matrix.indptr))
    return matrix.indices.astype(np.int64), cols, matrix.data


def build_plan_lp(
    networks: Mapping[int, Network],
    horizon: Horizon,
    options: MarketOptions | float,
    parts: Sequence[HorizonPart] = (),
    year_lps: dict[int, LinearProgram] | None = None,
) -> PlanLP:
    """The years' LPs (built with :func:`~oreflow.model.lp.build_lp` unless ``year_lps``
    gives them), stacked year after year with their costs weighted by their periods'
    discounted years, then the horizon ``parts``."""
    from .lp import build_lp

    lps = dict(year_lps) if year_lps is not None else {y: build_lp(networks[y], options) for y in horizon.years}
    weights = dict(zip(horizon.years, horizon.weights()))
    is_upper, scale, integer = [], [], []
    coo_r, coo_c, coo_v = [], [], []
    col_start, row_start = {}, {}
    n_cols = n_rows = 0
    columns: dict[str, Block] = {}
    rows: dict[str, Block] = {}
    for year in horizon.years:
        lp = lps[year]
        col_start[year], row_start[year] = n_cols, n_rows
        integer.append(np.zeros(lp.n_cols, dtype=bool))
        is_upper.append(lp.row_is_upper)
        scale.append(lp.row_report_scale)
        r, c, v = _coo(lp.matrix)
        coo_r.append(r + n_rows)
        coo_c.append(c + n_cols)
        coo_v.append(v)
        for name, block in lp.columns.items():
            columns[f"{name}.{year}"] = Block(f"{name}.{year}", n_cols + block.start, block.index)
        for name, block in lp.rows.items():
            rows[f"{name}.{year}"] = Block(f"{name}.{year}", n_rows + block.start, block.index)
        n_cols += lp.n_cols
        n_rows += lp.n_rows
    part_col_start, part_row_start = {}, {}
    for part in parts:
        part_col_start[part.name], part_row_start[part.name] = n_cols, n_rows
        n = len(part.columns)
        integer.append(np.asarray(part.integer, bool))
        m = len(part.rows)
        is_upper.append(np.asarray(part.row_is_upper, bool))
        scale.append(np.ones(m))
        r, c, v = part.own
        coo_r.append(np.asarray(r, np.int64) + n_rows)
        coo_c.append(np.asarray(c, np.int64) + n_cols)
        coo_v.append(np.asarray(v, float))
        years, year_rows, part_cols, values = part.into_years
        starts = np.asarray([row_start[int(y)] for y in years], dtype=np.int64)
        coo_r.append(starts + np.asarray(year_rows, np.int64))
        coo_c.append(np.asarray(part_cols, np.int64) + n_cols)
        coo_v.append(np.asarray(values, float))
        columns[part.name] = Block(part.name, n_cols, part.columns.reset_index(drop=True))
        if m:
            rows[part.name] = Block(part.name, n_rows, part.rows.reset_index(drop=True))
        n_cols += n
        n_rows += m
    matrix = CscMatrix.from_coo(np.concatenate(coo_r), np.concatenate(coo_c), np.concatenate(coo_v), (n_rows, n_cols))
    stacked = LinearProgram(
        matrix=matrix,
        columns=columns,
        rows=rows,
        row_is_upper=np.concatenate(is_upper),
        row_report_scale=np.concatenate(scale),
        cost_terms={},
        **_stacked_vectors(horizon, lps, weights, parts),
    )
    return PlanLP(
        stacked,
        horizon,
        lps,
        col_start,
        row_start,
        weights,
        {p.name: p for p in parts},
        part_col_start,
        part_row_start,
        np.concatenate(integer),
    )


def _stacked_vectors(
    horizon: Horizon, lps: Mapping[int, LinearProgram], weights: Mapping[int, float], parts: Sequence[HorizonPart]
) -> dict:
    """The stacked LP's costs, bounds, objective constant and Hessian diagonal: each year's
    weighted by its discounted years, then the parts'."""
    years = [lps[y] for y in horizon.years]
    w = [weights[y] for y in horizon.years]
    hessian = np.concatenate(
        [wy * lp.hessian if lp.hessian is not None else np.zeros(lp.n_cols) for wy, lp in zip(w, years)]
        + [np.zeros(len(p.columns)) for p in parts]
    )
    offset = float(sum(wy * lp.offset for wy, lp in zip(w, years)))
    return {
        "cost": np.concatenate([wy * lp.cost for wy, lp in zip(w, years)] + [np.asarray(p.cost, float) for p in parts]),
        "col_lower": np.concatenate([lp.col_lower for lp in years] + [np.asarray(p.lower, float) for p in parts]),
        "col_upper": np.concatenate([lp.col_upper for lp in years] + [np.asarray(p.upper, float) for p in parts]),
        "row_lower": np.concatenate([lp.row_lower for lp in years] + [np.asarray(p.row_lower, float) for p in parts]),
        "row_upper": np.concatenate([lp.row_upper for lp in years] + [np.asarray(p.row_upper, float) for p in parts]),
        "cost_offsets": {"years": offset} if offset else {},
        "hessian": hessian if np.any(hessian) else None,
    }


def restacked(plan: PlanLP, year_lps: Mapping[int, LinearProgram]) -> PlanLP:
    """``plan`` with the years' LPs replaced by ``year_lps`` of the same structure (a sweep
    point that moves only costs and bounds: :mod:`oreflow.model.parameters`): the stacked
    vectors recomputed, the matrix and the horizon parts kept."""
    lps = {**plan.year_lps, **year_lps}
    vectors = _stacked_vectors(plan.horizon, lps, plan.weight, list(plan.parts.values()))
    return dataclasses.replace(plan, lp=dataclasses.replace(plan.lp, **vectors), year_lps=lps)


def year_record(plan: PlanLP, record: SolutionRecord, year: int) -> tuple[LinearProgram, SolutionRecord]:
    """Year ``year``'s own LP and the plan's solution restricted to it, in that year's units:
    its columns' values, its rows' duals and its columns' reduced costs divided by the year's
    weight (so prices are USD per tonne of that year), and what horizon columns contribute to
    a year row (a build's capacity) moved from the row's activity to its right-hand side.
    Ranging is restricted to the year's rows and columns; an entering variable of another
    year or of the horizon counts as one that changes the price (a conservative reading)."""
    lp = plan.year_lps[year]
    c0, r0 = plan.col_start[year], plan.row_start[year]
    cols, rows = slice(c0, c0 + lp.n_cols), slice(r0, r0 + lp.n_rows)
    w = plan.weight[year]
    contribution = _horizon_contribution(plan, record, year)
    lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
    finite_l, finite_u = np.isfinite(lower), np.isfinite(upper)
    lower[finite_l] -= contribution[finite_l]
    upper[finite_u] -= contribution[finite_u]
    year_lp = dataclasses.replace(lp, row_lower=lower, row_upper=upper)
    ranging = None
    if record.ranging is not None:
        ranging = _slice_ranging(record.ranging, plan, year, w, contribution)
    sliced = dataclasses.replace(
        record,
        objective=float(lp.cost @ record.col_value[cols] + lp.offset),
        col_value=record.col_value[cols],
        col_dual=record.col_dual[cols] / w,
        row_value=record.row_value[rows] - contribution,
        row_dual=record.row_dual[rows] / w,
        col_basis=record.col_basis[cols],
        row_basis=record.row_basis[rows],
        ranging=ranging,
        iis_rows=None,
        iis_cols=None,
        iis_moves=None,
    )
    if lp.hessian is not None:
        v = record.col_value[cols]
        sliced.objective += 0.5 * float(lp.hessian @ (v * v))
    return year_lp, sliced


def _horizon_contribution(plan: PlanLP, record: SolutionRecord, year: int) -> np.ndarray:
    """Per row of year ``year``: what the horizon parts' columns add to its activity."""
    lp = plan.year_lps[year]
    out = np.zeros(lp.n_rows)
    for part in plan.parts.values():
        years, year_rows, part_cols, values = part.into_years
        hit = np.asarray(years) == year
        if not hit.any():
            continue
        start = plan.part_col_start[part.name]
        v = record.col_value[start + np.asarray(part_cols)[hit]]
        np.add.at(out, np.asarray(year_rows)[hit], np.asarray(values)[hit] * v)
    return out


def _slice_ranging(r: RangingArrays, plan: PlanLP, year: int, w: float, shift: np.ndarray) -> RangingArrays:
    lp = plan.year_lps[year]
    n, m = plan.lp.n_cols, plan.lp.n_rows
    c0, r0 = plan.col_start[year], plan.row_start[year]
    cols, rows = slice(c0, c0 + lp.n_cols), slice(r0, r0 + lp.n_rows)

    def local(enter: np.ndarray) -> np.ndarray:
        enter = np.asarray(enter, dtype=np.int64)
        is_col = (enter >= c0) & (enter < c0 + lp.n_cols)
        is_row = (enter >= n + r0) & (enter < n + r0 + lp.n_rows)
        return np.where(is_col, enter - c0, np.where(is_row, enter - n - r0 + lp.n_cols, -1))

    del m
    return RangingArrays(
        cost_lower=r.cost_lower[cols] / w,
        cost_upper=r.cost_upper[cols] / w,
        cost_objective_lower=r.cost_objective_lower[cols],
        cost_objective_upper=r.cost_objective_upper[cols],
        cost_enter_lower=local(r.cost_enter_lower[cols]),
        cost_enter_upper=local(r.cost_enter_upper[cols]),
        rhs_lower=r.rhs_lower[rows] - shift,
        rhs_upper=r.rhs_upper[rows] - shift,
        rhs_objective_lower=r.rhs_objective_lower[rows],
        rhs_objective_upper=r.rhs_objective_upper[rows],
        rhs_enter_lower=local(r.rhs_enter_lower[rows]),
        rhs_enter_upper=local(r.rhs_enter_upper[rows]),
        col_rise=r.col_rise[cols],
    )
