"""The ``pyomo`` backend and both Pyomo models against the array LP solved by HiGHS.

Three Pyomo models state the LP: the backend's two, built from the LP's arrays
(``solvers/pyomo_arrays.py``: matrix form for HiGHS, expression form for other solvers),
and the readable twin for users (``build_pyomo_model``). Each is read back through Pyomo's
standard representation (objective with its constant and quadratic part, matrix, row and
column bounds in LP order) and solved through oreflow's direct HiGHS interface
(``solvers/pyomo_highs.py``): on micro models, the default dataset, a model of each policy
and the micro model with a demand curve (stepped, and the linear form's QP), all state the
array LP exactly and give its objective, duals, reduced costs and basis. Pyomo's own HiGHS
interfaces solve the expression form and the twin to the same optimum.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.repn import generate_standard_repn
from test_contracts import ORE_CONTRACT, PRODUCT_CONTRACT
from test_policies import (
    EXPORT_QUOTA,
    MAX_SHARE,
    MIN_SHARE,
    MINING_QUOTA,
    ORE_BAN,
    ORE_TARIFF,
    PRODUCT_TARIFF,
    REFINING_QUOTA,
)

import oreflow
from conftest import BASELINE_DATASET, micro_frames
from oreflow.errors import InputError, SolveError
from oreflow.model.families import FAMILIES_BY_NAME
from oreflow.model.lp import build_lp
from oreflow.model.market import MarketOptions
from oreflow.model.pyomo_model import build_pyomo_model, index_keys
from oreflow.model.record import BASIS_BASIC, SolutionRecord
from oreflow.solvers import solve_lp
from oreflow.solvers.highs import HighsModel, pass_lp, solve_highs
from oreflow.solvers.pyomo_arrays import ArrayModel, build_array_model, build_matrix_model
from oreflow.solvers.pyomo_highs import compile_model, pass_compiled

INF = float("inf")

MICRO_FRAMES = """
origins=pd.DataFrame({"origin": ["A"], "country": ["X"], "supply_t": [200.0], "mining_cost_usd_per_t": [10.0]}),
composition=pd.DataFrame({"origin": ["A", "A"], "product": ["P1", "P2"], "share": [0.5, 0.5]}),
refiners=pd.DataFrame({"refiner": ["R1", "R2"], "country": ["X", "Y"], "capacity_t": [60.0, float("inf")],
                       "processing_cost_usd_per_t": [20.0, 50.0], "recovery": [1.0, 0.5]}),
markets=pd.DataFrame({"market": ["M"], "country": ["Y"]}),
demand=pd.DataFrame({"market": ["M"], "product": ["P1"], "demand_t": [40.0]}),
ore_routes=pd.DataFrame({"origin": ["A", "A"], "refiner": ["R1", "R2"], "freight_usd_per_t": [5.0, 5.0]}),
product_routes=pd.DataFrame({"refiner": ["R1", "R2"], "market": ["M", "M"], "freight_usd_per_t": [1.0, 2.0]}),
"""


def micro_network() -> oreflow.Network:
    """One origin A (200 t, 10 USD/t, half P1 half P2), refiners R1 (60 t, 20 USD/t,
    recovery 1) and R2 (unlimited, 50 USD/t, recovery 0.5), market M wanting 40 t P1."""
    return eval(f"oreflow.Network.from_frames({MICRO_FRAMES})", {"oreflow": oreflow, "pd": pd})


def shadow(result: oreflow.Result, family: str) -> np.ndarray:
    return result.shadow_prices[family]["shadow_price"].to_numpy(float)


# ---------------------------------------------------------------------------------
# The micro model
# ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def micro_results() -> tuple[oreflow.Result, oreflow.Result]:
    net = micro_network()
    return oreflow.solve(net, backend="highs"), oreflow.solve(net, backend="pyomo")


def test_micro_objective_and_shadow_prices(micro_results):
    highs, pyomo = micro_results
    assert pyomo.objective == pytest.approx(4750.0, rel=1e-9)
    assert pyomo.backend == "pyomo"
    assert "simplex basis" in pyomo.dual_method and "Pyomo" in pyomo.solver
    prices = {(row.family, row.key): row.shadow_price for row in pyomo.binding().itertuples()}
    assert prices == pytest.approx(
        {
            ("capacity", "R1"): -95.5,
            ("demand", "M/P1"): 262.0,
            ("balance", "R1/P1"): -261.0,
            ("balance", "R2/P1"): -260.0,
        }
    )
    for family in ("supply", "capacity", "balance", "demand"):
        np.testing.assert_allclose(shadow(pyomo, family), shadow(highs, family), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(
            pyomo.shadow_prices[family]["activity"], highs.shadow_prices[family]["activity"], atol=1e-9
        )
    pd.testing.assert_frame_equal(pyomo.reduced_costs, highs.reduced_costs)
    pd.testing.assert_frame_equal(pyomo.unmet, highs.unmet)


def test_micro_record_matches_highs_basis():
    """The pyomo backend's record (HiGHS through the direct interface) carries the same basis and duals in LP order."""
    net = micro_network()
    lp = build_lp(net)
    direct, via = solve_lp(lp, "highs"), solve_lp(lp, "pyomo")
    assert via.status == "optimal" and via.solver_status == "Optimal" and via.has_basis
    np.testing.assert_array_equal(via.col_basis, direct.col_basis)
    np.testing.assert_array_equal(via.row_basis, direct.row_basis)
    np.testing.assert_allclose(via.col_dual, direct.col_dual, atol=1e-9)
    np.testing.assert_allclose(via.row_dual, direct.row_dual, atol=1e-9)
    np.testing.assert_allclose(via.row_value, direct.row_value, atol=1e-9)
    assert set(via.timings) == {"pyomo_build_s", "solve_s", "run_s", "extract_s", "ranging_s"}


