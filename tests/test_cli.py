"""The command line end to end, in tmp_path: run, validate, atomic outputs, exit codes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import oreflow
import oreflow.api
import oreflow.outputs
from conftest import BASELINE_JOB, REPO, write_job
from oreflow.cli import main
from oreflow.manifest import RESULT_TABLES

TABLES = list(RESULT_TABLES)
INPUT_FILES = [
    "origins.csv",
    "composition.csv",
    "refiners.csv",
    "markets.csv",
    "demand.csv",
    "ore_routes.csv",
    "product_routes.csv",
]


@pytest.fixture
def micro_job(tmp_path: Path, micro_dataset: Path) -> Path:
    """tmp_path/job.toml: the micro dataset, output tmp_path/out."""
    return write_job(tmp_path / "job.toml", "micro", "out", 'description = "micro test"\n')


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(parent: Path) -> list[str]:
    """Staging or backup folders write_atomically may leave behind."""
    return [p.name for p in parent.iterdir() if ".partial-" in p.name or ".previous-" in p.name]


def break_dataset(folder: Path) -> None:
    (folder / "origins.csv").write_text(
        "origin,country,supply_t,mining_cost_usd_per_t\nA,X,lots,10\n", encoding="utf-8"
    )


# --- run ---------------------------------------------------------------------------


def test_run_writes_every_table_and_summary(tmp_path, micro_job, capsys):
    assert main(["run", str(micro_job)]) == 0
    out = tmp_path / "out"
    expected = [f"{t}.csv" for t in TABLES] + ["summary.json", "report.html"]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("report_")) == sorted(expected)
    for table in TABLES:
        frame = pd.read_csv(out / f"{table}.csv")
        assert len(frame.columns) > 0
    assert leftovers(tmp_path) == []
    stdout = capsys.readouterr().out
    assert f"Outputs written to {out.resolve()}" in stdout
    assert stdout.endswith(f"Report: {(out / 'report.html').resolve()}\n")  # the last line: what to open


def test_run_tables_hold_the_solution(tmp_path, micro_job):
    assert main(["run", str(micro_job), "--quiet"]) == 0
    out = tmp_path / "out"
    cost = pd.read_csv(out / "cost_breakdown.csv").set_index("component")["cost_usd"]
    assert cost["total"] == pytest.approx(4750.0)
    capacity = pd.read_csv(out / "shadow_prices_capacity.csv").set_index("refiner")
    assert capacity.loc["R1", "shadow_price"] == pytest.approx(-95.5)
    assert bool(capacity.loc["R1", "binding"]) is True
    allocations = pd.read_csv(out / "allocations.csv").set_index("refiner")
    assert allocations.loc["R1", "ore_t"] == pytest.approx(60.0)
    assert allocations.loc["R2", "ore_t"] == pytest.approx(40.0)


def test_run_summary_json(tmp_path, micro_job, micro_dataset):
    assert main(["run", str(micro_job), "--quiet"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["name"] == "job"
    assert summary["status"] == "optimal"
    assert summary["objective_usd"] == pytest.approx(4750.0)
    assert summary["cost_breakdown_usd"] == pytest.approx(
        {
            "mining": 1000.0,
            "ore_freight": 500.0,
            "processing": 3200.0,
            "product_freight": 50.0,
            "unmet_penalty": 0.0,
            "total": 4750.0,
        }
    )
    assert "HiGHS" in summary["solver"]
    assert summary["backend"] == "highs"
    versions = summary["versions"]
    assert versions["oreflow"] == oreflow.__version__
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))
    assert {"numpy", "pandas", "highspy"} <= set(versions)
    timings = summary["timings_s"]
    assert {"load_s", "build_s", "solve_s", "write_s"} <= set(timings)
    assert all(isinstance(v, (int, float)) and v >= 0 for v in timings.values())
    expected_hashes = {name: hashlib.sha256((micro_dataset / name).read_bytes()).hexdigest() for name in INPUT_FILES}
    assert summary["input_sha256"] == expected_hashes
    as_read = summary["job"]["as_read"]
    assert as_read == tomllib.loads(micro_job.read_text(encoding="utf-8"))
    assert as_read == {"dataset": "micro", "output": "out", "description": "micro test"}
    resolved = summary["job"]["resolved"]
    assert resolved["name"] == "job"
    assert resolved["dataset"] == str(micro_dataset.resolve())
    assert resolved["output"] == str((tmp_path / "out").resolve())
    assert resolved["backend"] == "highs"
    assert resolved["unmet_penalty_usd_per_t"] == 1e7
    assert summary["job_file"] == str(micro_job.resolve())
    assert summary["dataset"] == str(micro_dataset.resolve())
    binding = {(b["family"], b["key"]): b["shadow_price"] for b in summary["binding_constraints"]}
    assert binding[("capacity", "R1")] == pytest.approx(-95.5)


def test_run_input_hash_includes_optional_recoveries(tmp_path, micro_job, micro_dataset):
    (micro_dataset / "recoveries.csv").write_text("refiner,product,recovery\nR2,P2,0.9\n", encoding="utf-8")
    assert main(["run", str(micro_job), "--quiet"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert (
        summary["input_sha256"]["recoveries.csv"]
        == hashlib.sha256((micro_dataset / "recoveries.csv").read_bytes()).hexdigest()
    )


def test_run_prints_objective_and_binding_capacity(micro_job, capsys):
    assert main(["run", str(micro_job)]) == 0
    stdout = capsys.readouterr().out
    assert "oreflow run 'job': optimal, total cost 4,750 USD per year" in stdout
    lines = [line for line in stdout.splitlines() if line.strip().startswith("R1")]
    assert len(lines) == 1
    # capacity shadow price -95.5 USD/t, printed as what a tonne saves, rounded to whole USD
    # (Python rounds the half to even: 96)
    assert lines[0].split() == ["R1", "60", "t/yr", "saves", "96", "USD/t"]
    assert "Binding refining capacity" in stdout
    assert "All demand met." in stdout
    # the demand shadow price (marginal delivered cost of P1 in M) is printed in the grid
    assert "262" in stdout


def test_run_quiet_prints_only_the_output_folder(tmp_path, micro_job, capsys):
    assert main(["run", str(micro_job), "--quiet"]) == 0
    assert capsys.readouterr().out == f"Outputs written to {(tmp_path / 'out').resolve()}\n"


def test_out_overrides_the_jobs_output(tmp_path, micro_job):
    other = tmp_path / "elsewhere" / "run1"
    assert main(["run", str(micro_job), "--out", str(other), "--quiet"]) == 0
    assert (other / "summary.json").is_file()
    assert not (tmp_path / "out").exists()
    assert leftovers(other.parent) == []


def test_run_default_output_beside_the_job(tmp_path, micro_dataset):
    job = write_job(tmp_path / "scenario.toml", "micro")
    assert main(["run", str(job), "--quiet"]) == 0
    assert (tmp_path / "outputs" / "scenario" / "summary.json").is_file()


def test_run_replaces_a_previous_output(tmp_path, micro_job):
    out = tmp_path / "out"
    out.mkdir()
    # an earlier oreflow output, with a table a later version no longer writes
    (out / "summary.json").write_text('{"name": "micro", "status": "optimal", "versions": {}}', encoding="utf-8")
    (out / "stale.csv").write_text("old\n", encoding="utf-8")
    assert main(["run", str(micro_job), "--quiet"]) == 0
    assert not (out / "stale.csv").exists()
    assert (out / "summary.json").is_file()
    assert leftovers(tmp_path) == []


def test_run_on_a_dataset_folder(tmp_path, micro_dataset, capsys):
    out = tmp_path / "folder_run"
    assert main(["run", str(micro_dataset), "--out", str(out)]) == 0
    assert {f"{t}.csv" for t in TABLES} | {"summary.json", "report.html"} <= {p.name for p in out.iterdir()}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["name"] == "micro"
    assert summary["objective_usd"] == pytest.approx(4750.0)
    assert summary["job_file"] is None
    assert summary["job"]["as_read"] is None
    assert summary["job"]["resolved"]["dataset"] == str(micro_dataset)
    assert summary["job"]["resolved"]["backend"] == "highs"
    assert "oreflow run 'micro'" in capsys.readouterr().out


def test_run_uses_the_jobs_penalty(tmp_path, micro_dataset):
    (micro_dataset / "ore_routes.csv").write_text("origin,refiner,freight_usd_per_t\nA,R1,5\n", encoding="utf-8")
    (micro_dataset / "product_routes.csv").write_text("refiner,market,freight_usd_per_t\nR1,M,1\n", encoding="utf-8")
    job = write_job(tmp_path / "job.toml", "micro", "out", "unmet_penalty_usd_per_t = 1000\n")
    assert main(["run", str(job), "--quiet"]) == 0
    unmet = pd.read_csv(tmp_path / "out" / "unmet.csv")
    assert unmet["unmet_t"].tolist() == pytest.approx([10.0])
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["objective_usd"] == pytest.approx(12_130.0)


# --- validate ------------------------------------------------------------------------


def test_validate_good_job(tmp_path, micro_job, capsys):
    assert main(["validate", str(micro_job)]) == 0
    stdout = capsys.readouterr().out
    assert "valid" in stdout and "1 origins, 2 refiners, 1 markets, 2 products" in stdout
    assert not (tmp_path / "out").exists()


def test_validate_good_folder(micro_dataset, capsys):
    assert main(["validate", str(micro_dataset)]) == 0
    assert f"dataset {micro_dataset.resolve()}: valid" in capsys.readouterr().out


def test_validate_bad_dataset(tmp_path, micro_job, micro_dataset, capsys):
    break_dataset(micro_dataset)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["validate", str(micro_job)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "origins.csv, line 2, column 'supply_t': got 'lots'" in captured.err
    assert "Nothing was solved or written." in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_validate_bad_folder(micro_dataset, capsys):
    break_dataset(micro_dataset)
    assert main(["validate", str(micro_dataset)]) == 1
    assert "origins.csv, line 2, column 'supply_t'" in capsys.readouterr().err


def test_validate_bad_job(tmp_path, micro_dataset, capsys):
    job = write_job(tmp_path / "job.toml", "micro", extra="colour = 1\n")
    assert main(["validate", str(job)]) == 1
    err = capsys.readouterr().err
    assert "line 2" in err and "'colour'" in err


def test_run_bad_dataset_writes_nothing(tmp_path, micro_job, micro_dataset, capsys):
    break_dataset(micro_dataset)
    assert main(["run", str(micro_job)]) == 1
    err = capsys.readouterr().err
    assert "origins.csv, line 2, column 'supply_t'" in err
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


# --- a failed run leaves the previous output intact ------------------------------------


@pytest.fixture
def previous(tmp_path, micro_job):
    """A successful first run to tmp_path/out; returns its files' bytes."""
    assert main(["run", str(micro_job), "--quiet"]) == 0
    return snapshot(tmp_path / "out")


