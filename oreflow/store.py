"""The store of every run: an embedded DuckDB database, ``runs.duckdb``, that each run, scenario
case (and its batch), plan, plan case, sweep (its points) and stress test (its disruptions) is
appended to once its output folder is in place (docs/store.md).

What is stored (the schema: :data:`SCHEMA`, docs/store.md): one row per run in ``runs`` (its
id, time, job, the sha256 of its inputs, oreflow's version and source hash, status, objective
and the output folder its tables stay in), the input files' hashes (``inputs``), the cost
breakdown (``costs``), the market table (``market``), every family's shadow prices in long
format (``shadow_prices``), the figures a comparison reads (``figures``: the rows of a batch's
comparison.csv, :func:`oreflow.scenarios.metrics`) and the points of a sweep or stress test
(``points``, and their numbers in long format in ``point_values``).

Where: beside the job's outputs (``runs.duckdb`` in the parent folder of the output folder) when
the job's ``store`` is true (the default), the path it names (relative to the job file), or
nowhere when it is false (:func:`store_path`).

Writing never fails a run: :func:`record_run` takes the store's lock (the flock of
:func:`oreflow.outputs.lock` on ``.runs.duckdb.lock``, so one writer at a time, with short
retries and backoff), appends the record in one transaction, then adds the records that
earlier runs could not write. A record that cannot be written (the store locked for longer
than the retries, corrupt, on a read-only disk) is saved as ``<store>.pending/<id>.json``,
with one line on stderr saying why; the next run that writes the store adds it. DuckDB is
imported only here, and only when a store is written or read.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oreflow.errors import InputError, Problem
from oreflow.manifest import BATCH, STRESS, SWEEP
from oreflow.store_records import (
    TABLES,
    Record,
    build_record,
    origin_of,
    source_of,
)

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from oreflow.model.network import Network

#: The store's file name when a job's ``store`` is true: beside the job's output folder.
STORE_FILE = "runs.duckdb"
#: The version of :data:`SCHEMA` (the ``meta`` table records the store's).
SCHEMA_VERSION = 1
#: Waits (seconds) between attempts to take the store from another writer: about 3 s in all,
#: then the record is saved as a pending file.
RETRY_DELAYS_S: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)

#: The tables, as created in a new store (docs/store.md explains each column).
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS run_seq;
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    seq BIGINT DEFAULT nextval('run_seq'),
    parent_id VARCHAR,
    kind VARCHAR NOT NULL,
    plan BOOLEAN NOT NULL,
    name VARCHAR NOT NULL,
    job_name VARCHAR NOT NULL,
    job_path VARCHAR,
    time_utc TIMESTAMP NOT NULL,
    inputs_sha256 VARCHAR,
    job_sha256 VARCHAR,
    oreflow_version VARCHAR,
    source_hash VARCHAR,
    status VARCHAR NOT NULL,
    objective_usd DOUBLE,
    cases INTEGER,
    failed INTEGER,
    error VARCHAR,
    output_path VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS inputs (run_id VARCHAR NOT NULL, file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS costs (
    run_id VARCHAR NOT NULL, year INTEGER, component VARCHAR NOT NULL, usd_per_year DOUBLE
);
CREATE TABLE IF NOT EXISTS market (
    run_id VARCHAR NOT NULL, year INTEGER, market VARCHAR NOT NULL, country VARCHAR, product VARCHAR NOT NULL,
    price_usd_per_t DOUBLE, quantity_t DOUBLE, reference_price_usd_per_t DOUBLE
);
CREATE TABLE IF NOT EXISTS shadow_prices (
    run_id VARCHAR NOT NULL, year INTEGER, family VARCHAR NOT NULL, key VARCHAR NOT NULL,
    rhs DOUBLE, shadow_price DOUBLE, unit VARCHAR, binding BOOLEAN
);
CREATE TABLE IF NOT EXISTS figures (
    run_id VARCHAR NOT NULL, position INTEGER NOT NULL, metric VARCHAR NOT NULL, key VARCHAR NOT NULL,
    unit VARCHAR, value DOUBLE
);
CREATE TABLE IF NOT EXISTS points (
    run_id VARCHAR NOT NULL, point INTEGER NOT NULL, label VARCHAR, kind VARCHAR, element VARCHAR,
    status VARCHAR, error VARCHAR, objective_usd DOUBLE
);
CREATE TABLE IF NOT EXISTS point_values (
    run_id VARCHAR NOT NULL, point INTEGER NOT NULL, column_name VARCHAR NOT NULL, value DOUBLE NOT NULL
);
"""
#: The tables a record fills, in the order they are written.