def test_other_pyomo_solver_reads_suffixes():
    """A solver name other than 'highs' goes through pyo.SolverFactory and dual/rc suffixes."""
    net = micro_network()
    highs = oreflow.solve(net, backend="highs")
    other = oreflow.solve(net, backend="pyomo", solver="appsi_highs")
    assert other.objective == pytest.approx(4750.0)
    assert "suffixes" in other.dual_method
    for family in ("supply", "capacity", "balance", "demand"):
        np.testing.assert_allclose(shadow(other, family), shadow(highs, family), atol=1e-9)
    pd.testing.assert_frame_equal(other.reduced_costs, highs.reduced_costs)


# ---------------------------------------------------------------------------------
# Random instances: both backends agree
# ---------------------------------------------------------------------------------


def nondegenerate(lp, record: SolutionRecord, tol: float = 1e-7) -> bool:
    """True if the HiGHS basis is primal and (on columns) dual non-degenerate.

    Every basic column and row lies strictly inside its bounds (then the duals are
    unique) and every nonbasic column has a non-zero reduced cost.
    """
    if not record.has_basis:
        return False

    def inside(value, lower, upper):
        margin = tol * np.maximum(1.0, np.abs(value))
        return bool(np.all((value > lower + margin) & (value < upper - margin)))

    basic_col = record.col_basis == BASIS_BASIC
    basic_row = record.row_basis == BASIS_BASIC
    return (
        inside(record.col_value[basic_col], lp.col_lower[basic_col], lp.col_upper[basic_col])
        and inside(record.row_value[basic_row], lp.row_lower[basic_row], lp.row_upper[basic_row])
        and bool(np.all(np.abs(record.col_dual[~basic_col]) > tol * np.maximum(1.0, np.abs(lp.cost[~basic_col]))))
    )


