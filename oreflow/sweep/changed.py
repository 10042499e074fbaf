"""The LP of a base dataset with a list of changes, built with no more work than they need.

A sweep point, a stress case and a change in the what-if app are the base dataset with a
few :class:`~oreflow.job.Change` entries. :meth:`ChangedLPs.prepare` finds their LP by the
cheapest of four paths (each equal to validating the changed dataset and building its LP
from scratch: tests/test_changed_lps.py holds each of them so, and tests/test_sweep.py,
tests/test_embedding.py and tests/test_app.py the answers):

1. **In place.** Sets and scales of inputs that move only costs and right-hand sides
   (:data:`~oreflow.model.parameters.IN_PLACE`): the changed cells and the dataset rules
   they can break are checked (:func:`~oreflow.model.parameters.check_changed`) and only
   the pieces they feed are recomputed (:func:`~oreflow.model.parameters.updated_lp`).
2. **A shape seen before.** Added or removed rows (a tariff, a quota, a share limit, a ban)
   whose tables, apart from the values of their IN_PLACE columns (blank cells included),
   equal those of an earlier call: the tables validated then, with this call's values in
   those columns, are checked and updated as in 1 on that call's LP, every input the earlier
   call set or scaled recomputed too (a slider moving a quota the analyst has just added).
3. **Coefficients.** Sets and scales that also move matrix coefficients
   (:data:`~oreflow.model.parameters.COEFFICIENTS`: a recovery): checked as in 1, the LP is
   rebuilt from the changed tables without revalidating the dataset; the model takes the
   new coefficients in place (:meth:`~oreflow.solvers.highs.HighsModel.set_matrix`).
4. **Anything else.** The changed tables are validated again, with the rules that read them
   (:func:`~oreflow.model.network.revalidated`), and the LP is built (``rebuilt``), unless the
   tables with new rows feed costs only (a tariff:
   :data:`~oreflow.model.parameters.COST_ONLY_TABLES`), whose costs are then recomputed in
   place (``validated``); a new shape is remembered for 2.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oreflow.errors import InputError
from oreflow.job import Change
from oreflow.model.lp import LinearProgram, build_lp
from oreflow.model.market import MarketOptions
from oreflow.model.network import Network, revalidated
from oreflow.model.parameters import COST_ONLY_TABLES, IN_PLACE, cell_checked, check_changed, in_place, updated_lp
from oreflow.scenarios import changed_network
from oreflow.solvers.highs import SMALL_MATRIX_VALUE

__all__ = ["ChangedLPs", "Prepared", "carried_basis", "structure_of"]

#: Shapes (tables with added or removed rows) remembered for path 2.
SHAPES = 8

#: table -> its columns whose change moves only costs and right-hand sides
VALUE_COLUMNS: dict[str, tuple[str, ...]] = {}
for _table, _column in IN_PLACE:
    VALUE_COLUMNS.setdefault(_table, ())
    VALUE_COLUMNS[_table] += (_column,)


def structure_of(lp: LinearProgram) -> str:
    """A hash of what a HiGHS model cannot change in place: shape, the matrix's sparsity
    pattern, row senses. The coefficients' values are changed in place
    (:meth:`~oreflow.solvers.highs.HighsModel.set_matrix`), except that which of them HiGHS
    drops as too small (:data:`~oreflow.solvers.highs.SMALL_MATRIX_VALUE`) is structure."""
    h = hashlib.sha256()
    for array in (
        np.asarray([lp.n_rows, lp.n_cols]),
        lp.matrix.indptr,
        lp.matrix.indices,
        np.abs(lp.matrix.data) <= SMALL_MATRIX_VALUE,
        lp.row_is_upper,
    ):
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


#: Basis status codes (HiGHS's, as SolutionRecord.col_basis): at lower, basic, at upper, free at zero.
LOWER, BASIC, UPPER, ZERO = 0, 1, 2, 3


def carried_basis(
    source: LinearProgram, col_basis: np.ndarray, row_basis: np.ndarray, target: LinearProgram
) -> tuple[np.ndarray, np.ndarray]:
    """The basis statuses ``col_basis``/``row_basis`` of ``source``'s solution carried over to
    ``target``, an LP of another structure (a ban's rows added, routes removed): a column or
    row of ``target`` that ``source`` has too (the same block or family, the same keys) keeps
    its status; a new row is basic (its slack: the row is not yet binding), a new column
    non-basic at a finite bound. Handed to HiGHS as an alien basis
    (:meth:`~oreflow.solvers.highs.HighsModel.start_from_statuses`), which completes it: the
    new LP re-solves from near the old optimum instead of from scratch."""
    carried = []
    for kind, basis, count in (("columns", col_basis, target.n_cols), ("rows", row_basis, target.n_rows)):
        status = np.full(count, -1, dtype=np.int8)
        before = getattr(source, kind)
        for name, block in getattr(target, kind).items():
            old = before.get(name)
            keys = list(block.index.columns)
            if old is None or not len(block.index) or not len(old.index) or list(old.index.columns) != keys:
                continue
            if old.index is block.index:
                status[block.slice] = basis[old.slice]
                continue
            known = pd.MultiIndex.from_frame(old.index)
            if not known.is_unique:
                continue  # rows not named by their keys alone: left to HiGHS
            at = known.get_indexer(pd.MultiIndex.from_frame(block.index))
            part = np.full(len(at), -1, dtype=np.int8)
            found = at >= 0
            part[found] = basis[old.start + at[found]]
            status[block.slice] = part
        new = status < 0
        if kind == "rows":
            status[new] = BASIC
        else:
            lower, upper = np.isfinite(target.col_lower), np.isfinite(target.col_upper)
            status[new & lower] = LOWER
            status[new & ~lower & upper] = UPPER
            status[new & ~lower & ~upper] = ZERO
        carried.append(status)
    return carried[0], carried[1]


@dataclass(frozen=True)
class Prepared:
    """The changed dataset, its LP and the LP's structure (:func:`structure_of`).

    ``path`` is how it was found: ``base`` (no changes), ``in_place``, ``shape``,
    ``coefficients``, ``validated`` or ``rebuilt`` (the module's docstring)."""

    network: Network
    lp: LinearProgram
    structure: str
    path: str


@dataclass(frozen=True)
class _Shape:
    """An earlier call's tables with added or removed rows: their columns other than the
    value columns as the changes left them (unvalidated; which value cells were blank
    included), what was built from them, and the inputs that call set or scaled besides
    (a later call recomputes them, so that none of that call's values stays in the LP)."""

    skeleton: dict[str, pd.DataFrame]
    prepared: Prepared
    changed: frozenset[tuple[str, str]]


class ChangedLPs:
    """The base dataset and its LP, and the LP of the base with changes (:meth:`prepare`)."""

    def __init__(self, network: Network, base_lp: LinearProgram, market: MarketOptions, structure: str) -> None:
        self.base = Prepared(network, base_lp, structure, "base")
        self.market = market
        self._shapes: OrderedDict[tuple[str, ...], list[_Shape]] = OrderedDict()

    def prepare(self, changes: Sequence[Change], label: str) -> Prepared:
        """The base dataset with ``changes`` applied in order, and its LP.

        Raises InputError when a change cannot be applied or the changed dataset breaks a
        rule; each problem names ``label``, the table, the row and the column."""
        base = self.base
        if not changes:
            return base
        raw = changed_network(base.network, list(changes), label)
        changed = {(c.table, c.column) for c in changes if c.action in ("set", "scale") and c.column}
        reshaped = tuple(sorted({c.table for c in changes if c.action in ("add", "remove")}))
        start: Prepared | None = base
        network = raw
        skeleton = _skeleton(raw, reshaped)
        if reshaped:
            start, network, changed = self._seen(raw, skeleton, changed)
        if start is not None and cell_checked(changed):
            problems = check_changed(network, changed, label)
            if problems:
                raise InputError(problems, heading=f"{label}: the values break the dataset's rules (nothing solved)")
            if in_place(changed):
                lp = updated_lp(start.lp, network, changed, self.market)
                if lp is not None:
                    return Prepared(network, lp, start.structure, "shape" if reshaped else "in_place")
            else:
                lp = build_lp(network, self.market)
                return Prepared(network, lp, structure_of(lp), "coefficients")
        touched = {c.table for c in changes}
        try:
            network = revalidated(base.network, {name: getattr(raw, name) for name in touched})
        except InputError as exc:
            raise InputError(exc.problems, heading=f"{label} leaves the dataset invalid", omitted=exc.omitted) from None
        if reshaped and set(reshaped) <= COST_ONLY_TABLES and in_place(changed):  # a tariff row: costs only
            values = changed | {(name, c) for name in reshaped for c in VALUE_COLUMNS.get(name, ())}
            lp = updated_lp(base.lp, network, values, self.market)
            if lp is not None:
                prepared = Prepared(network, lp, base.structure, "validated")
                self._remember(reshaped, skeleton, prepared, changed)
                return prepared
        lp = build_lp(network, self.market)
        prepared = Prepared(network, lp, structure_of(lp), "rebuilt")
        if reshaped:
            self._remember(reshaped, skeleton, prepared, changed)
        return prepared

    def _seen(
        self, raw: Network, skeleton: dict[str, pd.DataFrame], changed: set[tuple[str, str]]
    ) -> tuple[Prepared | None, Network, set[tuple[str, str]]]:
        """For tables reshaped as an earlier call's were (their ``skeleton``): that call's
        result, ``raw`` with those validated tables carrying this call's values, and the
        changed inputs with their value columns; (None, raw, changed) when no call matches."""
        reshaped = tuple(skeleton)
        for shape in self._shapes.get(reshaped, ()):
            if all(skeleton[name].equals(shape.skeleton[name]) for name in reshaped):
                break
        else:
            return None, raw, changed
        self._shapes.move_to_end(reshaped)
        tables: dict[str, pd.DataFrame] = {}
        for name in reshaped:
            valid, given = getattr(shape.prepared.network, name), getattr(raw, name)
            columns = [c for c in VALUE_COLUMNS.get(name, ()) if c in valid.columns]
            values = {c: _numbers(given[c]) for c in columns}
            if len(valid) != len(given) or any(v is None for v in values.values()):
                return None, raw, changed
            tables[name] = valid.assign(**values)
            changed = changed | {(name, c) for c in columns}
        return shape.prepared, dataclasses.replace(raw, **tables), changed | shape.changed

    def _remember(
        self,
        reshaped: tuple[str, ...],
        skeleton: dict[str, pd.DataFrame],
        prepared: Prepared,
        changed: set[tuple[str, str]],
    ) -> None:
        shapes = self._shapes.setdefault(reshaped, [])
        shapes.insert(0, _Shape(skeleton, prepared, frozenset(changed)))
        del shapes[SHAPES:]
        self._shapes.move_to_end(reshaped)
        while sum(len(found) for found in self._shapes.values()) > SHAPES:
            oldest = next(iter(self._shapes))
            self._shapes[oldest].pop()
            if not self._shapes[oldest]:
                del self._shapes[oldest]


def _skeleton(network: Network, names: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Each table of ``names`` with its value columns reduced to whether each cell is blank:
    what decides the LP's shape (a share limit's blank ``min_share`` is no row at all)."""
    found = {}
    for name in names:
        frame = getattr(network, name)
        values = [c for c in VALUE_COLUMNS.get(name, ()) if c in frame.columns]
        blank = {f"{c} is blank": frame[c].isna().to_numpy() for c in values}
        found[name] = frame.drop(columns=values).assign(**blank).reset_index(drop=True)
    return found


def _numbers(column: pd.Series) -> np.ndarray | None:
    """A value column as floats (blank: NaN), or None when a cell is text that is no number
    (the full validation then names it)."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(float)
    text = column.astype(object)
    lost = np.isnan(values) & text.notna().to_numpy() & (text.astype(str).str.strip() != "").to_numpy()
    return None if lost.any() else values