class StoreBusy(Exception):
    """The store is held by another writer (or, for DuckDB, another process) past the retries."""


class StoreBroken(Exception):
    """The store cannot be opened: not a DuckDB file, corrupt, or of a newer schema."""


# ---- where ----------------------------------------------------------------------------------


def store_path(setting: Path | bool, job_path: str | Path | None, output: Path) -> Path | None:
    """The store of a run writing output folder ``output``: ``runs.duckdb`` beside that folder
    (in its parent) when ``setting`` is true, the path ``setting`` relative to the job file's
    folder (the working folder for a dataset folder run without a job), None when false."""
    if setting is False:
        return None
    if setting is True:
        return Path(output).resolve().parent / STORE_FILE
    base = Path(job_path).resolve().parent if job_path is not None else Path.cwd()
    return (base / Path(setting)).resolve()


def pending_folder(path: Path) -> Path:
    """Where records that could not be written wait: ``<store>.pending/`` beside the store."""
    return path.with_name(path.name + ".pending")


# ---- recording a run -----------------------------------------------------------------------


def record_run(
    source: Any,
    kind: str,
    folder: Path,
    outcome: Any,
    network: Network | None = None,
    *,
    summary: dict[str, Any] | None = None,
    figures: Callable[[Any], pd.DataFrame] | None = None,
) -> str | None:
    """Append a finished run to its job's store; return its id (None: not stored or not
    written). Never raises: a failure is one line on stderr and, when the record could be
    built, a pending file the next writer adds (module docstring). Call it once the output
    folder ``folder`` is in place.

    ``source`` is the run's :class:`~oreflow.runs.RunSpec` or :class:`~oreflow.job.JobFile`;
    ``kind`` and ``outcome``: :data:`~oreflow.manifest.RUN` and its Result,
    :data:`~oreflow.manifest.BATCH` and its outcomes (scenario cases, or a plan's cases when the
    job has a horizon), :data:`~oreflow.manifest.PLAN` and its PlanResult,
    :data:`~oreflow.manifest.SWEEP` or :data:`~oreflow.manifest.STRESS` and the solved points
    (with ``summary``, their summary.json); ``network`` is the dataset read (its file hashes);
    ``figures`` reads a result in the long format of comparison.csv (default
    :func:`oreflow.scenarios.metrics`; a plan's: ``oreflow.planning.plan_metrics``)."""
    try:
        job, name, job_path, raw = source_of(source)
        path = store_path(job.store, job_path, folder)
        if path is None:
            return None
        origin = origin_of(name, job_path, raw, network, plan=job.horizon is not None)
        record = build_record(origin, kind, Path(folder).resolve(), outcome, summary=summary, figures=figures)
    except Exception as exc:  # a failure to record never fails the run
        _say(f"oreflow: this run was not recorded in its run store ({type(exc).__name__}: {exc})")
        return None
    return write_record(path, record)


