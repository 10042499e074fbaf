"""A dataset as one ``.xlsx`` workbook: a sheet per table, read by the CSV files' rules.

The layout (docs/excel.md):

- a sheet per table, named as the table (``origins``, ``demand``, ..., the planning tables
  ``builds``, ``build_limits``, ``stockpiles``, and ``paths``); other sheets (``notes``,
  ``sources``, ``observed``) are allowed and not read, as other files of a folder are;
- the first non-blank row is the header: the column names, a table's column optionally
  followed by its unit in brackets, ``supply_t [t REO/yr]`` (:attr:`.tables.Column.unit`;
  another unit there is a problem: values are never converted; brackets after a name that
  is no column of the table are part of that name); then a row per record, blank rows skipped;
- cells: a number is a number cell (or text that reads as one), ``inf`` the text ``inf``, a
  blank cell is blank; ids are text (a number cell in an id column reads as its digits);
  a formula reads as the value its spreadsheet program last computed and saved.

Each sheet is typed and checked by the code that types and checks a CSV file
(:func:`.reading.coerce_table`, then :func:`.checks.run_checks` in :func:`.network.load_inputs`):
a problem's file is ``<book>.xlsx [<sheet>]`` and its line the spreadsheet's row, which
:class:`SheetProblem` prints as ``row`` (``rare_earths_2024.xlsx [origins], row 5, column
'supply_t': got '-3'; expected ...``).

Writing: :func:`write_template` (an empty, documented workbook), :func:`folder_to_workbook`
and :func:`workbook_to_folder` (both ways without loss: :func:`folder_to_workbook` says what
that means), and the sheet writer they share with ``results.xlsx`` (:func:`write_sheet`,
:func:`save_workbook`). openpyxl is imported inside the functions that need it: reading a
folder of CSV files never loads it.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import hashlib
import io
import os
import re
import secrets
import shutil
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, InputWarning, Problem, cap_problems, first_positions, with_more
from .reading import RawCsv, coerce_table, column_rule, not_utf8, read_csv_table
from .tables import ID, LINE, NUMBER, PLANNING_TABLES, TABLES, Column, TableSpec

#: The suffix of a workbook dataset.
SUFFIX = ".xlsx"
#: The sheet of the time paths (``paths.csv`` of a folder: model/paths.py).
PATHS_SHEET = "paths"
#: The sheet of the template that documents every table and column.
NOTES_SHEET = "notes"
#: Files of a folder carried as a sheet of lines, one a row in column A (a sheet named so).
TEXT_SUFFIXES = (".md", ".txt")
#: Excel's limits: characters in a cell, in a sheet name; rows in a sheet.
MAX_CELL_CHARS = 32767
MAX_SHEET_NAME = 31
MAX_ROWS = 1_048_576
#: Characters a sheet name may not hold.
SHEET_NAME_FORBIDDEN = frozenset("[]:*?/\\")
#: Every table a workbook may hold a sheet of, by name.
SPECS: dict[str, TableSpec] = {spec.name: spec for spec in (*TABLES, *PLANNING_TABLES)}

#: The columns of the ``paths`` sheet (and paths.csv), for the notes sheet; the reading rules are
#: model/paths.py's (tests/test_excel.py holds these names equal to its required and optional columns).
PATHS_COLUMNS: tuple[Column, ...] = (
    Column("path", ID, doc="a unique name"),
    Column("table", ID, doc="the table whose number column the path changes (a dataset or planning table)"),
    Column("column", ID, doc="a number column of that table"),
    Column(
        "where",
        ID,
        optional=True,
        doc="the rows changed: blank = every row; else column=value conditions joined by &, alternatives "
        "separated by ; (market=US;EU&product=NdPr)",
    ),
    Column("mode", ID, choices=("set", "scale"), doc="set: the value given; scale: the base value times the factor"),
    Column("between", ID, optional=True, choices=("linear", "step"), doc="linear (blank) or step between given years"),
    Column(
        "2030",
        NUMBER,
        optional=True,
        doc="a column per year (a header from 1900 to 2200): the value (set) or factor (scale) that year; "
        "blank: not given",
    ),
)


def is_workbook(path: str | Path) -> bool:
    """Whether ``path`` names a workbook dataset (by its suffix, ``.xlsx``)."""
    return Path(path).suffix.lower() == SUFFIX


def sheet_label(book: Path, sheet: str) -> str:
    """How problems name a sheet: ``rare_earths_2024.xlsx [origins]``."""
    return f"{Path(book).name} [{sheet}]"


# ---- problems by sheet, row and column -------------------------------------------------------

_IN_BOOK = re.compile(r"\.xlsx \[[^\]]*\]", re.IGNORECASE)
_LINE_NUMBER = re.compile(r"\bline (\d+)")


class SheetProblem(Problem):
    """A :class:`~.errors.Problem` of a sheet: ``line`` is the spreadsheet's row, printed ``row``."""

    def __str__(self) -> str:
        text = super().__str__()
        return text if self.line is None else text.replace(f", line {self.line}", f", row {self.line}", 1)


