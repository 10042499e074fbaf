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
    return {
        "kind": RUN,
        "name": name,
        "status": result.status,
        "objective_usd": result.objective,
        "cost_breakdown_usd": result.cost_breakdown,
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
        },
    }


def _usd(value: float) -> str:
    return f"{value:,.0f} USD"


def summary_text(result: Result, name: str) -> str:
    """A short summary for people: objective, cost breakdown, binding constraints in words."""
    lines = [f"oreflow run {name!r}: {result.status}, total cost {_usd(result.objective)} per year"]
    lines.append("Cost breakdown (USD per year):")
    for key, value in result.cost_breakdown.items():
        if key != "total":
            lines.append(f"  {cost_label(key):<22}{value:>20,.0f}")
    lines.append(f"  {'total':<22}{result.cost_breakdown['total']:>20,.0f}")

    for spec in FAMILIES:
        table = result.shadow_prices.get(spec.name)
        if spec.summary != "resource" or table is None:
            continue
        table = table.loc[table["binding"] & (table["shadow_price"] != 0)].sort_values("shadow_price")
        if len(table):
            lines.append(spec.binding_title)
            for element, rhs, shadow in zip(table[spec.keys[0]], table["rhs"], table["shadow_price"]):
                lines.append(f"  {element:<28}{rhs:>12,.0f} t/yr  saves {-shadow:>10,.0f} USD/t")
    lines += _policy_lines(result)
    lines += _range_lines(result)
    for spec in FAMILIES:
        prices = result.shadow_prices.get(spec.name)
        if spec.summary == "grid" and prices is not None and len(prices):
            lines.append(spec.binding_title)
            columns, index = spec.keys  # e.g. market across, product down
            grid = prices.pivot(index=index, columns=columns, values="shadow_price")
            grid = grid.reindex(index=list(pd.unique(prices[index])), columns=list(pd.unique(prices[columns])))
            table = grid.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}").to_string()
            lines += ["  " + line for line in table.splitlines()]
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
    lines = []
    for row in rows.itertuples(index=False):
        spec = FAMILIES_BY_NAME[row.family]
        unit, price_unit = spec.rhs_unit, spec.price_unit_short
        notes = _range_notes(row, coupled)
        lines.append(
            f"  the {row.family.replace('_', ' ')} shadow price of {row.key} ({_amount(row.shadow_price)} "
            f"{price_unit}) holds {_interval(row.rhs_lower, row.rhs_upper, unit)}"
            + (f" ({'; '.join(notes)})" if notes else "")
        )
    return ["Where the binding prices hold (range of the right-hand side):"] + lines if lines else []


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
        for row in table.loc[table["binding"] & (table["shadow_price"] != 0)].to_dict(orient="records"):
            label, meaning, value = spec.explain(row)
            lines.append(f"  {label}: {meaning} {value:,.0f} USD")
    return ["Binding policies:"] + lines if lines else []
