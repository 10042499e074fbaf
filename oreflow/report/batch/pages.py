"""The comparison page of a scenario batch: every case with its cost against the base, the
explanation of each case without a solution, and the comparison charts."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from oreflow.manifest import REPORT
from oreflow.report.common import fmt
from oreflow.report.common.chart import Chart
from oreflow.report.common.html import Markup, chart_links, chart_section, code_items, page, table


def case_texts(summary: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(scenario -> its description, case -> its status) from a batch's summary.json."""
    described = {
        s.get("name"): s.get("description")
        for s in ((summary.get("job") or {}).get("as_read") or {}).get("scenarios", [])
    }
    return described, {c["name"]: c["status"] for c in summary.get("cases", [])}


def case_link(case: str) -> Markup:
    """The case's name, linked to its report."""
    return Markup(f'<a href="{escape(case)}/{REPORT}">{escape(case)}</a>')


def comparison_page(
    name: str,
    summary: dict[str, Any],
    table_: pd.DataFrame,
    cases: list[str],
    charts: list[Chart],
    pngs: dict[str, str],
    failures: dict[str, list[str]],
) -> str:
    """The batch's page: the table of cases (``table_``: comparison.csv), each failed case's
    conflicting constraints (``failures``) and the comparison ``charts``."""
    objective = table_.loc[table_["metric"] == "objective"].set_index("scenario")
    unmet = table_.loc[table_["metric"] == "unmet"].groupby("scenario")["value"].sum(min_count=1)
    welfare = table_.loc[table_["metric"] == "welfare"].set_index(["scenario", "key"])
    # with demand curves the objective is total cost - WTP: show total cost, welfare and consumer surplus
    wtp = welfare.xs("willingness_to_pay", level="key")["value"] if len(welfare) else pd.Series(dtype=float)
    curves = bool((wtp.abs() > 0).any())
    described, statuses = case_texts(summary)
    rows = []
    for case in cases:
        row = objective.loc[case] if case in objective.index else None
        status = statuses.get(case, "")
        value = float(row["value"]) if row is not None else float("nan")
        delta = float(row["delta"]) if row is not None else float("nan")
        if curves:
            value, delta = _figure(welfare, case, "total_cost")
        cells = [
            case_link(case),
            status,
            described.get(case) or ("the base dataset" if case == cases[0] else ""),
            fmt.num(value),
            _signed(delta),
            fmt.num(float(unmet.get(case, float("nan"))), 1),
        ]
        if curves:
            for key in ("welfare", "consumer_surplus"):
                cells += [_signed(_figure(welfare, case, key)[1])]
        rows.append(tuple(cells))
    head = ["case", "status", "what it asks", "total cost, USD/yr", "vs base, USD/yr", "unmet, t"]
    if curves:
        head += ["welfare vs base, USD/yr", "consumer surplus vs base, USD/yr"]
    body = [
        "<section id=cases><h2>Cases</h2>"
        + table(rows, tuple(head), set(range(3, len(head))))
        + (
            "<p class=note>Demand has curves: total cost excludes the willingness to pay; welfare is the "
            "willingness to pay less the total cost (comparison.csv, metric welfare).</p>"
            if curves
            else ""
        )
        + "</section>"
    ]
    for case, lines in failures.items():
        items = code_items(lines) or "<li>no explanation recorded</li>"
        body.append(
            f"<section class=failed id=failed-{escape(case)}><h2>{escape(case)}: no solution</h2>"
            f"<p>These constraints cannot all hold (the case's page says what relaxing one of them does):</p>"
            f"<ul>{items}</ul></section>"
        )
    body += [chart_section(c, pngs.get(c.name)) for c in charts]
    failed = len(failures)
    lead = f"{len(cases) - 1} scenario(s) against the base case" + (
        f"; {failed} could not be solved." if failed else "; all solved."
    )
    nav = [("#cases", "cases")] + chart_links(charts)
    return page(f"oreflow scenarios: {name}", lead, body, charts=bool(charts), nav=nav)


def _figure(welfare: pd.DataFrame, case: str, key: str) -> tuple[float, float]:
    """(value, delta) of one welfare component of a case; NaN where it has none."""
    if (case, key) not in welfare.index:
        return float("nan"), float("nan")
    row = welfare.loc[(case, key)]
    return float(row["value"]), float(row["delta"])


def _signed(delta: float) -> str:
    """``+1,234``, ``—`` for NaN."""
    return "—" if delta != delta else f"{delta:+,.0f}"