class SheetWarning(InputWarning):
    """An :class:`~.errors.InputWarning` of a sheet: ``line`` is the spreadsheet's row, printed ``row``."""

    def __str__(self) -> str:
        text = super().__str__()
        return text if self.line is None else text.replace(f", line {self.line}", f", row {self.line}", 1)


def in_rows(problems: Iterable[Problem]) -> list[Problem]:
    """``problems`` with those of a workbook's sheets (file ``<book>.xlsx [<sheet>]``) as
    :class:`SheetProblem`, a line named in what they expect (``already on line 3``) as a row."""
    found = []
    for problem in problems:
        if _IN_BOOK.search(problem.file) and not isinstance(problem, SheetProblem):
            values = {f.name: getattr(problem, f.name) for f in dataclasses.fields(problem)}
            values["expected"] = _LINE_NUMBER.sub(r"row \1", problem.expected)
            problem = SheetProblem(**values)
        found.append(problem)
    return found


def warnings_in_rows(found: Iterable[InputWarning]) -> tuple[InputWarning, ...]:
    """``found`` with the warnings of a workbook's sheets as :class:`SheetWarning`."""
    return tuple(
        SheetWarning(w.file, w.line, _LINE_NUMBER.sub(r"row \1", w.message), w.rule)
        if _IN_BOOK.search(w.file) and not isinstance(w, SheetWarning)
        else w
        for w in found
    )


def rows_error(exc: InputError) -> InputError:
    """``exc`` with its problems of sheets named by row (:func:`in_rows`), the same heading and counts."""
    return InputError(in_rows(exc.problems), heading=exc.heading, omitted=exc.omitted)


# ---- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheets:
    """A workbook as read: each sheet's cells as Python values (None where blank), row ``i`` of
    a frame being the spreadsheet's row ``i + 1``, in the workbook's order of sheets; and the
    sha256 of the file (the dataset's ``file_hashes``)."""

    path: Path
    cells: dict[str, pd.DataFrame]
    sha256: str = ""

    def label(self, sheet: str) -> str:
        return sheet_label(self.path, sheet)


_READ: dict[tuple[str, str], Sheets] = {}  # the last workbook read (a plan reads one book thrice)


def read_workbook(path: str | Path) -> Sheets:
    """The sheets of the workbook ``path`` (each read once, with ``iter_rows(values_only=True)``).

    Raises InputError naming the file when it is missing or is no workbook openpyxl can read.
    The last workbook read is kept while its bytes are the same (a dataset and then its plan's
    sheets are read from one pass)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            Problem(str(path), None, None, None, f"an .xlsx workbook (the dataset; {exc.strerror or exc})", "folder"),
            heading=f"invalid dataset {path}",
        ) from None
    key = (str(path.resolve()), hashlib.sha256(data).hexdigest())
    if key not in _READ:
        sheets = _parse(path, data, key[1])
        _READ.clear()
        _READ[key] = sheets
    return _READ[key]


def _parse(path: Path, data: bytes, sha256: str) -> Sheets:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # features openpyxl does not read (data validation, ...)
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (OSError, BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise InputError(
            Problem(
                path.name,
                None,
                None,
                None,
                f"an .xlsx workbook openpyxl can read (save it from a spreadsheet program as Excel .xlsx; "
                f"{type(exc).__name__}: {exc})",
                "file_readable",
            ),
            heading=f"invalid dataset {path}",
        ) from None
    cells: dict[str, pd.DataFrame] = {}
    try:
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # a saved dimension may be wrong: read every row there is
            rows = list(sheet.iter_rows(values_only=True))
            width = max((len(row) for row in rows), default=0)
            grid = np.full((len(rows), width), None, dtype=object)
            for i, row in enumerate(rows):
                grid[i, : len(row)] = row
            cells[sheet.title] = pd.DataFrame(grid, dtype=object)
    finally:
        book.close()
    return Sheets(path, cells, sha256)


_UNIT = re.compile(r"^(?P<name>.*?)\s*\[(?P<unit>[^\[\]]*)\]$")


def _unit_key(unit: str) -> str:
    return re.sub(r"\s+", "", unit).lower()


def header_text(value: Any) -> str:
    """A header cell as a column name: text stripped, a whole number without ``.0`` (a year 2030)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def column_name(cell: str, spec: TableSpec | None) -> tuple[str, str | None]:
    """(column name, unit written) of a header cell: ``supply_t [t REO/yr]`` is column
    ``supply_t`` of origins with its unit; brackets after a name that is no column of ``spec``
    are part of the name (unit None)."""
    match = _UNIT.match(cell)
    if match is None or spec is None or match["name"] not in {c.name for c in spec.columns}:
        return cell, None
    return match["name"], match["unit"]


