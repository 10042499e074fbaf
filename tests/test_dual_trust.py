"""Dual trust and degeneracy (docs/conventions.md, "Dual trust and degeneracy").

Three micro models, each with its degeneracy derived by hand:

- the two-refiner micro model (tests/conftest.py): non-degenerate; every price unique and
  the allocation unique;
- the idle refiner (``supply_model`` of tests/test_micro_models.py): R2 is idle, so its
  balance row reads 0 <= 0 (primal degenerate). Its price is any value in [-350, -300]:
  one more tonne of P at R2 saves 300 USD (it replaces ore B through R), one tonne less
  (R2 forced to make a tonne it cannot sell) costs 350 USD (ore B through R2). HiGHS reports
  one end, so the price is not unique; the allocation is (R2 is 50 USD/t dearer);
- a tie: both refiners cost the same per tonne of P1 delivered (processing 20, recovery 1,
  freight 1, capacity 200 each), R1 takes all 80 t of ore and A->R2 is unused at a zero
  reduced cost: an alternative optimal allocation through A->R2 exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_micro_models import supply_model

import oreflow
from conftest import REPO, micro_frames
from oreflow.model.lp import build_lp
from oreflow.model.solution import SHADOW_VALUE_COLUMNS
from oreflow.ranging import DualTrust
from oreflow.result import BINDING_TOLERANCE, ZERO_TOLERANCE
from oreflow.solvers.highs import solve_highs
from oreflow.summary import summary_dict, summary_text


def micro() -> oreflow.Network:
    return oreflow.Network.from_frames(**micro_frames())


def tie() -> oreflow.Network:
    frames = micro_frames()
    frames["refiners"] = frames["refiners"].assign(
        capacity_t=[200.0, 200.0], processing_cost_usd_per_t=[20.0, 20.0], recovery=[1.0, 1.0]
    )
    frames["product_routes"] = frames["product_routes"].assign(freight_usd_per_t=[1.0, 1.0])
    return oreflow.Network.from_frames(**frames)


def unique_flags(result: oreflow.Result, family: str) -> dict[str, object]:
    """``dual_unique`` of each row of a family by its key (``<NA>`` as None)."""
    table = result.shadow_prices[family]
    keys = table.drop(columns=list(SHADOW_VALUE_COLUMNS))
    flags = table["dual_unique"].astype(object).where(table["dual_unique"].notna(), None)
    return dict(zip(keys.astype(str).agg("/".join, axis=1), flags))


def left_and_right_price(network: oreflow.Network, family: str, key: str, step: float = 1.0) -> tuple[float, float]:
    """(v(b) - v(b - step)) / step and (v(b + step) - v(b)) / step for one row's rhs b."""

    def objective(delta: float) -> float:
        lp = build_lp(network)
        block = lp.rows[family]
        i = block.start + int(np.flatnonzero(block.index.astype(str).agg("/".join, axis=1).to_numpy() == key)[0])
        bounds = lp.row_upper if lp.row_is_upper[i] else lp.row_lower
        bounds[i] += delta
        return solve_highs(lp).objective

    base = objective(0.0)
    return (base - objective(-step)) / step, (objective(step) - base) / step


@pytest.fixture(scope="module", params=["highs", "pyomo"])
def backend(request) -> str:
    return request.param


# ---------------------------------------------------------------------------------
# Non-degenerate: unique
# ---------------------------------------------------------------------------------


def test_non_degenerate_model_is_certified_unique(backend: str) -> None:
    r = oreflow.solve(micro(), backend=backend)
    trust = r.dual_trust
    assert isinstance(trust, DualTrust)
    assert (trust.method, trust.has_basis, trust.unique_duals, trust.unique_allocation) == (
        "simplex basis",
        True,
        True,
        True,
    )
    assert (trust.degenerate_rows, trust.alternative_optima_columns, trust.alternative_optima_rows) == (0, 0, 0)
    assert trust.non_unique_prices == trust.undetermined_prices == trust.alternative_routes == ()
    for family, table in r.shadow_prices.items():
        assert table["dual_unique"].dtype == "boolean" and table["dual_unique"].all(), family
    assert not r.reduced_costs["alternative_optimum"].any()
    assert "Duals: simplex basis; unique; allocation unique" in summary_text(r, "t")


# ---------------------------------------------------------------------------------
# Primal degeneracy: the idle refiner's balance row
# ---------------------------------------------------------------------------------


def test_idle_refiner_balance_price_is_not_unique(backend: str) -> None:
    r = oreflow.solve(supply_model(), backend=backend)
    assert unique_flags(r, "balance") == {"R/P": True, "R2/P": False}
    assert unique_flags(r, "supply") == {"A": True, "B": True}
    assert unique_flags(r, "demand") == {"M/P": True}
    trust = r.dual_trust
    assert not trust.unique_duals and trust.degenerate_rows >= 1
    assert trust.non_unique_prices == ("balance[R2/P]",) and trust.undetermined_prices == ()
    assert trust.unique_allocation and not r.reduced_costs["alternative_optimum"].any()
    line = summary_text(r, "t").splitlines()[-1]
    assert line.startswith("Duals: simplex basis; not unique: ") and "balance[R2/P]" in line


