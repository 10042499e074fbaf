"""Planning over years: ``oreflow.planning.solve_plan`` phase by phase, against HiGHS alone.

    python benchmarks/plan.py                          # sizes 1e4, 1e5; records RESULTS.md (section "plan")
    python benchmarks/plan.py --sizes 1e6 --max-variables 1100000 --timeout 7200
    python benchmarks/plan.py --sizes 1e3 --repeat 1 --job-repeat 1 --no-record   # smoke run

Instances. For a size of N variables, one dataset of N / 5 variables is generated
(benchmarks/generate.py, seeded) and planned over five years, 2024, 2026, 2028, 2030 and
2035 (periods of 2, 2, 2, 5 and 5 years, discount rate 8 %), so the stacked LP has about N
columns. The dataset folder also holds the planning inputs, read as ``oreflow run`` reads
them: ``paths.csv`` scales every demand row by the growth path ``GROWTH`` (x 1.28 by 2035:
the existing refiners cannot make it, so plants are built), and ``builds.csv`` offers an
expansion of a quarter of the refiners (``BUILD_SHARE``, seeded): capital 20,000-60,000 USD
per t/yr, fixed O&M 2 % of it a year, lead time 2 years, lifetime 25, ``max_t`` the
refiner's capacity. Two instances per size: **lp** (every build continuous) and **mip** (the
cheapest third of the builds, ``INTEGER_SHARE``, get ``min_t`` = half their ``max_t``: built
at least that large or not at all, a binary each).

Measured, each in its own process (as benchmarks/run.py does: the peak RSS is the worker's):

- *oreflow*: ``load_inputs``, the years' networks (``plan_networks``: paths applied, every
  year re-validated), ``read_planning``, then ``solve_plan(..., ranging=False)`` itself, its
  phases timed by wrapping the functions it calls: the years' LPs (``build_lp``), the horizon
  parts (``build_part``), stacking (``build_plan_lp``), for the mip instance the MIP
  (``solve_integers``: HiGHS's branch and bound on the stacked LP; its ``run()`` separately),
  then the LP (or the LP with the integer decisions fixed) through ``solve_highs`` (pass, run,
  extract), and reading every year back (``year_record``, ``make_result``, the horizon's
  tables: the rest of ``solve_plan``);
- *floor* ("HiGHS alone"): ``readModel`` of the same stacked LP written to MPS (with its
  integer columns for the mip instance), ``run()`` with the options oreflow used (its
  algorithm choice for the LP, ``effective_options``; HiGHS's defaults for the MIP, as
  oreflow's), and for the mip instance the integer columns then fixed at their rounded
  optimum and the LP re-solved cold (``clearSolver``) with the LP's options.

Also the whole-process wall time of ``oreflow run inputs/plan_2035.toml`` (the shipped plan),
the median of ``--job-repeat`` runs. Results go to RESULTS.md between ``<!-- bench:plan -->``
markers: each size's numbers are kept in the section (a JSON comment per size), so a run of
one size replaces that size's rows and keeps the others; text between ``<!-- plan:notes -->``
markers is kept as written. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402  (benchmarks/harness.py: arguments, workers, recording, formatting; stdlib only)

#: The horizon of every instance: years modelled, discount rate (periods run to the next year).
YEARS = (2024, 2026, 2028, 2030, 2035)
DISCOUNT_RATE = 0.08
#: Demand growth: every demand row x this factor in each year (linear in between).
GROWTH = (1.0, 1.05, 1.10, 1.16, 1.28)
#: Share of the refiners offered an expansion; share of those (the cheapest) built whole or not.
BUILD_SHARE = 0.25
INTEGER_SHARE = 1 / 3
CAPITAL_USD_PER_T = (20_000.0, 60_000.0)
FIXED_OM_SHARE = 0.02
LEAD_YEARS, LIFETIME_YEARS = 2.0, 25.0
MIN_T_SHARE = 0.5
VARIANTS = ("lp", "mip")
DEFAULT_SIZES = (10_000, 100_000)
JOB = REPO / "inputs" / "plan_2035.toml"
JOB_REPEAT = 5
#: The issue's targets (issue 14, "Performance"; the ratios are issue 4's).
JOB_TARGET_S = 3.0
OVERHEAD_TARGET = 1.05
MEMORY_TARGET = 1.3
TARGET_FROM_SIZE = 100_000
#: Checks: objectives agree to this (relative); a MIP's to its gaps plus this.
OBJECTIVE_RTOL = 1e-6
KEY = "plan"


_peak_mb = harness._peak_mb


# ---------------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------------


def horizon_of() -> Any:
    from oreflow.model.plan import Horizon

    return Horizon.of(YEARS, discount_rate=DISCOUNT_RATE)


def planning_frames(frames: dict, seed: int, integer: bool) -> dict:
    """``paths.csv`` (demand growth) and ``builds.csv`` of an instance, as DataFrames."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([int(seed), 14])
    refiners = frames["refiners"]
    n = max(1, round(BUILD_SHARE * len(refiners)))
    pick = np.sort(rng.choice(len(refiners), size=n, replace=False))
    capital = np.round(rng.uniform(*CAPITAL_USD_PER_T, n), -2)
    builds = pd.DataFrame(
        {
            "build": [f"B{i + 1:04d}" for i in range(n)],
            "stage": "refining",
            "site": refiners["refiner"].to_numpy()[pick],
            "capital_usd_per_t": capital,
            "fixed_om_usd_per_t_yr": np.round(FIXED_OM_SHARE * capital, 1),
            "lead_time_years": LEAD_YEARS,
            "earliest_start": float(YEARS[0]),
            "lifetime_years": LIFETIME_YEARS,
            "max_t": refiners["capacity_t"].to_numpy()[pick],
        }
    )
    if integer:
        cheapest = np.argsort(capital, kind="stable")[: max(1, round(INTEGER_SHARE * n))]
        min_t = np.full(n, np.nan)
        min_t[cheapest] = MIN_T_SHARE * builds["max_t"].to_numpy()[cheapest]
        builds["min_t"] = min_t
    paths = pd.DataFrame(
        [["demand_growth", "demand", "demand_t", "", "scale", "linear", *GROWTH]],
        columns=["path", "table", "column", "where", "mode", "between", *(str(y) for y in YEARS)],
    )
    return {"builds": builds, "paths": paths}


