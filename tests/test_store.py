"""The store of every run (oreflow/store.py, `oreflow runs`, docs/store.md): what each kind of
run records, where, that several runs finishing at once are all recorded, that a locked or
corrupt store never fails a run nor loses its record, and that `runs compare` of a batch's
cases is its comparison.csv. Every store here is under tmp_path."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import oreflow
from conftest import BAN_AND_INFEASIBLE, REPO, micro_frames, write_dataset, write_job
from oreflow import outputs, store, store_records
from oreflow.cli import main
from oreflow.model.families import CAPACITY
from oreflow.scenarios import metrics

TIMEOUT = 120

#: A small sweep of the micro model (R1's capacity) and its stress test (3 disruptions).
SWEEP = """
[sweep]
[[sweep.parameters]]
name = "r1_capacity"
table = "refiners"
where = { refiner = "R1" }
column = "capacity_t"
action = "set"
values = [40, 60, 80]
unit = "t"

[stress]
ore_route_groups = false
product_route_groups = false
"""

#: A plan of the micro model over two years, and a scenario: a batch of plans.
PLAN = """
[horizon]
years = [2024, 2025]
"""
PLAN_SCENARIO = """
[[scenarios]]
name = "more_demand"
changes = [ { action = "scale", table = "demand", column = "demand_t", factor = 1.5 } ]
"""


def rows(path: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    """``sql`` on the store at ``path`` (read-only, closed again)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def micro_job(tmp_path: Path, extra: str = "", output: str = "out", name: str = "job.toml") -> Path:
    if not (tmp_path / "micro").is_dir():
        write_dataset(tmp_path / "micro")
    return write_job(tmp_path / name, "micro", output, extra)


def ndpr_frames() -> dict[str, pd.DataFrame]:
    """The micro model with NdPr and Ce for P1 and P2, and a second market C in China
    demanding 10 t of NdPr: NdPr costs about 0.3 USD/kg in M and C."""
    frames = micro_frames()
    frames["composition"] = frames["composition"].assign(product=["NdPr", "Ce"])
    frames["markets"] = pd.DataFrame({"market": ["M", "C"], "country": ["Y", "CN"]})
    frames["demand"] = pd.DataFrame({"market": ["M", "C"], "product": ["NdPr", "NdPr"], "demand_t": [40.0, 10.0]})
    frames["product_routes"] = pd.DataFrame(
        {"refiner": ["R1", "R2", "R1", "R2"], "market": ["M", "M", "C", "C"], "freight_usd_per_t": [1.0, 2.0, 1.0, 2.0]}
    )
    return frames


def documented_query(name: str) -> str:
    """The SQL block of docs/store.md after ``<!-- query:NAME -->``."""
    text = (REPO / "docs" / "store.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- query:{name} -->\s*```sql\n(.*?)```", text, re.S)
    assert found, name
    return found.group(1)


# ---- what is recorded -------------------------------------------------------------------------


def test_a_run_is_recorded_beside_its_output_folder(tmp_path: Path) -> None:
    job = micro_job(tmp_path)
    assert main(["run", str(job), "--quiet"]) == 0
    path = tmp_path / "runs.duckdb"  # the parent of the output folder tmp_path/out
    run = rows(path, "SELECT * FROM runs")
    assert len(run) == 1
    row = run.iloc[0]
    assert (row["kind"], row["status"], row["name"], row["job_name"]) == ("run", "optimal", "job", "job")
    assert row["objective_usd"] == pytest.approx(4750.0)  # the micro model's optimum (conftest)
    assert row["output_path"] == str((tmp_path / "out").resolve()) and row["job_path"] == str(job.resolve())
    assert re.fullmatch(r"[0-9a-z]{10}", row["run_id"]) and row["oreflow_version"] == store_records.oreflow_version()
    assert pd.isna(row["parent_id"]) and not row["plan"]
    network = oreflow.load_inputs(tmp_path / "micro")
    files = rows(path, "SELECT file, sha256 FROM inputs").set_index("file")["sha256"].to_dict()
    assert files == dict(network.file_hashes)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert files == summary["input_sha256"]
    # costs, market and prices as the output folder's tables
    costs = rows(path, "SELECT component, usd_per_year FROM costs").set_index("component")["usd_per_year"]
    written = pd.read_csv(tmp_path / "out" / "cost_breakdown.csv").set_index("component")["cost_usd"].drop("total")
    pd.testing.assert_series_equal(costs, written, check_names=False)
    market = rows(path, "SELECT market, country, product, price_usd_per_t, quantity_t FROM market")
    assert market.to_dict("records") == [
        {"market": "M", "country": "Y", "product": "P1", "price_usd_per_t": pytest.approx(262.0), "quantity_t": 40.0}
    ]
    prices = rows(path, "SELECT family, key, rhs, shadow_price, unit FROM shadow_prices")
    capacity = prices.loc[(prices["family"] == CAPACITY) & (prices["key"] == "R1")].iloc[0]
    # one more t of R1's feed sends 0.5 t of P1 through R1 (71 USD/t) instead of R2 (262): saves 95.5
    assert capacity["rhs"] == 60.0 and capacity["shadow_price"] == pytest.approx(-95.5) and capacity["unit"] == "USD/t"
    figures = rows(path, "SELECT metric, key, unit, value FROM figures ORDER BY position")
    expected = metrics(oreflow.solve(job))
    pd.testing.assert_frame_equal(figures, expected[["metric", "key", "unit", "value"]], check_dtype=False)


