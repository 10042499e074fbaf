"""The pages of a sweep and of an N-1 stress test: charts, tables (percentiles, failed
points, top price moves, the full ranking) and the metadata of summary.json, with its
dual trust (and a warning at the top when some points' prices are not basis duals)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from oreflow.model.families import cost_label
from oreflow.report.common import fmt
from oreflow.report.common.chart import Chart
from oreflow.report.common.html import chart_links, chart_section, input_hashes, page, table, timings_and_versions
from oreflow.report.sweep.charts import shape
from oreflow.report.sweep.lines import COST, QUANTITY
from oreflow.report.sweep.points import (
    PointsData,
    base_cost,
    describe,
    money_unit,
    per_year,
    percentiles,
    value_text,
    varying,
)
from oreflow.report.sweep.stress import KIND_NAMES, StressData

MODES = {"grid": "Grid sweep", "monte_carlo": "Monte Carlo sweep"}
TOP_MOVES = 5


def section(anchor: str, title: str, caption: str, body: str = "") -> str:
    """A section of the page: heading, caption and ``body`` (HTML)."""
    return (
        f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2><p class=caption>{escape(caption)}</p>{body}</section>'
    )


def metadata(summary: dict[str, Any], keys: list[tuple[str, str]]) -> str:
    """The summary's own figures (``keys``: label, summary key), execution, job file, timings, versions."""
    rows = [
        (label, fmt.num(summary[k]) if isinstance(summary.get(k), (int, float)) else summary.get(k))
        for label, k in keys
    ]
    trust = dual_trust(summary)
    if trust:
        rows.append(("dual trust", trust))
    execution = summary.get("execution") or {}
    rows.append(
        ("execution", f"{execution.get('workers', '—')} worker(s), scheduler {execution.get('scheduler') or 'none'}")
    )
    rows += [(k, summary.get(k)) for k in ("backend", "dataset") if summary.get(k)]
    rows += [("job file", summary.get("job_file"))] + timings_and_versions(summary)
    hashes = input_hashes(summary) if summary.get("input_sha256") else ""
    return section(
        "metadata",
        "Run metadata",
        "As recorded in summary.json.",
        table([(k, "—" if v is None else v) for k, v in rows]) + hashes,
    )


def dual_trust(summary: dict[str, Any]) -> str:
    """summary.json's ``dual_trust`` in a sentence (empty when not recorded)."""
    trust = summary.get("dual_trust") or {}
    if not trust:
        return ""
    solved = summary.get("optimal")
    of = f" of {fmt.num(solved)}" if isinstance(solved, (int, float)) else ""
    text = (
        f"{fmt.num(trust.get('points_without_basis') or 0)}{of} solved points without a basis (their prices "
        f"are not basis duals); {fmt.num(trust.get('points_with_non_unique_duals') or 0)}{of} with non-unique "
        "prices (a degenerate optimum: some prices are one of several valid values)"
    )
    return text + (f". {trust['note']}" if trust.get("note") else "")


def no_basis(data: PointsData) -> str:
    """A warning when some solved points' prices do not come from a basis (summary.json ``dual_trust``)."""
    count = int((data.summary.get("dual_trust") or {}).get("points_without_basis") or 0)
    if not count:
        return ""
    ok = data.ok
    flagged = ok.loc[ok["has_basis"] == 0, "label"].astype(str).tolist() if "has_basis" in ok else []
    which = f" ({', '.join(flagged[:5])}{', ...' if len(flagged) > 5 else ''})" if flagged else ""
    return (
        "<div class=warn>"
        + section(
            "no-basis",
            "Prices without a basis",
            f"Warning: {count:,} of {len(ok):,} solved points have no basis{which}: their prices are not basis duals "
            "(interior point without crossover?) and may lie between the prices of optimal bases; whether they are "
            "unique is unknown. The column has_basis of points.csv says which points.",
        )
        + "</div>"
    )


def _label(sweep: PointsData, column: str) -> str:
    """A points.csv column as people read it: ``cost: processing``, ``ore refined in China (CN)``."""
    if column.startswith("price."):
        meta = sweep.meta(column)
        return f"{fmt.family_title(meta['family'])}: {meta['key']}"
    if column.startswith("cost."):
        part = column.removeprefix("cost.").removesuffix("_usd")
        return f"cost: {cost_label(part)}"
    if column.startswith("feed_t."):
        return f"ore refined in {fmt.country(column.removeprefix('feed_t.'))}"
    if column.startswith(QUANTITY):
        return f"quantity delivered, {column.removeprefix(QUANTITY)}"
    names = {COST: sweep.objective_name, "unmet_t": "unmet demand, all products", "welfare_usd": "welfare"}
    return names.get(column, column.replace("unmet_t.", "unmet demand, "))


