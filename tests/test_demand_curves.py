"""Price-responsive demand on the micro model, solved by hand (docs/formulation.md,
"Price-responsive demand"; docs/conventions.md, "Market prices").

The micro model (tests/conftest.py): P1 costs 71 USD/t delivered from R1 while R1's 60 t of
ore capacity last (30 t of P1: ore 35 USD/t, 0.5 t P1 per t, freight 1), then 262 USD/t
from R2 (ore 65 USD/t, 0.25 t P1 per t, freight 2). Market M's demand for P1 gets a curve
through (40 t, 200 USD/t) with elasticity -0.5. Its linear form has the slope of the
constant-elasticity curve at the reference point, 200 / (-0.5 x 40) = -10 USD/t per t:

    P(q) = 200 - 10 (q - 40) = 600 - 10 q,   WTP(q) = 600 q - 5 q^2.

Equilibrium: R1 alone gives 30 t, where P = 300 > 71, so R2 runs and sets the price at
262 USD/t: q = (600 - 262) / 10 = 33.8 t (3.8 t from R2: 15.2 t of ore).

- total cost = R1: 60 x 35 + 30 x 1 = 2,130; R2: 15.2 x 65 + 3.8 x 2 = 995.6; = 3,125.6
- WTP(33.8) = 600 x 33.8 - 5 x 33.8^2 = 14,567.8;  objective = 3,125.6 - 14,567.8 = -11,442.2
- consumer surplus = (600 - 262) x 33.8 / 2 = 5,712.2
- R1's capacity rent = 60 x (0.5 x (262 - 1) - 35) = 5,730; welfare = 5,712.2 + 5,730 = 11,442.2
- capacity price of R1 = -(0.5 x 261 - 35) = -95.5 USD/t
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import oreflow
from conftest import micro_frames
from oreflow.errors import InputError
from oreflow.model.market import MarketOptions

LINEAR = MarketOptions(demand_form="linear")


def curve_network(elasticity: float = -0.5, supply_t: float = 200.0, **demand: object) -> oreflow.Network:
    frames = micro_frames()
    frames["demand"] = frames["demand"].assign(reference_price_usd_per_t=200.0, elasticity=elasticity, **demand)
    frames["origins"] = frames["origins"].assign(supply_t=supply_t)
    return oreflow.Network.from_frames(**frames)


def market_row(result: oreflow.Result) -> pd.Series:
    return result.market.set_index(["market", "product"]).loc[("M", "P1")]


def test_linear_curve_equilibrium_and_surpluses_by_hand():
    result = oreflow.solve(curve_network(), market=LINEAR)
    row = market_row(result)
    assert row["price_usd_per_t"] == pytest.approx(262.0, abs=1e-5)
    assert row["quantity_t"] == pytest.approx(33.8, abs=1e-5)
    assert row["demand_change_t"] == pytest.approx(-6.2, abs=1e-5)
    assert row["consumer_surplus_usd"] == pytest.approx(5712.2, abs=1e-3)  # the QP's duals: 1e-8 relative
    assert row["willingness_to_pay_usd"] == pytest.approx(14567.8, abs=1e-3)
    assert bool(row["curve"]) and not bool(row["surplus"])
    assert result.objective == pytest.approx(-11442.2, abs=1e-3)
    assert result.cost_breakdown["total"] == pytest.approx(result.objective, abs=1e-5)
    assert result.cost_breakdown["willingness_to_pay"] == pytest.approx(-14567.8, abs=1e-3)
    welfare = result.welfare
    assert welfare["total_cost"] == pytest.approx(3125.6, abs=1e-3)
    assert welfare["welfare"] == pytest.approx(11442.2, abs=1e-3)
    assert welfare["refiner_rents"] == pytest.approx(5730.0, abs=1e-3)
    assert welfare["origin_rents"] == pytest.approx(0.0, abs=1e-5)
    assert welfare["other"] == pytest.approx(0.0, abs=1e-3)
    capacity = result.shadow_prices["capacity"].set_index("refiner")["shadow_price"]
    assert capacity["R1"] == pytest.approx(-95.5, abs=1e-5)
    assert "QP" in result.ranging_note


@pytest.mark.parametrize("steps", [10, 100, 1000])
def test_steps_of_the_linear_curve_converge_to_the_qp(steps: int):
    """The stepped linear curve's quantity is the QP's to within one step (width 40/(steps/2)
    below the reference), and its welfare converges to the QP's from below."""
    exact = oreflow.solve(curve_network(), market=LINEAR)
    stepped = oreflow.solve(curve_network(), market=MarketOptions(demand_form="linear_steps", demand_steps=steps))
    width = 40.0 / (steps // 2)
    assert abs(market_row(stepped)["quantity_t"] - 33.8) <= width + 1e-9
    assert market_row(stepped)["price_usd_per_t"] == pytest.approx(262.0, abs=1e-6)
    gap = stepped.objective - exact.objective
    assert 0 <= gap <= 10.0 * width**2 / 8 + 1e-6  # WTP of a half step: |slope| x width^2 / 8


def test_constant_elasticity_steps_lie_on_their_curve():
    """Default form: q = 40 (262/200)^-0.5 = 34.949 t on the continuous curve; the stepped
    solution's quantity lies within the step that holds it, and the price is on the grid."""
    result = oreflow.solve(curve_network())
    row = market_row(result)
    assert row["price_usd_per_t"] == pytest.approx(262.0, abs=1e-6)
    exact = 40.0 * (262.0 / 200.0) ** -0.5
    ratio = 10.0 ** (1 / 100)  # price step of the default grid (200 steps, 100 between the cap and P0)
    assert 40.0 * (262.0 * ratio / 200.0) ** -0.5 <= row["quantity_t"] <= 40.0 * (262.0 / ratio / 200.0) ** -0.5
    assert row["quantity_t"] == pytest.approx(exact, rel=0.005)


def test_a_supply_cut_raises_the_price_and_lowers_the_quantity():
    """With 70 t of ore, R1 takes 60 and R2 10: q = 30 + 2.5 = 32.5 t, P = 600 - 325 = 275."""
    base = market_row(oreflow.solve(curve_network(), market=LINEAR))
    cut = oreflow.solve(curve_network(supply_t=70.0), market=LINEAR)
    row = market_row(cut)
    assert row["quantity_t"] == pytest.approx(32.5, abs=1e-6)
    assert row["price_usd_per_t"] == pytest.approx(275.0, abs=1e-5)
    assert row["quantity_t"] < base["quantity_t"] and row["price_usd_per_t"] > base["price_usd_per_t"]
    supply = cut.shadow_prices["supply"].set_index("origin")["shadow_price"]
    assert supply["A"] == pytest.approx(-(0.25 * (275.0 - 2.0) - 65.0), abs=1e-5)  # -3.25 USD/t


def test_every_form_prices_the_same_demand_row_the_same_way():
    """All three forms agree on the price; the LP forms range their prices, the QP does not."""
    prices = {
        form: market_row(oreflow.solve(curve_network(), market=MarketOptions(demand_form=form)))["price_usd_per_t"]
        for form in ("steps", "linear_steps", "linear")
    }
    assert prices == pytest.approx({"steps": 262.0, "linear_steps": 262.0, "linear": 262.0}, abs=1e-5)


def test_a_fixed_demand_with_a_reference_price_is_penalised_at_a_multiple_of_it():
    """Without an elasticity the row is fixed; unmet, it costs 10 x 200 USD/t (not 1e7)."""
    frames = micro_frames()
    frames["demand"] = frames["demand"].assign(reference_price_usd_per_t=200.0, demand_t=500.0)
    result = oreflow.solve(oreflow.Network.from_frames(**frames))
    unmet = result.unmet.iloc[0]
    assert unmet["unmet_t"] > 0
    assert unmet["penalty_usd_per_t"] == pytest.approx(2000.0)
    assert market_row(result)["price_usd_per_t"] == pytest.approx(2000.0)
    assert math.isnan(market_row(result)["consumer_surplus_usd"])


def test_the_curve_prices_out_all_demand_when_supply_runs_out():
    """With no ore at all nothing is consumed, nothing is unmet (demand is priced out, not
    short), and the price is at least the cap (10 x 200): every step of the curve is given up,
    which the market table says rather than showing the cap as a market price."""
    result = oreflow.solve(curve_network(supply_t=0.0))
    row = market_row(result)
    assert row["quantity_t"] == pytest.approx(0.0, abs=1e-9)
    assert row["price_usd_per_t"] >= 2000.0
    assert "price cap" in row["note"]
    assert "price cap" not in market_row(oreflow.solve(curve_network()))["note"]
    assert row["demand_change_t"] == pytest.approx(-40.0)
    assert result.unmet["unmet_t"].sum() == 0.0


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("elasticity", 0.5, "a number < 0"),
        ("elasticity", "inf", "a number < 0"),
        ("reference_price_usd_per_t", 0.0, "a number > 0"),
        ("elasticity", -20.0, "an elasticity from -10 to -0.01"),
    ],
)
def test_bad_curve_numbers_are_named(column: str, value: object, expected: str):
    frames = micro_frames()
    frames["demand"] = frames["demand"].assign(reference_price_usd_per_t=200.0, elasticity=-0.5)
    frames["demand"][column] = [value]
    with pytest.raises(InputError) as caught:
        oreflow.Network.from_frames(**frames)
    problem = caught.value.problems[0]
    assert "demand.csv" in problem.file and (problem.line, problem.column) == (2, column)
    assert expected in problem.expected


