"""``oreflow runs list|show|compare|sql``: read the store of every run (docs/store.md).

The store is ``runs.duckdb`` beside the job's output folders (``outputs/runs.duckdb`` for the
shipped jobs), or the one ``--store`` names (a store file, or a job file: its store). Reading
opens it read-only; nothing here writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oreflow.commands.shared import Command
from oreflow.errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: The store read when --store is not given (the shipped jobs' outputs/ folder).
DEFAULT_STORE = Path("outputs") / "runs.duckdb"
ACTIONS = ("list", "show", "compare", "sql")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The action, its arguments (ids or a query) and the options."""
    parser.description = (
        "Read the store of every run (runs.duckdb beside the job's output folders; docs/store.md). "
        "list: the newest runs, a batch before its cases; show ID: one run (its cases, costs, prices, "
        "points); compare ID ID...: their figures side by side against the first, as comparison.csv "
        "(metric, key, unit, value, base, delta); sql QUERY: any read-only query on the store's tables "
        "(runs, inputs, costs, market, shadow_prices, figures, points, point_values)."
    )
    parser.add_argument("action", help="list, show, compare or sql")
    parser.add_argument("args", nargs="*", help="run ids (show, compare) or the SQL query (sql)")
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help=f"the store (default {DEFAULT_STORE}), or a job file (.toml) to read its store",
    )
    parser.add_argument("--job", default=None, help="list: only the runs of the job of this name")
    parser.add_argument("--limit", type=int, default=20, help="list: at most this many rows (0: all; default 20)")
    parser.add_argument("--metric", default=None, help="compare: only the figures of this metric (e.g. market_price)")
    parser.add_argument("--csv", action="store_true", help="print the table as CSV")


def handle(args: argparse.Namespace) -> int:
    """Open the store read-only and run the action; InputError for a bad action, id or query."""
    from oreflow import store

    action = args.action
    if action not in ACTIONS:
        raise _usage("action", action, f"one of {', '.join(ACTIONS)}")
    wanted = {"list": (0, 0), "show": (1, 1), "compare": (2, None), "sql": (1, 1)}[action]
    if len(args.args) < wanted[0] or (wanted[1] is not None and len(args.args) > wanted[1]):
        what = {
            "list": "no arguments (--job, --limit)",
            "show": "one run id",
            "compare": "two run ids or more (the first is the base)",
            "sql": 'one query, quoted: oreflow runs sql "SELECT ..."',
        }[action]
        raise _usage(action, " ".join(args.args) or None, what)
    con = store.open_store(store_of(args.store))
    try:
        if action == "list":
            _print(store.runs_list(con, args.job, args.limit), args.csv, "no runs recorded" + _of_job(args.job))
        elif action == "show":
            print(show_text(con, store.resolve_ids(con, args.args)[0]))
        elif action == "compare":
            table = store.compare(con, args.args)
            if args.metric is not None:
                table = table.loc[table["metric"] == args.metric]
            _print(table, args.csv, f"no figures of metric {args.metric!r}")
        else:
            _print(store.query(con, args.args[0]), args.csv, "(no rows)")
    finally:
        con.close()
    return 0


def store_of(given: Path | None) -> Path:
    """The store to read: ``given`` (a job file: the store its runs write), else the default."""
    if given is None:
        return DEFAULT_STORE
    if given.suffix == ".toml":
        from oreflow.job import load_job
        from oreflow.store import store_path

        job_file = load_job(given)
        path = store_path(job_file.job.store, job_file.path, job_file.output)
        if path is None:
            raise InputError(
                Problem(str(given), None, "store", "false", "a job whose runs are stored (store = false)", "store_off")
            )
        return path
    return given


