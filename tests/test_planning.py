"""Planning over years on the micro model, solved by hand (docs/formulation.md, "Planning
over years").

The micro model (tests/conftest.py): P1 costs 71 USD/t delivered from R1 while its 60 t of
ore capacity last (30 t of P1), then 262 USD/t from R2; market M demands 40 t of P1. One
more tonne a year of R1 capacity saves 0.5 x (262 - 1) - 35 = 95.5 USD a year (R1's
capacity price), until R1 makes all 40 t (80 t of ore: 20 t/yr of expansion).
"""

from __future__ import annotations

import pandas as pd
import pytest

import oreflow
from conftest import micro_frames
from oreflow.model.plan import Horizon
from oreflow.model.planning import read_planning
from oreflow.planning import solve_plan

BASE = oreflow.Network.from_frames(**micro_frames())
SINGLE = oreflow.solve(BASE)


def networks(horizon: Horizon, **per_year: oreflow.Network) -> dict[int, oreflow.Network]:
    return {year: per_year.get(str(year), BASE) for year in horizon.years}


def expansion(capital: float, lifetime: float = 10, lead: float = 0, earliest: float = 2024, max_t: float = 1e4):
    return pd.DataFrame(
        {
            "build": ["R1_x"],
            "stage": ["refining"],
            "site": ["R1"],
            "capital_usd_per_t": [capital],
            "lead_time_years": [lead],
            "earliest_start": [earliest],
            "lifetime_years": [lifetime],
            "max_t": [max_t],
        }
    )


def test_one_year_equals_the_single_year_model() -> None:
    horizon = Horizon.of([2024])
    plan = solve_plan(networks(horizon), horizon)
    assert plan.objective == pytest.approx(SINGLE.objective)
    year = plan.years[2024]
    pd.testing.assert_frame_equal(year.shadow_prices["demand"], SINGLE.shadow_prices["demand"])
    pd.testing.assert_frame_equal(year.allocations, SINGLE.allocations)


def test_years_are_discounted_and_priced_in_their_own_money() -> None:
    """Two one-year periods at 10 %: objective = cost x (1 + 1/1.1); each year's demand
    price is the single year's 262 USD/t, not its discounted value."""
    horizon = Horizon.of([2024, 2025], discount_rate=0.1)
    plan = solve_plan(networks(horizon), horizon)
    assert plan.objective == pytest.approx(SINGLE.objective * (1 + 1 / 1.1))
    for year in (2024, 2025):
        assert plan.years[year].shadow_prices["demand"]["shadow_price"].iloc[0] == pytest.approx(262.0)
    costs = plan.costs_by_year.set_index("year")
    assert costs.loc[2025, "weight"] == pytest.approx(1 / 1.1)
    assert costs["present_value_usd"].sum() == pytest.approx(plan.objective)


def test_a_period_counts_its_discounted_years() -> None:
    horizon = Horizon.of([2024, 2026], period_years=[2, 1], discount_rate=0.1)
    assert list(horizon.weights()) == pytest.approx([1 + 1 / 1.1, 1 / 1.21])


@pytest.mark.parametrize(("capital", "built"), [(500.0, 20.0), (1000.0, 0.0)])
def test_a_plant_is_built_exactly_when_its_annuity_is_below_the_saving(capital: float, built: float) -> None:
    """r = 0, lifetime 10: the annuity is capital / 10 per t/yr. At 50 USD < 95.5 USD saved,
    R1 is expanded by the 20 t/yr that make all 40 t of P1; at 100 USD > 95.5 nothing is built."""
    horizon = Horizon.of([2024])
    planning = read_planning(None, BASE, {"builds": expansion(capital)})
    plan = solve_plan(networks(horizon), horizon, planning)
    assert plan.builds["capacity_t"].sum() == pytest.approx(built)
    if built:
        row = plan.builds.iloc[0]
        assert (row["site"], row["country"], row["start_year"], row["online_year"]) == ("R1", "X", 2024, 2024)
        assert row["charges_pv_usd"] == pytest.approx(20 * capital / 10)
        assert plan.years[2024].refinery.set_index("refiner").loc["R1", "throughput_t"] == pytest.approx(80.0)
        assert plan.objective == pytest.approx(80 * 35 + 40 * 1 + 20 * capital / 10)


