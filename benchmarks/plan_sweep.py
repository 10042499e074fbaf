"""Sweeps and stress tests of a plan: points per second of the plan engine's re-solve against
solving every point's plan from scratch.

    python benchmarks/plan_sweep.py                       # records RESULTS.md (section "plan-sweep")
    python benchmarks/plan_sweep.py --points 20 --cold-points 3 --no-record   # smoke run

On the shipped plan (``inputs/plan_2035.toml``: five periods, 2024-2039, about 32,000
columns stacked), four kinds of point of ``--points`` points each, as
``oreflow/sweep/plan_engine.py`` meets them:

- *demand 2030s*: NdPr, Dy and Tb demand x 0.85 ... 1.2 in the 2030 and 2035 periods (two
  years' LPs updated in place, the stacked LP re-solved in place);
- *myanmar year*: Myanmar's ore lost in one period, the period cycling through the horizon
  (one year updated in place);
- *capital*: every build's capital x 0.5 ... 2 (the planning tables change: the horizon part
  rebuilt and the LP restacked; same structure, re-solved in place);
- *ban*: all ore from one origin country to one refining country banned in 2028, cycling
  through the country pairs (a year rebuilt with a new row: a new structure, solved afresh).

Measured in this process pinned to one core, after the engine's base solve: **engine**, the
points run by one worker in chunks of 25 (``oreflow.sweep.execute``); **cold**, the first
``--cold-points`` points each with the plan built and solved from scratch
(``PlanBase.inputs`` + ``solve_plan`` without ranging). Every cold objective must equal the
engine's (relative 1e-7). Also the shipped ``inputs/plan_2035_risk.toml`` as ``oreflow sweep``
and ``oreflow stress`` run it (one worker, whole command).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402  (benchmarks/harness.py: arguments, workers, recording, formatting; stdlib only)

JOB = REPO / "inputs" / "plan_2035.toml"
RISK_JOB = REPO / "inputs" / "plan_2035_risk.toml"


def kinds(base: Any, points: int) -> dict[str, list[Any]]:
    """The four kinds' points on the plan ``base`` (a PlanBase)."""
    from oreflow.job import Change
    from oreflow.sweep.points import Point

    years = list(base.horizon.years)
    network = base.network
    origin_country = dict(zip(network.origins["origin"], network.origins["country"]))
    refiner_country = dict(zip(network.refiners["refiner"], network.refiners["country"]))
    contracts = network.contracts.loc[network.contracts["stage"] == "ore"]
    held = {(origin_country[o], refiner_country[r]) for o, r in zip(contracts["from"], contracts["to"])}
    routes = zip(network.ore_routes["origin"], network.ore_routes["refiner"])
    # a ban on a contracted pair is infeasible (the stress test voids the contract; this does not)
    pairs = sorted({(origin_country[o], refiner_country[r]) for o, r in routes} - held)

    def factor(k: int, low: float, high: float) -> float:
        return low + (high - low) * k / max(points - 1, 1)

    made: dict[str, list[Any]] = {}
    made["demand 2030s"] = [
        Change(
            action="scale",
            table="demand",
            where={"product": ["NdPr", "Dy", "Tb"]},
            column="demand_t",
            factor=factor(k, 0.85, 1.2),
            years=[2030, 2035],
        )
        for k in range(points)
    ]
    made["myanmar year"] = [
        Change(
            action="scale",
            table="origins",
            where={"country": "MM"},
            column="supply_t",
            factor=0.0,
            years=[years[k % len(years)]],
        )
        for k in range(points)
    ]
    made["capital"] = [
        Change(action="scale", table="builds", column="capital_usd_per_t", factor=factor(k, 0.5, 2.0))
        for k in range(points)
    ]
    made["ban"] = [
        Change(
            action="add",
            table="bans",
            rows=[{"from_country": a, "to_country": b, "stage": "ore", "product": ""}],
            years=[2028],
        )
        for k in range(points)
        for a, b in [pairs[k % len(pairs)]]
    ]
    return {name: [Point(k, f"{name} {k}", (c,)) for k, c in enumerate(changes)] for name, changes in made.items()}