def write_record(path: Path, record: Record) -> str | None:
    """Append ``record`` to the store at ``path`` (created when missing) and add the pending
    records; return the id it was stored under. When the store is locked, corrupt or cannot
    be written, save the record as a pending file, say so in one line on stderr, return None."""
    try:
        with _writer(path) as con:
            run_id = _insert(con, record, fresh=True)
            _ingest_pending(con, path)  # never raises: this record is in
        return run_id
    except StoreBusy as exc:
        why = f"is locked by {exc}"
    except StoreBroken as exc:
        why = f"cannot be opened ({exc}); move it aside to start a new store"
    except Exception as exc:
        why = f"could not be written ({type(exc).__name__}: {_first_line(exc)})"
    try:
        saved = save_pending(path, record)
    except Exception as exc:
        _say(f"oreflow: the run store {path} {why}; run {record.run_id} was not recorded ({_first_line(exc)})")
        return None
    _say(f"oreflow: the run store {path} {why}; run {record.run_id} saved to {saved}, added by the next run")
    return None


def save_pending(path: Path, record: Record) -> Path:
    """Write ``record`` as ``<store>.pending/<id>.json`` (whole or not at all); return its path."""
    from oreflow.outputs import write_text_atomically

    folder = pending_folder(path)
    folder.mkdir(parents=True, exist_ok=True)
    content = {
        "oreflow_store": SCHEMA_VERSION,
        "run_id": record.run_id,
        "tables": {name: frame.to_dict(orient="split", index=False) for name, frame in record.tables.items()},
    }
    target = folder / f"{record.run_id}.json"
    write_text_atomically(target, json.dumps(content, default=_plain))
    return target


def load_pending(file: Path) -> Record:
    """A record saved by :func:`save_pending` (ValueError when the file is not one)."""
    content = json.loads(file.read_text(encoding="utf-8"))
    if not isinstance(content, dict) or content.get("oreflow_store") != SCHEMA_VERSION:
        raise ValueError(f"{file} is not a pending record of schema {SCHEMA_VERSION}")
    tables = {name: pd.DataFrame(table["data"], columns=table["columns"]) for name, table in content["tables"].items()}
    if set(tables) - set(TABLES) or "runs" not in tables:
        raise ValueError(f"{file} holds tables other than the store's")
    return Record(str(content["run_id"]), tables)


# ---- the database ----------------------------------------------------------------------------


@contextmanager
def _writer(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store at ``path`` open for writing, under its lock (created with its schema when
    missing). StoreBusy when another writer keeps it past the retries, StoreBroken when it is
    not a usable store."""
    from oreflow import outputs

    path.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        for delay in (*RETRY_DELAYS_S, None):
            try:
                stack.enter_context(outputs.lock(path))
                break
            except InputError as exc:
                if not any(p.rule == "output_busy" for p in exc.problems):
                    raise
                if delay is None:
                    pid = re.search(r"\(pid \d+\)", str(exc))
                    raise StoreBusy(f"another oreflow run{' ' + pid.group(0) if pid else ''}") from None
                time.sleep(delay)
        con = _connect(path, read_only=False)
        try:
            _ensure_schema(con)
            yield con
        finally:
            con.close()


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``path``, retried while another process has the file open
    (DuckDB allows one read-write process, or many read-only ones)."""
    import duckdb

    for delay in (*RETRY_DELAYS_S, None):
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            text = _first_line(exc)
            if "Could not set lock" not in text and "Conflicting lock" not in text:
                raise StoreBroken(text) from None
            if delay is None:
                pid = re.search(r"PID \d+", text)
                raise StoreBusy(f"another process{' (' + pid.group(0).lower() + ')' if pid else ''}") from None
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables a new store lacks; StoreBroken for a store of a newer schema."""
    import duckdb

    try:
        con.execute(SCHEMA)
        found = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        if not found:
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        elif found[0][0] != str(SCHEMA_VERSION):
            raise StoreBroken(f"a store of schema {found[0][0]}, this oreflow writes schema {SCHEMA_VERSION}")
    except duckdb.Error as exc:
        raise StoreBroken(_first_line(exc)) from None


def _insert(con: duckdb.DuckDBPyConnection, record: Record, fresh: bool) -> str:
    """Append ``record`` in one transaction; return its id. A fresh record whose id is taken
    gets new ids; a pending one already in the store (added, then not removed) is skipped."""
    con.execute("BEGIN TRANSACTION")
    try:
        taken = con.execute("SELECT count(*) FROM runs WHERE list_contains(?, run_id)", [record.ids]).fetchall()
        if taken[0][0]:
            if not fresh:
                con.execute("ROLLBACK")
                return record.run_id
            record = record.renamed()
        for name in TABLES:
            frame = record.tables.get(name)
            if frame is None or not len(frame):
                continue
            con.register("_record_frame", frame)
            try:
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _record_frame")
            finally:
                con.unregister("_record_frame")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return record.run_id


def _ingest_pending(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Add the records waiting in ``<store>.pending/`` (oldest first) and remove their files;
    one that cannot be read is renamed ``.bad`` with a line on stderr. Returns how many were added."""
    folder = pending_folder(path)
    if not folder.is_dir():
        return 0
    added = 0
    try:
        files = sorted(folder.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name))
    except OSError:
        return 0
    for file in files:
        try:
            _insert(con, load_pending(file), fresh=False)
        except Exception as exc:  # one bad file must not stop the others, nor later runs
            _say(f"oreflow: pending run record {file} cannot be added ({_first_line(exc)}); renamed .bad")
            try:
                file.replace(file.with_name(file.name + ".bad"))
            except OSError:
                pass
            continue
        file.unlink(missing_ok=True)
        added += 1
    try:
        folder.rmdir()  # only when empty
    except OSError:
        pass
    return added


