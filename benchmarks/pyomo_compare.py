"""The pyomo backend against an idiomatic Pyomo formulation of the same LP, and HiGHS alone.

Five measurements per size and repetition, each in its own process (peak RSS is that
process's own), all solving with the HiGHS algorithm oreflow chooses for the LP
(``effective_options``: the same algorithm everywhere, so differences are modelling, not
algorithm):

- ``floor``: HiGHS alone reading the LP from MPS and solving (benchmarks/run.py's worker);
- ``oreflow-pyomo``: ``oreflow.solve(..., backend="pyomo")``'s solve path — array LP
  (``build_lp``), the Pyomo model built from its arrays in matrix form
  (solvers/pyomo_arrays.py), read into arrays and passed to HiGHS by oreflow's direct
  interface (solvers/pyomo_highs.py), values, duals, reduced costs and basis back in LP
  order (``solvers/pyomo_backend.py``; its ranging is timed apart and not counted);
- ``twin``: the readable rule-based model ``oreflow.build_pyomo_model`` solved through
  Pyomo's HiGHS interface (what the backend solved before it built its own models);
- ``idiomatic``: what a user would otherwise write — a ConcreteModel with Sets of tuples,
  rule functions summing over dict lookups, ``Suffix`` duals and reduced costs, solved
  with ``pyomo.environ.SolverFactory("highs")`` given the same HiGHS options;
- ``highs-backend``: oreflow's highs backend in the same setting (Pyomo imported, same
  data): no Pyomo model, so the least memory a solve through Pyomo could take here.

Per process: the time from the data in memory to duals in hand (``total``), and HiGHS's own
``run()`` within it (``run``, HiGHS's clock). Two overheads: over the floor
(``total - floor run``, the issue's definition: it carries the noise of two separate solves)
and the modelling overhead (``total - run`` of the same process: model build, Pyomo's
translation for the solver, read-back; no solve noise). The issue's targets: oreflow's
pyomo overhead at most half the idiomatic one at >= 1e5 variables, and its peak memory at
most 0.6 x the idiomatic one.

    .venv/bin/python benchmarks/pyomo_compare.py --sizes 1e4 1e5 [--repeat 3] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402  (benchmarks/harness.py: workers (run.py's prepare and floor by default), recording)


def _load(dataset: Path):  # -> (oreflow.Network, MB)
    """Import Pyomo and its HiGHS interface (untimed, as imports are in benchmarks/run.py: the
    backend would otherwise pay them inside its model build), then load and validate the
    dataset; the network and the process's RSS after loading."""
    import pyomo.contrib.solver.common.factory
    import pyomo.environ  # noqa: F401

    import oreflow

    network = oreflow.load_inputs(dataset)
    return network, harness._peak_mb()


def _lp(network):  # oreflow.Network -> (LinearProgram, seconds)
    """The array LP and the seconds ``build_lp`` took."""
    from oreflow.model.lp import build_lp

    mark = time.perf_counter()
    lp = build_lp(network)
    return lp, time.perf_counter() - mark


def _highs_run_s(opt) -> float:
    """HiGHS's own clock for the last ``run()`` of the highspy object a Pyomo interface drives."""
    return float(opt._solver_model.getRunTime())


def worker_oreflow_pyomo(dataset: Path, out: Path, options: dict) -> None:
    """The pyomo backend's solve path; ``options`` are oreflow's own choice (not passed)."""
    from oreflow.solvers import pyomo_arrays  # noqa: F401  (imports Pyomo's expression classes untimed)
    from oreflow.solvers.pyomo_backend import solve_pyomo

    network, rss_loaded = _load(dataset)
    lp, build_s = _lp(network)
    record = solve_pyomo(lp, "highs", {})
    t = record.timings
    m = {
        "lp_build_s": build_s,
        "model_build_s": t["pyomo_build_s"],
        "solve_s": t["solve_s"],
        "run_s": t["run_s"],
        "extract_s": t["extract_s"],
        "ranging_s": t["ranging_s"],
        "objective": record.objective,
        "status": record.status,
        "rss_loaded_mb": rss_loaded,
        "peak_mb": harness._peak_mb(),
    }
    m["total_s"] = m["lp_build_s"] + m["model_build_s"] + m["solve_s"] + m["extract_s"]
    out.write_text(json.dumps(m), encoding="utf-8")


