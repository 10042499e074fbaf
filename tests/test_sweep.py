"""Sweeps (docs/sensitivity.md): in-place LP changes equal a rebuild, points equal individual
solves, failures are recorded, interrupted sweeps resume, local and parallel runs agree."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oreflow
from conftest import BASELINE_DATASET, REPO, write_job
from oreflow.cli import main
from oreflow.errors import InputError
from oreflow.job import Change, Scenario, load_job
from oreflow.model.families import FAMILIES
from oreflow.model.lp import build_lp
from oreflow.model.market import MarketOptions
from oreflow.model.parameters import DATASET_RULES, IN_PLACE, updated_lp
from oreflow.scenarios import apply_scenario, changed_network
from oreflow.sweep import engine as engine_module
from oreflow.sweep.engine import SweepContext
from oreflow.sweep.execute import execute
from oreflow.sweep.journal import Journal
from oreflow.sweep.points import sweep_points
from oreflow.sweep.progress import Progress
from oreflow.sweep.run import execution_of, run_sweep

#: Policies on the default dataset so every in-place input feeds a non-empty family.
POLICIES = [
    Change(
        action="add", table="quotas", rows=[{"quota": "CN_all", "kind": "refining", "country": "CN", "limit_t": 300000}]
    ),
    Change(
        action="add",
        table="tariffs",
        rows=[{"from_country": "US", "to_country": "CN", "stage": "ore", "usd_per_t": 500}],
    ),
    Change(
        action="add",
        table="share_limits",
        rows=[{"market": "EU", "product": "NdPr", "country": "CN", "max_share": 0.8, "min_share": 0.1}],
    ),
    Change(action="set", table="demand", column="unmet_penalty_usd_per_t", where={"market": "EU"}, value=2e7),
    Change(
        action="add",
        table="contracts",
        rows=[
            {"contract": "MtWeld_Lynas", "stage": "ore", "from": "AU_MtWeld", "to": "MY_Lynas_Kuantan", "min_t": 10000},
            {"contract": "Lynas_JP", "stage": "product", "from": "MY_Lynas_Kuantan", "to": "JP", "max_t": 20000},
        ],
    ),
]

#: A grid of two parameters on the default dataset (4 x 3 points).
GRID = """
[sweep]
prices = ["supply", "capacity", "demand"]
flows = ["ore_routes"]

[[sweep.parameters]]
name = "cn_processing"
table = "refiners"
where = { country = "CN" }
column = "processing_cost_usd_per_t"
values = [0.5, 1.0, 1.5, 2.0]

[[sweep.parameters]]
name = "us_capacity"
table = "refiners"
where = { refiner = "US_MP_MountainPass" }
column = "capacity_t"
action = "set"
values = [12000, 20000, 60000]  # at least the MP_inhouse contract's 12,000 t
unit = "t"

[execution]
chunk_size = 5
"""


def policy_network() -> oreflow.Network:
    base = oreflow.load_inputs(BASELINE_DATASET)
    return apply_scenario(base, Scenario(name="policies", changes=POLICIES)).network


def with_curves(network: oreflow.Network) -> oreflow.Network:
    """``network`` with demand curves on its NdPr and Dy rows (reference price and elasticity)."""
    curve = {"NdPr": (56000, -0.5), "Dy": (260000, -0.3)}
    changes = [
        Change(action="set", table="demand", column=column, where={"product": product}, value=value)
        for product, (price, elasticity) in curve.items()
        for column, value in (("reference_price_usd_per_t", price), ("elasticity", elasticity))
    ]
    return changed_network(network, changes, "curves")


def grid_job(tmp_path: Path, text: str = GRID) -> Path:
    return write_job(tmp_path / "grid.toml", str(BASELINE_DATASET), str(tmp_path / "out"), text)


def run(job: Path, **overrides) -> tuple[str, int, Path]:
    job_file = load_job(job)
    execution = execution_of(
        job_file, overrides.get("workers", 1), overrides.get("scheduler"), overrides.get("fresh", False), False
    )
    return run_sweep(job_file, oreflow.load_inputs(job_file.dataset), overrides.get("out"), execution)


def points_table(folder: Path) -> pd.DataFrame:
    """points.csv of a sweep's output folder, blanks read as missing and text kept as text."""
    return pd.read_csv(folder / "points.csv", keep_default_na=False, na_values=[""])


