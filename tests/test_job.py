"""Job files: loading, path resolution, schema errors, and how solve() uses them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

import oreflow
from conftest import BASELINE_DATASET, BASELINE_JOB, micro_frames, write_dataset, write_job
from oreflow import InputError, SolveError
from oreflow.job import Job, load_job
from oreflow.model.tables import DEFAULT_UNMET_PENALTY_USD_PER_T


def job_error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_job(path)
    return info.value


def problem_for(exc: InputError, column: str):
    matches = [p for p in exc.problems if p.column == column]
    assert matches, f"no problem for {column!r} in {exc.problems}"
    return matches[0]


@pytest.fixture
def short_micro(tmp_path: Path) -> Path:
    """The micro model without R2's routes: at most 30 t of P1 for a demand of 40 t."""
    frames = micro_frames()
    frames["ore_routes"] = frames["ore_routes"].iloc[:1]  # A -> R1 only
    frames["product_routes"] = frames["product_routes"].iloc[:1]  # R1 -> M only
    return write_dataset(tmp_path / "short", frames)


# --- valid jobs ----------------------------------------------------------------------


def test_valid_job_loads_with_paths_relative_to_the_job_file(tmp_path, micro_dataset, monkeypatch):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    path = write_job(jobs / "scenario.toml", "../micro", "../results/here")
    monkeypatch.chdir(tmp_path / "micro")  # the working directory plays no part
    job_file = load_job(path)
    assert job_file.path == path.resolve()
    assert job_file.dataset == micro_dataset.resolve()
    assert job_file.output == (tmp_path / "results" / "here").resolve()
    assert job_file.name == "scenario"
    assert job_file.raw == {"dataset": "../micro", "output": "../results/here"}
    assert job_file.job.backend == "highs"
    assert job_file.job.solver is None
    assert job_file.job.solver_options == {}
    assert job_file.job.unmet_penalty_usd_per_t == DEFAULT_UNMET_PENALTY_USD_PER_T


def test_default_name_is_the_file_stem_and_default_output_beside_the_job(tmp_path, micro_dataset):
    job_file = load_job(write_job(tmp_path / "my_run.toml", "micro"))
    assert job_file.name == "my_run"
    assert job_file.output == (tmp_path / "outputs" / "my_run").resolve()


def test_named_job_default_output_uses_the_name(tmp_path, micro_dataset):
    job_file = load_job(write_job(tmp_path / "job.toml", "micro", extra='name = "alpha"\n'))
    assert job_file.name == "alpha"
    assert job_file.output == (tmp_path / "outputs" / "alpha").resolve()


def test_all_keys_load(tmp_path, micro_dataset):
    extra = (
        'name = "full"\ndescription = "all keys"\nbackend = "pyomo"\nsolver = "appsi_highs"\n'
        'unmet_penalty_usd_per_t = 2500.5\n[solver_options]\ntime_limit = 10\npresolve = "on"\n'
        "mip_rel_gap = 0.01\nrun_crossover = true\n"
    )
    job = load_job(write_job(tmp_path / "job.toml", "micro", "out", extra)).job
    assert job.name == "full" and job.description == "all keys"
    assert job.backend == "pyomo" and job.solver == "appsi_highs"
    assert job.unmet_penalty_usd_per_t == 2500.5
    assert job.solver_options == {"time_limit": 10, "presolve": "on", "mip_rel_gap": 0.01, "run_crossover": True}


def test_baseline_job_loads():
    job_file = load_job(BASELINE_JOB)
    assert job_file.name == "baseline"
    assert job_file.dataset == BASELINE_DATASET.resolve()
    assert job_file.raw == tomllib.loads(BASELINE_JOB.read_text(encoding="utf-8"))


def test_job_model_forbids_extra_and_is_frozen():
    job = Job(dataset=Path("x"))
    with pytest.raises(ValidationError):
        job.backend = "pyomo"
    with pytest.raises(ValidationError):
        Job(dataset=Path("x"), colour="red")


# --- invalid jobs --------------------------------------------------------------------


def test_unknown_key_names_the_key_and_its_line(tmp_path, micro_dataset):
    path = write_job(tmp_path / "job.toml", "micro", "out", 'backend = "highs"\ncolour = "red"\n')
    exc = job_error(path)
    problem = problem_for(exc, "colour")
    assert problem.line == 4
    assert problem.rule == "job_schema"
    assert problem.file == str(path)
    assert "known keys" in problem.expected and "unmet_penalty_usd_per_t" in problem.expected
    message = str(exc)
    assert "'colour'" in message and "line 4" in message and str(path) in message


def test_misspelt_key_is_not_silently_ignored(tmp_path, micro_dataset):
    exc = job_error(write_job(tmp_path / "job.toml", "micro", extra="unmet_penalty = 5\n"))
    assert problem_for(exc, "unmet_penalty").line == 2


def test_unknown_table_names_its_line(tmp_path, micro_dataset):
    # regression: only 'key =' lines were searched, not '[table]' headers
    exc = job_error(write_job(tmp_path / "job.toml", "micro", extra="[solver_option]\ntime_limit = 5\n"))
    assert problem_for(exc, "solver_option").line == 2


