"""The market, welfare and price flags wherever results are shown: the printed summary and
summary.json, a run's report, scenario comparison and its report, sweeps and their report.

Micro models (tests/conftest.py), with M's P1 demand given a curve, a co-product in
surplus, or a fragile price:

- curve: P1 demand 40 t with reference price 200 USD/t and elasticity -0.5. The delivered
  cost of P1 stays 262 USD/t (R2's marginal cost: R1 is full), so the equilibrium price is
  262 USD/t and the quantity is where the curve reaches that price, 40 (262/200)^-0.5 =
  34.95 t on the continuous curve (the steps form within about 1 % of it).
- surplus: M also demands 5 t of P2, the co-product every refiner leaves unsold: its price
  is the freight only (1 USD/t from R1), and market.csv's note says so.
- fragile: P1 demand 30.2 t. R1 (full at 60 t of ore) makes 30 t of P1, so R1's capacity
  price holds up to 60.4 t and the demand price down to 30 t: both within 1 % of their
  right-hand side of a change of basis.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_report import charts, figure

import oreflow
from conftest import BAN_AND_INFEASIBLE, micro_frames, write_dataset, write_job
from oreflow.cli import main
from oreflow.model.lp import build_lp
from oreflow.prices import FRAGILE_MEANING, flags, kg_text
from oreflow.scenarios import Outcome, comparison
from oreflow.summary import summary_dict, summary_text

CURVE = {"reference_price_usd_per_t": [200.0], "elasticity": [-0.5]}
SURPLUS_NOTE = "P2: supply exceeds demand; its price is freight only"


def frames(curve: bool = False, surplus: bool = False, demand_t: float = 40.0) -> dict[str, pd.DataFrame]:
    """The micro model's tables with P1's demand (a curve if asked) and P2's 5 t (``surplus``)."""
    found = micro_frames()
    rows = [
        {"market": "M", "product": "P1", "demand_t": demand_t, **({k: v[0] for k, v in CURVE.items()} if curve else {})}
    ]
    if surplus:
        rows.append({"market": "M", "product": "P2", "demand_t": 5.0})
    found["demand"] = pd.DataFrame(rows)  # P2 has no curve: NaN in the curve's columns
    return found


def solve(**options) -> oreflow.Result:
    return oreflow.solve(oreflow.Network.from_frames(**frames(**options)))


def curve_quantity(price: float) -> float:
    """Where the continuous constant-elasticity curve of P1 reaches ``price``."""
    return 40.0 * (price / 200.0) ** -0.5


@pytest.fixture(scope="module")
def curved() -> oreflow.Result:
    return solve(curve=True, surplus=True)


# --- the printed summary and summary.json ----------------------------------------------------


def test_the_equilibrium_of_the_micro_curve(curved: oreflow.Result) -> None:
    row = curved.market.set_index("product").loc["P1"]
    assert row["price_usd_per_t"] == pytest.approx(262.0)
    assert row["quantity_t"] == pytest.approx(curve_quantity(262.0), rel=0.01)
    assert row["quantity_t"] < 40.0 and bool(row["curve"])
    assert curved.welfare["welfare"] == pytest.approx(-curved.objective)
    assert curved.welfare["total_cost"] == pytest.approx(
        sum(v for k, v in curved.cost_breakdown.items() if k not in ("total", "willingness_to_pay"))
    )


def test_summary_says_what_the_objective_is() -> None:
    plain = summary_text(solve(), "t").splitlines()[0]
    assert plain == "oreflow run 't': optimal, total cost 4,750 USD per year"
    result = solve(curve=True)
    first = summary_text(result, "t").splitlines()[0]
    assert first == f"oreflow run 't': optimal, total cost - willingness to pay {result.objective:,.0f} USD per year"
    assert summary_dict(solve(), name="t", job=None, job_path=None)["objective_is"] == "total cost"
    assert summary_dict(result, name="t", job=None, job_path=None)["objective_is"] == "total cost - willingness to pay"