def percentile_table(sweep: PointsData) -> str:
    """P5, P50, P95 over the solved points: costs, unmet demand, feed, and every price that varies."""
    ok = sweep.ok
    columns = (
        [COST]
        + varying(
            ok,
            sweep.columns("welfare_usd") + sweep.columns("cost.") + sweep.columns("unmet_t") + sweep.columns("feed_t."),
            None,
        )
        + varying(ok, sweep.columns("price."), 40)
        + varying(ok, sweep.columns(QUANTITY), 40)
    )
    found = percentiles(ok, columns)
    rows = [(_label(sweep, c), sweep.unit(c), *(fmt.num(v) for v in found.loc[c])) for c in columns]
    return section(
        "percentiles",
        "Percentiles over the solved points",
        f"Over {len(ok):,} solved points; prices listed are those that vary (at most 40, widest range first).",
        table(rows, ("quantity", "unit", "P5", "P50", "P95"), {2, 3, 4}),
    )


def parameters_table(sweep: PointsData) -> str:
    """What each parameter changes, its unit and range."""
    rows = []
    for p in sweep.parameters:
        values = sweep.points[f"param.{p['name']}"]
        rows.append(
            (
                p["name"],
                describe(p),
                p.get("unit", ""),
                f"{value_text(p, values.min())} to {value_text(p, values.max())}",
                fmt.num(values.nunique()),
            )
        )
    return section(
        "parameters",
        "Parameters",
        f"{len(rows)} parameter(s) varied over {len(sweep.points):,} points.",
        table(rows, ("parameter", "what it changes", "unit", "range", "distinct values"), {4}),
    )


def failed_points(sweep: PointsData) -> str:
    """The points without a solution, with their status and error (empty when every point was solved)."""
    failed = sweep.failed
    if failed.empty:
        return ""
    names = [p["name"] for p in sweep.parameters]
    rows = [
        (
            int(r["point"]),
            r["label"],
            *(value_text(p, r[f"param.{p['name']}"]) for p in sweep.parameters),
            r["status"],
            r["error"] or "—",
        )
        for _, r in failed.iterrows()
    ]
    return (
        "<div class=failed>"
        + section(
            "failed",
            "Failed points",
            f"{len(failed)} of {len(sweep.points):,} points have no solution; their results are blank in points.csv.",
            table(rows, ("point", "label", *names, "status", "error"), {0}),
        )
        + "</div>"
    )


def _about(summary: dict[str, Any]) -> str:
    return f" {summary['description']}" if summary.get("description") else ""


