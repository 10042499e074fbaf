"""The report pages of sweeps (a share-limit frontier, a two-parameter grid, a Monte Carlo
sample) and of an N-1 stress test, built from small synthetic output folders written here
in the formats `oreflow sweep` and `oreflow stress` write (and one folder written by
`oreflow sweep` itself); checked as files and in headless Chromium (helpers shared with
tests/test_report.py)."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_report import browse, charts, check_screenshot, figure, rendered

from conftest import BASELINE_DATASET, write_job
from oreflow.cli import main
from oreflow.report import rebuild, write_stress_report, write_sweep_report
from oreflow.report.common import fmt

UNITS = {"capacity": "USD/t", "demand": "USD/t", "share_limit": "USD per percentage point", "supply": "USD/t"}
SHARE = {
    "name": "cn_share",
    "table": "share_limits",
    "column": "max_share",
    "action": "set",
    "where": {"market": "EU", "product": "NdPr", "country": "CN"},
    "unit": "share (0-1)",
}
COST_SCALE = {
    "name": "baotou_cost",
    "table": "refiners",
    "column": "processing_cost_usd_per_t",
    "action": "scale",
    "where": {"refiner": "CN_Baotou"},
    "unit": "factor",
}
SUPPLY = {
    "name": "mm_supply",
    "table": "origins",
    "column": "supply_t",
    "action": "scale",
    "where": {"origin": "MM_Kachin_IAC"},
    "unit": "factor",
}
BASE = 2.69e9


def _results(x: np.ndarray, unmet: np.ndarray) -> dict[str, np.ndarray]:
    """Result columns of points whose 'tightness' is x in [0, 1] (0: the base case)."""
    objective = BASE + 2.0e9 * x**2 + 1e7 * unmet
    return {
        "objective_usd": objective,
        "cost.mining_usd": 0.4 * BASE + 0 * x,
        "cost.ore_freight_usd": 5e7 + 1e8 * x,
        "cost.processing_usd": objective - 0.4 * BASE - 5e7 - 1e8 * x - 1e7 * unmet - 2e7,
        "cost.product_freight_usd": 2e7 + 0 * x,
        "cost.unmet_penalty_usd": 1e7 * unmet,
        "unmet_t": unmet,
        "unmet_t.EU/NdPr": unmet,
        "unmet_t.JP/Dy": 0 * x,
        "feed_t.CN": 250_000 * (1 - 0.4 * x),
        "feed_t.MY": 20_000 + 60_000 * x,
        "feed_t.US": 5_000 + 40_000 * x,
        "ore_t.CN": 200_000 + 0 * x,
        "ore_t.US": 45_000 + 0 * x,
        "price.capacity.CN_Baotou": -2_649 * (1 - x),
        "price.capacity.MY_Lynas_Kuantan": -8_000 * x,
        "price.demand.EU/NdPr": np.where(unmet > 0, 1e7, 66_308 + 150_000 * x),
        "price.demand.JP/NdPr": 64_000 + 20_000 * x,
        "price.demand.EU/Dy": 300_000 + 0 * x,
        "price.share_limit.EU/NdPr/CN/max": -4.0e6 * x,
        "solve_s": 0.01 + 0 * x,
        # columns the report does not draw (flows = [...], price_trust = true) must not disturb it
        "flow_t.CN_BayanObo/CN_Baotou": 180_000 * (1 - 0.4 * x),
        "ship_t.CN_Baotou/EU/NdPr": 4_000 + 0 * x,
    }


def _points(
    params: dict[str, np.ndarray],
    x: np.ndarray,
    unmet: np.ndarray,
    failed: dict[int, tuple[str, str]],
    labels: list[str] | None = None,
    no_basis: tuple[int, ...] = (),
) -> pd.DataFrame:
    """Points with their results and dual trust (blank where failed); ``no_basis``: points whose
    duals come without a basis (interior point without crossover)."""
    n = len(x)
    frame = pd.DataFrame(
        {
            "point": np.arange(n),
            "label": labels or [f"p{i}" for i in range(n)],
            **{f"param.{k}": v for k, v in params.items()},
            "status": "optimal",
            "error": "",
        }
    )
    results = pd.DataFrame(_results(np.asarray(x, float), np.asarray(unmet, float)))
    trust = pd.DataFrame(
        {
            "unique.capacity.CN_Baotou": [(True, False, None)[i % 3] for i in range(n)],
            "has_basis": [i not in no_basis for i in range(n)],
            "unique_duals": [i % 2 == 0 and i not in no_basis for i in range(n)],
            "degenerate_rows": [-1 if i in no_basis else i % 2 for i in range(n)],
            "alternative_optima": [3] * n,
        },
        dtype=object,
    )
    for i, (status, error) in failed.items():
        frame.loc[i, ["status", "error"]] = [status, error]
        results.loc[i] = np.nan
        trust.loc[i] = None
    return pd.concat([frame, results, trust], axis=1)


def _write(folder: Path, summary: dict, points: pd.DataFrame, **tables: pd.DataFrame) -> Path:
    folder.mkdir(parents=True)
    columns = {
        c: {"family": c.split(".")[1], "key": c.split(".", 2)[2], "unit": UNITS[c.split(".")[1]]}
        for c in points.columns
        if c.startswith("price.")
    }
    summary = {
        **summary,
        "base_objective_usd": BASE,
        "columns": columns,
        "timings_s": {"total_s": 1.5},
        "versions": {"oreflow": "0.1", "highspy": "1.7"},
        "job_file": str(folder / "job.toml"),
        "execution": {"workers": 2, "scheduler": None},
    }
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    points.to_csv(folder / "points.csv", index=False)
    try:
        points.to_parquet(folder / "points.parquet", index=False)
    except ImportError:  # pragma: no cover - parquet needs pyarrow; the report reads points.csv
        pass
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _sweep(folder: Path, mode: str, params: list[dict], points: pd.DataFrame) -> Path:
    failed = int((points["status"] != "optimal").sum())
    solved = points.loc[points["status"] == "optimal"]
    trust = {
        "points_without_basis": int((~solved["has_basis"].astype(bool)).sum()),
        "points_with_non_unique_duals": int((~solved["unique_duals"].astype(bool)).sum()),
        "note": "per point: has_basis, unique_duals, degenerate_rows, alternative_optima",
    }
    return _write(
        folder,
        {
            "kind": "sweep",
            "name": folder.name,
            "mode": mode,
            "parameters": params,
            "points": len(points),
            "optimal": len(points) - failed,
            "failed": failed,
            "dual_trust": trust,
        },
        points,
    )


def frontier_folder(folder: Path) -> Path:
    """Max share of EU NdPr refined in CN from 100 % down to 0 %; unmet below 20 %, infeasible at 0 %."""
    share = np.round(np.linspace(1.0, 0.0, 11), 2)
    unmet = np.where(share < 0.2, 150.0, 0.0)
    points = _points({"cn_share": share}, 1 - share, unmet, {10: ("infeasible", "share limit cannot be met")})
    return _sweep(folder, "grid", [SHARE], points)


def grid_folder(folder: Path, supply: list[float] = (0.5, 0.75, 1.0)) -> Path:
    """baotou_cost x mm_supply, the last varying fastest; point 4 failed, points 0 and 2 without a basis."""
    a, b = np.meshgrid([0.8, 1.0, 1.2], supply, indexing="ij")
    a, b = a.ravel(), b.ravel()
    points = _points(
        {"baotou_cost": a, "mm_supply": b},
        (a - 0.8) / 0.4 * (1.25 - b),
        0 * a,
        {4: ("error", "solver crashed")},
        no_basis=(0, 2),
    )
    return _sweep(folder, "grid", [COST_SCALE, SUPPLY], points)


def monte_carlo_folder(folder: Path) -> Path:
    rng = np.random.default_rng(7)
    n = 200
    params = {
        "baotou_cost": rng.uniform(0.7, 1.3, n),
        "mm_supply": rng.uniform(0.3, 1.0, n),
        "cn_share": rng.uniform(0.5, 1.0, n),
    }
    x = np.clip((params["baotou_cost"] - 0.7) / 0.6 * (1.0 - params["mm_supply"]) + rng.normal(0, 0.05, n), 0, 1)
    points = _points(params, x, 0 * x, {3: ("infeasible", ""), 17: ("error", "time limit reached")})
    return _sweep(folder, "monte_carlo", [COST_SCALE, SUPPLY, SHARE], points)


DISRUPTIONS = [  # kind, element, description, x (cost), unmet increase
    ("refiner", "CN_Baotou", "refiner CN_Baotou lost", 0.64, 120.0),
    ("origin", "CN_BayanObo", "origin CN_BayanObo lost", 0.5, 0.0),
    ("ore_route_group", "US->CN ore", "every ore route US -> CN closed", 0.2, 0.0),
    ("refiner", "MY_Lynas_Kuantan", "refiner MY_Lynas_Kuantan lost", 0.1, 15.0),
    ("product_route_group", "CN->JP products", "every product route CN -> JP closed", 0.05, 0.0),
    ("origin", "MM_Kachin_IAC", "origin MM_Kachin_IAC lost", np.nan, np.nan),
]


def stress_folder(folder: Path) -> Path:
    kinds, elements, descriptions, x, unmet = (list(c) for c in zip(*DISRUPTIONS))
    x = np.asarray(x, float)
    points = _points(
        {}, np.nan_to_num(x), np.nan_to_num(unmet), {5: ("infeasible", "demand cannot be met")}, labels=elements
    )
    points.insert(2, "element", elements)
    points.insert(2, "kind", kinds)
    objective = points["objective_usd"].to_numpy(float)
    stress = pd.DataFrame(
        {
            "rank": np.arange(1, 7),
            "kind": kinds,
            "element": elements,
            "description": descriptions,
            "status": points["status"],
            "error": points["error"],
            "objective_usd": objective,
            "cost_increase_usd": objective - BASE,
            "cost_increase_pct": (objective - BASE) / BASE * 100,
            "unmet_t": points["unmet_t"],
            "unmet_increase_t": points["unmet_t"],
            "top_price_moves": ["capacity CN_Ganzhou_CREG +2,649 USD/t", "", "", "", "", ""],
        }
    )
    unmet_rows = pd.DataFrame(
        {
            "kind": ["refiner", "refiner", "refiner"],
            "element": ["CN_Baotou", "CN_Baotou", "MY_Lynas_Kuantan"],
            "market": ["EU", "JP", "EU"],
            "product": ["NdPr", "Dy", "NdPr"],
            "unmet_t": [100.0, 20.0, 15.0],
            "unmet_increase_t": [100.0, 20.0, 15.0],
        }
    )
    prices = pd.DataFrame(
        {
            "kind": "refiner",
            "element": "CN_Baotou",
            "column": ["price.capacity.CN_Ganzhou_CREG", "price.demand.EU/NdPr"],
            "family": ["capacity", "demand"],
            "key": ["CN_Ganzhou_CREG", "EU/NdPr"],
            "unit": ["USD/t", "USD/t"],
            "base": [-2_649.0, 66_308.0],
            "value": [-5_298.0, 1e7],
            "change": [-2_649.0, 1e7 - 66_308.0],
        }
    )
    summary = {"kind": "stress", "name": folder.name, "disruptions": len(stress), "failed": 1}
    return _write(folder, summary, points, stress=stress, stress_unmet=unmet_rows, stress_prices=prices)


BUILDERS = {"frontier": frontier_folder, "grid": grid_folder, "monte_carlo": monte_carlo_folder}
EXPECTED = {
    "frontier": ["frontier", "frontier_delivered", "frontier_share_price", "feed", "prices_capacity"],
    "grid": ["cost_grid", "cost_lines", "prices_capacity", "prices_demand", "prices_share_limit"],
    "monte_carlo": ["cost_distribution", "cost_scatter", "price_scatter"],
    "stress": ["ranking", "unmet_by_disruption"],
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every synthetic folder with its report written (PNGs drawn)."""
    root = tmp_path_factory.mktemp("sweeps")
    found = {name: build(root / name) for name, build in BUILDERS.items()}
    for folder in found.values():
        write_sweep_report(folder)
    found["stress"] = stress_folder(root / "stress")
    write_stress_report(found["stress"])
    return found


