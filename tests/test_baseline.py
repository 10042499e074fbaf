"""The default dataset's headline figures (inputs/rare_earths_2024/README.md, feasibility check)."""

from __future__ import annotations

import pytest

import oreflow
from conftest import BASELINE_DATASET, BASELINE_JOB


@pytest.fixture(scope="module")
def baseline() -> oreflow.Result:
    return oreflow.solve(BASELINE_JOB)


def test_baseline_solves_to_optimal_with_basis_duals(baseline: oreflow.Result) -> None:
    assert baseline.status == "optimal"
    assert baseline.dual_method.startswith("simplex basis")
    # the objective is total cost minus the willingness to pay of what the curves consume
    assert baseline.cost_breakdown["total"] == pytest.approx(baseline.objective, rel=1e-9)
    assert baseline.welfare["total_cost"] == pytest.approx(3.128e9, rel=1e-3)
    assert baseline.welfare["welfare"] == pytest.approx(-baseline.objective, rel=1e-9)


def test_baseline_dataset_shape() -> None:
    net = oreflow.load_inputs(BASELINE_DATASET)
    assert (len(net.origins), len(net.refiners), len(net.products), len(net.markets)) == (10, 10, 6, 5)
    assert len(net.contracts) == 4
    assert net.demand["elasticity"].notna().all() and net.demand["reference_price_usd_per_t"].notna().all()


def test_baseline_meets_all_demand(baseline: oreflow.Result) -> None:
    assert baseline.unmet["unmet_t"].sum() == 0
    assert baseline.cost_breakdown["unmet_penalty"] == 0


def test_baseline_prices_are_on_their_curves_and_abroad_add_freight(baseline: oreflow.Result) -> None:
    """NdPr near 2024's 56 USD/kg in China, 300 USD/t more abroad (freight 500 vs 200); no
    price rests on a penalty, a cap or a co-product's freight."""
    market = baseline.market.set_index(["market", "product"])
    cn = market.loc[("CN", "NdPr"), "price_usd_per_t"]
    assert 50_000 < cn < 62_000
    for abroad in ("JP", "EU", "US"):
        assert market.loc[(abroad, "NdPr"), "price_usd_per_t"] == pytest.approx(cn + 300, abs=1.0)
    assert not market["surplus"].any() and (market["note"] == "").all()
    assert (market["price_usd_per_t"] < 2 * market["reference_price_usd_per_t"]).all()


def test_baseline_dy_clears_near_its_reference(baseline: oreflow.Result) -> None:
    produced = baseline.production.groupby("product")["produced_t"].sum()
    consumed = baseline.market.groupby("product")["quantity_t"].sum()
    assert produced["Dy"] == pytest.approx(consumed["Dy"], rel=1e-6)  # none left unsold: priced by its curve
    reference = baseline.market.groupby("product")["reference_demand_t"].sum()
    assert consumed["Dy"] == pytest.approx(reference["Dy"], rel=0.02)


def test_baseline_chinese_separation_capacity_binds(baseline: oreflow.Result) -> None:
    cap = baseline.shadow_prices["capacity"].set_index("refiner")
    binding = set(cap.index[cap["binding"] & (cap["shadow_price"] < 0)])
    assert binding == {"CN_Baotou", "CN_Ganzhou_CREG", "CN_Leshan_Import"}
    assert -2_500 < cap.loc["CN_Ganzhou_CREG", "shadow_price"] < -1_500


def test_baseline_us_ore_follows_its_contracts(baseline: oreflow.Result) -> None:
    """The MP-Shenghe offtake sends 32,000 t to China; MP separates 12,000 t itself at a loss
    (its contract's price is what one more tonne of it costs)."""
    a = baseline.allocations
    us = a.loc[a.origin_country == "US"].groupby("refiner_country")["ore_t"].sum()
    assert us["CN"] == pytest.approx(32_000) and us["US"] == pytest.approx(12_000)
    contract = baseline.shadow_prices["contract"].set_index("contract")["shadow_price"]
    assert contract["MP_inhouse"] > 1_000 and contract["MP_Shenghe_offtake"] > 0