def test_failed_validation_keeps_previous_output(tmp_path, micro_job, micro_dataset, previous, capsys):
    break_dataset(micro_dataset)
    assert main(["run", str(micro_job)]) == 1
    assert "origins.csv, line 2" in capsys.readouterr().err
    assert snapshot(tmp_path / "out") == previous
    assert leftovers(tmp_path) == []


def test_failed_solve_keeps_previous_output(tmp_path, micro_job, previous, capsys):
    # a real non-optimal solve through the job's solver options: HiGHS stops at its time limit
    write_job(micro_job, "micro", "out", "[solver_options]\ntime_limit = 0.0\n")
    assert main(["run", str(micro_job)]) == 1
    err = capsys.readouterr().err
    assert "status 'time_limit'" in err
    assert "No output was written." in err
    assert snapshot(tmp_path / "out") == previous
    assert leftovers(tmp_path) == []


def test_infeasible_solve_record_keeps_previous_output(tmp_path, micro_job, previous, monkeypatch, capsys):
    real = oreflow.api.solve_lp

    def infeasible(*args, **kwargs):
        record = real(*args, **kwargs)
        record.status, record.solver_status = "infeasible", "Infeasible"
        return record

    monkeypatch.setattr(oreflow.api, "solve_lp", infeasible)
    assert main(["run", str(micro_job)]) == 1
    assert "status 'infeasible'" in capsys.readouterr().err
    assert snapshot(tmp_path / "out") == previous
    assert leftovers(tmp_path) == []