def worker_highs_backend(dataset: Path, out: Path, options: dict) -> None:
    """The highs backend in the same setting (Pyomo imported, same data): what any backend
    needs without a Pyomo model, the memory floor of a solve through Pyomo."""
    from oreflow.solvers.highs import solve_highs

    network, rss_loaded = _load(dataset)
    lp, build_s = _lp(network)
    mark = time.perf_counter()
    record = solve_highs(lp)
    total_s = build_s + time.perf_counter() - mark - record.timings["ranging_s"]
    out.write_text(
        json.dumps(
            {
                "total_s": total_s,
                "run_s": record.timings["solve_s"],
                "objective": record.objective,
                "status": record.status,
                "rss_loaded_mb": rss_loaded,
                "peak_mb": harness._peak_mb(),
            }
        ),
        encoding="utf-8",
    )


def worker_twin(dataset: Path, out: Path, options: dict) -> None:
    """The readable rule-based model (``build_pyomo_model``) solved as the backend solved it before
    it built its model from the LP's arrays (``opt.solve(model)``: Pyomo's own column order)."""
    clock = time.perf_counter
    from pyomo.contrib.solver.common.factory import SolverFactory

    from oreflow.model.pyomo_model import build_pyomo_model

    network, rss_loaded = _load(dataset)
    lp, lp_build_s = _lp(network)
    mark = clock()
    model = build_pyomo_model(network, lp.cost_terms["unmet_penalty"]["u"])
    build_s = clock() - mark
    opt = SolverFactory("highs")
    mark = clock()
    results = opt.solve(
        model,
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
        solver_options={"output_flag": False, **options},
    )
    solve_s = clock() - mark
    mark = clock()
    loader = results.solution_loader
    values, rcs, duals = loader.get_vars(), loader.get_reduced_costs(), loader.get_duals()
    extract_s = clock() - mark
    out.write_text(
        json.dumps(
            {
                "lp_build_s": lp_build_s,
                "model_build_s": build_s,
                "solve_s": solve_s,
                "run_s": _highs_run_s(opt),
                "extract_s": extract_s,
                "total_s": lp_build_s + build_s + solve_s + extract_s,
                "objective": results.incumbent_objective,
                "status": results.termination_condition.name,
                "rss_loaded_mb": rss_loaded,
                "peak_mb": harness._peak_mb(),
                "n_values": len(values),
                "n_rcs": len(rcs),
                "n_duals": len(duals),
            }
        ),
        encoding="utf-8",
    )


