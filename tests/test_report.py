"""The HTML report: written by every run, rebuilt by `oreflow report DIR`, checked in a real browser.

The browser tests open the report from a file:// URL in headless Chromium (Debian's
`chromium`, installed by `make test`) with networking off; they skip, saying so, where
/usr/bin/chromium is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from conftest import BAN_AND_INFEASIBLE, BASELINE_JOB, write_dataset, write_job
from oreflow.cli import main

CHROMIUM = Path(os.environ.get("OREFLOW_CHROMIUM", "/usr/bin/chromium"))
SCENARIOS = BAN_AND_INFEASIBLE
CONFLICT = "share_limit[M, P1, X &gt;= 90%]"  # as written in HTML


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def figure(html: str, name: str) -> dict:
    found = re.search(
        rf'<script type="application/json" id="fig-{name}" data-chart="{name}">(.*?)</script>', html, re.S
    )
    assert found, f"no figure {name!r} in the report"
    return json.loads(found.group(1))


def charts(html: str) -> list[str]:
    return re.findall(r'<script type="application/json" id="fig-(\w+)" data-chart=', html)


@pytest.fixture(scope="module")
def micro_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("micro")
    write_dataset(root / "micro")
    job = write_job(root / "job.toml", "micro", "out", extra="report_png = true\n")
    assert main(["run", str(job), "--quiet"]) == 0
    return root / "out"


@pytest.fixture(scope="module")
def baseline_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("baseline") / "out"
    assert main(["run", str(BASELINE_JOB), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("batch")
    write_dataset(root / "micro")
    job = root / "job.toml"
    job.write_text(f'dataset = "micro"\noutput = "out"\nreport_png = true\n{SCENARIOS}', encoding="utf-8")
    assert main(["run", str(job), "--quiet"]) == 1  # one case is infeasible; everything is still written
    return root / "out"


# --- what a run writes ---------------------------------------------------------------


@pytest.mark.parametrize("which", ["micro_out", "baseline_out"])
def test_run_writes_a_self_contained_report(which: str, request: pytest.FixtureRequest) -> None:
    out = request.getfixturevalue(which)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("plotly.js v") == 1  # the library's bundle, embedded once
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=["\']?(https?:)?//', html)  # nothing fetched
    assert charts(html)[:4] == ["sankey", "cost", "refinery", "delivered"]
    for name in charts(html):
        caption = re.search(rf'<p class="caption" id="caption-{name}">(.*?)</p>', html).group(1)
        assert re.search(r"\d", caption), f"the caption of {name} states no number: {caption!r}"
        png = out / f"report_{name}.png"
        if which == "baseline_out":  # the default job draws no PNGs: they cost ~0.5 s a run
            assert not png.exists() and f"report_{name}.png" not in html
            continue
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
    assert "Run metadata" in html and "sha256" in html


def test_baseline_report_states_the_findings(baseline_out: Path) -> None:
    html = (baseline_out / "report.html").read_text(encoding="utf-8")
    summary = json.loads((baseline_out / "summary.json").read_text(encoding="utf-8"))
    assert "total cost 3.13 bn USD, willingness to pay 36.34 bn USD, welfare 33.21 bn USD per year" in html
    for digest in summary["input_sha256"].values():
        assert digest in html
    assert "CN_Ganzhou_CREG (2,161 USD/t)" in html  # what one more tonne of its capacity saves
    assert "Tb in JP (790,983 USD/t)" in html  # the dearest delivered product
    assert "All demand is met." in html and "MP_inhouse" in html  # the binding contracts are listed
    trust = summary["dual_trust"]  # idle refiners: degenerate balance rows (docs/conventions.md)
    assert f"prices not unique at {trust['degenerate_rows']} degenerate row(s)" in html
    heat = figure(html, "delivered")["data"][0]
    assert heat["y"] == ["NdPr", "Dy", "Tb", "LaCe", "SEG", "Y_HRE"]  # products in the data's order
    assert "USD/t" in heat["hovertemplate"] and heat["colorbar"]["title"]["text"] == "USD/t"
    cost = figure(html, "cost")
    assert cost["layout"]["xaxis"]["title"]["text"] == "cost, M USD per year"
    assert "USD per year" in cost["data"][0]["hovertemplate"]


def _sankey_links(trace: dict) -> pd.DataFrame:
    labels, kinds = trace["node"]["label"], [c.split(":")[0] for c in trace["node"]["customdata"]]
    link = trace["link"]
    return pd.DataFrame(
        {
            "from_kind": [kinds[i] for i in link["source"]],
            "source": [labels[i] for i in link["source"]],
            "to_kind": [kinds[i] for i in link["target"]],
            "target": [labels[i] for i in link["target"]],
            "t": link["value"],
        }
    )


def _grouped(frame: pd.DataFrame, keys: list[str], value: str) -> pd.Series:
    frame = frame.loc[frame[value] > 1e-6]
    return frame.groupby(keys)[value].sum().sort_index()


@pytest.mark.parametrize("which", ["micro_out", "baseline_out"])
def test_sankey_link_totals_equal_the_tables(which: str, request: pytest.FixtureRequest) -> None:
    out = request.getfixturevalue(which)
    html = (out / "report.html").read_text(encoding="utf-8")
    alloc, ship, prod = read(out / "allocations.csv"), read(out / "shipments.csv"), read(out / "production.csv")
    traces = {t["name"]: _sankey_links(t) for t in figure(html, "sankey")["data"]}
    assert list(traces) == ["all products"] + list(dict.fromkeys(prod["product"]))  # one view per product, in order

    every = traces.pop("all products")
    ore = every.loc[(every.from_kind == "origin") & (every.to_kind == "refiner")]
    pd.testing.assert_series_equal(
        _grouped(ore.rename(columns={"source": "origin", "target": "refiner"}), ["origin", "refiner"], "t"),
        _grouped(alloc, ["origin", "refiner"], "ore_t"),
        check_names=False,
        rtol=1e-6,
    )
    shipped = every.loc[every.to_kind == "market"].rename(columns={"source": "refiner", "target": "market"})
    pd.testing.assert_series_equal(
        _grouped(shipped, ["refiner", "market"], "t"),
        _grouped(ship, ["refiner", "market"], "shipped_t"),
        check_names=False,
        rtol=1e-6,
    )
    assert ore.t.sum() == pytest.approx(alloc.ore_t.sum(), rel=1e-9)
    assert shipped.t.sum() == pytest.approx(ship.shipped_t.sum(), rel=1e-9)

    for product, links in traces.items():
        shipped = links.loc[links.to_kind == "market"].rename(columns={"source": "refiner", "target": "market"})
        pd.testing.assert_series_equal(
            _grouped(shipped, ["refiner", "market"], "t"),
            _grouped(ship.loc[ship["product"] == product], ["refiner", "market"], "shipped_t"),
            check_names=False,
            rtol=1e-6,
        )
        # what enters each refiner leaves it: shipped + unsold + lost in separation
        into = links.loc[links.to_kind == "refiner"].groupby("target").t.sum()
        out_of = links.loc[links.from_kind == "refiner"].groupby("source").t.sum()
        pd.testing.assert_series_equal(
            into.sort_index(), out_of.reindex(into.index).sort_index(), check_names=False, rtol=1e-6, atol=1e-6
        )
        unsold = prod.loc[prod["product"] == product].set_index("refiner")["unsold_t"]
        sold_off = links.loc[links.target == "unsold (surplus)"].set_index("source").t
        assert sold_off.to_dict() == pytest.approx(unsold.loc[unsold > 1e-6].to_dict(), rel=1e-6)


def test_micro_sankey_by_hand(micro_out: Path) -> None:
    """Hand-solved: 60 t of ore to R1 (its capacity), 40 t to R2 (recovery 0.5); 40 t of P1 to M, P2 unsold."""
    html = (micro_out / "report.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="sankey-data">(.*?)</script>', html, re.S).group(1))
    every = pd.DataFrame(data["links"]["all products"])
    assert every.set_index(["stage", "source", "target"]).t.to_dict() == pytest.approx(
        {
            ("ore", "A", "R1"): 60.0,
            ("ore", "A", "R2"): 40.0,
            ("product", "R1", "M"): 30.0,
            ("product", "R2", "M"): 10.0,
            ("unsold", "R1", "unsold (surplus)"): 30.0,
            ("unsold", "R2", "unsold (surplus)"): 10.0,
            ("lost", "R2", "lost in separation"): 20.0,
        }
    )
    p1 = pd.DataFrame(data["links"]["P1"]).set_index(["stage", "source", "target"]).t.to_dict()
    assert p1 == pytest.approx(
        {
            ("ore", "A", "R1"): 30.0,
            ("ore", "A", "R2"): 20.0,
            ("product", "R1", "M"): 30.0,
            ("product", "R2", "M"): 10.0,
            ("lost", "R2", "lost in separation"): 10.0,
        }
    )


# --- oreflow report DIR ---------------------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and (p.name == "report.html" or p.suffix == ".png")
    }


@pytest.mark.parametrize("which", ["micro_out", "batch_out"])
def test_report_command_rebuilds_the_same_report(
    which: str, request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = request.getfixturevalue(which)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    written = _files(copy)
    for path in list(copy.rglob("report.html")) + list(copy.rglob("report_*.png")):
        path.unlink()
    assert main(["report", str(copy)]) == 0
    assert f"Report written to {copy.resolve() / 'report.html'}" in capsys.readouterr().out
    rebuilt = _files(copy)
    assert sorted(rebuilt) == sorted(written)
    for name in written:
        if name.endswith(".html"):
            assert rebuilt[name] == written[name], f"{name} differs when rebuilt"
        else:
            assert len(rebuilt[name]) > 5_000


def test_report_command_draws_pngs_for_a_run_without_them(baseline_out: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(baseline_out, copy)
    assert not list(copy.glob("report_*.png"))
    assert main(["report", str(copy)]) == 0
    html = (copy / "report.html").read_text(encoding="utf-8")
    for name in ["sankey", "cost", "refinery", "delivered"]:
        assert (copy / f"report_{name}.png").stat().st_size > 5_000 and f"report_{name}.png" in html


def test_report_command_needs_an_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == 1
    assert "not a finished run's output folder" in capsys.readouterr().err


# --- scenario batches -------------------------------------------------------------------


def test_batch_writes_a_comparison_and_each_case(batch_out: Path) -> None:
    html = (batch_out / "report.html").read_text(encoding="utf-8")
    assert charts(html) == ["cost_by_scenario", "delta_vs_base", "feed_by_country", "market_prices"]
    for name in charts(html):
        assert (batch_out / f"report_{name}.png").stat().st_size > 5_000
    assert 'href="no_exports/report.html"' in html and 'href="impossible/report.html"' in html
    assert CONFLICT in html  # the failed case's explanation, on the comparison page too
    delta = figure(html, "delta_vs_base")
    net = next(t for t in delta["data"] if t["name"] == "net change")
    assert net["customdata"][0] == pytest.approx(10_480.0 - 4_750.0)  # no_exports against the base
    assert net["customdata"][1] is None  # impossible: no value
    assert "USD per year" in delta["layout"]["xaxis"]["title"]["text"]
    for case in ("base", "no_exports"):
        case_html = (batch_out / case / "report.html").read_text(encoding="utf-8")
        assert charts(case_html)[:4] == ["sankey", "cost", "refinery", "delivered"]
        assert 'href="../report.html"' in case_html


def test_binding_policies_read_the_registry(batch_out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each policy family of the registry brings its binding priced rows, in its own words and
    unit; a family newly marked as a policy reaches the chart with no change to the report."""
    from dataclasses import replace

    from oreflow.model.families import BAN, CAPACITY, FAMILIES, FAMILIES_BY_NAME
    from oreflow.report.run import charts as run_charts
    from oreflow.report.run.data import load_run

    def priced(case: str, family: str) -> list[dict]:
        table = read(batch_out / case / f"shadow_prices_{family}.csv").astype(object).fillna("")
        return table.loc[table["binding"] & (table["shadow_price"] != 0)].to_dict(orient="records")

    bans = priced("no_exports", BAN)
    assert len(bans) == 1
    label, meaning, value = FAMILIES_BY_NAME[BAN].explain(bans[0])
    rows = run_charts.policy_rows(load_run(batch_out / "no_exports"))
    assert rows.to_dict(orient="records") == [{"label": label, "meaning": meaning, "value": value, "unit": "USD/t"}]
    html = (batch_out / "no_exports" / "report.html").read_text(encoding="utf-8")
    assert "policies" in charts(html) and figure(html, "policies")["data"][0]["y"] == [label]

    monkeypatch.setattr(
        run_charts, "FAMILIES", tuple(replace(f, summary="policy") if f.name == CAPACITY else f for f in FAMILIES)
    )
    capacity = priced("base", CAPACITY)
    assert len(capacity) == 1  # R1 full
    rows = run_charts.policy_rows(load_run(batch_out / "base"))
    assert rows["label"].tolist() == [FAMILIES_BY_NAME[CAPACITY].explain(capacity[0])[0]]
    assert rows["unit"].tolist() == [FAMILIES_BY_NAME[CAPACITY].price_unit_short]