def test_unknown_solver_option_keeps_previous_output(tmp_path, micro_job, previous, capsys):
    write_job(micro_job, "micro", "out", "[solver_options]\nno_such_option = 1\n")
    assert main(["run", str(micro_job)]) == 1
    assert "'no_such_option'" in capsys.readouterr().err
    assert snapshot(tmp_path / "out") == previous
    assert leftovers(tmp_path) == []


def test_failure_while_writing_keeps_previous_output(tmp_path, micro_job, previous, monkeypatch, capsys):
    real = oreflow.outputs.write_tables

    def write_one_then_fail(result, folder):
        first = next(iter(result.tables().items()))
        first[1].to_csv(Path(folder) / f"{first[0]}.csv", index=False)
        raise OSError("disk full")

    monkeypatch.setattr(oreflow.outputs, "write_tables", write_one_then_fail)
    assert main(["run", str(micro_job), "--quiet"]) == 1
    assert "could not write outputs: disk full" in capsys.readouterr().err
    assert snapshot(tmp_path / "out") == previous
    assert leftovers(tmp_path) == []
    monkeypatch.setattr(oreflow.outputs, "write_tables", real)
    assert main(["run", str(micro_job), "--quiet"]) == 0  # and the next run still works


def test_failure_while_writing_without_previous_output(tmp_path, micro_job, monkeypatch):
    def fail(result, folder):
        (Path(folder) / "cost_breakdown.csv").write_text("partial", encoding="utf-8")
        raise RuntimeError("boom")

    monkeypatch.setattr(oreflow.outputs, "write_tables", fail)
    with pytest.raises(RuntimeError, match="boom"):
        main(["run", str(micro_job), "--quiet"])
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