def show_text(con: Any, run_id: str) -> str:
    """One run in words and small tables: what it is, its cases, costs, market prices, points."""
    runs = con.execute("SELECT * FROM runs WHERE run_id = ? OR parent_id = ? ORDER BY seq", [run_id, run_id]).df()
    row = runs.loc[runs["run_id"] == run_id].iloc[0]
    objective = row["objective_usd"]
    kind = f"{row['kind']} of plans" if row["plan"] and row["kind"] != "plan" else row["kind"]
    lines = [
        f"run {run_id}: {kind} {row['name']!r} of job {row['job_name']!r}, {row['status']}",
        f"  time (UTC)   {row['time_utc']:%Y-%m-%d %H:%M:%S}",
        f"  job file     {row['job_path'] or '(a dataset folder, no job file)'}",
        f"  output       {row['output_path']}",
        f"  inputs       sha256 {row['inputs_sha256'] or '-'}",
        f"  oreflow      {row['oreflow_version']} (source {row['source_hash'] or '-'})",
    ]
    if objective == objective and objective is not None:  # not NaN
        unit = "USD, present value" if row["plan"] else "USD/yr"
        lines.append(f"  objective    {objective:,.0f} {unit}")
    if row["parent_id"] is not None and row["parent_id"] == row["parent_id"]:
        lines.append(f"  case of      {row['parent_id']}")
    if row["error"] is not None and row["error"] == row["error"]:
        lines.append(f"  error        {row['error']}")
    cases = runs.loc[runs["parent_id"] == run_id, ["run_id", "name", "kind", "status", "objective_usd"]]
    if len(cases):
        lines += ["", f"cases ({len(cases)}; oreflow runs compare {' '.join(cases['run_id'])}):", _table(cases)]
    costs = con.execute(
        "SELECT year, component, usd_per_year FROM costs WHERE run_id = ? ORDER BY year, rowid", [run_id]
    ).df()
    if len(costs):
        if costs["year"].isna().all():
            costs = costs.drop(columns="year")
        else:  # a plan: a column per year
            costs = costs.pivot_table(index="component", columns="year", values="usd_per_year", sort=False)
            costs = costs.reset_index().rename_axis(columns=None)
        lines += ["", "costs (USD per year):", _table(costs)]
    market = con.execute(
        "SELECT year, market, country, product, price_usd_per_t / 1000 AS price_usd_per_kg, quantity_t "
        "FROM market WHERE run_id = ? ORDER BY year, rowid",
        [run_id],
    ).df()
    if len(market):
        if market["year"].isna().all():
            market = market.drop(columns="year")
            lines += ["", "market:", _table(market)]
        else:  # a plan: the price in USD/kg, a column per year
            market = market.pivot_table(
                index=["market", "country", "product"], columns="year", values="price_usd_per_kg", sort=False
            )
            lines += ["", "market prices (USD/kg):", _table(market.reset_index().rename_axis(columns=None))]
    points = con.execute(
        "SELECT count(*) AS points, count(*) FILTER (WHERE status <> 'optimal') AS failed, "
        "min(objective_usd) AS min_objective_usd, max(objective_usd) AS max_objective_usd "
        "FROM points WHERE run_id = ?",
        [run_id],
    ).df()
    if int(points["points"].iloc[0]):
        lines += [
            "",
            "points (each point's numbers: SELECT * FROM point_values WHERE run_id = '" + run_id + "'):",
            _table(points),
        ]
    return "\n".join(lines)


def _print(table: pd.DataFrame, csv: bool, empty: str) -> None:
    if csv:
        table.to_csv(sys.stdout, index=False)
    elif not len(table):
        print(empty)
    else:
        print(_table(table))


def _table(table: pd.DataFrame) -> str:
    """A table for people: every row and column, large numbers with thousands separators."""
    import pandas as pd

    def number(value: float) -> str:
        if value != value:  # NaN
            return "-"
        return f"{value:,.0f}" if abs(value) >= 1e5 else f"{value:,.6g}"

    text = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    table = table.assign(**{c: table[c].where(table[c].notna(), "-") for c in text})
    return table.to_string(index=False, float_format=number, na_rep="-", max_colwidth=60)


def _of_job(job: str | None) -> str:
    return f" for job {job!r}" if job else ""


def _usage(column: str, value: str | None, expected: str) -> InputError:
    return InputError(Problem("oreflow runs", None, column, value, expected, "runs_usage"))


COMMAND = Command(
    "runs",
    "list, show, compare and query the store of every run (runs.duckdb)",
    add_arguments,
    handle,
    examples=(
        ("oreflow runs list", "the 20 newest runs in outputs/runs.duckdb (a batch before its cases)"),
        ("oreflow runs list --job scenarios_2024 --limit 0", "every run of the job scenarios_2024"),
        ("oreflow runs show k3v9q0c2xh", "one run: job, inputs, costs, market prices, its cases or points"),
        ("oreflow runs compare k3v9q0c2xh 7wq2m4d8ta", "figures side by side against the first (comparison.csv)"),
        (
            "oreflow runs sql \"SELECT run_id, market, price_usd_per_t FROM market WHERE product = 'NdPr'\"",
            "any read-only query on the store (its tables: docs/store.md)",
        ),
        ("oreflow runs list --store /tmp/x/runs.duckdb", "another store (or a job file: the store of its runs)"),
    ),
)