def test_backend_wrong_value(tmp_path, micro_dataset):
    path = write_job(tmp_path / "job.toml", "micro", extra='backend = "gurobi"\n')
    exc = job_error(path)
    problem = problem_for(exc, "backend")
    assert problem.line == 2
    assert problem.value == "'gurobi'"
    assert "highs" in problem.expected and "pyomo" in problem.expected
    assert "'backend'" in str(exc) and "gurobi" in str(exc)


@pytest.mark.parametrize("value", ["-1", "0", '"lots"'])
def test_unmet_penalty_wrong_value(tmp_path, micro_dataset, value):
    exc = job_error(write_job(tmp_path / "job.toml", "micro", extra=f"unmet_penalty_usd_per_t = {value}\n"))
    problem = problem_for(exc, "unmet_penalty_usd_per_t")
    assert problem.line == 2
    assert problem.rule == "job_schema"
    assert "'unmet_penalty_usd_per_t'" in str(exc)


def test_wrong_type_for_dataset(tmp_path):
    (tmp_path / "bad.toml").write_text("dataset = 3\n", encoding="utf-8")
    exc = job_error(tmp_path / "bad.toml")
    problem = problem_for(exc, "dataset")
    assert problem.line == 1 and problem.value == "3"


def test_several_schema_problems_reported_together(tmp_path, micro_dataset):
    extra = 'backend = "cplex"\nunmet_penalty_usd_per_t = -5\nfoo = 1\n'
    exc = job_error(write_job(tmp_path / "job.toml", "micro", extra=extra))
    assert {p.column for p in exc.problems} >= {"backend", "unmet_penalty_usd_per_t", "foo"}
    assert {p.column: p.line for p in exc.problems}["foo"] == 4


def test_bad_solver_option_value_names_the_key_and_its_line(tmp_path, micro_dataset):
    # regression: reported as 'solver_options.time_limit.bool' (once per union member), no line
    exc = job_error(write_job(tmp_path / "job.toml", "micro", extra="[solver_options]\ntime_limit = [1, 2]\n"))
    assert [(p.column, p.line) for p in exc.problems] == [("solver_options.time_limit", 3)]


def test_missing_dataset_key(tmp_path):
    path = tmp_path / "job.toml"
    path.write_text('name = "x"\noutput = "out"\n', encoding="utf-8")
    exc = job_error(path)
    problem = problem_for(exc, "dataset")
    assert problem.rule == "job_schema"
    assert problem.line is None
    assert "required" in problem.expected
    assert "'dataset'" in str(exc)


def test_dataset_folder_does_not_exist(tmp_path):
    path = write_job(tmp_path / "job.toml", "no_such_folder", "out")
    exc = job_error(path)
    problem = problem_for(exc, "dataset")
    assert problem.rule == "job_dataset"
    assert problem.line == 1
    assert problem.value == "no_such_folder"
    assert str((tmp_path / "no_such_folder").resolve()) in str(exc)


def test_dataset_that_is_a_file_is_rejected(tmp_path):
    (tmp_path / "data.csv").write_text("a\n1\n", encoding="utf-8")
    exc = job_error(write_job(tmp_path / "job.toml", "data.csv"))
    assert problem_for(exc, "dataset").rule == "job_dataset"


def test_invalid_toml_names_the_line(tmp_path):
    path = tmp_path / "job.toml"
    path.write_text('dataset = "micro"\nname = "x"\nbackend = \n', encoding="utf-8")
    exc = job_error(path)
    assert len(exc.problems) == 1
    problem = exc.problems[0]
    assert problem.rule == "job_toml"
    assert problem.line == 3
    assert "line 3" in str(exc) and str(path) in str(exc)


def test_invalid_toml_unclosed_string(tmp_path):
    path = tmp_path / "job.toml"
    path.write_text('\n\ndataset = "micro\n', encoding="utf-8")
    exc = job_error(path)
    assert exc.problems[0].line == 3


def test_job_file_missing(tmp_path):
    exc = job_error(tmp_path / "absent.toml")
    assert exc.problems[0].rule == "job_file"
    assert "absent.toml" in str(exc)


def test_solve_with_missing_job_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="absent.toml"):
        oreflow.solve(tmp_path / "absent.toml")


# --- solve(job) ----------------------------------------------------------------------


def test_unknown_solver_option_is_an_input_error_at_solve_time(tmp_path, micro_dataset):
    path = write_job(tmp_path / "job.toml", "micro", extra="[solver_options]\nno_such_option = 1\n")
    load_job(path)  # the job itself is well-formed
    with pytest.raises(InputError) as info:
        oreflow.solve(path)
    problem = problem_for(info.value, "no_such_option")
    assert problem.rule == "solver_option"
    assert "'no_such_option'" in str(info.value)


def test_solver_option_of_wrong_type_is_an_input_error(tmp_path, micro_dataset):
    path = write_job(tmp_path / "job.toml", "micro", extra='[solver_options]\ntime_limit = "soon"\n')
    with pytest.raises(InputError) as info:
        oreflow.solve(path)
    assert problem_for(info.value, "time_limit").value == "'soon'"


