"""The report of a plan (`oreflow run` on a job with a [horizon]): written with the plan's tables,
rebuilt by `oreflow report DIR`, stating its findings in numbers.

The micro model (tests/conftest.py) over 2024-2026 with one build and one stockpile: P1 costs 71
USD/t delivered from R1 while its 60 t of ore capacity last, then 262 USD/t from R2. Expanding
R1 (capital 500 USD per t/yr, 10 years, r = 0: 50 USD a year per t/yr) saves 95.5 USD a year per
t/yr (tests/test_planning.py), so with a year's lead time 20 t/yr are started in 2024, online in
2025; from then on R1 makes all 40 t of P1 from 80 t of ore, and the marginal tonne of P1 costs
2 t of ore at 35 USD/t, 1 USD/t of freight and 2 t/yr of expansion at 50 USD a year: 171 USD/t
(0.171 USD/kg, down from 0.262). Each year costs 4,750 USD (2024), then 2,840 USD; the build's
charges are 20 t/yr x 50 USD x 2 years = 2,000 USD: 12,430 USD in all. Holding stock costs 1 USD/t
a year and gains nothing: the stockpile stays empty.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_report import browse, charts, check_screenshot, figure, rendered

from conftest import write_dataset, write_job
from oreflow.cli import main
from oreflow.manifest import KINDS, PLAN
from oreflow.outputs import foreign_entries

HORIZON = "[horizon]\nyears = [2024, 2025, 2026]\n"
SECTIONS = ("separation", "builds", "prices", "stockpiles", "costs", "limits", "metadata")


def build_row(**change: object) -> pd.DataFrame:
    row = {
        "build": "R1_x",
        "stage": "refining",
        "site": "R1",
        "capital_usd_per_t": 500.0,
        "lead_time_years": 1,
        "earliest_start": 2024,
        "lifetime_years": 10,
        "max_t": 1000.0,
    }
    return pd.DataFrame([{**row, **change}])


def stockpile() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stockpile": ["M_P1"],
            "market": ["M"],
            "product": ["P1"],
            "initial_t": [0.0],
            "max_t": [float("inf")],
            "holding_usd_per_t_year": [1.0],
        }
    )


def run_plan(root: Path, extra: str = "", **tables: pd.DataFrame) -> tuple[Path, str]:
    """Write the micro dataset with ``tables`` (builds, stockpiles, ...) and run a plan job on
    it: (output folder, what `oreflow run` printed)."""
    dataset = write_dataset(root / "micro")
    for name, frame in tables.items():
        frame.to_csv(dataset / f"{name}.csv", index=False)
    job = write_job(root / "job.toml", "micro", "out", extra + HORIZON)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["run", str(job)]) == 0
    return root / "out", printed.getvalue()


def caption(html: str, name: str) -> str:
    found = re.search(rf'<p class="caption" id="caption-{name}">(.*?)</p>', html, re.S)
    assert found, f"no caption for {name!r}"
    return found.group(1).replace("&#x27;", "'")


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return run_plan(tmp_path_factory.mktemp("plan"), builds=build_row(), stockpiles=stockpile())


@pytest.fixture(scope="module")
def html(plan: tuple[Path, str]) -> str:
    return (plan[0] / "report.html").read_text(encoding="utf-8")


def test_a_plan_writes_its_report_and_nothing_the_manifest_does_not_list(plan: tuple[Path, str], html: str) -> None:
    out, _ = plan
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["kind"] == PLAN
    assert all(KINDS[PLAN].written(p.name) for p in out.iterdir())
    assert foreign_entries(out) == []
    assert not list(out.glob("report_*.png"))  # report_png is off by default
    assert html.count("plotly.js v") == 1
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=["\']?(https?:)?//', html)  # nothing fetched
    for name in SECTIONS:
        assert f'<section id="{name}">' in html, name
        assert caption(html, name), name
    assert charts(html) == ["separation", "builds", "prices", "stockpiles", "costs"]


def test_the_lead_states_the_objective_horizon_and_builds(html: str) -> None:
    lead = re.search(r"<p class=lead>(.*?)</p>", html, re.S)
    assert lead is not None
    assert lead.group(1) == (
        "Cost 12,430 USD in present value at 2024, over 2024–2026 (3 periods, discount rate 0 %); "
        "1 build adds 20 t/yr of capacity (online 2025); all demand met in every year."
    )


def test_the_build_is_stated_at_its_site_and_year(html: str) -> None:
    assert caption(html, "builds") == (
        "R1_x adds 20 t/yr of refining capacity at R1 in X: started 2024, online 2025; "
        "charges 2,000 USD in present value."
    )
    bars = figure(html, "builds")["data"]
    assert [(t["name"], t["x"], t["y"]) for t in bars] == [("R1", [2024, 2025, 2026], [None, 20.0, None])]
    table = html.split('<section id="builds">')[1].split("</section>")[0]
    assert "<td>R1_x</td><td>refining</td><td>R1</td><td>X</td><td class=n>2024</td><td class=n>2025</td>" in table


def test_capacity_includes_what_is_built(html: str) -> None:
    """R1's 60 t/yr and the 20 t/yr built from 2025 (shadow_prices_capacity.csv's rhs, not
    refinery.csv's capacity_t); R2 has no limit and carries the rest until R1 is expanded."""
    assert caption(html, "separation") == (
        "Separation capacity grows from 60 t/yr in 2024 to 80 t/yr in 2026, all in X; "
        "Y has no capacity limit; use falls from 100 t/yr in 2024 to 80 t/yr in 2026: "
        "X rises most (60 t/yr to 80 t/yr, 100 % of its capacity), Y falls most (40 t/yr to 0 t/yr)."
    )
    lines = {(t.get("xaxis", "x"), t["name"]): t["y"] for t in figure(html, "separation")["data"]}
    assert lines[("x", "separation capacity")] == [60.0, 80.0, 80.0]
    assert lines[("x", "use (throughput)")] == [60.0, 80.0, 80.0]
    assert lines[("x2", "use (throughput)")] == [40.0, 0.0, 0.0]
    assert ("x2", "separation capacity") not in lines  # no limit: no capacity line