def test_infeasible_case_shows_the_explanation_instead_of_charts(batch_out: Path) -> None:
    html = (batch_out / "impossible" / "report.html").read_text(encoding="utf-8")
    assert CONFLICT in html and "capacity[R1] &lt;= 60 t" in html
    assert "Why this case has no solution" in html
    assert charts(html) == [] and "plotly.js v" not in html
    assert not list((batch_out / "impossible").glob("*.png"))


# --- in a real browser --------------------------------------------------------------------


def browse(page: Path, tmp_path: Path, height: int = 3000) -> tuple[str, list[str], Path]:
    """Open ``page`` in headless Chromium, networking off: (rendered DOM, console lines, screenshot)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (make test does) to run the browser tests")
    tmp_path.mkdir(parents=True, exist_ok=True)
    shot = tmp_path / f"{page.parent.name}-{page.stem}.png"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no network
        "--virtual-time-budget=20000",
        f"--window-size=1280,{height}",
        "--hide-scrollbars",
        f"--screenshot={shot}",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console, shot


def rendered(dom: str, name: str) -> str:
    """The inner HTML plotly drew into a chart's div."""
    found = re.search(
        rf'<div[^>]*id="plot-{name}"[^>]*>(.*?)</div><script type="application/json" id="fig-{name}"', dom, re.S
    )
    assert found, f"chart {name} missing from the rendered page"
    return found.group(0)


