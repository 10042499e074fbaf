"""The rules of docs/conventions.md, checked on the default dataset and a micro model.

- shadow_price = d(optimal total cost) / d(right-hand side): a finite difference agrees;
- strong duality: objective = sum over rows of shadow_price * rhs (all columns are >= 0
  with no upper bound, so the rows carry the whole dual objective);
- signs: supply, capacity, balance prices <= 0; demand prices >= 0;
- complementary slackness: a non-zero shadow price only on a binding row;
- binding: slack <= 1e-6 * max(1, |rhs|); slack >= 0; inf rhs -> inf slack, not binding;
- reduced costs of ore routes are >= 0 and zero on routes that carry flow.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import oreflow
from conftest import BASELINE_DATASET


@pytest.fixture(scope="module")
def network() -> oreflow.Network:
    return oreflow.load_inputs(BASELINE_DATASET)


@pytest.fixture(scope="module")
def result(network: oreflow.Network) -> oreflow.Result:
    return oreflow.solve(network)


def test_strong_duality(result: oreflow.Result) -> None:
    dual_objective = 0.0
    for table in result.shadow_prices.values():
        finite = np.isfinite(table["rhs"].to_numpy())
        dual_objective += float((table["shadow_price"].to_numpy() * table["rhs"].to_numpy())[finite].sum())
    assert dual_objective == pytest.approx(result.objective, rel=1e-7)


def test_signs(result: oreflow.Result) -> None:
    for family in ("supply", "capacity", "balance"):
        assert (result.shadow_prices[family]["shadow_price"] <= 0).all(), family
    assert (result.shadow_prices["demand"]["shadow_price"] >= 0).all()


def test_complementary_slackness_and_binding(result: oreflow.Result) -> None:
    for family, table in result.shadow_prices.items():
        priced = table["shadow_price"] != 0
        assert table.loc[priced, "binding"].all(), family
        assert (table["slack"] >= 0).all(), family
        rhs = table["rhs"].to_numpy()
        expected = table["slack"].to_numpy() <= 1e-6 * np.maximum(1.0, np.abs(np.where(np.isinf(rhs), 0, rhs)))
        assert (table["binding"].to_numpy() == expected).all(), family
        assert not table.loc[np.isinf(rhs), "binding"].any()


def test_reduced_costs(result: oreflow.Result) -> None:
    rc = result.reduced_costs
    assert (rc["reduced_cost_usd_per_t"] >= -1e-6).all()
    assert (rc.loc[rc["ore_t"] > 1e-6, "reduced_cost_usd_per_t"].abs() < 1e-6).all()


def _bump(
    network: oreflow.Network,
    table: str,
    key: str,
    key_value: str,
    column: str,
    delta: float,
    product: str | None = None,
) -> oreflow.Network:
    frame = getattr(network, table).copy()
    mask = frame[key] == key_value
    if product is not None:
        mask &= frame["product"] == product
    frame.loc[mask, column] += delta
    return dataclasses.replace(network, **{table: frame})


@pytest.mark.parametrize(
    ("family", "table", "key", "key_value", "column", "product"),
    [
        ("capacity", "refiners", "refiner", "CN_Ganzhou_CREG", "capacity_t", None),
        ("capacity", "refiners", "refiner", "CN_Leshan_Import", "capacity_t", None),
        ("supply", "origins", "origin", "CN_BayanObo", "supply_t", None),
        ("demand", "demand", "market", "US", "demand_t", "NdPr"),
        ("demand", "demand", "market", "JP", "demand_t", "Tb"),
    ],
)
def test_shadow_price_is_the_finite_difference(
    network: oreflow.Network,
    result: oreflow.Result,
    family: str,
    table: str,
    key: str,
    key_value: str,
    column: str,
    product: str | None,
) -> None:
    """Re-solving with the right-hand side one tonne higher changes cost by the shadow price."""
    prices = result.shadow_prices[family]
    mask = prices[key] == key_value
    if product is not None:
        mask &= prices["product"] == product
    expected = float(prices.loc[mask, "shadow_price"].iloc[0])
    assert expected != 0
    bumped = oreflow.solve(_bump(network, table, key, key_value, column, 1.0, product))
    assert bumped.objective - result.objective == pytest.approx(expected, rel=1e-4, abs=1e-3)
