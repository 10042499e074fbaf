"""The what-if app's API (oreflow serve), without a browser: Starlette's TestClient.

The base case and every change equal oreflow.solve on the job's dataset with the same
changes; an infeasible change names the conflict and keeps the last good answer; bad control
values are named problems; a saved scenario reproduces through `oreflow run`; sessions are
independent; nothing outside the dataset is served; `oreflow run` never imports the app's stack.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import warnings
import zipfile
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

import oreflow  # noqa: E402
from conftest import BASELINE_DATASET, BASELINE_JOB, REPO  # noqa: E402
from oreflow.app.server import create_app, is_loopback  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette >= 1 prefers httpx2; httpx still works
    from starlette.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SCENARIOS_JOB = REPO / "inputs" / "scenarios_2024.toml"


@pytest.fixture(scope="module")
def app():
    return create_app(BASELINE_JOB)


@pytest.fixture(scope="module")
def client(app) -> TestClient:
    return TestClient(app)


@pytest.fixture(scope="module")
def base_result() -> oreflow.Result:
    return oreflow.solve(BASELINE_JOB, ranging=False)


def new_session(client: TestClient) -> dict[str, str]:
    page = client.get("/")
    assert page.status_code == 200
    return {"X-Oreflow-Session": re.search(r'data-session="([^"]+)"', page.text).group(1)}


def price(response: dict, product: str = "NdPr", market: str = "US") -> float:
    (row,) = [p for p in response["view"]["prices"] if p["product"] == product and p["market"] == market]
    return row["price_usd_per_t"]


def solved_price(result: oreflow.Result | _Market, product: str = "NdPr", market: str = "US") -> float:
    m = result.market
    return float(m.loc[(m["product"] == product) & (m["market"] == market), "price_usd_per_t"].iloc[0])


def test_base_case_equals_solve(client: TestClient, base_result: oreflow.Result) -> None:
    state = client.get("/api/state", headers=new_session(client)).json()
    assert state["ok"] and state["controls"] == [] and state["changes"] == []
    got = pd.DataFrame(state["view"]["prices"]).set_index(["product", "market"])["price_usd_per_t"]
    want = base_result.market.set_index(["product", "market"])["price_usd_per_t"]
    pd.testing.assert_series_equal(
        got.sort_index(), want.sort_index(), check_names=False, check_index_type=False, rtol=1e-9
    )
    assert state["view"]["numbers"]["objective_usd"] == pytest.approx(base_result.objective, rel=1e-9)
    names = [c["name"] for c in state["view"]["charts"]]
    assert names == ["sankey", "cost", "refinery", "delivered", "unmet", "policies"]
    assert all(c["title"] for c in state["view"]["charts"])  # an empty slot keeps the report's heading
    sankey = state["view"]["charts"][0]
    assert sankey["figure"]["data"][0]["type"] == "sankey" and sankey["delta"] == "Same as the base case."
    assert "Market: delivered prices" in state["view"]["market_html"]


#: Controls and the changes oreflow.solve is given for the same what-if.
def _cn_recovery(factor: float) -> list[dict]:
    """Chinese recovery x factor, as written by hand: refiners.recovery of Chinese refiners and
    the per-product recoveries.csv figures of those that have them."""
    network = oreflow.load_inputs(REPO / "inputs" / "rare_earths_2024")
    chinese = network.refiners.loc[network.refiners["country"] == "CN", "refiner"].astype(str)
    changes: list[dict] = [
        {"action": "scale", "table": "refiners", "where": {"country": "CN"}, "column": "recovery", "factor": factor}
    ]
    overridden = sorted(set(network.recoveries["refiner"].astype(str)) & set(chinese))
    if overridden:
        changes.append(
            {
                "action": "scale",
                "table": "recoveries",
                "where": {"refiner": overridden},
                "column": "recovery",
                "factor": factor,
            }
        )
    return changes


CN_RECOVERY_09 = _cn_recovery(0.9)

CASES = {
    "cn_cost": (
        {"kind": "cn_cost", "value": 1.5},
        [
            {
                "action": "scale",
                "table": "refiners",
                "where": {"country": "CN"},
                "column": "processing_cost_usd_per_t",
                "factor": 1.5,
            }
        ],
    ),
    "origin_supply": (
        {"kind": "origin_supply", "origin": "MM_Kachin_IAC", "value": 0.4},
        [
            {
                "action": "scale",
                "table": "origins",
                "where": {"origin": "MM_Kachin_IAC"},
                "column": "supply_t",
                "factor": 0.4,
            }
        ],
    ),
    "origin_capacity": (  # Pakistan's prospect opened: 0 t in the dataset, so no factor could
        {"kind": "origin_capacity", "origin": "PK_Prospect", "value": 5000},
        [
            {
                "action": "set",
                "table": "origins",
                "where": {"origin": "PK_Prospect"},
                "column": "supply_t",
                "value": 5000,
            }
        ],
    ),
    "tariff": (
        {"kind": "tariff", "from_country": "CN", "to_country": "US", "stage": "product", "value": 20000},
        [
            {
                "action": "add",
                "table": "tariffs",
                "rows": [{"from_country": "CN", "to_country": "US", "stage": "product", "usd_per_t": 20000}],
            }
        ],
    ),
    "export_quota": (
        {"kind": "export_quota", "country": "CN", "product": "Dy", "value": 200},
        [
            {
                "action": "add",
                "table": "quotas",
                "rows": [{"quota": "q", "kind": "export", "country": "CN", "product": "Dy", "limit_t": 200}],
            }
        ],
    ),
    "cn_recovery": (
        {"kind": "cn_recovery", "value": 0.9},
        CN_RECOVERY_09,
    ),
    "trade_ban": (
        {"kind": "trade_ban", "from_country": "MM", "to_country": "CN", "stage": "ore", "product": "", "value": 1},
        [
            {
                "action": "add",
                "table": "bans",
                "rows": [{"from_country": "MM", "to_country": "CN", "stage": "ore", "product": ""}],
            }
        ],
    ),
    "market_share": (
        {"kind": "market_share", "market": "US", "product": "NdPr", "country": "CN", "value": 0.5},
        [
            {
                "action": "add",
                "table": "share_limits",
                "rows": [{"market": "US", "product": "NdPr", "country": "CN", "max_share": 0.5}],
            }
        ],
    ),
    "product_demand": (
        {"kind": "product_demand", "product": "NdPr", "market": "", "value": 1.3},
        [{"action": "scale", "table": "demand", "where": {"product": "NdPr"}, "column": "demand_t", "factor": 1.3}],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_change_equals_solve_with_the_same_change(client: TestClient, case: str) -> None:
    control, changes = CASES[case]
    headers = new_session(client)
    response = client.post("/api/control", json=control, headers=headers).json()
    assert response["ok"], response.get("error")
    want = oreflow.solve(BASELINE_JOB, changes=changes)
    assert price(response) == pytest.approx(solved_price(want), rel=1e-7)
    assert response["view"]["numbers"]["objective_usd"] == pytest.approx(want.objective, rel=1e-7)
    assert [c["kind"] for c in response["controls"]] == [control["kind"]]
    # fragile prices flagged live, as oreflow.solve flags them (where the price is unique: a
    # degenerate one may come from another basis)
    assert all(isinstance(p["fragile"], bool) for p in response["view"]["prices"])
    tables = client.get("/api/tables.zip", params={"session": headers["X-Oreflow-Session"]})
    with zipfile.ZipFile(BytesIO(tables.content)) as archive:
        for family, theirs in want.shadow_prices.items():
            mine = pd.read_csv(archive.open(f"shadow_prices_{family}.csv"), keep_default_na=False, na_values=[""])
            unique = theirs["dual_unique"].fillna(False).to_numpy(bool)
            assert mine["fragile"].notna().all(), family
            assert mine["fragile"].astype(bool).to_numpy()[unique].tolist() == (
                theirs["fragile"].astype(bool).to_numpy()[unique].tolist()
            ), family


def test_moving_a_control_again_replaces_it_and_re_solves(client: TestClient) -> None:
    headers = new_session(client)
    for factor in (2.0, 1.5):
        response = client.post("/api/control", json={"kind": "cn_cost", "value": factor}, headers=headers).json()
    assert len(response["controls"]) == 1 and "x 1.5" in response["changes"][0]
    change = {"action": "scale", "table": "refiners", "where": {"country": "CN"}, "column": "processing_cost_usd_per_t"}
    want = oreflow.solve(BASELINE_JOB, changes=[{**change, "factor": 1.5}], ranging=False)
    assert price(response) == pytest.approx(solved_price(want), rel=1e-7)
    assert response["view"]["charts"][3]["delta"].startswith("Prices that moved most")


def test_infeasible_change_names_the_conflict_and_keeps_the_last_answer(client: TestClient) -> None:
    headers = new_session(client)
    good = client.post("/api/control", json=CASES["cn_cost"][0], headers=headers).json()
    ban = {"kind": "trade_ban", "from_country": "US", "to_country": "CN", "stage": "ore", "value": 1}
    response = client.post("/api/control", json=ban, headers=headers).json()
    assert response["ok"] is False and response["error"]["kind"] == "infeasible"
    assert "cannot all hold" in response["error"]["heading"]
    lines = "\n".join(response["error"]["lines"])
    assert "ban[US -> CN, ore]" in lines and "contract[MP_Shenghe_offtake" in lines
    assert price(response) == price(good)  # the last good answer stays
    # the ban stays, marked not applied, so that another control can make it feasible
    assert [(c["kind"], c["applied"]) for c in response["controls"]] == [("cn_cost", True), ("trade_ban", False)]
    assert response["pending"] and "void the contract" in response["error"]["hint"]
    state = client.get("/api/state", headers=headers).json()
    assert price(state) == price(good) and len(state["changes"]) == 1  # what is shown: cn_cost only
    saved = client.post("/api/scenario", json={"name": "shown"}, headers=headers).json()
    assert "bans" not in saved["toml"]  # a saved scenario is the answer on screen
    # voiding the contract the ban breaks makes both feasible: applied together
    void = {"kind": "contract_void", "contract": "MP_Shenghe_offtake", "value": 1}
    fixed = client.post("/api/control", json=void, headers=headers).json()
    assert fixed["ok"], fixed.get("error")
    assert [c["applied"] for c in fixed["controls"]] == [True, True, True] and not fixed["pending"]
    changes = [
        *CASES["cn_cost"][1],
        {"action": "add", "table": "bans", "rows": [{"from_country": "US", "to_country": "CN", "stage": "ore"}]},
        {
            "action": "set",
            "table": "contracts",
            "where": {"contract": ["MP_Shenghe_offtake"]},
            "column": "min_t",
            "value": 0,
        },
    ]
    want = oreflow.solve(BASELINE_JOB, changes=changes, ranging=False)
    assert price(fixed) == pytest.approx(solved_price(want), rel=1e-7)
    assert fixed["view"]["numbers"]["objective_usd"] == pytest.approx(want.objective, rel=1e-7)
    # removing the voided contract would make the ban infeasible again: refused, nothing changes
    again = client.post("/api/remove", json={"id": fixed["controls"][2]["id"]}, headers=headers).json()
    assert again["ok"] is False and price(again) == price(fixed) and not again["pending"]
    assert [c["applied"] for c in again["controls"]] == [True, True, True]
    assert "stays in the list" not in again["error"]["hint"]


@pytest.mark.parametrize(
    ("control", "named"),
    [
        ({"kind": "cn_recovery", "value": 1.2}, "column 'recovery': got '1.059"),  # 0.883 x 1.2 > 1
        (
            {"kind": "refiner_capacity", "refiner": "CN_Nowhere", "value": 5},
            "control refiner_capacity, column 'refiner': got 'CN_Nowhere'",
        ),
        (
            {"kind": "refiner_capacity", "refiner": "CN_Baotou", "value": -1},
            "column 'value': got '-1'; expected a number >= 0",
        ),
        ({"kind": "cn_cost", "value": "abc"}, "control cn_cost, column 'value': got 'abc'; expected a number"),
        (
            {"kind": "market_share", "market": "US", "product": "NdPr", "country": "CN", "value": 1.5},
            "a number from 0 to 1",
        ),
        ({"kind": "teleport", "value": 1}, "column 'kind': got 'teleport'"),
    ],
)
def test_bad_control_values_are_named_problems(client: TestClient, control: dict, named: str) -> None:
    headers = new_session(client)
    response = client.post("/api/control", json=control, headers=headers).json()
    assert response["ok"] is False and response["error"]["kind"] == "input"
    assert named in "\n".join(response["error"]["lines"])
    assert response["controls"] == [] and response["view"]["prices"]  # the base case stays


def test_saved_scenario_reproduces_through_oreflow_run(client: TestClient, tmp_path: Path) -> None:
    headers = new_session(client)
    for control in (CASES["cn_cost"][0], CASES["origin_supply"][0], CASES["export_quota"][0]):
        response = client.post("/api/control", json=control, headers=headers).json()
        assert response["ok"], response.get("error")
    text = client.post("/api/scenario", json={"name": "from_app"}, headers=headers).json()["toml"]
    assert text.startswith("[[scenarios]]") and tomllib.loads(text)["scenarios"][0]["name"] == "from_app"
    job = tmp_path / "pasted.toml"
    settings = 'unmet_penalty_usd_per_t = 1e7\ndemand_form = "steps"\ndemand_steps = 200\nprice_cap_multiple = 10\n'
    job.write_text(f'dataset = "{BASELINE_DATASET}"\nstore = false\n{settings}\n{text}')  # the baseline job's settings
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "oreflow", "run", str(job), "--out", str(out), "--scenario", "from_app", "--quiet"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    market = pd.read_csv(out / "from_app" / "market.csv", keep_default_na=False)
    assert solved_price(_Market(market)) == pytest.approx(price(response), rel=1e-7)
    # the same as a job file written by the app into a folder outside the dataset
    written = client.post("/api/save-job", json={"name": "app_job", "folder": str(tmp_path)}, headers=headers).json()
    assert written["ok"], written
    assert tomllib.loads(Path(written["path"]).read_text())["scenarios"][0]["name"] == "app_job"
    refused = client.post(
        "/api/save-job", json={"name": "app_job2", "folder": str(BASELINE_DATASET)}, headers=headers
    ).json()
    assert refused["ok"] is False and "outside the dataset" in refused["error"]["lines"][0]
    again = client.post("/api/save-job", json={"name": "app_job", "folder": str(tmp_path)}, headers=headers).json()
    assert again["ok"] is False and "does not exist yet" in again["error"]["lines"][0]
    assert not list(BASELINE_DATASET.glob("*.toml"))


class _Market:
    """A market table where solved_price expects a Result."""

    def __init__(self, market: pd.DataFrame) -> None:
        self.market = market


def test_scenario_of_the_job_loads(tmp_path: Path) -> None:
    client = TestClient(create_app(SCENARIOS_JOB))
    headers = new_session(client)
    assert "myanmar_disruption" in client.get("/api/options").json()["scenarios"]
    response = client.post("/api/load", json={"name": "myanmar_disruption"}, headers=headers).json()
    assert response["ok"] and response["scenario"] == "myanmar_disruption"
    (scenario,) = [s for s in oreflow.job.load_job(SCENARIOS_JOB).job.scenarios if s.name == "myanmar_disruption"]
    want = oreflow.solve(SCENARIOS_JOB, changes=scenario.changes, ranging=False)
    assert price(response) == pytest.approx(solved_price(want), rel=1e-7)
    missing = client.post("/api/load", json={"name": "nope"}, headers=headers).json()
    assert missing["ok"] is False and "a scenario of the job" in missing["error"]["lines"][0]


def test_sessions_do_not_see_each_other(client: TestClient, base_result: oreflow.Result) -> None:
    first, second = new_session(client), new_session(client)
    assert first != second
    changed = client.post("/api/control", json=CASES["cn_cost"][0], headers=first).json()
    other = client.get("/api/state", headers=second).json()
    assert other["controls"] == [] and price(other) == pytest.approx(solved_price(base_result), rel=1e-9)
    assert price(client.get("/api/state", headers=first).json()) == price(changed) != price(other)
    assert client.get("/api/state", headers={"X-Oreflow-Session": "forged"}).status_code == 404
    assert client.get("/api/state").status_code == 404


def test_downloads_are_the_current_answer(client: TestClient) -> None:
    headers = new_session(client)
    response = client.post("/api/control", json=CASES["cn_cost"][0], headers=headers).json()
    session = headers["X-Oreflow-Session"]
    archive = zipfile.ZipFile(BytesIO(client.get("/api/tables.zip", params={"session": session}).content))
    market = pd.read_csv(archive.open("market.csv"), keep_default_na=False)
    assert solved_price(_Market(market)) == pytest.approx(price(response), rel=1e-9)
    report = client.get("/api/report.html", params={"session": session})
    assert report.status_code == 200 and "Scenario" in report.text and "Plotly.newPlot" in report.text


@pytest.mark.parametrize(
    "path",
    [
        "/dataset/%2e%2e/baseline.toml",
        "/dataset/..%2F..%2Fpyproject.toml",
        "/dataset/%2Fetc%2Fpasswd",
        "/dataset//etc/passwd",
        "/dataset/",
        "/assets/../pyproject.toml",
        "/assets/plotly.js",
        "/etc/passwd",
        "/pyproject.toml",
    ],
)
def test_nothing_outside_the_dataset_is_served(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "[project]" not in response.text and "root:" not in response.text


def test_dataset_files_and_assets_are_served(client: TestClient) -> None:
    assert client.get("/dataset/origins.csv").text == (BASELINE_DATASET / "origins.csv").read_text()
    assert "plotly" in client.get("/assets/plotly.min.js").text[:500]


def test_loopback_is_told_apart() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def _serve(*extra: str) -> tuple[subprocess.Popen, str]:
    """`oreflow serve` of the default job in a subprocess: the process and its printed port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "oreflow", "serve", str(BASELINE_JOB), "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    line = process.stdout.readline() if process.stdout else ""
    found = re.search(r"http://\S+:(\d+)/", line)
    if found is None:
        process.kill()
        pytest.fail(f"oreflow serve printed no address: {line!r}")
    return process, found.group(1)