def test_idle_refiner_price_is_one_end_of_its_interval() -> None:
    """The re-solves behind the flag: the cost falls 300 USD per tonne freed at R2 and rises
    350 USD per tonne taken away; the reported price is one of the two."""
    left, right = left_and_right_price(supply_model(), "balance", "R2/P")
    assert (left, right) == pytest.approx((-350.0, -300.0))
    table = oreflow.solve(supply_model()).shadow_prices["balance"].set_index(["refiner", "product"])
    assert table.loc[("R2", "P"), "shadow_price"] in (pytest.approx(-350.0), pytest.approx(-300.0))
    entry = oreflow.solve(supply_model()).ranging["rhs"].set_index(["family", "key"]).loc[("balance", "R2/P")]
    assert 0.0 in (entry.rhs_lower, entry.rhs_upper)  # the interval ends at the current rhs


# ---------------------------------------------------------------------------------
# Dual degeneracy: a tie between two equal-cost routes
# ---------------------------------------------------------------------------------


def test_tie_flags_the_alternative_route(backend: str) -> None:
    r = oreflow.solve(tie(), backend=backend)
    flags = r.reduced_costs.set_index(["origin", "refiner"])
    assert flags.loc[("A", "R2"), "alternative_optimum"] and flags.loc[("A", "R2"), "ore_t"] == 0.0
    assert not flags.loc[("A", "R1"), "alternative_optimum"]
    trust = r.dual_trust
    assert not trust.unique_allocation and trust.alternative_routes == ("A/R2",)
    assert trust.alternative_optima_columns >= 1
    assert "alternative optimal allocations may exist on 1 route (A/R2)" in summary_text(r, "t")


def test_tie_alternative_allocation_costs_the_same() -> None:
    """Forcing 40 t of ore through A->R2 (half of the 80 t) leaves the optimal cost unchanged."""
    base = oreflow.solve(tie())
    lp = build_lp(tie())
    x = lp.columns["x"]
    lp.col_lower[x.start + int(np.flatnonzero(x.index["refiner"] == "R2")[0])] = 40.0
    forced = solve_highs(lp)
    assert forced.objective == pytest.approx(base.objective)
    assert forced.col_value[x.slice] == pytest.approx([40.0, 40.0])


def test_tie_idle_balance_price_is_undetermined_and_in_fact_unique() -> None:
    """R2 idle again, but a tonne forced out of R2 costs what a tonne freed there saves
    (the refiners tie): the flag stays undetermined (<NA>), and the price is unique."""
    r = oreflow.solve(tie())
    assert unique_flags(r, "balance")["R2/P1"] is None
    assert "balance[R2/P1]" in r.dual_trust.undetermined_prices
    assert left_and_right_price(tie(), "balance", "R2/P1") == pytest.approx((-70.0, -70.0))
    assert "possibly not unique" in r.dual_trust.summary_line()


# ---------------------------------------------------------------------------------
# Backends agree; runs without a basis are flagged
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize("network", [micro, supply_model, tie], ids=["micro", "idle", "tie"])
def test_both_backends_agree_on_dual_trust(network) -> None:
    highs, pyomo = oreflow.solve(network(), backend="highs"), oreflow.solve(network(), backend="pyomo")
    assert pyomo.dual_trust == highs.dual_trust
    pd.testing.assert_frame_equal(pyomo.reduced_costs, highs.reduced_costs)
    for family in highs.shadow_prices:
        pd.testing.assert_series_equal(
            pyomo.shadow_prices[family]["dual_unique"], highs.shadow_prices[family]["dual_unique"]
        )


@pytest.mark.parametrize(
    ("backend", "solver", "options", "method"),
    [
        ("pyomo", "appsi_highs", None, "solver duals"),
        ("highs", None, {"solver": "ipm", "run_crossover": "off"}, "interior point without crossover, no basis"),
    ],
)
def test_duals_without_a_basis_are_never_silent(backend, solver, options, method) -> None:
    r = oreflow.solve(micro(), backend=backend, solver=solver, solver_options=options)
    trust = r.dual_trust
    assert (trust.method, trust.has_basis, trust.unique_duals, trust.unique_allocation) == (method, False, False, False)
    assert trust.degenerate_rows is None and trust.alternative_optima_rows is None
    assert r.shadow_prices["capacity"]["dual_unique"].isna().all()
    assert "WARNING: duals without a basis" in summary_text(r, "t")
    assert summary_dict(r, name="t", job=None, job_path=None)["dual_trust"]["has_basis"] is False


def test_summary_json_carries_dual_trust() -> None:
    entry = summary_dict(oreflow.solve(supply_model()), name="t", job=None, job_path=None)["dual_trust"]
    assert entry["method"] == "simplex basis" and entry["unique_duals"] is False
    assert entry["non_unique_prices"] == ["balance[R2/P]"]
    assert entry["ranging"] == "from the optimal basis (HiGHS getRanging)"


def test_conventions_document_the_sections_and_tolerances() -> None:
    text = (REPO / "docs" / "conventions.md").read_text(encoding="utf-8")
    assert "\n## Ranging\n" in text and "\n## Dual trust and degeneracy\n" in text
    section = " ".join(text.split("\n## Dual trust and degeneracy\n", 1)[1].split())
    assert "`BINDING_TOLERANCE × max(1, |bound|)` of it (1e-6" in section
    assert "`ZERO_TOLERANCE` (1e-9" in section
    assert (BINDING_TOLERANCE, ZERO_TOLERANCE) == (1e-6, 1e-9)
