"""The page of one run: a solved run's charts and metadata, or why a failed case has no solution."""

from __future__ import annotations

from html import escape
from typing import Any

from oreflow.manifest import REPORT
from oreflow.model.families import FAMILIES
from oreflow.report.common import fmt
from oreflow.report.common.chart import Chart
from oreflow.report.common.html import (
    chart_links,
    chart_section,
    code_items,
    input_hashes,
    json_block,
    page,
    table,
    timings_and_versions,
)
from oreflow.report.run.data import RunData, infeasibility
from oreflow.report.run.market import calibration_section, curves, market_section, welfare, welfare_section
from oreflow.report.run.sankey import ALL, links


def _scenario(summary: dict[str, Any]) -> list[str]:
    """The section naming a case's scenario and its changes (none for a run without one)."""
    scen = summary.get("scenario")
    if not scen:
        return []
    rows = [(c.get("change"), c.get("description"), c.get("rows")) for c in scen.get("changes_applied", [])]
    return [
        f"<section id=scenario><h2>Scenario {escape(scen.get('name', ''))}</h2>"
        f"<p>{escape(scen.get('description') or '')}</p>"
        + table(rows, ("change", "what it does", "rows touched"), {0, 2})
        + "</section>"
    ]


def metadata(summary: dict[str, Any]) -> str:
    """Inputs hash, versions, solver and timings, as recorded in summary.json."""
    size = summary.get("size") or {}
    rows = [
        ("status", summary.get("status")),
        ("backend", summary.get("backend")),
        ("solver", summary.get("solver")),
        ("duals from", summary.get("dual_method")),
        ("iterations", summary.get("iterations")),
        (
            "LP size",
            f"{fmt.num(size.get('variables') or 0)} variables, {fmt.num(size.get('constraints') or 0)} "
            f"constraints, {fmt.num(size.get('nonzeros') or 0)} nonzeros"
            if size
            else "—",
        ),
        ("dual trust", _dual_trust(summary.get("dual_trust"))),
        ("dataset", summary.get("dataset")),
        ("job file", summary.get("job_file")),
    ]
    rows += timings_and_versions(summary)
    return (
        "<section id=metadata><h2>Run metadata</h2>"
        + table([(k, "—" if v is None else v) for k, v in rows])
        + input_hashes(summary)
        + "</section>"
    )


def _dual_trust(trust: dict[str, Any] | None) -> str | None:
    """Whether the prices and the allocation are unique (docs/conventions.md, "Dual trust")."""
    if not trust:
        return None
    if not trust.get("has_basis"):
        return "no basis: the prices are not basis duals and their uniqueness is unknown"
    prices = (
        "unique"
        if trust.get("unique_duals")
        else f"not unique at {fmt.num(trust.get('degenerate_rows') or 0)} degenerate row(s) (summary.json lists them)"
    )
    allocation = "unique" if trust.get("unique_allocation") else "alternative optima exist"
    return f"prices {prices}; allocation {allocation}"


def _back(in_batch: bool) -> list[tuple[str, str]]:
    return [(f"../{REPORT}", "← all scenarios")] if in_batch else []


def _no_policy() -> str:
    """What the page says when no policy binds, naming the registry's policy families."""
    titles = [spec.title for spec in FAMILIES if spec.summary == "policy"]
    listed = " or ".join(filter(None, [", ".join(titles[:-1]), titles[-1]]))
    return f"No trade policy binds (no {listed} with a non-zero shadow price)."


def run_page(run: RunData, charts: list[Chart], pngs: dict[str, str], in_batch: bool) -> str:
    """The page of a solved run (``in_batch``: a case, linking back to the comparison)."""
    s = run.summary
    unmet = run.table("unmet")
    short = float(unmet["unmet_t"].sum()) if len(unmet) else 0.0
    found = welfare(run)
    if curves(run) and found:
        figures = (
            f"total cost {fmt.usd(found['total_cost'])}, willingness to pay {fmt.usd(found['willingness_to_pay'])}, "
            f"welfare {fmt.usd(found['welfare'])} per year; "
        )
    else:
        figures = f"total cost {fmt.usd(float(s.get('objective_usd') or 0))} per year; "
    lead = (
        f"Status {run.status}: "
        + figures
        + (f"{fmt.tonnes(short)} of demand unmet." if short > 0 else "all demand met.")
    )
    sections = [chart_section(c, pngs.get(c.name)) for c in charts]
    # the market table and welfare right after the delivered prices (or after the charts)
    at = next((i + 1 for i, c in enumerate(charts) if c.name == "delivered"), len(sections))
    market = [text for text in (market_section(run), welfare_section(run), calibration_section(run)) if text]
    body = _scenario(s) + sections[:at] + market + sections[at:]
    if not any(c.name == "unmet" for c in charts):
        body.append("<section id=unmet><h2>Unmet demand</h2><p class=caption>All demand is met.</p></section>")
    if not any(c.name == "policies" for c in charts):
        body.append(
            f"<section id=policies><h2>Binding policies</h2><p class=caption>{escape(_no_policy())}</p></section>"
        )
    products = run.products()
    views = {
        "products": products,
        "links": {p or ALL: links(run, p).to_dict(orient="records") for p in [None] + products},
    }
    body.append(json_block("sankey-data", views))
    body.append(metadata(s))
    linked = chart_links(charts)
    extra = [
        (f"#{name}", name)
        for name in ("market", "welfare", "calibration")
        if any(f"<section id={name}>" in t for t in market)
    ]
    nav = _back(in_batch) + linked[:at] + extra + linked[at:]
    nav.append(("#metadata", "metadata"))
    return page(f"oreflow report: {run.name}", lead, body, charts=True, nav=nav)


def failed_page(run: RunData, in_batch: bool) -> str:
    """The page of a case without a solution: its error and the constraints that cannot all hold."""
    s = run.summary
    lines = infeasibility(run)
    error = str(s.get("error") or "The solve did not reach an optimum.").splitlines()[0].split("; these constraints")[0]
    explain = f"<ul>{code_items(lines)}</ul>" if lines else ""
    # the report's own heading (irreducible or not, whether relaxing one alone is enough);
    # a summary written before it was recorded claims nothing more than the conflict
    heading = str(s.get("infeasibility_heading") or "these constraints cannot all hold:")
    body = _scenario(s) + [
        f"<section id=infeasibility class=failed><h2>Why this case has no solution</h2>"
        f"<p class=caption>{escape(error)}.</p>"
        + (
            f"<p>{escape(heading[:1].upper() + heading[1:])}</p>{explain}"
            if lines
            else "<p class=note>No explanation was recorded.</p>"
        )
        + "<p class=note>No charts: there is no allocation to show.</p></section>"
    ]
    lead = f"Status {run.status}: this case could not be solved."
    return page(f"oreflow report: {run.name}", lead, body, charts=False, nav=_back(in_batch))
