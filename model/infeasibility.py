"""Explaining an infeasible LP in domain terms: the constraints that cannot hold together.

HiGHS finds an irreducible infeasible subset (IIS): a smallest set of rows and bounds
that has no solution by itself — drop any one of them and the rest can be met. Each is
named the way a user would write it, e.g. ``share_limit[US, NdPr, CN >= 50%]`` or
``capacity[US_MP_MountainPass] <= 15,000 t``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .arrays import LinearProgram
from .families import BLOCKS_BY_NAME, FAMILIES_BY_NAME


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
        lines += [
            f"  - {name}" + (f" — alone, it would have to {move}" if move else "")
            for name, move in zip(self.constraints, moves)
        ]
        return "\n".join(lines)


def row_name(lp: LinearProgram, position: int) -> str:
    """The domain name of LP row ``position``, with its bound (the registry's ``row_name``)."""
    for family, block in lp.rows.items():
        if block.start <= position < block.stop:
            keys = {str(k): str(v) for k, v in block.index.iloc[position - block.start].items()}
            upper = bool(lp.row_is_upper[position])
            rhs = lp.row_upper[position] if upper else lp.row_lower[position]
            rhs_reported = float(rhs * lp.row_report_scale[position])
            return FAMILIES_BY_NAME[family].row_name(keys, "<=" if upper else ">=", rhs_reported)
    raise IndexError(position)


def column_name(lp: LinearProgram, position: int) -> str:
    """The domain name of the bound of LP column ``position`` (a flow cannot be negative)."""
    for name, block in lp.columns.items():
        if block.start <= position < block.stop:
            keys = ", ".join(str(v) for v in block.index.iloc[position - block.start].tolist())
            return f"{name}[{keys}] >= 0 ({BLOCKS_BY_NAME[name].what} cannot be negative)"
    raise IndexError(position)


def move_text(lp: LinearProgram, position: int, amount: float) -> str:
    """How row ``position`` must move by ``amount`` (LP units), in words and its own units."""
    if not np.isfinite(amount):
        return "move further than any amount (it cannot resolve the conflict alone)"
    family = next(name for name, block in lp.rows.items() if block.start <= position < block.stop)
    unit = "percentage points" if FAMILIES_BY_NAME[family].rhs_unit == "%" else "t"
    shown = amount * float(lp.row_report_scale[position])
    direction = "rise" if lp.row_is_upper[position] else "fall"
    return f"{direction} by {shown:,.4g} {unit}"


def explain(
    lp: LinearProgram, rows: np.ndarray | None, cols: np.ndarray | None, moves: np.ndarray | None = None
) -> InfeasibilityReport:
    """Name the rows of an IIS (and any column bounds other than plain non-negativity),
    with how far each row alone would have to move (``moves``, LP units, NaN: cannot)."""
    rows = np.zeros(0, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    cols = np.zeros(0, dtype=np.int64) if cols is None else np.asarray(cols, dtype=np.int64)
    names = [row_name(lp, int(r)) for r in rows]
    texts = [move_text(lp, int(r), float(m)) for r, m in zip(rows, moves)] if moves is not None else [""] * len(rows)
    # x >= 0 is part of almost every IIS and says nothing; name other column bounds
    extra = [column_name(lp, int(c)) for c in cols if np.isfinite(lp.col_upper[c]) or lp.col_lower[c] != 0]
    return InfeasibilityReport(names + extra, rows, cols, texts + [""] * len(extra))