def test_an_elasticity_without_a_reference_price_is_an_error():
    frames = micro_frames()
    frames["demand"] = frames["demand"].assign(elasticity=-0.5)
    with pytest.raises(InputError) as caught:
        oreflow.Network.from_frames(**frames)
    assert any(p.column == "reference_price_usd_per_t" and p.line == 2 for p in caught.value.problems)


def test_options_are_checked():
    with pytest.raises(ValueError, match="demand_form"):
        MarketOptions(demand_form="cubic")
    with pytest.raises(ValueError, match="demand_steps"):
        MarketOptions(demand_steps=1)
    assert np.isclose(MarketOptions().price_cap_multiple, 10.0)


@pytest.mark.parametrize(("demand_t", "fragile"), [(30.2, True), (40.0, False)])
def test_a_price_near_a_basis_change_is_flagged_fragile(demand_t: float, fragile: bool):
    """docs/conventions.md, "Fragile prices": with fixed demand, 30 t of P1 come from R1 at
    71 USD/t and more from R2 at 262 USD/t; at 30.2 t the price (262) holds only down to 30 t,
    0.2 t (0.7 % of the rhs) away, past which it falls to 71: fragile. At 40 t it is not."""
    frames = micro_frames()
    frames["demand"] = frames["demand"].assign(demand_t=demand_t)
    result = oreflow.solve(oreflow.Network.from_frames(**frames))
    demand = result.shadow_prices["demand"].iloc[0]
    assert demand["shadow_price"] == pytest.approx(262.0)
    assert bool(demand["fragile"]) is fragile
    row = market_row(result)
    assert bool(row["fragile"]) is fragile and (("fragile" in row["note"]) is fragile)
    unranged = oreflow.solve(oreflow.Network.from_frames(**frames), ranging=False)
    assert unranged.shadow_prices["demand"]["fragile"].isna().all()


