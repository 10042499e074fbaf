"""oreflow from other models (docs/embedding.md): the hard link, ``oreflow.pyomo_block``, and
the soft link, ``oreflow.Resolver``, with their worked examples in examples/.

- the block: a Block (no objective of its own) whose linked demand and supply are the outer
  model's; hand-solved on the micro model; with nothing linked its optimum is ``oreflow.solve``'s
  on the 2024 dataset; with share limits on a linked demand; the energy-system example's joint
  optimum equals oreflow alone at the demand it chose, and solving in sequence where the outer
  model has no feedback;
- the re-solver: equal to ``oreflow.solve`` on the changed dataset (``solve(changes=...)``) for
  demand, supply and cost changes (objective, market prices, supply and capacity prices, rel
  1e-7); calls do not carry over; bad values raise InputError naming the input and leave the
  model usable, as does an infeasible re-solve; the fixed-point example converges, to the
  equilibrium of oreflow's own curve; the time per re-solve on the 2024 dataset is printed;
- ``import oreflow`` still imports no Pyomo.
"""

from __future__ import annotations

import importlib.util
import math
import statistics
import subprocess
import sys
import time
from types import ModuleType

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

import oreflow
from conftest import BASELINE_DATASET, REPO, micro_frames
from oreflow.errors import InputError, SolveError
from oreflow.job import Change
from oreflow.model.families import CAPACITY, DEMAND, FAMILIES_BY_NAME, SHARE_LIMIT, SUPPLY
from oreflow.model.pyomo_block import fixed_demand

REL = 1e-7
DEMAND_TABLE = FAMILIES_BY_NAME[DEMAND].table
ORIGINS_TABLE = FAMILIES_BY_NAME[SUPPLY].table
REFINERS_TABLE = FAMILIES_BY_NAME[CAPACITY].table


