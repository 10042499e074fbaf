"""The readable Pyomo twin of a plan (``oreflow.build_plan_pyomo_model``, model/pyomo_plan.py)
against :func:`oreflow.planning.solve_plan` (the stacked array LP solved by HiGHS).

On micro plans solved by hand in tests/test_planning.py — refining builds with a lead time
and a build limit, a stockpile filled before a known disruption, a mine expansion and a
stockpile on a demand curve (its willingness-to-pay constant in the objective), whole plants
(a MIP) — and on the shipped plan to 2035 (inputs/plan_2035.toml), the twin solved by
Pyomo's HiGHS reaches the plan's objective; where the optimum is unique (checked when these
tests were written by minimising and maximising each build and level within 1 USD of the
optimum), the same builds and stockpile levels. The twin's online shares are the array LP's
entries in the years' rows, and every component its docstring names exists.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pyomo.environ as pyo
import pytest
from test_planning import BASE, expansion, networks

import oreflow
from conftest import REPO, micro_frames
from oreflow.job import load_job, market_options
from oreflow.model import pyomo_plan
from oreflow.model.families import CAPACITY, DEMAND, SUPPLY
from oreflow.model.lp import build_lp
from oreflow.model.market import MarketOptions
from oreflow.model.network import load_inputs
from oreflow.model.plan import Horizon
from oreflow.model.planning import BUILT_CAPACITY, PlanningTables, build_part, read_planning
from oreflow.planning import PlanResult, plan_networks, solve_plan

#: Relative tolerance of the objectives; absolute tolerance (t, t/yr) of builds and levels.
REL = 1e-7
TONNES = 1e-4


def solve_twin(model: pyo.ConcreteModel) -> float:
    """Solve the twin with Pyomo's HiGHS interface; its present value (USD)."""
    results = pyo.SolverFactory("highs").solve(model)
    assert pyo.check_optimal_termination(results), results
    return float(pyo.value(model.present_value))


def twin_builds(model: pyo.ConcreteModel) -> dict[tuple[str, int], float]:
    """(build, start year) -> t/yr built, where some is."""
    return {key: var.value for key, var in model.build_t.items() if var.value > TONNES}


def plan_builds(plan: PlanResult) -> dict[tuple[str, int], float]:
    return {
        (b, int(s)): float(c)
        for b, s, c in zip(plan.builds["build"], plan.builds["start_year"], plan.builds["capacity_t"])
    }


STOCK_VARS = ("level_t", "fill_t", "draw_t")


def twin_inventory(model: pyo.ConcreteModel) -> dict[tuple[str, int, str], float]:
    """(stockpile, year, level_t | fill_t | draw_t) -> t (level) or t/yr (fill, draw)."""
    return {(*key, name): model.component(name)[key].value for name in STOCK_VARS for key in model.level_t}


def plan_inventory(plan: PlanResult) -> dict[tuple[str, int, str], float]:
    inv = plan.inventory
    return {
        (k, int(y), name): float(value)
        for name in STOCK_VARS
        for k, y, value in zip(inv["stockpile"], inv["year"], inv[name])
    }


def assert_same_plan(
    networks_: dict[int, oreflow.Network],
    horizon: Horizon,
    planning: PlanningTables | None,
    market: MarketOptions | None = None,
) -> tuple[pyo.ConcreteModel, PlanResult]:
    """The twin and solve_plan: the same objective, builds and stockpile path."""
    plan = solve_plan(networks_, horizon, planning, market, ranging=False)
    model = oreflow.build_plan_pyomo_model(networks_, horizon, planning, market)
    objective = plan.mip["objective"] if plan.mip else plan.objective
    assert solve_twin(model) == pytest.approx(objective, rel=REL)
    assert twin_builds(model) == pytest.approx(plan_builds(plan), abs=TONNES)
    assert twin_inventory(model) == pytest.approx(plan_inventory(plan), abs=TONNES)
    return model, plan


def micro(supply_t: float, curve: bool = False) -> oreflow.Network:
    """The micro model with ``supply_t`` t of ore at A; with ``curve``, demand for P1 on a
    curve (reference 300 USD/t at 40 t, elasticity -0.5)."""
    frames = micro_frames()
    frames["origins"] = frames["origins"].assign(supply_t=supply_t)
    if curve:
        frames["demand"] = frames["demand"].assign(reference_price_usd_per_t=300.0, elasticity=-0.5)
    return oreflow.Network.from_frames(**frames)


def stockpile(**changes: float) -> pd.DataFrame:
    row = {
        "stockpile": "M_P1",
        "market": "M",
        "product": "P1",
        "initial_t": 0.0,
        "max_t": float("inf"),
        "holding_usd_per_t_year": 1.0,
    }
    return pd.DataFrame([{**row, **changes}])


