"""Scenarios: named lists of changes applied to a base dataset, run and compared.

A change selects rows of one table and sets or scales a column, adds rows or removes
rows (:class:`oreflow.job.Change`). Every scenario of a job is applied and validated
before anything is solved: a change that names an unknown table or column, or selects
nothing, is an error naming the scenario and the change; so is a change that leaves a
table invalid (attributed to the last change to that table, or else to the scenario's
last change).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oreflow.errors import InputError, Problem, SolveError
from oreflow.job import Change, Scenario
from oreflow.model.checks import REFERENCES
from oreflow.model.conventions import price_key
from oreflow.model.families import FAMILIES
from oreflow.model.network import Network
from oreflow.model.reading import number_text
from oreflow.model.tables import NUMBER, NUMBER_LIMIT, TABLES, TABLES_BY_NAME, TableSpec
from oreflow.result import Result


@dataclass
class AppliedScenario:
    """A scenario's network with a record of what each change did."""

    scenario: Scenario
    network: Network
    log: list[dict[str, Any]] = field(default_factory=list)


def apply_scenario(base: Network, scenario: Scenario) -> AppliedScenario:
    """Apply ``scenario``'s changes in order to ``base``; validate the result.

    Raises InputError naming the scenario and the change for every problem found.
    """
    tables = {spec.name: getattr(base, spec.name) for spec in TABLES}  # _apply replaces, never mutates
    problems, log = _apply_changes(tables, scenario.changes, lambda number, change: _label(scenario, number, change))
    last_change = {scenario.changes[entry["change"] - 1].table: entry["change"] for entry in log}
    if problems:
        raise InputError(problems, heading=f"scenario {scenario.name!r} cannot be applied")
    try:
        network = Network.from_frames(**tables)
    except InputError as exc:
        raise InputError(
            [_attribute(p, scenario, last_change) for p in exc.problems],
            heading=f"scenario {scenario.name!r} leaves the dataset invalid",
            omitted=exc.omitted,
        ) from None
    network = dataclasses.replace(network, source=base.source, file_hashes=dict(base.file_hashes))
    return AppliedScenario(scenario, network, log)


def apply_all(base: Network, scenarios: list[Scenario]) -> list[AppliedScenario]:
    """Apply every scenario; all problems of all scenarios are reported together."""
    applied, problems = [], []
    omitted: Counter[str] = Counter()
    for scenario in scenarios:
        try:
            applied.append(apply_scenario(base, scenario))
        except InputError as exc:
            problems += exc.problems
            omitted.update(exc.omitted)
    if problems:
        raise InputError(problems, heading="invalid scenarios", omitted=omitted)
    return applied


def apply_changes(
    tables: dict[str, pd.DataFrame], changes: list[Change], label: str, specs: Mapping[str, TableSpec]
) -> list[Problem]:
    """Apply ``changes`` in order to ``tables`` (tables named by ``specs``; entries replaced,
    frames never mutated); the problems found, each naming ``label`` and the change."""
    problems, _ = _apply_changes(
        tables, changes, lambda number, change: f"{label}, change {number} ({change.describe()})", specs
    )
    return problems


def changed_network(base: Network, changes: list[Change], label: str) -> Network:
    """``base`` with ``changes`` applied in order, *not* validated (the caller checks what
    the changes can break: :mod:`oreflow.model.parameters`, or ``Network.from_frames``).

    Only the changed tables are copied. Raises InputError when a change names an unknown
    table or column, or selects nothing.
    """
    tables = {spec.name: getattr(base, spec.name) for spec in TABLES}
    where = (
        (lambda number, change: f"{label}, change {number} ({change.describe()})")
        if len(changes) > 1
        else (lambda number, change: f"{label} ({change.describe()})")
    )
    problems, _ = _apply_changes(tables, changes, where)
    if problems:
        raise InputError(problems, heading=f"{label} cannot be applied")
    return dataclasses.replace(base, **tables)


def _apply_changes(
    tables: dict[str, pd.DataFrame],
    changes: list[Change],
    label_of: Callable[[int, Change], str],
    specs: Mapping[str, TableSpec] = TABLES_BY_NAME,
) -> tuple[list[Problem], list[dict[str, Any]]]:
    """Apply ``changes`` in order to ``tables`` (entries replaced, frames never mutated):
    (every problem, labelled by ``label_of(number, change)``; a log entry per change applied).
    ``specs`` are the tables a change may name (default: the dataset's)."""
    problems: list[Problem] = []
    log: list[dict[str, Any]] = []
    for number, change in enumerate(changes, start=1):
        found, rows = _apply(tables, change, label_of(number, change), specs)
        problems += found
        if not found:
            entry: dict[str, Any] = {
                "change": number,
                "action": change.action,
                "description": change.describe(),
                "rows": rows,
            }
            if change.action == "add":
                entry["added"] = [dict(row) for row in change.rows]
            log.append(entry)
    return problems, log