def test_a_co_product_in_surplus_is_said_to_be_one():
    """P2 is recovered with P1 and has no buyer; give M a small P2 demand: R1 makes 30 t of
    P2 for 30 t of P1, so P2 is in surplus and priced at freight only (1 USD/t from R1)."""
    frames = micro_frames()
    frames["demand"] = pd.DataFrame({"market": ["M", "M"], "product": ["P1", "P2"], "demand_t": [40.0, 5.0]})
    result = oreflow.solve(oreflow.Network.from_frames(**frames))
    row = result.market.set_index(["market", "product"]).loc[("M", "P2")]
    assert row["price_usd_per_t"] == pytest.approx(1.0)
    assert bool(row["surplus"]) and row["note"] == "P2: supply exceeds demand; its price is freight only"
    assert not bool(market_row(result)["surplus"])


def test_the_market_price_lies_on_the_curve_under_a_share_limit():
    """At most 50 % of M's reference 40 t of P1 refined in X (R1): R1 gives 20 t, R2 the rest at
    262 USD/t, consumed where the linear curve reaches 262 (33.8 t). The market price is that
    262 on the curve; the demand row's reported price also carries the limit (share x its dual)."""
    frames = micro_frames()
    frames["demand"] = frames["demand"].assign(reference_price_usd_per_t=200.0, elasticity=-0.5)
    frames["share_limits"] = pd.DataFrame({"market": ["M"], "product": ["P1"], "country": ["X"], "max_share": [0.5]})
    result = oreflow.solve(oreflow.Network.from_frames(**frames), market=LINEAR)
    row = market_row(result)
    assert row["price_usd_per_t"] == pytest.approx(262.0, abs=1e-4)
    assert row["quantity_t"] == pytest.approx(33.8, abs=1e-4)
    assert 600 - 10 * row["quantity_t"] == pytest.approx(row["price_usd_per_t"], abs=1e-3)  # on the curve
    family = result.shadow_prices["demand"]["shadow_price"].iloc[0]
    assert family != pytest.approx(row["price_usd_per_t"], abs=1.0)