def cost(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def networks(draw) -> oreflow.Network:
    """Small random networks: 1-4 origins, 1-4 refiners, 1-3 markets, 1-3 products."""
    n_o, n_r, n_m, n_p = (draw(st.integers(1, k)) for k in (4, 4, 3, 3))
    origins = [f"O{i}" for i in range(n_o)]
    refiners = [f"R{i}" for i in range(n_r)]
    markets = [f"M{i}" for i in range(n_m)]
    products = [f"P{i}" for i in range(n_p)]
    maybe_inf = lambda lo, hi: st.one_of(st.just(INF), cost(lo, hi))  # noqa: E731

    comp = []
    for o in origins:
        contained = draw(st.lists(st.sampled_from(products), min_size=1, max_size=n_p, unique=True))
        weights = np.array([draw(cost(0.05, 1.0)) for _ in contained])
        comp += [(o, p, w) for p, w in zip(contained, weights / weights.sum())]
    composition = pd.DataFrame(comp, columns=["origin", "product", "share"])
    contained = list(pd.unique(composition["product"]))

    ore_pairs = [(o, r) for o in origins for r in refiners]
    ore_keep = draw(st.lists(st.booleans(), min_size=len(ore_pairs), max_size=len(ore_pairs)))
    ore_keep[draw(st.integers(0, len(ore_pairs) - 1))] = True
    prod_pairs = [(r, m) for r in refiners for m in markets]
    prod_keep = draw(st.lists(st.booleans(), min_size=len(prod_pairs), max_size=len(prod_pairs)))
    prod_keep[draw(st.integers(0, len(prod_pairs) - 1))] = True
    demand_pairs = [(m, p) for m in markets for p in contained]
    demand_keep = draw(st.lists(st.booleans(), min_size=len(demand_pairs), max_size=len(demand_pairs)))
    demand_keep[draw(st.integers(0, len(demand_pairs) - 1))] = True

    demand = pd.DataFrame(
        [
            (m, p, draw(cost(1.0, 200.0)), draw(st.one_of(st.just(np.nan), cost(200.0, 3000.0))))
            for (m, p), keep in zip(demand_pairs, demand_keep)
            if keep
        ],
        columns=["market", "product", "demand_t", "unmet_penalty_usd_per_t"],
    )
    recoveries = None
    if draw(st.booleans()):
        recoveries = pd.DataFrame(
            {
                "refiner": [draw(st.sampled_from(refiners))],
                "product": [draw(st.sampled_from(contained))],
                "recovery": [draw(cost(0.3, 1.0))],
            }
        )
    return oreflow.Network.from_frames(
        origins=pd.DataFrame(
            {
                "origin": origins,
                "country": "X",
                "supply_t": [draw(maybe_inf(50.0, 500.0)) for _ in origins],
                "mining_cost_usd_per_t": [draw(cost(1.0, 100.0)) for _ in origins],
            }
        ),
        composition=composition,
        refiners=pd.DataFrame(
            {
                "refiner": refiners,
                "country": "Y",
                "capacity_t": [draw(maybe_inf(20.0, 400.0)) for _ in refiners],
                "processing_cost_usd_per_t": [draw(cost(1.0, 100.0)) for _ in refiners],
                "recovery": [draw(cost(0.5, 1.0)) for _ in refiners],
            }
        ),
        recoveries=recoveries,
        markets=pd.DataFrame({"market": markets, "country": "Z"}),
        demand=demand,
        ore_routes=pd.DataFrame(
            [(o, r, draw(cost(0.5, 50.0))) for (o, r), keep in zip(ore_pairs, ore_keep) if keep],
            columns=["origin", "refiner", "freight_usd_per_t"],
        ),
        product_routes=pd.DataFrame(
            [(r, m, draw(cost(0.5, 50.0))) for (r, m), keep in zip(prod_pairs, prod_keep) if keep],
            columns=["refiner", "market", "freight_usd_per_t"],
        ),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(), penalty=cost(500.0, 5000.0))
def test_backends_agree_on_random_networks(net, penalty):
    highs = oreflow.solve(net, backend="highs", unmet_penalty_usd_per_t=penalty)
    pyomo = oreflow.solve(net, backend="pyomo", unmet_penalty_usd_per_t=penalty)
    assert pyomo.objective == pytest.approx(highs.objective, rel=1e-7, abs=1e-9)
    assert pyomo.cost_breakdown["total"] == pytest.approx(highs.cost_breakdown["total"], rel=1e-7, abs=1e-6)

    lp = build_lp(net, penalty)
    record = solve_lp(lp, "highs")
    if not nondegenerate(lp, record):
        event("degenerate: objectives compared only")
        return
    event("non-degenerate: duals compared")
    for family in ("supply", "capacity", "balance", "demand"):
        np.testing.assert_allclose(shadow(pyomo, family), shadow(highs, family), rtol=1e-7, atol=1e-6, err_msg=family)
    np.testing.assert_allclose(
        pyomo.reduced_costs["reduced_cost_usd_per_t"],
        highs.reduced_costs["reduced_cost_usd_per_t"],
        rtol=1e-7,
        atol=1e-6,
    )
    np.testing.assert_allclose(pyomo.allocations["ore_t"], highs.allocations["ore_t"], rtol=1e-7, atol=1e-6)


# ---------------------------------------------------------------------------------
# Both Pyomo models state the array LP
# ---------------------------------------------------------------------------------

POLICIES = {
    "ore tariff": ORE_TARIFF,
    "product tariff": PRODUCT_TARIFF,
    "ore ban": ORE_BAN,
    "refining quota": REFINING_QUOTA,
    "mining quota": MINING_QUOTA,
    "export quota": EXPORT_QUOTA,
    "min share": MIN_SHARE,
    "max share": MAX_SHARE,
    "ore contract": ORE_CONTRACT,
    "product contract": PRODUCT_CONTRACT,
}
#: Cases with a demand curve on the micro model's demand (M, P1): through (40 t, 200 USD/t),
#: elasticity -0.5 (tests/test_demand_curves.py), and the form it takes in the LP.
LINEAR = MarketOptions(demand_form="linear")
CURVES = {
    "demand curve (steps)": MarketOptions(demand_form="steps", demand_steps=8),
    "demand curve (linear QP)": LINEAR,
    "demand curve (linear QP), product tariff": LINEAR,
}
CASES = ["micro", "default dataset", *POLICIES, *CURVES]


def curve_frames() -> dict[str, pd.DataFrame]:
    """The micro model with a demand curve: the linear one is P(q) = 200 - 10 (q - 40)."""
    frames = micro_frames()
    frames["demand"] = frames["demand"].assign(reference_price_usd_per_t=200.0, elasticity=-0.5)
    return frames


def case_market(case: str) -> MarketOptions | None:
    """The market options of a case with a demand curve (None: the defaults)."""
    return CURVES.get(case)


def case_lp(case: str) -> tuple[oreflow.Network, object]:
    """The network of a case and its array LP (penalty 1000 USD/t where a policy leaves demand unmet)."""
    if case == "default dataset":
        net = oreflow.load_inputs(BASELINE_DATASET)
        return net, build_lp(net)
    frames = curve_frames() if case in CURVES else micro_frames()
    policy = PRODUCT_TARIFF if case.endswith("product tariff") else POLICIES.get(case, {})
    frames.update({name: pd.DataFrame(rows) for name, rows in policy.items()})
    net = oreflow.Network.from_frames(**frames)
    if case in CURVES:
        return net, build_lp(net, CURVES[case])
    return net, build_lp(net, 1000.0 if case in ("ore ban", "mining quota") else 1e7)


def twin_in_lp_order(net: oreflow.Network, lp, market: MarketOptions | None = None) -> ArrayModel:
    """The readable twin with its variables and constraints in LP order (None where it skips a row)."""
    model = build_pyomo_model(net, lp.cost_terms["unmet_penalty"]["u"], market)
    variables: list = []
    for name, block in lp.columns.items():
        component = getattr(model, name)
        assert list(component.index_set()) == index_keys(block.index), name
        variables += component.values()
    constraints: list = []
    for family, block in lp.rows.items():
        component = getattr(model, family)
        keys = index_keys(block.index[list(FAMILIES_BY_NAME[family].naming_keys)])  # quota[q], contract[c, bound]
        assert list(component.index_set()) == keys, family
        constraints += [component[key] if key in component else None for key in keys]
    return ArrayModel(model, variables, constraints)


def via_direct_interface(arrays: ArrayModel, lp) -> SolutionRecord:
    """A Pyomo model solved as the backend solves it: compiled, passed to HiGHS, run, read in LP order."""
    compiled = compile_model(arrays.model, arrays.variables, arrays.constraints)
    assert compiled.objective_offset == pytest.approx(lp.offset, rel=1e-15, abs=0.0)
    return HighsModel(lp, load=lambda h: pass_compiled(h, compiled, held_out_offset=lp.offset)).solve()


def pyomo_models(net: oreflow.Network, lp, market: MarketOptions | None = None) -> list[tuple[str, ArrayModel]]:
    """Every Pyomo model of ``lp``: matrix form, expression form, the readable twin (built
    with ``market``, the options ``lp`` was built with)."""
    return [
        ("matrix model", build_matrix_model(lp)),
        ("expression model", build_array_model(lp)),
        ("twin", twin_in_lp_order(net, lp, market)),
    ]


@dataclass
class StatedLP:
    """What a Pyomo model states, in LP order: objective 1/2 v'Hv + cost'v + offset (H
    diagonal: ``hessian``), the dense matrix, row and column bounds."""

    cost: np.ndarray
    offset: float
    hessian: np.ndarray
    matrix: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray


def stated_lp(arrays: ArrayModel) -> StatedLP:
    """Objective, dense matrix and bounds a Pyomo model states, read back through Pyomo's standard
    representation in LP order (rows the model skips: no terms, no bounds)."""
    position = {id(v): j for j, v in enumerate(arrays.variables)}
    n, m = len(arrays.variables), len(arrays.constraints)

    def coefficients(expr, out: np.ndarray) -> float:
        repn = generate_standard_repn(expr, quadratic=False)
        assert repn.is_linear()
        for coef, var in zip(repn.linear_coefs, repn.linear_vars):
            out[position[id(var)]] += coef
        return pyo.value(repn.constant)

    cost, hessian, matrix = np.zeros(n), np.zeros(n), np.zeros((m, n))
    lower, upper = np.full(m, -INF), np.full(m, INF)
    objective = generate_standard_repn(arrays.model.total_cost.expr, quadratic=True)
    assert objective.nonlinear_expr is None
    for coef, var in zip(objective.linear_coefs, objective.linear_vars):
        cost[position[id(var)]] += coef
    for coef, (first, second) in zip(objective.quadratic_coefs, objective.quadratic_vars):
        assert first is second  # a diagonal Hessian: c v^2 = 1/2 (2c) v^2
        hessian[position[id(first)]] += 2 * coef
    for i, con in enumerate(arrays.constraints):
        if con is not None:
            constant = coefficients(con.body, matrix[i])
            lower[i] = pyo.value(con.lower) - constant if con.has_lb() else -INF
            upper[i] = pyo.value(con.upper) - constant if con.has_ub() else INF
    col_lower = np.array([-INF if v.lb is None else v.lb for v in arrays.variables], dtype=float)
    col_upper = np.array([INF if v.ub is None else v.ub for v in arrays.variables], dtype=float)
    return StatedLP(cost, float(pyo.value(objective.constant)), hessian, matrix, lower, upper, col_lower, col_upper)


@pytest.mark.parametrize("case", CASES)
def test_both_pyomo_models_state_the_array_lp(case):
    net, lp = case_lp(case)
    dense = lp.matrix.to_scipy().toarray()
    hessian = np.zeros(lp.n_cols) if lp.hessian is None else lp.hessian
    assert lp.is_qp == ("QP" in case)
    assert lp.offset != 0.0 or case not in CURVES  # (the default dataset may have curves too)
    # a row may be left out only where it cannot bind: no terms, or no finite bound
    free = (~dense.any(axis=1)) | (np.isinf(lp.row_lower) & np.isinf(lp.row_upper))
    for name, arrays in pyomo_models(net, lp, case_market(case)):
        skipped = np.array([con is None for con in arrays.constraints])
        assert not (skipped & ~free).any(), name
        stated = stated_lp(arrays)
        np.testing.assert_allclose(stated.cost, lp.cost, rtol=1e-15, err_msg=name)
        assert stated.offset == pytest.approx(lp.offset, rel=1e-15, abs=0.0), name
        np.testing.assert_array_equal(stated.hessian, hessian, err_msg=name)
        np.testing.assert_allclose(stated.matrix[~skipped], dense[~skipped], rtol=1e-15, atol=0.0, err_msg=name)
        np.testing.assert_array_equal(stated.lower[~skipped], lp.row_lower[~skipped], err_msg=name)
        np.testing.assert_array_equal(stated.upper[~skipped], lp.row_upper[~skipped], err_msg=name)
        np.testing.assert_array_equal(stated.col_lower, lp.col_lower, err_msg=name)
        np.testing.assert_array_equal(stated.col_upper, lp.col_upper, err_msg=name)


@pytest.mark.parametrize("case", CASES)
def test_every_pyomo_model_solves_to_the_array_lps_duals(case):
    """Each model through oreflow's direct HiGHS interface: the same LP, the same vertex."""
    net, lp = case_lp(case)
    direct = solve_highs(lp)
    assert direct.status == "optimal"
    for name, arrays in pyomo_models(net, lp, case_market(case)):
        via = via_direct_interface(arrays, lp)
        assert via.status == "optimal" and via.has_basis, name
        assert via.objective == pytest.approx(direct.objective, rel=1e-12), name
        np.testing.assert_allclose(via.row_dual, direct.row_dual, rtol=1e-9, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(via.col_dual, direct.col_dual, rtol=1e-9, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(via.col_value, direct.col_value, rtol=1e-9, atol=1e-9, err_msg=name)
        np.testing.assert_array_equal(via.col_basis, direct.col_basis, err_msg=name)


@pytest.mark.parametrize("case", CASES)
def test_pyomos_own_highs_interface_reaches_the_same_optimum(case):
    """The expression model and the twin through Pyomo's persistent HiGHS interface (its own
    translation, its own column order): the array LP's optimal cost."""
    net, lp = case_lp(case)
    direct = solve_highs(lp)
    for name, arrays in pyomo_models(net, lp, case_market(case))[1:]:
        results = SolverFactory("highs").solve(arrays.model, load_solutions=False)
        assert results.incumbent_objective == pytest.approx(direct.objective, rel=1e-9), name


def test_array_model_column_bounds():
    """Column bounds other than x >= 0 (e.g. a sweep's changed bounds) reach the models and the solve."""
    _, lp = case_lp("micro")
    lp.col_upper[0], lp.col_lower[1] = 50.0, 1.0  # at most 50 t A->R1, at least 1 t A->R2
    direct = solve_highs(lp)
    assert direct.objective > 4750.0
    for arrays in (build_array_model(lp), build_matrix_model(lp)):
        assert (arrays.variables[0].lb, arrays.variables[0].ub) == (0.0, 50.0)
        assert (arrays.variables[1].lb, arrays.variables[1].ub) == (1.0, None)
        via = via_direct_interface(arrays, lp)
        assert via.objective == pytest.approx(direct.objective, rel=1e-12)
        np.testing.assert_allclose(via.col_dual, direct.col_dual, atol=1e-9)


def test_highs_gets_the_lp_in_lp_order():
    """The direct interface hands HiGHS, from each Pyomo model, exactly the LP the highs
    backend passes: columns and rows in LP order, the same costs, bounds and matrix."""
    net, lp = case_lp("default dataset")
    reference = highspy.Highs()
    pass_lp(reference, lp)
    for name, arrays in pyomo_models(net, lp):
        assert all(con is not None for con in arrays.constraints), name
        h = highspy.Highs()
        pass_compiled(h, compile_model(arrays.model, arrays.variables, arrays.constraints), held_out_offset=lp.offset)
        got = h.getLp()
        assert got.offset_ == reference.getLp().offset_, name
        np.testing.assert_array_equal(got.col_cost_, lp.cost, err_msg=name)
        np.testing.assert_array_equal(got.col_lower_, lp.col_lower, err_msg=name)
        np.testing.assert_array_equal(got.col_upper_, lp.col_upper, err_msg=name)
        np.testing.assert_array_equal(got.row_lower_, lp.row_lower, err_msg=name)
        np.testing.assert_array_equal(got.row_upper_, lp.row_upper, err_msg=name)
        starts, index, value = (
            np.asarray(a) for a in (got.a_matrix_.start_, got.a_matrix_.index_, got.a_matrix_.value_)
        )
        matrix = np.zeros((lp.n_rows, lp.n_cols))
        if got.a_matrix_.format_ == highspy.MatrixFormat.kRowwise:
            matrix[np.repeat(np.arange(lp.n_rows), np.diff(starts)), index] = value
        else:  # HiGHS stores what it is passed column-wise
            matrix[index, np.repeat(np.arange(lp.n_cols), np.diff(starts))] = value
        np.testing.assert_array_equal(matrix, lp.matrix.to_scipy().toarray(), err_msg=name)


def test_highs_gets_the_qps_hessian():
    """From each Pyomo model of the linear demand form, HiGHS gets the highs backend's Hessian."""
    net, lp = case_lp("demand curve (linear QP)")
    reference = highspy.Highs()
    pass_lp(reference, lp)
    expected = reference.getModel().hessian_
    for name, arrays in pyomo_models(net, lp, LINEAR):
        h = highspy.Highs()
        pass_compiled(h, compile_model(arrays.model, arrays.variables, arrays.constraints), held_out_offset=lp.offset)
        got = h.getModel().hessian_
        assert got.dim_ == expected.dim_ == lp.n_cols, name
        for field in ("start_", "index_", "value_"):
            np.testing.assert_array_equal(getattr(got, field), getattr(expected, field), err_msg=name)


# ---------------------------------------------------------------------------------
# Demand curves: the pyomo backend's Result equals the highs backend's
# ---------------------------------------------------------------------------------

STEPS = CURVES["demand curve (steps)"]


def curve_network() -> oreflow.Network:
    return oreflow.Network.from_frames(**curve_frames())


@pytest.mark.parametrize("market", [STEPS, LINEAR], ids=["steps", "linear QP"])
def test_pyomo_backend_gives_the_highs_backends_market(market):
    """Prices, quantities, surpluses, welfare, every shadow price and the objective (with its
    constant, -WTP of the reference demand) as the highs backend gives them."""
    net = curve_network()
    highs = oreflow.solve(net, backend="highs", market=market)
    pyomo = oreflow.solve(net, backend="pyomo", market=market)
    assert pyomo.backend == "pyomo" and "via Pyomo" in pyomo.solver
    assert pyomo.objective == pytest.approx(highs.objective, rel=1e-12)
    pd.testing.assert_frame_equal(pyomo.market, highs.market, rtol=1e-9, atol=1e-9)
    assert pyomo.welfare == pytest.approx(highs.welfare, rel=1e-9, abs=1e-9)
    assert pyomo.cost_breakdown == pytest.approx(highs.cost_breakdown, rel=1e-9, abs=1e-9)
    for family in highs.shadow_prices:
        np.testing.assert_allclose(shadow(pyomo, family), shadow(highs, family), rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(pyomo.allocations, highs.allocations, rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(pyomo.reduced_costs, highs.reduced_costs, rtol=1e-9, atol=1e-9)
    assert pyomo.ranging_note == highs.ranging_note
    if market is LINEAR:  # by hand (tests/test_demand_curves.py): 262 USD/t, 33.8 t, objective -11,442.2 USD
        row = pyomo.market.set_index(["market", "product"]).loc[("M", "P1")]
        assert row["price_usd_per_t"] == pytest.approx(262.0, abs=1e-5)
        assert row["quantity_t"] == pytest.approx(33.8, abs=1e-5)
        assert pyomo.objective == pytest.approx(-11442.2, abs=1e-3)
        assert "QP" in pyomo.ranging_note


def test_pyomos_appsi_highs_takes_curve_steps_and_names_the_qp_it_cannot():
    """Through Pyomo's own appsi HiGHS interface: the stepped curve (an LP with a constant) to
    the highs backend's objective and price; the linear form (a QP) an error naming it."""
    net = curve_network()
    highs = oreflow.solve(net, backend="highs", market=STEPS)
    appsi = oreflow.solve(net, backend="pyomo", solver="appsi_highs", market=STEPS)
    assert "suffixes" in appsi.dual_method
    assert appsi.objective == pytest.approx(highs.objective, rel=1e-9)
    np.testing.assert_allclose(shadow(appsi, "demand"), shadow(highs, "demand"), rtol=1e-9)
    pd.testing.assert_frame_equal(appsi.reduced_costs, highs.reduced_costs, rtol=1e-9, atol=1e-6)
    with pytest.raises(SolveError, match="demand_form = 'linear'"):
        oreflow.solve(net, backend="pyomo", solver="appsi_highs", market=LINEAR)


@pytest.mark.parametrize("market", [STEPS, LINEAR], ids=["steps", "linear QP"])
def test_an_infeasible_curve_case_names_the_same_conflict(market):
    """A contract beyond the ore there is (250 t from A, which has 200 t): the pyomo backend
    holds the objective's constant out of HiGHS as the highs backend does, and its IIS search
    names the same rows."""
    frames = curve_frames()
    frames["contracts"] = pd.DataFrame(
        {"contract": ["k"], "stage": ["ore"], "from": ["A"], "to": ["R2"], "product": [""], "min_t": [250.0]}
    )
    net = oreflow.Network.from_frames(**frames)
    messages = []
    for backend in ("highs", "pyomo"):
        with pytest.raises(SolveError, match="infeasible") as raised:
            oreflow.solve(net, backend=backend, market=market)
        messages.append(str(raised.value))
    assert "supply[A]" in messages[0] and "contract[k" in messages[0]
    assert messages[1] == messages[0]


def test_legacy_reduced_costs_of_a_qp_include_the_hessian_term():
    """A Pyomo solver without an rc suffix (Pyomo's contrib HiGHS through pyo.SolverFactory):
    reduced costs are c + Hv - A'y, the highs backend's."""
    from oreflow.solvers.pyomo_backend import _legacy_solver, _solve_legacy

    lp = build_lp(curve_network(), LINEAR)
    direct = solve_highs(lp)
    record, _ = _solve_legacy(_legacy_solver("highs"), "highs", build_array_model(lp), lp, {})
    assert record.status == "optimal"
    assert record.objective == pytest.approx(direct.objective, rel=1e-9)
    np.testing.assert_allclose(record.col_dual, direct.col_dual, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(record.row_dual, direct.row_dual, rtol=1e-6, atol=1e-4)


# ---------------------------------------------------------------------------------
# The Pyomo model for users
# ---------------------------------------------------------------------------------


def test_build_pyomo_model_components_and_extension():
    net = micro_network()
    model = oreflow.build_pyomo_model(net, unmet_penalty_usd_per_t=1000.0)
    assert isinstance(model, pyo.ConcreteModel)
    for name, kind in [
        ("x", pyo.Var),
        ("s", pyo.Var),
        ("u", pyo.Var),
        ("supply", pyo.Constraint),
        ("capacity", pyo.Constraint),
        ("balance", pyo.Constraint),
        ("demand", pyo.Constraint),
        ("total_cost", pyo.Objective),
    ]:
        assert isinstance(getattr(model, name), kind), name
    assert list(model.ORE_ROUTES) == [("A", "R1"), ("A", "R2")]
    assert "R2" not in model.capacity  # capacity_t = inf: skipped, shadow price 0

    solver = pyo.SolverFactory("highs")
    solver.solve(model)
    assert pyo.value(model.total_cost) == pytest.approx(4750.0)

    # Forbid ore to R2. Only R1 refines: 60 t REO (its capacity) at 10 + 5 + 20 = 35 USD/t
    # = 2100 USD, giving 60 * 0.5 * 1.0 = 30 t P1, shipped to M at 1 USD/t = 30 USD. The
    # other 10 t of demand are unmet at 1000 USD/t = 10000 USD (a tonne of P1 via R1 costs
    # 2 * 35 + 1 = 71 USD < 1000, so R1 runs full). Total 2100 + 30 + 10000 = 12130 USD.
    model.no_r2 = pyo.Constraint(expr=model.x["A", "R2"] <= 0)
    solver.solve(model)
    assert pyo.value(model.total_cost) == pytest.approx(12130.0)
    assert pyo.value(model.u["M", "P1"]) == pytest.approx(10.0)


def test_default_penalty_and_row_overrides_match_lp():
    net = micro_network()
    model = oreflow.build_pyomo_model(net)
    assert model.unmet_penalty_usd_per_t["M", "P1"] == pytest.approx(1e7)
    per_row = build_pyomo_model(net, np.array([123.0]))
    assert per_row.unmet_penalty_usd_per_t["M", "P1"] == 123.0
    with pytest.raises(ValueError, match="one per demand row"):
        build_pyomo_model(net, [1.0, 2.0])


def test_build_pyomo_model_with_a_linear_demand_curve():
    """The twin takes MarketOptions (in place of the penalty, or as ``market``): the linear
    curve as one change column q in [-Q0, -e Q0] = [-40, 20] with a quadratic cost, solved by
    Pyomo's HiGHS to the hand-derived optimum (q = 33.8 - 40 = -6.2 t, -11,442.2 USD)."""
    net = curve_network()
    model = oreflow.build_pyomo_model(net, market=LINEAR)
    assert list(model.DEMAND_STEPS) == [("M", "P1", "change", 0)]
    change = model.q["M", "P1", "change", 0]
    assert (change.lb, change.ub) == (-40.0, 20.0)
    pyo.SolverFactory("highs").solve(model)
    assert pyo.value(model.total_cost) == pytest.approx(-11442.2, abs=1e-3)
    assert change.value == pytest.approx(-6.2, abs=1e-5)

    same = oreflow.build_pyomo_model(net, LINEAR)
    assert pyo.value(same.step_curvature_usd_per_t2["M", "P1", "change", 0]) == 10.0  # -slope, USD/t per t
    penalised = oreflow.build_pyomo_model(net, 123.0, market=LINEAR)  # a number overrides market's penalty
    assert penalised.unmet_penalty_usd_per_t["M", "P1"] == 10.0 * 200.0  # but the curve's row: 10 x its price
    assert oreflow.build_pyomo_model(micro_network(), 123.0, LINEAR).unmet_penalty_usd_per_t["M", "P1"] == 123.0
    with pytest.raises(ValueError, match="not both"):
        build_pyomo_model(net, LINEAR, market=STEPS)


def test_build_pyomo_model_without_curves_has_an_empty_step_set():
    model = oreflow.build_pyomo_model(micro_network(), market=LINEAR)
    assert len(model.DEMAND_STEPS) == 0 and len(model.q) == 0
    assert generate_standard_repn(model.total_cost.expr, quadratic=True).is_linear()


# ---------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------


def test_unknown_solver_option_raises_input_error():
    with pytest.raises(InputError, match="no_such_option"):
        oreflow.solve(micro_network(), backend="pyomo", solver_options={"no_such_option": 1})


def test_unknown_solver_raises_input_error():
    with pytest.raises(InputError, match="no_such_solver"):
        oreflow.solve(micro_network(), backend="pyomo", solver="no_such_solver")


def test_unavailable_solver_raises_input_error():
    if pyo.SolverFactory("glpk").available(exception_flag=False):
        pytest.skip("glpk is installed here")
    with pytest.raises(InputError, match="glpk"):
        oreflow.solve(micro_network(), backend="pyomo", solver="glpk")


def test_import_oreflow_does_not_import_pyomo():
    code = (
        "import sys\n"
        "import pandas as pd\n"
        "import oreflow\n"
        f"net = oreflow.Network.from_frames({MICRO_FRAMES})\n"
        "assert oreflow.solve(net).objective == 4750.0\n"
        "assert not [m for m in sys.modules if m == 'pyomo' or m.startswith('pyomo.')], 'pyomo imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