def numeric(table: pd.DataFrame) -> pd.DataFrame:
    """The figures of a points table (timings and how it was solved left out)."""
    return table.drop(columns=["solve_s", "warm", "iterations"])


# ---- in-place changes ----------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(IN_PLACE))
def test_in_place_update_equals_rebuild(key: tuple[str, str]) -> None:
    """Every input of parameters.IN_PLACE: the recomputed vectors equal a full rebuild."""
    table, column = key
    network = with_curves(policy_network())
    factor = 0.7 if column not in ("max_share", "min_share") else 0.5
    changed = changed_network(network, [Change(action="scale", table=table, column=column, factor=factor)], "t")
    for options in (MarketOptions(), MarketOptions(demand_form="linear")):
        rebuilt = build_lp(changed, options)
        fast = updated_lp(build_lp(network, options), changed, [key], options)
        assert fast is not None
        for name in ("cost", "row_lower", "row_upper", "row_report_scale", "col_lower", "col_upper"):
            np.testing.assert_array_equal(getattr(fast, name), getattr(rebuilt, name), err_msg=name)
        assert fast.cost_offsets == rebuilt.cost_offsets
        np.testing.assert_array_equal(fast.hessian, rebuilt.hessian)
        for term, by_block in rebuilt.cost_terms.items():
            for block, values in by_block.items():
                np.testing.assert_array_equal(fast.cost_terms[term][block], values, err_msg=f"{term}/{block}")
    base = build_lp(network, 1e7)
    fast = updated_lp(base, changed, [key], 1e7)
    assert fast is not None
    moved = [
        name
        for name in ("cost", "row_lower", "row_upper", "col_upper")
        if not np.array_equal(getattr(base, name), getattr(fast, name))
    ]
    assert moved, f"scaling {table}.{column} changed nothing in the LP: the test would prove nothing"


def test_a_registered_rhs_equals_the_builders() -> None:
    """A family's ``rhs`` (what a sweep recomputes in place without rebuilding the family)
    gives the right-hand sides its builder gives."""
    network = with_curves(policy_network())
    lp = build_lp(network)
    checked = [spec.name for spec in FAMILIES if spec.rhs is not None]
    assert {"supply", "capacity", "demand"} <= set(checked)
    for spec in FAMILIES:
        if spec.rhs is not None:
            np.testing.assert_array_equal(spec.rhs(network), spec.build(network, lp.columns).rhs, err_msg=spec.name)


def test_demand_points_recheck_the_rules_demand_can_break(tmp_path: Path) -> None:
    """A demand change re-runs only DATASET_RULES; a point that breaks one is invalid, naming it."""
    assert ("demand", "demand_t") in DATASET_RULES and ("refiners", "capacity_t") not in DATASET_RULES
    text = """
[sweep]
base_changes = [ { action = "add", table = "share_limits", rows = [
  { market = "EU", product = "NdPr", country = "CN", max_share = 0.8 } ] } ]
[[sweep.parameters]]
name = "eu_ndpr_demand"
table = "demand"
where = { market = "EU", product = "NdPr" }
column = "demand_t"
values = [1.2, 0.0]
"""
    _, status, folder = run(grid_job(tmp_path, text))
    table = points_table(folder)
    assert status == 1 and table["status"].tolist() == ["optimal", "invalid"] and table["warm"][0]
    assert "demand_t > 0" in table.loc[1, "error"] and "share_limits.csv" in table.loc[1, "error"]
    base = oreflow.load_inputs(BASELINE_DATASET)
    network = apply_scenario(
        base,
        Scenario(
            name="p",
            changes=[
                *load_job(tmp_path / "grid.toml").job.sweep.base_changes,
                Change(
                    action="scale",
                    table="demand",
                    column="demand_t",
                    where={"market": "EU", "product": "NdPr"},
                    factor=1.2,
                ),
            ],
        ),
    ).network
    result = oreflow.solve(network)
    assert table.loc[0, "objective_usd"] == pytest.approx(result.objective, rel=1e-9)
    limit = result.shadow_prices["share_limit"]["shadow_price"].iloc[0]
    assert table.loc[0, "price.share_limit.EU/NdPr/CN/max"] == pytest.approx(limit, rel=1e-6, abs=1e-6)


