"""The sweep engine: points per second of `oreflow sweep`'s in-place re-solve against
rebuilding and solving every point cold.

    python benchmarks/sweep.py                          # default dataset + generated 1e4; records RESULTS.md
    python benchmarks/sweep.py --sizes 1e4 1e5 --points 200
    python benchmarks/sweep.py --sizes --points 20 --no-record      # smoke run (default dataset only)

Per dataset (the default ``inputs/rare_earths_2024`` and generated sizes, benchmarks/generate.py,
seeded), three one-parameter sweeps of ``--points`` points each:

- *cost*: the processing cost of every refiner of the first refiner's country x 0.5 ... 2;
- *capacity*: the capacity of the largest refiner x 0.5 ... 1.5;
- *demand*: the demand for the first product in every market x 0.8 ... 1.3 (demand has
  dataset-wide rules, re-checked per point: model/parameters.py, DATASET_RULES).

All move only costs or right-hand sides, so the engine re-solves in place. Measured in
this process pinned to one core (``sched_setaffinity``), after the engine's base solve:

- **engine**: ``oreflow.sweep.execute`` with one worker, chunks of 25 (each chunk reloads
  the base model and starts from its basis; every point changes the LP in place);
- **rebuild + cold**: per point, the changed dataset validated (``apply_scenario``), its LP
  built and solved from scratch (``solve_highs``) and the same figures read back;
- **oreflow.solve**: per point, the changed dataset validated (as above, same time counted)
  and solved with ``oreflow.solve`` (LP, solve, ranging, Result tables).

The two references run on the first ``--cold-points`` points only (they are slow at the
larger sizes). Every reference objective must equal the engine's at the same point
(relative 1e-7). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402  (benchmarks/harness.py: arguments, workers, recording, formatting; stdlib only)


def sweeps(network, points: int) -> dict:  # noqa: ANN001
    """The three sweeps' points (oreflow Point objects) on ``network``."""
    from oreflow.job import Change
    from oreflow.sweep.points import Point

    country = network.refiners["country"].iloc[0]
    largest = network.refiners.loc[network.refiners["capacity_t"].replace(float("inf"), -1).idxmax(), "refiner"]
    product = network.demand["product"].iloc[0]
    out = {}
    for name, (table, column, where, low, high) in {
        "cost": ("refiners", "processing_cost_usd_per_t", {"country": country}, 0.5, 2.0),
        "capacity": ("refiners", "capacity_t", {"refiner": largest}, 0.5, 1.5),
        "demand": ("demand", "demand_t", {"product": product}, 0.8, 1.3),
    }.items():
        values = [low + (high - low) * k / max(points - 1, 1) for k in range(points)]
        out[name] = [
            Point(
                k,
                f"{name}={v:g}",
                (Change(action="scale", table=table, column=column, where=where, factor=v),),
                {name: v},
            )
            for k, v in enumerate(values)
        ]
    return out


def measure(dataset: Path, points: int, cold_points: int, demand_steps: int | None = None) -> list[dict]:
    """The three sweeps on ``dataset``: points/s of the engine and of the two references
    (``demand_steps``: steps per demand curve, default MarketOptions')."""
    import oreflow
    from oreflow.job import Scenario
    from oreflow.model.families import CAPACITY, DEMAND, SUPPLY
    from oreflow.model.lp import build_lp
    from oreflow.model.market import MarketOptions
    from oreflow.scenarios import apply_scenario
    from oreflow.solvers.highs import solve_highs
    from oreflow.sweep.engine import SweepContext
    from oreflow.sweep.execute import execute
    from oreflow.sweep.workers import engine_for

    market = MarketOptions() if demand_steps is None else MarketOptions(demand_steps=demand_steps)
    network = oreflow.load_inputs(dataset)
    variables = build_lp(network, market).n_cols
    prices = (SUPPLY, CAPACITY, DEMAND)
    rows = []
    for name, sweep_points in sweeps(network, points).items():
        context = SweepContext(f"bench-{dataset.name}-{name}", network, market, {}, prices)
        engine_for(context)  # the base solve, as every sweep does once
        started = time.perf_counter()
        table, _ = execute(context, sweep_points, chunk_size=25, workers=1)
        engine_s = time.perf_counter() - started
        cold_times, solve_times = [], []
        for point in sweep_points[:cold_points]:
            mark = time.perf_counter()
            changed = apply_scenario(network, Scenario(name="p", changes=list(point.changes))).network
            apply_s = time.perf_counter() - mark
            record = solve_highs(build_lp(changed, market))
            cold_times.append(time.perf_counter() - mark)
            assert abs(record.objective - table[point.index]["objective_usd"]) <= 1e-7 * abs(record.objective), name
            mark = time.perf_counter()
            result = oreflow.solve(changed, market=market)
            solve_times.append(apply_s + time.perf_counter() - mark)
            assert abs(result.objective - record.objective) <= 1e-7 * abs(record.objective), name
        warm = sum(1 for row in table if row.get("warm")) / len(table)
        rows.append(
            {
                "dataset": dataset.name,
                "sweep": name,
                "points": len(table),
                "engine_s": engine_s,
                "engine_pps": len(table) / engine_s,
                "engine_median_ms": 1e3 * statistics.median(row["solve_s"] for row in table),
                "cold_pps": 1 / statistics.mean(cold_times),
                "solve_pps": 1 / statistics.mean(solve_times),
                "cold_points": len(cold_times),
                "in_place": warm,
                "variables": variables,
            }
        )
    return rows


def table_text(rows: list[dict]) -> str:
    lines = [
        "| dataset | variables | sweep | points | engine points/s | engine median ms/point | "
        "rebuild + cold points/s | oreflow.solve points/s | engine / rebuild | points in place |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['variables']:,} | {r['sweep']} | {r['points']} | {r['engine_pps']:,.1f} | "
            f"{r['engine_median_ms']:,.2f} | {r['cold_pps']:,.1f} | {r['solve_pps']:,.1f} | "
            f"{r['engine_pps'] / r['cold_pps']:,.1f}x | {100 * r['in_place']:.0f}% |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["1e4"], help="generated sizes besides the default dataset")
    parser.add_argument("--points", type=int, default=200, help="points per sweep")
    parser.add_argument("--cold-points", type=int, default=30, help="points solved by the references")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--demand-steps", type=int, default=None, help="steps per demand curve (default: oreflow's)")
    args = parser.parse_args(argv)
    harness.pin_to_one_core()
    import generate

    datasets = [REPO / "inputs" / "rare_earths_2024"]
    with tempfile.TemporaryDirectory() as work:
        for size in harness._sizes(args.sizes):
            datasets.append(generate.write(generate.generate(size, args.seed), Path(work) / f"generated_{size:g}"))
        rows = [
            row for dataset in datasets for row in measure(dataset, args.points, args.cold_points, args.demand_steps)
        ]
    text = table_text(rows)
    print(text)
    if not args.no_record:
        harness.record_section(
            "sweep-engine",
            "Sweep engine: in-place re-solves against rebuild + cold solve",
            f"python benchmarks/sweep.py --sizes {' '.join(args.sizes)} --points {args.points} "
            f"--cold-points {args.cold_points}",
            "Points per second of one worker (see the docstring of benchmarks/sweep.py); the references on the "
            "first points only, each objective checked against the engine's.",
            text,
            "; one core",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
