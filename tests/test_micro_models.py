"""Micro models whose optimal cost, flows and every shadow price are derived by hand.

Sign convention under test (docs/conventions.md): shadow_price = change of the optimal
total cost (USD) per one-unit increase of the constraint's right-hand side. So a binding
capacity or supply has a negative price, a demand a positive one, and a balance row
(product available at a refiner) a negative one: minus the product's value there.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

import oreflow
from conftest import micro_frames


def price(result: oreflow.Result, family: str, **keys: str) -> float:
    table = result.shadow_prices[family]
    mask = pd.Series(True, index=table.index)
    for column, value in keys.items():
        mask &= table[column] == value
    assert mask.sum() == 1, (family, keys)
    return float(table.loc[mask, "shadow_price"].iloc[0])


def flow(result: oreflow.Result, origin: str, refiner: str) -> float:
    a = result.allocations
    return float(a.loc[(a.origin == origin) & (a.refiner == refiner), "ore_t"].iloc[0])


# ---------------------------------------------------------------------------------------
# Model 1: two refiners, capacity binds (tests/conftest.py)
#
# Per t of ore: R1 costs 10 + 5 + 20 = 35 USD and yields 0.5 t P1 (recovery 1.0);
#               R2 costs 10 + 5 + 50 = 65 USD and yields 0.25 t P1 (recovery 0.5).
# Delivered cost of P1: via R1 35/0.5 + 1 = 71 USD/t; via R2 65/0.25 + 2 = 262 USD/t.
# R1 is used to capacity: 60 t ore -> 30 t P1; the other 10 t P1 come from R2: 40 t ore.
# Cost = 60*35 + 40*65 + 30*1 + 10*2 = 2100 + 2600 + 30 + 20 = 4750 USD.
# Duals:
#   demand[M,P1]   = +262   (the marginal tonne comes via R2)
#   balance[R2,P1] = -(262 - 2) = -260  (a free tonne of P1 at R2 saves all but its freight)
#   balance[R1,P1] = -(262 - 1) = -261
#   capacity[R1]   = one more t of ore at R1 (35 USD + 0.5 t * 1 freight) replaces 0.5 t P1
#                    from R2 (0.5 * 262 = 131 USD): 35.5 - 131 = -95.5
#   capacity[R2] (inf), supply[A] (100 of 200 used), balance[*,P2] (P2 unsold): 0
# ---------------------------------------------------------------------------------------


@pytest.fixture
def two_refiners() -> oreflow.Result:
    return oreflow.solve(oreflow.Network.from_frames(**micro_frames()))


def test_two_refiners_cost_and_flows(two_refiners: oreflow.Result) -> None:
    r = two_refiners
    assert r.status == "optimal"
    assert r.objective == pytest.approx(4750.0, rel=1e-9)
    assert flow(r, "A", "R1") == pytest.approx(60.0)
    assert flow(r, "A", "R2") == pytest.approx(40.0)
    assert r.cost_breakdown == pytest.approx(
        {
            "mining": 1000.0,
            "ore_freight": 500.0,
            "processing": 3200.0,
            "product_freight": 50.0,
            "unmet_penalty": 0.0,
            "total": 4750.0,
        }
    )
    prod = r.production.set_index(["refiner", "product"])
    assert prod.loc[("R1", "P2"), "unsold_t"] == pytest.approx(30.0)  # free disposal of the co-product
    assert prod.loc[("R2", "P1"), "produced_t"] == pytest.approx(10.0)
    assert r.refinery.set_index("refiner").loc["R1", "utilisation"] == pytest.approx(1.0)
    assert r.unmet["unmet_t"].sum() == 0


def test_two_refiners_every_shadow_price(two_refiners: oreflow.Result) -> None:
    r = two_refiners
    assert price(r, "demand", market="M", product="P1") == pytest.approx(262.0)
    assert price(r, "balance", refiner="R2", product="P1") == pytest.approx(-260.0)
    assert price(r, "balance", refiner="R1", product="P1") == pytest.approx(-261.0)
    assert price(r, "capacity", refiner="R1") == pytest.approx(-95.5)
    assert price(r, "capacity", refiner="R2") == 0.0
    assert price(r, "supply", origin="A") == 0.0
    assert price(r, "balance", refiner="R1", product="P2") == 0.0
    assert price(r, "balance", refiner="R2", product="P2") == 0.0


def test_two_refiners_slack_and_binding(two_refiners: oreflow.Result) -> None:
    cap = two_refiners.shadow_prices["capacity"].set_index("refiner")
    assert bool(cap.loc["R1", "binding"]) and cap.loc["R1", "slack"] == 0.0
    assert not bool(cap.loc["R2", "binding"]) and math.isinf(cap.loc["R2", "slack"])
    supply = two_refiners.shadow_prices["supply"].set_index("origin")
    assert supply.loc["A", "slack"] == pytest.approx(100.0) and not bool(supply.loc["A", "binding"])
    assert two_refiners.dual_method.startswith("simplex basis")


def test_capacity_shadow_price_is_the_finite_difference(micro: dict[str, pd.DataFrame]) -> None:
    """One more tonne of R1 capacity lowers cost by exactly 95.5 USD (the dual's range holds)."""
    base = oreflow.solve(oreflow.Network.from_frames(**micro)).objective
    micro["refiners"].loc[micro["refiners"].refiner == "R1", "capacity_t"] = 61.0
    bumped = oreflow.solve(oreflow.Network.from_frames(**micro)).objective
    assert bumped - base == pytest.approx(-95.5)


# ---------------------------------------------------------------------------------------
# Model 2: supply binds, a dearer origin is marginal, an unused route has a reduced cost
#
# Origins A (supply 10, mining 100) and B (supply inf, mining 300), both 100 % product P.
# Refiner R (cost 0, recovery 1, capacity inf), R2 (cost 50, recovery 1, capacity inf).
# Routes A->R, B->R, B->R2 (freight 0); R->M, R2->M (freight 0). Demand M/P = 15 t.
# Optimal: A->R 10 t, B->R 5 t; cost 10*100 + 5*300 = 2500 USD.
# Duals: demand[M,P] = +300 (B is marginal); supply[A] = 100 - 300 = -200; balance[R,P] = -300.
# R2 is idle, so its balance row s[R2,M,P] - x[B,R2] <= 0 holds as 0 <= 0: degenerate. Its dual
# y is any value with both idle columns priced out: s[R2,M,P]: 0 - 300 - y >= 0 and
# x[B,R2]: 350 + y >= 0, i.e. -350 <= y <= -300. The reduced cost of B->R2 is 350 + y, between
# 0 and 50 USD/t: the route is 50 USD/t too dear in total, split between the two idle columns.
# ---------------------------------------------------------------------------------------


def supply_model() -> oreflow.Network:
    return oreflow.Network.from_frames(
        origins=pd.DataFrame(
            {
                "origin": ["A", "B"],
                "country": ["X", "Z"],
                "supply_t": [10.0, math.inf],
                "mining_cost_usd_per_t": [100.0, 300.0],
            }
        ),
        composition=pd.DataFrame({"origin": ["A", "B"], "product": ["P", "P"], "share": [1.0, 1.0]}),
        refiners=pd.DataFrame(
            {
                "refiner": ["R", "R2"],
                "country": ["X", "X"],
                "capacity_t": [math.inf, math.inf],
                "processing_cost_usd_per_t": [0.0, 50.0],
                "recovery": [1.0, 1.0],
            }
        ),
        markets=pd.DataFrame({"market": ["M"], "country": ["X"]}),
        demand=pd.DataFrame({"market": ["M"], "product": ["P"], "demand_t": [15.0]}),
        ore_routes=pd.DataFrame(
            {"origin": ["A", "B", "B"], "refiner": ["R", "R", "R2"], "freight_usd_per_t": [0.0, 0.0, 0.0]}
        ),
        product_routes=pd.DataFrame({"refiner": ["R", "R2"], "market": ["M", "M"], "freight_usd_per_t": [0.0, 0.0]}),
    )


def test_supply_binds_and_marginal_origin_sets_the_price() -> None:
    r = oreflow.solve(supply_model())
    assert r.objective == pytest.approx(2500.0)
    assert flow(r, "A", "R") == pytest.approx(10.0) and flow(r, "B", "R") == pytest.approx(5.0)
    assert price(r, "demand", market="M", product="P") == pytest.approx(300.0)
    assert price(r, "supply", origin="A") == pytest.approx(-200.0)
    assert price(r, "supply", origin="B") == 0.0
    assert price(r, "balance", refiner="R", product="P") == pytest.approx(-300.0)
    y = price(r, "balance", refiner="R2", product="P")
    assert -350.0 - 1e-9 <= y <= -300.0 + 1e-9
    rc = r.reduced_costs.set_index(["origin", "refiner"])["reduced_cost_usd_per_t"]
    assert rc[("B", "R2")] == pytest.approx(350.0 + y)
    assert rc[("A", "R")] == 0.0 and rc[("B", "R")] == 0.0


# ---------------------------------------------------------------------------------------
# Model 3: a per-product recovery override, normalised shares, and unmet demand
#
# Origin A (supply 30, mining 40): shares P1 0.5, P2 0.5005 -> normalised to 0.5/1.0005
# and 0.5005/1.0005. Refiner R (recovery 0.5, override P1 0.8, capacity inf, cost 0).
# Demand M/P1 = 10 t with penalty 5000 USD/t (row value).
# Yield of P1 per t ore = 0.8 * 0.5/1.0005 = 0.39980...; 30 t ore give 11.994 t P1 >= 10:
# ore needed = 10 / 0.3998 = 25.0125 t, cost 40 * 25.0125 = 1000.5 USD.
# Demand dual = 40 / 0.3998 = 100.05 USD/t; supply slack 4.9875 t.
# Then demand 15 t: only 11.994 t can be made, 3.006 t unmet at 5000 USD/t;
# demand dual = 5000 (penalty), supply dual = -(5000 * 0.3998 - 40) = -1959.0...
# ---------------------------------------------------------------------------------------


def override_model(demand_t: float) -> oreflow.Network:
    return oreflow.Network.from_frames(
        origins=pd.DataFrame({"origin": ["A"], "country": ["X"], "supply_t": [30.0], "mining_cost_usd_per_t": [40.0]}),
        composition=pd.DataFrame({"origin": ["A", "A"], "product": ["P1", "P2"], "share": [0.5, 0.5005]}),
        refiners=pd.DataFrame(
            {
                "refiner": ["R"],
                "country": ["X"],
                "capacity_t": [math.inf],
                "processing_cost_usd_per_t": [0.0],
                "recovery": [0.5],
            }
        ),
        recoveries=pd.DataFrame({"refiner": ["R"], "product": ["P1"], "recovery": [0.8]}),
        markets=pd.DataFrame({"market": ["M"], "country": ["X"]}),
        demand=pd.DataFrame(
            {"market": ["M"], "product": ["P1"], "demand_t": [demand_t], "unmet_penalty_usd_per_t": [5000.0]}
        ),
        ore_routes=pd.DataFrame({"origin": ["A"], "refiner": ["R"], "freight_usd_per_t": [0.0]}),
        product_routes=pd.DataFrame({"refiner": ["R"], "market": ["M"], "freight_usd_per_t": [0.0]}),
    )


YIELD_P1 = 0.8 * 0.5 / 1.0005


def test_recovery_override_and_normalised_shares() -> None:
    r = oreflow.solve(override_model(10.0))
    assert flow(r, "A", "R") == pytest.approx(10.0 / YIELD_P1)
    assert r.objective == pytest.approx(40.0 * 10.0 / YIELD_P1)
    assert price(r, "demand", market="M", product="P1") == pytest.approx(40.0 / YIELD_P1)
    prod = r.production.set_index(["refiner", "product"])
    # P2 is recovered at the refiner's own 0.5
    assert prod.loc[("R", "P2"), "produced_t"] == pytest.approx(10.0 / YIELD_P1 * 0.5 * 0.5005 / 1.0005)


def test_unmet_demand_is_priced_at_the_penalty() -> None:
    r = oreflow.solve(override_model(15.0))
    made = 30.0 * YIELD_P1
    unmet = r.unmet.set_index(["market", "product"]).loc[("M", "P1")]
    assert unmet["unmet_t"] == pytest.approx(15.0 - made)
    assert unmet["supplied_t"] == pytest.approx(made)
    assert r.cost_breakdown["unmet_penalty"] == pytest.approx(5000.0 * (15.0 - made))
    assert r.objective == pytest.approx(40.0 * 30.0 + 5000.0 * (15.0 - made))
    assert price(r, "demand", market="M", product="P1") == pytest.approx(5000.0)
    assert price(r, "supply", origin="A") == pytest.approx(-(5000.0 * YIELD_P1 - 40.0))


def test_default_penalty_applies_where_the_row_leaves_it_blank(micro: dict[str, pd.DataFrame]) -> None:
    # R1 only (30 t of P1 at most) against 40 t demanded: 10 t unmet at the solve's penalty.
    micro["ore_routes"] = micro["ore_routes"].iloc[[0]]
    r = oreflow.solve(oreflow.Network.from_frames(**micro), unmet_penalty_usd_per_t=1000.0)
    assert r.unmet["unmet_t"].sum() == pytest.approx(10.0)
    assert price(r, "demand", market="M", product="P1") == pytest.approx(1000.0)
    # capacity of R1 now saves 0.5 t unmet (500 USD) less its cost 35 + 0.5 freight
    assert price(r, "capacity", refiner="R1") == pytest.approx(-(500.0 - 35.5))
    r_default = oreflow.solve(oreflow.Network.from_frames(**micro))
    assert price(r_default, "demand", market="M", product="P1") == pytest.approx(1e7)


def test_shipments_exist_only_where_demanded(micro: dict[str, pd.DataFrame]) -> None:
    r = oreflow.solve(oreflow.Network.from_frames(**micro))
    assert set(r.shipments["product"]) == {"P1"}
    assert len(r.shipments) == 2


def test_result_keeps_network_unchanged(micro: dict[str, pd.DataFrame]) -> None:
    net = oreflow.Network.from_frames(**micro)
    before = dataclasses.asdict(net)["refiners"].copy()
    oreflow.solve(net)
    pd.testing.assert_frame_equal(net.refiners, before)
