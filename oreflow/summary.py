"""What a run reports: ``summary.json`` content and the short readable summary printed."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from oreflow.manifest import RUN
from oreflow.model.conventions import join_keys
from oreflow.model.families import FAMILIES, FAMILIES_BY_NAME, cost_label
from oreflow.model.ranging import RHS_COLUMNS
from oreflow.model.solution import SHADOW_VALUE_COLUMNS
from oreflow.prices import (
    FRAGILE,
    FRAGILE_MEANING,
    WELFARE_LABELS,
    change_text,
    flags,
    fragile,
    has_curves,
    kg_amount,
    objective_meaning,
    per_kg,
    tonnes_amount,
)
from oreflow.result import Result, largest_price_first

#: At most this many range lines per family in the printed summary (largest |price| first),
#: so that every family with a binding price is shown.
RANGE_LINES_PER_FAMILY = 3


def versions(backend: str) -> dict[str, str]:
    """Versions of oreflow, Python and the packages a run used."""
    names = ["oreflow", "numpy", "pandas", "scipy", "highspy"] + (["pyomo"] if backend == "pyomo" else [])
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def summary_dict(result: Result, *, name: str, job: dict[str, Any] | None, job_path: str | None) -> dict[str, Any]:
    """The content of summary.json."""
    network = result.network
    binding = result.binding()
    if len(binding):
        binding = binding.assign(fragile=_binding_fragile(result, binding))
    return {
        "kind": RUN,
        "name": name,
        "status": result.status,
        "objective_usd": result.objective,
        "objective_is": objective_meaning(has_curves(result.market)),
        "cost_breakdown_usd": result.cost_breakdown,
        "welfare_usd": dict(result.welfare),
        "market": market_records(result.market),
        "backend": result.backend,
        "solver": result.solver,
        "dual_method": result.dual_method,
        "iterations": result.iterations,
        "size": {
            "variables": result.lp.n_cols if result.lp is not None else None,
            "constraints": result.lp.n_rows if result.lp is not None else None,
            "nonzeros": int(result.lp.matrix.nnz) if result.lp is not None else None,
        },
        "timings_s": result.timings,
        "versions": versions(result.backend),
        "dataset": str(network.source) if network is not None and network.source else None,
        "input_sha256": dict(network.file_hashes) if network is not None else {},
        "job_file": job_path,
        "job": job,
        "binding_constraints": binding.to_dict(orient="records"),
        "ranging": {
            "note": result.ranging_note,
            "binding_priced": priced_ranges(result).drop(columns="binding").to_dict(orient="records"),
        },
        "dual_trust": result.dual_trust.as_dict() if result.dual_trust is not None else None,
        "units": {
            "flows": "t per year (ore: t REO; products: t of separated oxide)",
            "costs": "USD per year",
            "shadow_price": "USD per unit of right-hand side (USD/t); change of optimal total cost "
            "per one-unit increase of the right-hand side",
            "market_price": "USD/t (price_usd_per_t, as market.csv) and USD/kg (price_usd_per_kg)",
            "fragile": FRAGILE_MEANING,
        },
    }


def market_records(market: pd.DataFrame) -> list[dict[str, Any]]:
    """The market table as summary.json records: every column of market.csv (NaN as null,
    the flags as true/false) and the price in USD/kg."""
    if market is None or market.empty:
        return []
    records = []
    flagged = {name: flags(market[name]) for name in ("curve", "fragile", "surplus") if name in market}
    for i, row in enumerate(market.to_dict(orient="records")):
        entry: dict[str, Any] = {}
        for key, value in row.items():
            if key in flagged:
                entry[key] = bool(flagged[key][i])
            elif isinstance(value, float) and np.isnan(value):
                entry[key] = None
            else:
                entry[key] = value
            if key == "price_usd_per_t":
                entry["price_usd_per_kg"] = per_kg(value)
        records.append(entry)
    return records


def _binding_fragile(result: Result, binding: pd.DataFrame) -> list[bool]:
    """Whether each row of ``result.binding()`` has a fragile price."""
    found: dict[tuple[str, str], bool] = {}
    for family, frame in result.shadow_prices.items():
        if not len(frame):
            continue
        keys = [c for c in frame.columns if c not in SHADOW_VALUE_COLUMNS]
        found.update(zip(((family, k) for k in join_keys(frame[keys])), fragile(frame).tolist()))
    return [found.get((f, k), False) for f, k in zip(binding["family"], binding["key"])]


def _whole(value: float) -> str:
    """``1,234,567``; a value that rounds to zero as ``0`` (never ``-0``)."""
    text = f"{value:,.0f}"
    return "0" if text == "-0" else text


def _usd(value: float) -> str:
    return f"{value:,.0f} USD"


def summary_text(result: Result, name: str) -> str:
    """A short summary for people: objective, cost breakdown, binding constraints in words."""
    curves = has_curves(result.market)
    lines = [f"oreflow run {name!r}: {result.status}, {objective_meaning(curves)} {_usd(result.objective)} per year"]
    lines.append("Cost breakdown (USD per year):")
    width = max([22] + [len(cost_label(key)) + 2 for key in result.cost_breakdown])
    for key, value in result.cost_breakdown.items():
        if key != "total":
            lines.append(f"  {cost_label(key):<{width}}{_whole(value):>20}")
    lines.append(f"  {'total':<{width}}{_whole(result.cost_breakdown['total']):>20}")
    if curves:
        lines += _welfare_lines(result.welfare)

    for spec in FAMILIES:
        table = result.shadow_prices.get(spec.name)
        if spec.summary != "resource" or table is None:
            continue
        table = table.loc[table["binding"] & (table["shadow_price"] != 0)].sort_values("shadow_price")
        if len(table):
            lines.append(spec.binding_title)
            marks = fragile(table)
            for element, rhs, shadow, weak in zip(table[spec.keys[0]], table["rhs"], table["shadow_price"], marks):
                lines.append(
                    f"  {element:<28}{rhs:>12,.0f} t/yr  saves {-shadow:>10,.0f} USD/t"
                    + (f"  {FRAGILE}" if weak else "")
                )
    lines += _policy_lines(result)
    lines += _range_lines(result)
    for spec in FAMILIES:
        prices = result.shadow_prices.get(spec.name)
        if spec.summary == "grid" and prices is not None and len(prices):
            lines += _grid_lines(spec.binding_title, spec.keys, prices)
    lines += market_lines(result.market)
    if _any_fragile(result):
        lines.append(FRAGILE_MEANING)
    unmet = result.unmet.loc[result.unmet["unmet_t"] > 0]
    if len(unmet):
        lines.append("Unmet demand:")
        for row in unmet.itertuples(index=False):
            lines.append(f"  {row.product} in {row.market}: {row.unmet_t:,.1f} t of {row.demand_t:,.1f} t")
    else:
        lines.append("All demand met.")
    lines.append(f"Duals from: {result.dual_method}; solver: {result.solver}")
    if result.dual_trust is not None:
        lines.append(result.dual_trust.summary_line())
    return "\n".join(lines)


def _grid_lines(title: str, keys: tuple[str, ...], prices: pd.DataFrame) -> list[str]:
    """The demand prices as a grid (the family's two keys across and down), a fragile price
    marked ``*`` and explained under the grid."""
    columns, index = keys  # e.g. market across, product down
    marks = fragile(prices)
    text = ["" if pd.isna(v) else f"{v:,.0f}" + ("*" if weak else "") for v, weak in zip(prices["shadow_price"], marks)]
    grid = prices.assign(_text=text).pivot(index=index, columns=columns, values="_text")
    grid = grid.reindex(index=list(pd.unique(prices[index])), columns=list(pd.unique(prices[columns])))
    lines = [title] + ["  " + line for line in grid.fillna("").to_string().splitlines()]
    if marks.any():
        lines.append(f"  * {FRAGILE}")
    return lines


#: Width of the market column in the Market section.
MARKET_WIDTH = 8


def market_lines(market: pd.DataFrame) -> list[str]:
    """The Market section: for each product a line per market with the delivered price in
    USD/kg, the quantity and, where the row has a demand curve, its change from the
    reference demand; a fragile price says so, and a co-product in surplus (its price is
    freight only) carries the market table's note instead of passing for a market price."""
    if market is None or market.empty:
        return []
    lines = ["Market (delivered price in USD/kg, quantity in t per year; market.csv has USD/t):"]
    marks, surplus = fragile(market), flags(market["surplus"]) if "surplus" in market else np.zeros(len(market), bool)
    frame = market.assign(_fragile=marks, _surplus=surplus)
    for product, rows in frame.groupby("product", sort=False):
        notes = set(rows["note"].fillna("").astype(str)) if "note" in rows else set()
        shared = next(iter(notes)) if len(notes) == 1 and rows["_surplus"].all() else ""
        lines.append(f"  {shared or product}")
        for row in rows.to_dict(orient="records"):
            tail = []
            if row["_surplus"]:
                tail.append("freight only" if shared else str(row.get("note") or "supply exceeds demand"))
            if row["_fragile"]:
                tail.append(FRAGILE)
            change = change_text(row)
            if change:
                tail.append(change)
            lines.append(
                f"    {str(row['market']):<{MARKET_WIDTH}}{kg_amount(row['price_usd_per_t']):>12} USD/kg"
                f"{tonnes_amount(float(row['quantity_t'])):>14}" + (f"  {'; '.join(tail)}" if tail else "")
            )
    return lines


def _welfare_lines(welfare: dict[str, float]) -> list[str]:
    """The welfare block (demand curves): WTP, total cost, welfare, consumer surplus, rents."""
    lines = ["Welfare (USD per year):"]
    for key, label in WELFARE_LABELS.items():
        if key in welfare:
            lines.append(f"  {label:<36}{_whole(welfare[key]):>20}")
    return lines


def _any_fragile(result: Result) -> bool:
    """Whether a line of the summary marks a fragile price (a binding priced row, or a market row)."""
    for frame in result.shadow_prices.values():
        if len(frame) and (fragile(frame) & frame["binding"].to_numpy(bool) & (frame["shadow_price"] != 0)).any():
            return True
    return bool(fragile(result.market).any()) if result.market is not None else False


def priced_ranges(result: Result, families: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Rows of ``result.ranging["rhs"]`` that bind with a non-zero price (of ``families``
    if given), largest |price| first; empty without ranging."""
    rhs = result.ranging.get("rhs")
    if rhs is None:
        return pd.DataFrame(columns=list(RHS_COLUMNS))
    rows = rhs.loc[rhs["binding"] & (rhs["shadow_price"] != 0)]
    if families is not None:
        rows = rows.loc[rows["family"].isin(families)]
    return largest_price_first(rows)


def _range_lines(result: Result) -> list[str]:
    """Over which right-hand side each binding price holds, in words (the largest prices of
    each family, at most RANGE_LINES_PER_FAMILY each; every row is in ranging_rhs.csv)."""
    if not result.ranging:
        return [f"Ranging: {result.ranging_note}"]
    ranged = [spec.name for spec in FAMILIES if spec.ranged]
    rows = priced_ranges(result, tuple(ranged))
    rows = rows.groupby("family", sort=False).head(RANGE_LINES_PER_FAMILY)
    rows = rows.iloc[rows["family"].map(ranged.index).argsort(kind="stable")]
    coupled = _coupled_rows(result)
    weak = _fragile_keys(result)
    lines = []
    for row in rows.itertuples(index=False):
        spec = FAMILIES_BY_NAME[row.family]
        unit, price_unit = spec.rhs_unit, spec.price_unit_short
        notes = ([FRAGILE] if (row.family, row.key) in weak else []) + _range_notes(row, coupled)
        lines.append(
            f"  the {row.family.replace('_', ' ')} shadow price of {row.key} ({_amount(row.shadow_price)} "
            f"{price_unit}) holds {_interval(row.rhs_lower, row.rhs_upper, unit)}"
            + (f" ({'; '.join(notes)})" if notes else "")
        )
    return ["Where the binding prices hold (range of the right-hand side):"] + lines if lines else []


def _fragile_keys(result: Result) -> set[tuple[str, str]]:
    """(family, key) of every fragile price, keys as in ranging_rhs.csv (every key column joined by "/")."""
    found: set[tuple[str, str]] = set()
    for family, frame in result.shadow_prices.items():
        marks = fragile(frame)
        if marks.any():
            keys = [c for c in frame.columns if c not in SHADOW_VALUE_COLUMNS]
            found.update((family, key) for key in join_keys(frame.loc[marks, keys]))
    return found


def _coupled_rows(result: Result) -> dict[tuple[str, str], str]:
    """(family, key) -> caveat, for each row whose reported price also moves other rows'
    right-hand sides (the registry's ``price_terms``: a demand row and its share limits):
    its range is that of the row alone."""
    lp, found = result.lp, {}
    for spec in FAMILIES:
        if lp is None or spec.price_terms is None:
            continue
        keys = join_keys(lp.rows[spec.name].index).to_numpy(dtype=object)
        for term in spec.price_terms(lp):
            note = f"the {spec.name.replace('_', ' ')} row alone, its {FAMILIES_BY_NAME[term.family].title} held fixed"
            found.update({(spec.name, key): note for key in keys[np.unique(term.target[term.target >= 0])]})
    return found


def _range_notes(row: Any, coupled: dict[tuple[str, str], str]) -> list[str]:
    """Caveats of one range line: a finite end past which the price may still hold, and a
    row whose price moves other rows' right-hand sides, which the range holds fixed."""
    beyond = (np.isfinite(row.rhs_lower) and not row.price_changes_at_lower) or (
        np.isfinite(row.rhs_upper) and not row.price_changes_at_upper
    )
    notes = ["and may hold beyond"] if beyond else []
    if (row.family, row.key) in coupled:
        notes.append(coupled[(row.family, row.key)])
    return notes


def _amount(value: float) -> str:
    """A number for people: thousands separators, no decimals from 100 on, 4 digits below."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def _interval(lower: float, upper: float, unit: str) -> str:
    """``from 18,200 t to 31,000 t``; an unlimited end as ``upwards`` / ``up to``."""

    def show(value: float) -> str:
        return f"{_amount(value)}%" if unit == "%" else f"{_amount(value)} {unit}"

    if np.isinf(lower) and np.isinf(upper):
        return "for any right-hand side"
    if np.isinf(upper):
        return f"from {show(lower)} upwards"
    if np.isinf(lower):
        return f"up to {show(upper)}"
    return f"from {show(lower)} to {show(upper)}"


def _policy_lines(result: Result) -> list[str]:
    """Binding policies with a price, in words (each family's ``explain`` in the registry)."""
    lines: list[str] = []
    for spec in FAMILIES:
        table = result.shadow_prices.get(spec.name)
        if spec.summary != "policy" or table is None:
            continue
        priced = table.loc[table["binding"] & (table["shadow_price"] != 0)]
        for row, weak in zip(priced.to_dict(orient="records"), fragile(priced)):
            label, meaning, value = spec.explain(row)
            lines.append(f"  {label}: {meaning} {value:,.0f} USD" + (f" ({FRAGILE})" if weak else ""))
    return ["Binding policies:"] + lines if lines else []