def worker_idiomatic(dataset: Path, out: Path, options: dict) -> None:
    """The LP as a Pyomo user would write it from the tables (rule functions, Suffix duals)."""
    clock = time.perf_counter
    import pyomo.environ as pyo

    from oreflow.model.core import normalised_shares, recovery_table

    net, rss_loaded = _load(dataset)
    mark = clock()
    supply = dict(zip(net.origins.origin, net.origins.supply_t))
    mining = dict(zip(net.origins.origin, net.origins.mining_cost_usd_per_t))
    capacity = dict(zip(net.refiners.refiner, net.refiners.capacity_t))
    processing = dict(zip(net.refiners.refiner, net.refiners.processing_cost_usd_per_t))
    shares = normalised_shares(net)
    share = dict(zip(zip(shares.origin, shares["product"]), shares.share))
    rec = recovery_table(net)
    recovery = dict(zip(zip(rec.refiner, rec["product"]), rec.recovery))
    ore_freight = dict(zip(zip(net.ore_routes.origin, net.ore_routes.refiner), net.ore_routes.freight_usd_per_t))
    prod_freight = dict(
        zip(zip(net.product_routes.refiner, net.product_routes.market), net.product_routes.freight_usd_per_t)
    )
    demand = dict(zip(zip(net.demand.market, net.demand["product"]), net.demand.demand_t))
    products = net.products
    ships = [(r, mk, p) for (r, mk) in prod_freight for p in products if (mk, p) in demand]

    m = pyo.ConcreteModel()
    m.O = pyo.Set(initialize=list(supply))
    m.R = pyo.Set(initialize=list(capacity))
    m.P = pyo.Set(initialize=products)
    m.A = pyo.Set(initialize=list(ore_freight), dimen=2)
    m.S = pyo.Set(initialize=ships, dimen=3)
    m.D = pyo.Set(initialize=list(demand), dimen=2)
    m.x = pyo.Var(m.A, within=pyo.NonNegativeReals)
    m.s = pyo.Var(m.S, within=pyo.NonNegativeReals)
    m.u = pyo.Var(m.D, within=pyo.NonNegativeReals)

    def supply_rule(m, o):
        terms = [m.x[a] for a in routes_from.get(o, [])]
        return sum(terms) <= supply[o] if terms and supply[o] != float("inf") else pyo.Constraint.Skip

    routes_from: dict[str, list[tuple[str, str]]] = {}
    routes_into: dict[str, list[tuple[str, str]]] = {}
    for o, r in ore_freight:
        routes_from.setdefault(o, []).append((o, r))
        routes_into.setdefault(r, []).append((o, r))
    ships_from: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    ships_to: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for r, mk, p in ships:
        ships_from.setdefault((r, p), []).append((r, mk, p))
        ships_to.setdefault((mk, p), []).append((r, mk, p))

    def capacity_rule(m, r):
        terms = [m.x[a] for a in routes_into.get(r, [])]
        return sum(terms) <= capacity[r] if terms and capacity[r] != float("inf") else pyo.Constraint.Skip

    def balance_rule(m, r, p):
        made = sum(
            recovery[r, p] * share.get((o, p), 0.0) * m.x[o, r]
            for (o, _) in routes_into.get(r, [])
            if share.get((o, p), 0.0) > 0
        )
        shipped = sum(m.s[k] for k in ships_from.get((r, p), []))
        if isinstance(made, int) and isinstance(shipped, int):
            return pyo.Constraint.Skip
        return shipped - made <= 0

    def demand_rule(m, mk, p):
        return sum(m.s[k] for k in ships_to.get((mk, p), [])) + m.u[mk, p] >= demand[mk, p]

    m.supply = pyo.Constraint(m.O, rule=supply_rule)
    m.capacity = pyo.Constraint(m.R, rule=capacity_rule)
    m.balance = pyo.Constraint(m.R, m.P, rule=balance_rule)
    m.demand = pyo.Constraint(m.D, rule=demand_rule)
    m.cost = pyo.Objective(
        expr=sum((mining[o] + ore_freight[o, r] + processing[r]) * m.x[o, r] for o, r in m.A)
        + sum(prod_freight[r, mk] * m.s[r, mk, p] for r, mk, p in m.S)
        + sum(1e7 * m.u[d] for d in m.D)
    )
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    m.rc = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    build_s = clock() - mark
    opt = pyo.SolverFactory("highs")
    mark = clock()
    result = opt.solve(m, options=options)
    solve_s = clock() - mark
    mark = clock()
    duals = [m.dual.get(c, 0.0) for c in m.component_data_objects(pyo.Constraint, active=True)]
    rcs = [m.rc.get(v, 0.0) for v in m.component_data_objects(pyo.Var)]
    values = [pyo.value(v) for v in m.component_data_objects(pyo.Var)]
    extract_s = clock() - mark
    out.write_text(
        json.dumps(
            {
                "model_build_s": build_s,
                "solve_s": solve_s,
                "run_s": _highs_run_s(opt),
                "extract_s": extract_s,
                "total_s": build_s + solve_s + extract_s,
                "objective": pyo.value(m.cost),
                "status": str(result.solver.termination_condition),
                "rss_loaded_mb": rss_loaded,
                "peak_mb": harness._peak_mb(),
                "n_duals": len(duals),
                "n_values": len(values),
                "n_rcs": len(rcs),
            }
        ),
        encoding="utf-8",
    )