def sheet_raw(sheets: Sheets, sheet: str, spec: TableSpec | None = None) -> tuple[RawCsv | None, list[Problem]]:
    """A sheet as a CSV file is read before typing (:class:`.reading.RawCsv`): the header (units
    taken off the columns of ``spec``), a column of cells per name (a repeated name keeps its
    last column) and ``_line``, each record's row; blank rows skipped. None when the sheet is
    blank. Problems: a unit that is not the column's."""
    label = sheets.label(sheet)
    frame = sheets.cells[sheet]
    if frame.empty:
        return None, []
    stripped = frame.where(frame.notna(), "").astype(str).apply(lambda c: c.str.strip())
    used = (frame.notna().to_numpy() & (stripped != "").to_numpy()).any(axis=1)
    if not used.any():
        return None, []
    first = int(np.argmax(used))
    cells = [header_text(value) for value in frame.iloc[first]]
    while cells and cells[-1] == "":
        cells.pop()
    header: list[str] = []
    problems: list[Problem] = []
    units = {c.name: c.unit for c in spec.columns} if spec is not None else {}
    for cell in cells:
        name, unit = column_name(cell, spec)
        if unit is not None and units[name] and _unit_key(unit) != _unit_key(units[name]):
            problems.append(
                Problem(
                    label,
                    first + 1,
                    name,
                    cell,
                    f"the unit {units[name]} (values are read in {units[name]}, never converted: convert them "
                    f"and write [{units[name]}], or leave the unit out)",
                    "column_unit",
                )
            )
        header.append(name)
    rows = np.flatnonzero(used[first + 1 :]) + first + 1
    data = {name: frame.iloc[rows, i].to_numpy(dtype=object) for i, name in enumerate(header) if name and name != LINE}
    raw = pd.DataFrame(data, dtype=object) if data else pd.DataFrame(index=range(len(rows)))
    raw[LINE] = (rows + 1).astype(np.int64)
    return RawCsv(header, raw, first + 1), problems


def read_sheet_table(sheets: Sheets, spec: TableSpec) -> tuple[pd.DataFrame | None, list[Problem], list[InputWarning]]:
    """The sheet of ``spec`` typed as :func:`.reading.read_csv_table` types a file: (table or
    None when an optional sheet is absent or blank, problems, warnings: a column whose name is
    close to one of the table's, which is not read)."""
    label = sheets.label(spec.name)
    if spec.name not in sheets.cells:
        if spec.optional:
            return None, [], []
        close = difflib.get_close_matches(spec.name, list(sheets.cells), n=1, cutoff=0.6)
        hint = f" (there is a sheet {close[0]!r}: a misspelling?)" if close else ""
        present = ", ".join(sheets.cells) or "none"
        return (
            None,
            [
                Problem(
                    label,
                    None,
                    None,
                    None,
                    f"a sheet named {spec.name!r} in {sheets.path.name} (sheets: {present}){hint}",
                    "file_present",
                )
            ],
            [],
        )
    raw, problems = sheet_raw(sheets, spec.name, spec)
    if raw is None:
        if spec.optional:
            return None, problems, []
        return None, [*problems, Problem(label, None, None, "", "a header row naming the columns", "file_readable")], []
    table, found = coerce_table(raw.frame, spec, label, raw.header_line)
    known = [c.name for c in spec.columns]
    unknown = [name for name in raw.header if name and name not in known]
    hints = {name: difflib.get_close_matches(name, known, n=1, cutoff=0.75) for name in unknown}
    found = [
        dataclasses.replace(p, expected=p.expected + _misspelt(p.column, unknown)) if p.rule == "column_present" else p
        for p in found
    ]
    notes = [
        InputWarning(
            label,
            raw.header_line,
            f"column {name!r} is no column of {spec.name}, so it is not read; did you mean {close[0]!r}?",
            "unknown_column",
        )
        for name, close in hints.items()
        if close and close[0] not in raw.header
    ]
    return table, problems + found, notes