# ---- points --------------------------------------------------------------------------------


def test_grid_points_are_every_combination(tmp_path: Path) -> None:
    points = sweep_points(load_job(grid_job(tmp_path)).job.sweep)
    assert len(points) == 12
    assert points[0].values == {"cn_processing": 0.5, "us_capacity": 12000.0}
    assert points[1].values == {"cn_processing": 0.5, "us_capacity": 20000.0}  # the last parameter varies fastest
    assert points[3].label == "cn_processing=1, us_capacity=12000"


def test_monte_carlo_is_seeded_and_within_its_distribution(tmp_path: Path) -> None:
    text = """
[sweep]
mode = "monte_carlo"
samples = 200
seed = 7
[[sweep.parameters]]
name = "cn_cost"
table = "refiners"
column = "processing_cost_usd_per_t"
distribution = { kind = "uniform", low = 0.8, high = 1.5 }
[[sweep.parameters]]
name = "demand"
table = "demand"
column = "demand_t"
distribution = { kind = "triangular", low = 0.9, mode = 1.0, high = 1.3 }
"""
    sweep = load_job(grid_job(tmp_path, text)).job.sweep
    first, again = sweep_points(sweep), sweep_points(sweep)
    assert [p.values for p in first] == [p.values for p in again]
    values = np.array([p.values["cn_cost"] for p in first])
    assert values.min() >= 0.8 and values.max() <= 1.5 and values.std() > 0.1
    other = sweep_points(sweep.model_copy(update={"seed": 8}))
    assert [p.values for p in other] != [p.values for p in first]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[sweep]\n[[sweep.parameters]]\nname = "a"\ntable = "refiners"\ncolumn = "capacity_t"\n',
            "give exactly one of values, range",
        ),
        (
            '[sweep]\nmode = "monte_carlo"\n[[sweep.parameters]]\nname = "a"\ntable = "refiners"\n'
            'column = "capacity_t"\n'
            'distribution = { kind = "uniform", low = 1, high = 2 }\n',
            "needs samples",
        ),
        (
            '[sweep]\n[[sweep.parameters]]\nname = "a"\ntable = "refiners"\ncolumn = "capacity_t"\n'
            'distribution = { kind = "normal", mean = 1 }\n',
            "needs sd",
        ),
        (
            '[sweep]\nsteps = 3\n[[sweep.parameters]]\nname = "a"\ntable = "refiners"\ncolumn = "capacity_t"\n'
            "values = [1]\n",
            "steps",
        ),
    ],
)
def test_sweep_section_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as error:
        load_job(grid_job(tmp_path, text))
    assert message in str(error.value) and "line" in str(error.value)


# ---- points equal individual solves --------------------------------------------------------