def _label(scenario: Scenario, number: int, change: Change) -> str:
    return f"scenario {scenario.name!r}, change {number} ({change.describe()})"


def _apply(
    tables: dict[str, pd.DataFrame], change: Change, label: str, specs: Mapping[str, TableSpec] = TABLES_BY_NAME
) -> tuple[list[Problem], int]:
    """Apply one change in place; (problems, number of rows it touched)."""
    spec = specs.get(change.table)
    if spec is None:
        known = ", ".join(specs)
        return [Problem(label, None, "table", change.table, f"one of the tables {known}", "scenario_table")], 0
    frame = tables[change.table]
    columns = [c.name for c in spec.columns]
    unknown = [c for c in list(change.where) + ([change.column] if change.column else []) if c not in columns]
    for row in change.rows:
        unknown += [c for c in row if c not in columns]
    if unknown:
        return [
            Problem(label, None, "column", name, f"a column of {spec.file} ({', '.join(columns)})", "scenario_column")
            for name in dict.fromkeys(unknown)
        ], 0
    if change.action == "add":
        added = pd.DataFrame([{c: row.get(c, "") for c in columns} for row in change.rows])
        tables[change.table] = pd.concat([frame, added], ignore_index=True) if len(frame) else added
        return [], len(added)
    mask = np.ones(len(frame), dtype=bool)
    kinds = {c.name: c.kind for c in spec.columns}
    for column, wanted in change.where.items():
        values = list(wanted) if isinstance(wanted, list) else [wanted]
        if kinds[column] == NUMBER:
            try:
                numbers = [float(v) for v in values]
            except ValueError:
                return [
                    Problem(label, None, "where", str(change.where), f"numbers to select {column} by", "scenario_value")
                ], 0
            mask &= frame[column].astype(float).isin(numbers).to_numpy()
        else:
            mask &= frame[column].astype(str).isin([str(v) for v in values]).to_numpy()
    if not mask.any():
        return [
            Problem(
                label,
                None,
                "where",
                str(change.where),
                f"a selection that matches rows of {spec.file}",
                "scenario_selects_nothing",
            )
        ], 0
    if change.action == "remove":
        tables[change.table] = frame.loc[~mask].reset_index(drop=True)
        return [], int(mask.sum())
    kind = next(c.kind for c in spec.columns if c.name == change.column)
    frame = frame.copy()
    if change.action == "scale":
        if kind != NUMBER:
            return [Problem(label, None, "column", change.column, "a number column to scale", "scenario_column")], 0
        current = frame.loc[mask, change.column].astype(float)
        # x 0 closes a capacity or supply even where it is inf (inf * 0 would be NaN)
        scaled = current * change.factor
        if change.factor != 0 and (np.isfinite(current) & ~np.isfinite(scaled)).any():
            # overflow to inf: not the inf a column may allow (no limit), nor a number it may hold
            return [
                Problem(
                    label,
                    None,
                    "factor",
                    f"{change.factor:g}",
                    f"a factor that keeps {change.column} a number below {number_text(NUMBER_LIMIT)}",
                    "scenario_value",
                )
            ], 0
        frame.loc[mask, change.column] = 0.0 if change.factor == 0 else scaled
    else:
        value: Any = change.value
        optional = next(c.optional for c in spec.columns if c.name == change.column)
        if optional and value == "":  # blank an optional column: back to its default
            value = np.nan if kind == NUMBER else ""
        elif kind == NUMBER:
            try:
                value = float(value)
            except (TypeError, ValueError):
                return [Problem(label, None, "value", str(value), f"a number for {change.column}", "scenario_value")], 0
        else:
            value = str(value)
        frame[change.column] = frame[change.column].astype(object if kind != NUMBER else float)
        frame.loc[mask, change.column] = value
    tables[change.table] = frame
    return [], int(mask.sum())


def _attribute(problem: Problem, scenario: Scenario, last_change: dict[str, int]) -> Problem:
    """Name the change most likely to blame: the latest one to the problem's table or to a
    table it refers to (removing a refiner breaks routes that name it), else the last."""
    table = problem.file.split(".csv")[0]
    related = {table} | {
        target for source, column, target, _ in REFERENCES if source == table and column == problem.column
    }
    if problem.column == "product":
        related.add("composition")
    touched = [last_change[name] for name in related if name in last_change]
    number = max(touched) if touched else len(scenario.changes)
    where = f"scenario {scenario.name!r}, change {number} ({scenario.changes[number - 1].describe()})"
    return dataclasses.replace(problem, file=f"{table}.csv after {where}")


