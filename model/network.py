"""The validated input of one LP: a :class:`Network` of typed tables."""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .checks import WARNING_READS, dataset_warnings, run_checks
from .errors import InputError, InputWarning, Problem, cap_problems
from .reading import frame_table, read_csv_table, with_lines
from .tables import BAD, LINE, PLANNING_TABLES, TABLES, empty_table
from .workbook import is_workbook, read_tables, rows_error, warnings_in_rows


@dataclass(frozen=True)
class Network:
    """A validated dataset: origins, refiners, markets, the routes between them and demand.

    Build one with :func:`load_inputs` (a folder of CSV files) or
    :meth:`Network.from_frames` (pandas DataFrames). Tables hold exactly the columns of
    the data contract (see docs/formulation.md), ids as ``str`` and numbers as
    ``float``; optional tables (``recoveries``, the policy tables ``tariffs``,
    ``bans``, ``quotas``, ``share_limits`` and ``contracts``) are empty when the dataset has none, and
    ``demand.unmet_penalty_usd_per_t`` is NaN where the default penalty applies.

    ``warnings`` lists what is valid but probably not meant (:class:`InputWarning`): a
    CSV file whose name is close to a table's (``tarifs.csv``), which is not read; an
    origin, refiner or market without the routes that would let it take part. The
    commands print them as ``warning: ...`` lines; :func:`oreflow.solve` emits them as
    Python warnings (:class:`~oreflow.model.errors.DatasetWarning`).
    """

    origins: pd.DataFrame
    composition: pd.DataFrame
    refiners: pd.DataFrame
    recoveries: pd.DataFrame
    markets: pd.DataFrame
    demand: pd.DataFrame
    ore_routes: pd.DataFrame
    product_routes: pd.DataFrame
    tariffs: pd.DataFrame = field(default_factory=lambda: empty_table("tariffs"))
    bans: pd.DataFrame = field(default_factory=lambda: empty_table("bans"))
    quotas: pd.DataFrame = field(default_factory=lambda: empty_table("quotas"))
    share_limits: pd.DataFrame = field(default_factory=lambda: empty_table("share_limits"))
    contracts: pd.DataFrame = field(default_factory=lambda: empty_table("contracts"))
    source: Path | None = None
    file_hashes: dict[str, str] = field(default_factory=dict)
    warnings: tuple[InputWarning, ...] = ()

    @property
    def products(self) -> list[str]:
        """The product set, in order of first appearance in composition."""
        return list(pd.unique(self.composition["product"]))

    @classmethod
    def from_frames(
        cls,
        *,
        origins: pd.DataFrame,
        composition: pd.DataFrame,
        refiners: pd.DataFrame,
        markets: pd.DataFrame,
        demand: pd.DataFrame,
        ore_routes: pd.DataFrame,
        product_routes: pd.DataFrame,
        recoveries: pd.DataFrame | None = None,
        tariffs: pd.DataFrame | None = None,
        bans: pd.DataFrame | None = None,
        quotas: pd.DataFrame | None = None,
        share_limits: pd.DataFrame | None = None,
        contracts: pd.DataFrame | None = None,
    ) -> Network:
        """Validate in-memory tables (same columns as the CSV files) into a Network.

        Raises :class:`~oreflow.model.errors.InputError` listing every problem; a problem's
        line is the line the row would have in ``frame.to_csv(index=False)``.
        """
        given = {
            "origins": origins,
            "composition": composition,
            "refiners": refiners,
            "recoveries": recoveries,
            "markets": markets,
            "demand": demand,
            "ore_routes": ore_routes,
            "product_routes": product_routes,
            "tariffs": tariffs,
            "bans": bans,
            "quotas": quotas,
            "share_limits": share_limits,
            "contracts": contracts,
        }
        tables: dict[str, pd.DataFrame | None] = {}
        labels: dict[str, str] = {}
        problems: list[Problem] = []
        for spec in TABLES:
            tables[spec.name], found = frame_table(given[spec.name], spec)
            labels[spec.name] = f"{spec.file} (DataFrame)"
            problems += cap_problems(found)
        return _validated(tables, labels, problems, source=None, hashes={})


