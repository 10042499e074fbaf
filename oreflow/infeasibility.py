"""Explaining an infeasible LP in domain terms: the constraints that cannot hold together.

HiGHS finds an irreducible infeasible subset (IIS): a smallest set of rows and bounds
that has no solution by itself — drop any one of them and the rest can be met. Each is
named the way a user would write it, e.g. ``share_limit[US, NdPr, CN >= 50%]`` or
``capacity[US_MP_MountainPass] <= 15,000 t``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oreflow.model.arrays import LinearProgram

_WHAT = {
    "supply": "ore supply of the origin",
    "capacity": "feed capacity of the refiner",
    "balance": "shipments of the product cannot exceed what the refiner recovers",
    "demand": "demand of the market",
    "ban": "banned flows",
    "quota": "quota",
    "share_limit": "share of the market's demand refined in the country",
}


@dataclass(frozen=True)
class InfeasibilityReport:
    """The conflicting constraints, named, with the LP rows and columns they come from.

    ``moves`` has, per constraint, how relaxing that one alone restores feasibility
    (e.g. ``"raise it by 12 t"``), or "" where that is not known or not possible.
    """

    constraints: list[str]
    rows: np.ndarray
    cols: np.ndarray
    moves: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.constraints:
            return "HiGHS could not isolate the conflicting constraints"
        lines = ["these constraints cannot all hold (relax any one of them to restore feasibility):"]
        moves = self.moves or [""] * len(self.constraints)
        lines += [f"  - {name}" + (f" — alone, it would have to {move}" if move else "")
                  for name, move in zip(self.constraints, moves)]
        return "\n".join(lines)


def _t(value: float) -> str:
    return f"{value:,.0f} t" if abs(value) >= 100 else f"{value:,.6g} t"


def row_name(lp: LinearProgram, position: int) -> str:
    """The domain name of LP row ``position``, with its bound."""
    for family, block in lp.rows.items():
        if block.start <= position < block.stop:
            local = position - block.start
            keys = [str(v) for v in block.index.iloc[local].tolist()]
            upper = bool(lp.row_is_upper[position])
            rhs = lp.row_upper[position] if upper else lp.row_lower[position]
            sign = "<=" if upper else ">="
            if family == "share_limit":
                market, product, country, _bound = keys
                return f"share_limit[{market}, {product}, {country} {sign} {rhs * lp.row_report_scale[position]:g}%]"
            if family == "ban":
                origin, destination, stage, product = keys
                what = f"{stage}{', ' + product if product else ''}"
                return f"ban[{origin} -> {destination}, {what}] (no flow allowed)"
            if family == "balance":
                return f"balance[{', '.join(keys)}] ({_WHAT['balance']})"
            if family == "quota":
                return f"quota[{keys[0]}: {keys[1]} {keys[2]}{' ' + keys[3] if keys[3] else ''}] {sign} {_t(rhs)}"
            return f"{family}[{', '.join(keys)}] {sign} {_t(rhs)} ({_WHAT.get(family, family)})"
    raise IndexError(position)


def column_name(lp: LinearProgram, position: int) -> str:
    """The domain name of the bound of LP column ``position`` (a flow cannot be negative)."""
    for name, block in lp.columns.items():
        if block.start <= position < block.stop:
            keys = ", ".join(str(v) for v in block.index.iloc[position - block.start].tolist())
            what = {"x": "ore flow", "s": "shipment", "u": "unmet demand"}[name]
            return f"{name}[{keys}] >= 0 ({what} cannot be negative)"
    raise IndexError(position)


def move_text(lp: LinearProgram, position: int, amount: float) -> str:
    """How row ``position`` must move by ``amount`` (LP units), in words and its own units."""
    if not np.isfinite(amount):
        return "move further than any amount (it cannot resolve the conflict alone)"
    scale = float(lp.row_report_scale[position])
    unit = "percentage points" if scale != 1.0 else "t"
    shown = amount * scale
    direction = "rise" if lp.row_is_upper[position] else "fall"
    return f"{direction} by {shown:,.4g} {unit}"


def explain(lp: LinearProgram, rows: np.ndarray | None, cols: np.ndarray | None,
            moves: np.ndarray | None = None) -> InfeasibilityReport:
    """Name the rows of an IIS (and any column bounds other than plain non-negativity),
    with how far each row alone would have to move (``moves``, LP units, NaN: cannot)."""
    rows = np.zeros(0, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    cols = np.zeros(0, dtype=np.int64) if cols is None else np.asarray(cols, dtype=np.int64)
    names = [row_name(lp, int(r)) for r in rows]
    texts = [move_text(lp, int(r), float(m)) for r, m in zip(rows, moves)] if moves is not None else [""] * len(rows)
    # x >= 0 is part of almost every IIS and says nothing; name other column bounds
    extra = [column_name(lp, int(c)) for c in cols if np.isfinite(lp.col_upper[c]) or lp.col_lower[c] != 0]
    return InfeasibilityReport(names + extra, rows, cols, texts + [""] * len(extra))