def test_grid_points_equal_individual_solves(tmp_path: Path) -> None:
    text, status, folder = run(grid_job(tmp_path))
    assert status == 0, text
    table = pd.read_parquet(folder / "points.parquet")
    assert len(table) == 12 and (table["status"] == "optimal").all() and table["warm"].all()
    base = oreflow.load_inputs(BASELINE_DATASET)
    sweep = load_job(tmp_path / "grid.toml").job.sweep
    for point in sweep_points(sweep):
        network = apply_scenario(base, Scenario(name="p", changes=list(point.changes))).network
        result = oreflow.solve(network)
        row = table.loc[point.index]
        assert row["objective_usd"] == pytest.approx(result.objective, rel=1e-9)
        # a price that is one of several valid values (dual_unique False: a degenerate optimum)
        # may come out as another of them from a warm re-solve than from a cold solve
        capacity = result.shadow_prices["capacity"].set_index("refiner")
        for refiner, price, unique in zip(capacity.index, capacity["shadow_price"], capacity["dual_unique"]):
            if pd.isna(unique) or bool(unique):
                recorded = row[f"price.capacity.{refiner}"]
                assert recorded == pytest.approx(price, rel=1e-6, abs=1e-6), (point.label, refiner)
        demand = result.shadow_prices["demand"]
        for market, product, price, unique in zip(
            demand["market"], demand["product"], demand["shadow_price"], demand["dual_unique"]
        ):
            if pd.isna(unique) or bool(unique):
                assert row[f"price.demand.{market}/{product}"] == pytest.approx(price, rel=1e-6, abs=1e-6)
        feed = result.allocations.groupby("refiner_country")["ore_t"].sum()
        for country, tonnes in feed.items():
            assert row[f"feed_t.{country}"] == pytest.approx(tonnes, rel=1e-9, abs=1e-6)
        assert row["cost.processing_usd"] == pytest.approx(result.cost_breakdown["processing"], rel=1e-9)
        for origin, refiner, tonnes in result.allocations[["origin", "refiner", "ore_t"]].itertuples(index=False):
            assert row[f"flow_t.{origin}/{refiner}"] == pytest.approx(tonnes, rel=1e-9, abs=1e-6)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["kind"] == "sweep" and summary["points"] == 12 and summary["failed"] == 0
    assert summary["columns"]["price.capacity.CN_Baotou"]["family"] == "capacity"
    assert summary["parameters"][1]["unit"] == "t" and summary["parameters"][0]["unit"] == "factor"
    csv = pd.read_csv(folder / "points.csv")
    assert list(csv.columns) == list(table.columns) and len(csv) == 12


def test_a_failing_point_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    text = GRID.replace("values = [12000, 20000, 60000]", "values = [12000, -5, 60000]")
    message, status, folder = run(grid_job(tmp_path, text))
    table = points_table(folder)
    bad = table.loc[table["param.us_capacity"] == -5]
    assert len(bad) == 4 and (bad["status"] == "invalid").all()
    assert bad["error"].str.contains("capacity_t").all() and bad["error"].str.contains(">= 0").all()
    assert bad["objective_usd"].isna().all()
    assert (table.loc[table["param.us_capacity"] != -5, "status"] == "optimal").all()
    assert status == 1 and "4 failed" in message and "invalid" in message


def test_structural_changes_are_rebuilt_and_still_right(tmp_path: Path) -> None:
    """A recovery change (matrix coefficients) is rebuilt; its points equal individual solves."""
    text = """
[sweep]
[[sweep.parameters]]
name = "recovery"
table = "refiners"
where = { country = "CN" }
column = "recovery"
action = "set"
values = [0.6, 0.8, 2.0]
"""
    _, status, folder = run(grid_job(tmp_path, text))
    table = points_table(folder)
    assert status == 1 and table["status"].tolist() == ["optimal", "optimal", "invalid"]
    assert "<= 1" in table.loc[2, "error"]
    base = oreflow.load_inputs(BASELINE_DATASET)
    for k, value in enumerate([0.6, 0.8]):
        network = apply_scenario(
            base,
            Scenario(
                name="p",
                changes=[
                    Change(action="set", table="refiners", column="recovery", where={"country": "CN"}, value=value)
                ],
            ),
        ).network
        assert table.loc[k, "objective_usd"] == pytest.approx(oreflow.solve(network).objective, rel=1e-9)