def revalidated(network: Network, frames: Mapping[str, pd.DataFrame]) -> Network:
    """``network`` (valid) with the tables ``frames`` in place of its own, validated as
    :meth:`Network.from_frames` would validate the whole, but checking only what those tables
    can break: their cells, and the rules that read one of them (model/checks.py
    ``RULE_READS``); every other rule passed on ``network`` and reads nothing that changed.
    A scenario's added policy row is checked in a fraction of a full validation. Problems
    name ``<file> (DataFrame)`` and the line the row would have there; the source and file
    hashes stay ``network``'s.

    Raises :class:`~oreflow.model.errors.InputError` listing every problem found."""
    changed = frozenset(frames)
    tables: dict[str, pd.DataFrame | None] = {}
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    for spec in TABLES:
        labels[spec.name] = f"{spec.file} (DataFrame)"
        if spec.name in changed:
            tables[spec.name], found = frame_table(frames[spec.name], spec)
            problems += cap_problems(found)
        else:
            tables[spec.name] = with_lines(getattr(network, spec.name))
    present = {name: frame for name, frame in tables.items() if frame is not None}
    problems += run_checks(present, labels, changed)
    if problems:
        raise InputError(problems, heading="invalid dataset")
    warnings = list(network.warnings)
    if not changed.isdisjoint(WARNING_READS):  # the isolated-node warnings found again
        warnings = [w for w in warnings if w.rule != "isolated"] + dataset_warnings(present, labels)
    clean = {
        name: frame.drop(columns=[LINE, BAD]).reset_index(drop=True) if frame is not None else empty_table(name)
        for name, frame in tables.items()
        if name in changed
    }
    return dataclasses.replace(network, **clean, warnings=tuple(warnings))


def load_inputs(folder: str | Path) -> Network:
    """Read and validate the dataset in ``folder`` (a folder of CSV files), or in the workbook
    ``folder`` names (an ``.xlsx`` file with a sheet per table: model/workbook.py).

    Raises :class:`~oreflow.model.errors.InputError` naming file, line, column, the bad value
    and what was expected, for every problem found, before any model is built (for a
    workbook: ``<book>.xlsx [<sheet>]``, the row and the column).
    """
    folder = Path(folder)
    if is_workbook(folder) and not folder.is_dir():
        return _load_workbook(folder)
    if not folder.is_dir():
        raise InputError(Problem(str(folder), None, None, None, "a folder of CSV files (the dataset)", "folder"))
    tables: dict[str, pd.DataFrame | None] = {}
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    hashes: dict[str, str] = {}
    for spec in TABLES:
        tables[spec.name], found = read_csv_table(folder, spec)
        labels[spec.name] = spec.file
        problems += cap_problems(found)  # a file of a million bad cells keeps MAX_PROBLEMS of them per rule
        del found
        path = folder / spec.file
        if path.is_file():
            hashes[spec.file] = hashlib.sha256(path.read_bytes()).hexdigest()
    return _validated(tables, labels, problems, source=folder.resolve(), hashes=hashes, warnings=unknown_files(folder))


def _load_workbook(book: Path) -> Network:
    """The dataset of a workbook: each table's sheet typed and checked by the rules of a CSV
    file (model/workbook.py); problems and warnings name the sheet and the spreadsheet's row."""
    read = read_tables(book)  # InputError when the file is missing or no workbook
    try:
        network = _validated(
            read.tables, read.labels, read.problems, source=book.resolve(), hashes=read.hashes, warnings=read.warnings
        )
    except InputError as exc:
        raise rows_error(exc) from None
    return dataclasses.replace(network, warnings=warnings_in_rows(network.warnings))


def unknown_files(folder: Path) -> list[InputWarning]:
    """A warning per CSV file of ``folder`` that is no table of a dataset but whose name is
    close to one (``tarifs.csv``: did you mean ``tariffs.csv``?): it is not read. Other files
    (``sources.csv``, notes) are the dataset's own business and pass without a word."""
    known = {spec.file: spec.name for spec in (*TABLES, *PLANNING_TABLES)}
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv" or path.name in known or not path.is_file():
            continue
        stem = path.stem.lower()
        close = difflib.get_close_matches(stem, list(known.values()), n=1, cutoff=0.6)
        if not close:
            continue
        right = f"{close[0]}.csv"
        if (folder / right).exists() and (folder / right).samefile(path):
            continue  # the same file on a case-insensitive file system
        found.append(
            InputWarning(
                path.name,
                None,
                f"not a table oreflow reads, so it is ignored; did you mean {right}?",
                "unknown_file",
            )
        )
    return found


def _validated(
    tables: dict[str, pd.DataFrame | None],
    labels: dict[str, str],
    problems: list[Problem],
    source: Path | None,
    hashes: dict[str, str],
    warnings: list[InputWarning] | None = None,
) -> Network:
    present = {name: frame for name, frame in tables.items() if frame is not None}
    problems = problems + run_checks(present, labels)
    if problems:
        where = f"dataset {source}" if source else "dataset"
        raise InputError(problems, heading=f"invalid {where}")
    found = [*(warnings or []), *dataset_warnings(present, labels)]
    clean = {
        name: (frame.drop(columns=[LINE, BAD]).reset_index(drop=True) if frame is not None else empty_table(name))
        for name, frame in tables.items()
    }
    return Network(**clean, source=source, file_hashes=hashes, warnings=tuple(found))