# ---------------------------------------------------------------------------------
# Micro plans
# ---------------------------------------------------------------------------------


def test_paths_on_the_planning_tables_reach_the_twin() -> None:
    """paths.csv on builds (capital by start year), build_limits and stockpiles (bounds and
    holding by period): the twin reads each period's values as the array LP does."""
    from oreflow.model.paths import paths_from_frame

    horizon = Horizon.of([2024, 2025, 2026])
    limits = pd.DataFrame({"country": ["X"], "stage": ["refining"], "limit_t_per_year": [5.0]})
    paths = paths_from_frame(
        pd.DataFrame(
            {
                "path": ["learning", "training", "bigger_stock", "cheaper_holding"],
                "table": ["builds", "build_limits", "stockpiles", "stockpiles"],
                "column": ["capital_usd_per_t", "limit_t_per_year", "max_t", "holding_usd_per_t_year"],
                "mode": ["scale", "set", "set", "scale"],
                2024: [1.0, 5.0, 10.0, 1.0],
                2026: [0.6, 15.0, 30.0, 0.5],
            }
        )
    )
    planning = read_planning(
        None, BASE, {"builds": expansion(900.0), "build_limits": limits, "stockpiles": stockpile(max_t=10.0)}
    ).with_paths(paths)
    dry = micro(0.0)
    model, plan = assert_same_plan({2024: micro(400.0), 2025: micro(400.0), 2026: dry}, horizon, planning)
    assert pyo.value(model.build_limit_t_per_year["X", "refining", 2025]) == pytest.approx(10.0)
    assert pyo.value(model.stock_max_t["M_P1", 2025]) == pytest.approx(20.0)


def test_refining_builds_with_a_lead_time_and_a_build_limit() -> None:
    """Annual 2024-2027 at 5 %, lead time 2, at most 10 t/yr started per year in X: 10 t/yr
    started in 2024 (online 2026) and 10 in 2025 (online 2027), R1's 20 t/yr of expansion.
    The year's capacity row of R1 is restated with the builds from 2026 only."""
    horizon = Horizon.of([2024, 2025, 2026, 2027], discount_rate=0.05)
    limits = pd.DataFrame({"country": ["X"], "stage": ["refining"], "limit_t_per_year": [10.0]})
    planning = read_planning(None, BASE, {"builds": expansion(500.0, lead=2), "build_limits": limits})
    model, plan = assert_same_plan(networks(horizon), horizon, planning)
    assert twin_builds(model) == pytest.approx({("R1_x", 2024): 10.0, ("R1_x", 2025): 10.0})
    assert list(model.BUILD_STARTS) == [("R1_x", 2024), ("R1_x", 2025)]  # 2026 would come online after 2027
    assert list(model.BUILT_REFINERS) == [(2026, "R1"), (2027, "R1")]
    for year in horizon.years:
        own = model.year[year].component(CAPACITY)["R1"]
        assert own.active == (year < 2026), year  # restated by capacity_with_builds from 2026
    # R1 is fed 80 t of ore in 2027: above its 60 t of capacity_t, its year row deactivated
    assert pyo.value(model.year[2027].component(CAPACITY)["R1"].body) == pytest.approx(80.0)
    assert pyo.value(model.build_limit["X", "refining", 2024].body) == pytest.approx(10.0)  # binding
    assert pyo.value(model.build_charges) == pytest.approx(plan.builds["charges_pv_usd"].sum())


def test_a_stockpile_is_filled_before_a_known_disruption_and_drawn_during_it() -> None:
    """tests/test_planning.py's plan: 400 t of ore a year, none in 2026; filled with 40 t in
    2025, drawn in 2026; the year's demand row is restated with the stockpile every year."""
    horizon = Horizon.of([2024, 2025, 2026])
    planning = read_planning(None, BASE, {"stockpiles": stockpile()})
    model, _ = assert_same_plan({2024: micro(400.0), 2025: micro(400.0), 2026: micro(0.0)}, horizon, planning)
    path = {(year, name): value for (_, year, name), value in twin_inventory(model).items() if value}
    assert path == pytest.approx({(2025, "level_t"): 40.0, (2025, "fill_t"): 40.0, (2026, "draw_t"): 40.0})
    assert list(model.STOCKED_DEMANDS) == [(year, "M", "P1") for year in horizon.years]
    assert not any(model.year[year].component(DEMAND)["M", "P1"].active for year in horizon.years)
    assert pyo.value(model.holding_costs) == pytest.approx(40.0)  # 40 t held through 2025 at 1 USD