def _nav(
    charts: list[Chart], extra: list[tuple[str, str]], warning: str, head: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """The page's links: the warning (if any), ``head``, each chart, ``extra`` and the metadata."""
    return (
        ([("#no-basis", "prices without a basis")] if warning else [])
        + list(head)
        + chart_links(charts)
        + extra
        + [("#metadata", "metadata")]
    )


def sweep_page(sweep: PointsData, charts: list[Chart], pngs: dict[str, str]) -> str:
    """The page of a sweep: parameters, charts, percentiles (Monte Carlo), failed points, metadata."""
    s = sweep.summary
    lead = (
        f"{MODES.get(str(s.get('mode')), 'Sweep')} over {len(sweep.parameters)} parameter(s): "
        f"{len(sweep.points):,} points, {len(sweep.ok):,} solved, {len(sweep.failed):,} failed; the base case "
        f"costs {fmt.usd(base_cost(s))}{per_year(s)}." + _about(s)
    )
    warning = no_basis(sweep)
    body = [warning, parameters_table(sweep)] + [chart_section(c, pngs.get(c.name)) for c in charts]
    percentiles_shown = bool(charts) and shape(sweep) == "distribution"
    if not charts:
        body.append(section("no-charts", "No charts", "No point of the sweep was solved."))
    elif percentiles_shown:
        body.append(percentile_table(sweep))
    body += [
        failed_points(sweep),
        metadata(
            s,
            [
                ("kind", "kind"),
                ("mode", "mode"),
                ("points", "points"),
                ("optimal", "optimal"),
                ("failed", "failed"),
                (f"base case, {money_unit(s)}", "base_objective_usd"),
            ],
        ),
    ]
    extra = [("#percentiles", "percentiles")] if percentiles_shown else []
    extra += [("#failed", "failed points")] if len(sweep.failed) else []
    return page(
        f"oreflow sweep: {sweep.name}",
        lead,
        [b for b in body if b],
        charts=bool(charts),
        nav=_nav(charts, extra, warning, [("#parameters", "parameters")]),
    )


def price_moves(stress: StressData) -> str:
    """The top price moves of the most critical solved disruptions (stress_prices.csv)."""
    names = stress.labels
    ok = stress.ranking.loc[stress.ranking["status"] == "optimal"].head(TOP_MOVES)
    rows = []
    for kind, element in zip(ok["kind"], ok["element"]):
        moves = stress.prices.loc[(stress.prices["kind"] == kind) & (stress.prices["element"] == element)]
        moves = moves.reindex(moves["change"].abs().sort_values(ascending=False, kind="stable").index).head(TOP_MOVES)
        rows += [
            (
                names[(kind, element)],
                f"{fmt.family_title(m.family)}: {m.key}",
                m.unit,
                fmt.num(m.base),
                fmt.num(m.value),
                f"{m.change:+,.0f}",
            )
            for m in moves.itertuples(index=False)
        ]
    if not rows:
        return ""
    return section(
        "price-moves",
        "Top price moves of the most critical disruptions",
        f"The {TOP_MOVES} largest shadow-price changes against the base for each of the {len(ok)} "
        "most critical disruptions.",
        table(rows, ("disruption", "price", "unit", "base", "after", "change"), {3, 4, 5}),
    )


def ranking_table(stress: StressData) -> str:
    """Every disruption, most critical first."""
    names = stress.labels
    rows = [
        (
            int(r["rank"]),
            KIND_NAMES.get(r["kind"], r["kind"]),
            names[(r["kind"], r["element"])],
            r["description"],
            r["status"],
            fmt.num(r["cost_increase_usd"]),
            fmt.num(r["unmet_increase_t"], 1),
            r.get("top_price_moves", ""),
        )
        for _, r in stress.ranking.iterrows()
    ]
    return section(
        "all-disruptions",
        "All disruptions, most critical first",
        f"{len(rows):,} disruptions.",
        table(
            rows,
            (
                "rank",
                "kind",
                "element",
                "what is lost",
                "status",
                "cost increase, USD" + ("" if stress.summary.get("plan") else "/yr"),
                "more unmet, t",
                "top price moves",
            ),
            {0, 5, 6},
        ),
    )


def failed_disruptions(stress: StressData) -> str:
    """The disruptions without a solution (empty when every one was solved)."""
    failed = stress.ranking.loc[stress.ranking["status"] != "optimal"]
    if failed.empty:
        return ""
    rows = [(int(r["rank"]), r["kind"], r["element"], r["status"], r["error"] or "—") for _, r in failed.iterrows()]
    return (
        "<div class=failed>"
        + section(
            "failed",
            "Disruptions without a solution",
            f"{len(rows)} of {len(stress.ranking):,} could not be solved.",
            table(rows, ("rank", "kind", "element", "status", "error"), {0}),
        )
        + "</div>"
    )


def stress_page(stress: StressData, charts: list[Chart], pngs: dict[str, str]) -> str:
    """The page of a stress test: charts, price moves, the full ranking, failures, metadata."""
    s = stress.summary
    failed = int((stress.ranking["status"] != "optimal").sum())
    lead = (
        f"N-1 stress test: {len(stress.ranking):,} single disruptions against the base case of "
        f"{fmt.usd(base_cost(s))}{per_year(s)}; "
        + (f"{failed} could not be solved." if failed else "all solved.")
        + _about(s)
    )
    moves, warning = price_moves(stress), no_basis(stress.points)
    body = (
        [warning]
        + [chart_section(c, pngs.get(c.name)) for c in charts]
        + [moves, ranking_table(stress), failed_disruptions(stress)]
    )
    body.append(
        metadata(
            s,
            [
                ("kind", "kind"),
                ("disruptions", "disruptions"),
                ("failed", "failed"),
                (f"base case, {money_unit(s)}", "base_objective_usd"),
            ],
        )
    )
    extra = [("#price-moves", "price moves")] if moves else []
    extra += [("#all-disruptions", "all disruptions")] + ([("#failed", "failed")] if failed else [])
    return page(
        f"oreflow stress test: {stress.name}",
        lead,
        [b for b in body if b],
        charts=bool(charts),
        nav=_nav(charts, extra, warning),
    )