def test_summary_market_section_in_usd_per_kg_with_the_change_from_the_reference(curved: oreflow.Result) -> None:
    text = summary_text(curved, "t")
    lines = text.splitlines()
    start = lines.index("Market (delivered price in USD/kg, quantity in t per year; market.csv has USD/t):")
    p1 = curved.market.set_index("product").loc["P1"]
    line = next(x for x in lines[start:] if x.strip().startswith("M ") and "0.262 USD/kg" in x)
    assert f"{p1['quantity_t']:,.2f} t" in line
    assert f"-{abs(p1['demand_change_t']):,.2f} t from the reference 40 t at 0.200 USD/kg" in line
    # the co-product in surplus: the note as its heading, its price marked freight only
    assert lines[lines.index(f"  {SURPLUS_NOTE}") + 1].split() == ["M", "0.001", "USD/kg", "5", "t", "freight", "only"]


def test_summary_welfare_block_only_with_curves(curved: oreflow.Result) -> None:
    text = summary_text(curved, "t")
    assert "Welfare (USD per year):" in text
    w = curved.welfare
    for label, key in [
        ("willingness to pay", "willingness_to_pay"),
        ("total cost", "total_cost"),
        ("welfare (WTP - total cost)", "welfare"),
        ("consumer surplus", "consumer_surplus"),
        ("origin rents", "origin_rents"),
        ("refiner rents", "refiner_rents"),
    ]:
        line = next(x for x in text.splitlines() if x.strip().startswith(label + " ") and x.startswith("  "))
        shown = line.split()[-1]
        assert shown == ("0" if round(w[key]) == 0 else f"{w[key]:,.0f}"), line
    assert "Welfare (USD per year):" not in summary_text(solve(surplus=True), "t")


def test_summary_json_market_and_welfare(curved: oreflow.Result, tmp_path: Path) -> None:
    from oreflow.outputs import write_summary_json

    write_summary_json(summary_dict(curved, name="t", job=None, job_path=None), tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))  # valid JSON: no NaN, no <NA>
    assert summary["welfare_usd"] == pytest.approx(curved.welfare)
    market = {m["product"]: m for m in summary["market"]}
    assert market["P1"]["price_usd_per_kg"] == pytest.approx(0.262)
    assert market["P1"]["curve"] is True and market["P1"]["fragile"] is False
    assert market["P2"]["surplus"] is True and market["P2"]["note"] == SURPLUS_NOTE
    assert market["P2"]["reference_price_usd_per_t"] is None and market["P2"]["consumer_surplus_usd"] is None
    assert all("fragile" in b for b in summary["binding_constraints"])


def test_summary_marks_fragile_prices() -> None:
    result = solve(demand_t=30.2)
    assert bool(result.shadow_prices["capacity"]["fragile"].iloc[0]) and bool(result.market["fragile"].iloc[0])
    text = summary_text(result, "t")
    lines = text.splitlines()
    r1 = next(x for x in lines if x.strip().startswith("R1"))
    assert r1.split() == ["R1", "60", "t/yr", "saves", "96", "USD/t", "fragile"]
    assert "the capacity shadow price of R1 (-95.5 USD/t) holds from 0 t to 60.4 t (fragile)" in text
    grid = lines[lines.index("  product      ") + 1]
    assert grid.split() == ["P1", "262*"] and "  * fragile" in lines
    assert next(x for x in lines if "0.262 USD/kg" in x).endswith("fragile")
    assert FRAGILE_MEANING in lines
    binding = summary_dict(result, name="t", job=None, job_path=None)["binding_constraints"]
    assert {(b["family"], b["key"]): b["fragile"] for b in binding}[("capacity", "R1")] is True
    # and nothing is marked where nothing is fragile
    assert "fragile" not in summary_text(solve(), "t").lower()


# --- a run's report ------------------------------------------------------------------------------


