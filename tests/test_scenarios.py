"""Scenarios: each change kind, each error case, the batch run and the shipped scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import oreflow
from conftest import BAN_AND_INFEASIBLE, REPO, write_dataset
from oreflow.cli import main
from oreflow.job import Change, Scenario
from oreflow.scenarios import apply_scenario

SCENARIOS_JOB = REPO / "inputs" / "scenarios_2024.toml"


def micro_network(tmp_path: Path) -> oreflow.Network:
    return oreflow.load_inputs(write_dataset(tmp_path / "micro"))


def scenario(*changes: dict) -> Scenario:
    return Scenario(name="s", changes=[Change(**c) for c in changes])


def test_scale_by_country(tmp_path: Path) -> None:
    base = micro_network(tmp_path)
    applied = apply_scenario(
        base,
        scenario(
            {
                "action": "scale",
                "table": "refiners",
                "column": "processing_cost_usd_per_t",
                "where": {"country": "X"},
                "factor": 1.5,
            }
        ),
    )
    costs = applied.network.refiners.set_index("refiner")["processing_cost_usd_per_t"]
    assert costs.to_dict() == {"R1": 30.0, "R2": 50.0}
    assert applied.log == [
        {
            "change": 1,
            "action": "scale",
            "rows": 1,
            "description": "scale refiners.processing_cost_usd_per_t x 1.5 where country=X",
        }
    ]
    assert base.refiners["processing_cost_usd_per_t"].tolist() == [20.0, 50.0]  # the base is untouched


def test_set_by_id_list_and_inf(tmp_path: Path) -> None:
    applied = apply_scenario(
        micro_network(tmp_path),
        scenario(
            {
                "action": "set",
                "table": "refiners",
                "column": "capacity_t",
                "where": {"refiner": ["R1", "R2"]},
                "value": "inf",
            }
        ),
    )
    assert applied.network.refiners["capacity_t"].tolist() == [float("inf")] * 2


def test_add_rows_then_remove_rows(tmp_path: Path) -> None:
    applied = apply_scenario(
        micro_network(tmp_path),
        scenario(
            {
                "action": "add",
                "table": "refiners",
                "rows": [
                    {"refiner": "R3", "country": "Y", "capacity_t": 100, "processing_cost_usd_per_t": 10, "recovery": 1}
                ],
            },
            {
                "action": "add",
                "table": "ore_routes",
                "rows": [{"origin": "A", "refiner": "R3", "freight_usd_per_t": 5}],
            },
            {
                "action": "add",
                "table": "product_routes",
                "rows": [{"refiner": "R3", "market": "M", "freight_usd_per_t": 1}],
            },
            {"action": "remove", "table": "ore_routes", "where": {"refiner": "R2"}},
        ),
    )
    net = applied.network
    assert net.refiners["refiner"].tolist() == ["R1", "R2", "R3"]
    assert net.ore_routes["refiner"].tolist() == ["R1", "R3"]
    # R3 delivers P1 at (10 + 5 + 10)/0.5 + 1 = 51 USD/t: it serves all 40 t (80 t ore)
    assert oreflow.solve(net).objective == pytest.approx(80 * 25 + 40 * 1)


def test_add_and_drop_policy_rows(tmp_path: Path) -> None:
    base = micro_network(tmp_path)
    with_ban = apply_scenario(
        base,
        scenario(
            {"action": "add", "table": "bans", "rows": [{"from_country": "X", "to_country": "Y", "stage": "ore"}]}
        ),
    )
    assert len(with_ban.network.bans) == 1
    dropped = apply_scenario(
        with_ban.network, scenario({"action": "remove", "table": "bans", "where": {"stage": "ore"}})
    )
    assert len(dropped.network.bans) == 0


@pytest.mark.parametrize(
    ("change", "rule", "column"),
    [
        ({"action": "scale", "table": "plants", "column": "x", "factor": 2}, "scenario_table", "table"),
        ({"action": "scale", "table": "refiners", "column": "cost", "factor": 2}, "scenario_column", "column"),
        ({"action": "remove", "table": "refiners", "where": {"plant": "R1"}}, "scenario_column", "column"),
        ({"action": "remove", "table": "refiners", "where": {"refiner": "R9"}}, "scenario_selects_nothing", "where"),
        ({"action": "scale", "table": "refiners", "column": "country", "factor": 2}, "scenario_column", "column"),
        (
            {"action": "set", "table": "refiners", "column": "capacity_t", "value": "lots", "where": {"refiner": "R1"}},
            "scenario_value",
            "value",
        ),
        ({"action": "add", "table": "bans", "rows": [{"from": "X"}]}, "scenario_column", "column"),
    ],
)
def test_change_errors_name_the_scenario_and_change(tmp_path: Path, change: dict, rule: str, column: str) -> None:
    with pytest.raises(oreflow.InputError) as caught:
        apply_scenario(micro_network(tmp_path), scenario(change))
    problem = caught.value.problems[0]
    assert problem.rule == rule and problem.column == column
    assert problem.file.startswith("scenario 's', change 1 (")
    assert "scenario 's'" in str(caught.value)


def test_change_that_makes_a_table_invalid(tmp_path: Path) -> None:
    # removing refiner R2 leaves its routes pointing nowhere: attributed to that change
    with pytest.raises(oreflow.InputError) as caught:
        apply_scenario(
            micro_network(tmp_path),
            scenario(
                {"action": "scale", "table": "origins", "column": "supply_t", "factor": 2},
                {"action": "remove", "table": "refiners", "where": {"refiner": "R2"}},
            ),
        )
    files = {p.file for p in caught.value.problems}
    last = "scenario 's', change 2 (remove rows of refiners where refiner=R2)"
    assert files == {f"ore_routes.csv after {last}", f"product_routes.csv after {last}"}


def test_invalid_value_is_attributed_to_the_change(tmp_path: Path) -> None:
    with pytest.raises(oreflow.InputError) as caught:
        apply_scenario(
            micro_network(tmp_path),
            scenario(
                {"action": "set", "table": "refiners", "column": "recovery", "where": {"refiner": "R1"}, "value": 1.5}
            ),
        )
    problem = caught.value.problems[0]
    assert problem.file == "refiners.csv after scenario 's', change 1 (set refiners.recovery = 1.5 where refiner=R1)"
    assert (problem.column, problem.value) == ("recovery", "1.5")


def write_batch_job(tmp_path: Path, scenarios: str) -> Path:
    write_dataset(tmp_path / "micro")
    job = tmp_path / "job.toml"
    job.write_text(f'dataset = "micro"\noutput = "out"\n{scenarios}', encoding="utf-8")
    return job


def test_batch_writes_cases_and_comparison_and_goes_on_after_infeasible(tmp_path: Path, capsys) -> None:
    job = write_batch_job(tmp_path, BAN_AND_INFEASIBLE)
    assert main(["run", str(job)]) == 1  # one case failed: non-zero, but everything is written
    out = tmp_path / "out"
    assert {"base", "comparison.csv", "impossible", "no_exports", "summary.json"} <= {p.name for p in out.iterdir()}
    assert (out / "base" / "allocations.csv").is_file() and (out / "no_exports" / "allocations.csv").is_file()
    failed = json.loads((out / "impossible" / "summary.json").read_text())
    assert failed["status"] == "infeasible"
    assert "share_limit[M, P1, X >= 90%]" in failed["infeasibility"]
    assert "share_limit[M, P1, X >= 90%]" in (out / "impossible" / "infeasibility.txt").read_text()
    applied = json.loads((out / "no_exports" / "summary.json").read_text())["scenario"]["changes_applied"]
    assert applied == [
        {
            "change": 1,
            "action": "add",
            "description": "add 1 row(s) to bans",
            "rows": 1,
            "added": [{"from_country": "X", "to_country": "*", "stage": "product"}],
        }
    ]
    comparison = pd.read_csv(out / "comparison.csv")
    objective = comparison.loc[comparison.metric == "objective"].set_index("scenario")
    assert objective.loc["no_exports", "value"] == pytest.approx(10_480.0)  # all P1 via R2
    assert objective.loc["no_exports", "delta"] == pytest.approx(10_480.0 - 4_750.0)
    assert objective.loc["base", "delta"] == 0
    assert pd.isna(objective.loc["impossible", "value"])
    printed = capsys.readouterr().out
    assert "impossible" in printed and "share_limit[M, P1, X >= 90%]" in printed


def test_only_one_scenario(tmp_path: Path) -> None:
    job = write_batch_job(tmp_path, BAN_AND_INFEASIBLE)
    assert main(["run", str(job), "--scenario", "no_exports", "--quiet"]) == 0
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"base", "comparison.csv", "no_exports", "summary.json"} <= names and "impossible" not in names


def test_unknown_scenario_name(tmp_path: Path, capsys) -> None:
    job = write_batch_job(tmp_path, BAN_AND_INFEASIBLE)
    assert main(["run", str(job), "--scenario", "nope"]) == 1
    assert "no_exports, impossible" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bad_change_stops_the_batch_before_solving(tmp_path: Path, capsys, monkeypatch) -> None:
    job = write_batch_job(
        tmp_path,
        BAN_AND_INFEASIBLE
        + """
