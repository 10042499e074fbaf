"""``oreflow stress``: N-1 disruption analysis, each origin, refiner and route group lost in turn.

Disruptions (each a point of the sweep machinery, solved against the base case):

- ``origin``: the origin's supply set to 0;
- ``refiner``: the refiner's capacity set to 0;
- ``ore_route_group``: all ore from one origin country to one refining country banned
  (a ban row: the routes stay in the data, no flow may use them);
- ``product_route_group``: all products from one refining country to one market country banned.

A disruption voids the contracts on the flows it removes (:func:`voided_contracts`).
Ranked most critical first: disruptions that leave no feasible allocation (a policy they
make impossible) first, then by the increase of the objective (the total cost, in which
unmet demand counts at its penalty; with demand curves, the welfare lost), disruptions
that failed otherwise (an error, a time limit) last.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from oreflow import outputs, report, store
from oreflow.errors import InputError, Problem
from oreflow.job import Change, JobFile, market_options
from oreflow.model.conventions import split_year, year_column
from oreflow.model.families import CONTRACT, DEMAND, FAMILIES_BY_NAME, WILLINGNESS_TO_PAY
from oreflow.model.market import price_caps
from oreflow.model.network import Network
from oreflow.plan_cases import PlanBase
from oreflow.runs import results_workbook
from oreflow.sweep.points import Point
from oreflow.sweep.run import ExecutionPlan, Solved, claimed, publish, solve_points, summary_base, write_points

#: Statuses of a disruption that leaves no feasible allocation.
INFEASIBLE = ("infeasible", "infeasible_or_unbounded")


def disruptions(network: Network, kinds: dict[str, bool]) -> list[Point]:
    """The base case (point 0) and one point per disruption of each enabled kind."""
    found: list[tuple[str, str, str, Change]] = []
    if kinds.get("origins", True):
        found += [
            (
                "origin",
                o,
                f"origin {o} lost (supply 0)",
                Change(action="scale", table="origins", column="supply_t", where={"origin": o}, factor=0.0),
            )
            for o in network.origins["origin"]
        ]
    if kinds.get("refiners", True):
        found += [
            (
                "refiner",
                r,
                f"refiner {r} lost (capacity 0)",
                Change(action="scale", table="refiners", column="capacity_t", where={"refiner": r}, factor=0.0),
            )
            for r in network.refiners["refiner"]
        ]
    countries = {
        "origin": network.origins.set_index("origin")["country"],
        "refiner": network.refiners.set_index("refiner")["country"],
        "market": network.markets.set_index("market")["country"],
    }
    banned = set(
        zip(network.bans["from_country"], network.bans["to_country"], network.bans["stage"], network.bans["product"])
    )
    for kind, enabled, table, source, target, stage in (
        ("ore_route_group", kinds.get("ore_route_groups", True), network.ore_routes, "origin", "refiner", "ore"),
        (
            "product_route_group",
            kinds.get("product_route_groups", True),
            network.product_routes,
            "refiner",
            "market",
            "product",
        ),
    ):
        if not enabled:
            continue
        pairs = pd.DataFrame({"a": table[source].map(countries[source]), "b": table[target].map(countries[target])})
        for a, b in pairs.drop_duplicates().itertuples(index=False):
            if (a, b, stage, "") in banned:
                continue
            found.append(
                (
                    kind,
                    f"{a}->{b} {stage}",
                    f"all {stage} from {a} to {b} banned",
                    Change(
                        action="add",
                        table="bans",
                        rows=[{"from_country": a, "to_country": b, "stage": stage, "product": ""}],
                    ),
                )
            )
    points = [Point(0, "base case", (), tags={"kind": "base", "element": "", "description": "no disruption"})]
    for number, (kind, element, description, change) in enumerate(found, start=1):
        void = voided_contracts(network, kind, element, countries)
        changes: tuple[Change, ...] = (change,)
        if void:
            description += f"; contracts void: {', '.join(void)}"
            changes += void_changes(network, void)
        points.append(
            Point(number, description, changes, tags={"kind": kind, "element": element, "description": description})
        )
    return points


def plan_disruptions(plan: PlanBase, points: list[Point], years: list[int], label: str) -> list[Point]:
    """The disruptions of a plan: each lasting the periods of ``years`` (empty: every year),
    its contracts void in those periods only."""
    problems = plan.stress_years_problems(years, f"{label}: [stress] years")
    if problems:
        raise InputError(problems, heading="invalid [stress] years")
    when = f" in {', '.join(map(str, years))}" if years else " in every year"
    out = []
    for point in points:
        if not point.changes:
            out.append(point)
            continue
        changes = tuple(c.model_copy(update={"years": list(years)}) for c in point.changes)
        tags = {**point.tags, "description": point.tags["description"] + when}
        out.append(dataclasses.replace(point, label=point.label + when, changes=changes, tags=tags))
    return out


def demand_caps(network: Network, job_file: JobFile, plan: PlanBase | None) -> dict[str, float]:
    """The demand price columns (``price.demand.<market>/<product>``, a plan's with ``@<year>``)
    -> their curve's highest price (each year's own, for a plan)."""
    options = market_options(job_file.job)
    if plan is None:
        caps = price_caps(network, options)
        return {f"price.{DEMAND}.{m}/{p}": cap for m, p, cap in caps.itertuples(index=False)}
    out = {}
    for year, year_network in plan.networks().items():
        caps = price_caps(year_network, options)
        out.update({year_column(f"price.{DEMAND}.{m}/{p}", year): cap for m, p, cap in caps.itertuples(index=False)})
    return out


def void_changes(network: Network, void: list[str]) -> tuple[Change, ...]:
    """The changes that void contracts ``void``: their minimum set to 0 and their maximum to
    no limit (the rows stay, free: a sweep re-solves such a point in place, where removing
    the rows would rebuild the LP; the optimum is the same)."""
    spec = FAMILIES_BY_NAME[CONTRACT]
    contracts = getattr(network, spec.table)
    key = spec.keys[0]
    mine = contracts.loc[contracts[key].astype(str).isin(void)]
    changes = []
    for column, value in (("min_t", 0.0), ("max_t", float("inf"))):
        names = mine.loc[mine[column].notna(), key].astype(str).tolist()
        if names:
            changes.append(Change(action="set", table=spec.table, column=column, value=value, where={key: names}))
    return tuple(changes)


def voided_contracts(network: Network, kind: str, element: str, countries: dict[str, pd.Series]) -> list[str]:
    """The contracts a disruption makes void (force majeure): those on the lost origin's or
    refiner's flows, or on the banned country pair's flows. Kept, a contract's minimum would
    make the disruption infeasible and say nothing about what losing the element costs."""
    spec = FAMILIES_BY_NAME[CONTRACT]
    contracts = getattr(network, spec.table)
    if not len(contracts):
        return []
    ore = (contracts["stage"] == "ore").to_numpy()
    frm, to = contracts["from"].to_numpy(object), contracts["to"].to_numpy(object)
    if kind == "origin":
        hit = ore & (frm == element)
    elif kind == "refiner":
        hit = (ore & (to == element)) | (~ore & (frm == element))
    else:
        pair, stage = element.rsplit(" ", 1)
        a, b = pair.split("->")
        if stage == "ore":
            hit = ore & (contracts["from"].map(countries["origin"]).to_numpy(object) == a)
            hit &= contracts["to"].map(countries["refiner"]).to_numpy(object) == b
        else:
            hit = ~ore & (contracts["from"].map(countries["refiner"]).to_numpy(object) == a)
            hit &= contracts["to"].map(countries["market"]).to_numpy(object) == b
    return contracts.loc[hit, spec.keys[0]].astype(str).tolist()


def ranking(
    table: pd.DataFrame, top_prices: int, caps: dict[str, float] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(stress.csv, stress_unmet.csv, stress_prices.csv) from the points table. ``caps``: the
    price column (``price.demand.<market>/<product>``) -> its demand curve's highest price;
    a disruption that drives a price there lists it in ``at_price_cap``: its welfare loss is
    then a lower bound that depends on the cap."""
    base = table.loc[table["kind"] == "base"].iloc[0]
    cases = table.loc[table["kind"] != "base"].reset_index(drop=True)
    increase = cases["objective_usd"] - base["objective_usd"]
    prices = [c for c in table.columns if c.startswith("price.")]
    moves = _price_moves(cases, base, prices, top_prices)
    ranked = pd.DataFrame(
        {
            "kind": cases["kind"],
            "element": cases["element"],
            "description": cases["description"],
            "status": cases["status"],
            "error": cases["error"],
            "objective_usd": cases["objective_usd"],
            "cost_increase_usd": increase,
            # of the base objective's size: its total cost, or its welfare where demand has curves
            "cost_increase_pct": 100.0 * increase / abs(base["objective_usd"]) if base["objective_usd"] else np.nan,
            "unmet_t": cases["unmet_t"],
            "unmet_increase_t": cases["unmet_t"] - base["unmet_t"],
            "top_price_moves": _moves_texts(moves, cases),
            "at_price_cap": _at_cap(cases, caps or {}),
        }
    )
    # a disruption that makes the LP infeasible (a policy it makes impossible) ranks first; one that
    # failed for another reason (an error, a time limit) says nothing about criticality: last
    band = np.where(ranked["status"].isin(INFEASIBLE), 0, np.where(ranked["status"] == "optimal", 1, 2))
    ranked = ranked.assign(_band=band).sort_values(
        ["_band", "cost_increase_usd", "unmet_increase_t"], ascending=[True, False, False], kind="stable"
    )
    ranked = ranked.drop(columns="_band").reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked, _unmet_moves(cases, base), moves


