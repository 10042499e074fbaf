"""N-1 stress tests (docs/sensitivity.md): every disruption, ranked, equal to individual solves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oreflow
from conftest import BASELINE_DATASET, write_dataset, write_job
from oreflow.cli import main
from oreflow.job import Scenario, load_job
from oreflow.scenarios import apply_scenario
from oreflow.sweep.run import execution_of
from oreflow.sweep.stress import disruptions, run_stress


@pytest.fixture(scope="module")
def stressed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``oreflow stress`` of the default dataset (one worker)."""
    folder = tmp_path_factory.mktemp("stress")
    job = write_job(folder / "job.toml", str(BASELINE_DATASET), str(folder / "run"))
    assert main(["stress", str(job), "--workers", "1", "--quiet"]) == 0
    return folder / "run-stress"


def test_every_disruption_once(stressed: Path) -> None:
    network = oreflow.load_inputs(BASELINE_DATASET)
    ranked = pd.read_csv(stressed / "stress.csv", keep_default_na=False, na_values=[""])
    kinds = ranked["kind"].value_counts().to_dict()
    assert kinds["origin"] == len(network.origins) and kinds["refiner"] == len(network.refiners)
    countries = {
        "o": network.origins.set_index("origin")["country"],
        "r": network.refiners.set_index("refiner")["country"],
        "m": network.markets.set_index("market")["country"],
    }
    ore_pairs = set(
        zip(network.ore_routes["origin"].map(countries["o"]), network.ore_routes["refiner"].map(countries["r"]))
    )
    product_pairs = set(
        zip(network.product_routes["refiner"].map(countries["r"]), network.product_routes["market"].map(countries["m"]))
    )
    assert kinds["ore_route_group"] == len(ore_pairs) and kinds["product_route_group"] == len(product_pairs)
    assert ranked["element"].is_unique or ranked[["kind", "element"]].drop_duplicates().shape[0] == len(ranked)
    assert "base" not in set(ranked["kind"])


def test_ranked_most_critical_first(stressed: Path) -> None:
    ranked = pd.read_csv(stressed / "stress.csv")
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    increase = ranked["cost_increase_usd"].to_numpy()
    assert (increase[:-1] >= increase[1:]).all()
    # losing something never saves money, unless it voids a contract whose obligation had a price
    # (losing MP's own separation ends the MP_inhouse contract, which cost 3,800 USD/t)
    kept = ~ranked["description"].str.contains("contracts void").to_numpy()
    assert (increase[kept] >= -1e-6 * np.abs(ranked["objective_usd"].to_numpy()[kept])).all()
    assert kept.sum() < len(ranked)
    assert ranked.loc[0, "element"] in ("CN->CN product", "CN->CN ore", "CN_BayanObo", "CN_Baotou")
    summary = json.loads((stressed / "summary.json").read_text())
    assert summary["kind"] == "stress" and summary["disruptions"] == len(ranked) and summary["failed"] == 0
    assert summary["most_critical"][0]["element"] == ranked.loc[0, "element"]


def test_a_price_at_its_curves_cap_is_named(stressed: Path) -> None:
    """inputs/README.md: losing Bayan Obo drives NdPr to its cap (10 x 56,000 USD/t), so its
    welfare loss is a lower bound; losing Baotou raises NdPr a lot but stays on the curve."""
    ranked = pd.read_csv(stressed / "stress.csv", keep_default_na=False).set_index("element")
    assert "CN/NdPr" in ranked.loc["CN_BayanObo", "at_price_cap"].split("; ")
    assert ranked.loc["CN_Baotou", "at_price_cap"] == ""
    assert ranked.loc["US_MP_MountainPass", "description"].endswith("contracts void: MP_inhouse")