def run_folder(tmp_path: Path, name: str, png: bool = False, **options) -> Path:
    write_dataset(tmp_path / name, frames(**options))
    job = write_job(tmp_path / f"{name}.toml", name, f"{name}_out", extra="report_png = true\n" if png else "")
    assert main(["run", str(job), "--quiet"]) == 0
    return tmp_path / f"{name}_out"


def section(html: str, name: str) -> str:
    found = re.search(rf"<section id={name}>(.*?)</section>", html, re.S)
    assert found, f"no section {name}"
    return found.group(1)


def test_run_report_shows_the_market_and_welfare(tmp_path: Path) -> None:
    out = run_folder(tmp_path, "curve", png=True, curve=True, surplus=True)
    html = (out / "report.html").read_text(encoding="utf-8")
    market = pd.read_csv(out / "market.csv", keep_default_na=False, na_values=[""]).set_index("product")
    welfare = pd.read_csv(out / "welfare.csv").set_index("component")["usd"]
    table = section(html, "market")
    assert "price, USD/kg" in table and "price, USD/t" in table and "consumer surplus, USD/yr" in table
    assert "<td class=n>0.262</td><td class=n>262</td>" in table
    assert f"{market.loc['P1', 'quantity_t']:,.2f}" in table and f"{market.loc['P1', 'demand_change_t']:+,.2f}" in table
    assert SURPLUS_NOTE in table
    box = section(html, "welfare")
    assert f"{welfare['welfare']:,.0f}" in box and f"{welfare['consumer_surplus']:,.0f}" in box
    assert "willingness to pay" in re.search(r"<p class=lead>(.*?)</p>", html).group(1)
    # the cost chart shows costs: the willingness to pay is in the welfare section
    cost = figure(html, "cost")["data"][0]
    assert "minus willingness to pay of what is consumed" not in cost["y"]
    assert sum(cost["customdata"]) == pytest.approx(welfare["total_cost"])
    assert charts(html)[:4] == ["sankey", "cost", "refinery", "delivered"]
    assert html.index("<section id=market>") > html.index('id="delivered"')
    assert '<a href="#market">' in html and '<a href="#welfare">' in html


def test_run_report_flags_fragile_prices(tmp_path: Path) -> None:
    out = run_folder(tmp_path, "fragile", png=True, demand_t=30.2)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "0.262 (fragile)" in section(html, "market")
    assert "fragile: within 1% of its right-hand side" in section(html, "market")
    heat = figure(html, "delivered")["data"][0]
    assert heat["text"] == [["262*"]] and "fragile" in heat["customdata"][0][0]
    assert "1 fragile price" in re.search(r'id="caption-delivered">(.*?)</p>', html).group(1)
    assert (out / "report_delivered.png").stat().st_size > 5_000
    # without curves: no welfare section, and the lead states the total cost
    assert "<section id=welfare>" not in html
    assert "total cost 2,182 USD per year" in re.search(r"<p class=lead>(.*?)</p>", html).group(1)


# --- scenario comparison and the batch report -----------------------------------------------------


def test_comparison_records_market_prices_quantities_and_welfare(curved: oreflow.Result) -> None:
    dearer = micro_frames()
    dearer["product_routes"] = dearer["product_routes"].assign(freight_usd_per_t=[30.0, 60.0])
    dearer["demand"] = frames(curve=True, surplus=True)["demand"]
    other = oreflow.solve(oreflow.Network.from_frames(**dearer))
    table = comparison([Outcome("base", curved), Outcome("dear_freight", other)]).set_index(
        ["scenario", "metric", "key"]
    )
    row = table.loc[("dear_freight", "market_price", "M/P1")]
    p1 = other.market.set_index("product").loc["P1"]
    assert row["unit"] == "USD/t" and row["value"] == pytest.approx(p1["price_usd_per_t"])
    assert row["delta"] == pytest.approx(p1["price_usd_per_t"] - 262.0) and row["delta"] > 0
    quantity = table.loc[("dear_freight", "market_quantity", "M/P1")]
    assert quantity["unit"] == "t" and quantity["value"] == pytest.approx(p1["quantity_t"])
    assert quantity["delta"] < 0  # a dearer price, less bought
    for key in ("welfare", "consumer_surplus"):
        found = table.loc[("dear_freight", "welfare", key)]
        assert found["delta"] == pytest.approx(other.welfare[key] - curved.welfare[key]) and found["delta"] < 0


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("batch_curve")
    write_dataset(root / "micro", frames(curve=True, surplus=True))
    extra = BAN_AND_INFEASIBLE + (
        '\n[[scenarios]]\nname = "dear_freight"\nchanges = [ { action = "scale", table = "product_routes", '
        'column = "freight_usd_per_t", factor = 30 } ]\n'
    )
    job = write_job(root / "job.toml", "micro", "out", extra="report_png = true\n" + extra)
    assert main(["run", str(job), "--quiet"]) == 1  # 'impossible' is infeasible
    return root / "out"


