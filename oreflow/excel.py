"""``results.xlsx``: a finished output folder as one workbook, for people who work in spreadsheets.

Built from the written folder only (summary.json and the CSV tables), as the report is: a run
and ``oreflow report DIR --xlsx`` write the same workbook, and a run may call
:func:`write_results_xlsx` on its staging folder inside its fill function, before the folder
is moved into place (it reads and writes nothing outside ``folder``).

The workbook (docs/excel.md):

- ``summary`` first: the key figures of summary.json (figure, value, unit: name, kind,
  status, objective, cost breakdown, welfare, market prices, binding constraints, the
  cases of a batch, ...), then a row per sheet naming its table, its file, its rows, and
  whether its name was shortened or rows were left out;
- then a sheet per table, in the order the manifest lists the kind's files (others after,
  by name); units in the headers (``ore_t [t/yr]``, ``shadow_price [USD/t]``: from the
  column's name, :data:`UNIT_SUFFIXES` and :data:`UNIT_NAMES`, from the table's own unit
  columns, :data:`PER_ROW_UNITS`, or for a sweep's price columns from its summary.json; a
  plan sweep's or stress test's money totals in present value), header row frozen, numbers
  as numbers, true/false as booleans, a blank as a blank and an infinite number as the text
  ``inf``;
- a plan's tables carry their ``year`` column as written; a batch has one workbook at its
  level: ``comparison``, then each table of its cases stacked in one sheet with the case in
  a first column ``case`` (a failed case has no tables; a case table named as one of the
  batch's own is ``cases_<name>``); sweeps and stress tests their points and tables.

A sheet name is the table's name, within Excel's 31 characters: a longer one has
``shadow_prices_`` shortened to ``prices_``, then is cut to 31 characters (to 28 and ``~n``
when two would be equal). A table longer than a sheet (1,048,575 rows) keeps its first rows;
the summary says so (the CSV file has them all).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oreflow.errors import InputError, Problem
from oreflow.manifest import BATCH, KINDS, RESULTS_XLSX, SUMMARY, kind_of
from oreflow.model.workbook import MAX_ROWS, MAX_SHEET_NAME, SheetData, new_workbook, save_workbook, write_sheet
from oreflow.report.common.data import read_csv, read_summary

#: The first sheet.
SUMMARY_SHEET = "summary"
#: The unit of a plan's money totals (discounted to its first year).
PRESENT_VALUE = "USD, present value"
#: Unit of an output column by the end of its name (the first that matches, longest first);
#: a sweep's ``@year`` is taken off first.
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_usd_per_t_year", "USD/t/yr"),
    ("_usd_per_t_yr", "USD/(t/yr)/yr"),
    ("_usd_per_year", "USD/yr"),
    ("_usd_per_kg", "USD/kg"),
    ("_usd_per_t", "USD/t"),
    ("_t_per_year", "(t/yr)/yr"),
    ("_pv_usd", PRESENT_VALUE),
    ("_usd", "USD/yr"),
    ("_pct", "%"),
    ("_years", "yr"),
    ("_t", "t/yr"),
)
#: Unit of an output column by its whole name (before :data:`UNIT_SUFFIXES`).
UNIT_NAMES: dict[str, str] = {
    "usd": "USD/yr",
    "present_value_usd": PRESENT_VALUE,
    "level_t": "t",
    "share": "fraction",
    "recovery": "fraction",
    "utilisation": "fraction",
    "relative_error": "fraction",
}
#: A table's own unit columns and the columns whose unit they give, row by row: the header
#: shows the unit when every row has the same, else ``[see <unit column>]``.
PER_ROW_UNITS: dict[str, tuple[str, ...]] = {
    "rhs_unit": ("rhs", "activity", "slack", "rhs_lower", "rhs_upper"),
    "price_unit": ("shadow_price",),
    "unit": ("value", "base", "delta", "change", "observed", "model", "low", "high"),
}
#: The keys of summary.json shown as figures, in order (nested objects flattened with ``.``).
KEY_FIGURES: tuple[str, ...] = (
    "name",
    "kind",
    "description",
    "status",
    "objective_usd",
    "objective_pv_usd",
    "objective_is",
    "prices_from",
    "cost_breakdown_usd",
    "welfare_usd",
    "horizon",
    "mip",
    "plan",
    "points",
    "optimal",
    "failed",
    "base_objective_usd",
    "mode",
    "seed",
    "disruptions",
    "backend",
    "solver",
    "dual_method",
    "iterations",
    "dataset",
    "job_file",
    "versions",
    "units",
)
#: How many binding constraints the summary sheet lists (largest |price| first, as summary.json).
TOP_BINDING = 20


def unit_of(column: str) -> str:
    """The unit of an output column from its name (``ore_t`` -> ``t/yr``), "" when its name has none."""
    name = column.split("@", 1)[0]
    if name in UNIT_NAMES:
        return UNIT_NAMES[name]
    return next((unit for suffix, unit in UNIT_SUFFIXES if name.endswith(suffix)), "")


def headers(frame: pd.DataFrame, known: dict[str, str] | None = None) -> list[str]:
    """The header of a table's sheet: each column with its unit in brackets when it has one
    (``known``: units given by name, as a sweep's summary.json gives its price columns')."""
    units = {column: (known or {}).get(column) or unit_of(column) for column in frame.columns}
    for unit_column, columns in PER_ROW_UNITS.items():
        if unit_column not in frame.columns:
            continue
        given = frame[unit_column].dropna().astype(str).unique()
        for column in columns:
            if column in frame.columns:
                units[column] = given[0] if len(given) == 1 else (f"see {unit_column}" if len(given) else "")
    return [f"{column} [{units[column]}]" if units[column] else str(column) for column in frame.columns]


def cells(series: pd.Series) -> np.ndarray:
    """A column as the cells of a sheet: numbers as numbers, booleans as booleans, text as text,
    a blank (NaN) as None and an infinite number as the text ``inf`` / ``-inf``."""
    values = series.to_numpy(dtype=object, na_value=None).copy()
    if pd.api.types.is_bool_dtype(series):
        return values
    floats = series.map(type).isin([float, np.float64]).to_numpy() & series.notna().to_numpy()
    if floats.any():
        numbers = series[floats].to_numpy(dtype=float)
        infinite = np.flatnonzero(floats)[np.isinf(numbers)]
        values[infinite] = np.where(numbers[np.isinf(numbers)] > 0, "inf", "-inf")
    return values


def sheet_names(tables: list[str]) -> dict[str, str]:
    """A sheet name per table: the table's, or shortened to Excel's 31 characters (module docstring)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for table in tables:
        base = table if len(table) <= MAX_SHEET_NAME else table.replace("shadow_prices_", "prices_")
        name = base[:MAX_SHEET_NAME]
        number = 1
        while name.lower() in used or name.lower() == SUMMARY_SHEET:
            number += 1
            name = f"{base[: MAX_SHEET_NAME - 1 - len(str(number))]}~{number}"
        names[table] = name
        used.add(name.lower())
    return names