def _misspelt(column: str | None, unknown: list[str]) -> str:
    close = difflib.get_close_matches(column or "", unknown, n=1, cutoff=0.6)
    return f" (there is a column {close[0]!r}: a misspelling?)" if close else ""


@dataclass(frozen=True)
class WorkbookTables:
    """The tables of a workbook dataset as typed (None where an optional sheet is absent), their
    labels, the problems and warnings of reading them, and the workbook's sha256."""

    tables: dict[str, pd.DataFrame | None]
    labels: dict[str, str]
    problems: list[Problem]
    warnings: list[InputWarning]
    hashes: dict[str, str]


def read_tables(book: Path, specs: Sequence[TableSpec] = TABLES) -> WorkbookTables:
    """Every table of ``specs`` from the workbook ``book`` (InputError when it is no workbook)."""
    book = Path(book)
    sheets = read_workbook(book)
    tables: dict[str, pd.DataFrame | None] = {}
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    notes: list[InputWarning] = []
    for spec in specs:
        tables[spec.name], found, noted = read_sheet_table(sheets, spec)
        labels[spec.name] = sheets.label(spec.name)
        problems += cap_problems(found)
        notes += noted
    known = [*SPECS, PATHS_SHEET]
    for sheet in sheets.cells:
        close = difflib.get_close_matches(sheet, known, n=1, cutoff=0.6)
        if sheet not in known and close and close[0] not in sheets.cells:
            notes.append(
                InputWarning(
                    sheets.label(sheet),
                    None,
                    f"not a table oreflow reads, so it is ignored; did you mean a sheet {close[0]!r}?",
                    "unknown_file",
                )
            )
    return WorkbookTables(tables, labels, problems, notes, {book.name: sheets.sha256})


def read_table(source: Path, spec: TableSpec) -> tuple[pd.DataFrame | None, list[Problem]]:
    """One table of a dataset, a folder's CSV file or a workbook's sheet (as
    :func:`.reading.read_csv_table`)."""
    if is_workbook(source):
        table, problems, _ = read_sheet_table(read_workbook(source), spec)
        return table, problems
    return read_csv_table(source, spec)


def table_label(source: Path | None, spec: TableSpec) -> str:
    """How problems name ``spec``'s table of the dataset ``source``: its file or its sheet."""
    return sheet_label(source, spec.name) if source is not None and is_workbook(source) else spec.file


# ---- writing ---------------------------------------------------------------------------------


def header_cell(column: Column) -> str:
    """A column's header in a workbook: its name, then its unit in brackets when it has one."""
    return f"{column.name} [{column.unit}]" if column.unit else column.name


def number_texts(values: np.ndarray) -> np.ndarray:
    """Numbers as a CSV file writes them here: a whole number below 2**53 without a decimal
    point (``1500``), any other in the shortest form that reads back as the same float
    (``0.247``, ``1e-05``, ``inf``)."""
    values = np.asarray(values, dtype=float)
    whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2.0**53)
    texts = values.astype(str)
    texts[whole] = values[whole].astype(np.int64).astype(str)
    return texts.astype(object)