def test_the_price_path_is_stated_in_usd_per_kg(html: str) -> None:
    assert caption(html, "prices") == (
        "P1 in M falls from 0.262 USD/kg in 2024 to 0.171 USD/kg in 2025 (−34.7 %) and is 0.171 USD/kg in 2026."
    )
    (line,) = figure(html, "prices")["data"]
    assert (line["name"], line["x"]) == ("M", [2024, 2025, 2026])
    assert line["y"] == pytest.approx([0.262, 0.171, 0.171])


def test_stock_costs_and_limits_are_stated(plan: tuple[Path, str], html: str) -> None:
    assert caption(html, "stockpiles") == "No stock is held: the stockpile stays empty over 2024–2026."
    assert caption(html, "costs") == (
        "The plan's cost is 12,430 USD in present value at 2024: 10,430 USD over the years, 2,000 USD of build "
        "charges; a year costs 4,750 USD in 2024 and 2,840 USD in 2026 (−40.2 %)."
    )
    costs = pd.read_csv(plan[0] / "costs_by_year.csv")
    bars = {t["name"]: t["y"] for t in figure(html, "costs")["data"]}
    assert bars["per year of the period"] == pytest.approx(costs["objective_usd_per_year"].tolist())
    assert caption(html, "limits") == "No build limit binds: the dataset sets none (build_limits.csv)."


def test_run_prints_the_plan(plan: tuple[Path, str]) -> None:
    out, printed = plan
    assert "oreflow plan 'job': optimal, 3 periods 2024-2026" in printed
    assert "R1_x at R1 (X): 20 t/yr, started 2024, online 2025" in printed
    assert "M_P1: 2024: 0, 2025: 0, 2026: 0" in printed
    assert printed.rstrip().endswith(f"Outputs written to {out}\nReport: {out / 'report.html'}")


def test_oreflow_report_rebuilds_it(plan: tuple[Path, str], html: str, tmp_path: Path) -> None:
    copy = shutil.copytree(plan[0], tmp_path / "out")
    (copy / "report.html").unlink()
    assert main(["report", str(copy)]) == 0
    rebuilt = (copy / "report.html").read_text(encoding="utf-8")
    for name in charts(html):  # `oreflow report` draws the PNGs too, and links them
        assert (copy / f"report_{name}.png").is_file(), name
        assert f'<a href="report_{name}.png">' in rebuilt
    assert [caption(rebuilt, n) for n in SECTIONS] == [caption(html, n) for n in SECTIONS]
    assert foreign_entries(copy) == []