WORKERS = {
    "oreflow-pyomo": worker_oreflow_pyomo,
    "twin": worker_twin,
    "idiomatic": worker_idiomatic,
    "highs-backend": worker_highs_backend,
}


def _run(kind: str, target: Path, workdir: Path, timeout: float, options: dict) -> dict:
    """One worker in a fresh interpreter: the floor is benchmarks/run.py's, the others this file's."""
    script = None if kind == "floor" else Path(__file__).resolve()
    return harness._run_worker(
        kind, workdir, timeout, "--target", str(target), "--options", json.dumps(options), script=script
    )


def measure(size: int, seed: int, repeat: int, workdir: Path, timeout: float, kinds: tuple[str, ...]) -> dict:
    """The floor and every worker of ``kinds``, ``repeat`` times, interleaved and in a rotating order (the
    machine's load drifts); each objective checked against the floor's."""
    prep = harness.run_prepare(size, seed, workdir, timeout)
    dataset, mps, options = Path(prep["dataset"]), Path(prep["mps"]), prep["highs_options"]
    order = ["floor", *kinds]
    runs: dict[str, list[dict]] = {kind: [] for kind in order}
    for rep in range(repeat):
        for kind in order[rep % len(order) :] + order[: rep % len(order)]:  # each starts a repetition in turn
            runs[kind].append(_run(kind, mps if kind == "floor" else dataset, workdir, timeout, options))
    for kind in kinds:
        for got, floor in zip(runs[kind], runs["floor"]):
            if abs(got["objective"] - floor["objective"]) > 1e-7 * abs(floor["objective"]):
                raise SystemExit(f"{kind} objective {got['objective']} != floor {floor['objective']} at size {size}")
    return {"size": size, "variables": prep["describe"]["variables"], "options": options, "runs": runs}


def summarise(measured: dict) -> dict:
    """Medians per worker; overheads over the floor and modelling overheads; ratios of medians."""
    runs = measured["runs"]
    s = {
        "size": measured["size"],
        "variables": measured["variables"],
        "options": measured["options"],
        "floor_run_s": harness._median(runs["floor"], "run_s"),
        "floor_mb": harness._median(runs["floor"], "peak_mb"),
    }
    for kind, rows in runs.items():
        if kind == "floor":
            continue
        med = {key: harness._median(rows, key) for key in rows[0] if key.endswith(("_s", "_mb"))}
        med["over_floor_s"] = statistics.median(r["total_s"] - f["run_s"] for r, f in zip(rows, runs["floor"]))
        med["modelling_s"] = statistics.median(r["total_s"] - r["run_s"] for r in rows)
        if "solve_s" in rows[0]:
            med["translate_s"] = statistics.median(r["solve_s"] - r["run_s"] for r in rows)
        med["growth_mb"] = med["peak_mb"] - med["rss_loaded_mb"]
        s[kind] = med
    return s


def _algorithm(options: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items()) or "HiGHS default"