def test_batch_report_draws_market_prices_per_product(batch: Path) -> None:
    html = (batch / "report.html").read_text(encoding="utf-8")
    assert charts(html) == ["cost_by_scenario", "delta_vs_base", "feed_by_country", "market_prices"]
    table = pd.read_csv(batch / "comparison.csv", keep_default_na=False, na_values=[""])
    prices = table.loc[table["metric"] == "market_price"].set_index(["scenario", "key"])["value"]
    fig = figure(html, "market_prices")
    traces = fig["data"]
    # one panel (axis) per product, a bar per case in each, in USD/kg
    assert {t["yaxis"] for t in traces} == {"y", "y2"}
    assert [t["name"] for t in traces if t["yaxis"] == "y"] == [
        "base",
        "no_exports",
        "impossible (infeasible)",
        "dear_freight",
    ]
    # the dearest product's panel first
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["<b>P1</b>", "<b>P2</b>"]
    for t in traces:
        product = "P1" if t["yaxis"] == "y" else "P2"
        for market, value in zip(t["x"], t["y"]):
            if t["legendgroup"] == "impossible":
                assert value is None
            else:
                assert value == pytest.approx(prices[(t["legendgroup"], f"{market}/{product}")] / 1000.0)
    assert "USD/kg" in fig["layout"]["yaxis"]["title"]["text"] and "USD/kg" in fig["layout"]["yaxis2"]["title"]["text"]
    caption = re.search(r'id="caption-market_prices">(.*?)</p>', html).group(1)
    assert "dear_freight" in caption and "USD/kg" in caption
    assert (batch / "report_market_prices.png").stat().st_size > 5_000


def test_batch_report_cost_is_total_cost_and_welfare_is_compared(batch: Path) -> None:
    html = (batch / "report.html").read_text(encoding="utf-8")
    base = json.loads((batch / "base" / "summary.json").read_text(encoding="utf-8"))
    cost = figure(html, "cost_by_scenario")
    assert "willingness_to_pay" not in {t["name"] for t in cost["data"]}
    assert "minus willingness to pay of what is consumed" not in {t["name"] for t in cost["data"]}
    assert f"The base case costs {base['welfare_usd']['total_cost']:,.0f} USD per year" in html
    cases = section(html, "cases")
    assert "welfare vs base, USD/yr" in cases and "consumer surplus vs base, USD/yr" in cases
    no_exports = json.loads((batch / "no_exports" / "summary.json").read_text(encoding="utf-8"))
    change = no_exports["welfare_usd"]["welfare"] - base["welfare_usd"]["welfare"]
    assert f"{change:+,.0f}" in cases


def test_batch_png_drawer_is_registered() -> None:
    from oreflow.report.png import DRAWERS

    assert "market_prices" in DRAWERS


# --- sweeps ----------------------------------------------------------------------------------------


