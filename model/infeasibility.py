"""Explaining an infeasible LP in domain terms: the constraints that cannot hold together.

The backend finds a set of rows (and column bounds) that has no solution by itself, each
named the way a user would write it, e.g. ``share_limit[US, NdPr, CN >= 50%]`` or
``capacity[US_MP_MountainPass] <= 15,000 t``. The report says only what was proved:

- the set is an **irreducible infeasible subset** (IIS) when every member was checked to be
  needed — drop any one of them and the rest can hold — (:attr:`ConflictRows.irreducible`);
  otherwise it is an infeasible subset that may hold constraints the conflict does not need;
- an IIS being irreducible does not make "relax any one of them to restore feasibility"
  true: the model may have other conflicts. Per member, the backend solves the whole model
  with only that row relaxed (``moves``): a finite amount is how far it must move (then
  relaxing it alone restores feasibility), ``inf`` that relaxing it alone cannot restore
  feasibility, NaN that this is not known. The header claims "relax any one" only when
  every member's amount was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .arrays import LinearProgram
from .families import BLOCKS_BY_NAME, FAMILIES_BY_NAME

#: A relaxation amount (LP units: t) at or below this is not a move (rounding of an LP
#: that is feasible to within the solver's tolerances): it is not shown.
TINY_MOVE = 1e-6


class ConflictRows(np.ndarray):
    """LP row positions of a set of constraints that cannot all hold, with whether the set
    was proved irreducible (``irreducible``: every member needed). A plain array of
    positions is taken as not proved irreducible."""

    irreducible: bool

    def __new__(cls, positions: Any, irreducible: bool) -> ConflictRows:
        rows = np.asarray(positions, dtype=np.int64).view(cls)
        rows.irreducible = bool(irreducible)
        return rows

    def __array_finalize__(self, obj: Any) -> None:
        self.irreducible = bool(getattr(obj, "irreducible", False))


#: The header of a report, by what was proved.
HEAD_ANY_ONE = "these constraints cannot all hold (relax any one of them to restore feasibility):"
HEAD_OTHER_CONFLICTS = (
    "these constraints cannot all hold: an irreducible infeasible subset (without any one of them the rest "
    "could hold), but the model has other conflicts too, so relaxing one of them alone restores feasibility "
    "only where an amount is given:"
)
HEAD_IIS_UNKNOWN = (
    "these constraints cannot all hold: an irreducible infeasible subset (without any one of them the rest "
    "could hold); the model may have other conflicts, so relaxing one of them alone may not be enough:"
)
HEAD_SUBSET = (
    "these constraints cannot all hold: an infeasible subset, not proved irreducible (it may include "
    "constraints the conflict does not need), so relaxing one of them alone may not be enough:"
)
NOT_ISOLATED = "HiGHS could not isolate the conflicting constraints"
CANNOT_ALONE = "relaxing it alone cannot restore feasibility (another conflict remains)"


@dataclass(frozen=True)
class InfeasibilityReport:
    """The conflicting constraints, named, with the LP rows and columns they come from.

    ``irreducible``: the set was proved irreducible (every member needed). ``alone``, per
    constraint: True when relaxing that one alone restores feasibility (``moves`` says by
    how much, e.g. ``"rise by 12 t"``), False when it cannot, None when not known (then
    ``moves`` is "").
    """

    constraints: list[str]
    rows: np.ndarray
    cols: np.ndarray
    moves: list[str] = field(default_factory=list)
    irreducible: bool = False
    alone: list[bool | None] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """What kind of set this is: ``"irreducible infeasible subset"`` or ``"infeasible subset"``."""
        return "irreducible infeasible subset" if self.irreducible else "infeasible subset"

    @property
    def any_one_restores(self) -> bool:
        """Whether relaxing any one of the constraints alone was shown to restore feasibility."""
        alone = self.alone or [None] * len(self.constraints)
        return bool(self.constraints) and all(a is True for a in alone)

    @property
    def heading(self) -> str:
        """The first line of the report: what the set is and what relaxing one member does."""
        if not self.constraints:
            return NOT_ISOLATED
        if not self.irreducible:
            return HEAD_SUBSET
        if self.any_one_restores:
            return HEAD_ANY_ONE
        if any(a is False for a in self.alone):
            return HEAD_OTHER_CONFLICTS
        return HEAD_IIS_UNKNOWN

    def items(self) -> list[str]:
        """One line per constraint: its name and, where known, what relaxing it alone does."""
        moves = self.moves or [""] * len(self.constraints)
        alone = self.alone or [None] * len(self.constraints)
        items = []
        for name, move, known in zip(self.constraints, moves, alone):
            if known is True and move:
                items.append(f"{name} — alone, it would have to {move}")
            elif known is False:
                items.append(f"{name} — {CANNOT_ALONE}")
            else:
                items.append(name)
        return items

    def __str__(self) -> str:
        if not self.constraints:
            return NOT_ISOLATED
        return "\n".join([self.heading] + [f"  - {item}" for item in self.items()])


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
    """The domain name of the bounds of LP column ``position`` (e.g. a flow cannot be
    negative, or a disrupted flow is held at 0)."""
    for name, block in lp.columns.items():
        if block.start <= position < block.stop:
            keys = ", ".join(str(v) for v in block.index.iloc[position - block.start].tolist())
            spec = BLOCKS_BY_NAME[name]
            lower, upper = float(lp.col_lower[position]), float(lp.col_upper[position])
            if lower == upper:
                return f"{name}[{keys}] = {lower:,.6g} {spec.unit} ({spec.what} held fixed)"
            if np.isfinite(upper):
                return f"{name}[{keys}] <= {upper:,.6g} {spec.unit} ({spec.what} capped)"
            if lower == 0:
                return f"{name}[{keys}] >= 0 ({spec.what} cannot be negative)"
            return f"{name}[{keys}] >= {lower:,.6g} {spec.unit} ({spec.what} held up)"
    raise IndexError(position)


def move_text(lp: LinearProgram, position: int, amount: float) -> str:
    """How row ``position`` must move by ``amount`` (LP units), in words and its own units;
    "" when no move is known (NaN) or the amount is too small to be one (<= TINY_MOVE)."""
    if np.isnan(amount) or amount <= TINY_MOVE:
        return ""
    if not np.isfinite(amount):
        return "move further than any amount (it cannot resolve the conflict alone)"
    family = next(name for name, block in lp.rows.items() if block.start <= position < block.stop)
    unit = "percentage points" if FAMILIES_BY_NAME[family].rhs_unit == "%" else "t"
    shown = amount * float(lp.row_report_scale[position])
    direction = "rise" if lp.row_is_upper[position] else "fall"
    return f"{direction} by {shown:,.4g} {unit}"


def _alone(amount: float) -> bool | None:
    """True: relaxing the row alone restores feasibility (a move was found); False: it
    cannot (``inf``); None: not known (NaN, or an amount too small to be a move)."""
    if np.isnan(amount):
        return None
    if not np.isfinite(amount):
        return False
    return True if amount > TINY_MOVE else None


def explain(
    lp: LinearProgram,
    rows: np.ndarray | None,
    cols: np.ndarray | None,
    moves: np.ndarray | None = None,
    *,
    irreducible: bool | None = None,
) -> InfeasibilityReport:
    """Name the rows of a conflicting set (and any column bounds other than plain
    non-negativity), with how far each row alone would have to move (``moves``, LP units:
    ``inf`` cannot, NaN not known).

    ``irreducible``: whether the set was proved irreducible; by default what ``rows``
    says (a :class:`ConflictRows`), else not proved.
    """
    if irreducible is None:
        irreducible = bool(getattr(rows, "irreducible", False))
    rows = np.zeros(0, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    cols = np.zeros(0, dtype=np.int64) if cols is None else np.asarray(cols, dtype=np.int64)
    names = [row_name(lp, int(r)) for r in rows]
    amounts = [float(m) for m in moves] if moves is not None and len(moves) == len(rows) else [np.nan] * len(rows)
    alone = [_alone(m) for m in amounts]
    texts = [move_text(lp, int(r), m) if known else "" for r, m, known in zip(rows, amounts, alone)]
    # x >= 0 is part of almost every IIS and says nothing; name other column bounds
    extra = [column_name(lp, int(c)) for c in cols if np.isfinite(lp.col_upper[c]) or lp.col_lower[c] != 0]
    return InfeasibilityReport(
        names + extra,
        rows,
        cols,
        texts + [""] * len(extra),
        irreducible=irreducible and bool(names + extra),
        alone=alone + [None] * len(extra),
    )