def test_a_mine_expansion_and_a_stockpile_on_a_demand_curve() -> None:
    """Periods of 1, 1, 2 and 2 years at 8 %, ore cut to 20 t in 2026 and 30 t from 2028, a
    stepped demand curve (its willingness-to-pay constant in each year's objective): a mine
    expansion of 40 t/yr started in 2025 (lead time 1) and a stockpile between 5 and 100 t,
    drawn down over the cut. The same objective, builds and stockpile path as solve_plan."""
    horizon = Horizon.of([2024, 2025, 2026, 2028], period_years=[1, 1, 2, 2], discount_rate=0.08)
    networks_ = {2024: micro(400.0, True), 2025: micro(400.0, True), 2026: micro(20.0, True), 2028: micro(30.0, True)}
    mine = expansion(300.0, lead=1, max_t=60.0).assign(
        build="A_x", stage="mining", site="A", fixed_om_usd_per_t_yr=20.0, lifetime_years=20.0
    )
    stock = stockpile(initial_t=10.0, max_t=100.0, min_t=5.0, holding_usd_per_t_year=2.0)
    planning = read_planning(None, BASE, {"builds": mine, "stockpiles": stock})
    model, plan = assert_same_plan(networks_, horizon, planning, MarketOptions(demand_steps=8))
    assert twin_builds(model) == pytest.approx({("A_x", 2025): 40.0}, abs=TONNES)
    levels = {year: model.level_t["M_P1", year].value for year in horizon.years}
    assert levels == pytest.approx({2024: 5.0, 2025: 40.0, 2026: 20.0, 2028: 5.0}, abs=TONNES)
    assert list(model.BUILT_ORIGINS) == [(2025, "A"), (2026, "A"), (2028, "A")]  # a start in 2024 is online in 2025
    assert not model.year[2026].component(SUPPLY)["A"].active
    # the objective counts each year's -WTP of its reference demand, as the plan's does
    constants = sum(model.weight[y] * pyo.value(model.year[y].wtp_constant_usd) for y in horizon.years)
    assert constants < 0 and plan.objective < 0
    costs = plan.costs_by_year.set_index("year")["objective_usd_per_year"]
    for year in horizon.years:
        assert pyo.value(model.year_cost[year]) == pytest.approx(costs[year], rel=REL)


@pytest.mark.parametrize(("capital", "built"), [(500.0, 1), (700.0, 0)])
def test_a_whole_plant_is_a_binary_and_reaches_the_mips_objective(capital: float, built: int) -> None:
    """tests/test_planning.py's plant of exactly 30 t/yr: built at 500 USD/t, not at 700; the
    twin (with its Binary built[c]) reaches PlanResult.mip["objective"]."""
    horizon = Horizon.of([2024])
    planning = read_planning(None, BASE, {"builds": expansion(capital, max_t=30.0).assign(min_t=30.0)})
    model, plan = assert_same_plan(networks(horizon), horizon, planning)
    assert plan.mip and model.built["R1_x"].domain is pyo.Binary
    assert round(model.built["R1_x"].value) == built
    assert twin_builds(model) == pytest.approx({("R1_x", 2024): 30.0} if built else {})


def test_without_planning_tables_the_twin_weights_the_years_models() -> None:
    """No builds or stockpiles: the present value of two years at 10 % is the single-year
    model's cost x (1 + 1/1.1); the horizon's components exist, empty."""
    horizon = Horizon.of([2024, 2025], discount_rate=0.1)
    model = oreflow.build_plan_pyomo_model(networks(horizon), horizon)
    assert solve_twin(model) == pytest.approx(4750.0 * (1 + 1 / 1.1), rel=REL)
    assert len(model.BUILD_STARTS) == len(model.STOCKPILES) == len(model.build_size) == 0
    assert not any(model.year[y].total_cost.active for y in horizon.years)


def test_a_linear_demand_curve_makes_the_plan_a_qp_with_the_same_optimum() -> None:
    """demand_form = "linear": each year's objective is quadratic; weighted, the plan's too."""
    horizon = Horizon.of([2024, 2026], discount_rate=0.05)
    networks_ = {year: micro(200.0, curve=True) for year in horizon.years}
    linear = MarketOptions(demand_form="linear")
    plan = solve_plan(networks_, horizon, market=linear, ranging=False)
    model = oreflow.build_plan_pyomo_model(networks_, horizon, market=linear)
    assert model.year[2024].component("step_curvature_usd_per_t2") is not None
    assert solve_twin(model) == pytest.approx(plan.objective, rel=REL)


