"""Policies on the two-refiner micro model (tests/conftest.py), every effect derived by hand.

Base case (tests/test_micro_models.py): R1 (country X) runs at its 60 t capacity, R2 (Y)
makes the other 10 t of P1; cost 4750 USD; delivered P1 via R1 71 USD/t, via R2 262.
Origin A is in X, market M in Y: ore A->R2 goes X->Y, products R1->M go X->Y.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import oreflow
from conftest import micro_frames


def solve(penalty: float | None = None, backend: str = "highs", **policies: dict) -> oreflow.Result:
    frames = micro_frames()
    frames.update({name: pd.DataFrame(rows) for name, rows in policies.items()})
    return oreflow.solve(oreflow.Network.from_frames(**frames), backend=backend, unmet_penalty_usd_per_t=penalty)


def only(result: oreflow.Result, family: str) -> pd.Series:
    table = result.shadow_prices[family]
    assert len(table) == 1
    return table.iloc[0]


def cap(result: oreflow.Result, refiner: str = "R1") -> float:
    table = result.shadow_prices["capacity"]
    return float(table.loc[table.refiner == refiner, "shadow_price"].iloc[0])


def demand_price(result: oreflow.Result) -> float:
    return float(result.shadow_prices["demand"]["shadow_price"].iloc[0])


ORE_TARIFF = {
    "tariffs": {"from_country": ["X"], "to_country": ["Y"], "stage": ["ore"], "product": [""], "usd_per_t": [10.0]}
}
PRODUCT_TARIFF = {
    "tariffs": {"from_country": ["X"], "to_country": ["Y"], "stage": ["product"], "product": ["P1"], "usd_per_t": [4.0]}
}
ORE_BAN = {"bans": {"from_country": ["X"], "to_country": ["Y"], "stage": ["ore"], "product": [""]}}
REFINING_QUOTA = {
    "quotas": {
        "quota": ["q"],
        "kind": ["refining"],
        "country": ["X"],
        "product": [""],
        "members": [""],
        "limit_t": [50.0],
    }
}
MINING_QUOTA = {
    "quotas": {
        "quota": ["q"],
        "kind": ["mining"],
        "country": ["X"],
        "product": [""],
        "members": [""],
        "limit_t": [90.0],
    }
}
EXPORT_QUOTA = {
    "quotas": {
        "quota": ["q"],
        "kind": ["export"],
        "country": ["X"],
        "product": ["P1"],
        "members": [""],
        "limit_t": [20.0],
    }
}
MIN_SHARE = {"share_limits": {"market": ["M"], "product": ["P1"], "country": ["Y"], "min_share": [0.5]}}
MAX_SHARE = {"share_limits": {"market": ["M"], "product": ["P1"], "country": ["X"], "max_share": [0.5]}}


def test_ore_tariff_is_a_cost_line_and_moves_the_marginal_cost() -> None:
    # A->R2 costs 65 + 10 = 75 USD/t ore: P1 via R2 = 75/0.25 + 2 = 302 USD/t. Flows unchanged.
    r = solve(**ORE_TARIFF)
    assert r.objective == pytest.approx(4750 + 40 * 10)
    assert r.cost_breakdown["tariffs"] == pytest.approx(400.0)
    assert demand_price(r) == pytest.approx(302.0)
    assert cap(r) == pytest.approx(35.5 - 0.5 * 302)  # -115.5


def test_product_tariff_applies_only_to_the_exporting_refiner() -> None:
    # s[R1,M,P1] (X->Y) pays 4 USD/t more; R2 ships within Y, untaxed. Flows unchanged.
    r = solve(**PRODUCT_TARIFF)
    assert r.objective == pytest.approx(4750 + 30 * 4)
    assert r.cost_breakdown["tariffs"] == pytest.approx(120.0)
    assert demand_price(r) == pytest.approx(262.0)
    assert cap(r) == pytest.approx(35 + 0.5 * (1 + 4) - 131)  # -93.5


def test_no_tariff_line_without_tariffs() -> None:
    assert "tariffs" not in solve().cost_breakdown


def test_ore_ban_and_its_shadow_price() -> None:
    # No A->R2: R1 makes 30 t P1, 10 t unmet at 1000 USD/t: 2100 + 30 + 10,000 = 12,130.
    # Allowing 1 t A->R2 gives 0.25 t P1 for 65 + 0.5 freight, saving 250: ban price -184.5.
    r = solve(penalty=1000.0, **ORE_BAN)
    assert r.objective == pytest.approx(12_130.0)
    ban = only(r, "ban")
    assert ban["shadow_price"] == pytest.approx(-184.5) and bool(ban["binding"])
    assert demand_price(r) == pytest.approx(1000.0)
    assert cap(r) == pytest.approx(35.5 - 500)  # -464.5


def test_product_ban_with_wildcard_destination() -> None:
    # R1's P1 may not leave X: all 40 t P1 from R2 (160 t ore): 160*65 + 40*2 = 10,480.
    # R1 is then idle, so the ban row (s[R1,M,P1] <= 0) and R1's balance row are both 0 <= 0:
    # degenerate. Allowing a tonne saves 262 - 71 = 191 (right derivative); the dual may be
    # anywhere in [-(262 - 1), -191] = [-261, -191].
    r = solve(bans={"from_country": ["X"], "to_country": ["*"], "stage": ["product"], "product": ["P1"]})
    assert r.objective == pytest.approx(10_480.0)
    assert -261.0 - 1e-9 <= only(r, "ban")["shadow_price"] <= -191.0 + 1e-9


def test_ban_within_a_country_does_not_match_wildcard_exports() -> None:
    # "* as destination" means another country: X -> * does not cover R1 -> a market in X.
    frames = micro_frames()
    frames["markets"] = pd.DataFrame({"market": ["M"], "country": ["X"]})
    frames["bans"] = pd.DataFrame({"from_country": ["X"], "to_country": ["*"], "stage": ["product"], "product": [""]})
    with pytest.raises(oreflow.InputError) as caught:  # it covers no route: an error, not a silent no-op
        oreflow.solve(oreflow.Network.from_frames(**frames))
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.rule) == ("bans.csv (DataFrame)", 2, "policy_unused")
    assert problem.value == "from_country=X, to_country=*, stage=product"


@pytest.mark.parametrize(
    ("from_country", "to_country", "stage", "covered"),
    [
        ("X", "*", "ore", {("A", "R2")}),  # leaving X
        ("*", "Y", "ore", {("A", "R2")}),  # entering Y from abroad
        ("*", "X", "ore", None),  # entering X from abroad: nothing (A->R1 is domestic)
        ("X", "X", "ore", {("A", "R1")}),  # named both sides: domestic included
        ("X", "X;Y", "ore", {("A", "R1"), ("A", "R2")}),  # a group
        ("*", "*", "ore", {("A", "R2")}),  # every cross-border flow
        ("*", "*", "product", {("R1", "M")}),  # R1 (X) -> M (Y)
        ("X;Y", "*", "product", None),  # nothing leaves the group X;Y
    ],
)
def test_wildcards_and_groups(from_country: str, to_country: str, stage: str, covered: set | None) -> None:
    from oreflow.model.lp import build_lp

    frames = micro_frames()
    frames["tariffs"] = pd.DataFrame(
        {
            "from_country": [from_country],
            "to_country": [to_country],
            "stage": [stage],
            "product": [""],
            "usd_per_t": [1.0],
        }
    )
    if covered is None:  # found by validation (the LP's own matching), before any LP is built
        with pytest.raises(oreflow.InputError, match="covers none"):
            oreflow.Network.from_frames(**frames)
        return
    net = oreflow.Network.from_frames(**frames)
    lp = build_lp(net)
    block = "x" if stage == "ore" else "s"
    taxed = lp.cost_terms["tariffs"][block] > 0
    index = lp.columns[block].index
    keys = {
        tuple(k)
        for k in index.loc[taxed, ["origin", "refiner"] if stage == "ore" else ["refiner", "market"]].itertuples(
            index=False
        )
    }
    assert keys == covered


def test_refining_quota() -> None:
    # Feed of X's refiners <= 50: R1 50 t (25 t P1), R2 60 t ore (15 t P1):
    # 50*35 + 60*65 + 25*1 + 15*2 = 5705; the quota prices like R1's capacity did: -95.5.
    r = solve(**REFINING_QUOTA)
    assert r.objective == pytest.approx(5705.0)
    assert only(r, "quota")["shadow_price"] == pytest.approx(-95.5)
    assert cap(r) == 0.0


def test_refining_quota_by_members() -> None:
    quotas = dict(REFINING_QUOTA["quotas"], members=["R1"])
    r = solve(quotas=quotas)
    assert r.objective == pytest.approx(5705.0)


def test_mining_quota() -> None:
    # A's output <= 90 t: max P1 = 0.5*60 + 0.25*30 = 37.5, 2.5 t unmet at 1000:
    # 60*35 + 30*65 + 30 + 7.5*2 + 2500 = 6595. One more tonne of ore -> R2: 0.25 t P1
    # replacing unmet (250) for 65.5: -184.5. One more tonne of R1 capacity moves a tonne of
    # ore from R2 to R1: +0.25 t P1 (-250) and 35.5 - 65.5 = -30: -280.
    r = solve(penalty=1000.0, **MINING_QUOTA)
    assert r.objective == pytest.approx(6595.0)
    assert only(r, "quota")["shadow_price"] == pytest.approx(-184.5)
    assert cap(r) == pytest.approx(-280.0)


def test_export_quota() -> None:
    # P1 exports from X <= 20 t: R1 ships 20 (40 t ore), R2 20 (80 t ore):
    # 40*35 + 80*65 + 20*1 + 20*2 = 6660. One more tonne exported: 71 instead of 262: -191.
    r = solve(**EXPORT_QUOTA)
    assert r.objective == pytest.approx(6660.0)
    assert only(r, "quota")["shadow_price"] == pytest.approx(-191.0)


def test_min_share_in_percentage_points() -> None:
    # >= 50 % of M's 40 t of P1 refined in Y (R2): R2 20 t, R1 20 t: 6660 USD.
    # Per tonne moved from R1 to R2: 262 - 71 = 191; one point of 40 t is 0.4 t: 76.4 USD/pp.
    r = solve(**MIN_SHARE)
    assert r.objective == pytest.approx(6660.0)
    row = only(r, "share_limit")
    assert row["bound"] == "min" and row["rhs"] == pytest.approx(50.0) and row["activity"] == pytest.approx(50.0)
    assert row["shadow_price"] == pytest.approx(191 * 0.4)
    # One more tonne demanded: 0.5 t more must come via R2 (the share is of demand) and
    # 0.5 t via R1: 0.5*262 + 0.5*71 = 166.5 (the demand row's own dual is 71, the share
    # row's 191 per t: 71 + 0.5*191).
    assert demand_price(r) == pytest.approx(166.5)


def test_max_share_in_percentage_points() -> None:
    r = solve(**MAX_SHARE)
    assert r.objective == pytest.approx(6660.0)
    row = only(r, "share_limit")
    assert row["bound"] == "max" and row["shadow_price"] == pytest.approx(-191 * 0.4)


@pytest.mark.parametrize("policy", [MIN_SHARE, MAX_SHARE])
@pytest.mark.parametrize("step", [-0.5, 0.5])
def test_demand_price_is_the_finite_difference_under_share_limits(policy: dict, step: float) -> None:
    frames = micro_frames()
    frames["share_limits"] = pd.DataFrame(policy["share_limits"])
    base = oreflow.solve(oreflow.Network.from_frames(**frames))
    frames["demand"] = frames["demand"].assign(demand_t=40.0 + step)
    moved = oreflow.solve(oreflow.Network.from_frames(**frames))
    assert moved.objective - base.objective == pytest.approx(demand_price(base) * step)


def test_share_limit_with_min_and_max_gives_two_rows() -> None:
    r = solve(
        share_limits={"market": ["M"], "product": ["P1"], "country": ["X"], "max_share": [0.9], "min_share": [0.1]}
    )
    assert r.shadow_prices["share_limit"]["bound"].tolist() == ["max", "min"]


@pytest.mark.parametrize(
    ("policy", "table", "column"),
    [
        (REFINING_QUOTA, "quotas", "limit_t"),
        (EXPORT_QUOTA, "quotas", "limit_t"),
        (MIN_SHARE, "share_limits", "min_share"),
        (MAX_SHARE, "share_limits", "max_share"),
    ],
)
@pytest.mark.parametrize("step", [-1.0, 1.0])
def test_policy_price_is_the_finite_difference(policy: dict, table: str, column: str, step: float) -> None:
    """Moving the limit a little (both signs) changes cost by shadow price x change."""
    base = solve(**policy)
    family = "quota" if table == "quotas" else "share_limit"
    price = float(only(base, family)["shadow_price"])
    moved = {table: dict(policy[table])}
    delta = step * (0.5 if table == "quotas" else 0.01)  # 0.5 t, or one percentage point
    moved[table][column] = [policy[table][column][0] + delta]
    per_unit = delta if table == "quotas" else delta * 100  # share prices are per point
    assert solve(**moved).objective - base.objective == pytest.approx(price * per_unit, rel=1e-9)


@pytest.mark.parametrize("step", [-0.5, 0.5])
def test_ore_ban_price_is_the_finite_difference(step: float) -> None:
    """Letting |step| tonnes through the ore ban saves 184.5 USD each (rhs 0 -> 0.5).

    Only the upward move exists (rhs < 0 is infeasible), so both signs are checked on a
    quota over the same flow: x[A,R2] <= 0.5 +/- 0.5.
    """
    base = solve(penalty=1000.0, **ORE_BAN)
    price = float(only(base, "ban")["shadow_price"])
    quota = {
        "quotas": {
            "quota": ["q"],
            "kind": ["refining"],
            "country": ["Y"],
            "product": [""],
            "members": [""],
            "limit_t": [0.5],
        }
    }
    middle = solve(penalty=1000.0, **quota)
    moved = solve(penalty=1000.0, quotas=dict(quota["quotas"], limit_t=[0.5 + step]))
    assert middle.objective - base.objective == pytest.approx(price * 0.5)
    assert moved.objective - middle.objective == pytest.approx(price * step)


def test_summary_names_binding_policies() -> None:
    from oreflow.summary import summary_text

    text = summary_text(solve(**MIN_SHARE), "t")
    assert "share limit: at least 50% of M P1 refined in Y: each further point costs 76 USD" in text
    text = summary_text(solve(**REFINING_QUOTA), "t")
    assert "quota q (refining X, 50 t/yr): one more tonne would save 96 USD" in text


def test_infeasible_min_share_names_the_conflict() -> None:
    # >= 90 % of 40 t from X means 36 t from R1, which can make at most 30 t.
    with pytest.raises(oreflow.SolveError) as caught:
        solve(share_limits={"market": ["M"], "product": ["P1"], "country": ["X"], "min_share": [0.9]})
    error = caught.value
    assert error.status == "infeasible"
    assert error.report.constraints == [
        "capacity[R1] <= 60 t (feed capacity of the refiner)",
        "balance[R1, P1] (shipments of the product cannot exceed what the refiner recovers)",
        "share_limit[M, P1, X >= 90%]",
    ]
    assert "share_limit[M, P1, X >= 90%]" in str(error)
    # each alone: R1 needs 72 t of capacity for 36 t of P1 (+12 t), or R1 would need 6 t
    # more P1 than it recovers, or the share falls to 30/40 = 75 % (-15 points)
    assert error.report.moves == ["rise by 12 t", "rise by 6 t", "fall by 15 percentage points"]


def test_infeasible_report_through_the_pyomo_backend() -> None:
    with pytest.raises(oreflow.SolveError) as caught:
        solve(backend="pyomo", share_limits={"market": ["M"], "product": ["P1"], "country": ["X"], "min_share": [0.9]})
    assert "share_limit[M, P1, X >= 90%]" in caught.value.report.constraints


@pytest.mark.parametrize(
    "policy", [ORE_TARIFF, PRODUCT_TARIFF, ORE_BAN, REFINING_QUOTA, MINING_QUOTA, EXPORT_QUOTA, MIN_SHARE, MAX_SHARE]
)
def test_backends_agree_with_policies(policy: dict) -> None:
    penalty = 1000.0 if policy in (ORE_BAN, MINING_QUOTA) else None
    direct = solve(penalty=penalty, **policy)
    via = solve(penalty=penalty, backend="pyomo", **policy)
    assert via.objective == pytest.approx(direct.objective, rel=1e-9)
    assert via.cost_breakdown == pytest.approx(direct.cost_breakdown)
    for family in ("ban", "quota", "share_limit"):
        pd.testing.assert_frame_equal(via.shadow_prices[family], direct.shadow_prices[family], atol=1e-6)


def test_pyomo_model_has_policy_components() -> None:
    frames = micro_frames()
    frames["quotas"] = pd.DataFrame(REFINING_QUOTA["quotas"])
    model = oreflow.build_pyomo_model(oreflow.Network.from_frames(**frames))
    assert len(model.quota) == 1 and len(model.ban) == 0 and len(model.share_limit) == 0
    assert " ".join(str(model.quota["q"].expr).split()) == "x[A,R1] <= 50.0"  # by name: R1's feed


def test_network_replace_keeps_policies() -> None:
    frames = micro_frames()
    frames["bans"] = pd.DataFrame(ORE_BAN["bans"])
    net = oreflow.Network.from_frames(**frames)
    assert len(dataclasses.replace(net).bans) == 1