def _html(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


def _opened(folder: Path) -> tuple[str, pd.DataFrame]:
    """(report.html, points.csv sorted by the first parameter)."""
    points = pd.read_csv(folder / "points.csv")
    return _html(folder), points.sort_values(next(c for c in points.columns if c.startswith("param.")), kind="stable")


def _caption(html: str, name: str) -> str:
    return unescape(re.search(rf'<p class="caption" id="caption-{name}">(.*?)</p>', html).group(1))


def _values(values: pd.Series | np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else pytest.approx(float(v), rel=1e-9) for v in np.asarray(values, float)]


# --- files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXPECTED))
def test_pages_are_self_contained_with_captions_and_pngs(name: str, folders: dict[str, Path]) -> None:
    folder = folders[name]
    html = _html(folder)
    assert html.count("plotly.js v") == 1  # the bundle, embedded once
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=["\']?(https?:)?//', html)
    assert charts(html) == EXPECTED[name]
    for chart in charts(html):
        assert re.search(r"\d", _caption(html, chart)), f"the caption of {chart} states no number"
        png = folder / f"report_{chart}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
        assert f'href="report_{chart}.png"' in html
        spec = figure(html, chart)
        titles = [spec["layout"][k]["title"]["text"] for k in ("xaxis", "yaxis") if k in spec["layout"]]
        assert all(titles[:1]) and all("%{" in t["hovertemplate"] for t in spec["data"])
    assert "Run metadata" in html and "2 worker(s)" in html
    assert ("Failed points" in html) or ("Disruptions without a solution" in html)


def test_frontier_charts_equal_the_points(folders: dict[str, Path]) -> None:
    html, points = _opened(folders["frontier"])
    cost = figure(html, "frontier")
    trace = cost["data"][0]
    assert trace["x"] == pytest.approx(points["param.cn_share"].tolist())
    assert trace["customdata"] == _values(points["objective_usd"])  # raw USD; the failed point is a gap
    assert trace["y"] == _values(points["objective_usd"] / 1e6)  # plotted in M USD
    assert cost["layout"]["xaxis"]["title"]["text"] == "cn_share, share, %"
    assert cost["layout"]["xaxis"]["tickformat"] == ".0%"
    assert cost["layout"]["yaxis"]["title"]["text"] == "total cost, M USD per year"
    low, high = cost["layout"]["yaxis"]["range"]  # fitted to the points that meet demand: the penalty is off scale
    served = points.loc[points["unmet_t"] == 0, "objective_usd"] / 1e6
    assert low < served.min() < served.max() < high < points["objective_usd"].max() / 1e6
    assert cost["layout"]["annotations"][0]["text"] == "below 20 % demand goes unmet: off scale"
    assert "USD per year" in trace["hovertemplate"]
    assert "150 t of demand unmet" in trace["text"]
    unmet = (points["unmet_t"] > 0).tolist()
    assert trace["marker"]["color"] == ["#c0392b" if u else "#2e86c1" for u in unmet]  # unmet demand in red
    assert _caption(html, "frontier") == (
        "Cutting the share of NdPr for European Union (EU) refined in China (CN) from 100 % to 20 % raises total "
        "cost by 1.28 bn USD per year (2.69 bn USD to 3.97 bn USD); below 20 % demand goes unmet (150 t at 10 %); "
        "1 of 11 points could not be solved."
    )
    delivered = {t["name"]: t for t in figure(html, "frontier_delivered")["data"]}
    assert sorted(delivered) == ["EU/NdPr", "JP/NdPr"]  # the share limit's product, in each market
    assert delivered["EU/NdPr"]["customdata"] == _values(points["price.demand.EU/NdPr"])
    assert "type" not in figure(html, "frontier_delivered")["layout"]["yaxis"]  # the penalty is off scale, not log
    assert _caption(html, "frontier_delivered") == (
        "Down to 20 %, the delivered marginal cost of NdPr in European Union (EU) goes from 66,308 to 186,308 USD/t; "
        "below 20 %, where demand goes unmet, it is the unmet-demand penalty (up to 10,000,000)."
    )
    assert _caption(html, "frontier_share_price") == (
        "At 20 %, the tightest limit that meets demand, one more percentage point of de-risking (EU/NdPr/CN/max) "
        "costs 3.2 M USD per year (shadow price -3,200,000 USD per percentage point)."
    )
    share = figure(html, "frontier_share_price")
    assert share["data"][0]["customdata"] == _values(points["price.share_limit.EU/NdPr/CN/max"])
    assert share["layout"]["yaxis"]["title"]["text"] == "shadow price, USD per percentage point"
    feed = {t["name"]: t for t in figure(html, "feed")["data"]}
    solved = points.loc[points["status"] == "optimal"]
    assert list(feed) == ["China (CN)", "Malaysia (MY)", "United States (US)"]
    assert feed["China (CN)"]["customdata"] == _values(solved["feed_t.CN"])
    assert "prices_demand" not in charts(html) and "prices_share_limit" not in charts(html)
    capacity = {t["name"] for t in figure(html, "prices_capacity")["data"]}
    assert capacity == {"CN_Baotou", "MY_Lynas_Kuantan"}
    assert "share limit cannot be met" in html  # the failed point's error


def test_grid_heat_map_equals_the_points(folders: dict[str, Path]) -> None:
    html, points = _opened(folders["grid"])
    heat = figure(html, "cost_grid")["data"][0]
    assert heat["x"] == [0.8, 1.0, 1.2] and heat["y"] == [0.5, 0.75, 1.0]
    expected = points.pivot(index="param.mm_supply", columns="param.baotou_cost", values="objective_usd")
    assert heat["customdata"] == [_values(row) for row in expected.to_numpy()]
    assert heat["customdata"][1][1] is None  # the failed point (1.0, 0.75)
    assert "solver crashed" in html
    cheapest = points["objective_usd"].min()
    assert f"Total cost ranges from {fmt.usd(cheapest)} per year" in _caption(html, "cost_grid")


def test_grid_lines_per_value_of_the_second_parameter(folders: dict[str, Path]) -> None:
    html, points = _opened(folders["grid"])
    solved = points.loc[points["status"] == "optimal"]
    lines = figure(html, "cost_lines")["data"]
    assert [t["name"] for t in lines] == ["mm_supply ×0.5", "mm_supply ×0.75", "mm_supply ×1"]
    for trace, supply in zip(lines, (0.5, 0.75, 1.0)):
        line = points.loc[points["param.mm_supply"] == supply]
        assert trace["x"] == [0.8, 1.0, 1.2] == line["param.baotou_cost"].tolist()
        assert trace["customdata"] == _values(line["objective_usd"])
    assert lines[1]["customdata"][1] is None  # the failed point (1.0, 0.75): a gap
    low, high = (points.loc[points["param.mm_supply"] == s, "objective_usd"].to_numpy() for s in (0.5, 1.0))
    apart = max(
        np.nanmax(c) - np.nanmin(c)
        for c in points.pivot(index="param.baotou_cost", columns="param.mm_supply", values="objective_usd").to_numpy()
    )
    assert _caption(html, "cost_lines") == (
        f"Total cost per year against baotou_cost, one line per value of mm_supply: with mm_supply ×0.5 it goes "
        f"from {fmt.usd(low[0])} at ×0.8 to {fmt.usd(low[-1])} at ×1.2; with mm_supply ×1 it goes from "
        f"{fmt.usd(high[0])} at ×0.8 to {fmt.usd(high[-1])} at ×1.2; at one value of baotou_cost the lines are at "
        f"most {fmt.usd(apart)} apart; 1 of 9 points could not be solved."
    )
    capacity = figure(html, "prices_capacity")
    heads = [a["text"] for a in capacity["layout"]["annotations"]]
    assert heads == [
        f"{key}: {fmt.num(solved[f'price.capacity.{key}'].min())} to {fmt.num(solved[f'price.capacity.{key}'].max())}"
        for key in ("MY_Lynas_Kuantan", "CN_Baotou")
    ]
    for panel, key in enumerate(("MY_Lynas_Kuantan", "CN_Baotou")):
        traces = capacity["data"][3 * panel : 3 * panel + 3]
        assert {t["xaxis"] for t in traces} == {"x" if panel == 0 else "x2"}
        for trace, supply in zip(traces, (0.5, 0.75, 1.0)):
            line = points.loc[points["param.mm_supply"] == supply]
            assert trace["customdata"] == _values(line[f"price.capacity.{key}"])
    assert [t["showlegend"] for t in capacity["data"]] == [True] * 3 + [False] * 3  # one legend for both panels
    assert capacity["layout"]["yaxis"]["title"]["text"] == "USD/t"
    top = solved["price.capacity.MY_Lynas_Kuantan"]
    lo, hi = solved.loc[top.idxmin()], solved.loc[top.idxmax()]
    assert _caption(html, "prices_capacity") == (
        f"Of 2 prices of refining capacity that vary, MY_Lynas_Kuantan moves the most, from {fmt.num(top.min())} "
        f"(baotou_cost ×{lo['param.baotou_cost']:g}, mm_supply ×{lo['param.mm_supply']:g}) to {fmt.num(top.max())} "
        f"USD/t (baotou_cost ×{hi['param.baotou_cost']:g}, mm_supply ×{hi['param.mm_supply']:g}); 1 of 9 points "
        "could not be solved."
    )
    demand = [a["text"].split(":")[0] for a in figure(html, "prices_demand")["layout"]["annotations"]]
    assert demand == ["EU/NdPr", "JP/NdPr"]  # EU/Dy does not vary
    share = solved["price.share_limit.EU/NdPr/CN/max"]
    assert _caption(html, "prices_share_limit").startswith(
        f"Only one price of share limits varies: EU/NdPr/CN/max, from {fmt.num(share.min())} (baotou_cost ×1.2, "
        f"mm_supply ×0.5) to 0 USD per percentage point (baotou_cost ×0.8,"
    )


def test_grid_with_many_values_draws_evenly_spaced_lines(tmp_path: Path) -> None:
    folder = grid_folder(tmp_path / "many", [round(0.4 + 0.05 * i, 2) for i in range(12)])
    html = write_sweep_report(folder, png=False).read_text(encoding="utf-8")
    names = [t["name"] for t in figure(html, "cost_lines")["data"]]
    assert names == [f"mm_supply ×{v:g}" for v in (0.4, 0.5, 0.55, 0.65, 0.7, 0.8, 0.85, 0.95)]
    assert "; 8 of 12 values of mm_supply drawn, evenly spaced;" in _caption(html, "cost_lines")
    assert len(figure(html, "prices_capacity")["data"]) == 2 * 8


def _fit(x: pd.Series, y: pd.Series) -> tuple[float, float, float]:
    """(r, slope per round step, the step) as the captions state them."""
    step = 10.0 ** np.floor(np.log10(np.ptp(x) / 3))
    return float(np.corrcoef(x, y)[0, 1]), float(np.polyfit(x, y, 1)[0] * step), float(step)


def test_monte_carlo_scatters_state_the_correlations(folders: dict[str, Path]) -> None:
    html, points = _opened(folders["monte_carlo"])
    solved = points.loc[points["status"] == "optimal"].sort_values("point")
    names = ("baotou_cost", "mm_supply", "cn_share")
    cost = figure(html, "cost_scatter")
    dots = [t for t in cost["data"] if t["name"] == "total cost"]
    fits = {name: _fit(solved[f"param.{name}"], solved["objective_usd"]) for name in names}
    assert [a["text"] for a in cost["layout"]["annotations"]] == [f"{n} (r = {fits[n][0]:.2f})" for n in names]
    for trace, name in zip(dots, names):
        assert trace["x"] == pytest.approx(solved[f"param.{name}"].tolist())
        assert trace["customdata"] == _values(solved["objective_usd"])
        assert trace["text"] == solved["label"].tolist() and "USD per year" in trace["hovertemplate"]
    fitted = [t for t in cost["data"] if t["name"] == "least-squares fit"]
    assert len(fitted) == 3 and fitted[0]["line"]["dash"] == "dash"
    top, second, third = sorted(names, key=lambda n: -abs(fits[n][0]))
    r, slope, _ = fits[top]
    assert (top, second, third) == ("mm_supply", "baotou_cost", "cn_share")
    assert _caption(html, "cost_scatter") == (
        f"Over 198 solved points total cost follows mm_supply most closely: it falls by {fmt.usd(-slope)} per year "
        f"per 0.1 of mm_supply (r = {r:.2f}); baotou_cost r = {fits['baotou_cost'][0]:.2f}, cn_share r = "
        f"{fits['cn_share'][0]:.2f}; 2 of 200 points could not be solved (left out)."
    )
    prices = figure(html, "price_scatter")
    # the widest-moving price of each family in turn
    columns = [
        "price.capacity.MY_Lynas_Kuantan",
        "price.demand.EU/NdPr",
        "price.share_limit.EU/NdPr/CN/max",
        "price.capacity.CN_Baotou",
        "price.demand.JP/NdPr",
    ]
    sentences = []
    for panel, column in enumerate(columns):
        found = {name: _fit(solved[f"param.{name}"], solved[column]) for name in names}
        name = max(found, key=lambda n: abs(found[n][0]))
        r, slope, step = found[name]
        assert prices["layout"]["annotations"][panel]["text"] == f"{column} (r = {r:.2f})"
        trace = prices["data"][2 * panel]
        assert trace["x"] == pytest.approx(solved[f"param.{name}"].tolist())
        assert trace["customdata"] == _values(solved[column])
        unit = UNITS[column.split(".")[1]]
        assert prices["layout"]["xaxis" + ("" if panel == 0 else str(panel + 1))]["title"]["text"] == f"{name}, factor"
        text = (
            f"{column} {'rises' if slope > 0 else 'falls'} by {fmt.num(abs(slope))} {unit} per {step:g} of "
            f"{name} (r = {r:.2f})"
        )
        sentences.append((abs(r), text))
    strongest = [text for _, text in sorted(sentences, key=lambda t: -t[0])[:3]]
    assert _caption(html, "price_scatter") == (
        "; ".join(strongest) + " (5 price(s) drawn, the widest-moving of each family in turn, each against the "
        "parameter it follows most closely); 2 of 200 points could not be solved (left out)."
    )


def test_dual_trust_in_the_metadata_and_the_no_basis_warning(folders: dict[str, Path]) -> None:
    grid = _html(folders["grid"])  # points 0 and 2 have no basis
    warning = re.search(r'<div class=warn><section id="no-basis">(.*?)</section></div>', grid, re.DOTALL).group(1)
    assert "Warning: 2 of 8 solved points have no basis (p0, p2): their prices are not basis duals" in unescape(warning)
    assert '<a href="#no-basis">prices without a basis</a>' in grid
    assert grid.index('id="no-basis"') < grid.index('id="parameters"')  # first thing on the page
    assert (
        "<td>dual trust</td><td>2 of 8 solved points without a basis (their prices are not basis duals); "
        "6 of 8 with non-unique prices"
    ) in grid
    frontier = _html(folders["frontier"])
    assert 'id="no-basis"' not in frontier
    assert "<td>dual trust</td><td>0 of 10 solved points without a basis" in frontier
    assert "dual trust" not in _html(folders["stress"])  # not recorded in this summary.json: no row


def _job_text(grid: list[tuple[dict, list[float]]]) -> str:
    """A job's [sweep] over the default dataset: a grid of these parameters (as in summary.json) and values."""
    text = 'report_png = true\n[sweep]\nprices = ["capacity", "demand"]\nflows = ["ore_routes"]\n'
    for p, values in grid:
        where = ", ".join(f'{k} = "{v}"' for k, v in p["where"].items())
        text += "[[sweep.parameters]]\n" + "".join(
            f'{k} = "{p[k]}"\n' for k in ("name", "table", "column", "action", "unit")
        )
        text += f"where = {{ {where} }}\nvalues = {values}\n"
    return text + "[execution]\nworkers = 1\n"


def test_a_sweep_written_by_oreflow_sweep(tmp_path: Path) -> None:
    """A 2 x 3 grid written by `oreflow sweep` itself, on the default dataset."""
    job = write_job(
        tmp_path / "grid.toml",
        str(BASELINE_DATASET),
        str(tmp_path / "out"),
        _job_text([(COST_SCALE, [0.5, 1.5]), (SUPPLY, [0.8, 1.0, 1.2])]),
    )
    assert main(["sweep", str(job), "--quiet"]) == 0
    folder = tmp_path / "out-sweep"
    html, points = _opened(folder)
    # and, where the dataset's demand has curves, the quantities bought at those prices
    curves = ["quantities"] if any(c.startswith("quantity_t.") for c in points.columns) else []
    assert charts(html) == ["cost_grid", "cost_lines", "prices_capacity", "prices_demand", *curves]
    assert all((folder / f"report_{c}.png").stat().st_size > 5_000 for c in charts(html))
    assert any(c.startswith("flow_t.") for c in points.columns) and "has_basis" in points.columns
    lines = figure(html, "cost_lines")["data"]
    assert [t["name"] for t in lines] == ["mm_supply ×0.8", "mm_supply ×1", "mm_supply ×1.2"]
    for trace, supply in zip(lines, (0.8, 1.0, 1.2)):
        line = points.loc[points["param.mm_supply"] == supply]
        assert trace["x"] == [0.5, 1.5] and trace["customdata"] == _values(line["objective_usd"])
    first = points.loc[points["param.mm_supply"] == 0.8, "objective_usd"]
    assert _caption(html, "cost_lines").startswith(
        f"Total cost per year against baotou_cost, one line per value of mm_supply: with mm_supply ×0.8 it goes "
        f"from {fmt.usd(first.iloc[0])} at ×0.5 to {fmt.usd(first.iloc[1])} at ×1.5;"
    )
    for family in ("capacity", "demand"):
        spec = figure(html, f"prices_{family}")
        keys = [a["text"].split(":")[0] for a in spec["layout"]["annotations"]]
        assert 1 <= len(keys) <= 4 and len(spec["data"]) == 3 * len(keys)
        for panel, key in enumerate(keys):
            for trace, supply in zip(spec["data"][3 * panel :], (0.8, 1.0, 1.2)):
                line = points.loc[points["param.mm_supply"] == supply, f"price.{family}.{key}"]
                assert trace["customdata"] == _values(line)
        caption = _caption(html, f"prices_{family}")
        assert re.search(r"(moves the most|varies: .*), from -?[\d,]+ \(baotou_cost", caption)
    assert (
        "<td>dual trust</td><td>0 of 6 solved points without a basis (their prices are not basis duals); "
        "6 of 6 with non-unique prices"
    ) in html and 'id="no-basis"' not in html


def test_monte_carlo_histogram_and_percentiles(folders: dict[str, Path]) -> None:
    html, points = _opened(folders["monte_carlo"])
    solved = points.loc[points["status"] == "optimal"]
    bars = figure(html, "cost_distribution")["data"][0]
    assert sum(bars["y"]) == len(solved) == 198
    assert bars["customdata"][0][0] == pytest.approx(solved["objective_usd"].min())
    assert bars["customdata"][-1][1] == pytest.approx(solved["objective_usd"].max())
    p5, p50, p95 = np.percentile(solved["objective_usd"], [5, 50, 95])
    assert f"P5 {fmt.usd(p5)}, median {fmt.usd(p50)} and P95 {fmt.usd(p95)} per year" in _caption(
        html, "cost_distribution"
    )
    section = re.search(r'<section id="percentiles">(.*?)</section>', html, re.S).group(1)
    p5, p95 = solved["price.capacity.CN_Baotou"].quantile([0.05, 0.95])
    assert f"<td>refining capacity: CN_Baotou</td><td>USD/t</td><td class=n>{fmt.num(p5)}</td>" in section
    assert f"{fmt.num(p95)}</td></tr>" in section
    assert "EU/Dy" not in section  # a price that does not vary
    assert "time limit reached" in html and "<td class=n>17</td>" in html


def test_stress_ranking_unmet_and_price_moves(folders: dict[str, Path]) -> None:
    folder = folders["stress"]
    html = _html(folder)
    stress = pd.read_csv(folder / "stress.csv")
    ranking = figure(html, "ranking")
    assert ranking["layout"]["yaxis"]["categoryarray"] == (
        stress["element"].tolist()[:5] + ["MM_Kachin_IAC (infeasible)"]
    )
    by_element = {y: c for t in ranking["data"] for y, c in zip(t["y"], t["customdata"])}
    for element, increase in zip(stress["element"][:5], stress["cost_increase_usd"][:5]):
        assert by_element[element] == pytest.approx(increase)
    assert {t["name"] for t in ranking["data"]} == {"refiner", "origin", "ore routes", "product routes"}
    assert _caption(html, "ranking") == (
        "Losing CN_Baotou costs 2.02 bn USD per year more (75 % of the base case's 2.69 bn USD), the largest of "
        "6 disruptions; 2 leave demand unmet; 1 could not be solved."
    )
    unmet = {t["name"]: dict(zip(t["y"], t["customdata"])) for t in figure(html, "unmet_by_disruption")["data"]}
    assert unmet == {
        "NdPr": {"CN_Baotou": 100.0, "MY_Lynas_Kuantan": 15.0},
        "Dy": {"CN_Baotou": 20.0, "MY_Lynas_Kuantan": 0.0},
    }
    moves = re.search(r'<section id="price-moves">(.*?)</section>', html, re.S).group(1)
    assert "<td>refining capacity: CN_Ganzhou_CREG</td><td>USD/t</td><td class=n>-2,649</td>" in moves
    assert "demand cannot be met" in html and "Disruptions without a solution" in html


def test_a_sweep_with_no_solved_point_has_no_charts(tmp_path: Path) -> None:
    folder = frontier_folder(tmp_path / "none")
    points = pd.read_csv(folder / "points.csv")
    results = [c for c in points.columns if c not in ("point", "label", "status", "error", "param.cn_share")]
    points[results] = np.nan
    points["status"] = "infeasible"
    points.to_csv(folder / "points.csv", index=False)
    html = write_sweep_report(folder).read_text(encoding="utf-8")
    assert charts(html) == [] and "plotly.js v" not in html and "No point of the sweep was solved." in html
    assert html.count("<td>infeasible</td>") == 11 and not list(folder.glob("report_*.png"))


# --- rebuild -----------------------------------------------------------------------------------


def test_rebuild_dispatches_on_kind(folders: dict[str, Path], tmp_path: Path) -> None:
    for name in ("frontier", "stress"):
        copy = tmp_path / name
        shutil.copytree(folders[name], copy)
        written = _html(copy)
        for path in [copy / "report.html", *copy.glob("report_*.png")]:
            path.unlink()
        assert rebuild(copy) == copy / "report.html"
        assert _html(copy) == written
        assert sorted(p.name for p in copy.glob("report_*.png")) == sorted(f"report_{c}.png" for c in EXPECTED[name])
    write_sweep_report(copy := tmp_path / "frontier", png=False)  # without PNGs, the stale ones go
    assert not list(copy.glob("report_*.png")) and "Static image" not in _html(copy)


# --- in a real browser ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXPECTED))
def test_browser_renders_the_pages(name: str, folders: dict[str, Path], tmp_path: Path) -> None:
    page = folders[name] / "report.html"
    dom, console, shot = browse(page, tmp_path, height=2400)
    assert console == [], "console messages:\n" + "\n".join(console)
    for chart in EXPECTED[name]:
        drawn = rendered(dom, chart)
        assert 'data-rendered="true"' in drawn and 'class="main-svg"' in drawn, f"{chart} not drawn"
    if name == "grid":
        assert 'class="hm"' in rendered(dom, "cost_grid")
        assert rendered(dom, "cost_lines").count('class="js-line"') >= 3
        for chart in ("prices_capacity", "prices_demand"):  # two panels each
            assert 'class="subplot x2y2"' in rendered(dom, chart)
        assert 'id="no-basis"' in dom
    elif name == "monte_carlo":
        for chart, panels in (("cost_scatter", 3), ("price_scatter", 5)):
            drawn = rendered(dom, chart)
            assert f'class="subplot x{panels}y{panels}"' in drawn
            assert drawn.count('class="point') >= 198 * panels  # every solved point in every panel
    else:
        assert 'class="point"' in rendered(dom, EXPECTED[name][0]) or 'class="js-line"' in rendered(
            dom, EXPECTED[name][0]
        )
    check_screenshot(shot)
