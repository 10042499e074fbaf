"""`oreflow serve` of a plan (a job with a [horizon]): the shipped plan to 2035, its base plan
and a change each equal to solving the plan with those changes, an infeasible change named
with its years, a saved job that reproduces the answer through `oreflow run`, the plan's
report and tables. Through Starlette's test client."""

from __future__ import annotations

import io
import json
import re
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

import oreflow  # noqa: E402
from conftest import REPO  # noqa: E402
from oreflow.app.server import create_app  # noqa: E402
from oreflow.cli import main  # noqa: E402
from oreflow.job import Change, load_job  # noqa: E402
from oreflow.plan_cases import PlanBase  # noqa: E402
from oreflow.planning import PlanResult, solve_job_plan  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette >= 1 prefers httpx2; httpx still works
    from starlette.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PLAN_JOB = REPO / "inputs" / "plan_2035.toml"
CN_COST = {"kind": "cn_cost", "value": 1.5}
CN_COST_CHANGE = Change(
    action="scale", table="refiners", column="processing_cost_usd_per_t", where={"country": "CN"}, factor=1.5
)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(PLAN_JOB))


def session(client: TestClient) -> dict[str, str]:
    page = client.get("/").text
    assert 'id="slot-builds"' in page and 'id="sankey-product"' not in page  # the plan report's charts
    return {"X-Oreflow-Session": re.search(r'data-session="([^"]+)"', page).group(1)}


def solved(changes: list[Change]) -> PlanResult:
    """The plan with ``changes`` solved from scratch, as `oreflow run` of a plan scenario does."""
    job_file = load_job(PLAN_JOB)
    network = oreflow.load_inputs(job_file.dataset)
    base = PlanBase.read(network, job_file.job.horizon.horizon())
    return solve_job_plan(job_file.job, base.networks(changes, "test"), base.planning_tables(changes, "test"))


def last_prices(result: PlanResult) -> pd.Series:
    market = result.years[result.horizon.years[-1]].market
    return market.set_index(["product", "market"])["price_usd_per_t"].sort_index()


def shown_prices(response: dict) -> pd.Series:
    frame = pd.DataFrame(response["view"]["prices"]).set_index(["product", "market"])
    return frame["price_usd_per_t"].sort_index()


def test_the_base_plan_and_a_change_equal_solving_the_plan(client: TestClient) -> None:
    headers = session(client)
    state = client.get("/api/state", headers=headers).json()
    base = solved([])
    assert state["view"]["numbers"]["objective_usd"] == pytest.approx(base.objective, rel=1e-9)
    assert state["view"]["numbers"]["built_t"] == pytest.approx(float(base.builds["capacity_t"].sum()))
    pd.testing.assert_series_equal(
        shown_prices(state), last_prices(base), check_names=False, check_index_type=False, rtol=1e-7
    )
    assert [c["name"] for c in state["view"]["charts"]] == ["separation", "builds", "prices", "stockpiles", "costs"]
    moved = client.post("/api/control", json=CN_COST, headers=headers).json()
    assert moved["ok"], moved.get("error")
    want = solved([CN_COST_CHANGE])
    assert moved["view"]["numbers"]["objective_usd"] == pytest.approx(want.objective, rel=1e-7)
    pd.testing.assert_series_equal(
        shown_prices(moved), last_prices(want), check_names=False, check_index_type=False, rtol=1e-6, atol=1e-3
    )
    assert "present value" in moved["view"]["charts"][-1]["delta"]  # the objective moved


def test_an_infeasible_change_names_its_years_and_keeps_the_last_plan(client: TestClient) -> None:
    headers = session(client)
    ban = {"kind": "trade_ban", "from_country": "US", "to_country": "CN", "stage": "ore", "value": 1}
    response = client.post("/api/control", json=ban, headers=headers).json()
    assert response["ok"] is False and response["error"]["kind"] == "infeasible" and response["pending"]
    lines = "\n".join(response["error"]["lines"])
    assert "ban[US -> CN, ore]" in lines and "MP_Shenghe_offtake" in lines and "in 2024" in lines
    assert response["view"]["numbers"]["objective_usd"] == pytest.approx(solved([]).objective, rel=1e-9)
    refused = client.post("/api/sankey", json={"product": "NdPr"}, headers=headers).json()
    assert refused["ok"] is False  # a plan has no Sankey


