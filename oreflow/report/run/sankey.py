"""Sankey flows origin → refiner → market, for all products (t) or one product at a time.

Links, one row each: ``stage`` (``ore``: origin → refiner, ``product``: refiner → market,
``unsold``: refiner → unsold surplus, ``lost``: refiner → lost in separation), ``source``,
``target``, ``t``. For all products the ore stage is t REO of ore; for one product it
is t of that product contained in the ore (``flows_by_product.csv``). What goes into a
refiner comes out of it: shipped + unsold + lost = feed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from oreflow.report.common import fmt
from oreflow.report.common.chart import PALETTE
from oreflow.report.common.data import TINY
from oreflow.report.run.data import RunData

UNSOLD = "unsold (surplus)"
LOST = "lost in separation"
ALL = "all products"


def _links(frame: pd.DataFrame, stage: str, source: str, target: str, value: str) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=["stage", "source", "target", "t"])
    grouped = frame.groupby([source, target], sort=False)[value].sum().reset_index()
    grouped.columns = ["source", "target", "t"]
    grouped.insert(0, "stage", stage)
    return grouped.loc[grouped["t"] > TINY]


def _sink(per_refiner: pd.Series, stage: str, target: str) -> pd.DataFrame:
    per_refiner = per_refiner.loc[per_refiner > TINY]
    return pd.DataFrame(
        {"stage": stage, "source": per_refiner.index.astype(str), "target": target, "t": per_refiner.to_numpy(float)}
    )


def _once(run: RunData, key: Any, build: Callable[[], Any]) -> Any:
    """``build()``, kept in the run's cache: every view and chart asks again."""
    if key not in run.cache:
        run.cache[key] = build()
    return run.cache[key]


def links(run: RunData, product: str | None = None) -> pd.DataFrame:
    """The Sankey's links for all products (``product=None``) or one product."""
    return _once(run, ("sankey", product), lambda: _build(run, product))


def _build(run: RunData, product: str | None) -> pd.DataFrame:
    ship, prod = run.table("shipments"), run.table("production")
    flows = run.table("flows_by_product")
    if product is None:
        ore = _links(run.table("allocations"), "ore", "origin", "refiner", "ore_t")
        feed = run.table("refinery").set_index("refiner")["throughput_t"]
    else:
        ship, prod = ship.loc[ship["product"] == product], prod.loc[prod["product"] == product]
        flows = flows.loc[flows["product"] == product] if not flows.empty else flows
        ore = _links(flows, "ore", "origin", "refiner", "contained_t")
        feed = flows.groupby("refiner", sort=False)["contained_t"].sum() if not flows.empty else None
    parts = [
        ore,
        _links(ship, "product", "refiner", "market", "shipped_t"),
        _sink(prod.groupby("refiner", sort=False)["unsold_t"].sum(), "unsold", UNSOLD),
    ]
    if feed is not None:
        produced = prod.groupby("refiner", sort=False)["produced_t"].sum()
        lost = (feed - produced.reindex(feed.index).fillna(0.0)).clip(lower=0.0)
        parts.append(_sink(lost.loc[feed > TINY], "lost", LOST))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["stage", "source", "target", "t"])


def refiner_colors(run: RunData) -> dict[str, str]:
    """One colour per refining country, the same in every chart and view."""
    return _once(run, "refiner_colors", lambda: _refiner_colors(run))