def test_a_batch_and_its_cases_are_recorded_and_compare_equals_comparison_csv(tmp_path: Path, capsys) -> None:
    job = micro_job(tmp_path, BAN_AND_INFEASIBLE)
    assert main(["run", str(job), "--quiet"]) == 1  # one case is infeasible
    path = tmp_path / "runs.duckdb"
    runs = rows(path, "SELECT * FROM runs ORDER BY seq")
    batch = runs.iloc[0]
    assert (batch["kind"], batch["status"], batch["cases"], batch["failed"]) == ("batch", "partial", 3, 1)
    cases = runs.iloc[1:]
    assert list(cases["name"]) == ["base", "no_exports", "impossible"]
    assert (cases["parent_id"] == batch["run_id"]).all() and list(cases["kind"]) == ["case"] * 3
    assert list(cases["status"]) == ["optimal", "optimal", "infeasible"]
    assert "share_limit[M, P1, X >= 90%]" in cases.iloc[2]["error"]
    assert list(cases["output_path"]) == [str((tmp_path / "out" / n).resolve()) for n in cases["name"]]
    capsys.readouterr()
    assert main(["runs", "compare", *cases["run_id"], "--store", str(path), "--csv"]) == 0
    compared = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False, na_values=[""])
    written = pd.read_csv(tmp_path / "out" / "comparison.csv", keep_default_na=False, na_values=[""])
    assert list(compared.columns) == ["run_id", "name", *written.columns[1:]]
    ids = dict(zip(cases["name"], cases["run_id"]))
    assert list(compared["run_id"]) == [ids[n] for n in written["scenario"]]
    pd.testing.assert_frame_equal(
        compared.drop(columns="run_id").rename(columns={"name": "scenario"}), written, check_dtype=False, rtol=1e-12
    )
    capsys.readouterr()
    assert main(["runs", "compare", *cases["run_id"][:2], "--store", str(path), "--metric", "objective"]) == 0
    printed = capsys.readouterr().out
    assert "no_exports" in printed and "10,480" in printed and "5,730" in printed  # 10,480 - 4,750 (conftest)
    # the batch itself has no figures of its own: named, not shown as a solved run of blanks
    assert main(["runs", "compare", cases["run_id"].iloc[0], batch["run_id"], "--store", str(path)]) == 1
    assert "a batch, sweep or stress test has none" in capsys.readouterr().err


