"""Benchmark harness: oreflow's highs backend phase by phase, against HiGHS alone.

    python benchmarks/run.py                      # sizes 1e3, 1e4, 1e5; 3 repetitions; records RESULTS.md
    python benchmarks/run.py --quick              # sizes 1e3, 1e4; 1 repetition (smoke run)
    python benchmarks/run.py --sizes 1e3 --repeat 1 --no-record

For each size a dataset is generated (benchmarks/generate.py, seeded) and written as a
dataset folder; its LP is written once to MPS. Then, for each repetition, two separate
subprocesses run (so each peak memory is that process's own ``ru_maxrss``):

- *oreflow*: ``oreflow.load_inputs`` (read + validate), ``build_lp``, ``solve_highs``
  (pass to HiGHS, ``run``, extract solution: ``record.timings``), ``make_result``,
  ``write_tables`` into a temporary folder, each timed separately;
- *floor* ("HiGHS alone"): ``highspy.Highs().readModel(mps)`` and ``run()``, nothing else.

Reported: medians over repetitions, and ratios of medians from the same run:
``overhead ratio = (build + pass + run + extract) / floor run`` and
``memory ratio = oreflow peak RSS / floor peak RSS``. The harness also checks every
instance: solved optimal, unmet demand 0, same objective as HiGHS alone; it exits with
status 1 when a check fails. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import harness  # benchmarks/harness.py (this script's folder is on sys.path): stdlib only
from harness import _fmt_s, _fmt_size, _median, _peak_mb, _run_worker, _sizes, header_lines, rel_diff

HERE = Path(__file__).resolve().parent
DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
DEFAULT_REPEAT = 3
#: Checks: unmet demand counts as zero below this (t); objectives must agree to this (relative).
UNMET_TOLERANCE_T = 1e-6
OBJECTIVE_RTOL = 1e-6


# ---------------------------------------------------------------------------------
# Workers (run in their own subprocess; write one JSON object to ``out``)
# ---------------------------------------------------------------------------------


def worker_oreflow(dataset: Path, out: Path) -> None:
    """Time each phase of the highs backend on ``dataset``; record checks and peak RSS."""
    clock = time.perf_counter
    mark = clock()
    import highspy  # noqa: F401  (imported here so that its import is not timed as part of "pass")
    import numpy as np

    import oreflow
    from oreflow.model.families import CAPACITY, SUPPLY
    from oreflow.model.lp import build_lp
    from oreflow.outputs import write_tables
    from oreflow.result import make_result
    from oreflow.solvers.highs import solve_highs

    m: dict = {"import_s": clock() - mark, "rss_import_mb": _peak_mb()}
    mark = clock()
    network = oreflow.load_inputs(dataset)
    m["load_s"], m["rss_load_mb"] = clock() - mark, _peak_mb()
    mark = clock()
    lp = build_lp(network)
    m["build_s"], m["rss_build_mb"] = clock() - mark, _peak_mb()
    record = solve_highs(lp)
    m["pass_s"], m["run_s"], m["extract_s"] = (record.timings[k] for k in ("pass_s", "solve_s", "extract_s"))
    m["ranging_s"] = record.timings.get("ranging_s", 0.0)  # issue 5's ranging: work the floor does not do
    m["rss_solve_mb"] = _peak_mb()
    mark = clock()
    result = make_result(network, lp, record, "highs")
    m["result_s"], m["rss_result_mb"] = clock() - mark, _peak_mb()
    with tempfile.TemporaryDirectory(prefix="oreflow-bench-out-") as folder:
        mark = clock()
        write_tables(result, Path(folder))
        m["write_s"] = clock() - mark
    m["rss_write_mb"] = m["peak_mb"] = _peak_mb()

    capacity = result.shadow_prices[CAPACITY]
    supply = result.shadow_prices[SUPPLY]
    finite_capacity = np.isfinite(capacity["rhs"].to_numpy())
    m.update(
        status=record.status,
        objective=record.objective,
        iterations=record.iterations,
        dual_method=record.dual_method,
        n_cols=lp.n_cols,
        n_rows=lp.n_rows,
        nnz=int(lp.matrix.nnz),
        unmet_t=float(result.unmet["unmet_t"].sum()),
        unmet_penalty_usd=float(result.cost_breakdown.get("unmet_penalty", 0.0)),
        binding_capacities=int((capacity["binding"] & (capacity["shadow_price"] < 0)).sum()),
        refiners=len(capacity),
        binding_supplies=int((supply["binding"] & (supply["shadow_price"] < 0)).sum()),
        origins=len(supply),
        total_capacity_t=float(capacity["rhs"].to_numpy()[finite_capacity].sum()),
        total_feed_t=float(result.refinery["throughput_t"].sum()),
    )
    out.write_text(json.dumps(m), encoding="utf-8")


def worker_floor(mps: Path, out: Path, options: dict | None = None) -> None:
    """HiGHS alone: read the MPS file and solve it with ``options``, nothing else (highspy only)."""
    h, m = harness.floor_read(mps, options)
    harness.floor_run(h, m, ("simplex_iteration_count", "ipm_iteration_count"))
    out.write_text(json.dumps(m), encoding="utf-8")


# ---------------------------------------------------------------------------------
# Preparation: dataset folder and MPS file of each size
# ---------------------------------------------------------------------------------


def worker_prepare(size: int, seed: int, workdir: Path, out: Path) -> None:
    """Generate the dataset of ``size``, write it and its LP as MPS; record paths and counts."""
    sys.path.insert(0, str(HERE))
    import generate

    import oreflow
    from oreflow.model.lp import build_lp
    from oreflow.solvers.highs import effective_options, new_highs, pass_lp

    mark = time.perf_counter()
    frames = generate.generate(size, seed)
    gen_s = time.perf_counter() - mark
    dataset = generate.write(frames, workdir / f"v{size}_seed{seed}")
    report = generate.feasibility_report(frames)
    lp = build_lp(oreflow.load_inputs(dataset))
    mps = workdir / f"v{size}_seed{seed}.mps"
    h = new_highs()  # hides HiGHS's banner; output_flag off
    pass_lp(h, lp)
    h.writeModel(str(mps))
    info = {
        "size": size,
        "dataset": str(dataset),
        "mps": str(mps),
        "generate_s": gen_s,
        "describe": generate.describe(frames),
        "max_demand_ratio": float(report["ratio"].max()),
        # the floor solves with the algorithm oreflow chooses for this LP, so the ratio is overhead only
        "highs_options": {k: v for k, v in effective_options(lp).items() if k != "output_flag"},
    }
    out.write_text(json.dumps(info), encoding="utf-8")


# ---------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------


def summarise(prep: dict, ore: list[dict], floor: list[dict]) -> dict:
    """Medians and ratios of one size."""
    s: dict = {"size": prep["size"], "reps": len(ore), "prep": prep}
    for key in (
        "load_s",
        "build_s",
        "pass_s",
        "run_s",
        "extract_s",
        "ranging_s",
        "result_s",
        "write_s",
        "peak_mb",
        "rss_import_mb",
        "rss_load_mb",
        "rss_build_mb",
        "rss_solve_mb",
        "rss_result_mb",
        "rss_write_mb",
    ):
        s[key] = _median(ore, key)
    s["total_s"] = statistics.median(
        sum(r[k] for k in ("load_s", "build_s", "pass_s", "run_s", "extract_s", "ranging_s", "result_s", "write_s"))
        for r in ore
    )
    s["core_s"] = statistics.median(r["build_s"] + r["pass_s"] + r["run_s"] + r["extract_s"] for r in ore)
    s["floor_read_s"] = _median(floor, "read_s")
    s["floor_run_s"] = _median(floor, "run_s")
    s["floor_peak_mb"] = _median(floor, "peak_mb")
    s["floor_import_mb"] = _median(floor, "rss_import_mb")
    s["time_ratio"] = s["core_s"] / s["floor_run_s"]
    s["run_ratio"] = s["run_s"] / s["floor_run_s"]
    s["mem_ratio"] = s["peak_mb"] / s["floor_peak_mb"]
    above_floor = s["floor_peak_mb"] - s["floor_import_mb"]
    s["mem_ratio_above_imports"] = (
        (s["peak_mb"] - s["rss_import_mb"]) / above_floor if above_floor > 0 else float("nan")
    )
    first = ore[0]
    for key in ("n_cols", "n_rows", "nnz", "refiners", "origins", "total_capacity_t", "iterations"):
        s[key] = first[key]
    s["statuses"] = sorted({r["status"] for r in ore})
    s["floor_statuses"] = sorted({r["status"] for r in floor})
    s["unmet_max_t"] = max(r["unmet_t"] for r in ore)
    s["binding_capacities"] = int(statistics.median(r["binding_capacities"] for r in ore))
    s["binding_supplies"] = int(statistics.median(r["binding_supplies"] for r in ore))
    s["capacity_over_feed"] = (
        first["total_capacity_t"] / first["total_feed_t"] if first["total_feed_t"] else float("inf")
    )
    s["objective"] = first["objective"]
    s["objective_rel_diff"] = max(rel_diff(r["objective"], f["objective"]) for r, f in zip(ore, floor))
    s["floor_iterations"] = floor[0]["iterations"]
    s["highs_version"] = floor[0]["version"]
    s["ok"] = (
        s["statuses"] == ["optimal"]
        and s["floor_statuses"] == ["Optimal"]
        and s["unmet_max_t"] <= UNMET_TOLERANCE_T
        and s["objective_rel_diff"] <= OBJECTIVE_RTOL
    )
    return s


def tables(summaries: list[dict], repeat: int) -> str:
    """The markdown tables of a run."""
    lines = [
        f"Time in seconds and peak RSS in MB, medians of {repeat} repetition(s); ratios are ratios of medians. "
        "`run` is HiGHS's `run()` inside oreflow; `floor` is HiGHS alone on the same LP read from MPS. "
        "`ranging` (HiGHS's getRanging of the optimal basis, issue 5) is work the floor does not do: it is in "
        "oreflow's total, not in the overhead ratio (build + pass + run + extract over floor run).",
        "",
        "| size | variables | rows | nonzeros | load+validate | build | pass | run | extract | ranging | result "
        "| write | oreflow total | floor read | floor run | **overhead ratio** | run / floor run | peak MB | floor MB "
        "| **memory ratio** |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        lines.append(
            f"| {_fmt_size(s['size'])} | {s['n_cols']:,} | {s['n_rows']:,} | {s['nnz']:,} "
            f"| {_fmt_s(s['load_s'])} | {_fmt_s(s['build_s'])} | {_fmt_s(s['pass_s'])} | {_fmt_s(s['run_s'])} "
            f"| {_fmt_s(s['extract_s'])} | {_fmt_s(s['ranging_s'])} | {_fmt_s(s['result_s'])} | {_fmt_s(s['write_s'])} "
            f"| {_fmt_s(s['total_s'])} "
            f"| {_fmt_s(s['floor_read_s'])} | {_fmt_s(s['floor_run_s'])} | **{s['time_ratio']:.2f}** "
            f"| {s['run_ratio']:.2f} | {s['peak_mb']:.0f} | {s['floor_peak_mb']:.0f} | **{s['mem_ratio']:.2f}** |"
        )
    lines += [
        "",
        "Peak RSS (MB, median) after each phase of the oreflow process, and of the floor process; the last column "
        "compares the growth above each process's imports.",
        "",
        "| size | after imports | load | build | solve | result | write | floor after imports | floor peak "
        "| memory ratio above imports |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        lines.append(
            f"| {_fmt_size(s['size'])} | {s['rss_import_mb']:.0f} | {s['rss_load_mb']:.0f} | {s['rss_build_mb']:.0f} "
            f"| {s['rss_solve_mb']:.0f} | {s['rss_result_mb']:.0f} | {s['rss_write_mb']:.0f} "
            f"| {s['floor_import_mb']:.0f} | {s['floor_peak_mb']:.0f} | {s['mem_ratio_above_imports']:.2f} |"
        )
    lines += [
        "",
        "Instances (benchmarks/generate.py) and checks: status of oreflow / floor, the largest unmet demand over "
        "repetitions, refiners whose capacity binds with a negative shadow price, origins whose supply binds, total "
        "capacity / optimal total feed, largest demand / producible bound over products (generator check), "
        "objective difference oreflow vs floor (relative), and the engine source measured (short sha256 of "
        "oreflow/, model/, solvers/ *.py; `a→b` when it changed while that size ran).",
        "",
        "| size | origins | refiners | markets | ore routes | product routes | demand rows | status | unmet t "
        "| binding capacities | binding supplies | capacity / feed | max demand / producible | objective (USD) "
        "| objective rel. diff | iterations oreflow / floor | engine source | check |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for s in summaries:
        d = s["prep"]["describe"]
        lines.append(
            f"| {_fmt_size(s['size'])} | {d['origins']:,} | {d['refiners']:,} | {d['markets']:,} "
            f"| {d['ore_routes']:,} | {d['product_routes']:,} | {d['demand_rows']:,} "
            f"| {'/'.join(s['statuses'])} / {'/'.join(s['floor_statuses'])} | {s['unmet_max_t']:.3g} "
            f"| {s['binding_capacities']} of {s['refiners']} | {s['binding_supplies']} of {s['origins']} "
            f"| {s['capacity_over_feed']:.2f} | {s['prep']['max_demand_ratio']:.2f} | {s['objective']:.6e} "
            f"| {s['objective_rel_diff']:.1e} | {s['iterations']:,} / {s['floor_iterations']:,} "
            f"| {s.get('engine', '?')} "
            f"| {'ok' if s['ok'] else '**FAILED**'} |"
        )
    return "\n".join(lines)


def section(key: str, summaries: list[dict], repeat: int, seed: int, command: str, info: dict) -> str:
    highs = summaries[0]["highs_version"] if summaries else "?"
    sizes = ", ".join(_fmt_size(s["size"]) for s in summaries)
    return "\n".join(
        [
            f"<!-- bench:{key} -->",
            f"## Sizes {sizes}; {repeat} repetition(s); seed {seed}",
            "",
            *header_lines(command, info, highs),
            "",
            tables(summaries, repeat),
            f"<!-- /bench:{key} -->",
        ]
    )


# ---------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", help="target LP columns, e.g. 1e3 1e4 or 1e3,1e4 (default 1e3 1e4 1e5)")
    parser.add_argument("--repeat", type=int, default=None, help=f"repetitions per size (default {DEFAULT_REPEAT})")
    parser.add_argument("--quick", action="store_true", help="sizes 1e3, 1e4 with 1 repetition (smoke run)")
    harness.add_run_arguments(parser, timeout=3600.0, keep=True)
    harness.add_worker_arguments(parser, ("prepare", "oreflow", "floor"), "--options")
    args = parser.parse_args(argv)

    if harness.serve_worker(
        args,
        worker_prepare,
        oreflow=lambda: worker_oreflow(args.target, args.worker_out),
        floor=lambda: worker_floor(args.target, args.worker_out, json.loads(args.options) if args.options else None),
    ):
        return 0

    sizes = _sizes(args.sizes) if args.sizes else list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else DEFAULT_REPEAT)
    if repeat < 1 or not sizes or min(sizes) < 1:
        parser.error("sizes and --repeat must be positive")
    harness.check_max_variables(parser, sizes, args.max_variables)

    info = harness.machine()  # repository state at the start: other people may edit while this runs
    summaries = []
    with harness.work_folder(args.workdir, "oreflow-bench-", keep=args.keep) as workdir:
        for size in sizes:
            prep = harness.run_prepare(size, args.seed, workdir, args.timeout)
            d = prep["describe"]
            print(
                f"[bench] size {size:,}: {d['variables']:,} variables, generated in {prep['generate_s']:.2f}s",
                file=sys.stderr,
                flush=True,
            )
            engine_before = harness.engine_state()
            ore, floor = [], []
            for rep in range(repeat):  # alternate the two processes so drift hits both alike
                ore.append(_run_worker("oreflow", workdir, args.timeout, "--target", prep["dataset"]))
                floor.append(
                    _run_worker(
                        "floor",
                        workdir,
                        args.timeout,
                        "--target",
                        prep["mps"],
                        "--options",
                        json.dumps(prep["highs_options"]),
                    )
                )
                o, f = ore[-1], floor[-1]
                print(
                    f"[bench]   rep {rep + 1}/{repeat}: oreflow build {o['build_s']:.3f}s run {o['run_s']:.3f}s "
                    f"peak {o['peak_mb']:.0f}MB; floor run {f['run_s']:.3f}s peak {f['peak_mb']:.0f}MB",
                    file=sys.stderr,
                    flush=True,
                )
            summary = summarise(prep, ore, floor)
            engine_after = harness.engine_state()
            summary["engine"] = engine_before if engine_after == engine_before else f"{engine_before}→{engine_after}"
            summaries.append(summary)

    harness.note_engine_change(info)
    key = f"sizes={','.join(str(s) for s in sizes)};repeat={repeat};seed={args.seed}"
    text = section(key, summaries, repeat, args.seed, harness.command_of("run.py", argv), info)
    harness.publish(key, text, args, "bench")
    failed = [s["size"] for s in summaries if not s["ok"]]
    if failed:
        print(f"[bench] CHECK FAILED for sizes {failed}: see the checks table", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