def test_a_plant_counts_from_the_year_its_lead_time_ends() -> None:
    """Annual 2024-2027, lead time 2: started in 2024, online 2026; R2 carries 2024 and 2025."""
    horizon = Horizon.of([2024, 2025, 2026, 2027])
    planning = read_planning(None, BASE, {"builds": expansion(500.0, lead=2)})
    plan = solve_plan(networks(horizon), horizon, planning)
    assert plan.builds["online_year"].min() == 2026
    r1 = {y: plan.years[y].refinery.set_index("refiner").loc["R1", "throughput_t"] for y in horizon.years}
    assert r1 == pytest.approx({2024: 60.0, 2025: 60.0, 2026: 80.0, 2027: 80.0})
    capacity = {y: plan.years[y].shadow_prices["capacity"].set_index("refiner").loc["R1", "rhs"] for y in horizon.years}
    assert capacity == pytest.approx({2024: 60.0, 2025: 60.0, 2026: 80.0, 2027: 80.0})
    refinery = plan.tables()["refinery"].set_index(["year", "refiner"])
    assert refinery.loc[(2026, "R1"), "capacity_t"] == pytest.approx(80.0)  # built capacity included
    assert refinery.loc[(2026, "R1"), "utilisation"] == pytest.approx(1.0)


def test_a_binding_build_limit_is_priced_by_its_finite_difference() -> None:
    """At most 10 t/yr may be started in X: 10 are built; each more t/yr of building
    capability would save 95.5 - 50 = 45.5 USD (r = 0, one year)."""
    horizon = Horizon.of([2024])
    limits = pd.DataFrame({"country": ["X"], "stage": ["refining"], "limit_t_per_year": [10.0]})
    planning = read_planning(None, BASE, {"builds": expansion(500.0), "build_limits": limits})
    plan = solve_plan(networks(horizon), horizon, planning)
    assert plan.builds["capacity_t"].sum() == pytest.approx(10.0)
    prices = plan.horizon_prices.set_index("kind")
    assert prices.loc["build_limit", "shadow_price"] == pytest.approx(-45.5)
    assert prices.loc["build_limit", ["rhs_unit", "price_unit"]].tolist() == [
        "t/yr",
        "USD per t/yr, that period's money",
    ]
    looser = read_planning(
        None, BASE, {"builds": expansion(500.0), "build_limits": limits.assign(limit_t_per_year=11.0)}
    )
    assert solve_plan(networks(horizon), horizon, looser).objective - plan.objective == pytest.approx(-45.5)


def test_a_stockpile_is_filled_before_a_known_disruption_and_drawn_during_it() -> None:
    """Three years with 400 t of ore a year, none in 2026; holding costs 1 USD/t a year, r = 0.
    Filled in 2025 (not 2024: a year's holding saved; 2025's 260 t of ore fit its supply), drawn
    in 2026; the 2026 price is 2025's marginal cost plus a year's holding: 262 + 1 = 263 USD/t."""
    frames = micro_frames()
    frames["origins"] = frames["origins"].assign(supply_t=400.0)
    wet = oreflow.Network.from_frames(**frames)
    frames["origins"] = frames["origins"].assign(supply_t=0.0)
    dry = oreflow.Network.from_frames(**frames)
    horizon = Horizon.of([2024, 2025, 2026])
    stock = pd.DataFrame(
        {
            "stockpile": ["M_P1"],
            "market": ["M"],
            "product": ["P1"],
            "initial_t": [0.0],
            "max_t": [float("inf")],
            "holding_usd_per_t_year": [1.0],
        }
    )
    planning = read_planning(None, BASE, {"stockpiles": stock})
    plan = solve_plan({2024: wet, 2025: wet, 2026: dry}, horizon, planning)
    inventory = plan.inventory.set_index("year")
    assert inventory["fill_t"].to_dict() == pytest.approx({2024: 0.0, 2025: 40.0, 2026: 0.0})
    assert inventory["draw_t"].to_dict() == pytest.approx({2024: 0.0, 2025: 0.0, 2026: 40.0})
    assert inventory.loc[2025, "level_t"] == pytest.approx(40.0)
    assert plan.years[2026].unmet["unmet_t"].sum() == 0
    assert plan.years[2026].shadow_prices["demand"]["shadow_price"].iloc[0] == pytest.approx(263.0)
    # one more tonne in stock at the start is worth what it saves: a tonne bought in 2025 (262)
    assert inventory.loc[2024, "price_usd_per_t"] == pytest.approx(262.0)