def stacked_plan(dataset: Path) -> Any:
    """The plan's stacked LP as ``solve_plan`` builds it (its first steps), for the MPS file."""
    import oreflow
    from oreflow.model.lp import build_lp
    from oreflow.model.market import as_options
    from oreflow.model.plan import build_plan_lp
    from oreflow.model.planning import build_part, read_planning, stock_part
    from oreflow.planning import plan_networks

    network = oreflow.load_inputs(dataset)
    horizon = horizon_of()
    networks = plan_networks(network, horizon)
    tables = read_planning(network.source, network)
    options = as_options(None)
    year_lps = {year: build_lp(networks[year], options) for year in horizon.years}
    parts = []
    if len(tables.builds):
        parts.append(build_part(tables, horizon, dict(networks), year_lps))
    if len(tables.stockpiles):
        parts.append(stock_part(tables, horizon, year_lps))
    return build_plan_lp(dict(networks), horizon, options, parts, year_lps)


def worker_prepare(size: int, seed: int, workdir: Path, out: Path) -> None:
    """Generate the year's dataset of ``size / len(YEARS)`` variables, write the lp and mip
    instances (dataset folders with paths.csv and builds.csv) and their stacked LPs as MPS."""
    import generate
    import highspy
    import numpy as np

    from oreflow.solvers.highs import effective_options, new_highs, pass_lp

    per_year = max(1, round(size / len(YEARS)))
    mark = time.perf_counter()
    frames = generate.generate(per_year, seed)
    info: dict = {
        "size": size,
        "per_year": per_year,
        "generate_s": time.perf_counter() - mark,
        "describe": generate.describe(frames),
        "max_demand_ratio": float(generate.feasibility_report(frames)["ratio"].max()),
        "variants": {},
    }
    for variant in VARIANTS:
        extra = planning_frames(frames, seed, integer=variant == "mip")
        dataset = generate.write({**frames, **extra}, workdir / f"plan{size}_seed{seed}_{variant}")
        plan = stacked_plan(dataset)
        lp = plan.lp
        mps = workdir / f"plan{size}_seed{seed}_{variant}.mps"
        h = new_highs()
        pass_lp(h, lp)
        integer = np.flatnonzero(plan.integrality).astype(np.int32)
        if len(integer):
            h.changeColsIntegrality(len(integer), integer, np.asarray([highspy.HighsVarType.kInteger] * len(integer)))
        h.writeModel(str(mps))
        builds = extra["builds"]
        info["variants"][variant] = {
            "dataset": str(dataset),
            "mps": str(mps),
            "n_cols": lp.n_cols,
            "n_rows": lp.n_rows,
            "nnz": int(lp.matrix.nnz),
            "integers": int(len(integer)),
            "builds": len(builds),
            "integer_builds": int(builds["min_t"].notna().sum()) if "min_t" in builds else 0,
            "offset": float(lp.offset),
            # the floor runs what oreflow runs: its algorithm for the LP, HiGHS's defaults for the MIP
            "options": {k: v for k, v in effective_options(lp).items() if k != "output_flag"},
            "mip_options": {} if len(integer) else None,
        }
        del h, plan, lp
    out.write_text(json.dumps(info), encoding="utf-8")


# ---------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------