[[scenarios]]
name = "typo"
changes = [ { action = "scale", table = "origins", column = "supply", factor = 2 } ]
""",
    )
    monkeypatch.setattr("oreflow.runs._solve", lambda *a, **k: pytest.fail("solved despite a bad scenario"))
    assert main(["run", str(job)]) == 1
    err = capsys.readouterr().err
    assert "scenario 'typo', change 1" in err and "'supply'" in err
    assert not (tmp_path / "out").exists()


def test_duplicate_scenario_names_rejected(tmp_path: Path) -> None:
    job = write_batch_job(
        tmp_path,
        """
[[scenarios]]
name = "a"
changes = [ { action = "remove", table = "bans" } ]
[[scenarios]]
name = "a"
changes = [ { action = "remove", table = "bans" } ]
""",
    )
    with pytest.raises(oreflow.InputError, match="unique"):
        oreflow.job.load_job(job)


# ---- the shipped scenarios ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("scenarios") / "out"
    assert main(["run", str(SCENARIOS_JOB), "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "comparison.csv", keep_default_na=False, na_values=[""])
    return table.set_index(["scenario", "metric", "key"])


def value(table: pd.DataFrame, scenario: str, metric: str, key: str, column: str = "value") -> float:
    return float(table.loc[(scenario, metric, key), column])


def test_shipped_scenarios_all_solve(shipped: pd.DataFrame) -> None:
    statuses = shipped.reset_index().groupby("scenario")["status"].first()
    assert set(statuses) == {"optimal"}
    assert len(statuses) == 10


def price(table: pd.DataFrame, scenario: str, key: str, column: str = "value") -> float:
    """A demand row's price (its shadow price: the equilibrium price on a curve), USD/t."""
    return value(table, scenario, "delivered_marginal_cost", key, column)