def _unmet_moves(cases: pd.DataFrame, base: pd.Series) -> pd.DataFrame:
    """One row per disruption, market and product whose unmet demand grew."""
    columns = [c for c in cases.columns if c.startswith("unmet_t.") and split_year(c)[1] is None]
    long = cases[["kind", "element", *columns]].melt(
        id_vars=["kind", "element"], var_name="column", value_name="unmet_t"
    )
    long["unmet_increase_t"] = long["unmet_t"] - long["column"].map(base[columns].astype(float))
    long = long.loc[long["unmet_increase_t"] > 1e-6]
    market_product = long["column"].str.removeprefix("unmet_t.").str.split("/", n=1, expand=True)
    out = pd.DataFrame(
        {
            "kind": long["kind"],
            "element": long["element"],
            "market": market_product[0] if len(long) else pd.Series(dtype=str),
            "product": market_product[1] if len(long) else pd.Series(dtype=str),
            "unmet_t": long["unmet_t"],
            "unmet_increase_t": long["unmet_increase_t"],
        }
    )
    return out.sort_values(["unmet_increase_t"], ascending=False, kind="stable").reset_index(drop=True)


def _price_moves(cases: pd.DataFrame, base: pd.Series, prices: list[str], top: int) -> pd.DataFrame:
    """The ``top`` largest |change| of a shadow price per disruption, taken in turn from each
    family (their units differ), leaving out prices that are not unique in the base case or
    the disruption (a move between two valid values of a degenerate price is no move)."""
    if not prices or cases.empty:
        return pd.DataFrame(columns=["kind", "element", "column", "family", "key", "base", "value", "change"])
    values = cases[prices].to_numpy(float)
    base_values = base[prices].to_numpy(float)
    unique = [f"unique.{c.removeprefix('price.')}" for c in prices]
    trusted = np.ones(values.shape, dtype=bool)
    if all(u in cases.columns for u in unique):
        trusted = (cases[unique].to_numpy(object) != False) & (base[unique].to_numpy(object) != False)  # noqa: E712
    long = pd.DataFrame(
        {
            "kind": np.repeat(cases["kind"].to_numpy(), len(prices)),
            "element": np.repeat(cases["element"].to_numpy(), len(prices)),
            "column": np.tile(prices, len(cases)),
            "base": np.tile(base_values, len(cases)),
            "value": values.ravel(),
            "change": (values - base_values).ravel(),
        }
    )
    long = long.loc[(long["change"].abs() > 1e-6) & trusted.ravel()]
    parts = long["column"].str.split(".", n=2, expand=True) if len(long) else None
    long.insert(3, "family", parts[1] if parts is not None else pd.Series(dtype=str))
    long.insert(4, "key", parts[2] if parts is not None else pd.Series(dtype=str))
    long = long.assign(_size=long["change"].abs()).sort_values("_size", ascending=False, kind="stable")
    long["_turn"] = long.groupby(["kind", "element", "family"], sort=False).cumcount()
    long = long.sort_values(["_turn", "_size"], ascending=[True, False], kind="stable")
    long = long.groupby(["kind", "element"], sort=False).head(top)
    order = {key: n for n, key in enumerate(zip(cases["kind"], cases["element"]))}
    long = long.assign(_case=[order[k] for k in zip(long["kind"], long["element"])])
    return (
        long.sort_values(["_case", "_turn", "_size"], ascending=[True, True, False], kind="stable")
        .drop(columns=["_size", "_turn", "_case"])
        .reset_index(drop=True)
    )


