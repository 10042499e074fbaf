"""Issue 12, the review's cases: numbers that reach HiGHS other than through the dataset
(solver options, the job's penalty, sweep draws), the output lock's file, a sweep's lock
after it fails, and a misspelled required file."""

from __future__ import annotations

import os

import pandas as pd
import pytest

import oreflow
from conftest import micro_frames, write_job
from oreflow import outputs
from oreflow.cli import main
from oreflow.errors import InputError

SWEEP = """
[sweep]
mode = "monte_carlo"
samples = 4
seed = 1
[[sweep.parameters]]
name = "r1_capacity"
table = "refiners"
where = { refiner = "R1" }
column = "capacity_t"
action = "set"
distribution = { kind = "lognormal", mean = 1000, sigma = 1 }
"""


def test_a_nan_solver_option_is_refused(tmp_path, micro_dataset):
    job = write_job(tmp_path / "job.toml", "micro", "out", "[solver_options]\nprimal_feasibility_tolerance = nan\n")
    with pytest.raises(InputError, match="primal_feasibility_tolerance"):
        oreflow.solve(job)
    with pytest.raises(InputError, match="a finite number"):
        oreflow.solve(micro_dataset, solver_options={"dual_feasibility_tolerance": float("nan")})


def test_the_penalty_has_the_number_limit(tmp_path, micro_dataset):
    job = write_job(tmp_path / "job.toml", "micro", "out", "unmet_penalty_usd_per_t = 1e25\n")
    with pytest.raises(InputError, match="below 1e9"):
        oreflow.solve(job)
    with pytest.raises(InputError, match="below 1e9"):
        oreflow.solve(micro_dataset, unmet_penalty_usd_per_t=1e25)


def test_an_overflowing_sweep_draw_is_an_invalid_point_not_unlimited_capacity(tmp_path, micro_dataset):
    job = write_job(tmp_path / "job.toml", "micro", "out", SWEEP)
    assert main(["sweep", str(job), "--workers", "1", "--quiet"]) == 1
    points = pd.read_csv(tmp_path / "out-sweep" / "points.csv", keep_default_na=False)
    assert (points["status"] == "invalid").all()
    assert points["error"].str.contains("a finite value").all()


def test_a_grid_range_that_overflows_is_refused(tmp_path, micro_dataset):
    text = SWEEP.replace('mode = "monte_carlo"\nsamples = 4\nseed = 1\n', "").replace(
        'distribution = { kind = "lognormal", mean = 1000, sigma = 1 }',
        "range = { start = -1e308, stop = 1e308, num = 3 }",
    )
    job = write_job(tmp_path / "job.toml", "micro", "out", text)
    with pytest.raises(InputError, match="finite"):
        oreflow.job.load_job(job)


def test_a_sweep_that_fails_early_releases_its_folder(tmp_path, micro_dataset):
    """Bad parameters fail the sweep before it solves; the folder's lock must not stay held."""
    job = write_job(
        tmp_path / "job.toml", "micro", "out", SWEEP.replace('where = { refiner = "R1" }', 'where = { refiner = "R9" }')
    )
    assert main(["sweep", str(job), "--workers", "1", "--quiet"]) == 1
    assert not outputs.lock_path(tmp_path / "out-sweep").exists()
    with outputs.lock(tmp_path / "out-sweep"):  # another writer can take it at once
        pass


def test_a_lock_file_that_is_a_symbolic_link_is_refused_and_its_target_kept(tmp_path):
    victim = tmp_path / "thesis.tex"
    victim.write_text("years of work\n", encoding="utf-8")
    os.symlink(victim, outputs.lock_path(tmp_path / "out"))
    with pytest.raises(InputError, match="lock file"):
        with outputs.lock(tmp_path / "out"):
            pass
    assert victim.read_text(encoding="utf-8") == "years of work\n"


def test_a_misspelled_required_file_names_the_file_it_found(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    for name, frame in micro_frames().items():
        frame.to_csv(folder / f"{'demnd' if name == 'demand' else name}.csv", index=False)
    with pytest.raises(InputError, match=r"there is demnd\.csv"):
        oreflow.load_inputs(folder)


def test_validate_checks_the_solver_options_run_would_use(tmp_path, micro_dataset, capsys):
    job = write_job(tmp_path / "job.toml", "micro", "out", "[solver_options]\nno_such_option = 3\n")
    assert main(["validate", str(job)]) == 1
    assert "no_such_option" in capsys.readouterr().err
