"""Time paths: numbers of a dataset that change over the years (``paths.csv``).

A dataset folder may hold ``paths.csv`` (docs/formulation.md, "Time paths"): one path per
line, the years across, as a person edits a trajectory in a spreadsheet::

    path,table,column,where,mode,between,2024,2027,2030,2035,note
    demand_growth,demand,demand_t,,scale,linear,1,,1.35,1.8,brief 2c
    cn_quota,quotas,limit_t,quota=CN_separation,set,step,254000,270000,,300000,assumed

A path selects rows of one table (``where``: blank = every row, else ``column=value``
conditions joined by ``&``, alternatives for one column separated by ``;``) and, in each
year, sets one number column of them or scales it (the base value times the factor). Between
two given years the value is interpolated (``between = linear``, the default) or the latest
given value holds (``step``); before the first given year the base value holds (factor 1),
after the last the last value. Paths apply in file order: a scale multiplies what earlier
paths set.

The file is not one of the dataset's tables (:data:`~oreflow.model.tables.TABLES`): only
planning reads it (:func:`read_paths`, :func:`paths_from_frame`), then builds each year's
network with :func:`network_for_year`, which re-validates it with every dataset rule; a
problem found then is labelled with its year (``origins.csv [2030]``) and, where a path
wrote the value concerned, names that path's line.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, InputWarning, Problem, cap_problems
from .network import Network
from .reading import check_numbers, number_text, read_raw_csv
from .tables import GROUP_SEPARATOR, ID, LINE, NUMBER, NUMBER_LIMIT, PLANNING_TABLES, TABLES, TABLES_BY_NAME

#: The file's name in a dataset folder.
PATHS_FILE = "paths.csv"
MODES = ("set", "scale")
BETWEEN = ("linear", "step")
#: Columns every paths file has; ``where`` and ``between`` may be absent (blank).
REQUIRED_COLUMNS = ("path", "table", "column", "mode")
OPTIONAL_COLUMNS = ("where", "between")
#: The columns of the planning tables a path may change (model/planning.py reads them per
#: year: a build's capital and fixed O&M by the year its construction starts, a build limit
#: per period, a stockpile's bounds and holding cost per period).
PLANNING_PATH_COLUMNS: dict[str, tuple[str, ...]] = {
    "builds": ("capital_usd_per_t", "fixed_om_usd_per_t_yr"),
    "build_limits": ("limit_t_per_year",),
    "stockpiles": ("max_t", "min_t", "holding_usd_per_t_year"),
}
#: Every table a path may name: the dataset's, then the planning tables.
PATH_TABLES = {**TABLES_BY_NAME, **{spec.name: spec for spec in PLANNING_TABLES}}
#: A header that is an integer in this range (inclusive) is a year column.
FIRST_YEAR, LAST_YEAR = 1900, 2200
#: How a ``where`` is written (in problems).
WHERE_FORM = (
    "conditions column=value joined by & (alternatives for one column separated by ;), e.g. market=US;EU&product=NdPr"
)

#: ``(column, alternatives)`` conditions, all of which a selected row meets.
Where = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class TimePath:
    """One line of ``paths.csv``, validated.

    ``years`` are ascending, ``values`` the numbers given for them (a factor for ``scale``,
    the column's value for ``set``); ``line`` is the path's line in its file (header = line 1).
    """

    name: str
    table: str
    column: str
    where: Where
    mode: str
    between: str
    years: tuple[int, ...]
    values: tuple[float, ...]
    line: int
    where_text: str = ""


@dataclass(frozen=True)
class Paths:
    """The paths of one file, in file order; ``label`` names the file in problems."""

    paths: tuple[TimePath, ...] = ()
    label: str = PATHS_FILE

    def __iter__(self) -> Iterator[TimePath]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def years(self) -> tuple[int, ...]:
        """Every year some path gives a value for, ascending."""
        return tuple(sorted({year for path in self.paths for year in path.years}))


def value_at(path: TimePath, year: int) -> float | None:
    """The path's number in ``year``: a factor for ``scale`` (1 before the first given year),
    the column's value for ``set`` (None before the first given year: the base value holds).

    At a given year, exactly its value; after the last, the last value; in between,
    ``linear``: on the straight line between the two surrounding given years (kept within
    their values, against rounding), ``step``: the value of the latest given year <= ``year``.
    """
    years, values = path.years, path.values
    at = bisect_right(years, year)  # how many given years are <= year
    if at == 0:
        return 1.0 if path.mode == "scale" else None
    if at == len(years) or years[at - 1] == year or path.between == "step":
        return values[at - 1]
    (y0, y1), (v0, v1) = years[at - 1 : at + 1], values[at - 1 : at + 1]
    if v0 == v1:
        return v0
    value = v0 + (v1 - v0) * (year - y0) / (y1 - y0)
    return min(max(value, min(v0, v1)), max(v0, v1))


def touched_columns(paths: Paths) -> tuple[tuple[str, str], ...]:
    """The (table, column) pairs the paths change, each once, in file order."""
    return tuple(dict.fromkeys((path.table, path.column) for path in paths))


# ---- reading -------------------------------------------------------------------------------


def read_paths(path: Path, network: Network | None = None) -> Paths:
    """Read and validate a paths file (problems name the file by its name, e.g. ``paths.csv``).

    With ``network``, also check each path against it (:func:`check_paths`: a ``where`` that
    selects nothing, two ``set`` paths of one cell). Raises one
    :class:`~oreflow.model.errors.InputError` listing every problem found.
    """
    label = path.name
    if not path.is_file():
        raise InputError(Problem(label, None, None, None, f"file {path}", "file_present"), heading=f"invalid {label}")
    raw, problems = read_raw_csv(path, label)
    if raw is None:
        raise InputError(problems, heading=f"invalid {label}")
    return _validated(raw.frame, raw.header, raw.header_line, label, problems, network)


def paths_from_frame(
    frame: pd.DataFrame, label: str = f"{PATHS_FILE} (DataFrame)", network: Network | None = None
) -> Paths:
    """Validate paths given as a DataFrame (the columns of ``paths.csv``; year columns may be
    named by ints); a problem's line is the line the row would have in
    ``frame.to_csv(index=False)``. As :func:`read_paths` otherwise."""
    raw = frame.reset_index(drop=True).copy()
    header = [str(c).strip() for c in raw.columns]
    raw.columns = header
    raw = raw.loc[:, ~raw.columns.duplicated(keep="last")].copy()  # as a CSV file's repeats: the last kept
    raw[LINE] = np.arange(2, len(raw) + 2)
    return _validated(raw, header, 1, label, [], network)


def _validated(
    raw: pd.DataFrame, header: list[str], header_line: int, label: str, problems: list[Problem], network: Network | None
) -> Paths:
    """Paths from ``raw`` (text cells and ``_line``), or an InputError with every problem."""
    found, years = _header_problems(header, header_line, label)
    problems = problems + found
    paths: list[TimePath] = []
    if not any(p.rule == "column_present" for p in found) and years:
        text = {name: _text(raw[name]) for name in raw.columns if name != LINE}
        first_line: dict[str, int] = {}
        for row in range(len(raw)):
            cells = {name: column.iat[row] for name, column in text.items()}
            cells.update({name: "" for name in OPTIONAL_COLUMNS if name not in text})
            path, row_problems = _path(cells, int(raw[LINE].iat[row]), years, label, first_line)
            problems += row_problems
            if path is not None:
                paths.append(path)
    result = Paths(tuple(paths), label)
    if not problems and network is not None:
        problems += check_paths(result, network)
    if problems:
        raise InputError(cap_problems(problems), heading=f"invalid {label}")
    return result


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped text (blank where missing)."""
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


_NUMBER_LIKE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _header_problems(header: list[str], line: int, label: str) -> tuple[list[Problem], dict[int, str]]:
    """Problems of the header line, and its year columns (year -> header) when usable."""
    problems: list[Problem] = []
    years: dict[int, str] = {}
    seen: set[str] = set()
    for name in header:
        if name in seen and name != "":
            problems.append(Problem(label, line, name, name, "each column name once in the header", "paths_header"))
        seen.add(name)
        if name.isdigit() and FIRST_YEAR <= int(name) <= LAST_YEAR:
            years[int(name)] = name
        elif _NUMBER_LIKE.match(name):
            problems.append(
                Problem(
                    label,
                    line,
                    name,
                    name,
                    f"a year from {FIRST_YEAR} to {LAST_YEAR} written as an integer (or a column name that is "
                    "not a number)",
                    "paths_year",
                )
            )
    present = ", ".join(name for name in header if name) or "none"
    problems += [
        Problem(label, line, name, None, f"a column named {name!r} (columns present: {present})", "column_present")
        for name in REQUIRED_COLUMNS
        if name not in seen
    ]
    if not years:
        problems.append(
            Problem(label, line, None, None, "at least one year column (a header such as 2030)", "paths_year")
        )
    return problems, dict(sorted(years.items()))


def _path(
    cells: dict[str, str], line: int, years: dict[int, str], label: str, first_line: dict[str, int]
) -> tuple[TimePath | None, list[Problem]]:
    """One line as a path, or None with its problems."""
    problems: list[Problem] = []

    def problem(column: str | None, value: str | None, expected: str, rule: str) -> None:
        problems.append(Problem(label, line, column, value, expected, rule))

    name = cells["path"]
    if name == "":
        problem("path", "", "a non-empty path name", "id_present")
    elif name in first_line:
        problem("path", name, f"a unique path name (already on line {first_line[name]})", "unique_key")
    else:
        first_line[name] = line

    table, column = cells["table"], cells["column"]
    spec = PATH_TABLES.get(table)
    target = None
    if spec is None:
        problem("table", table, f"one of the tables {', '.join(PATH_TABLES)}", "paths_table")
    else:
        allowed = PLANNING_PATH_COLUMNS.get(table)
        numbers = ", ".join(c.name for c in spec.columns if c.kind == NUMBER and (allowed is None or c.name in allowed))
        target = next((c for c in spec.columns if c.name == column), None)
        if target is None or (allowed is not None and column not in allowed and target.kind == NUMBER):
            problem("column", column, f"a number column of {spec.file} a path may change ({numbers})", "paths_column")
            target = None
        elif target.kind != NUMBER:
            problem("column", column, f"a number column of {spec.file} ({numbers}), not an id column", "paths_column")
            target = None

    mode = cells["mode"]
    if mode not in MODES:
        problem("mode", mode, " or ".join(MODES), "choice")
    between = cells["between"] or BETWEEN[0]
    if between not in BETWEEN:
        problem("between", cells["between"], f"{' or '.join(BETWEEN)} (blank: {BETWEEN[0]})", "choice")

    where, reason = parse_where(cells["where"])
    if reason is not None:
        problem("where", cells["where"], f"{WHERE_FORM} ({reason})", "paths_where")
    elif spec is not None:
        ids = [c.name for c in spec.columns if c.kind == ID]
        for name_, _ in where:
            if name_ not in ids:
                problem(
                    "where",
                    cells["where"],
                    f"conditions on id columns of {spec.file} ({', '.join(ids)})",
                    "paths_where",
                )

    given = [(year, header, cells[header]) for year, header in years.items() if cells[header] != ""]
    values = pd.to_numeric(pd.Series([text for _, _, text in given], dtype=object), errors="coerce").to_numpy(float)
    if not given:
        problem(
            None, None, f"at least one year with a value (year columns: {', '.join(years.values())})", "paths_values"
        )
    elif mode == "set" and target is not None:
        for position, value, expected in check_numbers(pd.Series([text for _, _, text in given], dtype=object), target):
            problem(given[position][1], value, f"{expected} (a value of {table}.{column})", "number")
    elif mode == "scale":
        factor_ok = np.isfinite(values) & (values >= 0) & (values < NUMBER_LIMIT)
        for (_, header, text), ok in zip(given, factor_ok):
            if not ok:
                problem(header, text, f"a factor: a number >= 0 and below {number_text(NUMBER_LIMIT)}", "paths_factor")
    else:  # mode unknown, or no target: a number is all that can be checked
        for (_, header, text), value in zip(given, values):
            if np.isnan(value):
                problem(header, text, "a number", "number")
    if between == "linear" and len(given) > 1 and not problems:
        for (_, _, before), (_, header, text), v0, v1 in zip(given, given[1:], values, values[1:]):
            if np.isinf(v0) != np.isinf(v1):
                problem(
                    header,
                    text,
                    f"a value a linear path can reach from {before!r}: inf only next to inf (use between=step)",
                    "paths_linear_inf",
                )
    if problems:
        return None, problems
    return (
        TimePath(
            name=name,
            table=table,
            column=column,
            where=where,
            mode=mode,
            between=between,
            years=tuple(year for year, _, _ in given),
            values=tuple(float(v) for v in values),
            line=line,
            where_text=cells["where"],
        ),
        [],
    )


def parse_where(text: str) -> tuple[Where, str | None]:
    """``market=US;EU&product=NdPr`` as ``(("market", ("US", "EU")), ("product", ("NdPr",)))``,
    and None; or ``()`` and what is wrong. Blank selects every row; ``product=`` selects
    rows whose (optional) product is blank."""
    text = text.strip()
    if text == "":
        return (), None
    conditions: list[tuple[str, tuple[str, ...]]] = []
    for part in text.split("&"):
        column, equals, values = part.partition("=")
        column = column.strip()
        if not equals or column == "":
            return (), f"{part.strip()!r} is not column=value"
        if "=" in values:
            return (), f"{part.strip()!r} has more than one ="
        if any(column == seen for seen, _ in conditions):
            return (), f"{column} is named twice: give its alternatives separated by ;"
        alternatives = tuple(value.strip() for value in values.split(GROUP_SEPARATOR))
        if len(alternatives) > 1 and "" in alternatives:
            return (), f"{part.strip()!r} has an empty alternative"
        conditions.append((column, alternatives))
    return tuple(conditions), None


# ---- against a network ---------------------------------------------------------------------


def select_rows(path: TimePath, frame: pd.DataFrame) -> np.ndarray:
    """The rows of ``frame`` (the path's table) that the path's ``where`` selects."""
    mask = np.ones(len(frame), dtype=bool)
    for column, alternatives in path.where:
        mask &= frame[column].astype(str).isin(alternatives).to_numpy()
    return mask


def selections(paths: Paths, network: Any) -> tuple[list[np.ndarray], list[Problem]]:
    """Each path's rows of ``network`` (a Network, or the planning tables: anything with the
    tables as attributes), and the problems: a ``where`` with a value found in no row or
    selecting nothing, two ``set`` paths of one cell. A path of a table ``network`` does not
    hold selects nothing and is no problem here (the other kind of tables checks it)."""
    masks: list[np.ndarray] = []
    problems: list[Problem] = []
    for path in paths:
        frame = getattr(network, path.table, None)
        if frame is None:
            masks.append(np.zeros(0, dtype=bool))
            continue
        mask = select_rows(path, frame)
        masks.append(mask)
        absent = [
            f"{column}={value}"
            for column, alternatives in path.where
            for value in alternatives
            if not (frame[column].astype(str) == value).any()
        ]
        if absent:
            problems.append(
                Problem(
                    paths.label,
                    path.line,
                    "where",
                    path.where_text,
                    f"values found in {path.table}.csv (no row has {', '.join(absent)})",
                    "paths_selects_nothing",
                )
            )
        elif not mask.any():
            problems.append(
                Problem(
                    paths.label,
                    path.line,
                    "where",
                    path.where_text,
                    f"a selection that matches rows of {path.table}.csv",
                    "paths_selects_nothing",
                )
            )
    for later, path in enumerate(paths):
        if path.mode != "set":
            continue
        for earlier, other in enumerate(paths.paths[:later]):
            if other.mode != "set" or (other.table, other.column) != (path.table, path.column):
                continue
            both = int((masks[earlier] & masks[later]).sum())
            if both:
                problems.append(
                    Problem(
                        paths.label,
                        path.line,
                        "where",
                        path.where_text,
                        f"rows no other set path of {path.table}.{path.column} sets (path {other.name!r} on line "
                        f"{other.line} sets {both} of the same rows)",
                        "paths_overlap",
                    )
                )
    return masks, problems


def check_paths(paths: Paths, network: Network) -> list[Problem]:
    """The problems of ``paths`` on ``network`` (the base, after any scenario changes): a
    ``where`` naming a value no row has, or selecting no row; two ``set`` paths of one
    table and column whose rows overlap (at the later line, naming the earlier)."""
    return selections(paths, network)[1]


def network_for_year(
    network: Network, paths: Paths, year: int, edit: Callable[[Network], Network] | None = None
) -> Network:
    """``network`` with every path applied at ``year`` (in file order), then ``edit`` (a
    plan's scenario changes: given the year's tables as an unvalidated Network, it returns
    them changed), re-validated once.

    Raises InputError for the problems of :func:`check_paths`, and for what the dataset rules
    find in the year's tables: each labelled with the year (``refiners.csv [2030]``, lines as
    in the network's tables, header = line 1), and where paths wrote the value concerned,
    naming them. Without paths or ``edit``, ``network`` itself.
    """
    if not len(paths) and edit is None:
        return network
    masks, problems = selections(paths, network)
    if problems:
        raise InputError(cap_problems(problems), heading=f"invalid {paths.label}")
    tables: dict[str, pd.DataFrame] = {spec.name: getattr(network, spec.name) for spec in TABLES}
    copied: set[str] = set()
    written: dict[tuple[str, str], list[tuple[TimePath, np.ndarray]]] = {}
    for path, mask in zip(paths, masks):
        if path.table in tables and apply_path(tables, path, mask, year, copied):
            written.setdefault((path.table, path.column), []).append((path, mask))
    if edit is not None:
        edited = edit(dataclasses.replace(network, **tables))
        tables = {spec.name: getattr(edited, spec.name) for spec in TABLES}
    try:
        built = Network.from_frames(**tables)
    except InputError as exc:
        raise InputError(
            [_in_year(problem, year, paths.label, written) for problem in exc.problems],
            heading=f"the dataset with {paths.label} applied is invalid in {year}",
            omitted=exc.omitted,
        ) from None
    warnings = tuple(dataclasses.replace(w, file=_year_label(w.file, year)) for w in built.warnings)
    return dataclasses.replace(
        built, source=network.source, file_hashes=dict(network.file_hashes), warnings=_unique(warnings)
    )


def apply_path(tables: dict[str, pd.DataFrame], path: TimePath, mask: np.ndarray, year: int, copied: set[str]) -> bool:
    """Apply ``path`` at ``year`` to the rows ``mask`` of ``tables[path.table]`` (copied once,
    noted in ``copied``); whether it changed anything (a factor of 1, or a set path before its
    first year, leaves the cells as they are)."""
    value = value_at(path, year)
    if value is None or (path.mode == "scale" and value == 1.0):
        return False
    if path.table not in copied:
        tables[path.table] = tables[path.table].copy()
        copied.add(path.table)
    frame = tables[path.table]
    if path.mode == "set":
        frame.loc[mask, path.column] = value
    else:  # x 0 closes a capacity or supply even where it is inf (inf * 0 would be NaN)
        current = frame.loc[mask, path.column].to_numpy(dtype=float)
        frame.loc[mask, path.column] = np.zeros_like(current) if value == 0 else current * value
    return True


def _year_label(file: str, year: int) -> str:
    """``origins.csv (DataFrame)`` -> ``origins.csv [2030]``."""
    return f"{file.removesuffix(' (DataFrame)')} [{year}]"


def _unique(warnings: tuple[InputWarning, ...]) -> tuple[InputWarning, ...]:
    return tuple(dict.fromkeys(warnings))


def _in_year(
    problem: Problem, year: int, label: str, written: dict[tuple[str, str], list[tuple[TimePath, np.ndarray]]]
) -> Problem:
    """``problem`` of the year's tables, labelled with the year and naming the paths that wrote
    the cell (its row and column), or else the column, it is about."""
    table = problem.file.split(".csv")[0]
    entries = written.get((table, problem.column or ""), [])
    if problem.line is not None:
        row = problem.line - 2  # the line of the row in frame.to_csv(index=False)
        cell = [path for path, mask in entries if 0 <= row < len(mask) and mask[row]]
        note = f"; the value comes from {_named(cell, label)}" if cell else ""
    else:
        note = f"; {table}.{problem.column} is changed by {_named([p for p, _ in entries], label)}" if entries else ""
    return dataclasses.replace(problem, file=_year_label(problem.file, year), expected=problem.expected + note)


def _named(paths: list[TimePath], label: str) -> str:
    """``path 'a' (paths.csv, line 2)``, or ``paths 'a' (line 2), 'b' (line 4) of paths.csv``."""
    if len(paths) == 1:
        return f"path {paths[0].name!r} ({label}, line {paths[0].line})"
    return "paths " + ", ".join(f"{p.name!r} (line {p.line})" for p in paths) + f" of {label}"