def welfare_loss(table: pd.DataFrame, scenario: str) -> float:
    """The rise of the objective (total cost - willingness to pay): the welfare lost, USD/yr."""
    return value(table, scenario, "objective", "total", "delta")


def test_no_shipped_scenario_leaves_demand_unmet(shipped: pd.DataFrame) -> None:
    """No headline rests on the penalty: the curves price buyers out instead."""
    unmet = shipped.xs("unmet", level="metric")["value"]
    assert (unmet == 0).all()


def test_us_ore_ban_strands_us_ore_and_raises_ndpr(shipped: pd.DataFrame) -> None:
    assert welfare_loss(shipped, "us_ore_ban_cn") > 0
    assert value(shipped, "us_ore_ban_cn", "ore_by_origin_country", "US", "delta") < -30_000
    assert price(shipped, "us_ore_ban_cn", "CN/NdPr", "delta") > 0.1 * price(shipped, "base", "CN/NdPr")


def test_tariff_on_us_ore_ends_the_offtake_like_the_ban(shipped: pd.DataFrame) -> None:
    """At 5,250 USD/t on top of its cost no US ore is worth shipping to China: no tariff is
    paid, and the outcome is the ban's."""
    assert value(shipped, "cn_tariff_125_us_ore", "cost", "tariffs") == pytest.approx(0, abs=1e-6)
    assert welfare_loss(shipped, "cn_tariff_125_us_ore") == pytest.approx(welfare_loss(shipped, "us_ore_ban_cn"))


def test_export_licences_split_heavy_prices_at_the_border(shipped: pd.DataFrame) -> None:
    for market in ("JP", "EU", "US"):
        assert price(shipped, "cn_export_licences", f"{market}/Tb", "delta") > 0
    assert price(shipped, "cn_export_licences", "CN/Tb", "delta") < 0
    assert value(shipped, "cn_export_licences", "quota_shadow_price", "CN_export_Tb") < 0


def test_separation_quota_binds(shipped: pd.DataFrame) -> None:
    # with plants larger than the quota, the quota (not capacity) is what binds
    assert value(shipped, "cn_separation_quota", "quota_shadow_price", "CN_separation_2024") < -1000
    assert value(shipped, "cn_separation_quota", "capacity_shadow_price", "CN_Baotou") == 0
    # larger plants only let the quota be split differently between them: welfare barely moves
    assert abs(welfare_loss(shipped, "cn_separation_quota")) < 1e-3 * 3.1e9


def test_quota_covering_imports_raises_ndpr_without_shortage(shipped: pd.DataFrame) -> None:
    assert value(shipped, "cn_quota_covers_imports", "feed_by_refining_country", "CN") == pytest.approx(254_000)
    assert price(shipped, "cn_quota_covers_imports", "CN/NdPr") > 1.5 * price(shipped, "base", "CN/NdPr")
    assert welfare_loss(shipped, "cn_quota_covers_imports") > 0


