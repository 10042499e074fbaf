"""Ranging (docs/conventions.md, "Ranging") on hand-solved micro models, checked by re-solves.

The two-refiner micro model (tests/conftest.py, solved by hand in tests/test_micro_models.py):
R1 runs at its 60 t capacity, R2 makes the other 10 t of P1; cost 4750 USD; P1 delivered via
R1 costs 71 USD/t, via R2 262 USD/t; route A->R1 costs 35 USD/t ore, A->R2 65 USD/t.

Hand-derived intervals:

- cost of A->R1: R2 stays the marginal source until R1's P1 is as dear as R2's:
  c/0.5 + 1 = 262, c = 130.5; down without limit (R1 is full already);
- cost of A->R2: R2 stays marginal while c/0.25 + 2 >= 71 (c >= 17.25) and cheaper than
  unmet demand, c/0.25 + 2 <= 1e7 (c <= 2,499,999.5);
- capacity[R1] (price -95.5): from 0 t (R2 makes everything: 10,480 USD) to 80 t (R1 alone
  makes the 40 t: 2,840 USD);
- demand[M,P1] (price 262): from 30 t (R1 alone: 2,130 USD) to 65 t (supply 200 t binds:
  4750 + 262 x 25 = 11,300 USD);
- supply[A] (slack, price 0): holds from the 100 t used upwards.

"Just inside" and "just outside" each finite end, a re-solve keeps / changes the price (rhs)
or the allocation (cost), and a re-solve at the end gives the objective the table states.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_micro_models import supply_model

import oreflow
from conftest import micro_frames
from oreflow import outputs
from oreflow.model.lp import build_lp
from oreflow.model.record import SolutionRecord
from oreflow.result import join_keys
from oreflow.solvers.highs import HighsModel, solve_highs
from oreflow.summary import summary_dict, summary_text

#: How far "just inside" / "just outside" an end is, relative to max(1, |end|).
STEP = 1e-4
MAX_SHARE = {"share_limits": pd.DataFrame({"market": ["M"], "product": ["P1"], "country": ["X"], "max_share": [0.5]})}


def micro(**extra: pd.DataFrame) -> oreflow.Network:
    return oreflow.Network.from_frames(**{**micro_frames(), **extra})


@pytest.fixture(scope="module")
def result() -> oreflow.Result:
    return oreflow.solve(micro())


def row(table: pd.DataFrame, **keys: str) -> pd.Series:
    mask = np.logical_and.reduce([table[column] == value for column, value in keys.items()])
    assert mask.sum() == 1, keys
    return table.loc[mask].iloc[0]


# ---------------------------------------------------------------------------------
# Re-solves with one cost or one right-hand side changed (LP units)
# ---------------------------------------------------------------------------------


def column_of(lp, origin: str, refiner: str) -> int:
    x = lp.columns["x"]
    return x.start + int(np.flatnonzero((x.index["origin"] == origin) & (x.index["refiner"] == refiner))[0])


def row_of(lp, family: str, key: str) -> int:
    block = lp.rows[family]
    return block.start + int(np.flatnonzero(join_keys(block.index).to_numpy() == key)[0])


def with_cost(network: oreflow.Network, origin: str, refiner: str, cost: float) -> SolutionRecord:
    lp = build_lp(network)
    lp.cost[column_of(lp, origin, refiner)] = cost
    return solve_highs(lp)


def with_rhs(network: oreflow.Network, family: str, key: str, rhs: float) -> SolutionRecord:
    lp = build_lp(network)
    i = row_of(lp, family, key)
    if lp.row_is_upper[i]:
        lp.row_upper[i] = rhs
    else:
        lp.row_lower[i] = rhs
    return solve_highs(lp)


def ends(lower: float, upper: float, current: float) -> list[tuple[float, float]]:
    """(end, direction away from the current value) for each finite end that is not the current value."""
    return [(end, sign) for end, sign in ((lower, -1.0), (upper, 1.0)) if math.isfinite(end) and end != current]


def near(end: float, sign: float, outside: bool) -> float:
    return end + (1.0 if outside else -1.0) * sign * STEP * max(1.0, abs(end))


# ---------------------------------------------------------------------------------
# Hand-derived intervals
# ---------------------------------------------------------------------------------


def test_cost_intervals_by_hand(result: oreflow.Result) -> None:
    costs = result.ranging["costs"]
    r1, r2 = row(costs, origin="A", refiner="R1"), row(costs, origin="A", refiner="R2")
    assert (r1.unit_cost_usd_per_t, r1.cost_lower_usd_per_t, r1.cost_upper_usd_per_t) == pytest.approx(
        (35.0, -math.inf, 130.5)
    )
    assert r1.objective_at_upper_usd == pytest.approx(4750.0 + (130.5 - 35.0) * 60.0)  # 10,480: R2 does it all
    assert (r2.cost_lower_usd_per_t, r2.cost_upper_usd_per_t) == pytest.approx((17.25, 2_499_999.5))
    assert r2.objective_at_lower_usd == pytest.approx(4750.0 - (65.0 - 17.25) * 40.0)  # 2,840
    assert r2.objective_at_upper_usd == pytest.approx(4750.0 + (2_499_999.5 - 65.0) * 40.0)
    assert not r1.allocation_changes_at_lower and r1.allocation_changes_at_upper  # unlimited end: no change
    assert r2.allocation_changes_at_lower and r2.allocation_changes_at_upper


def test_rhs_intervals_by_hand(result: oreflow.Result) -> None:
    rhs = result.ranging["rhs"]
    cap = row(rhs, family="capacity", key="R1")
    assert (cap.rhs, cap.shadow_price, cap.rhs_lower, cap.rhs_upper) == pytest.approx((60.0, -95.5, 0.0, 80.0))
    assert (cap.objective_at_lower_usd, cap.objective_at_upper_usd) == pytest.approx((10480.0, 2840.0))
    demand = row(rhs, family="demand", key="M/P1")
    assert (demand.shadow_price, demand.rhs_lower, demand.rhs_upper) == pytest.approx((262.0, 30.0, 65.0))
    assert (demand.objective_at_lower_usd, demand.objective_at_upper_usd) == pytest.approx((2130.0, 11300.0))
    supply = row(rhs, family="supply", key="A")
    assert (supply.shadow_price, supply.rhs_lower, supply.rhs_upper) == (0.0, 100.0, math.inf)
    unlimited = row(rhs, family="capacity", key="R2")  # rhs inf: price 0 down to R2's 40 t feed
    assert (unlimited.rhs, unlimited.rhs_lower, unlimited.rhs_upper) == (math.inf, 40.0, math.inf)
    assert list(rhs.columns) == [
        "family",
        "key",
        "rhs",
        "shadow_price",
        "rhs_lower",
        "rhs_upper",
        "objective_at_lower_usd",
        "objective_at_upper_usd",
        "price_changes_at_lower",
        "price_changes_at_upper",
        "binding",
    ]
    assert len(rhs) == build_lp(micro()).n_rows


# ---------------------------------------------------------------------------------
# Just inside and just outside each end
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize("refiner", ["R1", "R2"])
def test_cost_ends_by_resolving(result: oreflow.Result, refiner: str) -> None:
    """Inside the interval the allocation stays; just past a flagged end it changes."""
    entry = row(result.ranging["costs"], origin="A", refiner=refiner)
    base = result.allocations["ore_t"].to_numpy()
    flags = {-1.0: entry.allocation_changes_at_lower, 1.0: entry.allocation_changes_at_upper}
    found = ends(entry.cost_lower_usd_per_t, entry.cost_upper_usd_per_t, entry.unit_cost_usd_per_t)
    assert found
    for end, sign in found:
        x = build_lp(micro()).columns["x"].slice
        inside = with_cost(micro(), "A", refiner, near(end, sign, outside=False)).col_value[x]
        outside = with_cost(micro(), "A", refiner, near(end, sign, outside=True)).col_value[x]
        np.testing.assert_allclose(inside, base, atol=1e-6, err_msg=f"{refiner} at {end}")
        assert flags[sign] and not np.allclose(outside, base, atol=1e-6), (refiner, end)


@pytest.mark.parametrize(
    ("family", "key"),
    [("capacity", "R1"), ("demand", "M/P1"), ("supply", "A"), ("balance", "R1/P1"), ("balance", "R2/P1")],
)
def test_rhs_ends_by_resolving(result: oreflow.Result, family: str, key: str) -> None:
    """Inside the interval the shadow price holds; just past a flagged end it changes
    (or the LP turns infeasible, as below capacity 0)."""
    entry = row(result.ranging["rhs"], family=family, key=key)
    lp = build_lp(micro())
    i = row_of(lp, family, key)
    flags = {-1.0: entry.price_changes_at_lower, 1.0: entry.price_changes_at_upper}
    found = ends(entry.rhs_lower, entry.rhs_upper, entry.rhs)
    assert found
    for end, sign in found:
        inside = with_rhs(micro(), family, key, near(end, sign, outside=False))
        outside = with_rhs(micro(), family, key, near(end, sign, outside=True))
        assert inside.status == "optimal" and inside.row_dual[i] == pytest.approx(entry.shadow_price, abs=1e-9)
        changed = outside.status != "optimal" or outside.row_dual[i] != pytest.approx(entry.shadow_price, abs=1e-6)
        assert flags[sign] and changed, (family, key, end)


def test_objective_at_every_end_matches_a_resolve(result: oreflow.Result) -> None:
    costs = result.ranging["costs"]
    for entry in costs.itertuples(index=False):
        for end, objective in (
            (entry.cost_lower_usd_per_t, entry.objective_at_lower_usd),
            (entry.cost_upper_usd_per_t, entry.objective_at_upper_usd),
        ):
            if math.isfinite(end):
                assert with_cost(micro(), entry.origin, entry.refiner, end).objective == pytest.approx(objective)
    for entry in result.ranging["rhs"].itertuples(index=False):
        for end, objective in (
            (entry.rhs_lower, entry.objective_at_lower_usd),
            (entry.rhs_upper, entry.objective_at_upper_usd),
        ):
            if math.isfinite(end):
                resolved = with_rhs(micro(), entry.family, entry.key, end)
                assert resolved.objective == pytest.approx(objective), (entry.family, entry.key, end)


def test_share_limit_interval_in_percentage_points() -> None:
    """At most 50 % of M's P1 refined in X (R1): R1 ships 20 t, R2 20 t. Each point is 0.4 t
    moved from R2 (262 USD/t) to R1 (71): -76.4 USD/pp. It holds from 0 % up to 75 % (R1's
    60 t capacity makes 30 t = 75 % of 40 t); past 75 % the capacity binds instead: price 0."""
    entry = row(oreflow.solve(micro(**MAX_SHARE)).ranging["rhs"], family="share_limit")
    assert (entry.rhs, entry.shadow_price, entry.rhs_lower, entry.rhs_upper) == pytest.approx((50.0, -76.4, 0.0, 75.0))

    def price(share_pp: float) -> float:
        limits = MAX_SHARE["share_limits"].assign(max_share=[share_pp / 100.0])
        return float(oreflow.solve(micro(share_limits=limits)).shadow_prices["share_limit"]["shadow_price"].iloc[0])

    assert price(75.0 - 0.1) == pytest.approx(-76.4) and price(75.0 + 0.1) == 0.0
    assert price(0.1) == pytest.approx(-76.4)


# ---------------------------------------------------------------------------------
# Backends, the opt-in on HighsModel, and runs without a basis
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize("network", [micro, supply_model, lambda: micro(**MAX_SHARE)], ids=["micro", "idle", "share"])
def test_both_backends_report_the_same_ranging(network) -> None:
    highs, pyomo = oreflow.solve(network(), backend="highs"), oreflow.solve(network(), backend="pyomo")
    assert set(pyomo.ranging) == {"costs", "rhs"} and pyomo.ranging_note == highs.ranging_note
    for name in ("costs", "rhs"):
        pd.testing.assert_frame_equal(pyomo.ranging[name], highs.ranging[name], check_exact=False, rtol=1e-9)


def test_highs_model_ranges_only_when_asked() -> None:
    lp = build_lp(micro())
    plain = HighsModel(lp).solve()
    assert plain.ranging is None and plain.ranging_note == "not computed" and "ranging_s" not in plain.timings
    ranged = HighsModel(build_lp(micro())).solve(ranging=True)
    cold = solve_highs(build_lp(micro()))
    assert ranged.ranging is not None and "ranging_s" in ranged.timings
    np.testing.assert_array_equal(ranged.ranging.rhs_upper, cold.ranging.rhs_upper)


def test_interior_point_with_crossover_gives_the_simplex_ranging() -> None:
    simplex = solve_highs(build_lp(micro()))
    ipm = solve_highs(build_lp(micro()), {"solver": "ipm", "run_crossover": "on"})
    assert ipm.dual_method.startswith("interior point with crossover") and ipm.ranging is not None
    for name in ("cost_lower", "cost_upper", "rhs_lower", "rhs_upper", "rhs_objective_lower", "rhs_objective_upper"):
        np.testing.assert_allclose(getattr(ipm.ranging, name), getattr(simplex.ranging, name), err_msg=name)


@pytest.mark.parametrize(
    ("backend", "solver", "options"),
    [
        ("pyomo", "appsi_highs", None),
        ("highs", None, {"solver": "ipm", "run_crossover": "off"}),
    ],
)
def test_no_basis_no_ranging_and_the_result_says_why(backend, solver, options) -> None:
    r = oreflow.solve(micro(), backend=backend, solver=solver, solver_options=options)
    assert r.ranging == {} and "basis" in r.ranging_note
    assert not {"ranging_costs", "ranging_rhs"} & set(r.tables())
    assert f"Ranging: {r.ranging_note}" in summary_text(r, "t")


# ---------------------------------------------------------------------------------
# Summary and outputs
# ---------------------------------------------------------------------------------


def test_summary_states_where_each_binding_price_holds(result: oreflow.Result) -> None:
    text = summary_text(result, "t")
    assert "the capacity shadow price of R1 (-95.5 USD/t) holds from 0 t to 80 t" in text
    assert "the demand shadow price of M/P1 (262 USD/t) holds from 30 t to 65 t" in text
    assert "balance shadow price" not in text  # balance rows are in the table, not in the text
    entry = summary_dict(result, name="t", job=None, job_path=None)["ranging"]
    assert entry["note"] == "from the optimal basis (HiGHS getRanging)"
    listed = [(r["family"], r["key"], r["rhs_lower"], r["rhs_upper"]) for r in entry["binding_priced"]]
    assert listed == [
        ("demand", "M/P1", 30.0, 65.0),
        ("balance", "R1/P1", -25.0, 10.0),
        ("balance", "R2/P1", -25.0, 10.0),
        ("capacity", "R1", 0.0, 80.0),
    ]


def test_ranging_tables_are_written(result: oreflow.Result, tmp_path) -> None:
    names = outputs.write_tables(result, tmp_path)
    assert {"ranging_costs.csv", "ranging_rhs.csv"} <= set(names)
    written = pd.read_csv(tmp_path / "ranging_rhs.csv", keep_default_na=False, na_values=[""])
    # the written table adds the units of its bare columns, per row's family (Result.tables)
    assert written[["rhs_unit", "price_unit"]].drop_duplicates().values.tolist() == [["t", "USD/t"]]
    pd.testing.assert_frame_equal(
        written.drop(columns=["rhs_unit", "price_unit"]), result.ranging["rhs"], check_dtype=False
    )


@pytest.mark.parametrize("backend", ["highs", "pyomo"])
def test_ranging_can_be_skipped(tmp_path, backend: str) -> None:
    """ranging = false (job) or ranging=False (solve): no ranging tables, and the note says why."""
    from conftest import write_dataset, write_job
    from oreflow.cli import main

    frames = micro_frames()
    result = oreflow.solve(oreflow.Network.from_frames(**frames), backend=backend, ranging=False)
    assert result.ranging == {} and result.ranging_note == "not requested (ranging = false)"
    assert not any(name.startswith("ranging_") for name in result.tables())
    assert result.objective == pytest.approx(oreflow.solve(oreflow.Network.from_frames(**frames)).objective)
    write_dataset(tmp_path / "micro", frames)
    job = write_job(tmp_path / "job.toml", "micro", "out", f'backend = "{backend}"\nranging = false\n')
    assert main(["run", str(job), "--quiet"]) == 0
    assert not list((tmp_path / "out").glob("ranging_*.csv")) and (tmp_path / "out" / "summary.json").is_file()
    assert oreflow.solve(job).ranging == {} and oreflow.solve(job, ranging=True).ranging