def _at_cap(cases: pd.DataFrame, caps: dict[str, float]) -> list[str]:
    """Per disruption, the demand rows whose price reached its curve's cap ("CN/NdPr; ...")."""
    columns = [c for c in caps if c in cases.columns]
    if not columns or cases.empty:
        return [""] * len(cases)
    values = cases[columns].to_numpy(float)
    limits = np.asarray([caps[c] for c in columns])
    hit = values >= limits * (1 - 1e-9)
    names = np.asarray([c.removeprefix(f"price.{DEMAND}.") for c in columns], dtype=object)
    return ["; ".join(names[row]) for row in hit]


def _moves_texts(moves: pd.DataFrame, cases: pd.DataFrame) -> list[str]:
    """Per disruption (in ``cases`` order), its three largest price moves in a few words."""
    first = moves.groupby(["kind", "element"], sort=False).head(3)
    words = first["family"] + " " + first["key"] + " " + first["change"].map("{:+,.0f}".format)
    texts = words.groupby([first["kind"], first["element"]], sort=False).agg("; ".join)
    return [texts.get(key, "") for key in zip(cases["kind"], cases["element"])]


def run_stress(
    job_file: JobFile, network: Network, out: Path | None, execution: ExecutionPlan
) -> tuple[str, int, Path]:
    """Run the N-1 disruptions of the job's dataset; write and return (text, status, folder)."""
    options = job_file.job.stress
    with claimed(job_file, network, out, "stress") as (destination, protect):
        kinds = options.model_dump(include={"origins", "refiners", "ore_route_groups", "product_route_groups"})
        points = disruptions(network, kinds)
        if len(points) == 1:
            raise InputError(
                Problem(
                    str(job_file.path),
                    None,
                    "stress",
                    None,
                    "at least one kind of disruption turned on "
                    "(origins, refiners, ore_route_groups, product_route_groups)",
                    "stress_nothing",
                )
            )
        plan = None
        if job_file.job.horizon is not None:
            plan = PlanBase.read(network, job_file.job.horizon.horizon())
            points = plan_disruptions(plan, points, list(options.years), str(job_file.path))
        solved = solve_points(
            job_file,
            network,
            points,
            tuple(options.prices),
            destination,
            execution,
            "stress",
            price_trust=plan is None,
            plan=plan,
        )
        ranked, unmet, moves = ranking(solved.table, options.top_prices, demand_caps(network, job_file, plan))
        moves = moves.assign(unit=moves["column"].map(lambda c: solved.columns.get(c, {}).get("unit", "")))
        summary = summary_base(job_file, "stress", solved)
        summary.update(
            disruptions=int(len(ranked)),
            failed=int((ranked["status"] != "optimal").sum()),
            most_critical=ranked.head(5)[["rank", "kind", "element", "cost_increase_usd", "unmet_increase_t"]].to_dict(
                orient="records"
            ),
        )

        def fill(folder: Path) -> None:
            write_points(folder, solved.table)
            ranked.to_csv(folder / "stress.csv", index=False)
            unmet.to_csv(folder / "stress_unmet.csv", index=False)
            moves.to_csv(folder / "stress_prices.csv", index=False)
            outputs.write_summary_json(summary, folder)
            report.write_stress_report(folder, png=job_file.job.report_png)
            results_workbook(job_file.job, folder)

        written = publish(destination, protect, fill, solved)
        store.record_run(job_file, "stress", written, solved, network, summary=summary)  # docs/store.md
        return stress_text(job_file.name, ranked, solved), (0 if summary["failed"] == 0 else 1), written