def test_solve_job_equals_solve_dataset(tmp_path, micro_dataset):
    path = write_job(tmp_path / "job.toml", "micro")
    assert oreflow.solve(path).objective == pytest.approx(oreflow.solve(micro_dataset).objective)
    assert oreflow.solve(path).objective == pytest.approx(4750.0)


def test_solve_uses_the_jobs_unmet_penalty(tmp_path, short_micro):
    path = write_job(tmp_path / "job.toml", "short", extra="unmet_penalty_usd_per_t = 1000\n")
    result = oreflow.solve(path)
    demand = result.shadow_prices["demand"]
    assert demand["shadow_price"].tolist() == pytest.approx([1000.0])
    unmet = result.unmet
    assert unmet["unmet_t"].tolist() == pytest.approx([10.0])
    assert unmet["supplied_t"].tolist() == pytest.approx([30.0])
    assert unmet["penalty_usd_per_t"].tolist() == pytest.approx([1000.0])
    assert result.cost_breakdown["unmet_penalty"] == pytest.approx(10_000.0)
    # 60 t ore through R1: mining 600, ore freight 300, processing 1200; 30 t P1 freight 30
    assert result.cost_breakdown["mining"] == pytest.approx(600.0)
    assert result.cost_breakdown["processing"] == pytest.approx(1200.0)
    assert result.objective == pytest.approx(600 + 300 + 1200 + 30 + 10_000)
    assert result.cost_breakdown["total"] == pytest.approx(result.objective)


def test_default_penalty_applies_without_the_key(tmp_path, short_micro):
    result = oreflow.solve(write_job(tmp_path / "job.toml", "short"))
    assert result.shadow_prices["demand"]["shadow_price"].tolist() == pytest.approx([DEFAULT_UNMET_PENALTY_USD_PER_T])
    assert result.cost_breakdown["unmet_penalty"] == pytest.approx(10 * DEFAULT_UNMET_PENALTY_USD_PER_T)


def test_demand_csv_penalty_beats_the_jobs_penalty(tmp_path, short_micro):
    (short_micro / "demand.csv").write_text(
        "market,product,demand_t,unmet_penalty_usd_per_t\nM,P1,40,700\n", encoding="utf-8"
    )
    result = oreflow.solve(write_job(tmp_path / "job.toml", "short", extra="unmet_penalty_usd_per_t = 1000\n"))
    assert result.shadow_prices["demand"]["shadow_price"].tolist() == pytest.approx([700.0])
    assert result.cost_breakdown["unmet_penalty"] == pytest.approx(7000.0)


def test_keyword_penalty_overrides_the_job(tmp_path, short_micro):
    path = write_job(tmp_path / "job.toml", "short", extra="unmet_penalty_usd_per_t = 1000\n")
    result = oreflow.solve(path, unmet_penalty_usd_per_t=500)
    assert result.shadow_prices["demand"]["shadow_price"].tolist() == pytest.approx([500.0])
    assert result.objective == pytest.approx(2130 + 5000)


def test_keyword_backend_overrides_the_job(tmp_path, micro_dataset):
    path = write_job(tmp_path / "job.toml", "micro", extra='backend = "pyomo"\nsolver = "highs"\n')
    result = oreflow.solve(path, backend="highs")
    assert result.backend == "highs"
    assert result.objective == pytest.approx(4750.0)


def test_job_solver_options_are_used_and_keyword_options_override(tmp_path, micro_dataset):
    path = write_job(tmp_path / "job.toml", "micro", extra="[solver_options]\ntime_limit = 0.0\n")
    with pytest.raises(SolveError) as info:
        oreflow.solve(path)
    assert info.value.status == "time_limit"
    result = oreflow.solve(path, solver_options={"time_limit": 60.0})
    assert result.status == "optimal"
    assert result.objective == pytest.approx(4750.0)


def test_job_dataset_errors_surface_through_solve(tmp_path, micro_dataset):
    (micro_dataset / "demand.csv").write_text("market,product,demand_t\nM,P1,x\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        oreflow.solve(write_job(tmp_path / "job.toml", "micro"))
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.column, problem.value) == ("demand.csv", 2, "demand_t", "x")


def test_infinite_unmet_penalty_is_rejected(tmp_path, micro_dataset):
    # regression: inf was accepted and gave a NaN cost breakdown or an opaque SolveError
    exc = job_error(write_job(tmp_path / "job.toml", "micro", extra="unmet_penalty_usd_per_t = inf\n"))
    assert problem_for(exc, "unmet_penalty_usd_per_t").line == 2


@pytest.mark.parametrize("penalty", [float("inf"), float("nan"), 0.0, -1.0])
def test_keyword_penalty_must_be_finite_and_positive(micro_dataset, penalty):
    with pytest.raises(InputError, match="unmet_penalty_usd_per_t"):
        oreflow.solve(micro_dataset, unmet_penalty_usd_per_t=penalty)
