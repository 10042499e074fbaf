"""The benchmark generator and harness (benchmarks/): a fast smoke test, no timing assertions.

The smallest instance (~1e3 variables) must validate, solve optimal with all demand
met and some refining capacity binding; the generator must be deterministic for a
seed; and ``benchmarks/run.py`` must run end to end for that size and print its tables
without touching RESULTS.md.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import oreflow
from conftest import REPO

BENCHMARKS = REPO / "benchmarks"
RESULTS = BENCHMARKS / "RESULTS.md"
SMALLEST = 1000


def _load_generate():
    spec = importlib.util.spec_from_file_location("oreflow_bench_generate", BENCHMARKS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _load_generate()


def _results() -> bytes | None:
    return RESULTS.read_bytes() if RESULTS.exists() else None


def _run_script(script: str, *args: str, timeout: float = 300) -> str:
    """Run ``benchmarks/<script> args`` from the repository: it must exit 0 and leave RESULTS.md
    as it was. Its standard output."""
    before = _results()
    cmd = [sys.executable, str(BENCHMARKS / script), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(REPO))
    assert proc.returncode == 0, proc.stderr
    assert _results() == before, f"{script} changed RESULTS.md"
    return proc.stdout


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return generate.generate(SMALLEST, 1)


@pytest.fixture(scope="module")
def dataset(frames: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate.write(frames, tmp_path_factory.mktemp("bench") / "v1e3")


@pytest.fixture(scope="module")
def result(dataset: Path) -> oreflow.Result:
    return oreflow.solve(dataset)


def test_smallest_instance_is_a_valid_dataset_of_about_1e3_variables(dataset: Path) -> None:
    network = oreflow.load_inputs(dataset)  # raises InputError if anything is invalid
    assert len(network.products) == 15
    assert sorted(p.name for p in dataset.iterdir()) == sorted(
        f"{name}.csv"
        for name in (
            "origins",
            "composition",
            "refiners",
            "recoveries",
            "markets",
            "demand",
            "ore_routes",
            "product_routes",
        )
    )
    shares = network.composition.groupby("origin")["share"].sum()
    assert ((shares - 1.0).abs() <= 1e-6).all()
    assert (network.composition["share"] > 0).all()
    assert network.refiners["recovery"].between(0.6, 0.95).all()
    assert network.origins["mining_cost_usd_per_t"].between(2000, 12000).all()
    assert network.refiners["processing_cost_usd_per_t"].between(3000, 9000).all()
    assert network.ore_routes["freight_usd_per_t"].between(20, 300).all()
    assert network.product_routes["freight_usd_per_t"].between(200, 500).all()


def test_smallest_instance_solves_optimal_with_all_demand_met(result: oreflow.Result, frames) -> None:
    assert result.status == "optimal"
    assert 0.75 * SMALLEST <= result.lp.n_cols <= 1.25 * SMALLEST
    assert result.lp.n_cols == generate.count_variables(frames)
    assert result.unmet["unmet_t"].max() <= 1e-6
    assert result.cost_breakdown["unmet_penalty"] <= 1e-3


def test_smallest_instance_has_binding_capacity(result: oreflow.Result) -> None:
    capacity = result.shadow_prices["capacity"]
    binding = capacity["binding"] & (capacity["shadow_price"] < 0)
    assert binding.any()
    assert not binding.all()  # costly refiners idle: capacity is scarce, not absent


def test_demand_is_at_most_85_percent_of_each_producible_bound(frames) -> None:
    report = generate.feasibility_report(frames)
    assert (report["ratio"] <= generate.MAX_DEMAND_FRACTION + 1e-9).all()


def test_generator_is_deterministic_for_a_seed(frames) -> None:
    again = generate.generate(SMALLEST, 1)
    assert list(again) == list(frames)
    for name in frames:
        pd.testing.assert_frame_equal(again[name], frames[name])
    other = generate.generate(SMALLEST, 2)
    assert not other["demand"].equals(frames["demand"])


def test_harness_runs_the_smallest_size_and_prints_tables() -> None:
    out = _run_script("run.py", "--sizes", str(SMALLEST), "--repeat", "1", "--no-record", timeout=120)
    assert "| size | variables | rows | nonzeros |" in out
    assert "overhead ratio" in out and "memory ratio" in out
    row = next(line for line in out.splitlines() if line.startswith("| 1e3 |") and "optimal / Optimal" in line)
    assert row.rstrip().endswith("| ok |")


def test_sweep_benchmark_runs_and_checks_objectives() -> None:
    """benchmarks/sweep.py on the default dataset and the smallest generated size: it asserts
    every reference objective equals the engine's, prints its table, leaves RESULTS.md alone."""
    out = _run_script("sweep.py", "--sizes", str(SMALLEST), "--points", "8", "--cold-points", "2", "--no-record")
    assert re.search(r"\| rare_earths_2024 \| [0-9,]+ \| cost \| 8 \|", out) and "generated_1000" in out


def test_pyomo_benchmark_runs_and_checks_objectives() -> None:
    """benchmarks/pyomo_compare.py on the smallest size: every worker (the pyomo backend, the
    twin, the idiomatic reference, the highs backend) must reach the floor's objective; it
    prints both tables and leaves RESULTS.md alone."""
    out = _run_script("pyomo_compare.py", "--sizes", str(SMALLEST), "--repeat", "1", "--no-record")
    for worker in ("idiomatic", "oreflow-pyomo", "twin", "highs-backend"):
        assert any(line.startswith("| 1e3 |") and f"| {worker} |" in line for line in out.splitlines()), worker
    assert "**memory ratio** (target <= 0.6)" in out


def test_small_jobs_benchmark_runs_the_baseline_job() -> None:
    """benchmarks/small_jobs.py: `oreflow run inputs/baseline.toml` as a whole process, once."""
    out = _run_script("small_jobs.py", "--repeat", "1", "--no-record")
    assert "| `oreflow run inputs/baseline.toml` | 1 |" in out and "| no |" in out  # no Pyomo import


def test_plan_benchmark_runs_the_smallest_plan() -> None:
    """benchmarks/plan.py on the smallest size, once, with the shipped plan run once: both
    instances (lp, mip) solved by oreflow and by HiGHS alone to the same objective; it prints
    its tables and leaves RESULTS.md alone."""
    out = _run_script("plan.py", "--sizes", str(SMALLEST), "--repeat", "1", "--job-repeat", "1", "--no-record")
    rows = [line for line in out.splitlines() if line.startswith("| 1e3 |")]
    for variant in ("lp", "mip"):
        assert any(f"| {variant} |" in line and line.rstrip().endswith("| ok |") for line in rows), variant
    assert "**overhead ratio**" in out and "**memory ratio**" in out
    assert "MIP gap oreflow / floor" in out
    assert "plan_2035.toml" in out


def test_plan_sweep_benchmark_runs_every_kind_of_point() -> None:
    """benchmarks/plan_sweep.py with a few points: each kind of plan point solved by the engine
    and from scratch to the same objective (the script asserts it); RESULTS.md left alone."""
    out = _run_script("plan_sweep.py", "--points", "3", "--cold-points", "1", "--no-jobs", "--no-record")
    for kind in ("demand 2030s", "myanmar year", "capital", "ban"):
        assert any(line.startswith(f"| {kind} |") for line in out.splitlines()), kind
