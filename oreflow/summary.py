"""What a run reports: ``summary.json`` content and the short readable summary printed."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

import pandas as pd

from oreflow.result import Result

COST_LABELS = {
    "mining": "mining",
    "ore_freight": "ore freight",
    "processing": "processing",
    "product_freight": "product freight",
    "unmet_penalty": "unmet-demand penalty",
    "tariffs": "tariffs",
    "total": "total",
}


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
            lines.append(f"  {COST_LABELS.get(key, key):<22}{value:>20,.0f}")
    lines.append(f"  {'total':<22}{result.cost_breakdown['total']:>20,.0f}")

    for family, key, title, unit in (
        ("capacity", "refiner", "Binding refining capacity (one more tonne of feed capacity would save):", "t/yr"),
        ("supply", "origin", "Binding ore supply (one more tonne of ore would save):", "t/yr"),
    ):
        table = result.shadow_prices[family]
        table = table.loc[table["binding"] & (table["shadow_price"] != 0)].sort_values("shadow_price")
        if len(table):
            lines.append(title)
            for name, rhs, shadow in zip(table[key], table["rhs"], table["shadow_price"]):
                lines.append(f"  {name:<28}{rhs:>12,.0f} {unit}  saves {-shadow:>10,.0f} USD/t")
    lines += _policy_lines(result)
    demand = result.shadow_prices["demand"]
    if len(demand):
        lines.append("Marginal delivered cost of one more tonne demanded (demand shadow price, USD/t):")
        grid = demand.pivot(index="product", columns="market", values="shadow_price")
        grid = grid.reindex(index=[p for p in pd.unique(demand["product"])], columns=list(pd.unique(demand["market"])))
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
    return "\n".join(lines)


def _policy_lines(result: Result) -> list[str]:
    """Binding policies with a price, in words."""
    lines: list[str] = []
    quota = result.shadow_prices["quota"]
    quota = quota.loc[quota["binding"] & (quota["shadow_price"] != 0)]
    for row in quota.itertuples(index=False):
        what = f"{row.kind} {row.country}" + (f" {row.product}" if row.product else "")
        lines.append(f"  quota {row.quota} ({what}, {row.rhs:,.0f} t/yr): one more tonne would save "
                     f"{-row.shadow_price:,.0f} USD")
    ban = result.shadow_prices["ban"]
    ban = ban.loc[ban["shadow_price"] != 0]
    for row in ban.itertuples(index=False):
        what = f"{row.stage}" + (f" {row.product}" if row.product else "")
        lines.append(f"  ban {row.from_country} -> {row.to_country} ({what}): the first tonne allowed would save "
                     f"{-row.shadow_price:,.0f} USD")
    share = result.shadow_prices["share_limit"]
    share = share.loc[share["binding"] & (share["shadow_price"] != 0)]
    for row in share.itertuples(index=False):
        sign = "at most" if row.bound == "max" else "at least"
        effect = (f"each further point of de-risking costs {-row.shadow_price:,.0f} USD" if row.bound == "max"
                  else f"each further point costs {row.shadow_price:,.0f} USD")
        lines.append(f"  share limit: {sign} {row.rhs:g}% of {row.market} {row.product} refined in {row.country}: "
                     f"{effect}")
    return ["Binding policies:"] + lines if lines else []