def test_myanmar_disruption_halves_mm_and_raises_heavy_prices(shipped: pd.DataFrame) -> None:
    """The dataset's 31,000 t is 2024's output after its fall: the scenario halves that once."""
    assert value(shipped, "myanmar_disruption", "ore_by_origin_country", "MM") == pytest.approx(15_500)
    assert welfare_loss(shipped, "myanmar_disruption") > 0
    assert price(shipped, "myanmar_disruption", "CN/Dy") > 2 * price(shipped, "base", "CN/Dy")
    assert price(shipped, "myanmar_disruption", "CN/Tb", "delta") > 0


def test_pakistan_adds_welfare(shipped: pd.DataFrame) -> None:
    assert welfare_loss(shipped, "pakistan_online") < 0
    assert value(shipped, "pakistan_online", "ore_by_origin_country", "PK") == pytest.approx(1000)


def test_derisking_costs_and_moves_refining_out_of_china(shipped: pd.DataFrame) -> None:
    assert welfare_loss(shipped, "derisk_50pct_ndpr") > 0
    assert value(shipped, "derisk_50pct_ndpr", "share_limit_shadow_price", "US/NdPr/CN/max") < 0
    feed = shipped.xs(("derisk_50pct_ndpr", "feed_by_refining_country"), level=("scenario", "metric"))["delta"]
    assert feed.drop("CN").sum() > 0 and feed["CN"] <= 0  # more separated outside China, China still full
    assert price(shipped, "derisk_50pct_ndpr", "US/NdPr") > price(shipped, "derisk_50pct_ndpr", "CN/NdPr") + 1000


def test_buildout_without_policy_gains_little(shipped: pd.DataFrame) -> None:
    # at 2024 prices separation outside China costs more than the ore it would draw is worth
    assert -1e6 < welfare_loss(shipped, "western_buildout") <= 0


def test_change_rejects_fields_its_action_does_not_use() -> None:
    with pytest.raises(ValueError, match="does not use column, value"):
        Change(action="remove", table="bans", column="product", value="x")


def test_where_selects_numbers_as_numbers(tmp_path: Path) -> None:
    applied = apply_scenario(
        micro_network(tmp_path),
        scenario({"action": "set", "table": "origins", "column": "supply_t", "where": {"supply_t": 200}, "value": 50}),
    )
    assert applied.network.origins["supply_t"].tolist() == [50.0]


def test_scaling_inf_by_zero_closes_it(tmp_path: Path) -> None:
    applied = apply_scenario(
        micro_network(tmp_path),
        scenario(
            {"action": "scale", "table": "refiners", "column": "capacity_t", "where": {"refiner": "R2"}, "factor": 0}
        ),
    )
    assert applied.network.refiners["capacity_t"].tolist() == [60.0, 0.0]


def test_set_blank_restores_an_optional_default(tmp_path: Path) -> None:
    base = micro_network(tmp_path)
    with_penalty = apply_scenario(
        base, scenario({"action": "set", "table": "demand", "column": "unmet_penalty_usd_per_t", "value": 5})
    )
    assert with_penalty.network.demand["unmet_penalty_usd_per_t"].tolist() == [5.0]
    blank = apply_scenario(
        with_penalty.network,
        scenario({"action": "set", "table": "demand", "column": "unmet_penalty_usd_per_t", "value": ""}),
    )
    assert blank.network.demand["unmet_penalty_usd_per_t"].isna().all()


def test_blame_goes_to_the_change_that_broke_the_reference(tmp_path: Path) -> None:
    with pytest.raises(oreflow.InputError) as caught:
        apply_scenario(
            micro_network(tmp_path),
            scenario(
                {"action": "remove", "table": "refiners", "where": {"refiner": "R2"}},
                {"action": "scale", "table": "origins", "column": "supply_t", "factor": 0.9},
            ),
        )
    assert all("change 1 (remove rows of refiners where refiner=R2)" in p.file for p in caught.value.problems)


@pytest.mark.parametrize("name", ["Base", "comparison.csv", "..", ".hidden"])
def test_scenario_names_that_collide_with_outputs(name: str) -> None:
    with pytest.raises(ValueError):
        oreflow.job.Job.model_validate(
            {"dataset": "x", "scenarios": [{"name": name, "changes": [{"action": "remove", "table": "bans"}]}]}
        )


def test_validate_applies_scenarios(tmp_path: Path, capsys) -> None:
    job = write_batch_job(
        tmp_path,
        """
[[scenarios]]
name = "typo"
changes = [ { action = "remove", table = "refiners", where = { refiner = "R9" } } ]
""",
    )
    assert main(["validate", str(job)]) == 1
    assert "scenario 'typo', change 1" in capsys.readouterr().err