def worker_oreflow(dataset: Path, out: Path) -> None:
    """Load, the years' networks, the planning tables, then ``solve_plan`` (ranging off) with
    each phase it runs timed by wrapping the function it calls (see the module docstring)."""
    clock = time.perf_counter
    mark = clock()
    import highspy
    import numpy as np

    import oreflow
    import oreflow.planning as planning
    import oreflow.solvers.highs as highs_module
    from oreflow.model.planning import read_planning

    m: dict = {"import_s": clock() - mark, "rss_import_mb": _peak_mb()}
    horizon = horizon_of()
    mark = clock()
    network = oreflow.load_inputs(dataset)
    m["load_s"], m["rss_load_mb"] = clock() - mark, _peak_mb()
    mark = clock()
    networks = planning.plan_networks(network, horizon)
    m["networks_s"], m["rss_networks_mb"] = clock() - mark, _peak_mb()
    mark = clock()
    tables = read_planning(network.source, network)
    m["planning_s"] = clock() - mark

    phase: dict[str, float] = {k: 0.0 for k in ("build", "parts", "stack", "mip", "mip_run", "solve")}
    rss: dict[str, float] = {}
    seen: dict[str, Any] = {}

    def timed(name: str, fn: Callable[..., Any], after: Callable[[Any, tuple], None] | None = None) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            value = fn(*args, **kwargs)
            phase[name] += clock() - start
            rss[name] = _peak_mb()
            if after is not None:
                after(value, args)
            return value

        return wrapper

    def after_solve(record: Any, args: tuple) -> None:
        seen["timings"] = dict(record.timings)
        seen["status"], seen["iterations"], seen["lp_objective"] = record.status, record.iterations, record.objective

    def after_mip(value: Any, args: tuple) -> None:
        mip, fixed = value
        integer = np.asarray(args[0].integrality, dtype=bool)
        seen["pattern"] = np.flatnonzero(np.round(fixed.col_lower[integer]) >= 1).tolist()
        seen["mip"] = dict(mip)

    class TimedHighs(highspy.Highs):
        """The MIP's HiGHS: its run() timed, its simplex iterations read (no reference kept)."""

        def run(self) -> Any:
            start = clock()
            status = super().run()
            phase["mip_run"] += clock() - start
            seen["mip_iterations"] = int(self.getInfo().simplex_iteration_count)
            return status

    real_new_highs = highs_module.new_highs

    def mip_highs() -> Any:
        h = TimedHighs()
        h.setOptionValue("output_flag", False)
        return h

    solve_integers = getattr(planning, "solve_integers", None)

    def solve_integers_timed(*args: Any, **kwargs: Any) -> Any:
        assert solve_integers is not None
        highs_module.new_highs = mip_highs  # solve_integers imports it when called
        try:
            return solve_integers(*args, **kwargs)
        finally:
            highs_module.new_highs = real_new_highs

    # the names solve_plan looks up in its module; one that is gone leaves its time in "read years"
    wrappers: dict[str, tuple[str, Callable[..., Any] | None, Callable | None]] = {
        "build_lp": ("build", None, None),
        "build_part": ("parts", None, None),
        "stock_part": ("parts", None, None),
        "build_plan_lp": ("stack", None, None),
        "solve_integers": ("mip", solve_integers_timed, after_mip),
        "solve_highs": ("solve", None, after_solve),
    }
    m["unwrapped"] = [name for name in wrappers if not hasattr(planning, name)]
    for name, (key, replacement, after) in wrappers.items():
        if hasattr(planning, name):
            setattr(planning, name, timed(key, replacement or getattr(planning, name), after))

    mark = clock()
    result = planning.solve_plan(networks, horizon, tables, None, None, ranging=False)
    m["total_s"] = clock() - mark
    m["peak_mb"] = _peak_mb()
    timings = seen.get("timings", {})
    m["pass_s"], m["run_s"] = timings.get("pass_s", 0.0), timings.get("solve_s", 0.0)
    # extract: reading values, duals and basis back, and whatever solve_highs did around them
    m["extract_s"] = phase["solve"] - m["pass_s"] - m["run_s"]
    for key in ("build", "parts", "stack", "mip", "mip_run"):
        m[f"{key}_s"] = phase[key]
    m["read_s"] = m["total_s"] - sum(phase[k] for k in ("build", "parts", "stack", "mip", "solve"))
    for key in ("build", "stack", "mip", "solve"):
        m[f"rss_{key}_mb"] = rss.get(key, float("nan"))
    lp = result.plan_lp.lp if result.plan_lp is not None else None
    builds = result.builds
    m.update(
        status=seen.get("status", "?"),
        objective=float(result.objective),
        iterations=seen.get("iterations", 0),
        n_cols=lp.n_cols if lp is not None else 0,
        nnz=int(lp.matrix.nnz) if lp is not None else 0,
        unmet_t=float(sum(r.unmet["unmet_t"].sum() for r in result.years.values())),
        builds_built=int(builds["build"].nunique()) if len(builds) else 0,
        built_t=float(builds["capacity_t"].sum()) if len(builds) else 0.0,
        mip=seen.get("mip", {}),
        pattern=seen.get("pattern"),
        mip_iterations=seen.get("mip_iterations"),
    )
    out.write_text(json.dumps(m), encoding="utf-8")


def worker_floor(mps: Path, out: Path, spec: dict) -> None:
    """HiGHS alone: read the MPS file and run it with oreflow's options; for a MIP, then fix
    its integer columns at the rounded optimum and re-solve the LP cold with the LP's options."""
    h, m = harness.floor_read(mps)
    clock = time.perf_counter
    import highspy
    import numpy as np

    mip_options = spec.get("mip_options")
    if mip_options is not None:
        for name, value in mip_options.items():
            h.setOptionValue(name, value)
        mark = clock()
        h.run()
        m["mip_run_s"] = clock() - mark
        info = h.getInfo()
        m.update(
            **harness.outcome(h, info, "mip_"),
            mip_gap=float(info.mip_gap),
            mip_nodes=int(info.mip_node_count),
            mip_iterations=int(info.simplex_iteration_count),
        )
        kinds = np.asarray([int(v) for v in h.getLp().integrality_])
        integer = np.flatnonzero(kinds == int(highspy.HighsVarType.kInteger)).astype(np.int32)
        fixed = np.round(np.asarray(h.getSolution().col_value)[integer])
        m["pattern"] = np.flatnonzero(fixed >= 1).tolist()
        h.changeColsBounds(len(integer), integer, fixed, fixed)
        h.changeColsIntegrality(len(integer), integer, np.asarray([highspy.HighsVarType.kContinuous] * len(integer)))
        h.clearSolver()  # oreflow solves the fixed LP in a new HiGHS: no basis to start from
    for name, value in spec["options"].items():
        h.setOptionValue(name, value)
    # iterations counted as oreflow counts them (solvers/highs.py read_solution)
    harness.floor_run(h, m, ("simplex_iteration_count", "ipm_iteration_count", "crossover_iteration_count"))
    out.write_text(json.dumps(m), encoding="utf-8")


