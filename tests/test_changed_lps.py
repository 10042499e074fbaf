"""The LP of a dataset with changes (oreflow/sweep/changed.py): every cheap path gives the LP
a full validation and rebuild gives, and the model takes new matrix coefficients in place."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import oreflow
from conftest import BASELINE_DATASET
from oreflow.errors import InputError
from oreflow.job import Change
from oreflow.model.arrays import CscMatrix
from oreflow.model.families import DEMAND
from oreflow.model.lp import LinearProgram, build_lp
from oreflow.model.market import MarketOptions
from oreflow.model.network import Network
from oreflow.model.parameters import COEFFICIENTS
from oreflow.model.tables import TABLES
from oreflow.scenarios import changed_network
from oreflow.solvers.highs import ChangeRejected, HighsModel
from oreflow.sweep.changed import ChangedLPs, carried_basis, structure_of
from oreflow.sweep.engine import copy_vectors, solve_in_place

MARKET = MarketOptions()


@pytest.fixture(scope="module")
def network() -> Network:
    return oreflow.load_inputs(BASELINE_DATASET)


@pytest.fixture
def lps(network: Network) -> ChangedLPs:
    base = build_lp(network, MARKET)
    return ChangedLPs(network, base, MARKET, structure_of(base))


def rebuilt(network: Network, changes: list[Change]) -> LinearProgram:
    """The LP of ``network`` with ``changes`` the slow way: every table validated again."""
    raw = changed_network(network, changes, "test")
    return build_lp(Network.from_frames(**{t.name: getattr(raw, t.name) for t in TABLES}), MARKET)


def assert_same_lp(fast: LinearProgram, slow: LinearProgram) -> None:
    for name in ("cost", "row_lower", "row_upper", "col_lower", "col_upper", "row_report_scale", "row_is_upper"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(fast.matrix, name), getattr(slow.matrix, name), err_msg=name)
    assert fast.cost_offsets == slow.cost_offsets


def share_limit(country: str, max_share: object) -> Change:
    return Change(
        action="add",
        table="share_limits",
        rows=[{"market": "US", "product": "NdPr", "country": country, "max_share": max_share}],
    )


def tariff(usd_per_t: float) -> Change:
    return Change(
        action="add",
        table="tariffs",
        rows=[{"from_country": "CN", "to_country": "US", "stage": "product", "usd_per_t": usd_per_t}],
    )


def cn_recovery(factor: float) -> Change:
    return Change(action="scale", table="refiners", column="recovery", where={"country": "CN"}, factor=factor)


def test_no_change_is_the_base(lps: ChangedLPs) -> None:
    assert lps.prepare([], "t") is lps.base


def test_values_move_in_place(network: Network, lps: ChangedLPs) -> None:
    changes = [Change(action="scale", table="refiners", column="capacity_t", where={"country": "CN"}, factor=0.8)]
    prepared = lps.prepare(changes, "t")
    assert prepared.path == "in_place" and prepared.structure == lps.base.structure
    assert_same_lp(prepared.lp, rebuilt(network, changes))


def test_a_policy_row_moved_again_reuses_its_shape(network: Network, lps: ChangedLPs) -> None:
    """The first add is validated and built; the same row with another value (a slider moved)
    is the earlier LP with the new value, equal to the slow way; another row is new."""
    first = lps.prepare([share_limit("CN", 0.5)], "t")
    assert first.path == "rebuilt"
    for value in (0.3, 0.7):
        changes = [share_limit("CN", value), Change(action="set", table="origins", column="supply_t", value=1e5)]
        again = lps.prepare(changes, "t")
        assert again.path == "shape" and again.structure == first.structure
        assert_same_lp(again.lp, rebuilt(network, changes))
        assert again.network.share_limits["max_share"].tolist() == [value]
    with_recovery = [share_limit("CN", 0.6), cn_recovery(0.9)]  # a shape seen, coefficients moved
    prepared = lps.prepare(with_recovery, "t")
    assert prepared.path == "coefficients" and prepared.structure == first.structure
    assert_same_lp(prepared.lp, rebuilt(network, with_recovery))
    assert lps.prepare([share_limit("MY", 0.5)], "t").path == "rebuilt"
    assert lps.prepare([share_limit("CN", 0.4)], "t").path == "shape"  # both shapes are remembered


def test_a_tariff_row_moved_again_keeps_the_base_structure(network: Network, lps: ChangedLPs) -> None:
    first = lps.prepare([tariff(5000)], "t")  # validated; costs only, recomputed in place
    assert first.path == "validated" and first.structure == lps.base.structure
    assert first.lp.matrix is lps.base.lp.matrix
    assert_same_lp(first.lp, rebuilt(network, [tariff(5000)]))
    again = lps.prepare([tariff(20000)], "t")
    assert again.path == "shape" and again.structure == lps.base.structure
    assert_same_lp(again.lp, rebuilt(network, [tariff(20000)]))


def test_a_removal_repeated_reuses_its_shape(network: Network, lps: ChangedLPs) -> None:
    removal = Change(action="remove", table="ore_routes", where={"origin": "MM_Kachin_IAC"})
    moved = Change(action="scale", table="origins", column="supply_t", where={"country": "AU"}, factor=1.2)
    assert lps.prepare([removal], "t").path == "rebuilt"
    again = lps.prepare([removal, moved], "t")
    assert again.path == "shape"
    assert_same_lp(again.lp, rebuilt(network, [removal, moved]))


def test_a_bad_value_on_a_shape_seen_before_is_named(lps: ChangedLPs) -> None:
    lps.prepare([share_limit("CN", 0.5)], "t")
    with pytest.raises(InputError) as caught:
        lps.prepare([share_limit("CN", 1.5)], "control")
    problem = caught.value.problems[0]
    assert "share_limits.csv" in problem.file and problem.column == "max_share" and problem.value == "1.5"
    with pytest.raises(InputError) as caught:  # text: the full validation names it
        lps.prepare([share_limit("CN", "half")], "control")
    assert "leaves the dataset invalid" in caught.value.heading
    assert any(p.column == "max_share" and p.value == "half" for p in caught.value.problems)


def test_coefficients_are_rebuilt_without_revalidation(network: Network, lps: ChangedLPs) -> None:
    assert ("refiners", "recovery") in COEFFICIENTS
    prepared = lps.prepare([cn_recovery(0.9)], "t")
    assert prepared.path == "coefficients" and prepared.structure == lps.base.structure
    assert not np.array_equal(prepared.lp.matrix.data, lps.base.lp.matrix.data)
    assert_same_lp(prepared.lp, rebuilt(network, [cn_recovery(0.9)]))
    with pytest.raises(InputError) as caught:  # the cells are still checked: recovery <= 1
        lps.prepare([cn_recovery(2.0)], "control")
    assert caught.value.problems[0].column == "recovery"


def test_new_coefficients_re_solve_in_place_as_from_scratch(lps: ChangedLPs) -> None:
    model = HighsModel(copy_vectors(lps.base.lp))
    model.solve()
    for factor in (0.9, 0.8, 1.0):
        lp = lps.prepare([cn_recovery(factor)], "t").lp
        warm = solve_in_place(model, lp)
        cold = HighsModel(copy_vectors(lp)).solve()
        assert warm.objective == pytest.approx(cold.objective, rel=1e-12)
        demand = lp.rows[DEMAND].slice
        np.testing.assert_allclose(warm.row_dual[demand], cold.row_dual[demand], rtol=1e-9, atol=1e-6)
    assert model.lp.matrix is lp.matrix


def test_a_coefficient_highs_would_drop_is_structure_and_rejected_in_place(lps: ChangedLPs) -> None:
    lp = lps.base.lp
    data = lp.matrix.data.copy()
    at = int(np.flatnonzero(np.abs(data) != 1)[0])
    data[at] = 1e-12
    tiny = dataclasses.replace(lp, matrix=CscMatrix(lp.matrix.indptr, lp.matrix.indices, data, lp.matrix.shape))
    assert structure_of(tiny) != lps.base.structure  # so no engine moves a model to it in place
    model = HighsModel(copy_vectors(lp))
    model.solve()
    with pytest.raises(ChangeRejected) as caught:
        model.set_matrix(tiny.matrix)
    assert caught.value.rows.tolist() == [int(lp.matrix.indices[at])]


def test_a_new_structure_starts_from_the_base_basis_carried_over(lps: ChangedLPs) -> None:
    """A ban's rows added or routes removed: the base case's optimal basis, carried over by
    block/family and keys, starts the new LP; it reaches the optimum a cold solve reaches,
    in fewer iterations."""
    base_model = HighsModel(copy_vectors(lps.base.lp))
    base = base_model.solve()
    ban = Change(action="add", table="bans", rows=[{"from_country": "CN", "to_country": "US", "stage": "product"}])
    removal = Change(action="remove", table="ore_routes", where={"origin": "MM_Kachin_IAC"})
    for change in (ban, removal):
        lp = lps.prepare([change], "t").lp
        assert lp.n_rows != lps.base.lp.n_rows or lp.n_cols != lps.base.lp.n_cols
        cols, rows = carried_basis(lps.base.lp, base.col_basis, base.row_basis, lp)
        assert len(cols) == lp.n_cols and len(rows) == lp.n_rows
        model = HighsModel(copy_vectors(lp))
        assert model.start_from_statuses(cols, rows)
        warm = model.solve()
        cold = HighsModel(copy_vectors(lp)).solve()
        assert warm.status == cold.status == "optimal"
        assert warm.objective == pytest.approx(cold.objective, rel=1e-12)
        demand = lp.rows[DEMAND].slice
        np.testing.assert_allclose(warm.row_dual[demand], cold.row_dual[demand], rtol=1e-9, atol=1e-6)
        assert warm.iterations < cold.iterations / 3


def test_a_shape_seen_before_keeps_none_of_that_call_s_other_values(network: Network, lps: ChangedLPs) -> None:
    """A shape remembered with other changes (a supply set, a recovery, a capacity), met again
    without them: the LP is this call's, not the earlier one's (those inputs recomputed)."""
    supply = Change(action="set", table="origins", column="supply_t", value=1e5)
    capacity = Change(action="scale", table="refiners", column="capacity_t", factor=0.5)
    for first, again in (
        ([share_limit("CN", 0.5), supply], [share_limit("CN", 0.5)]),
        ([share_limit("CN", 0.5), cn_recovery(0.9)], [share_limit("CN", 0.6)]),
        ([tariff(5000), capacity], [tariff(7000)]),
        ([tariff(5000), cn_recovery(0.8)], [tariff(5000), supply]),
    ):
        lps.prepare(first, "t")
        prepared = lps.prepare(again, "t")
        assert prepared.path in ("shape", "coefficients")
        assert_same_lp(prepared.lp, rebuilt(network, again))


def test_a_blank_value_cell_is_part_of_the_shape(network: Network, lps: ChangedLPs) -> None:
    """A share limit with a maximum, then the same row with a minimum too: another row
    (a >= row) exists, so the earlier LP is not reused."""
    lps.prepare([share_limit("CN", 0.5)], "t")
    both = Change(
        action="add",
        table="share_limits",
        rows=[{"market": "US", "product": "NdPr", "country": "CN", "max_share": 0.5, "min_share": 0.2}],
    )
    prepared = lps.prepare([both], "t")
    assert prepared.path == "rebuilt"
    assert_same_lp(prepared.lp, rebuilt(network, [both]))


def test_values_that_change_which_rows_or_columns_exist_are_rebuilt(network: Network) -> None:
    """In place only when the rows and columns stay: a share limit's maximum turned into a
    minimum (same count of rows, another sense) and a demand curve moved to another row
    (same count of step columns, other keys) are rebuilt, equal to the slow way."""
    limit = {"market": "US", "product": "NdPr", "country": "CN", "max_share": 0.8}
    base = changed_network(network, [Change(action="add", table="share_limits", rows=[limit])], "t")
    base = Network.from_frames(**{t.name: getattr(base, t.name) for t in TABLES})
    lp = build_lp(base, MARKET)
    lps = ChangedLPs(base, lp, MARKET, structure_of(lp))
    swap = [
        Change(action="set", table="share_limits", column="max_share", value=""),
        Change(action="set", table="share_limits", column="min_share", value=0.1),
    ]
    prepared = lps.prepare(swap, "t")
    assert prepared.path == "rebuilt"
    assert_same_lp(prepared.lp, rebuilt(base, swap))
    # a demand curve moved from one row to another: as many step columns, other keys
    rows = base.demand[["market", "product", "reference_price_usd_per_t"]].head(2).to_dict("records")
    one, two = ({"market": r["market"], "product": r["product"]} for r in rows)
    flat = Change(action="set", table="demand", column="elasticity", value="", where=one)
    base = changed_network(base, [flat], "t")
    lp = build_lp(base, MARKET)
    lps = ChangedLPs(base, lp, MARKET, structure_of(lp))
    moved = [
        Change(action="set", table="demand", column="elasticity", value="", where=two),
        Change(action="set", table="demand", column="elasticity", value=-0.5, where=one),
    ]
    prepared = lps.prepare(moved, "t")
    assert prepared.path == "rebuilt"
    assert_same_lp(prepared.lp, rebuilt(base, moved))


def test_a_coefficient_highs_dropped_in_both_matrices_is_not_a_rejection(lps: ChangedLPs) -> None:
    lp = lps.base.lp
    data = lp.matrix.data.copy()
    at = np.flatnonzero(np.abs(data) != 1)[:2]
    data[at[0]] = 1e-12  # dropped by HiGHS when passed, in both
    tiny = dataclasses.replace(lp, matrix=CscMatrix(lp.matrix.indptr, lp.matrix.indices, data.copy(), lp.matrix.shape))
    model = HighsModel(copy_vectors(tiny))
    model.solve()
    data[at[1]] *= 0.9
    moved = dataclasses.replace(lp, matrix=CscMatrix(lp.matrix.indptr, lp.matrix.indices, data, lp.matrix.shape))
    assert structure_of(moved) == structure_of(tiny)
    warm = solve_in_place(model, moved)
    cold = HighsModel(copy_vectors(moved)).solve()
    assert warm.objective == pytest.approx(cold.objective, rel=1e-12)