def test_an_incomplete_plan_folder_is_refused(plan: tuple[Path, str], tmp_path: Path) -> None:
    copy = shutil.copytree(plan[0], tmp_path / "out")
    (copy / "costs_by_year.csv").unlink()
    (copy / "report.html").unlink()
    assert main(["report", str(copy)]) == 1
    assert not (copy / "report.html").exists()


def test_without_builds_or_stockpiles_the_page_says_so(tmp_path: Path) -> None:
    out, printed = run_plan(tmp_path)
    assert "Builds: none" in printed
    html = (out / "report.html").read_text(encoding="utf-8")
    assert caption(html, "builds") == "No plant is built."
    assert caption(html, "stockpiles") == "No stockpile."
    assert charts(html) == ["separation", "prices", "costs"]
    assert "no plant is built" in html.split("<p class=lead>")[1].split("</p>")[0]


@pytest.fixture(scope="module")
def disrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 t of ore in 2024 and 2025, none in 2026 (paths.csv); the stockpile of
    tests/test_planning.py; R1 may be expanded at once, by at most 5 t/yr a year in X."""
    root = tmp_path_factory.mktemp("disrupted")
    limits = pd.DataFrame({"country": ["X"], "stage": ["refining"], "limit_t_per_year": [5.0]})
    out, _ = run_plan(
        root,
        "report_png = true\n",
        builds=build_row(lead_time_years=0),
        build_limits=limits,
        stockpiles=stockpile(),
        paths=pd.DataFrame(
            {
                "path": ["cut"],
                "table": ["origins"],
                "column": ["supply_t"],
                "mode": ["set"],
                "between": ["step"],
                "2024": [400.0],
                "2025": [400.0],
                "2026": [0.0],
            }
        ),
    )
    return out


def test_a_stockpile_filled_before_the_disruption_is_stated(disrupted: Path) -> None:
    """Filled with 40 t in 2025, drawn in 2026 (tests/test_planning.py derives it)."""
    html = (disrupted / "report.html").read_text(encoding="utf-8")
    assert caption(html, "stockpiles") == (
        "M_P1 (P1 in M) holds the most: 40 t at the end of 2025; filled 40 t/yr in 2025; drawn 40 t/yr in 2026."
    )
    lines = {t["name"]: t["y"] for t in figure(html, "stockpiles")["data"]}
    assert lines == {"fill": [0.0, 40.0, 0.0], "draw": [-0.0, -0.0, -40.0], "level": [0.0, 40.0, 0.0]}


def test_a_binding_build_limit_is_priced_per_t_per_year(disrupted: Path) -> None:
    html = (disrupted / "report.html").read_text(encoding="utf-8")
    prices = pd.read_csv(disrupted / "horizon_prices.csv")
    binding = prices.loc[(prices["kind"] == "build_limit") & (prices["shadow_price"] != 0)]
    assert len(binding) == 1
    row = binding.iloc[0]
    saves = f"{-row['shadow_price']:,.0f} USD"
    assert caption(html, "limits") == (
        f"1 limit on building binds; the most valuable: refining in X in {row['year']}, where one more t/yr of "
        f"building capability saves {saves} ({row['year']} money; {saves} in present value)."
    )
    table = html.split('<section id="limits">')[1].split("</section>")[0]
    assert f"<td>refining in X</td><td class=n>{row['year']}</td><td class=n>1</td><td class=n>5</td>" in table


def test_report_png_draws_each_chart(disrupted: Path) -> None:
    html = (disrupted / "report.html").read_text(encoding="utf-8")
    assert charts(html) == ["separation", "builds", "prices", "stockpiles", "costs"]
    for name in charts(html):
        assert (disrupted / f"report_{name}.png").stat().st_size > 5000, name
    assert foreign_entries(disrupted) == []


def test_browser_renders_the_plan_report(disrupted: Path, tmp_path: Path) -> None:
    page = disrupted / "report.html"
    dom, console, shot = browse(page, tmp_path, height=4000)
    assert console == [], "console messages:\n" + "\n".join(console)
    for name in charts(page.read_text(encoding="utf-8")):
        drawn = rendered(dom, name)
        assert 'data-rendered="true"' in drawn and 'class="main-svg"' in drawn, f"{name} not drawn"
    check_screenshot(shot)