# ---- reading ----------------------------------------------------------------------------------


def open_store(path: Path) -> duckdb.DuckDBPyConnection:
    """The store at ``path`` open read-only (InputError when it is missing, locked past the
    retries or not a store). Says on stderr how many records are pending."""
    path = Path(path)
    if not path.is_file():
        waiting = list(pending_folder(path).glob("*.json")) if pending_folder(path).is_dir() else []
        pending = (
            f"; {len(waiting)} run record(s) wait in {pending_folder(path)}: "
            "the next run that writes the store adds them"
            if waiting
            else ""
        )
        raise _store_problem(
            path,
            "an existing run store (runs are recorded in runs.duckdb beside their output folder; "
            f"--store PATH names another, or a job file to use its store){pending}",
            "store_missing",
        )
    try:
        con = _connect(path, read_only=True)
    except StoreBusy as exc:
        expected = f"a run store no other process is writing ({exc} has it open)"
        raise _store_problem(path, expected, "store_busy") from None
    except StoreBroken as exc:
        raise _store_problem(path, f"a DuckDB run store ({exc})", "store_corrupt") from None
    waiting = list(pending_folder(path).glob("*.json")) if pending_folder(path).is_dir() else []
    if waiting:
        folder = pending_folder(path)
        _say(f"note: {len(waiting)} run record(s) wait in {folder}; the next run to write the store adds them")
    return con


def runs_list(con: duckdb.DuckDBPyConnection, job: str | None = None, limit: int = 20) -> pd.DataFrame:
    """The newest runs (a batch before its cases), ``job`` naming a job to keep only its runs."""
    where, params = ("WHERE job_name = ?", [job]) if job else ("", [])
    sql = f"""
        SELECT run_id, strftime(r.time_utc, '%Y-%m-%d %H:%M:%S') AS time_utc, kind, job_name, name, status,
               objective_usd, parent_id, output_path
        FROM runs r {where}
        ORDER BY r.time_utc DESC, r.seq
        {"LIMIT " + str(int(limit)) if limit > 0 else ""}
    """
    return con.execute(sql, params).df()


