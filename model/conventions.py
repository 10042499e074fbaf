"""Tolerances and names shared by everything that reads a solution (docs/conventions.md).

One place for how a number is cleaned, when a row binds and how a row or column is
labelled:

- :func:`join_keys`: every key column joined by "/" (``Q/refining/CN/``), as in
  ``Result.binding()`` and ``ranging_rhs.csv``;
- :func:`price_key`: the registry's naming columns (``label_keys``) joined by "/" with
  blanks left out (``Q``), as in a sweep's ``price.<family>.<key>`` columns and in
  scenario comparison;
- :func:`row_names`: ``family[key]`` of every LP row (dual trust).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from .arrays import LinearProgram
from .families import FAMILIES_BY_NAME

#: Relative tolerance under which a constraint counts as binding.
BINDING_TOLERANCE = 1e-6
#: Values (flows, duals) smaller than this in magnitude are reported as exactly 0.
ZERO_TOLERANCE = 1e-9


def clean(values: np.ndarray) -> np.ndarray:
    """A float copy of ``values`` with magnitudes below ZERO_TOLERANCE set to exactly 0."""
    out = np.asarray(values, dtype=float).copy()
    out[np.abs(out) < ZERO_TOLERANCE] = 0.0
    return out


def join_keys(frame: pd.DataFrame) -> pd.Series:
    """Each row's values as text joined by "/" (e.g. ``CN_Baotou``, ``US/NdPr``), column-wise."""
    if frame.shape[1] == 0:
        return pd.Series("", index=frame.index, dtype=object)
    return functools.reduce(lambda a, b: a + "/" + b, (frame[c].astype(str) for c in frame.columns))


def price_key(index: pd.DataFrame, name: str) -> list[str]:
    """The key of each row of family ``name`` (or each column of a block): its naming
    columns (the registry's ``label_keys``, else every column) joined by "/", blanks left
    out (column by column, vectorised over the rows)."""
    spec = FAMILIES_BY_NAME.get(name)
    columns = list(spec.naming_keys) if spec is not None else list(index.columns)
    if index.empty:
        return []
    key = index[columns[0]].astype(str).to_numpy(dtype=object)
    for column in columns[1:]:
        part = index[column].astype(str).to_numpy(dtype=object)
        key = np.where(part == "", key, np.where(key == "", part, key + "/" + part))
    return list(key.tolist())


def row_names(lp: LinearProgram) -> np.ndarray:
    """``family[key]`` of every row in LP order (keys by :func:`join_keys`)."""
    parts = [(name + "[" + join_keys(block.index) + "]").to_numpy(dtype=object) for name, block in lp.rows.items()]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=object)


#: The separator between a figure's name and its year in a plan's sweep columns and
#: comparison keys (``price.demand.US/NdPr@2030``).
YEAR_MARK = "@"


def year_column(column: str, year: int) -> str:
    """``price.demand.US/NdPr`` in 2030 -> ``price.demand.US/NdPr@2030``."""
    return f"{column}{YEAR_MARK}{year}"


def split_year(column: str) -> tuple[str, int | None]:
    """``price.demand.US/NdPr@2030`` -> (``price.demand.US/NdPr``, 2030); no year: (column, None)."""
    name, mark, year = column.rpartition(YEAR_MARK)
    if mark and year.isdigit():
        return name, int(year)
    return column, None