# ---------------------------------------------------------------------------------
# The shipped plan to 2035
# ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_2035() -> tuple[dict[int, oreflow.Network], Horizon, PlanningTables, MarketOptions]:
    """inputs/plan_2035.toml as `oreflow run` reads it."""
    job = load_job(REPO / "inputs" / "plan_2035.toml")
    network = load_inputs(job.dataset)
    assert job.job.horizon is not None
    horizon = job.job.horizon.horizon()
    return plan_networks(network, horizon), horizon, read_planning(network.source, network), market_options(job.job)


def test_the_shipped_plan(plan_2035) -> None:
    """Five periods to 2039 at 8 % with demand curves and build limits: the same present value
    and the same builds (Lynas and Mt Weld expanded from 2024 and 2026, unique within 1 USD)."""
    networks_, horizon, planning, market = plan_2035
    model, plan = assert_same_plan(networks_, horizon, planning, market)
    assert {build for build, _ in twin_builds(model)} == {"Lynas_expansion", "MtWeld_expansion"}
    assert len(model.BUILT_REFINERS) and len(model.BUILT_ORIGINS) and len(model.build_limit)


def test_online_shares_are_the_array_lps_entries(plan_2035) -> None:
    """online_share[c,s,y] is minus the entry of build_t[c,s] in year y's capacity (refining)
    or supply (mining) row of the array LP (model/planning.build_part)."""
    networks_, horizon, planning, market = plan_2035
    model = oreflow.build_plan_pyomo_model(networks_, horizon, planning, market)
    year_lps = {year: build_lp(networks_[year], market) for year in horizon.years}
    part = build_part(planning, horizon, networks_, year_lps)
    years, _, cols, values = part.into_years
    columns = part.columns.iloc[cols]
    assert (columns["kind"] == BUILT_CAPACITY).all()
    entries = {
        (b, int(s), int(y)): -float(v) for b, s, y, v in zip(columns["build"], columns["start_year"], years, values)
    }
    assert {key: pyo.value(model.online_share[key]) for key in model.BUILD_ONLINE} == pytest.approx(entries)
    capacity = part.cost[(part.columns["kind"] == BUILT_CAPACITY).to_numpy()]
    assert [pyo.value(model.build_charge_usd_per_t[key]) for key in model.BUILD_STARTS] == pytest.approx(capacity)


# ---------------------------------------------------------------------------------
# Readable and exported
# ---------------------------------------------------------------------------------

#: Words in double backquotes in model/pyomo_plan.py's docstring that are not components.
NOT_COMPONENTS = {"min_t", "objective", "pprint", "set_value", "model.year[y]", "mip", "import"}


def test_the_docstring_names_every_component_and_each_exists() -> None:
    """Each name in double backquotes in the module docstring is a component of the plan's
    model (or of a year's block: ``year[y].x``, ``capacity[r]``), and each component of the
    plan's model is named there."""
    horizon = Horizon.of([2024, 2025, 2026])
    whole = expansion(500.0, lead=1).assign(min_t=5.0)
    limits = pd.DataFrame({"country": ["X"], "stage": ["refining"], "limit_t_per_year": [10.0]})
    planning = read_planning(None, BASE, {"builds": whole, "build_limits": limits, "stockpiles": stockpile()})
    model = oreflow.build_plan_pyomo_model(networks(horizon), horizon, planning)
    block = model.year[2024]
    doc = pyomo_plan.__doc__ or ""
    named = set()
    for token in re.findall(r"``([^`]+)``", doc):
        if token in NOT_COMPONENTS or token.split()[0] in NOT_COMPONENTS or token.startswith("mip["):
            continue
        parts = [re.sub(r"\[.*?\]", "", part) for part in token.split(".")]
        if parts[0] == "year" and len(parts) == 2:
            assert block.component(parts[1]) is not None, token
            continue
        assert len(parts) == 1, token
        assert model.component(parts[0]) is not None or block.component(parts[0]) is not None, token
        named.add(parts[0])
    components = {
        c.local_name
        for c in model.component_objects(descend_into=False)
        if not (isinstance(c, pyo.Set) and c.local_name.endswith("_index"))
    }
    assert components - named == set()
    assert {"build_t", "built", "build_size", "build_limit", "stock_balance", "present_value"} <= named


def test_it_is_exported_and_import_oreflow_does_not_import_pyomo() -> None:
    assert "build_plan_pyomo_model" in oreflow.__all__
    code = (
        "import sys\nimport oreflow\n"
        "assert callable(oreflow.build_plan_pyomo_model)\n"
        "assert not [m for m in sys.modules if m == 'pyomo' or m.startswith('pyomo.')], 'pyomo imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
