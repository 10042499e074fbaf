"""Algorithm choice: the same oreflow LP solved by HiGHS with each of several option sets.

    python benchmarks/algorithms.py                         # sizes 1e3 1e4 1e5; records RESULTS.md
    python benchmarks/algorithms.py --sizes 1e3 --repeat 1 --no-record
    python benchmarks/algorithms.py --sizes 2e3 5e3 --sets default ipm-crossover --repeat 5

For each size a dataset is generated (benchmarks/generate.py, seeded) and written to a
temporary folder. Then every option set (``OPTION_SETS``) solves its LP in a fresh
subprocess: ``oreflow.load_inputs`` + ``build_lp`` + a new ``highspy.Highs`` with HiGHS's
own defaults (output off), the set's options, ``passModel``; only ``run()`` is timed
(wall clock, and the process's CPU time to show parallelism). Recorded per run: model
status, objective, whether HiGHS holds a valid basis afterwards (``getBasis().valid`` and
``getInfo().basis_validity``: oreflow's duals must come from a basis), and the simplex,
IPM, crossover and PDLP iteration counts. A run that exceeds ``--timeout`` is killed and
recorded as a timeout (and that set is not tried at larger sizes). Medians over
``--repeat`` repetitions, option sets interleaved within each repetition.

Checks: every run's objective must agree with the ``default`` set's within 1e-7
(relative). The recommendation picks the fastest set that is optimal, yields a basis,
agrees on the objective and is at least as fast as HiGHS's default at every size; when
the fastest set differs between sizes it reports the nonzeros between which the winner
changes. The harness process imports only the standard library (as benchmarks/run.py).
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import harness  # noqa: E402  (benchmarks/harness.py: arguments, workers, recording, formatting; stdlib only)

DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_TIMEOUT_S = 300.0
#: Objectives must agree with the default set's to this (relative).
OBJECTIVE_RTOL = 1e-7
#: "At least as fast as the default": median run() <= default's x (1 + this). Two sets
#: that take the same path (same iterations) differ by machine noise alone.
NOISE = 0.05

#: HiGHS option sets compared. HiGHS 1.16's simplex_strategy: 0 choose, 1 dual (serial),
#: 2 dual SIP (parallel "tasks"), 3 dual PAMI (parallel "multi"), 4 primal
#: (see its option text: "1 => Dual (serial); 2 => Dual (SIP); 3 => Dual (PAMI); 4 => Primal").
OPTION_SETS: dict[str, dict] = {
    "default": {},
    "dual-serial": {"solver": "simplex", "simplex_strategy": 1},
    "dual-pami": {"solver": "simplex", "simplex_strategy": 3},
    "dual-sip": {"solver": "simplex", "simplex_strategy": 2},
    "primal": {"solver": "simplex", "simplex_strategy": 4},
    "ipm-crossover": {"solver": "ipm", "run_crossover": "on"},
    "pdlp-crossover": {"solver": "pdlp", "run_crossover": "on"},
    # beyond the brief: PAMI on one thread, to tell its algorithm from its parallelism
    "dual-pami-1thread": {"solver": "simplex", "simplex_strategy": 3, "threads": 1},
}
#: Sets run when --sets is not given.
DEFAULT_SETS = ("default", "dual-serial", "dual-pami", "dual-sip", "primal", "ipm-crossover", "pdlp-crossover")


# ---------------------------------------------------------------------------------
# Workers (own subprocess each; write one JSON object to ``out``)
# ---------------------------------------------------------------------------------


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores; /proc/stat), or NaN.

    Busy time during a measurement minus the measuring process's own CPU time is what
    other processes used meanwhile: on a shared machine, the contention a run suffered.
    """
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def worker_prepare(size: int, seed: int, workdir: Path, out: Path) -> None:
    """Generate and write the dataset of ``size``; record its folder and LP dimensions."""
    import generate

    import oreflow
    from oreflow.model.lp import build_lp

    frames = generate.generate(size, seed)
    dataset = generate.write(frames, workdir / f"v{size}_seed{seed}")
    lp = build_lp(oreflow.load_inputs(dataset))
    info = {
        "size": size,
        "dataset": str(dataset),
        "describe": generate.describe(frames),
        "n_cols": lp.n_cols,
        "n_rows": lp.n_rows,
        "nnz": int(lp.matrix.nnz),
    }
    out.write_text(json.dumps(info), encoding="utf-8")