# ---------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------

PHASES: tuple[str, ...] = (
    *("load_s", "networks_s", "planning_s", "build_s", "parts_s", "stack_s", "mip_s", "mip_run_s"),
    *("pass_s", "run_s", "extract_s", "read_s", "total_s", "peak_mb", "rss_import_mb", "rss_load_mb"),
    *("rss_networks_mb", "rss_build_mb", "rss_stack_mb", "rss_mip_mb", "rss_solve_mb"),
)


def _median(rows: list[dict], key: str) -> float:
    values = [r[key] for r in rows if r.get(key) is not None]
    return float(statistics.median(values)) if values else float("nan")


def summarise(prep: dict, variant: str, ore: list[dict], floor: list[dict]) -> dict:
    """Medians, ratios and checks of one instance (a size and a variant)."""
    v = prep["variants"][variant]
    s: dict = {"size": prep["size"], "variant": variant, "reps": len(ore)}
    for key in ("n_cols", "n_rows", "nnz", "integers", "builds", "integer_builds"):
        s[key] = v[key]
    s["per_year"] = prep["describe"]["variables"]
    s["refiners"] = prep["describe"]["refiners"]
    s["algorithm"] = "ipm + crossover" if v["options"].get("solver") == "ipm" else "dual simplex"
    if any(r.get("timeout") for r in ore + floor) or not ore or not floor:
        s["timeout"] = True
        return s
    for key in PHASES:
        s[key] = _median(ore, key)
    s["core_s"] = statistics.median(
        sum(r[k] for k in ("build_s", "parts_s", "stack_s", "mip_s", "pass_s", "run_s", "extract_s")) for r in ore
    )
    s["floor_read_s"] = _median(floor, "read_s")
    s["floor_run_s"] = _median(floor, "run_s")
    s["floor_mip_run_s"] = _median(floor, "mip_run_s") if variant == "mip" else 0.0
    s["floor_total_s"] = statistics.median(r["run_s"] + r.get("mip_run_s", 0.0) for r in floor)
    s["floor_peak_mb"] = _median(floor, "peak_mb")
    s["floor_import_mb"] = _median(floor, "rss_import_mb")
    s["time_ratio"] = s["core_s"] / s["floor_total_s"]
    s["whole_ratio"] = s["total_s"] / s["floor_total_s"]
    s["run_ratio"] = s["run_s"] / s["floor_run_s"]
    s["mem_ratio"] = s["peak_mb"] / s["floor_peak_mb"]
    above = s["floor_peak_mb"] - s["floor_import_mb"]
    s["mem_ratio_above_imports"] = (s["peak_mb"] - s["rss_import_mb"]) / above if above > 0 else float("nan")
    offset = v["offset"]
    s["objective"] = ore[0]["objective"]
    s["objective_rel_diff"] = max(harness.rel_diff(r["objective"], f["objective"] + offset) for r, f in zip(ore, floor))
    s["statuses"] = sorted({r["status"] for r in ore})
    s["floor_statuses"] = sorted({f["status"] for f in floor})
    s["iterations"], s["floor_iterations"] = ore[0]["iterations"], floor[0]["iterations"]
    s["unmet_max_t"] = max(r["unmet_t"] for r in ore)
    s["builds_built"], s["built_t"] = ore[0]["builds_built"], ore[0]["built_t"]
    s["highs_version"] = floor[0]["version"]
    # unmet demand is reported, not checked: the growth may outrun the ore of a small instance
    ok = (
        s["statuses"] == ["optimal"]
        and s["floor_statuses"] == ["Optimal"]
        and s["objective_rel_diff"] <= OBJECTIVE_RTOL
    )
    if variant == "mip":
        s["mip_gap"] = max(r["mip"].get("gap", float("nan")) for r in ore)
        s["mip_nodes"] = int(statistics.median(r["mip"].get("nodes", 0) for r in ore))
        s["mip_iterations"] = ore[0].get("mip_iterations")
        s["floor_mip_gap"] = max(f["mip_gap"] for f in floor)
        s["floor_mip_nodes"] = int(statistics.median(f["mip_nodes"] for f in floor))
        s["floor_mip_iterations"] = floor[0]["mip_iterations"]
        s["mip_objective"] = ore[0]["mip"].get("objective", float("nan"))
        s["mip_objective_rel_diff"] = max(
            harness.rel_diff(r["mip"].get("objective", float("nan")), f["mip_objective"] + offset)
            for r, f in zip(ore, floor)
        )
        s["same_pattern"] = all(r["pattern"] == f["pattern"] for r, f in zip(ore, floor))
        s["built_whole"] = len(ore[0]["pattern"] or [])
        tolerance = max(s["mip_gap"], s["floor_mip_gap"]) + OBJECTIVE_RTOL
        s["floor_mip_statuses"] = sorted({f["mip_status"] for f in floor})
        # with another integer pattern the fixed LPs differ: compare the MIP objectives then
        ok = (
            s["statuses"] == ["optimal"]
            and s["floor_mip_statuses"] == ["Optimal"]
            and s["floor_statuses"] == ["Optimal"]
            and s["mip_objective_rel_diff"] <= tolerance
            and (s["objective_rel_diff"] <= OBJECTIVE_RTOL or not s["same_pattern"])
        )
    s["ok"] = bool(ok)
    return s


