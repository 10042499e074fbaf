"""The record a run appends to the run store (:mod:`oreflow.store`), built in pandas alone.

:func:`build_record` turns a finished run of any kind (a run, a batch of scenario or plan
cases, a plan, a sweep's or stress test's points) into a :class:`Record`: a frame per table
of the store's schema (:data:`TABLES`; :data:`oreflow.store.SCHEMA`), every row carrying the run's
:class:`Origin` (the job, the inputs' hashes, oreflow's version and source hash, the time).
Nothing here opens the database; :mod:`oreflow.store` writes and reads it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oreflow.manifest import BATCH, CASE, PLAN, RUN, STRESS, SWEEP

if TYPE_CHECKING:  # pragma: no cover
    from oreflow.model.network import Network

#: The store's tables (oreflow.store.SCHEMA creates them), in the order a record holds them.
TABLES = ("runs", "inputs", "costs", "market", "shadow_prices", "figures", "points", "point_values")
#: The text columns of a points table (every other column is a number, stored long).
POINT_TEXT = ("label", "kind", "element", "description", "status", "error")
#: The alphabet of run ids (Crockford's base 32, lower case: no i, l, o, u).
_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_ID_LENGTH = 10  # 50 random bits


@dataclass
class Record:
    """What one run appends: ``run_id`` (its top row; a batch's cases have their own ids, their
    ``parent_id`` the batch's) and a frame per table of :data:`TABLES`."""

    run_id: str
    tables: dict[str, pd.DataFrame]

    @property
    def ids(self) -> list[str]:
        """Every run id of the record (the batch and its cases)."""
        return [str(i) for i in self.tables["runs"]["run_id"]]

    def renamed(self) -> Record:
        """The same record under new ids (when an id is taken in the store already)."""
        mapping = {old: new_id() for old in self.ids}
        tables = {}
        for name, frame in self.tables.items():
            frame = frame.copy()
            for column in ("run_id", "parent_id"):
                if column in frame.columns:
                    frame[column] = frame[column].map(mapping).where(frame[column].notna(), None)
            tables[name] = frame
        return Record(mapping[self.run_id], tables)


# ---- the record of each kind of run --------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """What every row of a record shares: the job, the inputs, oreflow's build, the time."""

    job_name: str
    job_path: str | None
    job_sha256: str | None
    inputs: dict[str, str]
    version: str
    source_hash: str | None
    time_utc: datetime
    plan: bool = False  # the job has a horizon

    @property
    def inputs_sha256(self) -> str | None:
        """One sha256 of every input file's name and sha256 (None when there are none)."""
        if not self.inputs:
            return None
        text = "".join(f"{name}\0{digest}\n" for name, digest in sorted(self.inputs.items()))
        return hashlib.sha256(text.encode()).hexdigest()


def build_record(
    origin: Origin,
    kind: str,
    folder: Path,
    outcome: Any,
    *,
    summary: dict[str, Any] | None = None,
    figures: Callable[[Any], pd.DataFrame] | None = None,
) -> Record:
    """The record of one run of ``kind`` (see :func:`record_run`), pure pandas."""
    from oreflow.scenarios import metrics

    read = figures or metrics
    run_id = new_id()
    if kind == RUN:
        return _solved_record(origin, run_id, RUN, folder, outcome, read)
    if kind == PLAN:
        return _solved_record(origin, run_id, PLAN, folder, outcome, read, plan=True)
    if kind == BATCH:
        return _batch_record(origin, run_id, folder, outcome, read)
    if kind in (SWEEP, STRESS):
        return _points_record(origin, run_id, kind, folder, outcome, summary or {})
    raise ValueError(f"no record for output kind {kind!r}")


def _solved_record(
    origin: Origin,
    run_id: str,
    kind: str,
    folder: Path,
    result: Any,
    read: Callable[[Any], pd.DataFrame],
    plan: bool = False,
    parent: str | None = None,
    name: str | None = None,
) -> Record:
    """A run, a plan or a solved case: its row, costs, market, shadow prices and figures."""
    runs = _runs_frame(
        origin,
        [run_id],
        kind=kind,
        plan=plan,
        name=[name or origin.job_name],
        status=["optimal"],
        objective=[float(result.objective)],
        output=[str(folder)],
        parent=[parent],
    )
    parts = [_result_parts(r, year) for year, r in (result.years.items() if plan else [(None, result)])]
    tables = {"runs": runs, "inputs": _inputs_frame(origin, [run_id])}
    for table in ("costs", "market", "shadow_prices"):
        tables[table] = _with_id(pd.concat([p[table] for p in parts], ignore_index=True), run_id)
    tables["figures"] = _figures(read(result), run_id)
    return Record(run_id, tables)


def _batch_record(
    origin: Origin, run_id: str, folder: Path, outcomes: list[Any], read: Callable[[Any], pd.DataFrame]
) -> Record:
    """A batch (scenario cases, or plans: its job has a horizon) and each of its cases."""
    plan = origin.plan
    failed = sum(o.result is None for o in outcomes)
    head = _runs_frame(
        origin,
        [run_id],
        kind=BATCH,
        plan=plan,
        name=[origin.job_name],
        status=["optimal" if not failed else "partial"],
        objective=[None],
        output=[str(folder)],
        cases=[len(outcomes)],
        failed=[failed],
    )
    records = [Record(run_id, {"runs": head, "inputs": _inputs_frame(origin, [run_id])})]
    for outcome in outcomes:
        case_id = new_id()
        if outcome.result is not None:
            kind = PLAN if plan else CASE
            records.append(
                _solved_record(
                    origin, case_id, kind, folder / outcome.name, outcome.result, read, plan, run_id, outcome.name
                )
            )
            continue
        row = _runs_frame(
            origin,
            [case_id],
            kind=CASE,
            plan=plan,
            name=[outcome.name],
            status=[outcome.status],
            objective=[None],
            output=[str(folder / outcome.name)],
            parent=[run_id],
            error=[str(outcome.error) if outcome.error is not None else None],
        )
        records.append(Record(case_id, {"runs": row, "inputs": _inputs_frame(origin, [case_id])}))
    tables = {
        table: pd.concat([r.tables[table] for r in records if table in r.tables], ignore_index=True)
        for table in TABLES
        if any(table in r.tables for r in records)
    }
    return Record(run_id, tables)


def _points_record(
    origin: Origin, run_id: str, kind: str, folder: Path, solved: Any, summary: dict[str, Any]
) -> Record:
    """A sweep or stress test: its row, its points and their numbers in long format."""
    table: pd.DataFrame = solved.table
    failed = int(summary.get("failed", (table["status"] != "optimal").sum() if len(table) else 0))
    runs = _runs_frame(
        origin,
        [run_id],
        kind=kind,
        plan=bool(getattr(solved, "plan", False)),
        name=[origin.job_name],
        status=["optimal" if not failed else "partial"],
        objective=[float(solved.base_objective)],
        output=[str(folder)],
        cases=[len(table)],
        failed=[failed],
    )
    return Record(run_id, {"runs": runs, "inputs": _inputs_frame(origin, [run_id]), **points_frames(table, run_id)})


def points_frames(table: pd.DataFrame, run_id: str) -> dict[str, pd.DataFrame]:
    """``points`` (one row per point: its text columns and objective) and ``point_values``
    (every number of every point, long: point, column_name, value; a missing number has no
    row; true/false as 1/0) of a points table."""
    if table.empty:
        return {}
    n = len(table)

    def text(column: str) -> Any:
        return table[column].astype(object).where(table[column].notna(), None) if column in table.columns else None

    points = pd.DataFrame(
        {
            "run_id": run_id,
            "point": table["point"].to_numpy(np.int64),
            "label": text("label"),
            "kind": text("kind"),
            "element": text("element"),
            "status": text("status"),
            "error": text("error"),
            "objective_usd": table["objective_usd"].to_numpy(float) if "objective_usd" in table else np.nan,
        },
        index=range(n),
    )
    columns = [c for c in table.columns if c not in POINT_TEXT and c != "point"]
    values = (
        np.column_stack(
            [
                table[c].to_numpy(float)
                if pd.api.types.is_numeric_dtype(table[c])
                else pd.to_numeric(table[c], errors="coerce").to_numpy(float)
                for c in columns
            ]
        )
        if columns
        else np.zeros((n, 0))
    )
    flat = values.ravel()
    keep = ~np.isnan(flat)
    long = pd.DataFrame(
        {
            "run_id": run_id,
            "point": np.repeat(points["point"].to_numpy(), len(columns))[keep],
            "column_name": np.tile(np.asarray(columns, dtype=object), n)[keep],
            "value": flat[keep],
        }
    )
    return {"points": points, "point_values": long}


def _result_parts(result: Any, year: int | None) -> dict[str, pd.DataFrame]:
    """One solved year's costs, market and shadow prices (``year`` None: a single-year run)."""
    from oreflow.model.conventions import price_key
    from oreflow.model.families import FAMILIES

    breakdown = {k: float(v) for k, v in result.cost_breakdown.items() if k != "total"}
    costs = pd.DataFrame({"component": list(breakdown), "usd_per_year": list(breakdown.values())})
    market = result.market if result.market is not None else pd.DataFrame()
    if len(market):
        network = result.network
        country = network.markets.set_index("market")["country"] if network is not None else pd.Series(dtype=object)
        market = pd.DataFrame(
            {
                "market": market["market"].astype(str),
                "country": market["market"].map(country),
                "product": market["product"].astype(str),
                "price_usd_per_t": market["price_usd_per_t"].to_numpy(float),
                "quantity_t": market["quantity_t"].to_numpy(float),
                "reference_price_usd_per_t": market["reference_price_usd_per_t"].to_numpy(float)
                if "reference_price_usd_per_t" in market
                else np.nan,
            }
        )
    else:
        market = pd.DataFrame(columns=["market", "country", "product", "price_usd_per_t", "quantity_t"])
    prices = []
    for spec in FAMILIES:  # a loop over the registry's families, each a vectorised frame
        frame = result.shadow_prices.get(spec.name)
        if frame is None or not len(frame):
            continue
        prices.append(
            pd.DataFrame(
                {
                    "family": spec.name,
                    "key": price_key(frame[list(spec.keys)], spec.name),
                    "rhs": frame["rhs"].to_numpy(float),
                    "shadow_price": frame["shadow_price"].to_numpy(float),
                    "unit": spec.price_unit_short,
                    "binding": frame["binding"].to_numpy(bool),
                }
            )
        )
    shadow = (
        pd.concat(prices, ignore_index=True)
        if prices
        else pd.DataFrame(columns=["family", "key", "rhs", "shadow_price", "unit", "binding"])
    )
    parts = {"costs": costs, "market": market, "shadow_prices": shadow}
    return {name: _with_year(frame, year) for name, frame in parts.items()}


def _with_year(frame: pd.DataFrame, year: int | None) -> pd.DataFrame:
    out = frame.copy()
    out.insert(0, "year", pd.array([year] * len(out), dtype="Int64"))
    return out


def _with_id(frame: pd.DataFrame, run_id: str) -> pd.DataFrame:
    out = frame.copy()
    out.insert(0, "run_id", run_id)
    return out


def _figures(frame: pd.DataFrame, run_id: str) -> pd.DataFrame:
    """The figures of a comparison (metric, key, unit, value) with their order kept."""
    return pd.DataFrame(
        {
            "run_id": run_id,
            "position": np.arange(len(frame), dtype=np.int64),
            "metric": frame["metric"].astype(str).to_numpy(object),
            "key": frame["key"].astype(str).to_numpy(object),
            "unit": frame["unit"].astype(str).to_numpy(object),
            "value": frame["value"].to_numpy(float),
        }
    )


def _runs_frame(origin: Origin, ids: list[str], **columns: Any) -> pd.DataFrame:
    """Rows of ``runs`` for ``ids``: what ``origin`` says, and ``columns`` (lists, or one value
    for every row): kind, plan, name, status, objective, output, parent, cases, failed, error."""
    n = len(ids)

    def column(key: str) -> list[Any]:
        value = columns.get(key)
        return list(value) if isinstance(value, list) else [value] * n

    return pd.DataFrame(
        {
            "run_id": ids,
            "parent_id": column("parent"),
            "kind": column("kind"),
            "plan": [bool(v) for v in column("plan")],
            "name": column("name"),
            "job_name": origin.job_name,
            "job_path": origin.job_path,
            "time_utc": pd.Timestamp(origin.time_utc),
            "inputs_sha256": origin.inputs_sha256,
            "job_sha256": origin.job_sha256,
            "oreflow_version": origin.version,
            "source_hash": origin.source_hash,
            "status": column("status"),
            "objective_usd": pd.array(column("objective"), dtype="Float64"),
            "cases": pd.array(column("cases"), dtype="Int64"),
            "failed": pd.array(column("failed"), dtype="Int64"),
            "error": column("error"),
            "output_path": column("output"),
        },
        index=range(n),
    )


def _inputs_frame(origin: Origin, ids: list[str]) -> pd.DataFrame:
    files = sorted(origin.inputs)
    return pd.DataFrame(
        {
            "run_id": np.repeat(np.asarray(ids, dtype=object), len(files)),
            "file": np.tile(np.asarray(files, dtype=object), len(ids)),
            "sha256": np.tile(np.asarray([origin.inputs[f] for f in files], dtype=object), len(ids)),
        }
    )


def source_of(source: Any) -> tuple[Any, str, str | None, Any]:
    """(job, run name, job file path, job as read) of a RunSpec or a JobFile."""
    if hasattr(source, "job_path"):  # oreflow.runs.RunSpec
        return source.job, source.name, source.job_path, (source.job_dump or {}).get("as_read")
    return source.job, source.name, str(source.path), source.raw


def origin_of(name: str, job_path: str | None, raw: Any, network: Network | None, plan: bool) -> Origin:
    inputs = dict(network.file_hashes) if network is not None else {}
    if plan and network is not None:
        from oreflow.plan_cases import plan_hashes

        inputs.update(plan_hashes(network))
    job_sha = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest() if raw else None
    return Origin(
        job_name=name,
        job_path=job_path,
        job_sha256=job_sha,
        inputs=inputs,
        version=oreflow_version(),
        source_hash=_source_hash(),
        time_utc=datetime.now(UTC).replace(tzinfo=None),
        plan=plan,
    )


def oreflow_version() -> str:
    """oreflow's version: the installed package's, else the source tree's ``__version__``."""
    from importlib import metadata

    try:
        return metadata.version("oreflow")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree not installed
        import oreflow

        return str(getattr(oreflow, "__version__", "unknown"))


def _source_hash() -> str | None:
    """A hash of oreflow's own code (about 3 ms; the one sweeps use to resume)."""
    try:
        from oreflow.sweep.engine import source_hash

        return source_hash()
    except (OSError, ImportError, AssertionError):  # pragma: no cover
        return None


def new_id() -> str:
    """A new run id: 10 characters of Crockford's base 32 (50 random bits), e.g. ``k3v9q0c2xh``."""
    bits = secrets.randbits(5 * _ID_LENGTH)
    return "".join(_ID_ALPHABET[(bits >> (5 * i)) & 31] for i in range(_ID_LENGTH))