def worker_solve(dataset: Path, option_set: str, out: Path) -> None:
    """Build the LP of ``dataset``, solve it with ``option_set`` in a fresh HiGHS; time run()."""
    import highspy

    import oreflow
    from oreflow.model.lp import build_lp
    from oreflow.solvers.highs import new_highs, pass_lp

    lp = build_lp(oreflow.load_inputs(dataset))
    h = new_highs()  # HiGHS's defaults, output_flag off (oreflow's DEFAULT_OPTIONS are not applied)
    rejected = [
        f"{k}={v!r}" for k, v in OPTION_SETS[option_set].items() if h.setOptionValue(k, v) != highspy.HighsStatus.kOk
    ]
    m: dict = {"set": option_set, "rejected": rejected}
    if rejected:
        out.write_text(json.dumps(m), encoding="utf-8")
        return
    pass_lp(h, lp)
    busy, wall, cpu = busy_seconds(), time.perf_counter(), time.process_time()
    h.run()
    m["run_s"], m["cpu_s"] = time.perf_counter() - wall, time.process_time() - cpu
    m["others_cores"] = max(0.0, busy_seconds() - busy - m["cpu_s"]) / m["run_s"]
    info = h.getInfo()
    basis = h.getBasis()
    m.update(
        **harness.outcome(h, info),
        basis_valid=bool(basis.valid),
        basis_validity=int(info.basis_validity),
        simplex_it=int(info.simplex_iteration_count),
        ipm_it=int(info.ipm_iteration_count),
        crossover_it=int(info.crossover_iteration_count),
        pdlp_it=int(info.pdlp_iteration_count),
        primal_status=int(info.primal_solution_status),
        dual_status=int(info.dual_solution_status),
        version=h.version(),
        n_cols=lp.n_cols,
        nnz=int(lp.matrix.nnz),
    )
    out.write_text(json.dumps(m), encoding="utf-8")


#: A worker of this script in a fresh interpreter (benchmarks/harness.py); {"timeout": True} when killed.
_run_worker = functools.partial(harness._run_worker, script=Path(__file__).resolve(), allow_timeout=True)


# ---------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------


def summarise(size: int, prep: dict, runs: dict[str, list[dict]], timeout: float) -> dict:
    """Medians per option set and the checks against the default set."""
    default_runs = [r for r in runs.get("default", []) if "objective" in r]
    reference = statistics.median(r["objective"] for r in default_runs) if default_runs else None
    rows = {}
    for name, reps in runs.items():
        row: dict = {"set": name, "reps": len(reps)}
        if not reps:
            row["outcome"] = "skipped"
        elif reps[0].get("skipped"):
            row["outcome"] = reps[0]["skipped"]
        elif reps[0].get("rejected"):
            row["outcome"] = "option rejected: " + ", ".join(reps[0]["rejected"])
        elif any(r.get("timeout") for r in reps):
            row["outcome"] = f"timeout (> {timeout:.0f} s)"
        else:
            row["outcome"] = "ran"
            for key in ("run_s", "cpu_s", "others_cores", "simplex_it", "ipm_it", "crossover_it", "pdlp_it"):
                row[key] = statistics.median(r[key] for r in reps)
            row["statuses"] = sorted({r["status"] for r in reps})
            row["basis"] = all(r["basis_valid"] and r["basis_validity"] == 1 for r in reps)
            row["objective"] = reps[0]["objective"]
            row["rel_diff"] = (
                max(harness.rel_diff(r["objective"], reference) for r in reps)
                if reference is not None
                else float("nan")
            )
            row["agrees"] = row["rel_diff"] <= OBJECTIVE_RTOL
            row["optimal"] = row["statuses"] == ["Optimal"]
            row["ok"] = row["optimal"] and row["basis"] and row["agrees"]
            row["version"] = reps[0]["version"]
        rows[name] = row
    default = rows.get("default", {})
    for row in rows.values():
        if row.get("outcome") == "ran" and default.get("outcome") == "ran":
            row["vs_default"] = row["run_s"] / default["run_s"]
    return {"size": size, "prep": prep, "rows": rows}