def stress_text(name: str, ranked: pd.DataFrame, solved: Solved) -> str:
    """The ten most critical disruptions, in words."""
    curves = f"cost.{WILLINGNESS_TO_PAY}_usd" in solved.table.columns
    unit = "USD, PV" if solved.plan else "USD/yr"
    lines = [
        f"oreflow stress {name!r}: {len(ranked)} disruptions against the base case "
        f"({solved.base_objective:,.0f} {unit}), solved in {solved.seconds:,.1f} s",
        f"  {'rank':>4}  {'disruption':<48}{f'welfare loss, {unit}' if curves else f'cost increase, {unit}':>24}"
        f"{'%':>8}{'unmet +t':>12}",
    ]
    for row in ranked.head(10).itertuples(index=False):
        what = f"{row.kind} {row.element}"
        if row.status != "optimal":
            lines.append(f"  {row.rank:>4}  {what:<48}{row.status:>24}  {row.error}")
            continue
        capped = " ^" if row.at_price_cap else ""
        lines.append(
            f"  {row.rank:>4}  {what:<48}{row.cost_increase_usd:>24,.0f}{row.cost_increase_pct:>8.1f}"
            f"{row.unmet_increase_t:>12,.0f}{capped}"
        )
    if ranked.head(10)["at_price_cap"].astype(bool).any():
        lines.append(
            "  ^ a price reaches its demand curve's cap (at_price_cap in stress.csv): the loss is a lower "
            "bound that depends on the cap (price_cap_multiple)"
        )
    lines.append("All disruptions: stress.csv; unmet demand: stress_unmet.csv; price moves: stress_prices.csv")
    return "\n".join(lines)