def test_bad_parameter_is_an_error_before_anything_is_solved(tmp_path: Path, capsys) -> None:
    text = GRID.replace('where = { refiner = "US_MP_MountainPass" }', 'where = { refiner = "US_Nowhere" }')
    job = grid_job(tmp_path, text)
    assert main(["sweep", str(job), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "sweep parameter 'us_capacity'" in err and "US_Nowhere" in err and "matches rows of refiners.csv" in err
    assert not (tmp_path / "out-sweep").exists()


def test_a_job_without_sweep_section(tmp_path: Path, capsys) -> None:
    job = write_job(tmp_path / "j.toml", str(BASELINE_DATASET))
    assert main(["sweep", str(job)]) == 1
    assert "[sweep] section" in capsys.readouterr().err


# ---- execution: resume, processes, Dask ----------------------------------------------------


def test_interrupted_sweep_resumes_from_the_points_written(tmp_path: Path, monkeypatch) -> None:
    job = grid_job(tmp_path)
    calls = []
    original = engine_module.Engine.run_chunk

    def interrupted(self, points):
        calls.append(points[0].index)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, points)

    monkeypatch.setattr(engine_module.Engine, "run_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(job)
    assert not (tmp_path / "out-sweep").exists()  # nothing written but the journal
    journal = tmp_path / ".out-sweep.journal"
    assert sorted(p.name for p in journal.glob("chunk-*.json")) == ["chunk-000000.json"]
    # mark the saved chunk, to see that the resumed run takes it rather than re-solving it
    saved = json.loads((journal / "chunk-000000.json").read_text())
    assert len(saved) == 5
    (journal / "chunk-000000.json").write_text(json.dumps([{**row, "label": "from the journal"} for row in saved]))
    monkeypatch.setattr(engine_module.Engine, "run_chunk", original)
    text, status, folder = run(job)
    assert status == 0 and "5 resumed" in text
    table = pd.read_parquet(folder / "points.parquet")
    assert (table["label"][:5] == "from the journal").all() and (table["label"][5:] != "from the journal").all()
    assert not journal.exists()
    assert json.loads((folder / "summary.json").read_text())["resumed_points"] == 5
    # --fresh ignores a journal; so does a changed job
    Journal(folder, "other sweep").load()
    _, _, again = run(job, fresh=True)
    assert (pd.read_parquet(again / "points.parquet")["label"] != "from the journal").all()


def test_worker_processes_give_the_same_table(tmp_path: Path) -> None:
    _, _, serial = run(grid_job(tmp_path), out=tmp_path / "serial")
    _, _, parallel = run(grid_job(tmp_path), out=tmp_path / "parallel", workers=2)
    pd.testing.assert_frame_equal(
        numeric(pd.read_parquet(serial / "points.parquet")), numeric(pd.read_parquet(parallel / "points.parquet"))
    )


def test_dask_cluster_gives_the_same_table(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    _, _, local = run(grid_job(tmp_path), out=tmp_path / "local")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        _, status, remote = run(grid_job(tmp_path), out=tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert status == 0
    pd.testing.assert_frame_equal(
        numeric(pd.read_parquet(local / "points.parquet")), numeric(pd.read_parquet(remote / "points.parquet"))
    )


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path, capsys, monkeypatch) -> None:
    pytest.importorskip("distributed")
    from oreflow.sweep import execute as execute_module

    monkeypatch.setattr(execute_module, "SCHEDULER_TIMEOUT", "1s")  # nothing listens: no need to wait 10 s
    assert main(["sweep", str(grid_job(tmp_path)), "--scheduler", "tcp://127.0.0.1:9", "--quiet"]) == 1
    assert "Dask scheduler" in capsys.readouterr().err


def test_chunks_do_not_depend_on_what_ran_before(tmp_path: Path) -> None:
    """Each chunk starts from the base basis: running chunks in another order changes nothing."""
    job_file = load_job(grid_job(tmp_path))
    network = oreflow.load_inputs(BASELINE_DATASET)
    context = SweepContext("order-test", network, 1e7, {}, ("capacity", "demand"))
    points = sweep_points(job_file.job.sweep)
    forward, _ = execute(context, points, chunk_size=4, workers=1)
    engine = engine_module.Engine(context)
    backward = [row for k in (2, 1, 0) for row in engine.run_chunk(points[4 * k : 4 * k + 4])]
    backward.sort(key=lambda row: row["point"])
    assert numeric(pd.DataFrame(forward)).equals(numeric(pd.DataFrame(backward)))


def test_progress_line() -> None:
    progress = Progress(1000)
    progress.start(340)
    assert "340/1,000 points (34%)" in progress.line()


# ---- the shipped frontier ------------------------------------------------------------------


def test_frontier_is_monotone_in_cost(tmp_path: Path) -> None:
    job = REPO / "inputs" / "frontier_ndpr.toml"
    text, status, folder = run(job, out=tmp_path / "frontier")
    assert status == 0, text
    table = pd.read_parquet(folder / "points.parquet")
    share = table["param.max_cn_share_ndpr"].to_numpy()
    cost = table["objective_usd"].to_numpy()
    assert share[0] == 1.0 and share[-1] == 0.0 and np.all(np.diff(share) < 0)
    assert np.all(np.diff(cost) >= -1e-6 * np.abs(cost[:-1]))  # a tighter limit never costs less
    assert cost[-1] > cost[0]
    prices = table[[c for c in table.columns if c.startswith("price.share_limit.")]].to_numpy()
    assert (prices <= 1e-9).all()  # a max share's price is <= 0 (docs/conventions.md)
    # inputs/README.md: no demand goes unmet at any point (the curves price buyers out), and
    # NdPr outside China gets dearer as the share falls, China's own cheaper
    assert (table["unmet_t"].to_numpy() == 0).all()
    us, cn = table["price.demand.US/NdPr"].to_numpy(), table["price.demand.CN/NdPr"].to_numpy()
    # (not step by step: a share limit's price enters the price abroad, and may fall while China's does)
    assert np.all(np.diff(us) >= -0.02 * us[:-1]) and us[-1] > 3 * us[0]
    assert np.all(np.diff(cn) <= 1e-6 * cn[:-1]) and cn[-1] < cn[0]


def test_validate_checks_the_sweep(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(grid_job(tmp_path))]) == 0
    assert "sweep of 12 point(s)" in capsys.readouterr().out
    bad = GRID.replace('column = "capacity_t"', 'column = "capacity"')
    assert main(["validate", str(grid_job(tmp_path, bad))]) == 1
    err = capsys.readouterr().err
    assert "'capacity'" in err and "capacity_t" in err  # the unknown column and the columns there are


def test_negative_scale_values_are_rejected_with_their_line(tmp_path: Path) -> None:
    text = GRID.replace("values = [0.5, 1.0, 1.5, 2.0]", "values = [0.5, -1.0]")
    with pytest.raises(InputError) as error:
        load_job(grid_job(tmp_path, text))
    assert "scale factor must be >= 0" in str(error.value) and "line 8," in str(error.value)  # its [[sweep.parameters]]


def test_monte_carlo_draws_below_zero_make_invalid_points_not_a_crash(tmp_path: Path) -> None:
    text = """
[sweep]
mode = "monte_carlo"
samples = 30
seed = 3
[[sweep.parameters]]
name = "cn_capacity"
table = "refiners"
where = { country = "CN" }
column = "capacity_t"
distribution = { kind = "normal", mean = 1.0, sd = 1.0 }
"""
    message, status, folder = run(grid_job(tmp_path, text))
    table = points_table(folder)
    negative = table["param.cn_capacity"] < 0
    assert negative.any() and (~negative).any()
    assert (table.loc[negative, "status"] == "invalid").all()
    # a small positive factor leaves Leshan short of the MP-Shenghe contract's 32,000 t: infeasible, named
    positive = table.loc[~negative]
    assert positive["status"].isin(["optimal", "infeasible"]).all()
    assert (positive.loc[positive["param.cn_capacity"] > 0.5, "status"] == "optimal").all()
    assert positive.loc[positive["status"] == "infeasible", "error"].str.contains("MP_Shenghe_offtake").all()
    assert table.loc[negative, "error"].str.contains("capacity_t").all()
    assert status == 1


def test_a_sweep_where_every_point_fails_still_writes_its_table(tmp_path: Path) -> None:
    text = """
[sweep]
[[sweep.parameters]]
name = "renamed"
table = "refiners"
where = { refiner = "CN_Baotou" }
column = "refiner"
action = "set"
values = [1, 2]
"""
    message, status, folder = run(grid_job(tmp_path, text))
    table = points_table(folder)
    assert status == 1 and (table["status"] == "invalid").all() and "2 failed" in message
    assert json.loads((folder / "summary.json").read_text())["optimal"] == 0


def test_points_record_their_dual_trust(tmp_path: Path) -> None:
    _, _, folder = run(grid_job(tmp_path))
    table = pd.read_parquet(folder / "points.parquet")
    assert table["has_basis"].all()
    # the default dataset has idle refiners: degenerate balance rows, so duals are not unique
    assert (~table["unique_duals"]).all() and (table["degenerate_rows"] > 0).all()
    trust = json.loads((folder / "summary.json").read_text())["dual_trust"]
    assert trust["points_without_basis"] == 0 and trust["points_with_non_unique_duals"] == 12
    assert not any(c.startswith("unique.") for c in table.columns)  # per-price trust is opt-in
    _, _, ranged = run(
        grid_job(tmp_path, GRID.replace("[sweep]", "[sweep]\nprice_trust = true")), out=tmp_path / "ranged"
    )
    ranged = pd.read_parquet(ranged / "points.parquet")
    network = oreflow.load_inputs(BASELINE_DATASET)
    point = sweep_points(load_job(tmp_path / "grid.toml").job.sweep)[5]
    result = oreflow.solve(apply_scenario(network, Scenario(name="p", changes=list(point.changes))).network)
    capacity = result.shadow_prices["capacity"].set_index("refiner")["dual_unique"]
    for refiner, unique in capacity.items():  # the same verdict as a run of that point alone
        recorded = ranged.loc[5, f"unique.capacity.{refiner}"]  # True/False, or empty: undetermined
        assert (None if pd.isna(unique) else bool(unique)) == (None if pd.isna(recorded) else bool(recorded))


def test_points_without_a_basis_are_flagged(tmp_path: Path) -> None:
    text = GRID.replace("[execution]", '[solver_options]\nsolver = "ipm"\nrun_crossover = "off"\n\n[execution]')
    message, status, folder = run(grid_job(tmp_path, text))
    table = pd.read_parquet(folder / "points.parquet")
    assert status == 0 and not table["has_basis"].any() and not table["warm"].any()
    assert "WARNING: 12 point(s) have no basis" in message


def test_a_pyomo_job_sweeps_with_highs_and_says_so(tmp_path: Path) -> None:
    text = 'backend = "pyomo"\n' + GRID
    message, status, folder = run(grid_job(tmp_path, text))
    assert status == 0 and "applies to oreflow run only" in message


def test_the_command_says_where_it_writes_before_it_runs(tmp_path: Path, capsys) -> None:
    """oreflow sweep prints its output folder first (the job's output + '-sweep' unless --out
    or [sweep] output name another) and ends with the report to open."""
    job = grid_job(tmp_path)
    assert main(["sweep", str(job), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    folder = (tmp_path / "out").resolve().with_name("out-sweep")
    assert captured.err.startswith(f"oreflow sweep: writing to {folder} (the job's output + '-sweep'; --out to change)")
    assert captured.out.rstrip().endswith(f"Report: {folder / 'report.html'}")