def test_planning_tables_are_checked_with_file_line_and_column() -> None:
    bad = expansion(500.0).assign(site="R9")
    with pytest.raises(oreflow.InputError) as caught:
        read_planning(None, BASE, {"builds": bad})
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.column, problem.value) == ("builds.csv", 2, "site", "R9")
    with pytest.raises(ValueError, match="ascending"):
        Horizon.of([2026, 2024])


def test_oreflow_run_plans_a_job_with_a_horizon_and_its_paths(tmp_path, capsys) -> None:
    """A job with [horizon] on a dataset with paths.csv, builds.csv and stockpiles.csv: one LP
    over the years, every table with a year column, the builds and the stock path written."""
    from conftest import write_dataset, write_job
    from oreflow.cli import main

    folder = write_dataset(tmp_path / "ds")
    (folder / "paths.csv").write_text(
        "path,table,column,where,mode,between,2024,2026\ngrowth,demand,demand_t,,scale,linear,1,1.5\n",
        encoding="utf-8",
    )
    expansion(500.0, lead=1).to_csv(folder / "builds.csv", index=False)
    job = write_job(tmp_path / "plan.toml", "ds", "out", "[horizon]\nyears = [2024, 2025, 2026]\n")
    assert main(["run", str(job)]) == 0
    printed = capsys.readouterr().out
    assert "oreflow plan 'plan': optimal, 3 periods 2024-2026" in printed and "R1_x at R1 (X)" in printed
    out = tmp_path / "out"
    unmet = pd.read_csv(out / "unmet.csv")
    assert unmet.set_index("year")["demand_t"].to_dict() == pytest.approx({2024: 40.0, 2025: 50.0, 2026: 60.0})
    builds = pd.read_csv(out / "builds.csv")
    assert builds["online_year"].min() == 2025 and builds["capacity_t"].sum() > 0
    summary = (out / "summary.json").read_text(encoding="utf-8")
    assert '"kind": "plan"' in summary


@pytest.mark.parametrize(("capital", "built"), [(500.0, 30.0), (700.0, 0.0)])
def test_a_whole_plant_is_built_iff_it_pays_and_prices_come_from_the_fixed_lp(capital: float, built: float) -> None:
    """A plant of exactly 30 t/yr (min_t = max_t): only 20 t/yr of it is used, saving
    20 x 95.5 = 1,910 USD a year against 30 x capital / 10: built at 500 (1,500), not at 700
    (2,100). The MIP is solved, its build fixed, and the prices are that LP's: with the plant,
    R1 has room (90 t of ore for 80), so P1 costs R1's 71 USD/t; without it, R2's 262."""
    horizon = Horizon.of([2024])
    whole = expansion(capital, max_t=30.0).assign(min_t=30.0)
    plan = solve_plan(networks(horizon), horizon, read_planning(None, BASE, {"builds": whole}))
    assert plan.builds["capacity_t"].sum() == pytest.approx(built)
    assert plan.mip["objective"] == pytest.approx(plan.mip["fixed_lp_objective"])
    assert plan.mip["gap"] <= 1e-4 and "fixed at the MIP optimum" in plan.price_basis
    price = plan.years[2024].shadow_prices["demand"]["shadow_price"].iloc[0]
    assert price == pytest.approx(71.0 if built else 262.0)


