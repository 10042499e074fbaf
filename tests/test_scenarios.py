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


def test_us_ore_ban_raises_cost_and_us_refining(shipped: pd.DataFrame) -> None:
    assert value(shipped, "us_ore_ban_cn", "objective", "total", "delta") > 0
    assert value(shipped, "us_ore_ban_cn", "feed_by_refining_country", "US") > 0
    assert value(shipped, "base", "feed_by_refining_country", "US") == 0
    assert value(shipped, "us_ore_ban_cn", "delivered_marginal_cost", "US/NdPr", "delta") > 0


def test_tariff_on_us_ore_costs_less_than_the_ban(shipped: pd.DataFrame) -> None:
    tariff = value(shipped, "cn_tariff_125_us_ore", "objective", "total", "delta")
    assert 0 < tariff < value(shipped, "us_ore_ban_cn", "objective", "total", "delta")
    assert value(shipped, "cn_tariff_125_us_ore", "cost", "tariffs") > 0


def test_export_licences_raise_heavy_prices_outside_china(shipped: pd.DataFrame) -> None:
    for market in ("JP", "EU", "US"):
        assert value(shipped, "cn_export_licences", "delivered_marginal_cost", f"{market}/Tb", "delta") > 0
    assert value(shipped, "cn_export_licences", "quota_shadow_price", "CN_export_Tb") < 0


def test_separation_quota_binds(shipped: pd.DataFrame) -> None:
    # with plants larger than the quota, the quota (not capacity) is what binds
    assert value(shipped, "cn_separation_quota", "quota_shadow_price", "CN_separation_2024") < -1000
    assert value(shipped, "cn_separation_quota", "capacity_shadow_price", "CN_Baotou") == 0
    # larger plants only let the quota be split differently between them: cost barely moves
    assert abs(value(shipped, "cn_separation_quota", "objective", "total", "delta")) < 1e-3 * 2.69e9


def test_quota_covering_imports_leaves_ndpr_short(shipped: pd.DataFrame) -> None:
    assert value(shipped, "cn_quota_covers_imports", "feed_by_refining_country", "CN") == pytest.approx(254_000)
    unmet = shipped.xs(("cn_quota_covers_imports", "unmet"), level=("scenario", "metric"))["value"]
    assert unmet.sum() > 1000 and set(unmet[unmet > 0].index.str.split("/").str[1]) == {"NdPr"}


def test_myanmar_disruption_raises_cost(shipped: pd.DataFrame) -> None:
    assert value(shipped, "myanmar_disruption", "objective", "total", "delta") > 0
    assert value(shipped, "myanmar_disruption", "ore_by_origin_country", "MM") <= 31_000 * 0.684 + 1e-6


def test_pakistan_lowers_cost(shipped: pd.DataFrame) -> None:
    assert value(shipped, "pakistan_online", "objective", "total", "delta") < 0
    assert value(shipped, "pakistan_online", "ore_by_origin_country", "PK") == pytest.approx(1000)


def test_derisking_costs_and_moves_refining_out_of_china(shipped: pd.DataFrame) -> None:
    assert value(shipped, "derisk_50pct_ndpr", "objective", "total", "delta") > 0
    assert value(shipped, "derisk_50pct_ndpr", "share_limit_shadow_price", "US/NdPr/CN/max") < 0
    assert value(shipped, "derisk_50pct_ndpr", "feed_by_refining_country", "CN", "delta") < 0


def test_buildout_without_policy_stays_idle(shipped: pd.DataFrame) -> None:
    # Under the card's ratios a Western refiner never beats Chinese separation on cost alone.
    assert value(shipped, "western_buildout", "objective", "total", "delta") == pytest.approx(0, abs=1e-3)


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
