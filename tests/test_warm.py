"""Warm re-solves of a loaded HiGHS model equal cold solves of the changed LP."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import oreflow
from conftest import BASELINE_DATASET
from oreflow.model.lp import build_lp
from oreflow.solvers.highs import HighsModel, solve_highs


@pytest.fixture(scope="module")
def network() -> oreflow.Network:
    return oreflow.load_inputs(BASELINE_DATASET)


def test_cost_change_resolves_warm(network: oreflow.Network) -> None:
    lp = build_lp(network)
    model = HighsModel(lp)
    first = model.solve()
    rng = np.random.default_rng(7)
    x = lp.columns["x"]
    flowing = x.start + np.flatnonzero(first.col_value[x.slice] > 1.0)  # a change the optimum must feel
    cols = rng.choice(flowing, size=max(1, len(flowing) // 3), replace=False)
    new_costs = lp.cost[cols] * rng.uniform(0.7, 1.3, size=len(cols))
    changed = copy.deepcopy(lp)
    changed.cost[cols] = new_costs
    model.set_costs(cols, new_costs)
    assert model.highs.getOptionValue("simplex_strategy") is not None
    warm = model.solve()
    cold = solve_highs(changed)
    assert warm.status == cold.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.objective != pytest.approx(first.objective, rel=1e-9)
    assert warm.iterations <= cold.iterations


def test_bound_change_resolves_warm(network: oreflow.Network) -> None:
    lp = build_lp(network)
    model = HighsModel(lp)
    model.solve()
    cap = lp.rows["capacity"]
    rows = np.arange(cap.start, cap.stop)
    upper = lp.row_upper[rows] * 0.9
    changed = copy.deepcopy(lp)
    changed.row_upper[rows] = upper
    model.set_row_bounds(rows, lp.row_lower[rows], upper)
    warm = model.solve()
    cold = solve_highs(changed)
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    np.testing.assert_allclose(warm.row_dual, cold.row_dual, atol=1e-6 * max(1.0, abs(cold.objective)) ** 0.5)


def test_explicit_strategy_is_respected(network: oreflow.Network) -> None:
    lp = build_lp(network)
    model = HighsModel(lp, {"simplex_strategy": 1})
    model.solve()
    model.set_costs(np.array([0]), np.array([lp.cost[0] + 1.0]))
    model.solve()
    strategy = model.highs.getOptionValue("simplex_strategy")
    assert (strategy[1] if isinstance(strategy, tuple) else strategy) == 1


def test_algorithm_choice_by_size_and_caller_override(network: oreflow.Network) -> None:
    from types import SimpleNamespace

    from oreflow.solvers.highs import IPM_FROM_NONZEROS, effective_options

    small = build_lp(network)
    assert effective_options(small)["solver"] == "simplex" and effective_options(small)["simplex_strategy"] == 1
    large = SimpleNamespace(matrix=SimpleNamespace(nnz=IPM_FROM_NONZEROS))
    assert effective_options(large) == {"output_flag": False, "solver": "ipm", "run_crossover": "on"}
    # a caller who picks any algorithm option gets exactly their choice
    assert effective_options(large, {"simplex_strategy": 4}) == {"output_flag": False, "simplex_strategy": 4}
    record = HighsModel(small).solve()
    assert record.dual_method == "simplex basis (HiGHS)" and "'simplex'" in record.solver


def test_ipm_default_still_gives_basis_duals(network: oreflow.Network) -> None:
    lp = build_lp(network)
    ipm = HighsModel(lp, {"solver": "ipm", "run_crossover": "on"}).solve()
    simplex = HighsModel(lp).solve()
    assert ipm.dual_method == "interior point with crossover (HiGHS)"
    assert ipm.objective == pytest.approx(simplex.objective, rel=1e-9)


def test_resolve_policy_for_large_lps(network: oreflow.Network, monkeypatch: pytest.MonkeyPatch) -> None:
    """Treating the baseline as 'large': few cost changes stay warm, many go to interior point."""
    import oreflow.solvers.highs as highs

    monkeypatch.setattr(highs, "IPM_FROM_NONZEROS", 0)
    lp = build_lp(network)
    model = HighsModel(lp)
    assert model.solve().dual_method.startswith("interior point with crossover")

    def solver() -> str:
        value = model.highs.getOptionValue("solver")
        return value[1] if isinstance(value, tuple) else value

    model.set_costs(np.array([0]), np.array([lp.cost[0] * 1.01]))  # 1 of 367 columns: warm dual
    model.solve()
    assert solver() == "simplex"
    cols = np.arange(0, lp.n_cols, 10)  # 10 % of the columns: from scratch with IPM
    model.set_costs(cols, lp.cost[cols] * 1.05)
    record = model.solve()
    assert solver() == "ipm" and record.status == "optimal"
    model.set_row_bounds(np.array([0]), np.array([-np.inf]), np.array([lp.row_upper[0] * 0.9]))
    model.solve()
    assert solver() == "simplex"  # bounds only: warm dual