def test_a_saved_plan_job_reproduces_the_answer_through_oreflow_run(client: TestClient, tmp_path: Path) -> None:
    headers = session(client)
    moved = client.post("/api/control", json=CN_COST, headers=headers).json()
    saved = client.post("/api/save-job", json={"name": "cn_cost", "folder": str(tmp_path)}, headers=headers).json()
    assert saved["ok"], saved
    text = Path(saved["path"]).read_text()
    assert "[horizon]" in text and "[[scenarios]]" in text  # a plan job: its horizon copied
    assert main(["run", saved["path"], "--out", str(tmp_path / "out"), "--quiet"]) == 0
    ran = json.loads((tmp_path / "out" / "cn_cost" / "summary.json").read_text())["objective_pv_usd"]
    assert ran == pytest.approx(moved["view"]["numbers"]["objective_usd"], rel=1e-7)


def test_the_plan_s_report_and_tables_download(client: TestClient) -> None:
    headers = session(client)
    client.post("/api/control", json=CN_COST, headers=headers)
    sid = headers["X-Oreflow-Session"]
    report = client.get("/api/report.html", params={"session": sid})
    assert report.status_code == 200 and "Builds: new capacity" in report.text
    archive = zipfile.ZipFile(io.BytesIO(client.get("/api/tables.zip", params={"session": sid}).content))
    assert {"builds.csv", "inventory.csv", "costs_by_year.csv", "market.csv"} <= set(archive.namelist())
    costs = pd.read_csv(archive.open("costs_by_year.csv"))["present_value_usd"].to_numpy(float)
    want = solved([CN_COST_CHANGE]).costs_by_year["present_value_usd"].to_numpy(float)
    assert costs == pytest.approx(want, rel=1e-7)


def test_a_plan_scenario_loads_with_its_stockpiles_and_the_years_its_prices_move() -> None:
    """The shipped plan's Myanmar loss in 2028 with Dy/Tb stockpiles, loaded from its job: the
    stockpile chart is drawn, the price line names the year the prices move (2028, not the
    horizon's end), the answer equals the scenario solved from scratch, and prices are ranged
    (fragile flags) as `oreflow run` ranges them."""
    job = REPO / "inputs" / "plan_2035_scenarios.toml"
    client = TestClient(create_app(job))
    headers = session(client)
    loaded = client.post("/api/load", json={"name": "myanmar_lost_2028_stockpiles"}, headers=headers).json()
    assert loaded["ok"], loaded.get("error")
    charts = {c["name"]: c for c in loaded["view"]["charts"]}
    assert charts["stockpiles"]["figure"] is not None and "Drawn from stock" in charts["stockpiles"]["delta"]
    assert " in 2028 " in charts["prices"]["delta"]
    scenario = next(s for s in load_job(job).job.scenarios if s.name == "myanmar_lost_2028_stockpiles")
    job_file = load_job(job)
    base = PlanBase.read(oreflow.load_inputs(job_file.dataset), job_file.job.horizon.horizon())
    changes = list(scenario.changes)
    want = solve_job_plan(job_file.job, base.networks(changes, "t"), base.planning_tables(changes, "t"))
    assert loaded["view"]["numbers"]["objective_usd"] == pytest.approx(want.objective, rel=1e-7)
    sid = headers["X-Oreflow-Session"]
    archive = zipfile.ZipFile(io.BytesIO(client.get("/api/tables.zip", params={"session": sid}).content))
    market = pd.read_csv(archive.open("market.csv"))
    assert market["fragile"].notna().all() and "ranging_rhs.csv" in archive.namelist()
