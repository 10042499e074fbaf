"""The shipped 2024 base case reproduces what was observed in 2024 (inputs/rare_earths_2024/
observed.csv; inputs/README.md, "How the base case is built"): every figure within its
tolerance, and the headline prices come from the demand curves, not from a penalty, a cap
or a co-product in surplus."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

import oreflow
from conftest import BASELINE_DATASET, BASELINE_JOB, write_dataset, write_job
from oreflow.calibration import calibrate, load_observed, observed_path
from oreflow.cli import main
from oreflow.model.tables import TABLES


@pytest.fixture(scope="module")
def base() -> oreflow.Result:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oreflow.solve(BASELINE_JOB)


def test_every_observed_figure_is_within_its_tolerance(base: oreflow.Result) -> None:
    table = calibrate(base, load_observed(observed_path(BASELINE_DATASET)))
    missed = table.loc[~table["within"].astype(bool), ["figure", "model", "observed"]]
    assert missed.empty, f"outside tolerance:\n{missed.to_string()}"
    assert len(table) >= 8


def test_the_headline_numbers_rest_on_no_penalty_cap_or_surplus(base: oreflow.Result) -> None:
    assert base.unmet["unmet_t"].sum() == 0.0 and base.cost_breakdown["unmet_penalty"] == 0.0
    market = base.market.set_index(["market", "product"])
    for product in ("NdPr", "Dy", "Tb"):
        row = market.loc[("CN", product)]
        assert bool(row["curve"]) and not bool(row["surplus"]) and not bool(row["fragile"]), product
        assert row["note"] == "", (product, row["note"])
    assert base.welfare["welfare"] == pytest.approx(-base.objective)


def test_china_separates_85_to_93_percent_and_the_west_runs(base: oreflow.Result) -> None:
    refinery = base.refinery.set_index("refiner")
    china = refinery.loc[refinery["country"] == "CN", "throughput_t"].sum() / refinery["throughput_t"].sum()
    assert 0.85 <= china <= 0.93
    assert refinery.loc["MY_Lynas_Kuantan", "throughput_t"] > 10_000
    assert refinery.loc["US_MP_MountainPass", "throughput_t"] > 5_000


def test_every_number_of_the_dataset_has_a_source() -> None:
    """inputs/rare_earths_2024/README.md, "sources.csv format": each numeric cell of each data
    table has a sources.csv row (file, row key, column), tagged P/S/W/D/U/A."""
    sources = pd.read_csv(BASELINE_DATASET / "sources.csv", dtype=str, keep_default_na=False)
    assert set(sources["tag"]) <= set("PSWDUA")
    covered = {
        (file, key, column)
        for file, keys, column in zip(sources["file"], sources["row_id"], sources["column"])
        for key in keys.split(";")
    }
    missing, cells = [], 0
    for spec in TABLES:
        path = BASELINE_DATASET / spec.file
        if not path.is_file():
            continue
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in (c.name for c in spec.columns if c.kind == "number" and c.name in table):
            for _, row in table.loc[table[column].str.strip() != ""].iterrows():
                cells += 1
                key = "|".join(row[k] for k in spec.key)
                if (spec.file, key, column) not in covered:
                    missing.append((spec.file, key, column))
    assert cells > 250 and not missing, missing[:10]


def test_a_run_writes_its_calibration_and_reports_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`oreflow run` compares the base case with observed.csv: calibration.csv, a report
    section and a summary line; a dataset without observed.csv writes none."""
    out = tmp_path / "base"
    assert main(["run", str(BASELINE_JOB), "--out", str(out)]) == 0
    assert "Calibration: 8 of 8 observed figures within tolerance" in capsys.readouterr().out
    table = pd.read_csv(out / "calibration.csv")
    assert table["within"].all() and len(table) == 8
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "8 of 8 observed figures are within their tolerance" in html and 'href="#calibration"' in html
    micro = write_dataset(tmp_path / "micro")
    assert main(["run", str(micro), "--out", str(tmp_path / "micro_out"), "--quiet"]) == 0
    assert not (tmp_path / "micro_out" / "calibration.csv").exists()


def test_a_bad_observed_file_stops_the_run_before_solving(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(BASELINE_DATASET, tmp_path / "ds")
    (tmp_path / "ds" / "observed.csv").write_text(
        "figure,value,unit,tolerance,low,high,source\nprice:CN:NdPr,lots,USD/t,0.3,,,x\n", encoding="utf-8"
    )
    job = write_job(tmp_path / "job.toml", "ds", "out")
    assert main(["run", str(job)]) == 1
    err = capsys.readouterr().err
    assert "observed.csv" in err and "line 2" in err and "value" in err
    assert not (tmp_path / "out").exists()


def test_a_figure_the_dataset_cannot_give_does_not_stop_the_run(tmp_path: Path) -> None:
    """A user's copy without China's Dy demand still runs; calibration.csv says that figure
    cannot be computed (and it counts as outside)."""
    shutil.copytree(BASELINE_DATASET, tmp_path / "ds")
    demand = pd.read_csv(tmp_path / "ds" / "demand.csv")
    demand.loc[~((demand["market"] == "CN") & (demand["product"] == "Dy"))].to_csv(
        tmp_path / "ds" / "demand.csv", index=False
    )
    job = write_job(tmp_path / "job.toml", "ds", "out")
    assert main(["run", str(job), "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "out" / "calibration.csv").set_index("figure")
    assert not bool(table.loc["price:CN:Dy", "within"]) and pd.isna(table.loc["price:CN:Dy", "model"])
    assert table.loc["price:CN:Dy", "description"].startswith("not computable for this dataset")