def _winner(summary: dict) -> str | None:
    """Fastest set at this size that is optimal, has a basis and agrees on the objective."""
    ok = [r for r in summary["rows"].values() if r.get("ok")]
    return min(ok, key=lambda r: r["run_s"])["set"] if ok else None


def recommend(summaries: list[dict]) -> list[str]:
    """The recommendation, as markdown lines (see the module docstring for the rule)."""
    lines: list[str] = []
    if not summaries or any(s["rows"].get("default", {}).get("outcome") != "ran" for s in summaries):
        return ["No recommendation: the default set did not run at every size."]
    names = list(summaries[0]["rows"])

    def fine_everywhere(name: str) -> bool:
        return all(s["rows"].get(name, {}).get("ok") and s["rows"][name]["vs_default"] <= 1 + NOISE for s in summaries)

    winners = [(s, _winner(s)) for s in summaries]
    lines.append(
        "Fastest set per size (optimal, basis, objective within 1e-7 of the default's): "
        + "; ".join(
            f"{harness._fmt_size(s['size'])} ({s['prep']['nnz']:,} nonzeros): **{w}** "
            f"({s['rows'][w]['run_s']:.3g} s, {s['rows'][w]['vs_default']:.2f}x the default's time)"
            for s, w in winners
            if w
        )
        + "."
    )
    uniform = [n for n in names if fine_everywhere(n)]
    if uniform:
        best = min(uniform, key=lambda n: sum(s["rows"][n]["vs_default"] for s in summaries))
        lines.append(
            f"Sets at least as fast as HiGHS's default at every size (within {NOISE:.0%} noise), with a basis and "
            f"the same objective: {', '.join(uniform)}; of these the fastest overall (mean time relative to the "
            f"default's) is **{best}** ({json.dumps(OPTION_SETS[best]) if OPTION_SETS[best] else 'no options'})."
        )
    else:
        lines.append("No single set is at least as fast as HiGHS's default at every size.")
    # where does the winner change? (sizes in increasing order of nonzeros)
    ordered = sorted(winners, key=lambda sw: sw[0]["prep"]["nnz"])
    for (a, wa), (b, wb) in zip(ordered, ordered[1:]):
        if wa and wb and wa != wb:
            lines.append(
                f"The winner changes from **{wa}** at {a['prep']['nnz']:,} nonzeros ({harness._fmt_size(a['size'])}) "
                f"to **{wb}** at {b['prep']['nnz']:,} nonzeros ({harness._fmt_size(b['size'])}): a rule "
                f"`{wb} if nonzeros >= N else {wa}` needs N in that interval."
            )
    return lines


def _fmt_it(row: dict, key: str) -> str:
    return f"{row[key]:,.0f}" if key in row and row[key] else "0" if key in row else "–"


