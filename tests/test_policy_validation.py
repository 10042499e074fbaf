"""Validation rules of the policy tables (tariffs, bans, quotas, share_limits)."""

from __future__ import annotations

from pathlib import Path

import pytest

import oreflow
from conftest import write_dataset


def problems_of(tmp_path: Path, name: str, text: str) -> list[oreflow.Problem]:
    folder = write_dataset(tmp_path / "data")
    (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    with pytest.raises(oreflow.InputError) as caught:
        oreflow.load_inputs(folder)
    return caught.value.problems


def valid(tmp_path: Path, name: str, text: str) -> oreflow.Network:
    folder = write_dataset(tmp_path / "data")
    (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return oreflow.load_inputs(folder)


def one(problems: list[oreflow.Problem]) -> oreflow.Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_tariff_with_unknown_country(tmp_path: Path) -> None:
    p = one(problems_of(tmp_path, "tariffs", "from_country,to_country,stage,product,usd_per_t\nX,ZZ,ore,,5\n"))
    assert (p.file, p.line, p.column, p.value, p.rule) == ("tariffs.csv", 2, "to_country", "ZZ", "reference")


def test_ban_stage_must_be_ore_or_product(tmp_path: Path) -> None:
    p = one(problems_of(tmp_path, "bans", "from_country,to_country,stage,product\nX,Y,metal,\n"))
    assert (p.line, p.column, p.value, p.rule) == (2, "stage", "metal", "choice")
    assert "ore, product" in p.expected


def test_ore_stage_cannot_name_a_product(tmp_path: Path) -> None:
    p = one(problems_of(tmp_path, "bans", "from_country,to_country,stage,product\nX,Y,ore,P1\n"))
    assert (p.column, p.rule) == ("product", "policy_product")


def test_policy_product_must_exist(tmp_path: Path) -> None:
    p = one(problems_of(tmp_path, "tariffs", "from_country,to_country,stage,product,usd_per_t\nX,Y,product,P9,5\n"))
    assert (p.column, p.value, p.rule) == ("product", "P9", "reference")


def test_wildcards_and_blank_product_are_valid(tmp_path: Path) -> None:
    net = valid(tmp_path, "bans", "from_country,to_country,stage\n*,Y,product\nX,*,ore\n")
    assert net.bans["product"].tolist() == ["", ""]


def test_duplicate_tariff_rows(tmp_path: Path) -> None:
    text = "from_country,to_country,stage,product,usd_per_t\nX,Y,ore,,5\nX,Y,ore,,7\n"
    p = one(problems_of(tmp_path, "tariffs", text))
    assert (p.line, p.rule) == (3, "unique_key")


def test_quota_kind_and_country(tmp_path: Path) -> None:
    text = "quota,kind,country,limit_t\nq1,refining,Y,10\nq2,mining,Y,10\nq3,smelting,X,1\n"
    problems = problems_of(tmp_path, "quotas", text)
    found = {(p.line, p.column, p.rule) for p in problems}
    # Y has refiner R2, so q1 is fine; no origin is in Y (mining); "smelting" is no kind
    assert found == {(3, "country", "reference"), (4, "kind", "choice")}


def test_quota_members_must_belong_to_the_country(tmp_path: Path) -> None:
    text = "quota,kind,country,members,limit_t\nq1,refining,X,R1;R2,10\n"
    p = one(problems_of(tmp_path, "quotas", text))
    assert (p.line, p.column, p.value, p.rule) == (2, "members", "R2", "quota_members")


def test_refining_quota_cannot_name_a_product(tmp_path: Path) -> None:
    p = one(problems_of(tmp_path, "quotas", "quota,kind,country,product,limit_t\nq1,refining,X,P1,10\n"))
    assert (p.column, p.rule) == ("product", "policy_product")


def test_quota_limit_must_be_a_number(tmp_path: Path) -> None:
    p = one(problems_of(tmp_path, "quotas", "quota,kind,country,limit_t\nq1,refining,X,-1\n"))
    assert (p.column, p.value, p.rule) == ("limit_t", "-1", "number")


def test_share_limit_needs_a_bound(tmp_path: Path) -> None:
    p = one(problems_of(tmp_path, "share_limits", "market,product,country,max_share,min_share\nM,P1,X,,\n"))
    assert (p.line, p.rule) == (2, "share_limit")


def test_share_limit_min_above_max(tmp_path: Path) -> None:
    p = one(problems_of(tmp_path, "share_limits", "market,product,country,max_share,min_share\nM,P1,X,0.2,0.5\n"))
    assert (p.column, p.rule) == ("min_share", "share_limit")


def test_share_limit_share_is_a_fraction(tmp_path: Path) -> None:
    p = one(problems_of(tmp_path, "share_limits", "market,product,country,max_share\nM,P1,X,50\n"))
    assert (p.column, p.value, p.rule) == ("max_share", "50", "number")


def test_share_limit_needs_demand(tmp_path: Path) -> None:
    p = one(problems_of(tmp_path, "share_limits", "market,product,country,max_share\nM,P2,X,0.5\n"))
    assert (p.column, p.rule) == ("market", "share_limit")
    assert "demand_t > 0" in p.expected


def test_share_limit_country_must_refine(tmp_path: Path) -> None:
    p = one(problems_of(tmp_path, "share_limits", "market,product,country,max_share\nM,P1,Q,0.5\n"))
    assert (p.column, p.value, p.rule) == ("country", "Q", "reference")
