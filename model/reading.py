"""Reading tables from CSV files or DataFrames into typed tables, collecting problems.

Every table comes out with the spec's columns typed (ids as str, numbers as float64)
plus two hidden columns: ``_line``, the row's line in its CSV file (header = line 1),
and ``_bad``, True where a cell of the row failed typing (reported already).
For tables given as DataFrames, ``_line`` is the line the row would have in
``df.to_csv(index=False)`` and files are named ``<table>.csv (DataFrame)``.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem, cap_problems, first_positions, with_more
from .tables import BAD, ID, LINE, NUMBER_LIMIT, Column, TableSpec


def read_csv_table(folder: Path, spec: TableSpec) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read ``folder/<spec.file>`` (as :func:`read_raw_csv` reads a file) and type it; None
    when the file is optional and absent, or cannot be read."""
    path = folder / spec.file
    if not path.is_file():
        if spec.optional:
            return None, []
        others = sorted(p.name for p in folder.glob("*.csv"))
        close = difflib.get_close_matches(spec.file, others, n=1, cutoff=0.6)
        hint = f" (there is {close[0]}: a misspelling?)" if close else ""
        return None, [Problem(spec.file, None, None, None, f"file {spec.file} in {folder}{hint}", "file_present")]
    raw, problems = read_raw_csv(path, spec.file)
    if raw is None:
        return None, problems
    table, found = coerce_table(raw.frame, spec, spec.file, raw.header_line)
    return table, problems + found


@dataclass(frozen=True)
class RawCsv:
    """A CSV file as read, before typing: ``header`` as written (stripped, in order, repeats
    kept), ``frame`` a column of text cells per header name (a repeated name keeps its last
    column) plus ``_line``, each record's line (header = line 1), and the header's line."""

    header: list[str]
    frame: pd.DataFrame
    header_line: int


def read_raw_csv(path: Path, label: str) -> tuple[RawCsv | None, list[Problem]]:
    """Read the CSV file ``path`` (which exists) as text cells, problems named ``label``.

    Parsed with the csv module so that each record keeps the line it starts on, even
    after quoted cells that span lines; blank lines are skipped; a row with more cells
    than the header is a problem at its line (its extra cells are dropped so that later
    rules do not cascade); a row with fewer is padded with blanks. None when the file
    cannot be read as CSV at all (then the problems say why).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(label, None, None, None, f"a readable UTF-8 CSV file ({exc})", "file_readable")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, not_utf8(label, data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 1
    records: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    next_line = 1  # line on which the next record starts
    try:
        for record in reader:
            start, next_line = next_line, reader.line_num + 1
            if not record or all(cell.strip() == "" for cell in record):
                continue
            if header is None:
                header, header_line = [cell.strip() for cell in record], start
                continue
            if len(record) > len(header):
                problems.append(
                    Problem(
                        label,
                        start,
                        None,
                        ",".join(record),
                        f"{len(header)} cells as in the header (line {header_line}), not {len(record)}",
                        "row_shape",
                    )
                )
                record = record[: len(header)]  # keep the row so later rules don't cascade
            records.append(record + [""] * (len(header) - len(record)))
            lines.append(start)
    except csv.Error as exc:
        return None, [Problem(label, reader.line_num, None, None, f"a well-formed CSV file ({exc})", "file_readable")]
    if header is None:
        return None, [Problem(label, None, None, "", "a header line naming the columns", "file_readable")]
    columns = {name: [row[i] for row in records] for i, name in enumerate(header) if name != LINE}
    frame = pd.DataFrame(columns, dtype=object)
    frame[LINE] = np.asarray(lines, dtype=np.int64)
    return RawCsv(header, frame, header_line), problems


def not_utf8(label: str, data: bytes) -> list[Problem]:
    """The problems of a file that is not UTF-8: the file as a whole (nothing else in it is
    checked), then each line holding bytes that are not UTF-8, by its line number (header =
    line 1), showing the line with those bytes as ``\\xNN``."""

    def bad_lines() -> Iterator[Problem]:
        for number, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                shown = line.rstrip(b"\r").decode("utf-8", errors="backslashreplace")
                shown = shown if len(shown) <= 80 else shown[:77] + "..."
                yield Problem(label, number, None, shown, "UTF-8 text (save the file as UTF-8)", "encoding")

    bad = cap_problems(bad_lines())
    count = len(bad) + sum(p.more for p in bad)
    where = ", ".join(str(p.line) for p in bad[:5]) + (f" and {count - 5:,} more" if count > 5 else "")
    lines = f"line {where}" if count == 1 else f"lines {where}"
    whole = Problem(label, None, None, None, f"a UTF-8 CSV file (bytes that are not UTF-8 on {lines})", "file_readable")
    return [whole, *bad]


def with_lines(frame: pd.DataFrame) -> pd.DataFrame:
    """A table of a valid dataset with the hidden columns the dataset rules read: its rows'
    lines as they would be written to CSV (header line 1), and no cell marked bad."""
    return frame.assign(**{LINE: np.arange(2, len(frame) + 2), BAD: False})


def frame_table(frame: pd.DataFrame | None, spec: TableSpec) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Type a table given in memory, with the same rules as a CSV file."""
    label = f"{spec.file} (DataFrame)"
    if frame is None:
        if spec.optional:
            return None, []
        return None, [Problem(label, None, None, None, f"a {spec.name} table", "file_present")]
    raw = frame.reset_index(drop=True).copy()
    raw.columns = [str(c).strip() for c in raw.columns]
    raw[LINE] = np.arange(2, len(raw) + 2)
    return coerce_table(raw, spec, label)