def test_a_plan_and_a_batch_of_plans_are_recorded(tmp_path: Path, capsys) -> None:
    plan = micro_job(tmp_path, PLAN, "plan", "plan.toml")
    batch = micro_job(tmp_path, PLAN + PLAN_SCENARIO, "plans", "plans.toml")
    assert main(["run", str(plan), "--quiet"]) == 0 and main(["run", str(batch), "--quiet"]) == 0
    path = tmp_path / "runs.duckdb"
    runs = rows(path, "SELECT * FROM runs ORDER BY seq")
    assert list(zip(runs["kind"], runs["name"], runs["plan"])) == [
        ("plan", "plan", True),
        ("batch", "plans", True),
        ("plan", "base", True),
        ("plan", "more_demand", True),
    ]
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert runs.iloc[0]["objective_usd"] == pytest.approx(summary["objective_pv_usd"])
    market = rows(path, "SELECT year, price_usd_per_t FROM market WHERE run_id = ?", [runs.iloc[0]["run_id"]])
    assert sorted(market["year"]) == [2024, 2025]
    expected = [summary["years"][str(y)]["prices_usd_per_t"]["M/P1"] for y in market["year"]]
    assert list(market["price_usd_per_t"]) == pytest.approx(expected)
    costs = rows(path, "SELECT DISTINCT year FROM costs WHERE run_id = ?", [runs.iloc[0]["run_id"]])
    assert sorted(costs["year"]) == [2024, 2025]
    # the plan's figures are those of a batch of plans: its comparison.csv holds
    capsys.readouterr()
    assert main(["runs", "compare", *runs["run_id"].iloc[2:], "--store", str(path), "--csv"]) == 0
    compared = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False, na_values=[""])
    written = pd.read_csv(tmp_path / "plans" / "comparison.csv", keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(
        compared.drop(columns="run_id").rename(columns={"name": "scenario"}), written, check_dtype=False, rtol=1e-12
    )
    lone = rows(path, "SELECT value FROM figures WHERE run_id = ? AND metric = 'objective'", [runs.iloc[0]["run_id"]])
    base = written.loc[(written["scenario"] == "base") & (written["metric"] == "objective"), "value"]
    assert lone["value"].iloc[0] == pytest.approx(base.iloc[0])


def test_a_sweep_and_a_stress_test_are_recorded_point_by_point(tmp_path: Path) -> None:
    job = micro_job(tmp_path, SWEEP)
    assert main(["sweep", str(job), "--workers", "1", "--quiet"]) == 0
    assert main(["stress", str(job), "--workers", "1", "--quiet"]) == 0
    path = tmp_path / "runs.duckdb"  # out-sweep and out-stress share the job's store
    runs = rows(path, "SELECT * FROM runs ORDER BY seq").set_index("kind")
    assert list(runs.index) == ["sweep", "stress"]
    for kind in ("sweep", "stress"):
        run = runs.loc[kind]
        folder = tmp_path / f"out-{kind}"
        table = pd.read_parquet(folder / "points.parquet")
        assert run["output_path"] == str(folder.resolve()) and run["cases"] == len(table) and run["failed"] == 0
        points = rows(path, "SELECT * FROM points WHERE run_id = ? ORDER BY point", [run["run_id"]])
        assert list(points["point"]) == list(table["point"]) and list(points["status"]) == list(table["status"])
        assert list(points["objective_usd"]) == pytest.approx(list(table["objective_usd"]))
        values = rows(path, "SELECT point, column_name, value FROM point_values WHERE run_id = ?", [run["run_id"]])
        wide = values.pivot(index="point", columns="column_name", values="value")
        numbers = table.set_index("point")[list(wide.columns)].apply(pd.to_numeric, errors="coerce").astype(float)
        pd.testing.assert_frame_equal(
            wide.sort_index(), numbers.sort_index(), check_names=False, check_like=True, check_index_type=False
        )
        # every number of the points table is there (text columns aside)
        text = {"label", "kind", "element", "description", "status", "error", "point"}
        assert set(wide.columns) == {c for c in table.columns if c not in text and table[c].notna().any()}
    stress = rows(path, "SELECT kind, element FROM points WHERE run_id = ?", [runs.loc["stress", "run_id"]])
    assert set(stress["element"]) == {"", "A", "R1", "R2"}


# ---- the documented queries --------------------------------------------------------------------


def test_the_documented_query_finds_ndpr_outside_china_above_80_usd_per_kg(tmp_path: Path, capsys) -> None:
    write_dataset(tmp_path / "ndpr", ndpr_frames())
    dear = """
[[scenarios]]
name = "dear"
changes = [ { action = "scale", table = "refiners", column = "processing_cost_usd_per_t", factor = 2000 } ]
"""
    job = write_job(tmp_path / "ndpr.toml", "ndpr", "out", dear)
    assert main(["run", str(job), "--quiet"]) == 0
    path = tmp_path / "runs.duckdb"
    query = documented_query("ndpr-above-80")
    found = rows(path, query)
    # dear: R1's processing at 40,000 USD/t of ore (half of it NdPr) and R2's needed too: NdPr
    # costs hundreds of USD/kg in both markets; only M is outside China. The base case: 0.3 USD/kg.
    assert list(found["name"]) == ["dear"] and list(found["markets"]) == ["M"]
    assert found["max_ndpr_usd_per_kg"].iloc[0] > 80
    market = rows(path, "SELECT r.name, m.market, m.price_usd_per_t FROM market m JOIN runs r USING (run_id)")
    assert set(market.loc[market["price_usd_per_t"] > 80000, "market"]) == {"M", "C"}  # C is in China
    capsys.readouterr()
    assert main(["runs", "sql", query, "--store", str(path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split()[:5] == ["run_id", "time_utc", "kind", "job_name", "name"] and len(printed) == 2
    assert "dear" in printed[1]
    # every other example query of docs/store.md runs on this store
    text = (REPO / "docs" / "store.md").read_text(encoding="utf-8")
    ids = list(rows(path, "SELECT run_id FROM runs ORDER BY seq")["run_id"])
    for sql in re.findall(r"```sql\n(.*?)```", text, re.S):
        rows(path, sql.replace("k3v9q0c2xh", ids[1]).replace("7wq2m4d8ta", ids[2]))


# ---- several writers, locked and corrupt stores ------------------------------------------------

GATED = """
import sys, time
from pathlib import Path
from oreflow import store
from oreflow.cli import main

original = store.write_record


def gated(path, record):
    Path(sys.argv[2]).touch()  # ready to write
    while not Path(sys.argv[3]).exists():  # every writer waits for the others
        time.sleep(0.005)
    return original(path, record)


store.write_record = gated
sys.exit(main(["run", sys.argv[1], "--quiet"]))
"""


def test_runs_finishing_at_once_are_all_recorded(tmp_path: Path) -> None:
    """Three processes whose runs reach the store together (each waits at a gate until all
    three are ready): every run is recorded, none is pending, no message."""
    script = tmp_path / "gated.py"
    script.write_text(GATED, encoding="utf-8")
    jobs = [micro_job(tmp_path, output=f"out{n}", name=f"job{n}.toml") for n in range(3)]
    go = tmp_path / "go"
    started = [
        subprocess.Popen(
            [sys.executable, str(script), str(job), str(tmp_path / f"ready{n}"), str(go)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        for n, job in enumerate(jobs)
    ]
    try:
        deadline = time.monotonic() + TIMEOUT
        while not all((tmp_path / f"ready{n}").exists() for n in range(3)):
            assert time.monotonic() < deadline and all(p.poll() is None for p in started), [
                p.communicate() for p in started if p.poll() is not None
            ]
            time.sleep(0.01)
        go.touch()
        finished = [p.communicate(timeout=TIMEOUT) for p in started]
    finally:
        for p in started:
            p.kill() if p.poll() is None else None
    assert [p.returncode for p in started] == [0, 0, 0], finished
    assert all("run store" not in err for _, err in finished), finished
    recorded = rows(tmp_path / "runs.duckdb", "SELECT output_path FROM runs")
    assert sorted(recorded["output_path"]) == [str((tmp_path / f"out{n}").resolve()) for n in range(3)]
    assert not store.pending_folder(tmp_path / "runs.duckdb").exists()
    assert not (tmp_path / ".runs.duckdb.lock").exists()


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on a locked store after two short waits instead of about 3 s."""
    monkeypatch.setattr(store, "RETRY_DELAYS_S", (0.01, 0.02))


def hold_lock(path: Path) -> tuple[threading.Event, threading.Thread]:
    """Hold the store's lock (another thread's: busy for this one) until the event is set."""
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with outputs.lock(path):
            held.set()
            release.wait(TIMEOUT)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(TIMEOUT)
    return release, thread


def test_a_locked_store_keeps_the_record_pending_until_the_next_run(tmp_path: Path, capsys, quick_retries) -> None:
    job = micro_job(tmp_path)
    path = tmp_path / "runs.duckdb"
    release, thread = hold_lock(path)
    try:
        assert main(["run", str(job), "--quiet"]) == 0  # the run succeeds
    finally:
        release.set()
        thread.join()
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "run store" in line]
    assert len(lines) == 1 and lines[0].startswith(f"oreflow: the run store {path} is locked by another oreflow run")
    pending = sorted(store.pending_folder(path).glob("*.json"))
    assert len(pending) == 1 and f"saved to {pending[0]}" in lines[0] and "added by the next run" in lines[0]
    assert (tmp_path / "out" / "summary.json").is_file() and not path.exists()
    first = pending[0].stem
    assert main(["run", str(job), "--quiet"]) == 0
    assert "run store" not in capsys.readouterr().err
    runs = rows(path, "SELECT run_id, time_utc FROM runs ORDER BY time_utc")
    assert len(runs) == 2 and runs["run_id"].iloc[0] == first  # the pending one, with its own time
    assert rows(path, "SELECT count(*) AS n FROM figures WHERE run_id = ?", [first])["n"].iloc[0] > 0
    assert not store.pending_folder(path).exists()


def test_a_store_held_open_by_another_process_keeps_the_record_pending(tmp_path: Path, capsys, quick_retries) -> None:
    job = micro_job(tmp_path)
    path = tmp_path / "runs.duckdb"
    code = f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('open', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        assert main(["run", str(job), "--quiet"]) == 0
        err = capsys.readouterr().err
        assert f"oreflow: the run store {path} is locked by another process" in err, err
        with pytest.raises(oreflow.InputError, match="no other process is writing"):
            store.open_store(path)
    finally:
        holder.communicate("", timeout=TIMEOUT)
    assert main(["run", str(job), "--quiet"]) == 0
    assert len(rows(path, "SELECT * FROM runs")) == 2 and not store.pending_folder(path).exists()


def test_a_corrupt_store_gives_one_line_and_the_run_still_succeeds(tmp_path: Path, capsys) -> None:
    job = micro_job(tmp_path)
    path = tmp_path / "runs.duckdb"
    path.write_text("not a database\n", encoding="utf-8")
    assert main(["run", str(job), "--quiet"]) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith(f"oreflow: the run store {path} cannot be opened (")
    assert "move it aside to start a new store" in lines[0]
    assert captured.out.strip() == f"Outputs written to {(tmp_path / 'out').resolve()}"
    assert (tmp_path / "out" / "summary.json").is_file() and path.read_text() == "not a database\n"
    assert main(["runs", "list", "--store", str(path)]) == 1
    assert "a DuckDB run store (" in capsys.readouterr().err
    path.rename(tmp_path / "broken.duckdb")  # moved aside: the next run starts a new store
    assert main(["run", str(job), "--quiet"]) == 0
    assert len(rows(path, "SELECT * FROM runs")) == 2 and not store.pending_folder(path).exists()


def test_a_record_that_cannot_be_built_never_fails_the_run(tmp_path: Path, capsys, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(store, "build_record", broken)
    assert main(["run", str(micro_job(tmp_path)), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "oreflow: this run was not recorded in its run store (RuntimeError: boom)" in err
    assert (tmp_path / "out" / "summary.json").is_file() and not (tmp_path / "runs.duckdb").exists()


def test_a_pending_record_is_added_once(tmp_path: Path, capsys) -> None:
    """A pending record already in the store (added, then its file not removed) is not added
    twice; an unreadable one is set aside with a message."""
    network = oreflow.load_inputs(write_dataset(tmp_path / "micro"))
    result = oreflow.solve(network)
    origin = store_records.origin_of("micro", None, None, network, plan=False)
    record = store.build_record(origin, "run", tmp_path / "out", result)
    path = tmp_path / "runs.duckdb"
    saved = store.save_pending(path, record)
    again = store.load_pending(saved)
    for name, frame in record.tables.items():
        assert list(again.tables[name].columns) == list(frame.columns) and len(again.tables[name]) == len(frame)
    assert store.write_record(path, store.build_record(origin, "run", tmp_path / "out", result)) is not None
    assert not saved.exists()  # added by that write
    store.save_pending(path, record)  # the same record once more
    assert store.write_record(path, store.build_record(origin, "run", tmp_path / "out", result)) is not None
    assert list(rows(path, "SELECT run_id, count(*) AS n FROM runs GROUP BY ALL")["n"]) == [1, 1, 1]
    assert rows(path, "SELECT count(*) AS n FROM figures WHERE run_id = ?", [record.run_id])["n"].iloc[0] == len(
        record.tables["figures"]
    )
    # a fresh record whose id is taken is stored under a new one
    renamed = store.write_record(path, record)
    assert renamed is not None and renamed != record.run_id and len(rows(path, "SELECT * FROM runs")) == 4
    # a pending file that cannot be read is set aside (.bad) and the others, and later runs, go on
    bad = store.pending_folder(path) / "garbage.json"
    bad.parent.mkdir()
    bad.write_text("{", encoding="utf-8")
    store.save_pending(path, store.build_record(origin, "run", tmp_path / "out", result))
    assert store.write_record(path, store.build_record(origin, "run", tmp_path / "out", result)) is not None
    assert len(rows(path, "SELECT * FROM runs")) == 6
    assert [p.name for p in store.pending_folder(path).iterdir()] == ["garbage.json.bad"]
    assert f"oreflow: pending run record {bad} cannot be added (" in capsys.readouterr().err


# ---- where, and off ----------------------------------------------------------------------------


def test_store_false_writes_nothing_and_imports_no_duckdb(tmp_path: Path) -> None:
    job = micro_job(tmp_path, "store = false\n")
    code = (
        "import sys; from oreflow.cli import main; status = main(['run', sys.argv[1], '--quiet']); "
        "print('duckdb' in sys.modules); sys.exit(status)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(job)], cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "False", done
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.toml", "micro", "out"]


def test_a_store_path_is_relative_to_the_job_file(tmp_path: Path, capsys) -> None:
    project = tmp_path / "project"
    write_dataset(project / "micro")
    job = write_job(project / "job.toml", "micro", "../elsewhere/out", 'store = "db/runs-2026.duckdb"\n')
    assert main(["run", str(job), "--quiet"]) == 0
    path = project / "db" / "runs-2026.duckdb"
    assert path.is_file() and not (tmp_path / "elsewhere" / "runs.duckdb").exists()
    capsys.readouterr()
    assert main(["runs", "list", "--store", str(job)]) == 0  # a job file names its store
    assert "job" in capsys.readouterr().out


# ---- the command -------------------------------------------------------------------------------


def test_runs_list_show_and_errors(tmp_path: Path, capsys) -> None:
    job = micro_job(tmp_path)
    other = micro_job(tmp_path, output="other", name="other.toml")
    assert main(["run", str(job), "--quiet"]) == 0 and main(["run", str(other), "--quiet"]) == 0
    path = str(tmp_path / "runs.duckdb")
    capsys.readouterr()
    assert main(["runs", "list", "--store", path]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split()[:3] == ["run_id", "time_utc", "kind"] and len(listed) == 3
    assert listed[1].split()[4] == "other" and listed[2].split()[4] == "job"  # newest first
    assert main(["runs", "list", "--store", path, "--job", "job", "--csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(table["job_name"]) == ["job"]
    run_id = table["run_id"].iloc[0]
    assert main(["runs", "show", run_id[:6], "--store", path]) == 0  # a unique beginning will do
    shown = capsys.readouterr().out
    assert shown.startswith(f"run {run_id}: run 'job' of job 'job', optimal") and "objective    4,750 USD/yr" in shown
    assert "market:" in shown and "costs (USD per year):" in shown
    waiting = tmp_path / "waiting.duckdb.pending"  # a store never written, with a record waiting for it
    waiting.mkdir()
    (waiting / "abc.json").write_text("{}", encoding="utf-8")
    for argv, message in (
        (["runs", "list", "--store", str(tmp_path / "none.duckdb")], "expected an existing run store"),
        (["runs", "list", "--store", str(tmp_path / "waiting.duckdb")], "1 run record(s) wait in"),
        (["runs", "show", "zzzzzzzzzz", "--store", path], "expected the id of a run in the store"),
        (["runs", "sql", "SELEC 1", "--store", path], "expected a valid read-only query on the store (Parser Error"),
        (["runs", "sql", "DELETE FROM runs", "--store", path], "read-only"),
        (["runs", "sql", "", "--store", path], "expected a query (the text holds none)"),
        (["runs", "sql", "-- a comment only", "--store", path], "expected a query (the text holds none)"),
        (["runs", "compare", run_id, "--store", path], "two run ids or more"),
        (["runs", "frobnicate", "--store", path], "one of list, show, compare, sql"),
    ):
        assert main(argv) == 1, argv
        assert message in capsys.readouterr().err, argv
    assert len(rows(Path(path), "SELECT * FROM runs")) == 2  # nothing deleted
