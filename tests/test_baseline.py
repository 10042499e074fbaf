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
    assert baseline.objective == pytest.approx(2_693_425_047, rel=1e-6)
    assert baseline.cost_breakdown["total"] == pytest.approx(baseline.objective, rel=1e-9)


def test_baseline_dataset_shape() -> None:
    net = oreflow.load_inputs(BASELINE_DATASET)
    assert (len(net.origins), len(net.refiners), len(net.products), len(net.markets)) == (10, 10, 6, 5)


def test_baseline_meets_all_demand(baseline: oreflow.Result) -> None:
    assert baseline.unmet["unmet_t"].sum() == 0
    assert baseline.cost_breakdown["unmet_penalty"] == 0


def test_baseline_ndpr_and_tb_are_tight_everywhere(baseline: oreflow.Result) -> None:
    demand = baseline.shadow_prices["demand"].set_index(["market", "product"])
    for market in ("CN", "JP", "EU", "US", "RoW"):
        assert demand.loc[(market, "NdPr"), "shadow_price"] == pytest.approx(
            66_308 - (300 if market == "CN" else 0), abs=1.0
        )
        assert demand.loc[(market, "Tb"), "shadow_price"] > 800_000
        # La/Ce is in surplus (free disposal): its price is product freight only
        assert demand.loc[(market, "LaCe"), "shadow_price"] == (200 if market == "CN" else 500)


def test_baseline_dy_is_close_to_its_limit(baseline: oreflow.Result) -> None:
    produced = baseline.production.groupby("product")["produced_t"].sum()
    assert 1900 <= produced["Dy"] <= 1.05 * 1900


def test_baseline_chinese_separation_capacity_binds(baseline: oreflow.Result) -> None:
    cap = baseline.shadow_prices["capacity"].set_index("refiner")
    binding = set(cap.index[cap["binding"] & (cap["shadow_price"] < 0)])
    assert binding == {"CN_Baotou", "CN_Ganzhou_CREG", "CN_Leshan_Import"}
    assert cap.loc["CN_Ganzhou_CREG", "shadow_price"] == pytest.approx(-2649, abs=1.0)


def test_baseline_us_ore_is_refined_in_china(baseline: oreflow.Result) -> None:
    a = baseline.allocations
    us = a.loc[a.origin_country == "US"].groupby("refiner_country")["ore_t"].sum()
    assert us.get("CN", 0.0) > 30_000
    assert us.drop("CN", errors="ignore").sum() == 0
