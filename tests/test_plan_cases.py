"""Scenarios, sweeps and stress tests of a plan (oreflow/plan_cases.py, oreflow/plan_batch.py,
oreflow/sweep/plan_engine.py; docs/formulation.md "Scenarios, sweeps and stress tests of a
plan", docs/sensitivity.md "Sweeps and stress tests of a plan").

On the shipped plan's dataset (rare_earths_2024_2035): a change applies after each year's
paths, or only in the periods its ``years`` name; a sweep point re-solved in place from the
base plan's basis equals the plan solved from scratch with the same changes; a scenario batch,
a sweep and a stress test of one disruption agree with each other to the dollar.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO
from oreflow.cli import main
from oreflow.errors import InputError
from oreflow.job import Change, SweepParameter, load_job, market_options
from oreflow.model.conventions import year_column
from oreflow.model.families import DEMAND
from oreflow.model.network import load_inputs
from oreflow.plan_cases import PlanBase
from oreflow.planning import solve_plan
from oreflow.sweep.engine import SweepContext
from oreflow.sweep.plan_engine import PlanEngine
from oreflow.sweep.points import Point

DATASET = REPO / "inputs" / "rare_earths_2024_2035"
HORIZON = textwrap.dedent(
    """
    [horizon]
    years = [2024, 2026, 2028, 2030, 2035]
    discount_rate = 0.08
    """
)
MM_LOST = {"action": "scale", "table": "origins", "where": {"country": "MM"}, "column": "supply_t", "factor": 0.0}


def _job(tmp_path: Path, body: str = "", name: str = "plan") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\ndataset = "{DATASET}"\noutput = "{tmp_path / "out" / name}"\n' + body + HORIZON,
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def base() -> PlanBase:
    job = load_job(REPO / "inputs" / "plan_2035.toml")
    assert job.job.horizon is not None
    return PlanBase.read(load_inputs(job.dataset), job.job.horizon.horizon())


@pytest.fixture(scope="module")
def engine(base: PlanBase) -> PlanEngine:
    job = load_job(REPO / "inputs" / "plan_2035.toml")
    context = SweepContext("test-plan", base.network, market_options(job.job), {}, (DEMAND,), (), False, base)
    return PlanEngine(context)


def test_a_change_applies_after_the_paths_in_every_year(base: PlanBase) -> None:
    """A set holds in every year even where a path sets the same cell (MP's supply)."""
    mp = {"origin": "US_MountainPass"}
    plain = base.networks()
    assert plain[2024].origins.set_index("origin").loc["US_MountainPass", "supply_t"] == 45_000
    assert plain[2030].origins.set_index("origin").loc["US_MountainPass", "supply_t"] == 60_000
    changed = base.networks([Change(action="set", table="origins", where=mp, column="supply_t", value=30_000.0)])
    for year, network in changed.items():
        assert network.origins.set_index("origin").loc["US_MountainPass", "supply_t"] == 30_000, year


def test_years_select_the_periods_that_contain_them(base: PlanBase) -> None:
    """years = [2029] reaches the 2028 period (2028-29) only; every other year is the base's."""
    plain = base.networks()
    changed = base.networks([Change(**MM_LOST, years=[2029])])
    for year in base.horizon.years:
        mm = changed[year].origins.loc[changed[year].origins["country"] == "MM", "supply_t"]
        if year == 2028:
            assert (mm == 0).all()
        else:
            pd.testing.assert_frame_equal(changed[year].origins, plain[year].origins)


def test_bad_years_and_planning_changes_are_named(base: PlanBase) -> None:
    with pytest.raises(InputError) as caught:
        base.networks([Change(**MM_LOST, years=[2050])], "scenario 'late'")
    (problem,) = caught.value.problems
    assert problem.column == "years" and problem.value == "2050" and "2024-2039" in problem.expected
    assert "scenario 'late', change 1" in problem.file
    capital = Change(action="scale", table="builds", column="capital_usd_per_t", factor=2.0, years=[2030])
    with pytest.raises(InputError, match="is not per year"):
        base.planning_tables([capital], "scenario 'capex'")
    doubled = base.planning_tables([capital.model_copy(update={"years": []})])
    assert (doubled.builds["capital_usd_per_t"] == 2 * base.planning.builds["capital_usd_per_t"]).all()


def test_years_need_a_horizon(tmp_path: Path) -> None:
    path = tmp_path / "single.toml"
    path.write_text(
        f'dataset = "{REPO / "inputs" / "rare_earths_2024"}"\n'
        '[[scenarios]]\nname = "mm"\n'
        'changes = [{action = "scale", table = "origins", column = "supply_t", factor = 0, years = [2028]}]\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"jobs with a \[horizon\] only"):
        load_job(path)


def test_a_drawn_year_becomes_the_change_of_that_year() -> None:
    parameter = SweepParameter(
        name="mm_year",
        table="origins",
        where={"country": "MM"},
        column="supply_t",
        factor=0.0,
        draws="year",
        distribution={"kind": "uniform", "low": 2026, "high": 2031},
    )
    change = parameter.change(2029.7)
    assert change.years == [2029] and change.factor == 0.0
    with pytest.raises(ValueError, match="needs factor"):
        SweepParameter(name="x", table="origins", column="supply_t", draws="year", values=[2028])


def _cold(base: PlanBase, changes: list[Change]) -> object:
    networks, planning = base.inputs(changes)
    return solve_plan(
        networks, base.horizon, planning, market_options(load_job(REPO / "inputs" / "plan_2035.toml").job)
    )


@pytest.mark.parametrize(
    "changes",
    [
        [
            Change(
                action="scale",
                table="demand",
                where={"product": "NdPr"},
                column="demand_t",
                factor=1.15,
                years=[2030, 2035],
            )
        ],
        [Change(**MM_LOST, years=[2028])],  # in place, one year
        [Change(action="scale", table="builds", column="capital_usd_per_t", factor=0.5)],  # the planning tables
        [
            Change(
                action="add",
                table="bans",
                rows=[{"from_country": "US", "to_country": "CN", "stage": "ore", "product": ""}],
                years=[2026],
            )
        ],
        [Change(action="set", table="builds", where={"build": "Lynas_expansion"}, column="min_t", value=20000.0)],
    ],
    ids=["demand_2030_2035", "myanmar_2028", "capital_halved", "ban_2026", "whole_plant_mip"],
)
def test_a_point_equals_the_plan_solved_from_scratch(base: PlanBase, engine: PlanEngine, changes: list[Change]) -> None:
    """Each kind of point (a year's LP updated in place, the planning tables changed, a year
    rebuilt) re-solved from the base plan's basis gives the cold solve's objective, builds and
    market prices (the demand rows' prices: on their curves, unique)."""
    row = engine.run_point(Point(1, "p", tuple(changes)))
    assert row["status"] == "optimal", row["error"]
    cold = _cold(base, changes)
    assert row["objective_usd"] == pytest.approx(cold.objective, rel=1e-9)
    built = cold.builds.groupby("build")["capacity_t"].sum()
    for build in base.planning.builds["build"]:
        assert row[f"build_t.{build}"] == pytest.approx(float(built.get(build, 0.0)), abs=1e-3)
    for year, result in cold.years.items():
        market = result.market
        for m, p, price in zip(market["market"], market["product"], market["price_usd_per_t"]):
            if p in ("NdPr", "Dy", "Tb"):
                assert row[year_column(f"price.{DEMAND}.{m}/{p}", year)] == pytest.approx(price, rel=1e-6, abs=1e-6)


def test_a_batch_a_sweep_and_a_stress_test_agree(tmp_path: Path) -> None:
    """Losing Myanmar's ore in 2028-29 costs the same present value as a scenario, as a sweep
    point (draws = "year") and as the stress test's disruption of the origin in [2028]."""
    scenarios = (
        '[[scenarios]]\nname = "mm_2028"\ndescription = "Myanmar lost in 2028-29"\n'
        'changes = [{action = "scale", table = "origins", where = {country = "MM"}, column = "supply_t", '
        "factor = 0.0, years = [2028]}]\n"
        '[[scenarios]]\nname = "impossible"\n'
        'changes = [{action = "set", table = "contracts", where = {contract = "MtWeld_to_Lynas"}, column = "min_t", '
        "value = 1e6, years = [2030]}]\n"
    )
    batch = _job(tmp_path, scenarios, "batch")
    assert main(["run", str(batch), "--quiet"]) == 1  # the impossible plan fails; the batch is written
    out = tmp_path / "out" / "batch"
    comparison = pd.read_csv(out / "comparison.csv")
    objective = comparison.loc[comparison["metric"] == "objective"].set_index("scenario")
    loss = float(objective.loc["mm_2028", "delta"])
    assert loss > 1e8
    failed = json.loads((out / "impossible" / "summary.json").read_text(encoding="utf-8"))
    assert failed["status"] == "infeasible" and "contract" in failed["error"] and "2030" in failed["error"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "oreflow plans: batch" in report and "built_by_country" in report and "price_paths" in report
    assert (out / "mm_2028" / "report.html").is_file() and (out / "mm_2028" / "builds.csv").is_file()

    sweep = _job(
        tmp_path,
        '[sweep]\n[[sweep.parameters]]\nname = "mm_year"\ntable = "origins"\nwhere = {country = "MM"}\n'
        'column = "supply_t"\nfactor = 0.0\ndraws = "year"\nvalues = [2024, 2029]\n',
        "sweep",
    )
    assert main(["sweep", str(sweep), "--quiet", "--workers", "1"]) == 0
    points = pd.read_csv(tmp_path / "out" / "sweep-sweep" / "points.csv")
    summary = json.loads((tmp_path / "out" / "sweep-sweep" / "summary.json").read_text(encoding="utf-8"))
    assert points.loc[1, "objective_usd"] - summary["base_objective_usd"] == pytest.approx(loss, rel=1e-9)
    assert points["warm"].all()
    assert points.loc[1, "ore_t.MM@2028"] == 0 and points.loc[1, "ore_t.MM@2030"] > 0

    stress = _job(
        tmp_path,
        "[stress]\nrefiners = false\nore_route_groups = false\nproduct_route_groups = false\nyears = [2028]\n",
        "stress",
    )
    assert main(["stress", str(stress), "--quiet", "--workers", "1"]) == 0
    ranked = pd.read_csv(tmp_path / "out" / "stress-stress" / "stress.csv")
    mm = ranked.loc[ranked["element"].str.startswith("MM_")]
    assert float(mm["cost_increase_usd"].sum()) == pytest.approx(loss, rel=1e-9)
    assert mm["description"].str.contains("in 2028").all()


def test_validate_checks_a_plan_s_scenarios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """oreflow validate applies each scenario to the plan's years as a run would: a year
    outside the horizon is named with the scenario and the change."""
    job = _job(
        tmp_path,
        '[[scenarios]]\nname = "late"\nchanges = [{action = "scale", table = "origins", column = "supply_t", '
        "factor = 0.5, years = [2041]}]\n",
    )
    assert main(["validate", str(job)]) == 1
    err = capsys.readouterr().err
    assert "scenario 'late', change 1" in err and "2041" in err and "2024-2039" in err


def test_a_plan_sweep_s_base_is_the_plan_with_its_base_changes(tmp_path: Path) -> None:
    """base_changes make the sweep's base (its base_objective_usd); a point at factor 1 equals it."""
    sweep = _job(
        tmp_path,
        '[sweep]\nbase_changes = [{action = "scale", table = "origins", where = {country = "MM"}, '
        'column = "supply_t", factor = 0.0, years = [2028]}]\n'
        '[[sweep.parameters]]\nname = "cn_cost"\ntable = "refiners"\nwhere = {country = "CN"}\n'
        'column = "processing_cost_usd_per_t"\nvalues = [1.0, 1.1]\n',
        "based",
    )
    assert main(["sweep", str(sweep), "--quiet", "--workers", "1"]) == 0
    out = tmp_path / "out" / "based-sweep"
    points = pd.read_csv(out / "points.csv")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert points.loc[0, "objective_usd"] == pytest.approx(summary["base_objective_usd"], rel=1e-12)
    assert points.loc[0, "ore_t.MM@2028"] == 0 and points.loc[1, "ore_t.MM@2028"] == 0


def test_a_stockpile_needs_its_demand_row_in_every_year(base: PlanBase) -> None:
    """A stockpile serving JP/Dy while a scenario removes that demand row in 2028 is an error
    naming the stockpile and the year, not an entry in another row."""
    stock = Change(
        action="add",
        table="stockpiles",
        rows=[
            {
                "stockpile": "JP_Dy",
                "market": "JP",
                "product": "Dy",
                "initial_t": 0,
                "max_t": 100,
                "holding_usd_per_t_year": 1,
            }
        ],
    )
    gone = Change(action="remove", table="demand", where={"market": "JP", "product": "Dy"}, years=[2028])
    networks, planning = base.inputs([stock, gone], "scenario 'gone'")
    with pytest.raises(InputError) as caught:
        solve_plan(networks, base.horizon, planning)
    (problem,) = caught.value.problems
    assert problem.value == "JP_Dy" and "2028" in problem.expected


def test_a_problem_a_scenario_leaves_names_the_scenario_and_the_year(base: PlanBase) -> None:
    bad = Change(action="set", table="recoveries", where={}, column="recovery", value=1.5, years=[2030])
    with pytest.raises(InputError) as caught:
        base.networks([bad], "scenario 'bad'")
    assert all(p.file.startswith("recoveries.csv [2030] after scenario 'bad'") for p in caught.value.problems)
    capex = Change(
        action="set", table="builds", where={"build": "Lynas_expansion"}, column="lead_time_years", value=1.5
    )
    with pytest.raises(InputError) as caught:
        base.planning_tables([capex], "scenario 'capex'")
    assert caught.value.problems[0].file == "builds.csv after scenario 'capex'"