def test_the_pyomo_backend_solves_the_same_plan() -> None:
    """The stacked LP is an LP like a single year's: the pyomo backend reaches the same plan,
    the same objective and the same prices per year; a MIP plan is refused with the reason."""
    horizon = Horizon.of([2024, 2025], discount_rate=0.1)
    planning = read_planning(None, BASE, {"builds": expansion(500.0, lead=1)})
    highs = solve_plan(networks(horizon), horizon, planning)
    pyomo = solve_plan(networks(horizon), horizon, planning, backend="pyomo")
    assert pyomo.objective == pytest.approx(highs.objective)
    for year in horizon.years:
        pd.testing.assert_series_equal(
            pyomo.years[year].shadow_prices["demand"]["shadow_price"],
            highs.years[year].shadow_prices["demand"]["shadow_price"],
        )
    whole = read_planning(None, BASE, {"builds": expansion(500.0).assign(min_t=30.0)})
    with pytest.raises(oreflow.SolveError, match="MIP"):
        solve_plan(networks(horizon), horizon, whole, backend="pyomo")


def test_validate_checks_a_plan_before_anything_is_solved(tmp_path, capsys) -> None:
    """oreflow validate reads the planning tables and applies the paths of every year: a path
    that breaks a rule only in one year is reported with that year, and nothing is solved."""
    from conftest import write_dataset, write_job
    from oreflow.cli import main

    folder = write_dataset(tmp_path / "ds")
    (folder / "paths.csv").write_text(
        "path,table,column,where,mode,between,2024,2026\nworse,refiners,recovery,refiner=R1,scale,linear,1,2\n",
        encoding="utf-8",
    )
    job = write_job(tmp_path / "plan.toml", "ds", "out", "[horizon]\nyears = [2024, 2026]\n")
    assert main(["validate", str(job)]) == 1
    err = capsys.readouterr().err
    assert "[2026]" in err and "recovery" in err
    (folder / "paths.csv").unlink()
    assert main(["validate", str(job)]) == 0
    assert "plan over 2 periods" in capsys.readouterr().out


def test_bad_builds_are_named(tmp_path) -> None:
    """A fractional lead time (a plant comes online at the start of a year) and a minimum plant
    size above the maximum are errors naming builds.csv, the line and the column."""
    from conftest import write_dataset
    from oreflow.errors import InputError
    from oreflow.model.network import load_inputs
    from oreflow.model.planning import read_planning

    folder = write_dataset(tmp_path / "ds")
    network = load_inputs(folder)
    refiner = network.refiners["refiner"].iloc[0]
    (folder / "builds.csv").write_text(
        "build,stage,site,capital_usd_per_t,lead_time_years,earliest_start,lifetime_years,max_t,min_t\n"
        f"a,refining,{refiner},100,1.5,2024,20,50,\n"
        f"b,refining,{refiner},100,1,2024,20,50,80\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_planning(folder, network)
    found = {(p.file, p.line, p.column, p.rule) for p in caught.value.problems}
    assert found == {
        ("builds.csv", 2, "lead_time_years", "build_whole_years"),
        ("builds.csv", 3, "min_t", "build_min_max"),
    }


def _plan_with_paths(tmp_path, paths: str, builds: pd.DataFrame, limits: pd.DataFrame | None = None):
    """The micro dataset in a folder with ``paths`` (paths.csv text), builds.csv and, if given,
    build_limits.csv, planned annually over 2024-2025 at r = 0 (PlanBase reads it as a run does)."""
    from conftest import write_dataset
    from oreflow.model.network import load_inputs
    from oreflow.plan_cases import PlanBase

    folder = write_dataset(tmp_path / "ds")
    (folder / "paths.csv").write_text(paths, encoding="utf-8")
    builds.to_csv(folder / "builds.csv", index=False)
    if limits is not None:
        limits.to_csv(folder / "build_limits.csv", index=False)
    base = PlanBase.read(load_inputs(folder), Horizon.of([2024, 2025]))
    networks_, planning = base.inputs()
    return solve_plan(networks_, base.horizon, planning)


def test_a_capital_path_prices_each_start_year_at_its_own_capital(tmp_path) -> None:
    """Capital 1,200 USD per t/yr for construction started in 2024 (annuity 120 > the 95.5 a
    t/yr saves: not built), 500 from 2025 (paths.csv; annuity 50 < 95.5): 20 t/yr are started
    in 2025, charged 20 x 50 for the one year of the horizon they run."""
    paths = "path,table,column,where,mode,between,2024,2025\nlearning,builds,capital_usd_per_t,,set,step,1200,500\n"
    plan = _plan_with_paths(tmp_path, paths, expansion(1200.0))
    assert plan.builds[["start_year", "capacity_t"]].to_dict("records") == [{"start_year": 2025, "capacity_t": 20.0}]
    assert plan.builds["charges_pv_usd"].sum() == pytest.approx(20 * 50.0)
    without = _plan_with_paths(
        tmp_path / "flat", "path,table,column,mode,2024\nflat,builds,capital_usd_per_t,scale,1\n", expansion(1200.0)
    )
    assert without.builds.empty


def test_a_build_limit_path_opens_building_capability_over_time(tmp_path) -> None:
    """No separation may be started in X in 2024, 10 t/yr in 2025 (paths.csv on build_limits):
    10 t/yr are started in 2025. One more t/yr of 2025 capability saves 95.5 - 50 = 45.5 USD;
    one t/yr of 2024 capability would run both years: 2 x (95.5 - 50) = 91 USD."""
    limits = pd.DataFrame({"country": ["X"], "stage": ["refining"], "limit_t_per_year": [0.0]})
    paths = (
        "path,table,column,where,mode,between,2024,2025\n"
        "training,build_limits,limit_t_per_year,country=X,set,step,0,10\n"
    )
    plan = _plan_with_paths(tmp_path, paths, expansion(500.0), limits)
    assert plan.builds[["start_year", "capacity_t"]].to_dict("records") == [{"start_year": 2025, "capacity_t": 10.0}]
    prices = plan.horizon_prices.loc[plan.horizon_prices["kind"] == "build_limit"].set_index("year")["shadow_price"]
    assert prices.to_dict() == pytest.approx({2024: -91.0, 2025: -45.5})


def test_a_path_may_change_only_the_per_year_columns_of_a_planning_table(tmp_path) -> None:
    """max_t is a build's size over the horizon, not a yearly value: a path on it is an error
    naming paths.csv, its line and column, and the columns a path may change."""
    paths = "path,table,column,where,mode,2025\nbigger,builds,max_t,,scale,2\n"
    with pytest.raises(oreflow.InputError) as caught:
        _plan_with_paths(tmp_path, paths, expansion(500.0))
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column, problem.value) == ("paths.csv", 2, "column", "max_t")
    assert "capital_usd_per_t, fixed_om_usd_per_t_yr" in problem.expected