def measure(points: int, cold_points: int) -> list[dict[str, Any]]:
    """One row per kind of point: engine and cold points per second, objectives checked."""
    from oreflow.job import load_job, market_options
    from oreflow.model.network import load_inputs
    from oreflow.plan_cases import PlanBase
    from oreflow.planning import solve_plan
    from oreflow.sweep.engine import SweepContext
    from oreflow.sweep.execute import execute
    from oreflow.sweep.plan_engine import PlanEngine
    from oreflow.sweep.workers import engine_for

    job = load_job(JOB)
    assert job.job.horizon is not None
    market = market_options(job.job)
    base = PlanBase.read(load_inputs(job.dataset), job.job.horizon.horizon())
    rows = []
    for name, found in kinds(base, points).items():
        context = SweepContext(f"bench-plan-{name}", base.network, market, {}, ("demand", "capacity"), (), False, base)
        engine = engine_for(context)  # the base plan, solved once
        assert isinstance(engine, PlanEngine)
        started = time.perf_counter()
        done, _ = execute(context, found, chunk_size=25, workers=1)
        engine_s = time.perf_counter() - started
        failed = [r for r in done if r["status"] != "optimal"]
        assert not failed, failed[:1]
        started = time.perf_counter()
        worst = 0.0
        for point, row in zip(found[:cold_points], done):
            networks, planning = base.inputs(point.changes)
            cold = solve_plan(networks, base.horizon, planning, market, ranging=False)
            worst = max(worst, harness.rel_diff(cold.objective, row["objective_usd"]))
        cold_s = time.perf_counter() - started
        assert worst <= 1e-7, f"{name}: engine and cold objectives differ by {worst:.1e}"
        rows.append(
            {
                "kind": name,
                "columns": engine.plan.lp.n_cols,
                "points": len(found),
                "engine_pps": len(found) / engine_s,
                "median_ms": 1000 * sorted(r["solve_s"] for r in done)[len(done) // 2],
                "cold_pps": min(cold_points, len(found)) / cold_s,
                "warm": sum(bool(r["warm"]) for r in done) / len(done),
                "diff": worst,
            }
        )
    return rows


def commands(out: Path) -> list[dict[str, Any]]:
    """The shipped risk job as ``oreflow sweep`` and ``oreflow stress`` run it (whole process, one worker)."""
    rows = []
    for command in ("sweep", "stress"):
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "oreflow",
                command,
                str(RISK_JOB),
                "--workers",
                "1",
                "--quiet",
                "--out",
                str(out / command),
            ],
            check=True,
            capture_output=True,
        )
        seconds = time.perf_counter() - started
        import pandas as pd

        n = len(pd.read_csv(out / command / "points.csv"))
        rows.append({"command": f"oreflow {command} inputs/plan_2035_risk.toml", "points": n, "seconds": seconds})
    return rows


def table_text(rows: list[dict[str, Any]], jobs: list[dict[str, Any]]) -> str:
    lines = [
        "| kind of point | stacked columns | points | engine points/s | engine median ms/point | cold points/s "
        "| engine / cold | re-solved warm | max objective rel. diff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['columns']:,} | {r['points']} | {r['engine_pps']:.1f} | {r['median_ms']:.1f} | "
            f"{r['cold_pps']:.2f} | {r['engine_pps'] / r['cold_pps']:.1f}x | {100 * r['warm']:.0f}% | {r['diff']:.1e} |"
        )
    if jobs:
        lines += ["", "| command (one worker, whole process) | points | seconds | points/s |", "|---|---:|---:|---:|"]
        lines += [
            f"| `{j['command']}` | {j['points']} | {j['seconds']:.1f} | {j['points'] / j['seconds']:.1f} |"
            for j in jobs
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100, help="points per kind")
    parser.add_argument("--cold-points", type=int, default=10, help="points solved from scratch per kind")
    parser.add_argument("--no-jobs", action="store_true", help="skip the shipped risk job's sweep and stress")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    harness.pin_to_one_core()
    rows = measure(args.points, args.cold_points)
    with tempfile.TemporaryDirectory() as work:
        jobs = [] if args.no_jobs else commands(Path(work))
    text = table_text(rows, jobs)
    print(text)
    if not args.no_record:
        harness.record_section(
            "plan-sweep",
            "Sweeps and stress tests of a plan: the plan engine against solving each plan from scratch",
            f"python benchmarks/plan_sweep.py --points {args.points} --cold-points {args.cold_points}",
            "Points per second of one worker on the shipped plan (see the docstring of benchmarks/plan_sweep.py); "
            "cold on the first points only, each objective checked against the engine's.",
            text,
            "; one core",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