def cells_from_text(text: np.ndarray, how: str) -> np.ndarray:
    """The cells a column of CSV text becomes in a workbook (an object array): ``""`` blank;
    ``how`` ``"text"``: every other cell as text; ``"number"`` (a number column of a table):
    a cell that reads as a finite number as that number, whole numbers as ints; ``"exact"``
    (any other column): as a number only when that number is written back as the same text
    (``0.92``, ``10908``; not ``007``, ``1.50`` or ``1e7``), so the text comes back unchanged."""
    text = np.asarray(text, dtype=object)
    cells = text.copy()
    cells[text == ""] = None
    if how == "text" or not len(text):
        return cells
    values = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(dtype=float)
    number = np.isfinite(values)
    # openpyxl writes a number with 16 significant digits: one that needs 17 stays text (no bit lost)
    number[number] = np.char.mod("%.16g", values[number]).astype(float) == values[number]
    if how == "exact":
        number &= number_texts(values) == text
    whole = number & (values == np.round(values)) & (np.abs(values) < 2.0**53)
    cells[number & ~whole] = values[number & ~whole].tolist()
    cells[whole] = values[whole].astype(np.int64).tolist()
    return cells


def texts_from_cells(cells: np.ndarray) -> np.ndarray:
    """A column of a sheet's cells as the text of a CSV file: blank ``""``, numbers as
    :func:`number_texts` writes them, text as it is, anything else (a date, TRUE) as Python writes it."""
    series = pd.Series(np.asarray(cells, dtype=object), dtype=object)
    kinds = series.map(type)
    texts = series.where(series.notna(), "").astype(str).to_numpy(dtype=object)
    floats = kinds.isin([float, np.float64]).to_numpy() & series.notna().to_numpy()
    if floats.any():
        texts[floats] = number_texts(series[floats].to_numpy(dtype=float))
    return texts