def _flatten(key: str, value: Any) -> Iterator[tuple[str, Any, str]]:
    """(figure, value, unit) for each scalar under ``key``: objects flattened with ``.``, a list
    of scalars joined with ``, ``; other lists are shown by their own blocks (or not at all)."""
    if isinstance(value, dict):
        for inner, item in value.items():
            yield from _flatten(f"{key}.{inner}", item)
    elif isinstance(value, list):
        if all(not isinstance(item, (dict, list)) for item in value):
            yield key, ", ".join(str(item) for item in value), _unit_of_key(key)
    else:
        yield key, value, _unit_of_key(key)


def _unit_of_key(key: str) -> str:
    """The unit of a summary figure: its last part's, or the nearest enclosing key's."""
    return next((unit_of(part) for part in reversed(key.split(".")) if unit_of(part)), "")


def figures(summary: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """The key figures of a summary.json, (figure, value, unit), in the summary sheet's order."""
    rows = [row for key in KEY_FIGURES if key in summary for row in _flatten(key, summary[key])]
    for case in summary.get("cases", []) if isinstance(summary.get("cases"), list) else []:
        if isinstance(case, dict):
            name = case.get("name", "")
            rows += [(f"case {name}.{k}", v, unit_of(k)) for k, v in case.items() if k != "name"]
    for row in summary.get("market", []) if isinstance(summary.get("market"), list) else []:
        if isinstance(row, dict) and "price_usd_per_kg" in row:
            rows.append((f"market price {row.get('market')} {row.get('product')}", row["price_usd_per_kg"], "USD/kg"))
    for year, figures_ in (summary.get("years") or {}).items() if isinstance(summary.get("years"), dict) else []:
        if not isinstance(figures_, dict):
            continue
        if "objective_usd" in figures_:
            rows.append((f"{year} objective_usd", figures_["objective_usd"], unit_of("objective_usd")))
        for key, price in (figures_.get("prices_usd_per_t") or {}).items():
            rows.append((f"{year} market price {key}", price, "USD/t"))
    binding = summary.get("binding_constraints")
    binding = binding if isinstance(binding, list) else []
    for row in binding[:TOP_BINDING]:
        if isinstance(row, dict):
            rows.append(
                (f"binding {row.get('family')}[{row.get('key')}]", row.get("shadow_price"), row.get("unit", ""))
            )
    if len(binding) > TOP_BINDING:  # the largest prices first: say what is left out, and where it is
        rows.append(
            (
                f"binding constraints: the {TOP_BINDING} largest prices of {len(binding)} above; "
                "every one is in the shadow_prices_* sheets",
                len(binding),
                "",
            )
        )
    if summary.get("plan") is True:  # a sweep, stress test or batch of plans: its totals are present values
        rows = [(f, v, PRESENT_VALUE if u == unit_of("cost_usd") and not f[:1].isdigit() else u) for f, v, u in rows]
    return [(figure, _scalar(value), unit) for figure, value, unit in rows]


def _scalar(value: Any) -> Any:
    """A summary value as a cell: non-finite numbers as text, anything else as it is."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _csv_tables(folder: Path, kind: str) -> dict[str, Path]:
    """The CSV tables of an output folder, in the order the manifest lists its kind's files, then by name."""
    found = {path.stem: path for path in sorted(folder.glob("*.csv")) if path.is_file()}
    files = KINDS[kind].files if kind in KINDS else ()
    listed = [pattern[: -len(".csv")] for pattern in files if pattern.endswith(".csv")]
    order = [name for name in listed if name in found] + sorted(name for name in found if name not in listed)
    return {name: found[name] for name in order}


def _read(path: Path) -> pd.DataFrame | None:
    try:
        return read_csv(path)
    except pd.errors.EmptyDataError:
        return None


def _tables(folder: Path, summary: dict[str, Any]) -> dict[str, tuple[pd.DataFrame, str]]:
    """The tables a folder's workbook shows, each with the file(s) it comes from: the folder's
    own; for a batch, then each table of its cases stacked with a first column ``case``."""
    kind = kind_of(summary)
    own = {name: (_read(path), path.name) for name, path in _csv_tables(folder, kind.name if kind else "").items()}
    tables = {name: (frame, source) for name, (frame, source) in own.items() if frame is not None}
    if kind is None or kind.name != BATCH:
        return tables
    names = [c.get("name") for c in summary.get("cases", []) if isinstance(c, dict)]
    stacked: dict[str, list[pd.DataFrame]] = {}
    for case in names:
        if not isinstance(case, str) or not (folder / case / SUMMARY).is_file():
            continue
        case_kind = kind_of(read_summary(folder / case))
        for name, path in _csv_tables(folder / case, case_kind.name if case_kind else "").items():
            frame = _read(path)
            if frame is not None:
                stacked.setdefault(name, []).append(frame.assign(case=case)[["case", *frame.columns]])
    for name, frames in stacked.items():
        key = name if name not in tables else f"cases_{name}"
        tables[key] = (pd.concat(frames, ignore_index=True), f"{name}.csv of each case")
    return tables


def write_results_xlsx(folder: Path) -> Path:
    """Write ``results.xlsx`` into the finished output ``folder`` (a run, a case, a batch, a plan,
    a sweep or a stress test) from its summary.json and CSV tables; return its path.

    Written whole or not at all (a temporary file beside it, then renamed). Raises InputError,
    before anything is written, when ``folder`` holds no oreflow summary.json."""
    folder = Path(folder)
    summary = read_summary(folder)
    if kind_of(summary) is None:
        raise InputError(
            Problem(str(folder / SUMMARY), None, None, None, "the summary.json of an oreflow output", "summary_json"),
            heading="unusable output folder",
        )
    tables = _tables(folder, summary)
    names = sheet_names(list(tables))
    columns = summary.get("columns")  # a sweep's or stress test's point columns, each with its unit
    known = {
        name: str(about["unit"])
        for name, about in (columns.items() if isinstance(columns, dict) else [])
        if isinstance(about, dict) and about.get("unit")
    }
    sheets: list[SheetData] = []
    listing: list[tuple[str, str, int, str]] = []
    for table, (frame, source) in tables.items():
        notes = []
        if names[table] != table:
            notes.append(f"sheet name shortened from {table} (Excel allows {MAX_SHEET_NAME} characters)")
        if len(frame) > MAX_ROWS - 1:
            notes.append(f"its first {MAX_ROWS - 1:,} of {len(frame):,} rows (the CSV file has them all)")
            frame = frame.iloc[: MAX_ROWS - 1]
        listing.append((names[table], source, len(frame), "; ".join(notes)))
        if summary.get("plan") is True and kind_of(summary) is not KINDS[BATCH]:  # a plan's totals: present values
            known.update(
                {c: PRESENT_VALUE for c in frame.columns if "@" not in c and unit_of(c) == unit_of("cost_usd")}
            )
        sheets.append(SheetData(names[table], headers(frame, known), [cells(frame[c]) for c in frame.columns]))
    book = new_workbook()
    write_sheet(book, _summary_sheet(summary, listing))
    for sheet in sheets:
        write_sheet(book, sheet)
    return save_workbook(book, folder / RESULTS_XLSX)


def _summary_sheet(summary: dict[str, Any], listing: list[tuple[str, str, int, str]]) -> SheetData:
    """The summary sheet: the key figures, a blank row, then the sheets (sheet, table, rows, note)."""
    rows: list[tuple[Any, Any, Any, Any]] = [(figure, value, unit, None) for figure, value, unit in figures(summary)]
    rows += [(None, None, None, None), ("sheet", "from", "rows", "note")]
    rows += [(sheet, source, count, note or None) for sheet, source, count, note in listing]
    columns = [np.array([row[i] for row in rows], dtype=object) for i in range(4)]
    return SheetData(SUMMARY_SHEET, ["figure", "value", "unit", "note"], columns)