def test_rows_equal_individual_solves(stressed: Path) -> None:
    network = oreflow.load_inputs(BASELINE_DATASET)
    base = oreflow.solve(network).objective
    points = {(p.tags["kind"], p.tags["element"]): p for p in disruptions(network, {})}
    ranked = pd.read_csv(stressed / "stress.csv").set_index(["kind", "element"])
    for key in [
        ("refiner", "CN_Baotou"),
        ("origin", "US_MountainPass"),
        ("ore_route_group", "US->CN ore"),
        ("product_route_group", "CN->US product"),
        ("refiner", "MY_Lynas_Kuantan"),
    ]:
        changed = apply_scenario(network, Scenario(name="n-1", changes=list(points[key].changes))).network
        result = oreflow.solve(changed)
        row = ranked.loc[key]
        assert row["objective_usd"] == pytest.approx(result.objective, rel=1e-9), key
        assert row["cost_increase_usd"] == pytest.approx(result.objective - base, rel=1e-6, abs=1.0), key
        assert row["unmet_t"] == pytest.approx(result.unmet["unmet_t"].sum(), abs=1e-6), key


def test_unmet_and_price_tables(stressed: Path) -> None:
    unmet = pd.read_csv(stressed / "stress_unmet.csv")
    assert (unmet["unmet_increase_t"] > 0).all()
    ranked = pd.read_csv(stressed / "stress.csv").set_index(["kind", "element"])
    by_case = unmet.groupby(["kind", "element"])["unmet_increase_t"].sum()
    for key, total in by_case.items():
        assert total == pytest.approx(ranked.loc[key, "unmet_increase_t"], rel=1e-9, abs=1e-6)
    moves = pd.read_csv(stressed / "stress_prices.csv")
    assert moves.groupby(["kind", "element"]).size().max() <= 10
    assert ((moves["value"] - moves["base"] - moves["change"]).abs() < 1e-6).all()
    baotou = moves.loc[(moves["kind"] == "refiner") & (moves["element"] == "CN_Baotou")]
    for _, family in baotou.groupby("family"):  # families take turns (their units differ), largest first in each
        assert (family["change"].abs().diff().dropna() <= 1e-9).all()
    assert baotou["family"].iloc[:3].nunique() == min(3, baotou["family"].nunique())
    assert set(moves["unit"].dropna()) <= {
        "USD per t REO of ore supply",
        "USD per t REO of refining feed capacity",
        "USD per t of product delivered",
        "USD per t of quota",
        "USD per t of contracted flow",
        "USD per percentage point of the share limit",
    }


def test_stress_options_choose_the_disruptions(tmp_path: Path, micro) -> None:
    dataset = write_dataset(tmp_path / "micro", micro)
    job = write_job(
        tmp_path / "job.toml",
        str(dataset),
        str(tmp_path / "run"),
        "[stress]\nore_route_groups = false\nproduct_route_groups = false\ntop_prices = 2\n",
    )
    job_file = load_job(job)
    text, status, folder = run_stress(
        job_file, oreflow.load_inputs(dataset), None, execution_of(job_file, 1, None, False, False)
    )
    ranked = pd.read_csv(folder / "stress.csv")
    assert status == 0 and set(ranked["kind"]) == {"origin", "refiner"} and len(ranked) == 3
    # micro model (conftest): losing A leaves all 40 t of P1 unmet; losing R1 sends all P1 through
    # R2: 160 t of ore at 65 USD/t plus 40 t shipped at 2 USD/t = 10,480 USD; losing R2 leaves
    # R1's 60 t of feed, 30 t of P1: 10 t unmet (hand-solved)
    row = ranked.set_index("element")
    assert row.loc["A", "unmet_increase_t"] == pytest.approx(40.0)
    assert row.loc["R1", "objective_usd"] == pytest.approx(10480.0)
    assert row.loc["R2", "unmet_increase_t"] == pytest.approx(10.0)
    assert ranked.loc[0, "element"] == "A" and "lost" in ranked.loc[0, "description"]
    assert "rank" in text and str(folder) == str(tmp_path / "run-stress")