def coerce_table(
    raw: pd.DataFrame, spec: TableSpec, label: str, header_line: int = 1
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Check columns, then type each column; rows with bad cells are reported, kept as NaN."""
    missing = [c for c in spec.required_columns if c not in raw.columns]
    if missing:
        present = ", ".join(c for c in raw.columns if c != LINE) or "none"
        return None, [
            Problem(
                label,
                header_line,
                name,
                None,
                f"a column named {name!r} (columns present: {present})",
                "column_present",
            )
            for name in missing
        ]
    problems: list[Problem] = []
    table = pd.DataFrame({LINE: raw[LINE].to_numpy()})
    bad = np.zeros(len(table), dtype=bool)
    for column in spec.columns:
        if column.name not in raw.columns:  # optional column absent: all blank
            table[column.name] = "" if column.kind == ID else np.nan
            continue
        values, found, bad_cells = (_coerce_id if column.kind == ID else _coerce_number)(
            raw[column.name], raw[LINE], column, label
        )
        table[column.name] = values
        problems += found
        bad |= bad_cells
    table[BAD] = bad
    return table, problems


def _as_text(series: pd.Series) -> pd.Series:
    text = series.astype(object).where(series.notna(), "")
    return text.astype(str).str.strip()


def _cells(
    label: str, column: str, lines: pd.Series, text: pd.Series, mask: np.ndarray, expected: str, rule: str
) -> list[Problem]:
    """The problems of the cells ``mask`` selects: at most MAX_PROBLEMS built, the others
    counted in the last one's ``more`` (a file of a million bad cells costs no more memory
    than one of fifty)."""
    shown, more = first_positions(mask)
    found = [
        Problem(label, int(line), column, str(value), expected, rule)
        for line, value in zip(lines.to_numpy()[shown], text.to_numpy()[shown])
    ]
    return with_more(found, more)


def _coerce_id(
    series: pd.Series, lines: pd.Series, column: Column, label: str
) -> tuple[pd.Series, list[Problem], np.ndarray]:
    """The column as ids, its problems and which cells are bad."""
    text = _as_text(series)
    empty = (text == "").to_numpy()
    problems: list[Problem] = []
    bad = np.zeros(len(text), dtype=bool)
    if not column.optional:
        problems += _cells(label, column.name, lines, text, empty, "a non-empty id", "id_present")
        bad |= empty
    if column.choices is not None:
        wrong = ~text.isin(column.choices).to_numpy() & ~empty
        problems += _cells(label, column.name, lines, text, wrong, f"one of {', '.join(column.choices)}", "choice")
        bad |= wrong
    return _shared(text), problems, bad


def _shared(text: pd.Series) -> pd.Series:
    """``text`` as an object column in which equal ids are one string object. Each cell read
    from a CSV file is a new string: at 1e6 variables the ore routes' two id columns held
    700,000 strings for 5,000 distinct ids, about 40 MB; shared, the column is its pointers."""
    codes, distinct = pd.factorize(text)
    return pd.Series(np.asarray(distinct, dtype=object)[codes], index=text.index, dtype=object)


def _coerce_number(
    series: pd.Series, lines: pd.Series, column: Column, label: str
) -> tuple[pd.Series, list[Problem], np.ndarray]:
    """The column as floats (NaN where bad), its problems and which cells are bad."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.astype(float).to_numpy(copy=True)
        text = pd.Series(values).astype(str)
        blank = np.isnan(values)
    else:
        text = _as_text(series)
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
        blank = (text == "").to_numpy()
    if column.optional:
        bad_blank = np.zeros(len(values), dtype=bool)  # blank optional cell: default applies
    else:
        bad_blank = blank
    not_number = np.isnan(values) & ~blank
    negative = values < 0
    if column.negative:  # e.g. an elasticity: < 0 and above -NUMBER_LIMIT, never infinite
        too_low = values >= 0
        too_large = np.isfinite(values) & (values <= -NUMBER_LIMIT)
        infinite = np.isinf(values)
    else:
        too_low = (values <= 0) if column.minimum_exclusive else negative
        too_large = np.isfinite(values) & (values >= NUMBER_LIMIT)  # the solver's range (tables.NUMBER_LIMIT)
        infinite = np.isinf(values) & ~negative
    too_high = (values > column.maximum) if column.maximum is not None else np.zeros(len(values), dtype=bool)
    if column.allow_inf:
        infinite = np.zeros(len(values), dtype=bool)
    bad = bad_blank | not_number | too_low | too_high | too_large | infinite
    problems = _cells(label, column.name, lines, text, bad, _expected_number(column), "number")
    values[bad] = np.nan
    return pd.Series(values, index=series.index, dtype=float), problems, bad