def test_a_strategic_minimum_may_be_built_up_over_the_years() -> None:
    """A path raising a stockpile's min_t from 0 to 30 t in 2026 (initial_t 0) is valid: only
    the first period's bounds must hold initial_t; min_t above max_t in a period is an error
    naming the year, the line and the path."""
    from oreflow.model.paths import paths_from_frame

    stock = pd.DataFrame(
        [
            {
                "stockpile": "M_P1",
                "market": "M",
                "product": "P1",
                "initial_t": 0.0,
                "max_t": 50.0,
                "holding_usd_per_t_year": 1.0,
            }
        ]
    )
    planning = read_planning(None, BASE, {"stockpiles": stock})
    rising = paths_from_frame(
        pd.DataFrame({"path": ["reserve"], "table": ["stockpiles"], "column": ["min_t"], "mode": ["set"], 2026: [30.0]})
    )
    planning.with_paths(rising).check_years(BASE, (2024, 2025, 2026))
    horizon = Horizon.of([2024, 2025, 2026])
    plan = solve_plan(networks(horizon), horizon, planning.with_paths(rising))
    levels = plan.inventory.set_index("year")["level_t"]
    assert levels[2024] == pytest.approx(0.0) and levels[2026] == pytest.approx(30.0)  # held from 2026 only
    too_high = paths_from_frame(
        pd.DataFrame({"path": ["reserve"], "table": ["stockpiles"], "column": ["min_t"], "mode": ["set"], 2026: [80.0]})
    )
    with pytest.raises(oreflow.InputError) as caught:
        planning.with_paths(too_high).check_years(BASE, (2024, 2025, 2026))
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.value) == ("stockpiles.csv [2026]", 2, "M_P1")
    assert "'reserve' (line 2)" in problem.expected