def check_screenshot(shot: Path) -> None:
    from PIL import Image

    assert shot.is_file()
    with Image.open(shot) as image:
        colours = image.convert("RGB").resize((320, 320)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50, "the screenshot is (nearly) blank"


def test_browser_renders_the_baseline_report(baseline_out: Path, tmp_path: Path) -> None:
    page = baseline_out / "report.html"
    dom, console, shot = browse(page, tmp_path, height=4200)
    assert console == [], "console messages:\n" + "\n".join(console)
    html = page.read_text(encoding="utf-8")
    for name in charts(html):
        drawn = rendered(dom, name)
        assert 'data-rendered="true"' in drawn and 'class="main-svg"' in drawn, f"{name} not drawn"
    sankey = figure(html, "sankey")["data"][0]
    assert rendered(dom, "sankey").count('class="sankey-link"') == len(sankey["link"]["value"])
    assert rendered(dom, "cost").count('class="point"') == len(figure(html, "cost")["data"][0]["x"])
    assert 'class="hm"' in rendered(dom, "delivered")  # the heat map's image
    check_screenshot(shot)


def test_browser_renders_the_comparison_and_the_failed_case(batch_out: Path, tmp_path: Path) -> None:
    page = batch_out / "report.html"
    dom, console, shot = browse(page, tmp_path)
    assert console == [], "console messages:\n" + "\n".join(console)
    for name in charts(page.read_text(encoding="utf-8")):
        drawn = rendered(dom, name)
        assert 'data-rendered="true"' in drawn and 'class="point"' in drawn, f"{name} not drawn"
    check_screenshot(shot)
    dom, console, _ = browse(batch_out / "impossible" / "report.html", tmp_path / "failed", height=900)
    assert console == [] and CONFLICT in dom and 'id="plot-' not in dom
