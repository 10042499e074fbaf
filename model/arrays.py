"""The array form of the LP: column blocks, row families and the assembled program."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CscMatrix:
    """A sparse matrix in compressed sparse column form, as HiGHS takes it.

    Built with numpy alone (scipy is not needed to build or solve); :meth:`to_scipy`
    gives a ``scipy.sparse.csc_matrix`` for analysis.
    """

    indptr: np.ndarray  # int32, n_cols + 1
    indices: np.ndarray  # int32 row of each nonzero, sorted within each column
    data: np.ndarray  # float64
    shape: tuple[int, int]

    @classmethod
    def from_coo(cls, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> CscMatrix:
        """From (row, column, value) triplets without duplicates."""
        order = np.lexsort((rows, cols))
        counts = np.bincount(cols, minlength=shape[1])
        indptr = np.zeros(shape[1] + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        index_type = np.int32 if len(values) < np.iinfo(np.int32).max else np.int64
        return cls(
            indptr.astype(index_type),
            np.asarray(rows)[order].astype(index_type),
            np.asarray(values, dtype=float)[order],
            shape,
        )

    @property
    def nnz(self) -> int:
        return len(self.data)

    def _col_of_nonzero(self) -> np.ndarray:
        return np.repeat(np.arange(self.shape[1]), np.diff(self.indptr))

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        """A @ x (row activities for column values x)."""
        weights = self.data * np.asarray(x, dtype=float)[self._col_of_nonzero()]
        return np.bincount(self.indices, weights=weights, minlength=self.shape[0])

    def rmatvec(self, y: np.ndarray) -> np.ndarray:
        """A.T @ y (e.g. the dual price of each column's row coefficients)."""
        weights = self.data * np.asarray(y, dtype=float)[self.indices]
        return np.bincount(self._col_of_nonzero(), weights=weights, minlength=self.shape[1])

    def to_scipy(self):  # noqa: ANN201 - scipy is optional here
        """The same matrix as a ``scipy.sparse.csc_matrix``."""
        import scipy.sparse as sp

        return sp.csc_matrix((self.data, self.indices, self.indptr), shape=self.shape)


@dataclass(frozen=True)
class Block:
    """A contiguous range of columns or rows, with a DataFrame naming each one."""

    name: str
    start: int
    index: pd.DataFrame

    @property
    def stop(self) -> int:
        return self.start + len(self.index)

    @property
    def slice(self) -> slice:
        return slice(self.start, self.stop)


@dataclass(frozen=True)
class RowFamily:
    """One constraint family before placement: rows named by ``index``.

    ``rows`` are 0-based within the family; ``cols`` are global column numbers.
    ``sense`` is ``"<="`` (rhs is the upper bound) or ``">="`` (rhs is the lower
    bound), for the whole family or as an array with one sense per row.
    ``report_scale`` (per row, default 1) converts the row's units into the units its
    shadow-price table reports: rhs, activity and slack are multiplied by it and the
    shadow price divided by it (e.g. share limits: tonnes -> percentage points).
    """

    name: str
    index: pd.DataFrame
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    rhs: np.ndarray
    sense: str | np.ndarray
    report_scale: np.ndarray | None = None

    def is_upper(self) -> np.ndarray:
        """True for each row whose rhs is an upper bound (a <= row)."""
        n = len(self.index)
        if isinstance(self.sense, str):
            return np.full(n, self.sense == "<=")
        return np.asarray(self.sense) == "<="


def row_bounds(rhs: np.ndarray, is_upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row_lower, row_upper) of rows with right-hand sides ``rhs``: the rhs is the upper
    bound of a <= row and the lower bound of a >= row, the other side unbounded."""
    rhs = np.asarray(rhs, dtype=float)
    return np.where(is_upper, -np.inf, rhs), np.where(is_upper, rhs, np.inf)


def total_cost(cost_terms: dict[str, dict[str, np.ndarray]], columns: dict[str, Block], n_cols: int) -> np.ndarray:
    """The objective coefficients: every cost term added into its blocks' columns."""
    cost = np.zeros(n_cols)
    for by_block in cost_terms.values():
        for block_name, values in by_block.items():
            cost[columns[block_name].slice] += values
    return cost


@dataclass
class LinearProgram:
    """The LP as arrays. ``matrix`` is CSC, shape (n_rows, n_cols).

    ``cost_terms`` splits the objective into named components: component -> column
    block -> unit cost of each column of that block (USD per unit), summing to ``cost``;
    ``cost_offsets`` holds a component's constant (USD, e.g. ``willingness_to_pay``'s
    -WTP of the reference demand), their sum is the objective's constant :attr:`offset`.
    ``hessian`` (None for an LP) is the diagonal of a convex quadratic objective term
    1/2 v'Hv (the ``linear`` demand form, a QP).
    """

    cost: np.ndarray
    matrix: CscMatrix
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    columns: dict[str, Block]
    rows: dict[str, Block]
    row_is_upper: np.ndarray
    row_report_scale: np.ndarray
    cost_terms: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    cost_offsets: dict[str, float] = field(default_factory=dict)
    hessian: np.ndarray | None = None

    @property
    def offset(self) -> float:
        """The objective's constant, USD (sum of ``cost_offsets``)."""
        return float(sum(self.cost_offsets.values()))

    @property
    def is_qp(self) -> bool:
        """True when the objective has a quadratic term (no ranging, no basis-based trust)."""
        return self.hessian is not None and bool(np.any(self.hessian))

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    def rhs(self, family: str) -> np.ndarray:
        """Right-hand side of each row of a family (the bound that its sense names)."""
        block = self.rows[family]
        upper = self.row_is_upper[block.slice]
        return np.where(upper, self.row_upper[block.slice], self.row_lower[block.slice])

    def is_upper(self, family: str) -> np.ndarray:
        """True for each row of ``family`` that is a <= row."""
        return self.row_is_upper[self.rows[family].slice]

    def report_scale(self, family: str) -> np.ndarray:
        """Per-row factor from LP units to reported units (see RowFamily)."""
        return self.row_report_scale[self.rows[family].slice]