def resolve_ids(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[str]:
    """Each of ``ids`` as a run id of the store: itself, or the one id it begins (InputError
    when none or several do)."""
    found = []
    for given in ids:  # a few ids from the command line
        rows = con.execute(
            "SELECT run_id FROM runs WHERE run_id = ? OR starts_with(run_id, ?) ORDER BY run_id = ? DESC",
            [given, given, given],
        ).fetchall()
        if not rows:
            expected = "the id of a run in the store (oreflow runs list)"
            raise InputError(Problem("runs", None, "ID", given, expected, "store_id"))
        if len(rows) > 1 and rows[0][0] != given:
            expected = f"one run's id; it begins {len(rows)} ids (give more of it)"
            raise InputError(Problem("runs", None, "ID", given, expected, "store_id"))
        found.append(str(rows[0][0]))
    return found


@dataclass
class _Compared:
    """A stored run as :func:`oreflow.scenarios.comparison` reads an outcome."""

    name: str
    status: str
    result: pd.DataFrame | None


def compare(con: duckdb.DuckDBPyConnection, ids: list[str]) -> pd.DataFrame:
    """The figures of runs ``ids`` side by side, the first as the base: run_id, name, status,
    metric, key, unit, value, base, delta. For the cases of one batch (base first) these are
    the rows of its comparison.csv: the same function builds both
    (:func:`oreflow.scenarios.comparison`), from the same figures."""
    from oreflow.scenarios import comparison

    ids = resolve_ids(con, ids)
    runs = (
        con.execute("SELECT run_id, name, status, kind FROM runs WHERE list_contains(?, run_id)", [ids])
        .df()
        .set_index("run_id")
    )
    figures = con.execute(
        "SELECT run_id, metric, key, unit, value FROM figures WHERE list_contains(?, run_id) ORDER BY run_id, position",
        [ids],
    ).df()
    by_id = {str(k): frame.drop(columns="run_id").reset_index(drop=True) for k, frame in figures.groupby("run_id")}
    # named by id while compared (two runs may share a name), then by name beside the id
    outcomes = [_Compared(i, str(runs.loc[i, "status"]), by_id.get(i)) for i in ids]
    if outcomes[0].result is None:
        expected = "a first run with figures to compare against (a run, a case or a plan that was solved)"
        raise InputError(Problem("runs", None, "ID", ids[0], expected, "store_figures"))
    # a batch, sweep or stress run has no figures of its own (its cases and points do): named,
    # not shown as a solved run whose every figure is blank
    empty = [i for i, o in zip(ids, outcomes) if o.result is None and runs.loc[i, "kind"] in (BATCH, SWEEP, STRESS)]
    if empty:
        expected = (
            "runs with figures of their own (a run, a case or a plan); a batch, sweep or stress test has "
            "none: compare its cases (oreflow runs list shows them) or query its points (runs sql)"
        )
        raise InputError([Problem("runs", None, "ID", i, expected, "store_figures") for i in empty])
    table = comparison(outcomes, lambda frame: frame).rename(columns={"scenario": "run_id"})
    table.insert(1, "name", table["run_id"].map(runs["name"]))
    return table


def query(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """The result of ``sql`` on the store (read-only; InputError with DuckDB's message)."""
    import duckdb

    if not sql.strip() or all(line.strip().startswith("--") or not line.strip() for line in sql.splitlines()):
        raise InputError(Problem("runs sql", None, "SQL", sql, "a query (the text holds none)", "store_sql"))
    try:
        answer = con.execute(sql)
        if answer is None:  # a statement without a result
            raise InputError(Problem("runs sql", None, "SQL", sql, "a query that returns rows", "store_sql"))
        return answer.df()
    except duckdb.Error as exc:
        expected = f"a valid read-only query on the store ({_first_line(exc)})"
        raise InputError(Problem("runs sql", None, "SQL", sql, expected, "store_sql")) from None


def _store_problem(path: Path, expected: str, rule: str) -> InputError:
    return InputError(Problem(str(path), None, None, None, expected, rule), heading="run store")


# ---- small helpers -----------------------------------------------------------------------------


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _plain(value: Any) -> Any:
    """JSON for what ``json`` does not know (numpy scalars, missing values, timestamps)."""
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        item = value.item()
        return None if isinstance(item, float) and math.isnan(item) else item
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
