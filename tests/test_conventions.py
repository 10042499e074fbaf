"""The rules of docs/conventions.md, checked on the default dataset and a micro model.

- shadow_price = d(optimal total cost) / d(right-hand side): a finite difference agrees;
- strong duality: objective = sum over rows of shadow_price * rhs, plus each column's
  reduced cost times its value (non-zero only for a column at a finite bound: the demand
  curves' full steps) plus the objective's constant (the curves' -WTP of the reference);
- signs: supply, capacity, balance prices <= 0; demand prices >= 0;
- complementary slackness: a non-zero shadow price only on a binding row;
- binding: slack <= 1e-6 * max(1, |rhs|); slack >= 0; inf rhs -> inf slack, not binding;
- reduced costs of ore routes are >= 0 and zero on routes that carry flow.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import oreflow
from conftest import BASELINE_DATASET
from oreflow.solvers.highs import solve_highs


@pytest.fixture(scope="module")
def network() -> oreflow.Network:
    return oreflow.load_inputs(BASELINE_DATASET)


@pytest.fixture(scope="module")
def result(network: oreflow.Network) -> oreflow.Result:
    return oreflow.solve(network)


def test_strong_duality(result: oreflow.Result) -> None:
    assert result.lp is not None and len(result.lp.columns["q"].index)  # the dataset has demand curves
    dual_objective = 0.0
    for table in result.shadow_prices.values():
        finite = np.isfinite(table["rhs"].to_numpy())
        dual_objective += float((table["shadow_price"].to_numpy() * table["rhs"].to_numpy())[finite].sum())
    record = solve_highs(result.lp, ranging=False)
    dual_objective += float(record.col_dual @ record.col_value) + result.lp.offset
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
        ("demand", "demand", "market", "CN", "demand_t", "Tb"),
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
    """Re-solving with the right-hand side one tonne higher changes cost by the shadow price.
    A demand row with a curve: demand_t also places the curve, so its right-hand side is
    raised in the LP itself (one more tonne of demand on top of the curve)."""
    prices = result.shadow_prices[family]
    mask = prices[key] == key_value
    if product is not None:
        mask &= prices["product"] == product
    expected = float(prices.loc[mask, "shadow_price"].iloc[0])
    assert expected != 0
    if family == "demand":
        assert result.lp is not None
        lp = result.lp
        row = lp.rows["demand"].start + int(np.flatnonzero(mask.to_numpy())[0])
        lower = lp.row_lower.copy()
        lower[row] += 0.1  # within the curve step that holds the equilibrium (steps are ~1 % wide)
        bumped_objective = result.objective + 10.0 * (
            solve_highs(dataclasses.replace(lp, row_lower=lower), ranging=False).objective - result.objective
        )
    else:
        bumped_objective = oreflow.solve(_bump(network, table, key, key_value, column, 1.0, product)).objective
    assert bumped_objective - result.objective == pytest.approx(expected, rel=1e-4, abs=1e-3)


def test_written_price_tables_carry_their_units() -> None:
    """docs/conventions.md, "Output columns": every shadow-price table as written names the unit
    of its bare columns: a share limit's in percentage points, its price in USD per point."""
    from oreflow.model.families import FAMILIES_BY_NAME, SHARE_LIMIT
    from oreflow.result import with_units

    frame = pd.DataFrame({"market": ["US"], "rhs": [50.0], "shadow_price": [-1.0]})
    assert with_units(frame, SHARE_LIMIT)[["rhs_unit", "price_unit"]].iloc[0].tolist() == [
        "%",
        FAMILIES_BY_NAME[SHARE_LIMIT].price_unit_short,
    ]
    ranging = pd.DataFrame({"family": [SHARE_LIMIT, "nonesuch"], "rhs": [1.0, 2.0]})
    assert with_units(ranging)["rhs_unit"].tolist() == ["%", ""]