def test_output_folder_permissions_follow_the_umask(tmp_path, micro_job):
    assert main(["run", str(micro_job), "--quiet"]) == 0
    probe = tmp_path / "probe"
    probe.mkdir()
    expected = stat.S_IMODE(probe.stat().st_mode)
    if expected == 0o700:
        pytest.skip("the umask itself makes folders private")
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == expected


# --- the default job, as a real process ------------------------------------------------


def test_baseline_job_subprocess(tmp_path):
    out = tmp_path / "baseline"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "oreflow", "run", str(BASELINE_JOB), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"Outputs written to {out.resolve()}" in proc.stdout
    assert "total cost" in proc.stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal"
    assert summary["name"] == "baseline"
    assert summary["objective_usd"] == pytest.approx(oreflow.solve(BASELINE_JOB).objective, rel=1e-9)
    assert set(summary["input_sha256"]) >= set(INPUT_FILES) | {"recoveries.csv"}
    assert {f"{t}.csv" for t in TABLES} <= {p.name for p in out.iterdir()}
    assert leftovers(tmp_path) == []


def test_an_output_folder_with_other_files_is_refused_before_solving(tmp_path: Path, capsys) -> None:
    """Writing replaces the output folder whole: one holding anything but an earlier oreflow
    output (or the job's own files) is refused, and left as it was."""
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me", encoding="utf-8")
    assert main(["run", str(BASELINE_JOB), "--out", str(other), "--quiet"]) == 1
    assert "which writing would delete" in capsys.readouterr().err
    assert [p.name for p in other.iterdir()] == ["mine.txt"]
    project = tmp_path / "project"
    shutil.copytree(BASELINE_JOB.parent / "rare_earths_2024", project / "data")
    job = write_job(
        project / "job.toml",
        "data",
        ".",
        '[sweep]\n[[sweep.parameters]]\nname = "a"\ntable = "refiners"\ncolumn = "capacity_t"\nvalues = [1]\n',
    )
    for command in (
        ["run", str(job)],
        ["sweep", str(job), "--out", str(project)],
        ["stress", str(job), "--out", str(project)],
    ):
        assert main([*command, "--quiet"]) == 1
        assert "does not contain the job's own files" in capsys.readouterr().err
    assert sorted(p.name for p in project.iterdir()) == ["data", "job.toml"]


def test_an_output_folder_is_recognised_by_what_it_holds(tmp_path: Path, capsys) -> None:
    """A summary.json of another tool does not make a folder an oreflow output; an earlier
    output with a file of the user's added is refused too (writing would delete it), and
    every kind of output can be written again into its own folder."""
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "summary.json").write_text('{"tool": "something else"}', encoding="utf-8")
    (foreign / "thesis.tex").write_text("keep", encoding="utf-8")
    assert main(["run", str(BASELINE_JOB), "--out", str(foreign), "--quiet"]) == 1
    assert "holds other files" in capsys.readouterr().err and (foreign / "thesis.tex").is_file()
    out = tmp_path / "run"
    assert main(["run", str(BASELINE_JOB), "--out", str(out), "--quiet"]) == 0
    (out / "notes.md").write_text("mine", encoding="utf-8")
    assert main(["run", str(BASELINE_JOB), "--out", str(out), "--quiet"]) == 1
    assert "notes.md, which writing would delete" in capsys.readouterr().err and (out / "notes.md").is_file()
    (out / "notes.md").unlink()
    assert main(["run", str(BASELINE_JOB), "--out", str(out), "--quiet"]) == 0
    batch = REPO / "inputs" / "scenarios_2024.toml"
    for _ in range(2):  # a batch folder holds case folders, each an output itself
        assert (
            main(["run", str(batch), "--out", str(tmp_path / "batch"), "--scenario", "pakistan_online", "--quiet"]) == 0
        )