def _refiner_colors(run: RunData) -> dict[str, str]:
    refinery = run.table("refinery")
    countries = list(dict.fromkeys(refinery.get("country", pd.Series(dtype=str)).astype(str)))
    by_country = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(countries)}
    return {str(r): by_country[str(c)] for r, c in zip(refinery.get("refiner", []), refinery.get("country", []))}


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def trace(run: RunData, product: str | None, visible: bool) -> dict[str, Any]:
    """A plotly Sankey trace (a plain dict) of one view."""
    table = links(run, product)
    colours = refiner_colors(run)
    countries = _countries(run)
    is_ore = table.stage == "ore"
    used = set(table.loc[is_ore, "target"]) | set(table.loc[~is_ore, "source"])
    refiners = [r for r in colours if r in used] + sorted(used - set(colours))
    sinks = [s for s in (UNSOLD, LOST) if s in set(table["target"])]
    nodes = [("origin", n) for n in dict.fromkeys(table.loc[is_ore, "source"])] + [("refiner", n) for n in refiners]
    nodes += [("market", n) for n in dict.fromkeys(table.loc[table.stage == "product", "target"])]
    nodes += [("sink", n) for n in sinks]
    index = {(kind, name): i for i, (kind, name) in enumerate(nodes)}
    kind_of = {
        "ore": ("origin", "refiner"),
        "product": ("refiner", "market"),
        "unsold": ("refiner", "sink"),
        "lost": ("refiner", "sink"),
    }
    unit = "t REO" if product is None else f"t {product} (contained in the ore)"
    link_unit = {
        "ore": unit,
        "product": f"t {product or 'product'}",
        "unsold": f"t {product or 'product'}",
        "lost": f"t {product or 'REO'}",
    }
    node_colour = {"origin": "#5d6d7e", "market": "#1e8449", "sink": "#aab7b8"}
    return {
        "type": "sankey",
        "name": product or ALL,
        "visible": visible,
        "arrangement": "snap",
        "valueformat": ",.0f",
        "valuesuffix": " t",
        "node": {
            "label": [name for _, name in nodes],
            "customdata": [
                f"{kind}: {fmt.country(countries.get(name, '')) if kind != 'sink' else name}" for kind, name in nodes
            ],
            "color": [colours.get(name, "#2e86c1") if kind == "refiner" else node_colour[kind] for kind, name in nodes],
            "hovertemplate": "%{label}<br>%{customdata}<br>through it: %{value:,.0f} t<extra></extra>",
            "pad": 12,
            "thickness": 16,
        },
        "link": {
            "source": [index[(kind_of[s][0], a)] for s, a in zip(table.stage, table.source)],
            "target": [index[(kind_of[s][1], b)] for s, b in zip(table.stage, table.target)],
            "value": [float(v) for v in table.t],
            "customdata": [link_unit[s] for s in table.stage],
            "color": [
                _rgba(colours.get(t if s == "ore" else a, "#2e86c1"), 0.35)
                if s in ("ore", "product")
                else "rgba(170,183,184,0.45)"
                for s, a, t in zip(table.stage, table.source, table.target)
            ],
            "hovertemplate": "%{source.label} → %{target.label}<br>%{value:,.1f} %{customdata}<extra></extra>",
        },
    }


def _countries(run: RunData) -> dict[str, str]:
    """The country of each origin and refiner (a market is its own), for every view."""
    return _once(run, "countries", lambda: _find_countries(run))


def _find_countries(run: RunData) -> dict[str, str]:
    alloc = run.table("allocations")
    out = dict(zip(alloc.get("origin", []), alloc.get("origin_country", [])))
    out.update(zip(run.table("refinery").get("refiner", []), run.table("refinery").get("country", [])))
    for market in run.table("unmet").get("market", []):
        out.setdefault(market, market)
    return {str(k): str(v) for k, v in out.items()}


def caption(run: RunData, product: str | None) -> str:
    """One line stating what the view shows, with numbers."""
    table = links(run, product)
    ore, shipped = table.loc[table.stage == "ore"], table.loc[table.stage == "product"]
    if shipped.empty and ore.empty:
        return f"No {product or 'product'} flows in this run."
    country = _countries(run)
    by_country = shipped.assign(c=shipped.source.map(country)).groupby("c")["t"].sum().sort_values(ascending=False)
    top = shipped.sort_values("t", ascending=False).iloc[0] if len(shipped) else None
    parts = []
    if product is None:
        feed_c = ore.assign(c=ore.target.map(country)).groupby("c")["t"].sum().sort_values(ascending=False)
        parts.append(
            f"{fmt.num(ore.t.sum())} t of ore (REO) is refined, {fmt.pct(feed_c.iloc[0] / ore.t.sum())} "
            f"of it in {fmt.country(feed_c.index[0])}"
        )
        parts.append(f"{fmt.num(shipped.t.sum())} t of products reach {shipped.target.nunique()} markets")
    else:
        share = fmt.pct(by_country.iloc[0] / shipped.t.sum()) if len(shipped) else ""
        parts.append(
            f"{fmt.tonnes(shipped.t.sum())} of {product} is shipped, {share} of it refined in "
            f"{fmt.country(by_country.index[0])}"
            if len(shipped)
            else f"no {product} is shipped"
        )
    if top is not None:
        parts.append(f"the largest shipment is {top.source} → {top.target}, {fmt.tonnes(top.t)}")
    unsold = table.loc[table.stage == "unsold", "t"].sum()
    if unsold > TINY:
        parts.append(f"{fmt.tonnes(unsold)} is produced but not sold (surplus)")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