def example(name: str) -> ModuleType:
    """A module of examples/, imported from its file."""
    spec = importlib.util.spec_from_file_location(f"oreflow_example_{name}", REPO / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # a dataclass reads its module back while it is defined
    spec.loader.exec_module(module)
    return module


def highs(model: pyo.ConcreteModel) -> None:
    model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    result = pyo.SolverFactory("highs").solve(model)
    assert str(result.solver.termination_condition) == "optimal"


@pytest.fixture(scope="module")
def network() -> oreflow.Network:
    return oreflow.load_inputs(BASELINE_DATASET)


@pytest.fixture(scope="module")
def resolver(network: oreflow.Network) -> oreflow.Resolver:
    return oreflow.Resolver(network)


def micro(**extra: pd.DataFrame) -> oreflow.Network:
    return oreflow.Network.from_frames(**{**micro_frames(), **extra})


# ---------------------------------------------------------------------------------
# The hard link: a Pyomo Block
# ---------------------------------------------------------------------------------


def test_import_oreflow_stays_free_of_pyomo() -> None:
    code = (
        "import sys, oreflow\n"
        "assert {'pyomo_block', 'Resolver', 'ResolvedPrices'} <= set(oreflow.__all__)\n"
        "oreflow.Resolver, oreflow.ResolvedPrices, oreflow.pyomo_block\n"
        "assert not [m for m in sys.modules if m == 'pyomo' or m.startswith('pyomo.')], 'pyomo imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_block_is_a_block_without_an_objective_and_restates_linked_rows() -> None:
    outer = pyo.ConcreteModel()
    outer.d = pyo.Var(bounds=(0, 100))
    outer.ore = pyo.Var(bounds=(0, None))
    outer.oreflow = oreflow.pyomo_block(micro(), demand={("M", "P1"): outer.d}, supply={"A": outer.ore})
    block = outer.oreflow
    assert isinstance(block, pyo.Block) and not isinstance(block, pyo.ConcreteModel)
    assert not list(block.component_data_objects(pyo.Objective))
    assert isinstance(block.total_cost, pyo.Expression)
    assert not block.demand["M", "P1"].active and block.demand_linked["M", "P1"].active
    assert not block.supply["A"].active and block.supply_linked["A"].active
    assert list(block.LINKED_DEMANDS) == [("M", "P1")] and list(block.LINKED_ORIGINS) == ["A"]


def test_linked_demand_hand_solved_on_the_micro_model() -> None:
    """P1 costs 71 USD/t from R1 (feed 60 t: 30 t of P1), then 262 USD/t from R2. An outer
    buyer valuing P1 at 100 USD/t (up to 100 t) buys 30 t: the block's cost 30 x 71 = 2130,
    oreflow's own at 30 t; the linked row's dual is R1's marginal cost, 71 USD/t."""
    outer = pyo.ConcreteModel()
    outer.d = pyo.Var(bounds=(0, 100))
    outer.oreflow = oreflow.pyomo_block(micro(), demand={("M", "P1"): outer.d})
    outer.welfare = pyo.Objective(expr=-100 * outer.d + outer.oreflow.total_cost)
    highs(outer)
    assert pyo.value(outer.d) == pytest.approx(30.0)
    assert pyo.value(outer.oreflow.total_cost) == pytest.approx(2130.0)
    assert oreflow.solve(fixed_demand(micro(), {("M", "P1"): 30.0})).objective == pytest.approx(2130.0)
    assert 71.0 <= outer.dual[outer.oreflow.demand_linked["M", "P1"]] <= 100.0  # degenerate at 30 t: 71..262 / 100


def test_block_duals_follow_oreflows_signs() -> None:
    """At 40 t: the linked demand row's dual is R2's marginal cost, 262 USD/t (>= 0), R1's
    capacity is worth 95.5 USD per t of feed (-95.5 <= 0), as oreflow.solve reports them."""
    outer = pyo.ConcreteModel()
    outer.d = pyo.Var()
    outer.d.fix(40.0)
    outer.oreflow = oreflow.pyomo_block(micro(), demand={("M", "P1"): outer.d})
    outer.cost = pyo.Objective(expr=outer.oreflow.total_cost)
    highs(outer)
    result = oreflow.solve(micro())
    assert pyo.value(outer.cost) == pytest.approx(result.objective) == pytest.approx(4750.0)
    assert outer.dual[outer.oreflow.demand_linked["M", "P1"]] == pytest.approx(262.0)
    assert result.shadow_prices[DEMAND]["shadow_price"].item() == pytest.approx(262.0)
    assert outer.dual[outer.oreflow.capacity["R1"]] == pytest.approx(-95.5)
    assert result.shadow_prices[CAPACITY].set_index("refiner").loc["R1", "shadow_price"] == pytest.approx(-95.5)


def test_linked_supply_hand_solved_on_the_micro_model() -> None:
    """40 t of P1 need 60 t of ore at R1 and 40 t at R2 (recovery 0.5): buying ore at 50 USD/t,
    the outer model buys exactly 100 t; total 4750 + 5000. One tonne more than needed is worth
    nothing, one less costs the unmet penalty: its price is the outer model's, 50 USD/t (<= 0 in
    oreflow's sign)."""
    outer = pyo.ConcreteModel()
    outer.ore = pyo.Var(bounds=(0, None))
    outer.oreflow = oreflow.pyomo_block(micro(), supply={"A": outer.ore})
    outer.cost = pyo.Objective(expr=50 * outer.ore + outer.oreflow.total_cost)
    highs(outer)
    assert pyo.value(outer.ore) == pytest.approx(100.0)
    assert pyo.value(outer.cost) == pytest.approx(4750.0 + 5000.0)
    assert outer.dual[outer.oreflow.supply_linked["A"]] == pytest.approx(-50.0)


def test_linked_demand_with_a_share_limit_equals_the_standalone_solve() -> None:
    limits = pd.DataFrame({"market": ["M"], "product": ["P1"], "country": ["X"], "max_share": [0.5]})
    network = micro(share_limits=limits)
    for demand_t in (40.0, 50.0):
        outer = pyo.ConcreteModel()
        outer.d = pyo.Var()
        outer.d.fix(demand_t)
        outer.oreflow = oreflow.pyomo_block(network, demand={("M", "P1"): outer.d})
        outer.cost = pyo.Objective(expr=outer.oreflow.total_cost)
        highs(outer)
        assert not outer.oreflow.share_limit["M", "P1", "X", "max"].active
        alone = oreflow.solve(fixed_demand(network, {("M", "P1"): demand_t}))
        assert alone.shadow_prices[SHARE_LIMIT]["binding"].all()
        assert pyo.value(outer.cost) == pytest.approx(alone.objective, rel=REL)


def test_block_with_nothing_linked_is_the_lp_of_the_2024_dataset(network: oreflow.Network) -> None:
    outer = pyo.ConcreteModel()
    outer.oreflow = oreflow.pyomo_block(network)
    outer.cost = pyo.Objective(expr=outer.oreflow.total_cost)
    highs(outer)
    assert pyo.value(outer.cost) == pytest.approx(oreflow.solve(network, ranging=False).objective, rel=REL)


def test_block_rejects_keys_the_dataset_does_not_have() -> None:
    with pytest.raises(InputError, match="XX/P1|'XX'"):
        oreflow.pyomo_block(micro(), demand={("XX", "P1"): 1.0})
    with pytest.raises(InputError, match="nowhere"):
        oreflow.pyomo_block(micro(), supply={"nowhere": 1.0})


def test_energy_system_example_joint_optimum_equals_oreflow_alone_and_the_sequence() -> None:
    module = example("embed_block")
    found = module.main(quiet=True)
    # the joint optimum's oreflow cost is oreflow's own at the demand the joint optimum chose
    assert found["block_usd"] == pytest.approx(found["standalone_usd"], rel=REL)
    # without feedback (direct drive only) the joint optimum is the sequence's
    assert found["no_feedback_joint_usd"] == pytest.approx(found["no_feedback_sequence_usd"], rel=REL)
    # with feedback the joint optimum builds both turbines, where NdPr costs the geared premium per t of magnet
    assert found["joint_usd"] <= found["sequence_usd"] * (1 + REL)
    assert found["direct_mw"] > 0 and found["geared_mw"] > 0
    assert found["ndpr_price_usd_per_t"] == pytest.approx(
        module.GEARED_PREMIUM_USD_PER_MW / module.NDPR_T_PER_MW, rel=1e-6
    )


def test_energy_system_with_outer_variables_fixed_at_the_joint_optimum(network: oreflow.Network) -> None:
    module = example("embed_block")
    joint = module.energy_model(network)
    module.solve(joint)
    optimum = pyo.value(joint.cost)
    for var in (joint.direct_mw, joint.geared_mw, joint.ev_thousands):
        var.fix(pyo.value(var))
    module.solve(joint)
    assert pyo.value(joint.cost) == pytest.approx(optimum, rel=REL)
    alone = module.standalone_cost(network, pyo.value(joint.ndpr_t))
    assert pyo.value(joint.oreflow.total_cost) == pytest.approx(alone, rel=REL)


# ---------------------------------------------------------------------------------
# solve(changes=...)
# ---------------------------------------------------------------------------------


def test_solve_with_changes_equals_the_changed_dataset() -> None:
    change = {"action": "set", "table": DEMAND_TABLE, "where": {"market": "M"}, "column": "demand_t", "value": 30}
    assert oreflow.solve(micro(), changes=[change]).objective == pytest.approx(2130.0)
    as_object = Change(action="scale", table=REFINERS_TABLE, where={"refiner": "R1"}, column="capacity_t", factor=0)
    assert oreflow.solve(micro(), changes=[as_object]).objective == pytest.approx(40 * 262.0)
    with pytest.raises(InputError, match="needs column"):
        oreflow.solve(micro(), changes=[{"action": "set", "table": DEMAND_TABLE}])
    with pytest.raises(InputError, match="demand_t"):
        oreflow.solve(micro(), changes=[{**change, "value": -1}])


# ---------------------------------------------------------------------------------
# The soft link: the in-place re-solver
# ---------------------------------------------------------------------------------


def changes_of(demand: pd.DataFrame | None, supply: pd.Series | None, costs: pd.DataFrame | None) -> list[Change]:
    """The scenario changes that set the same values (to solve the changed dataset afresh)."""
    changes = []
    for row in [] if demand is None else demand.itertuples(index=False):
        where = {"market": row.market, "product": row.product}
        changes.append(Change(action="set", table=DEMAND_TABLE, where=where, column="demand_t", value=row.demand_t))
    for origin, value in [] if supply is None else supply.items():
        changes.append(
            Change(action="set", table=ORIGINS_TABLE, where={"origin": origin}, column="supply_t", value=value)
        )
    for row in [] if costs is None else costs.itertuples(index=False):
        changes.append(
            Change(
                action="set",
                table=REFINERS_TABLE,
                where={"refiner": row.refiner},
                column="processing_cost_usd_per_t",
                value=row.processing_cost_usd_per_t,
            )
        )
    return changes


def assert_same(answer: oreflow.ResolvedPrices, result: oreflow.Result) -> None:
    assert answer.status == "optimal"
    assert answer.objective == pytest.approx(result.objective, rel=REL)
    mine = answer.market.set_index(["market", "product"])["price_usd_per_t"]
    theirs = result.market.set_index(["market", "product"])["price_usd_per_t"].reindex(mine.index)
    np.testing.assert_allclose(mine.to_numpy(), theirs.to_numpy(), rtol=REL, atol=1e-6)
    for family in (SUPPLY, CAPACITY):
        np.testing.assert_allclose(
            answer.shadow_prices[family]["shadow_price"].to_numpy(float),
            result.shadow_prices[family]["shadow_price"].to_numpy(float),
            rtol=REL,
            atol=1e-6,
        )
    assert answer.supply is answer.shadow_prices[SUPPLY] and answer.capacity is answer.shadow_prices[CAPACITY]


def test_resolver_equals_solving_the_changed_dataset(network: oreflow.Network, resolver: oreflow.Resolver) -> None:
    refiners = network.refiners["refiner"].tolist()
    cases = [
        (pd.DataFrame({"market": ["EU", "CN"], "product": ["NdPr", "Dy"], "demand_t": [3000.0, 1500.0]}), None, None),
        (None, pd.Series({"AU_MtWeld": 15_000.0, "MM_Kachin_IAC": 5_000.0}), None),
        (None, None, pd.DataFrame({"refiner": refiners[:3], "processing_cost_usd_per_t": [3000.0, 4000.0, 5000.0]})),
        (
            pd.DataFrame({"market": ["US"], "product": ["NdPr"], "demand_t": [4000.0]}),
            pd.Series({"US_MountainPass": 60_000.0}),
            pd.DataFrame({"refiner": refiners[-1:], "processing_cost_usd_per_t": [1000.0]}),
        ),
    ]
    for demand, supply, costs in cases:
        answer = resolver.solve(demand=demand, supply=supply, costs=costs)
        result = oreflow.solve(network, changes=changes_of(demand, supply, costs), ranging=False)
        assert_same(answer, result)
    # a call is the base dataset with that call's values: nothing carries over
    assert resolver.solve().objective == pytest.approx(resolver.base.objective, rel=1e-12)
    assert_same(resolver.base, oreflow.solve(network, ranging=False))


def test_resolver_takes_series_and_indexed_frames(resolver: oreflow.Resolver) -> None:
    frame = pd.DataFrame({"market": ["EU"], "product": ["NdPr"], "demand_t": [3000.0]})
    first = resolver.solve(demand=frame)
    indexed = resolver.solve(demand=frame.set_index(["market", "product"]))
    series = resolver.solve(demand=pd.Series({("EU", "NdPr"): 3000.0}))
    assert first.objective == indexed.objective == series.objective
    assert (
        first.market.loc[first.market["market"].eq("EU") & first.market["product"].eq("NdPr"), "demand_t"].item()
        == 3000
    )


def test_resolver_rejects_bad_values_naming_the_input(resolver: oreflow.Resolver) -> None:
    bad = pd.DataFrame({"market": ["XX", "EU", "EU"], "product": ["NdPr", "Dy", "Dy"], "demand_t": [1.0, -2.0, 3.0]})
    with pytest.raises(InputError) as caught:
        resolver.solve(demand=bad)
    text = str(caught.value)
    assert "Resolver.solve(demand=...)" in text and "XX/NdPr" in text and "given once" in text and "-2.0" in text
    with pytest.raises(InputError, match=r"Resolver.solve\(supply=...\), origin AU_MtWeld"):
        resolver.solve(supply=pd.Series({"AU_MtWeld": math.nan}))
    with pytest.raises(InputError, match="processing_cost_usd_per_t"):
        resolver.solve(costs=pd.DataFrame({"refiner": ["CN_Baotou"], "cost": [1.0]}))
    with pytest.raises(InputError, match="a reference demand > 0"):  # a curve's demand_t of 0: a dataset rule
        resolver.solve(demand=pd.DataFrame({"market": ["EU"], "product": ["NdPr"], "demand_t": [0.0]}))
    # nothing reached HiGHS: the next call is right
    assert resolver.solve().objective == pytest.approx(resolver.base.objective, rel=1e-12)


def test_resolver_reports_an_infeasible_resolve_and_recovers(
    network: oreflow.Network, resolver: oreflow.Resolver
) -> None:
    with pytest.raises(SolveError, match="contract"):  # Mt Weld's contract with Lynas needs its ore
        resolver.solve(supply=pd.Series({"AU_MtWeld": 0.0}))
    demand = pd.DataFrame({"market": ["JP"], "product": ["Tb"], "demand_t": [80.0]})
    assert_same(resolver.solve(demand=demand), oreflow.solve(network, changes=changes_of(demand, None, None)))


def test_a_fork_re_solves_on_its_own_and_equals_a_fresh_solve(network: oreflow.Network) -> None:
    """Resolver.fork (one per app session): loaded at the base case's basis without a solve,
    every kind of LP path equal to solving the changed dataset, the original left untouched."""
    original = oreflow.Resolver(network)
    fork = original.fork()
    assert fork.base is original.base and fork.base_lp is original.base_lp
    tariff = Change(
        action="add",
        table="tariffs",
        rows=[{"from_country": "CN", "to_country": "US", "stage": "product", "usd_per_t": 20000.0}],
    )
    recovery = Change(action="scale", table=REFINERS_TABLE, column="recovery", where={"country": "CN"}, factor=0.9)
    capacity = Change(action="set", table=REFINERS_TABLE, column="capacity_t", where={"refiner": "CN_Baotou"}, value=1)
    paths = []
    for changes in ([capacity], [tariff], [tariff, capacity], [recovery], []):
        answer = fork.solve_changes(changes)
        paths.append(answer.lp_path)
        result = oreflow.solve(network, changes=changes)
        assert answer.objective == pytest.approx(result.objective, rel=REL)
        for family in (SUPPLY, CAPACITY):  # where the price is unique (a degenerate one may differ)
            unique = result.shadow_prices[family]["dual_unique"].fillna(False).to_numpy(bool)
            np.testing.assert_allclose(
                answer.shadow_prices[family]["shadow_price"].to_numpy(float)[unique],
                result.shadow_prices[family]["shadow_price"].to_numpy(float)[unique],
                rtol=REL,
                atol=1e-6,
            )
        mine = answer.market.set_index(["market", "product"])["price_usd_per_t"]
        theirs = result.market.set_index(["market", "product"])["price_usd_per_t"].reindex(mine.index)
        np.testing.assert_allclose(mine.to_numpy(), theirs.to_numpy(), rtol=REL, atol=1e-6)
    assert paths == ["in_place", "validated", "shape", "coefficients", "base"]
    first = fork.solve_changes([capacity])
    assert first.warm and first.iterations > 0
    assert original.solve_changes([]).iterations == 0  # still at the base case's optimum
    # prepared (a new structure loaded, nothing solved), then solved with another value: in place
    ban = Change(action="add", table="bans", rows=[{"from_country": "MM", "to_country": "CN", "stage": "ore"}])
    quota = Change(
        action="add",
        table="quotas",
        rows=[{"quota": "q", "kind": "export", "country": "CN", "product": "Dy", "limit_t": 250.0}],
    )
    assert fork.prepare_changes([ban, quota]) == "rebuilt"
    moved = quota.model_copy(update={"rows": [{**quota.rows[0], "limit_t": 300.0}]})
    answer = fork.solve_changes([ban, moved])
    assert answer.lp_path == "shape" and answer.warm
    want = oreflow.solve(network, changes=[ban, moved], ranging=False)
    assert answer.objective == pytest.approx(want.objective, rel=REL)
    # preparing other structures never evicts the model of the last answer
    live = fork._others[fork._last_structure]
    for country in ("RU", "US", "RoW", "PK"):
        other = Change(action="add", table="bans", rows=[{"from_country": country, "to_country": "MY", "stage": "ore"}])
        fork.prepare_changes([other])
    again = fork.solve_changes([ban, quota])
    assert again.lp_path == "shape" and fork._others[fork._last_structure] is live


def test_fixed_demand_rows_deliver_what_is_asked(network: oreflow.Network) -> None:
    resolver = oreflow.Resolver(network, fixed_demand=[("EU", "NdPr")])
    answer = resolver.solve(demand=pd.Series({("EU", "NdPr"): 3500.0}))
    row = answer.market[answer.market["market"].eq("EU") & answer.market["product"].eq("NdPr")].iloc[0]
    assert row["quantity_t"] == pytest.approx(3500.0)
    assert answer.objective == pytest.approx(
        oreflow.solve(fixed_demand(network, {("EU", "NdPr"): 3500.0}), ranging=False).objective, rel=REL
    )


def test_fixed_point_example_converges_to_oreflows_own_equilibrium(network: oreflow.Network) -> None:
    found = example("fixed_point").main(quiet=True)
    assert found.converged and found.iterations < 60
    own = oreflow.solve(network, ranging=False).market.set_index(["market", "product"]).loc[("EU", "NdPr")]
    # the same curve: the same price, and the quantity within the stepped curve's accuracy
    assert found.price_usd_per_t == pytest.approx(own["price_usd_per_t"], rel=0.012)
    assert found.demand_t == pytest.approx(own["quantity_t"], rel=0.01)


def test_time_per_resolve_on_the_2024_dataset(
    network: oreflow.Network, resolver: oreflow.Resolver, capsys: pytest.CaptureFixture[str]
) -> None:
    """Measured, not asserted (docs/embedding.md records it): one demand row, one origin's supply,
    every refiner's processing cost, each re-solved 40 times with a new value."""
    refiners = network.refiners[["refiner", "processing_cost_usd_per_t"]]
    inputs = {
        "demand (1 row)": lambda i: {"demand": pd.Series({("EU", "NdPr"): 2211.0 + 25 * i})},
        "supply (1 origin)": lambda i: {"supply": pd.Series({"AU_MtWeld": 20_000.0 + 100 * i})},
        "costs (every refiner)": lambda i: {
            "costs": refiners.assign(processing_cost_usd_per_t=refiners["processing_cost_usd_per_t"] * (1 + 0.01 * i))
        },
    }
    lines = []
    for name, values in inputs.items():
        times = []
        for i in range(40):
            started = time.perf_counter()
            resolver.solve(**values(i))
            times.append(time.perf_counter() - started)
        lines.append(f"{name}: median {statistics.median(times) * 1000:.1f} ms, min {min(times) * 1000:.1f} ms")
    with capsys.disabled():
        print("\nResolver.solve on inputs/rare_earths_2024 (one core): " + "; ".join(lines))