def table(summaries: list[dict], kinds: tuple[str, ...]) -> str:
    """Time table (modelling and over-the-floor overheads) and memory table."""
    ref = "idiomatic"
    order = (ref, *[k for k in kinds if k != ref])
    pyomo_kinds = [k for k in order if k != "highs-backend"]  # no Pyomo model, so no modelling overhead
    head = (
        "| size | variables | HiGHS options (all) | floor run s | worker | LP build | model build | Pyomo translate | "
        "HiGHS run | extract | total s | modelling overhead s | **modelling ratio** | overhead over floor s | "
        "**overhead ratio** (target <= 0.5) |"
    )  # one string
    lines = [head, "|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in summaries:
        i = s[ref]
        for k in pyomo_kinds:
            w = s[k]
            lines.append(
                f"| {harness._fmt_size(s['size'])} | {s['variables']:,} | `{_algorithm(s['options'])}` | "
                f"{s['floor_run_s']:.2f} | {k} | {w.get('lp_build_s', 0.0):.2f} | {w['model_build_s']:.2f} | "
                f"{w['translate_s']:.2f} | {w['run_s']:.2f} | {w['extract_s']:.2f} | {w['total_s']:.2f} | "
                f"{w['modelling_s']:.2f} | **{w['modelling_s'] / i['modelling_s']:.2f}** | {w['over_floor_s']:.2f} | "
                f"**{w['over_floor_s'] / i['over_floor_s']:.2f}** |"
            )
    lines += [
        "",
        (
            "| size | floor MB | worker | after load MB | peak MB | growth above load MB | "
            "**memory ratio** (target <= 0.6) | growth ratio | ranging s (not counted) |"
        ),
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        i = s[ref]
        for k in order:
            w = s[k]
            ranging = f"{w['ranging_s']:.2f}" if "ranging_s" in w else "–"
            lines.append(
                f"| {harness._fmt_size(s['size'])} | {s['floor_mb']:.0f} | {k} | {w['rss_loaded_mb']:.0f} | "
                f"{w['peak_mb']:.0f} | {w['growth_mb']:.0f} | **{w['peak_mb'] / i['peak_mb']:.2f}** | "
                f"{w['growth_mb'] / i['growth_mb']:.2f} | {ranging} |"
            )
    return "\n".join(lines)


INTRO = """Each worker in its own process, all with the HiGHS options oreflow chooses for the LP (same
algorithm everywhere); repetitions interleaved, each started by another worker in turn. Seconds and
MB are medians of {repeat} repetition(s); ratios are against the idiomatic reference. `LP build`:
oreflow's array LP; `model build`: the Pyomo model (oreflow-pyomo: in matrix form); `Pyomo
translate`: the solve call minus HiGHS's own `run()` (its clock): Pyomo's HiGHS interface for twin
and idiomatic, oreflow's direct interface (the model read into arrays, passed in one call) for
oreflow-pyomo; `extract`: values, duals, reduced costs (oreflow-pyomo: and the basis) read back.
`modelling overhead` = total - HiGHS run of the same process; `overhead over floor` = total - HiGHS
alone's run (the issue's definition; it carries the noise of two separate solves). `twin`: the
readable `build_pyomo_model` through Pyomo's HiGHS interface, as the backend solved it before it
built its own models. Memory: peak RSS of each process; `growth above load` = peak - RSS after the
dataset was loaded (imports and data excluded); `highs-backend`: oreflow's highs backend in the same
setting (Pyomo imported, same data, no Pyomo model), the least memory any solve through Pyomo can
take here."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1e4", "1e5"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="repetitions per size, interleaved (medians)")
    parser.add_argument("--no-twin", action="store_true", help="skip the rule-based twin model")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        WORKERS[args.worker](args.target, args.worker_out, json.loads(args.options))
        return 0
    sizes = harness._sizes(args.sizes)
    kinds = (
        ("oreflow-pyomo", "idiomatic", "highs-backend")
        if args.no_twin
        else ("oreflow-pyomo", "twin", "idiomatic", "highs-backend")
    )
    with tempfile.TemporaryDirectory(prefix="oreflow-pyomo-bench-") as work:
        summaries = [
            summarise(measure(size, args.seed, args.repeat, Path(work), args.timeout, kinds)) for size in sizes
        ]
    text = table(summaries, kinds)
    print(text)
    if not args.no_record:
        from importlib import metadata

        key = f"pyomo:sizes={','.join(map(str, sizes))};seed={args.seed}"
        harness.record_section(
            key,
            f"Pyomo backend vs idiomatic Pyomo, sizes {', '.join(harness._fmt_size(s) for s in sizes)}",
            harness.command_of("pyomo_compare.py", argv),
            INTRO.format(repeat=args.repeat),
            text,
            machine_note=f"; Pyomo {metadata.version('pyomo')}, highspy {metadata.version('highspy')}",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
