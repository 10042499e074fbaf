"""The content of each page: a solved run, a failed case, a batch's comparison."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from oreflow.report import fmt
from oreflow.report.charts import Chart
from oreflow.report.data import RunData, infeasibility
from oreflow.report.html import Markup, chart_links, chart_section, json_block, page, table, tool_versions
from oreflow.report.sankey import links


def _scenario(summary: dict[str, Any]) -> list[str]:
    scen = summary.get("scenario")
    if not scen:
        return []
    rows = [(c.get("change"), c.get("description"), c.get("rows")) for c in scen.get("changes_applied", [])]
    return [f"<section id=scenario><h2>Scenario {escape(scen.get('name', ''))}</h2>"
            f"<p>{escape(scen.get('description') or '')}</p>"
            + table(rows, ("change", "what it does", "rows touched"), {0, 2}) + "</section>"]


def timings_and_versions(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    """Metadata rows: the timings recorded in summary.json, then the versions (with the report's tools)."""
    rows = []
    timings = summary.get("timings_s") or {}
    if timings:
        rows.append(("timings", ", ".join(f"{k.removesuffix('_per_s')} {float(v):,.1f} per s" if k.endswith("_per_s")
                                          else f"{k.removesuffix('_s')} {float(v):.3f} s" for k, v in timings.items())))
    versions = {**(summary.get("versions") or {}), **{f"report: {k}": v for k, v in tool_versions().items()}}
    rows.append(("versions", ", ".join(f"{k} {v}" for k, v in versions.items())))
    return rows


def metadata(summary: dict[str, Any]) -> str:
    """Inputs hash, versions, solver and timings, as recorded in summary.json."""
    size = summary.get("size") or {}
    rows = [("status", summary.get("status")), ("backend", summary.get("backend")),
            ("solver", summary.get("solver")), ("duals from", summary.get("dual_method")),
            ("iterations", summary.get("iterations")),
            ("LP size", f"{fmt.num(size.get('variables') or 0)} variables, {fmt.num(size.get('constraints') or 0)} "
                        f"constraints, {fmt.num(size.get('nonzeros') or 0)} nonzeros" if size else "—"),
            ("dual trust", _dual_trust(summary.get("dual_trust"))),
            ("dataset", summary.get("dataset")), ("job file", summary.get("job_file"))]
    rows += timings_and_versions(summary)
    return ("<section id=metadata><h2>Run metadata</h2>" + table([(k, "—" if v is None else v) for k, v in rows])
            + input_hashes(summary) + "</section>")


def _dual_trust(trust: dict[str, Any] | None) -> str | None:
    """Whether the prices and the allocation are unique (docs/conventions.md, "Dual trust")."""
    if not trust:
        return None
    if not trust.get("has_basis"):
        return "no basis: the prices are not basis duals and their uniqueness is unknown"
    prices = "unique" if trust.get("unique_duals") else \
        f"not unique at {fmt.num(trust.get('degenerate_rows') or 0)} degenerate row(s) (summary.json lists them)"
    allocation = "unique" if trust.get("unique_allocation") else "alternative optima exist"
    return f"prices {prices}; allocation {allocation}"


def input_hashes(summary: dict[str, Any]) -> str:
    """The sha256 of each input file, as recorded in summary.json."""
    hashes = [(name, Markup(f"<code>{escape(str(digest))}</code>"))
              for name, digest in (summary.get("input_sha256") or {}).items()]
    return "<p>Input files (sha256):</p>" + table(hashes, ("file", "sha256"))


def _back(in_batch: bool) -> list[tuple[str, str]]:
    return [("../report.html", "← all scenarios")] if in_batch else []


def run_page(run: RunData, charts: list[Chart], pngs: dict[str, str], in_batch: bool) -> str:
    s = run.summary
    unmet = run.table("unmet")
    short = float(unmet["unmet_t"].sum()) if len(unmet) else 0.0
    lead = (f"Status {run.status}: total cost {fmt.usd(float(s.get('objective_usd') or 0))} per year; "
            + (f"{fmt.tonnes(short)} of demand unmet." if short > 0 else "all demand met."))
    body = _scenario(s) + [chart_section(c, pngs.get(c.name)) for c in charts]
    if not any(c.name == "unmet" for c in charts):
        body.append("<section id=unmet><h2>Unmet demand</h2><p class=caption>All demand is met.</p></section>")
    if not any(c.name == "policies" for c in charts):
        body.append("<section id=policies><h2>Binding policies</h2><p class=caption>No trade policy binds "
                    "(no quota, ban or share limit with a non-zero shadow price).</p></section>")
    products = run.products()
    views = {"products": products,
             "links": {p or "all products": links(run, p).to_dict(orient="records") for p in [None] + products}}
    body.append(json_block("sankey-data", views))
    body.append(metadata(s))
    nav = _back(in_batch) + chart_links(charts)
    nav.append(("#metadata", "metadata"))
    return page(f"oreflow report: {run.name}", lead, body, charts=True, nav=nav)


def _code_items(lines: list[str]) -> str:
    """Each line as a list item in code type (a constraint of an infeasibility explanation)."""
    return "".join(f"<li><code>{escape(line)}</code></li>" for line in lines)


def failed_page(run: RunData, in_batch: bool) -> str:
    s = run.summary
    lines = infeasibility(run)
    error = str(s.get("error") or "The solve did not reach an optimum.").splitlines()[0].split("; these constraints")[0]
    explain = f"<ul>{_code_items(lines)}</ul>" if lines else ""
    body = _scenario(s) + [
        f"<section id=infeasibility class=failed><h2>Why this case has no solution</h2>"
        f"<p class=caption>{escape(error)}.</p>"
        + (f"<p>These constraints cannot all hold; relaxing any one of them restores feasibility:</p>{explain}"
           if lines else "<p class=note>No explanation was recorded.</p>")
        + "<p class=note>No charts: there is no allocation to show.</p></section>"]
    lead = f"Status {run.status}: this case could not be solved."
    return page(f"oreflow report: {run.name}", lead, body, charts=False, nav=_back(in_batch))


def comparison_page(name: str, summary: dict[str, Any], table_: pd.DataFrame, cases: list[str],
                    charts: list[Chart], pngs: dict[str, str], failures: dict[str, list[str]]) -> str:
    objective = table_.loc[table_["metric"] == "objective"].set_index("scenario")
    unmet = table_.loc[table_["metric"] == "unmet"].groupby("scenario")["value"].sum(min_count=1)
    described = {s.get("name"): s.get("description") for s in
                 ((summary.get("job") or {}).get("as_read") or {}).get("scenarios", [])}
    statuses = {c["name"]: c["status"] for c in summary.get("cases", [])}
    rows = []
    for case in cases:
        row = objective.loc[case] if case in objective.index else None
        status = statuses.get(case, "")
        value = float(row["value"]) if row is not None else float("nan")
        delta = float(row["delta"]) if row is not None else float("nan")
        rows.append((Markup(f'<a href="{escape(case)}/report.html">{escape(case)}</a>'), status,
                     described.get(case) or ("the base dataset" if case == cases[0] else ""),
                     fmt.num(value), "—" if delta != delta else f"{delta:+,.0f}",
                     fmt.num(float(unmet.get(case, float("nan"))), 1)))
    body = ["<section id=cases><h2>Cases</h2>" + table(rows, ("case", "status", "what it asks", "total cost, USD/yr",
                                                              "vs base, USD/yr", "unmet, t"), {3, 4, 5})
            + "</section>"]
    for case, lines in failures.items():
        items = _code_items(lines) or "<li>no explanation recorded</li>"
        body.append(f"<section class=failed id=failed-{escape(case)}><h2>{escape(case)}: no solution</h2>"
                    f"<p>These constraints cannot all hold (relax any one of them):</p><ul>{items}</ul></section>")
    body += [chart_section(c, pngs.get(c.name)) for c in charts]
    failed = len(failures)
    lead = (f"{len(cases) - 1} scenario(s) against the base case"
            + (f"; {failed} could not be solved." if failed else "; all solved."))
    nav = [("#cases", "cases")] + chart_links(charts)
    return page(f"oreflow scenarios: {name}", lead, body, charts=bool(charts), nav=nav)