# ---------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One solved (or failed) case of a scenario batch."""

    name: str
    result: Result | None
    error: SolveError | None = None
    applied: AppliedScenario | None = None

    @property
    def status(self) -> str:
        """The solve's status (``optimal``, ``infeasible``, ...)."""
        return self.result.status if self.result is not None else (self.error.status if self.error else "error")


#: Metrics of the market table (``Result.market``) in a comparison: (metric, column, unit),
#: keyed ``market/product``.
MARKET_METRICS = (("market_price", "price_usd_per_t", "USD/t"), ("market_quantity", "quantity_t", "t"))


def metrics(result: Result) -> pd.DataFrame:
    """The figures a comparison shows, long format: metric, key, unit, value.

    Metrics: ``objective`` (total cost, less the willingness to pay with demand curves),
    ``cost`` by component, ore by origin country and feed by refining country, each
    family's ``compare_metric`` (shadow prices), ``unmet``, ``market_price`` (USD/t) and
    ``market_quantity`` (t) per ``market/product``, and ``welfare`` by component of
    ``Result.welfare`` (``welfare``, ``consumer_surplus``, ``total_cost``, ...; USD)."""
    parts = [pd.DataFrame({"metric": ["objective"], "key": ["total"], "unit": ["USD"], "value": [result.objective]})]
    breakdown = {k: v for k, v in result.cost_breakdown.items() if k != "total"}
    parts.append(
        pd.DataFrame({"metric": "cost", "key": list(breakdown), "unit": "USD", "value": list(breakdown.values())})
    )
    alloc = result.allocations
    for metric, by in (("ore_by_origin_country", "origin_country"), ("feed_by_refining_country", "refiner_country")):
        grouped = alloc.groupby(by, sort=True)["ore_t"].sum()
        parts.append(
            pd.DataFrame(
                {"metric": metric, "key": grouped.index.astype(str), "unit": "t REO", "value": grouped.to_numpy()}
            )
        )
    for spec in FAMILIES:
        table = result.shadow_prices.get(spec.name)
        if spec.compare_metric is None or table is None or not len(table):
            continue
        parts.append(
            pd.DataFrame(
                {
                    "metric": spec.compare_metric,
                    "key": price_key(table[list(spec.keys)], spec.name),
                    "unit": spec.price_unit_short,
                    "value": table["shadow_price"].to_numpy(),
                }
            )
        )
    unmet = result.unmet
    parts.append(
        pd.DataFrame(
            {"metric": "unmet", "key": unmet["market"] + "/" + unmet["product"], "unit": "t", "value": unmet["unmet_t"]}
        )
    )
    market = result.market
    if market is not None and len(market):
        key = market["market"].astype(str) + "/" + market["product"].astype(str)
        for metric, column, unit in MARKET_METRICS:
            parts.append(pd.DataFrame({"metric": metric, "key": key, "unit": unit, "value": market[column].to_numpy()}))
    if result.welfare:
        parts.append(
            pd.DataFrame(
                {
                    "metric": "welfare",
                    "key": list(result.welfare),
                    "unit": "USD",
                    "value": list(result.welfare.values()),
                }
            )
        )
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def comparison(outcomes: list[Any], figures: Callable[[Any], pd.DataFrame] = metrics) -> pd.DataFrame:
    """Long table: scenario, status, metric, key, unit, value, base, delta (value - base).

    The base case is the first outcome; ``figures`` reads an outcome's result in the long
    format of :func:`metrics` (a plan's: :func:`oreflow.plan_batch.plan_metrics`). A metric
    missing on one side (a quota only in the scenario, a failed solve) has NaN there and in
    ``delta``.
    """
    base = outcomes[0]
    base_metrics = figures(base.result) if base.result is not None else None
    frames = []
    for outcome in outcomes:
        if outcome.result is not None:
            frame = figures(outcome.result)
        elif base_metrics is not None:
            frame = base_metrics.assign(value=math.nan)
        else:
            continue
        if base_metrics is not None:
            frame = frame.merge(
                base_metrics.rename(columns={"value": "base"}), on=["metric", "key", "unit"], how="outer", sort=False
            )
        else:
            frame = frame.assign(base=math.nan)
        frame["delta"] = frame["value"] - frame["base"]
        frame.insert(0, "status", outcome.status)
        frame.insert(0, "scenario", outcome.name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