def _get(port: str, host_header: str) -> int:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    connection.request("GET", "/api/options", headers={"Host": host_header})
    return connection.getresponse().status


def test_the_command_warns_when_binding_beyond_loopback() -> None:
    """--host beyond loopback: a warning on stderr before the address, and any Host header is
    served; on loopback (the default): no warning, and a foreign Host header is refused (DNS
    rebinding)."""
    wide, port = _serve("--host", "0.0.0.0")
    try:
        assert _get(port, "192.168.1.5") == 200
    finally:
        wide.terminate()
        _, err = wide.communicate(timeout=10)
    assert "warning: binding to 0.0.0.0, beyond loopback" in err
    narrow, port = _serve()
    try:
        assert _get(port, f"127.0.0.1:{port}") == 200
        assert _get(port, "attacker.example") == 400
    finally:
        narrow.terminate()
        _, err = narrow.communicate(timeout=10)
    assert "warning" not in err


def test_oreflow_run_never_imports_the_app_stack(tmp_path: Path) -> None:
    code = (
        "import sys, oreflow.cli\n"
        f"status = oreflow.cli.main(['run', {str(BASELINE_JOB)!r}, '--out', {str(tmp_path / 'out')!r}, '--quiet'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'oreflow') and "
        "(m.startswith(('starlette', 'uvicorn')) or m.startswith('oreflow.app')))\n"
        "print(status, loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 []"


def test_a_level_control_starts_at_the_dataset_s_value(client: TestClient, base_result: oreflow.Result) -> None:
    """The capacity slider of a refiner starts at its capacity in the dataset (the page reads
    /api/options' initial values), so touching it does not first close the refiner."""
    options = client.get("/api/options", headers=new_session(client)).json()
    capacity = base_result.refinery.set_index("refiner")["capacity_t"]
    initial = options["initial"]["refiner_capacity"]
    assert initial["CN_Baotou"] == pytest.approx(float(capacity["CN_Baotou"]))
    assert set(initial) == set(capacity.index)
    supply = oreflow.load_inputs(BASELINE_DATASET).origins.set_index("origin")["supply_t"]
    assert options["initial"]["origin_capacity"] == pytest.approx(supply.astype(float).to_dict())


def test_a_product_s_sankey_is_drawn_when_asked_for(client: TestClient, base_result: oreflow.Result) -> None:
    """The view carries the Sankey of all products; a product's view comes from /api/sankey,
    the report's own view of that product (same trace and caption)."""
    from oreflow.app.figures import run_data
    from oreflow.report.run import sankey

    headers = new_session(client)
    state = client.get("/api/state", headers=headers).json()
    chart = next(c for c in state["view"]["charts"] if c["name"] == "sankey")
    assert [t["name"] for t in chart["figure"]["data"]] == [sankey.ALL]
    answer = client.post("/api/sankey", json={"product": "NdPr"}, headers=headers).json()
    assert answer["ok"] and [t["name"] for t in answer["figure"]["data"]] == ["NdPr"]
    run = run_data(base_result, "oreflow serve")
    assert answer["caption"] == sankey.caption(run, "NdPr")
    assert answer["figure"]["data"][0]["link"]["value"] == pytest.approx(
        sankey.trace(run, "NdPr", True)["link"]["value"]
    )
    wrong = client.post("/api/sankey", json={"product": "Unobtainium"}, headers=headers).json()
    assert wrong["ok"] is False and "Unobtainium" in str(wrong["error"])


def test_values_beyond_a_dataset_number_are_named_as_the_control(client: TestClient) -> None:
    """A tariff of 1e12 (the slider is open above) is refused as the control's value, not as a
    line of a table the user never wrote; a scenario name is explained in plain words."""
    headers = new_session(client)
    control = {"kind": "tariff", "from_country": "US", "to_country": "CN", "stage": "ore", "product": "", "value": 1e12}
    answer = client.post("/api/control", json=control, headers=headers).json()
    assert answer["ok"] is False
    text = str(answer["error"])
    assert "control tariff" in text and "value" in text and "below 1e+09" in text
    client.post("/api/control", json={"kind": "cn_cost", "value": 1.2}, headers=headers)
    named = client.post("/api/scenario", json={"name": "x y"}, headers=headers).json()
    assert named["ok"] is False and "letters, digits" in str(named["error"])


def test_controls_not_applied_can_be_removed_one_by_one(client: TestClient) -> None:
    """Two bans neither of which can hold (each breaks a contract): removing one keeps the
    other listed as not applied; removing that one too gives back the applied answer."""
    headers = new_session(client)
    good = client.post("/api/control", json=CASES["cn_cost"][0], headers=headers).json()
    bans = [
        {"kind": "trade_ban", "from_country": "US", "to_country": "CN", "stage": "ore", "value": 1},
        {"kind": "trade_ban", "from_country": "AU", "to_country": "MY", "stage": "ore", "value": 1},
    ]
    for ban in bans:
        response = client.post("/api/control", json=ban, headers=headers).json()
        assert response["ok"] is False and response["pending"]
    ids = [c["id"] for c in response["controls"]]
    first = client.post("/api/remove", json={"id": ids[1]}, headers=headers).json()
    assert first["ok"] is False and first["pending"]
    assert [(c["kind"], c["applied"]) for c in first["controls"]] == [("cn_cost", True), ("trade_ban", False)]
    second = client.post("/api/remove", json={"id": ids[2]}, headers=headers).json()
    assert second["ok"] and not second["pending"] and price(second) == price(good)
    assert [c["applied"] for c in second["controls"]] == [True]


def test_a_control_removed_leaves_nothing_of_itself_behind(client: TestClient) -> None:
    """China's cost x 2, then a tariff, then the cost control removed: the answer is the tariff
    alone (the LP the tariff was built on held the doubled cost: recomputed)."""
    headers = new_session(client)
    client.post("/api/control", json={"kind": "cn_cost", "value": 2.0}, headers=headers)
    tariff = client.post("/api/control", json=CASES["tariff"][0], headers=headers).json()
    assert tariff["ok"], tariff.get("error")
    cost_id = tariff["controls"][0]["id"]
    alone = client.post("/api/remove", json={"id": cost_id}, headers=headers).json()
    want = oreflow.solve(BASELINE_JOB, changes=CASES["tariff"][1], ranging=False)
    assert price(alone) == pytest.approx(solved_price(want), rel=1e-7)
    assert alone["view"]["numbers"]["objective_usd"] == pytest.approx(want.objective, rel=1e-7)


def test_a_control_prepared_before_it_moves_is_moved_in_place(client: TestClient) -> None:
    """The page prepares a control when its keys are chosen or its slider pressed: the new
    quota's LP is validated, built and loaded then, nothing is shown, and the change itself
    is a move in place on it, with the answer oreflow.solve gives."""
    headers = new_session(client)
    before = client.post("/api/control", json=CASES["cn_cost"][0], headers=headers).json()
    control, changes = CASES["export_quota"]
    ready = client.post("/api/prepare", json={**control, "value": 150}, headers=headers).json()
    assert ready["ok"] and ready["prepared"] == "rebuilt" and "view" not in ready
    state = client.get("/api/state", headers=headers).json()
    assert [c["kind"] for c in state["controls"]] == ["cn_cost"] and price(state) == price(before)
    moved = client.post("/api/control", json=control, headers=headers).json()
    assert moved["ok"] and moved["timings"]["lp"] == "shape"
    want = oreflow.solve(BASELINE_JOB, changes=[*CASES["cn_cost"][1], *changes], ranging=False)
    assert price(moved) == pytest.approx(solved_price(want), rel=1e-7)
    assert moved["view"]["numbers"]["objective_usd"] == pytest.approx(want.objective, rel=1e-7)
    bad = client.post("/api/prepare", json={"kind": "export_quota", "country": "XX"}, headers=headers).json()
    assert bad["ok"] is False  # said again, in full, by the change itself
    assert price(client.get("/api/state", headers=headers).json()) == price(moved)


def test_while_a_control_waits_others_apply_and_removals_that_break_applied_ones_are_refused(
    client: TestClient,
) -> None:
    """With a ban not applied (it breaks a contract): moving an unrelated control applies it to
    the answer on screen and the ban still waits; removing the voided contract a second ban
    relies on is refused, nothing changed."""
    headers = new_session(client)
    void = {"kind": "contract_void", "contract": "MP_Shenghe_offtake", "value": 1}
    us_ban = {"kind": "trade_ban", "from_country": "US", "to_country": "CN", "stage": "ore", "value": 1}
    au_ban = {"kind": "trade_ban", "from_country": "AU", "to_country": "MY", "stage": "ore", "value": 1}
    assert client.post("/api/control", json=void, headers=headers).json()["ok"]
    applied = client.post("/api/control", json=us_ban, headers=headers).json()
    assert applied["ok"]
    waiting = client.post("/api/control", json=au_ban, headers=headers).json()
    assert waiting["ok"] is False and waiting["pending"]
    # an unrelated control: applied on screen, the AU ban still waiting
    moved = client.post("/api/control", json=CASES["cn_cost"][0], headers=headers).json()
    assert moved["ok"] is False and moved["pending"]  # the AU ban's conflict is said again
    assert [(c["kind"], c["applied"]) for c in moved["controls"]] == [
        ("contract_void", True),
        ("trade_ban", True),
        ("trade_ban", False),
        ("cn_cost", True),
    ]
    on_screen = [
        {
            "action": "set",
            "table": "contracts",
            "where": {"contract": "MP_Shenghe_offtake"},
            "column": "min_t",
            "value": 0,
        },
        {"action": "add", "table": "bans", "rows": [{"from_country": "US", "to_country": "CN", "stage": "ore"}]},
        *CASES["cn_cost"][1],
    ]
    want = oreflow.solve(BASELINE_JOB, changes=on_screen, ranging=False)
    assert price(moved) == pytest.approx(solved_price(want), rel=1e-7)
    saved = client.post("/api/scenario", json={"name": "on_screen"}, headers=headers).json()["toml"]
    assert "not applied" in saved.splitlines()[0] and "AU" not in saved  # what is on screen, said so
    # removing the void would break the applied US ban: refused, nothing changes
    refused = client.post("/api/remove", json={"id": moved["controls"][0]["id"]}, headers=headers).json()
    assert refused["ok"] is False and refused["controls"] == moved["controls"]
    assert price(refused) == price(moved)
    assert "contracts" in client.post("/api/scenario", json={"name": "x"}, headers=headers).json()["toml"]


def test_a_preparation_does_only_what_helps(app) -> None:
    """Nothing to get ready for a control that moves in place or is already set, and a
    preparation overtaken by a newer request of the page is skipped."""
    sessions = app.state.sessions
    session = sessions.new()
    quota = {**CASES["export_quota"][0]}
    assert sessions.run(session, lambda s: s.prepare_control(CASES["cn_cost"][0])) == {"ok": True, "prepared": None}
    assert sessions.run(session, lambda s: s.set_control(quota))["ok"]
    assert sessions.run(session, lambda s: s.prepare_control({**quota, "value": 300}))["prepared"] is None

    def overtaken(s):  # a newer request arrives while this one waits for the lock
        s.arrived += 1
        return s.prepare_control(CASES["market_share"][0])

    assert sessions.run(session, overtaken) == {"ok": False, "prepared": None}
    assert sessions.run(session, lambda s: s.prepare_control(CASES["market_share"][0]))["prepared"] == "rebuilt"
