"""The what-if app end to end in real headless Chromium, driven by Selenium with Debian's
chromedriver (Debian's `chromium` and `chromium-driver`, installed by `make test`); skipped,
saying so, where either is missing.

`oreflow serve` runs in a subprocess on a free loopback port. The page shows the base case;
moving a slider updates the NdPr price to what oreflow.solve gives for the same change; an
infeasible change shows the conflict and the last good answer; a saved scenario's TOML
reproduces through `oreflow run`; two browser sessions do not see each other's changes.
Screenshots of the main views are saved into docs/app/ for docs/app.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
webdriver = pytest.importorskip("selenium.webdriver")

from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

import oreflow  # noqa: E402
from conftest import BASELINE_DATASET, BASELINE_JOB, REPO  # noqa: E402

CHROMIUM = Path(os.environ.get("OREFLOW_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("OREFLOW_CHROMEDRIVER", "/usr/bin/chromedriver"))
SHOTS = REPO / "docs" / "app"
CN_COST = [
    {
        "action": "scale",
        "table": "refiners",
        "where": {"country": "CN"},
        "column": "processing_cost_usd_per_t",
        "factor": 1.5,
    }
]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """`oreflow serve` on the default job and a free port: its address."""
    process = subprocess.Popen(
        [sys.executable, "-m", "oreflow", "serve", str(BASELINE_JOB), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if found is None:
            process.kill()
            pytest.fail(f"oreflow serve printed no address: {line!r} {process.stderr.read() if process.stderr else ''}")
        yield found.group(0)
    finally:
        process.terminate()
        process.wait(timeout=10)


def browser(tmp: Path) -> WebDriver:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(
            f"{CHROMIUM} or {CHROMEDRIVER} not found: install Debian's chromium and chromium-driver "
            "(make test does) to run the browser tests"
        )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1500",
        f"--user-data-dir={tmp}",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def settled(driver: WebDriver, seq: int | None = None, timeout: float = 30) -> None:
    """Wait until the page has drawn its answer (to request ``seq`` when given)."""
    deadline = time.monotonic() + timeout
    script = (
        "var b = document.body.dataset; var plots = document.querySelectorAll('[data-rendered=true]').length;"
        "return [b.ready === 'true' && b.busy === '0', b.seq, plots];"
    )
    while time.monotonic() < deadline:
        ready, at, plots = driver.execute_script(script)
        if ready and plots >= 4 and (seq is None or at == str(seq)):
            time.sleep(0.3)  # plotly finishes its transitions
            return
        time.sleep(0.05)
    raise AssertionError(f"the page did not settle: {driver.execute_script(script)}")


def shown_price(driver: WebDriver, product: str = "NdPr", market: str = "US") -> float:
    return float(driver.find_element("id", f"price-{product}-{market}").get_attribute("data-value"))


def solved(changes: list | None = None) -> float:
    market = oreflow.solve(BASELINE_JOB, changes=changes, ranging=False).market
    return float(market.loc[(market["product"] == "NdPr") & (market["market"] == "US"), "price_usd_per_t"].iloc[0])


def move(driver: WebDriver, kind: str, value: float) -> int:
    """Move a control's slider to ``value`` as a user would (input, then change on release)."""
    return int(
        driver.execute_script(
            "var r = document.querySelector('#control-' + arguments[0] + ' input.value'); r.value = arguments[1];"
            "r.dispatchEvent(new Event('input')); r.dispatchEvent(new Event('change'));"
            "return document.body.dataset.pending;",
            kind,
            str(value),
        )
    )