def check_numbers(values: pd.Series, column: Column) -> list[tuple[int, str, str]]:
    """(row position, value as text, what was expected) for each cell of ``values`` that
    breaks ``column``'s number rules (the rules a CSV cell is read with)."""
    lines = pd.Series(np.arange(len(values)))
    _, problems, _ = _coerce_number(values.reset_index(drop=True), lines, column, "")
    return [(int(p.line or 0), str(p.value), p.expected) for p in problems]  # every cell problem has a line


def _expected_number(column: Column) -> str:
    """The number rule of ``column`` in words: ``a number >= 0 and below 1e9 (or inf)``."""
    if column.negative:
        return f"a number < 0 and above -{number_text(NUMBER_LIMIT)}" + (", or blank" if column.optional else "")
    low = "> 0" if column.minimum_exclusive else ">= 0"
    if column.maximum is not None and column.maximum < NUMBER_LIMIT:
        what = f"a number {low} and <= {column.maximum:g}"
    else:
        what = f"a number {low} and below {number_text(NUMBER_LIMIT)}"
    if column.allow_inf:
        what += " (or inf)"
    if column.optional:
        what += ", or blank"
    return what


def column_rule(column: Column) -> str:
    """What a cell of ``column`` must hold, in the words its problems use: ``a non-empty id``,
    ``one of ore, product``, ``a number >= 0 and below 1e9 (or inf)``, ``..., or blank``."""
    if column.kind != ID:
        return _expected_number(column)
    if column.choices is not None:
        what = f"one of {', '.join(column.choices)}"
    else:
        what = "an id" if column.optional else "a non-empty id"
    return what + (", or blank" if column.optional else "")


def number_text(value: float) -> str:
    """A number as people write it in a CSV file: ``1e9``, ``2.5e10``, ``0.5``."""
    return f"{value:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