def table(summaries: list[dict], repeat_note: str) -> str:
    lines = [
        f"`run()` seconds (wall) are medians of {repeat_note}; `cpu/wall` is the process's CPU time over wall time "
        "during `run()` (above 1: HiGHS used more than one thread); `others` is the CPU other processes used "
        "meanwhile, in cores (from /proc/stat; near 1 means another job kept a whole core "
        "busy, which slows HiGHS's parallel strategies most); `vs default` is the median over the default "
        "set's. `basis`: HiGHS holds a valid basis after the solve (`getBasis().valid` and `basis_validity` = 1), "
        f"so the duals come from a basis. `obj. rel. diff` is against the default set's objective (must be "
        f"<= {OBJECTIVE_RTOL:g}).",
        "",
        "| size | variables | nonzeros | option set | HiGHS options | run s | cpu/wall | others | vs default "
        "| status | basis "
        "| obj. rel. diff | simplex it. | IPM it. | crossover it. | PDLP it. | check |",
        "|---|---:|---:|---|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for s in summaries:
        p = s["prep"]
        for name, row in s["rows"].items():
            opts = ", ".join(f"{k}={v!r}".replace("'", '"') for k, v in OPTION_SETS[name].items()) or "(none)"
            head = f"| {harness._fmt_size(s['size'])} | {p['n_cols']:,} | {p['nnz']:,} | {name} | `{opts}` "
            if row["outcome"] != "ran":
                lines.append(head + f"| {row['outcome']} | | | | | | | | | | | – |")
                continue
            check = (
                "ok"
                if row["ok"]
                else "**no** ("
                + ", ".join(
                    w
                    for w, bad in (
                        ("not optimal", not row["optimal"]),
                        ("no basis", not row["basis"]),
                        ("objective differs", not row["agrees"]),
                    )
                    if bad
                )
                + ")"
            )
            lines.append(
                head + f"| {harness._fmt_s(row['run_s'])} | {row['cpu_s'] / row['run_s']:.2f} "
                f"| {row['others_cores']:.2f} "
                f"| {row.get('vs_default', float('nan')):.2f} | {'/'.join(row['statuses'])} "
                f"| {'yes' if row['basis'] else 'no'} | {row['rel_diff']:.1e} | {_fmt_it(row, 'simplex_it')} "
                f"| {_fmt_it(row, 'ipm_it')} | {_fmt_it(row, 'crossover_it')} | {_fmt_it(row, 'pdlp_it')} | {check} |"
            )
    return "\n".join(lines)


def section(key: str, summaries: list[dict], repeat_note: str, seed: int, command: str, info: dict) -> str:
    versions = sorted({r["version"] for s in summaries for r in s["rows"].values() if "version" in r})
    sizes = ", ".join(harness._fmt_size(s["size"]) for s in summaries)
    return "\n".join(
        [
            f"<!-- bench:{key} -->",
            f"## Algorithm choice: sizes {sizes}; {repeat_note}; seed {seed}",
            "",
            "Written by `benchmarks/algorithms.py`: the same LP solved with each HiGHS option set, each run in a fresh "
            "process, only `run()` timed.",
            "",
            *harness.header_lines(command, info, ", ".join(versions) or "?"),
            "",
            table(summaries, repeat_note),
            "",
            *(f"- {line}" for line in recommend(summaries)),
            f"<!-- /bench:{key} -->",
        ]
    )


# ---------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", help="target LP columns, e.g. 1e3 1e4 (default 1e3 1e4 1e5)")
    parser.add_argument("--repeat", type=int, default=None, help=harness.REPEAT_HELP)
    parser.add_argument(
        "--sets",
        nargs="+",
        choices=list(OPTION_SETS),
        default=None,
        help=f"option sets to run (default: {' '.join(DEFAULT_SETS)}; 'default' is always run, as the reference)",
    )
    parser.add_argument(
        "--load",
        type=int,
        default=0,
        help="busy-loop processes kept running during each solve, to measure under contention (default 0)",
    )
    harness.add_run_arguments(parser, timeout=DEFAULT_TIMEOUT_S)
    harness.add_worker_arguments(parser, ("prepare", "solve"), "--set")
    args = parser.parse_args(argv)

    if harness.serve_worker(args, worker_prepare, solve=lambda: worker_solve(args.target, args.set, args.worker_out)):
        return 0

    sizes = sorted(harness._sizes(args.sizes)) if args.sizes else list(DEFAULT_SIZES)
    if args.repeat is not None and args.repeat < 1 or not sizes or min(sizes) < 1:
        parser.error("sizes and --repeat must be positive")
    harness.check_max_variables(parser, sizes, args.max_variables)
    chosen = DEFAULT_SETS if args.sets is None else args.sets
    names = ["default"] + [n for n in OPTION_SETS if n != "default" and n in chosen]
    if args.load < 0:
        parser.error("--load must be >= 0")

    info = harness.machine()
    timed_out: dict[str, int] = {}  # option set -> size at which it timed out
    summaries = []
    with harness.work_folder(args.workdir, "oreflow-algo-") as workdir:
        for size in sizes:
            prep = harness.run_prepare(
                size, args.seed, workdir, max(args.timeout, 600.0), script=Path(__file__).resolve(), allow_timeout=True
            )
            print(
                f"[algo] size {size:,}: {prep['n_cols']:,} variables, {prep['nnz']:,} nonzeros",
                file=sys.stderr,
                flush=True,
            )
            runs: dict[str, list[dict]] = {n: [] for n in names}
            for rep in range(harness.repeat_of(size, args.repeat)):
                for name in names:  # interleaved: drift of the shared machine hits every set alike
                    if name in timed_out:
                        if not runs[name]:
                            runs[name].append({"skipped": f"not run (timeout at {harness._fmt_size(timed_out[name])})"})
                        continue
                    if runs[name] and (runs[name][0].get("rejected") or any(r.get("timeout") for r in runs[name])):
                        continue
                    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.load)]
                    try:
                        r = _run_worker("solve", workdir, args.timeout, "--target", prep["dataset"], "--set", name)
                    finally:
                        for burner in burners:  # only the processes started just above
                            burner.kill()
                            burner.wait()
                    runs[name].append(r)
                    if r.get("timeout"):
                        timed_out[name] = size
                        note = f"timeout after {args.timeout:.0f} s"
                    elif r.get("rejected"):
                        note = "rejected " + ", ".join(r["rejected"])
                    else:
                        note = (
                            f"{r['run_s']:.3f}s (others {r['others_cores']:.2f} cores) {r['status']} "
                            f"basis {r['basis_valid']} obj {r['objective']:.10e} "
                            f"it s/ipm/x/pdlp {r['simplex_it']}/{r['ipm_it']}/{r['crossover_it']}/{r['pdlp_it']}"
                        )
                    print(f"[algo]   rep {rep + 1} {name}: {note}", file=sys.stderr, flush=True)
            summaries.append(summarise(size, prep, runs, args.timeout))

    harness.note_engine_change(info)
    repeat_note = harness.repeat_note(sizes, args.repeat)
    set_key = "" if args.sets is None else ";sets=" + ",".join(names)
    load_key = f";load={args.load}" if args.load else ""
    key = (
        f"algorithms;sizes={','.join(str(s) for s in sizes)};repeat={args.repeat or 'auto'};seed={args.seed}"
        f"{set_key}{load_key}"
    )
    if args.load:
        repeat_note += f"; under load: {args.load} busy-loop process(es) running during every solve"
    text = section(key, summaries, repeat_note, args.seed, harness.command_of("algorithms.py", argv), info)
    harness.publish(key, text, args, "algo")
    differ = [
        (s["size"], n) for s in summaries for n, r in s["rows"].items() if r.get("outcome") == "ran" and not r["agrees"]
    ]
    if differ:
        print(f"[algo] objectives differ from the default's by more than {OBJECTIVE_RTOL:g}: {differ}", file=sys.stderr)
    # a set that ends optimal with a basis yet finds another objective is a real failure
    failed = [
        (s["size"], n)
        for s in summaries
        for n, r in s["rows"].items()
        if r.get("outcome") == "ran" and r["optimal"] and r["basis"] and not r["agrees"]
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