def test_a_disruption_that_cannot_be_solved_ranks_first_and_says_why(tmp_path: Path, micro) -> None:
    """Micro model with 'at least 50 % of M's P1 refined in X': only R1 is in X, so losing R1
    (or its ore) makes the policy impossible — the most critical disruption of all."""
    frames = dict(
        micro, share_limits=pd.DataFrame({"market": ["M"], "product": ["P1"], "country": ["X"], "min_share": [0.5]})
    )
    dataset = write_dataset(tmp_path / "micro", frames)
    job = write_job(tmp_path / "job.toml", str(dataset), str(tmp_path / "run"))
    job_file = load_job(job)
    text, status, folder = run_stress(
        job_file, oreflow.load_inputs(dataset), None, execution_of(job_file, 1, None, False, False)
    )
    ranked = pd.read_csv(folder / "stress.csv", keep_default_na=False, na_values=[""])
    assert status == 1
    failed = ranked.loc[ranked["status"] != "optimal"]
    assert set(failed["element"]) >= {"R1"} and failed["rank"].max() == len(failed)  # all ranked on top
    error = failed.set_index("element").loc["R1", "error"]
    assert "share_limit[M, P1, X >= 50%]" in error and "capacity[R1]" in error


def test_price_moves_leave_out_prices_that_are_not_unique(stressed: Path) -> None:
    points = pd.read_parquet(stressed / "points.parquet").set_index(["kind", "element"])
    moves = pd.read_csv(stressed / "stress_prices.csv")
    base = points.loc[("base", "")]
    assert len(moves)
    for row in moves.itertuples(index=False):
        trust = f"unique.{row.column.removeprefix('price.')}"
        assert base[trust] is not False and points.loc[(row.kind, row.element), trust] is not False
    unique = [c for c in points.columns if c.startswith("unique.")]
    assert (points[unique] == False).any().any()  # noqa: E712  (so the filter above had work to do)


def test_nothing_to_disrupt_is_an_error(tmp_path: Path, capsys) -> None:
    job = write_job(
        tmp_path / "job.toml",
        str(BASELINE_DATASET),
        None,
        "[stress]\norigins = false\nrefiners = false\nore_route_groups = false\nproduct_route_groups = false\n",
    )
    assert main(["stress", str(job), "--quiet"]) == 1
    assert "at least one kind of disruption" in capsys.readouterr().err


def test_a_contract_with_a_maximum_is_voided_too(tmp_path: Path) -> None:
    """Losing Mt Weld voids the Mt Weld-Lynas contract, also when it has a max_t (its bounds
    relaxed: min_t 0, max_t inf, given as such, not drawn): the disruption is solved, and it
    equals the dataset without the origin and the contract solved alone."""
    network = oreflow.load_inputs(BASELINE_DATASET)
    frames = {spec.name: getattr(network, spec.name) for spec in oreflow.model.tables.TABLES}
    frames["contracts"] = frames["contracts"].assign(
        max_t=np.where(frames["contracts"]["contract"] == "MtWeld_to_Lynas", 60000.0, frames["contracts"]["max_t"])
    )
    folder = write_dataset(tmp_path / "ds", frames)
    job = write_job(
        tmp_path / "job.toml",
        "ds",
        "out",
        "[stress]\nrefiners = false\nore_route_groups = false\nproduct_route_groups = false\n",
    )
    assert main(["stress", str(job), "--quiet", "--workers", "1"]) == 0
    ranked = pd.read_csv(tmp_path / "out-stress" / "stress.csv").set_index("element")
    assert ranked.loc["AU_MtWeld", "status"] == "optimal"
    assert "contracts void: MtWeld_to_Lynas" in ranked.loc["AU_MtWeld", "description"]
    alone = oreflow.load_inputs(folder)
    lost = apply_scenario(
        alone,
        Scenario(
            name="lost",
            changes=[
                {
                    "action": "scale",
                    "table": "origins",
                    "where": {"origin": "AU_MtWeld"},
                    "column": "supply_t",
                    "factor": 0,
                },
                {"action": "remove", "table": "contracts", "where": {"contract": "MtWeld_to_Lynas"}},
            ],
        ),
    ).network
    assert ranked.loc["AU_MtWeld", "objective_usd"] == pytest.approx(oreflow.solve(lost).objective, rel=1e-9)