# ---------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------

_fmt_s, _fmt_size = harness._fmt_s, harness._fmt_size


def _sort_key(s: dict) -> tuple[int, int]:
    return s["size"], VARIANTS.index(s["variant"])


def _timeout_row(s: dict, columns: int) -> str:
    cells = [f"timeout ({s.get('timed_out', '?')} process killed at {s.get('timeout_s', 0):.0f} s)"]
    cells += [""] * (columns - 1)
    return f"| {_fmt_size(s['size'])} | {s['variant']} | " + " | ".join(cells) + " |"


def tables(summaries: list[dict]) -> str:
    rows = sorted(summaries, key=_sort_key)
    lines = [
        "Seconds and peak RSS in MB, medians over repetitions; ratios are ratios of medians. `year LPs`: "
        "`build_lp` of each year; `parts + stack`: the builds' columns and rows and `build_plan_lp`; `MIP`: "
        "`solve_integers` (HiGHS's branch and bound on the stacked LP, pass and read-back included); "
        "`pass`/`run`/`extract`: `solve_highs` of the LP (mip: of the LP with the integer decisions fixed); "
        "`read years`: the rest of `solve_plan` (`year_record` and `make_result` per year, the horizon's tables). "
        "`floor`: HiGHS alone from MPS, the same options (mip: its MIP run + the fixed LP's run). "
        "**overhead ratio** = (year LPs + parts + stack + MIP + pass + run + extract) / floor, the definition "
        "of benchmarks/run.py; `whole / floor` = all of `solve_plan` / floor.",
        "",
        "| size | instance | variables | rows | nonzeros | integers | LP algorithm | load+validate | year networks "
        "| year LPs | parts + stack | MIP | pass | run | extract | read years | solve_plan | floor | "
        "**overhead ratio** | whole / floor | run / floor run | peak MB | floor MB | **memory ratio** |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
        "|---:|---:|---:|",
    ]
    for s in rows:
        if s.get("timeout"):
            lines.append(_timeout_row(s, 22))
            continue
        mip = _fmt_s(s["mip_s"]) if s["variant"] == "mip" else "-"
        lines.append(
            f"| {_fmt_size(s['size'])} | {s['variant']} | {s['n_cols']:,} | {s['n_rows']:,} | {s['nnz']:,} "
            f"| {s['integers']} | {s['algorithm']} | {_fmt_s(s['load_s'])} | {_fmt_s(s['networks_s'])} "
            f"| {_fmt_s(s['build_s'])} | {_fmt_s(s['parts_s'] + s['stack_s'])} | {mip} | {_fmt_s(s['pass_s'])} "
            f"| {_fmt_s(s['run_s'])} | {_fmt_s(s['extract_s'])} | {_fmt_s(s['read_s'])} | {_fmt_s(s['total_s'])} "
            f"| {_fmt_s(s['floor_total_s'])} | **{s['time_ratio']:.2f}** | {s['whole_ratio']:.2f} "
            f"| {s['run_ratio']:.2f} | {s['peak_mb']:.0f} | {s['floor_peak_mb']:.0f} | **{s['mem_ratio']:.2f}** |"
        )
    mips = [s for s in rows if s["variant"] == "mip" and not s.get("timeout")]
    if mips:
        lines += [
            "",
            "The MIP (instance mip): HiGHS's branch and bound with its default options (`mip_rel_gap` 1e-4) in "
            "oreflow (`run()` inside `solve_integers`) and alone; then the LP with the integer decisions fixed, "
            "solved cold with the LP's algorithm (its prices). `built whole`: builds with `min_t` that the MIP "
            "builds; `same pattern`: the same integer decisions in both.",
            "",
            "| size | integers | MIP run s | floor MIP run s | MIP gap oreflow / floor | nodes oreflow / floor "
            "| MIP simplex iterations oreflow / floor | MIP objective rel. diff | built whole | same pattern "
            "| fixed LP run s | floor fixed LP run s | fixed LP objective rel. diff |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
        ]
        for s in mips:
            lines.append(
                f"| {_fmt_size(s['size'])} | {s['integers']} | {_fmt_s(s['mip_run_s'])} "
                f"| {_fmt_s(s['floor_mip_run_s'])} | {s['mip_gap']:.2e} / {s['floor_mip_gap']:.2e} "
                f"| {s['mip_nodes']:,} / {s['floor_mip_nodes']:,} "
                f"| {s['mip_iterations'] or 0:,} / {s['floor_mip_iterations']:,} "
                f"| {s['mip_objective_rel_diff']:.1e} | {s['built_whole']} of {s['integers']} "
                f"| {'yes' if s['same_pattern'] else 'no'} | {_fmt_s(s['run_s'])} | {_fmt_s(s['floor_run_s'])} "
                f"| {s['objective_rel_diff']:.1e} |"
            )
    lines += [
        "",
        "Peak RSS (MB, median) after each phase of the oreflow process and of the floor; the last column compares "
        "the growth above each process's imports.",
        "",
        "| size | instance | after imports | load | year networks | year LPs | stack | MIP | solve | end "
        "| floor after imports | floor peak | memory ratio above imports |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in rows:
        if s.get("timeout"):
            lines.append(_timeout_row(s, 11))
            continue
        mip = f"{s['rss_mip_mb']:.0f}" if s["variant"] == "mip" else "-"
        lines.append(
            f"| {_fmt_size(s['size'])} | {s['variant']} | {s['rss_import_mb']:.0f} | {s['rss_load_mb']:.0f} "
            f"| {s['rss_networks_mb']:.0f} | {s['rss_build_mb']:.0f} | {s['rss_stack_mb']:.0f} | {mip} "
            f"| {s['rss_solve_mb']:.0f} | {s['peak_mb']:.0f} | {s['floor_import_mb']:.0f} "
            f"| {s['floor_peak_mb']:.0f} | {s['mem_ratio_above_imports']:.2f} |"
        )
    lines += [
        "",
        "Instances and checks: the year's dataset (benchmarks/generate.py at size / 5 variables), the builds "
        "offered (with `min_t`), those built (t/yr in all), unmet demand over all years (0 at 1e4 and 1e5; at 1e3 "
        "and 1e6 the growth outruns the ore of some product: that demand is unmet at the penalty in both solves "
        "alike), the objective (present value, USD) and its difference from the "
        "floor's (mip: of the fixed LP), simplex + IPM + crossover iterations, repetitions, when and on which "
        "engine source (short sha256 of oreflow/, model/, solvers/) it was measured.",
        "",
        "| size | instance | variables per year | refiners | builds offered (whole) | built | built t/yr | unmet t "
        "| objective (USD, PV) | objective rel. diff | iterations oreflow / floor | reps | measured | engine source "
        "| check |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for s in rows:
        measured = s.get("date", "?")
        if s.get("timeout"):
            lines.append(
                f"| {_fmt_size(s['size'])} | {s['variant']} | {s['per_year']:,} | {s['refiners']:,} "
                f"| {s['builds']} ({s['integer_builds']}) | | | | | | | | {measured} | {s.get('engine', '?')} "
                f"| timeout |"
            )
            continue
        lines.append(
            f"| {_fmt_size(s['size'])} | {s['variant']} | {s['per_year']:,} | {s['refiners']:,} "
            f"| {s['builds']} ({s['integer_builds']}) | {s['builds_built']} | {s['built_t']:,.0f} "
            f"| {s['unmet_max_t']:.3g} | {s['objective']:.6e} | {s['objective_rel_diff']:.1e} "
            f"| {s['iterations']:,} / {s['floor_iterations']:,} | {s['reps']} | {measured} "
            f"| {s.get('engine', '?')} | {'ok' if s['ok'] else '**FAILED**'} |"
        )
    return "\n".join(lines)


def job_table(job: dict | None) -> str:
    if not job:
        return "The shipped plan: not measured yet."
    if job.get("missing"):
        return f"The shipped plan: `{job['job']}` did not exist when this ran ({job['date']}): not measured."
    median = job["median_s"]
    verdict = "met" if median <= JOB_TARGET_S else f"missed by {median - JOB_TARGET_S:.2f} s"
    return (
        "The shipped plan as a whole process (Python start-up, imports, load, paths, the stacked LP, its solve with "
        "ranging as the job asks, every table, summary.json and report.html), each run into a fresh folder:\n\n"
        "| job | runs | median wall s | min s | max s | target | verdict | measured |\n"
        "|---|---:|---:|---:|---:|---:|---|---|\n"
        f"| `oreflow run {job['job']}` | {job['runs']} | {median:.2f} | {job['min_s']:.2f} | {job['max_s']:.2f} "
        f"| <= {JOB_TARGET_S:.0f} | {verdict} | {job['date']} |"
    )


def verdicts(summaries: list[dict], job: dict | None) -> str:
    """The issue's targets against what the section holds (sizes >= TARGET_FROM_SIZE)."""
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    if job and not job.get("missing"):
        ok = job["median_s"] <= JOB_TARGET_S
        lines.append(
            f"| shipped plan <= {JOB_TARGET_S:.0f} s wall | {job['median_s']:.2f} s (median of {job['runs']}) "
            f"| {'met' if ok else 'missed'} |"
        )
    else:
        lines.append(f"| shipped plan <= {JOB_TARGET_S:.0f} s wall | not measured | - |")
    large = [s for s in sorted(summaries, key=_sort_key) if s["size"] >= TARGET_FROM_SIZE]
    measured = [s for s in large if not s.get("timeout")]
    for label, key, target in (
        (f"overhead <= {OVERHEAD_TARGET} x HiGHS alone (same algorithm)", "time_ratio", OVERHEAD_TARGET),
        (f"peak memory <= {MEMORY_TARGET} x HiGHS alone", "mem_ratio", MEMORY_TARGET),
    ):
        cells = [f"{_fmt_size(s['size'])} {s['variant']}: {s[key]:.2f}" for s in measured]
        cells += [
            f"{_fmt_size(s['size'])} {s['variant']}: not measured (timeout at {s.get('timeout_s', 0):.0f} s)"
            for s in large
            if s.get("timeout")
        ]
        if not cells:
            lines.append(f"| {label}, >= {_fmt_size(TARGET_FROM_SIZE)} | not measured | - |")
            continue
        met = [s for s in measured if s[key] <= target]
        if not measured:
            verdict = "not measured"
        elif len(met) == len(large):
            verdict = "met"
        elif len(met) == len(measured):
            verdict = "met where measured"
        else:
            verdict = "missed" if not met else "met at some, missed at others"
        lines.append(f"| {label}, >= {_fmt_size(TARGET_FROM_SIZE)} | {'; '.join(cells)} | {verdict} |")
    mips = [s for s in measured if s["variant"] == "mip"]
    if mips:
        cells = [
            f"{_fmt_size(s['size'])}: {_fmt_s(s['mip_run_s'])} s, gap {s['mip_gap']:.1e}, {s['mip_nodes']} nodes"
            for s in mips
        ]
        lines.append(f"| MIP time and gap recorded | {'; '.join(cells)} | recorded |")
    return "\n".join(lines)


def _data_line(s: dict) -> str:
    text = json.dumps(s, separators=(",", ":"), sort_keys=True).replace("--", "-\\u002d")  # no "--" in a comment
    return f"<!-- plan:data {text} -->"


def read_section(path: Path) -> tuple[list[dict], dict | None, str]:
    """The summaries, the job measurement and the notes of the section now in ``path``."""
    if not path.exists():
        return [], None, ""
    text = path.read_text(encoding="utf-8")
    found = re.search(rf"<!-- bench:{KEY} -->(.*?)<!-- /bench:{KEY} -->", text, re.S)
    if not found:
        return [], None, ""
    body = found.group(1)
    summaries, job = [], None
    for line in re.findall(r"<!-- plan:data (\{.*\}) -->", body):
        item = json.loads(line)
        if item.get("kind") == "job":
            job = item
        else:
            summaries.append(item)
    notes = re.search(r"<!-- plan:notes -->.*?<!-- /plan:notes -->", body, re.S)
    return summaries, job, notes.group(0) if notes else ""


def merge(old: list[dict], new: list[dict]) -> list[dict]:
    """``old`` with every instance measured again in ``new`` replaced."""
    fresh = {(s["size"], s["variant"]) for s in new}
    return [s for s in old if (s["size"], s["variant"]) not in fresh] + new


def section(summaries: list[dict], job: dict | None, notes: str, info: dict) -> str:
    highs = next((s["highs_version"] for s in summaries if "highs_version" in s), None)
    commands = sorted({s.get("command", "?") for s in summaries} | ({job["command"]} if job else set()))
    lines = [
        f"<!-- bench:{KEY} -->",
        "## Planning over years (issue 14): `solve_plan` against HiGHS alone",
        "",
        'Written by `benchmarks/plan.py` (see [README.md](README.md), "Planning"). Horizon '
        f"{', '.join(map(str, YEARS))} (periods to the next year, the last 5 years), discount rate "
        f"{100 * DISCOUNT_RATE:g} %; every demand x {', '.join(f'{g:g}' for g in GROWTH)} in those years "
        f"(`paths.csv`); {100 * BUILD_SHARE:g} % of the refiners offered an expansion up to their capacity "
        f"(capital {CAPITAL_USD_PER_T[0]:,.0f}-{CAPITAL_USD_PER_T[1]:,.0f} USD per t/yr, lead {LEAD_YEARS:g} "
        f"years, lifetime {LIFETIME_YEARS:g}); instance mip: the cheapest third of those with `min_t` = "
        f"{MIN_T_SHARE:g} x `max_t`. Ranging off. Each size's rows are replaced when that size is run again.",
        "",
        f"- Commands: {'; '.join(f'`{c}`' for c in commands)}",
        *harness.header_lines(commands[-1] if commands else "?", info, highs)[2:4],
        f"- oreflow: commit {info['commit']}",
        "",
        f'Targets (issue 14, "Performance"; the ratios are issue 4\'s, at >= {_fmt_size(TARGET_FROM_SIZE)} variables):',
        "",
        verdicts(summaries, job),
        "",
        job_table(job),
        "",
        tables(summaries) if summaries else "No instance measured yet.",
        "",
    ]
    if notes:
        lines += [notes, ""]
    lines += [_data_line(s) for s in sorted(summaries, key=_sort_key)]
    if job:
        lines.append(_data_line(job))
    lines.append(f"<!-- /bench:{KEY} -->")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------


def measure_job(job: Path, repeat: int, command: str) -> dict:
    """Wall times of ``oreflow run job`` (small_jobs.wall_times), or a note that it is missing."""
    import small_jobs

    date = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    name = str(job.relative_to(REPO)) if job.is_relative_to(REPO) else str(job)
    if not job.is_file():
        return {"kind": "job", "job": name, "missing": True, "date": date, "command": command}
    times = small_jobs.wall_times(repeat, job)
    return {
        "kind": "job",
        "job": name,
        "runs": repeat,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "times": times,
        "date": date,
        "command": command,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="*", help="plan variables, e.g. 1e4 1e5 (default 1e4 1e5; none: job only)")
    parser.add_argument("--repeat", type=int, default=None, help=harness.REPEAT_HELP)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--job", type=Path, default=JOB, help="the shipped plan's job file")
    parser.add_argument("--job-repeat", type=int, default=JOB_REPEAT, help="runs of the job (0: not measured)")
    harness.add_run_arguments(parser, timeout=3600.0, keep=True)
    harness.add_worker_arguments(parser, ("prepare", "oreflow", "floor"), "--options")
    args = parser.parse_args(argv)

    if harness.serve_worker(
        args,
        worker_prepare,
        oreflow=lambda: worker_oreflow(args.target, args.worker_out),
        floor=lambda: worker_floor(args.target, args.worker_out, json.loads(args.options)),
    ):
        return 0

    sizes = harness._sizes(args.sizes) if args.sizes is not None else list(DEFAULT_SIZES)
    if sizes and min(sizes) < 1 or (args.repeat is not None and args.repeat < 1):
        parser.error("sizes and --repeat must be positive")
    harness.check_max_variables(parser, sizes, args.max_variables)

    command = harness.command_of("plan.py", argv)
    info = harness.machine()
    summaries: list[dict] = []
    failed = False
    with harness.work_folder(args.workdir, "oreflow-plan-", keep=args.keep) as workdir:
        for size in sizes:
            prep = harness.run_prepare(size, args.seed, workdir, args.timeout, script=Path(__file__).resolve())
            print(
                f"[plan] size {size:,}: {prep['describe']['variables']:,} variables a year, "
                + ", ".join(f"{k} {v['n_cols']:,} columns" for k, v in prep["variants"].items()),
                file=sys.stderr,
                flush=True,
            )
            engine_before = harness.engine_state()
            repeat = harness.repeat_of(size, args.repeat)
            runs: dict[str, tuple[list[dict], list[dict]]] = {v: ([], []) for v in args.variants}
            for rep in range(repeat):
                for variant in args.variants:
                    v = prep["variants"][variant]
                    ore, floor = runs[variant]
                    if any(r.get("timeout") for r in ore + floor):
                        continue
                    ore.append(
                        harness._run_worker(
                            "oreflow",
                            workdir,
                            args.timeout,
                            "--target",
                            v["dataset"],
                            script=Path(__file__).resolve(),
                            allow_timeout=True,
                        )
                    )
                    if ore[-1].get("timeout"):  # no floor to compare with: skip its (as long) run
                        print(
                            f"[plan]   {variant} rep {rep + 1}: oreflow timed out ({args.timeout:.0f} s)",
                            file=sys.stderr,
                        )
                        continue
                    spec = json.dumps({"options": v["options"], "mip_options": v["mip_options"]})
                    floor.append(
                        harness._run_worker(
                            "floor",
                            workdir,
                            args.timeout,
                            "--target",
                            v["mps"],
                            "--options",
                            spec,
                            script=Path(__file__).resolve(),
                            allow_timeout=True,
                        )
                    )
                    o, f = ore[-1], floor[-1]
                    if o.get("timeout") or f.get("timeout"):
                        print(f"[plan]   {variant} rep {rep + 1}: timeout ({args.timeout:.0f} s)", file=sys.stderr)
                        continue
                    print(
                        f"[plan]   {variant} rep {rep + 1}/{repeat}: oreflow {o['total_s']:.2f}s "
                        f"(mip {o['mip_run_s']:.2f}s, run {o['run_s']:.2f}s) peak {o['peak_mb']:.0f}MB; "
                        f"floor {f.get('mip_run_s', 0.0) + f['run_s']:.2f}s peak {f['peak_mb']:.0f}MB",
                        file=sys.stderr,
                        flush=True,
                    )
            engine_after = harness.engine_state()
            date = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
            for variant in args.variants:
                s = summarise(prep, variant, *runs[variant])
                if s.get("timeout"):
                    ore, floor = runs[variant]
                    s["timed_out"] = "oreflow" if any(r.get("timeout") for r in ore) else "floor"
                    s["timeout_s"] = args.timeout
                s["engine"] = engine_before if engine_after == engine_before else f"{engine_before}→{engine_after}"
                s["date"], s["command"] = date, command
                failed |= not s.get("ok", False)
                summaries.append(s)

    job = measure_job(args.job, args.job_repeat, command) if args.job_repeat > 0 else None
    if job and job.get("missing"):
        print(f"[plan] {args.job} does not exist: the shipped plan is not measured", file=sys.stderr)
    harness.note_engine_change(info)
    old, old_job, notes = ([], None, "") if args.no_record else read_section(args.results)
    text = section(merge(old, summaries), job or old_job, notes, info)
    harness.publish(KEY, text, args, "plan")
    if failed:
        print("[plan] CHECK FAILED or timed out: see the checks table", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