def test_sweep_points_record_quantities_and_welfare(curved: oreflow.Result) -> None:
    from oreflow.solvers import solve_lp
    from oreflow.sweep.extract import Extractor

    network = oreflow.Network.from_frames(**frames(curve=True, surplus=True))
    lp = build_lp(network)
    record = solve_lp(lp, "highs", None, {}, False)
    figures = Extractor(network, lp, ("demand",)).figures(lp, record)
    p1 = curved.market.set_index("product").loc["P1"]
    assert figures["quantity_t.M/P1"] == pytest.approx(p1["quantity_t"])
    assert "quantity_t.M/P2" not in figures  # no curve: its quantity is its demand
    assert figures["price.demand.M/P1"] == pytest.approx(262.0)
    assert figures["welfare_usd"] == pytest.approx(curved.welfare["welfare"])
    plain = oreflow.Network.from_frames(**frames())
    lp = build_lp(plain)
    figures = Extractor(plain, lp, ("demand",)).figures(lp, solve_lp(lp, "highs", None, {}, False))
    assert not [k for k in figures if k.startswith("quantity_t.") or k == "welfare_usd"]


SWEEP = """
[sweep]
mode = "grid"
prices = ["capacity", "demand"]

[[sweep.parameters]]
name = "freight"
table = "product_routes"
column = "freight_usd_per_t"
action = "scale"
values = [1, 10, 30, 60]
"""


def test_sweep_report_shows_quantities_beside_the_prices(tmp_path: Path) -> None:
    write_dataset(tmp_path / "micro", frames(curve=True, surplus=True))
    job = write_job(tmp_path / "job.toml", "micro", "out", extra=SWEEP)
    assert main(["sweep", str(job), "--out", str(tmp_path / "sweep"), "--quiet"]) == 0
    points = pd.read_csv(tmp_path / "sweep" / "points.csv")
    columns = list(points.columns)
    assert columns.index("welfare_usd") == columns.index("objective_usd") + 1
    assert columns.index("quantity_t.M/P1") == columns.index("unmet_t.M/P2") + 1
    assert points["welfare_usd"].to_numpy() == pytest.approx(-points["objective_usd"].to_numpy())
    quantity = points["quantity_t.M/P1"].to_numpy()
    price = points["price.demand.M/P1"].to_numpy()
    assert np.all(np.diff(price) > 0) and np.all(np.diff(quantity) < 0)  # dearer freight: dearer, less bought
    assert quantity == pytest.approx([curve_quantity(p) for p in price], rel=0.02)
    html = (tmp_path / "sweep" / "report.html").read_text(encoding="utf-8")
    assert "quantities" in charts(html) and charts(html).index("quantities") > charts(html).index("prices_demand")
    line = figure(html, "quantities")["data"][0]
    assert line["name"] == "M/P1" and line["customdata"] == pytest.approx(list(quantity))
    cost = figure(html, "cost")
    assert cost["data"][0]["name"] == "total cost - willingness to pay"


def test_percentile_table_lists_quantities_and_welfare(tmp_path: Path) -> None:
    from oreflow.report.sweep.pages import percentile_table
    from oreflow.report.sweep.points import PointsData

    x = np.linspace(0, 1, 20)
    points = pd.DataFrame(
        {
            "point": np.arange(20),
            "status": "optimal",
            "objective_usd": -1000 - 50 * x,
            "welfare_usd": 1000 + 50 * x,
            "unmet_t": 0 * x,
            "price.demand.M/P1": 262 + 100 * x,
            "quantity_t.M/P1": 35 - 5 * x,
        }
    )
    html = percentile_table(PointsData(tmp_path, {"parameters": [{"name": "f"}]}, points))
    assert "quantity delivered, M/P1" in html and ">welfare<" in html and "total cost - willingness to pay" in html


def test_price_helpers() -> None:
    assert kg_text(66_307.8) == "66.31 USD/kg" and kg_text(200.0) == "0.200 USD/kg"
    assert flags(pd.Series([True, False, pd.NA], dtype="boolean")).tolist() == [True, False, False]
    assert flags(pd.Series(["True", "False", np.nan], dtype=object)).tolist() == [True, False, False]