def test_app_in_a_real_browser(server: str, tmp_path: Path) -> None:
    driver = browser(tmp_path / "first")
    other = None
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.get(server)
        settled(driver)
        assert shown_price(driver) == pytest.approx(solved(), rel=1e-9)
        assert "Same as the base case." in driver.find_element("id", "slot-sankey").text
        assert driver.find_element("id", "plot-sankey").get_attribute("data-rendered") == "true"
        driver.save_screenshot(str(SHOTS / "base.png"))

        # a product's Sankey, drawn when asked for
        driver.execute_script(
            "var s = document.getElementById('sankey-product'); s.value = 'NdPr';s.dispatchEvent(new Event('change'));"
        )
        deadline = time.monotonic() + 20
        while driver.find_element("id", "plot-sankey").get_attribute("data-product") != "NdPr":
            assert time.monotonic() < deadline, "the NdPr Sankey was not drawn"
            time.sleep(0.05)
        assert "of NdPr is shipped" in driver.find_element("id", "slot-sankey").text

        # a slider: China's processing cost x 1.5
        seq = move(driver, "cn_cost", 1.5)
        settled(driver, seq)
        changed = shown_price(driver)
        assert changed == pytest.approx(solved(CN_COST), rel=1e-7)
        assert "Prices that moved most" in driver.find_element("id", "slot-delivered").text
        assert "Chinese processing cost = 1.5" in driver.find_element("id", "changes").text
        driver.execute_script("document.getElementById('slot-delivered').scrollIntoView()")
        driver.save_screenshot(str(SHOTS / "change.png"))
        driver.execute_script("window.scrollTo(0, 0)")

        # an infeasible change: US ore banned from China while the MP-Shenghe offtake holds
        form = driver.find_element("id", "control-trade_ban")
        for key, value in (("from_country", "US"), ("to_country", "CN"), ("stage", "ore")):
            driver.execute_script(
                "arguments[0].querySelector('[data-key=' + arguments[1] + ']').value = arguments[2];", form, key, value
            )
        form.find_element("css selector", "button.apply").click()
        deadline = time.monotonic() + 30
        while driver.execute_script("return document.body.dataset.state") != "error" and time.monotonic() < deadline:
            time.sleep(0.05)
        settled(driver)
        error = driver.find_element("id", "error")
        assert error.is_displayed() and "cannot all hold" in error.text
        assert "ban[US -> CN, ore]" in error.text and "MP_Shenghe_offtake" in error.text
        assert shown_price(driver) == changed  # the last good answer stays
        assert "(not applied)" in driver.find_element("id", "changes").text  # kept, to be made feasible
        driver.save_screenshot(str(SHOTS / "infeasible.png"))

        # the changes as a [[scenarios]] entry, run through `oreflow run`
        driver.execute_script("document.getElementById('save-name').value = 'browser_case'")
        driver.find_element("id", "save-toml").click()
        deadline = time.monotonic() + 30
        while not driver.find_element("id", "scenario-toml").get_attribute("value") and time.monotonic() < deadline:
            time.sleep(0.05)
        text = driver.find_element("id", "scenario-toml").get_attribute("value")
        assert "1 change(s) not applied" in text.splitlines()[0]  # the ban waits: left out, said so
        assert "[[scenarios]]" in text and "browser_case" in text and "bans" not in text
        job = tmp_path / "pasted.toml"
        job.write_text(
            f'dataset = "{BASELINE_DATASET}"\nstore = false\nunmet_penalty_usd_per_t = 1e7\n'
            f'demand_form = "steps"\ndemand_steps = 200\nprice_cap_multiple = 10\n\n{text}'
        )
        done = subprocess.run(
            [sys.executable, "-m", "oreflow", "run", str(job), "--out", str(tmp_path / "out"), "--quiet"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        market = pd.read_csv(tmp_path / "out" / "browser_case" / "market.csv", keep_default_na=False)
        ran = market.loc[(market["product"] == "NdPr") & (market["market"] == "US"), "price_usd_per_t"].iloc[0]
        assert float(ran) == pytest.approx(changed, rel=1e-7)  # the answer on screen, without the ban

        # voiding the contract the ban breaks: the ban and the void applied together
        form = driver.find_element("id", "control-contract_void")
        driver.execute_script("arguments[0].querySelector('[data-key=contract]').value = 'MP_Shenghe_offtake';", form)
        form.find_element("css selector", "button.apply").click()
        deadline = time.monotonic() + 30
        while driver.execute_script("return document.body.dataset.state") != "ok" and time.monotonic() < deadline:
            time.sleep(0.05)
        settled(driver)
        assert "(not applied)" not in driver.find_element("id", "changes").text
        combined = shown_price(driver)
        ban_void = [
            {"action": "add", "table": "bans", "rows": [{"from_country": "US", "to_country": "CN", "stage": "ore"}]},
            {
                "action": "set",
                "table": "contracts",
                "where": {"contract": "MP_Shenghe_offtake"},
                "column": "min_t",
                "value": 0,
            },
        ]
        assert combined == pytest.approx(solved(CN_COST + ban_void), rel=1e-7)

        # a control prepared as its keys are chosen: its first move re-solves in place
        form = driver.find_element("id", "control-export_quota")
        driver.execute_script(
            "var f = arguments[0]; f.querySelector('[data-key=country]').value = 'CN';"
            "var p = f.querySelector('[data-key=product]'); p.value = 'Dy'; p.dispatchEvent(new Event('change'));",
            form,
        )
        time.sleep(0.4)  # the page waits 150 ms for the last key choice, then prepares
        settled(driver)
        seq = move(driver, "export_quota", 400)
        settled(driver, seq)
        assert driver.execute_script("return document.body.dataset.lp") == "shape"
        driver.find_element("css selector", "#changes button[data-id^='export_quota']").click()
        settled(driver)

        # a second browser session starts at the base case and does not move the first
        other = browser(tmp_path / "second")
        other.get(server)
        settled(other)
        assert shown_price(other) == pytest.approx(solved(), rel=1e-9)
        assert "none: the base case" in other.find_element("id", "changes").text
        seq = move(other, "origin_supply", 0.5)
        settled(other, seq)
        assert "supply (disruption) (origin" in other.find_element("id", "changes").text
        mine = driver.execute_script(
            "var x = new XMLHttpRequest(); x.open('GET', '/api/state', false);"
            "x.setRequestHeader('X-Oreflow-Session', document.body.dataset.session); x.send();"
            "return JSON.parse(x.responseText);"
        )
        assert [c["kind"] for c in mine["controls"]] == ["cn_cost", "trade_ban", "contract_void"]  # as it was
        assert shown_price(driver) == combined != shown_price(other)
    finally:
        driver.quit()
        if other is not None:
            other.quit()