def _checked_text(cells: np.ndarray, label: str, column: str, lines: np.ndarray) -> list[Problem]:
    """Problems of text cells Excel cannot hold: longer than 32,767 characters, or with control characters."""
    text = pd.Series(cells, dtype=object)
    strings = text.map(type).eq(str).to_numpy()
    if not strings.any():
        return []
    values = text[strings].astype(str)
    where = np.flatnonzero(strings)
    problems: list[Problem] = []
    for mask, shown, expected in (
        (
            values.str.len().to_numpy() > MAX_CELL_CHARS,
            "{:,} characters",
            f"at most {MAX_CELL_CHARS:,} characters (Excel's limit on a cell)",
        ),
        (
            values.str.contains(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", regex=True).to_numpy(),
            "",
            "text without control characters (a workbook cannot hold them)",
        ),
    ):
        positions, more = first_positions(mask)
        found = [
            Problem(
                label,
                int(lines[where[k]]),
                column,
                shown.format(len(values.iat[k])) if shown else values.iat[k][:40],
                expected,
                "cell",
            )
            for k in positions
        ]
        problems += with_more(found, more)
    return cap_problems(problems)


@dataclass(frozen=True)
class SheetData:
    """One sheet to write: its name, header cells, columns of cells (object arrays: None blank,
    numbers, text), and optionally a comment per header cell and a note on rows left out."""

    name: str
    header: list[Any]
    columns: list[np.ndarray]
    comments: list[str] | None = None


def write_sheet(book: Any, sheet: SheetData, *, bold: bool = True) -> None:
    """Append ``sheet`` to the write-only openpyxl ``book``: the header in row 1 (bold, with
    its comments), frozen, columns as wide as their longest cell (within 10 to 60
    characters), then a row per record (``ws.append``: openpyxl has no bulk write). Text
    starting with ``=`` is written as text, never as a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(sheet.name)
    ws.freeze_panes = "A2"
    for i, (head, column) in enumerate(zip(sheet.header, sheet.columns), start=1):
        lengths = pd.Series(column, dtype=object).dropna().astype(str).str.len()
        width = max(len(str(head)), int(lengths.max()) if len(lengths) else 0) + 2
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 10), 60)
    header = []
    for i, head in enumerate(sheet.header):
        cell = WriteOnlyCell(ws, value=head)
        if isinstance(head, str) and head.startswith("="):
            cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)
        if sheet.comments is not None and sheet.comments[i]:
            cell.comment = Comment(sheet.comments[i], "oreflow", width=320, height=120)
        header.append(cell)
    ws.append(header)
    columns = [_as_text_cells(ws, np.asarray(column, dtype=object)) for column in sheet.columns]
    for row in zip(*columns):
        ws.append(row)


def _as_text_cells(ws: Any, column: np.ndarray) -> np.ndarray:
    """``column`` with each text starting with ``=`` as a cell openpyxl writes as text."""
    from openpyxl.cell import WriteOnlyCell

    strings = pd.Series(column, dtype=object)
    formula = strings.map(type).eq(str).to_numpy() & strings.astype(str).str.startswith("=").to_numpy()
    if not formula.any():
        return column
    column = column.copy()
    for i in np.flatnonzero(formula):
        cell = WriteOnlyCell(ws, value=None)
        cell.value, cell.data_type = column[i], "s"
        column[i] = cell
    return column


def new_workbook() -> Any:
    """An empty write-only openpyxl workbook (sheets are added by :func:`write_sheet`)."""
    from openpyxl import Workbook

    return Workbook(write_only=True)


def save_workbook(book: Any, path: Path) -> Path:
    """Save ``book`` to ``path`` whole or not at all: a hidden temporary file beside it, then renamed."""
    path = Path(path)
    staging = path.with_name(f".{path.name}.partial-{secrets.token_hex(4)}")
    try:
        book.save(staging)
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    return path


def check_sheet_name(name: str) -> str | None:
    """Why ``name`` cannot name a sheet (None when it can): Excel's 31 characters, no ``[]:*?/\\``."""
    if not name or name != name.strip("'"):
        return "a sheet name that is not blank and does not start or end with '"
    if len(name) > MAX_SHEET_NAME:
        return f"a name of at most {MAX_SHEET_NAME} characters (Excel's limit on a sheet name)"
    if SHEET_NAME_FORBIDDEN & set(name):
        return "a name without any of [ ] : * ? / \\ (Excel's rule for a sheet name)"
    return None


# ---- the template --------------------------------------------------------------------------


def notes_sheet() -> SheetData:
    """The ``notes`` sheet: a row per column of every table (and of ``paths``): its sheet,
    header, kind, unit, whether the sheet and the column are optional, its rule and meaning."""
    rows: list[tuple[str, ...]] = []
    for spec in SPECS.values():
        for column in spec.columns:
            rows.append(_note(spec.name, spec.optional, column))
    rows += [_note(PATHS_SHEET, True, column) for column in PATHS_COLUMNS]
    header = ["sheet", "column", "header", "kind", "unit", "sheet optional", "column optional", "rule", "meaning"]
    columns = [np.array([row[i] for row in rows], dtype=object) for i in range(len(header))]
    return SheetData(NOTES_SHEET, header, columns)


def _note(sheet: str, sheet_optional: bool, column: Column) -> tuple[str, ...]:
    rule = column_rule(column)
    if sheet == PATHS_SHEET and column.kind == NUMBER:
        rule = "a number (set: by the column's own rule; scale: a factor >= 0), or blank"
    return (
        sheet,
        column.name,
        header_cell(column) if sheet != PATHS_SHEET else column.name,
        column.kind,
        column.unit,
        "yes" if sheet_optional else "no",
        "yes" if column.optional else "no",
        rule,
        column.doc,
    )


def template_sheets() -> list[SheetData]:
    """The sheets of the template: ``notes`` first, then a sheet per table (dataset tables, then
    planning tables and ``paths``) with its header only, units shown, each header cell commented
    with the column's meaning and rule."""
    sheets = [notes_sheet()]
    for spec in SPECS.values():
        columns = list(spec.columns)
        sheets.append(
            SheetData(
                spec.name,
                [header_cell(c) for c in columns],
                [np.empty(0, dtype=object) for _ in columns],
                [_comment(c) for c in columns],
            )
        )
    paths = [c for c in PATHS_COLUMNS if c.kind == ID]
    sheets.append(
        SheetData(
            PATHS_SHEET,
            [c.name for c in paths],
            [np.empty(0, dtype=object) for _ in paths],
            [_comment(c) for c in paths],
        )
    )
    return sheets


def _comment(column: Column) -> str:
    unit = f" [{column.unit}]" if column.unit else ""
    return f"{column.name}{unit}: {column.doc}.\nRule: {column_rule(column)}."


def write_template(path: Path) -> Path:
    """An empty, documented workbook dataset at ``path`` (written whole, then renamed into place)."""
    book = new_workbook()
    for sheet in template_sheets():
        write_sheet(book, sheet)
    return save_workbook(book, path)


# ---- conversion --------------------------------------------------------------------------------


def _sheet_of_csv(path: Path, name: str) -> tuple[SheetData | None, list[Problem]]:
    """A CSV file as a sheet: the header with units on a table's columns; a table's number columns
    as numbers, its id columns as text, any other column as numbers where exact (:func:`cells_from_text`)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, not_utf8(path.name, data)
    try:
        records = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error as exc:
        return None, [Problem(path.name, None, None, None, f"a well-formed CSV file ({exc})", "file_readable")]
    if not records:
        return SheetData(name, [], []), []
    width = max(len(row) for row in records)
    grid = np.full((len(records), width), "", dtype=object)
    for i, row in enumerate(records):
        grid[i, : len(row)] = row
    spec = SPECS.get(name)
    columns = {c.name: c for c in spec.columns} if spec is not None else {}
    header: list[Any] = []
    cells: list[np.ndarray] = []
    problems: list[Problem] = []
    lines = np.arange(2, len(records) + 1)
    for j in range(width):
        head = str(grid[0, j])
        column = columns.get(head)
        # a table's column with its unit; any other header as text, or a number where exact (a year: 2030)
        header.append(
            header_cell(column) if column is not None else cells_from_text(np.array([head], dtype=object), "exact")[0]
        )
        how = "exact" if column is None else ("number" if column.kind == NUMBER else "text")
        cells.append(cells_from_text(grid[1:, j], how))
        problems += _checked_text(cells[-1], path.name, head, lines)
    return SheetData(name, header, cells), problems


def _sheet_of_text(path: Path) -> tuple[SheetData | None, list[Problem]]:
    """A text file as a sheet of its lines, one a row in column A, text (its first line as the header row)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, not_utf8(path.name, data)
    split = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    # a workbook's XML turns a carriage return into a line feed: line ends are written back as \n
    lines = pd.Series(split, dtype=object).str.removesuffix("\r").to_numpy(dtype=object)
    if not len(lines):
        return SheetData(path.name, [], []), []
    column = cells_from_text(lines[1:], "text")
    problems = _checked_text(np.asarray([lines[0]], dtype=object), path.name, "", np.array([1]))
    problems += _checked_text(column, path.name, "", np.arange(2, len(lines) + 1))
    return SheetData(path.name, [lines[0]], [column]), problems


@dataclass(frozen=True)
class Conversion:
    """What a conversion wrote (``written``: the workbook or folder), the files or sheets it
    carried (in order) and those it left out, each with why."""

    written: Path
    carried: list[str]
    skipped: list[tuple[str, str]]


def _order(name: str) -> tuple[int, int, str]:
    order = [*SPECS, PATHS_SHEET]
    return (0, order.index(name), "") if name in order else (1, 0, name.lower())


def folder_to_workbook(folder: Path, out: Path) -> Conversion:
    """Write the dataset folder ``folder`` as the workbook ``out``, without loss.

    Every CSV file becomes a sheet named by its stem (the tables in the data contract's order,
    then ``paths``, then the others, ``sources``, ``observed``, by name); a UTF-8 text file
    (``.md``, ``.txt``) a sheet named by its file name holding a line per row in column A.
    Other files (hidden ones, sub-folders, anything else) are left out and listed.

    Without loss means: :func:`workbook_to_folder` gives back every one of these files, with the
    same name; a text file byte for byte when its lines end in ``\\n`` (``\\r\\n`` comes back as
    ``\\n``; a final line end is added if missing); a CSV file with the same header
    (names and order), the same rows in order and every cell equal: text identical, blank
    blank, a table's number column equal as a float (bit for bit) and written in the shortest
    form that reads back as that float (``1500``, ``0.247``; ``1.50`` comes back ``1.5``,
    ``1e7`` as ``10000000``; a number 16 significant digits cannot hold, which openpyxl would
    round, is kept as text), any other cell identical; written UTF-8 without a byte-order
    mark, ``\\n`` line ends, quotes only where a cell needs them, blank lines left out (and a
    line break inside a cell kept as ``\\n``: a workbook stores ``\\r\\n`` so). A
    folder already written so (the shipped datasets) comes back byte for byte.

    Raises InputError, before anything is written, for a name that cannot name a sheet, a
    file that is not UTF-8 or a cell Excel cannot hold."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(Problem(str(folder), None, None, None, "a dataset folder", "folder"))
    sheets: list[SheetData] = []
    skipped: list[tuple[str, str]] = []
    problems: list[Problem] = []
    entries = sorted(folder.iterdir(), key=lambda p: _order(p.stem if p.suffix.lower() == ".csv" else p.name))
    seen: dict[str, str] = {}
    for path in entries:
        if path.name.startswith(".") or not path.is_file():
            skipped.append((path.name, "hidden or not a file"))
            continue
        suffix = path.suffix.lower()
        if suffix == ".csv":
            name = path.stem
        elif suffix in TEXT_SUFFIXES:
            name = path.name
        else:
            skipped.append((path.name, "neither a CSV nor a text file (.md, .txt)"))
            continue
        why = check_sheet_name(name)
        if why is None and name.lower() in seen:
            why = f"a sheet name that differs from {seen[name.lower()]!r} by more than case (Excel ignores case)"
        if why is not None:
            problems.append(Problem(path.name, None, None, name, why, "sheet_name"))
            continue
        seen[name.lower()] = name
        sheet, found = _sheet_of_csv(path, name) if suffix == ".csv" else _sheet_of_text(path)
        problems += found
        if sheet is not None:
            sheets.append(sheet)
    if problems:
        raise InputError(problems, heading=f"cannot convert {folder} to a workbook")
    book = new_workbook()
    for sheet in sheets:
        write_sheet(book, sheet, bold=sheet.name in SPECS or sheet.name == PATHS_SHEET)
    return Conversion(save_workbook(book, out), [s.name for s in sheets], skipped)


def workbook_to_folder(book_path: Path, out: Path) -> Conversion:
    """Write the workbook ``book_path`` as the dataset folder ``out`` (new, or an empty folder).

    A sheet named like a text file (``README.md``) becomes that file, its column A a line per
    row; every other sheet ``<sheet>.csv``: its first non-blank row the header (a table's units
    taken off, when they are its columns' units), then every non-blank row, each as wide as the
    header (a row with cells beyond it keeps them), cells as :func:`texts_from_cells` writes
    them. The folder appears whole (written beside it, then renamed)."""
    book_path, out = Path(book_path), Path(out)
    sheets = read_workbook(book_path)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(
            Problem(str(out), None, None, None, "a new or empty folder to write the dataset into", "output_folder")
        )
    files: dict[str, str] = {}
    for name, frame in sheets.cells.items():
        if Path(name).suffix.lower() in TEXT_SUFFIXES:
            lines = texts_from_cells(frame.iloc[:, 0].to_numpy()) if frame.shape[1] else np.empty(0, dtype=object)
            files[name] = "".join(f"{line}\n" for line in lines)
        else:
            files[f"{name}.csv"] = _csv_text(frame, SPECS.get(name))
    staging = out.with_name(f".{out.name}.partial-{secrets.token_hex(4)}")
    try:
        staging.mkdir(parents=True)
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8", newline="")
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Conversion(out, list(files), [])


def _csv_text(frame: pd.DataFrame, spec: TableSpec | None) -> str:
    """A sheet's cells as the text of a CSV file (see :func:`workbook_to_folder`)."""
    if frame.empty:
        return ""
    texts = np.column_stack([texts_from_cells(frame.iloc[:, j].to_numpy()) for j in range(frame.shape[1])])
    used = (texts != "").any(axis=1)
    if not used.any():
        return ""
    texts = texts[used]
    units = {c.name: c.unit for c in spec.columns} if spec is not None else {}
    for j, cell in enumerate(texts[0]):
        name, unit = column_name(cell, spec)
        if unit is not None and (not units[name] or _unit_key(unit) == _unit_key(units[name])):
            texts[0, j] = name
    filled = texts != ""
    width = int(np.flatnonzero(filled[0]).max()) + 1 if filled[0].any() else 0
    # each row as wide as the header, or as its last filled cell beyond it
    ends = np.maximum((filled * (np.arange(texts.shape[1]) + 1)).max(axis=1), width)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row, end in zip(texts, ends):
        writer.writerow(row[:end].tolist())
    return buffer.getvalue()
