"""The pyomo backend against an idiomatic Pyomo formulation of the same LP, and HiGHS alone.

Three measurements per size, each in its own process (peak RSS is that process's):

- ``floor``: HiGHS alone reading the LP from MPS and solving (benchmarks/run.py's worker);
- ``oreflow-pyomo``: ``oreflow.solve(..., backend="pyomo")``'s path — load, array LP,
  Pyomo model (model/pyomo_model.py), solve through Pyomo's HiGHS interface, duals and
  reduced costs back in LP order;
- ``idiomatic``: what a user would otherwise write — a ConcreteModel with Sets, Params
  and rule functions summing over dict lookups, ``Suffix`` duals and reduced costs,
  solved with ``SolverFactory("highs")``, duals read from the suffixes.

Overhead = (time from the data in memory to duals in hand) - the floor's solve time; the
issue's target: oreflow's pyomo overhead at most half the idiomatic one at >= 1e5
variables, and its peak memory at most 0.6 x the idiomatic one.

    .venv/bin/python benchmarks/pyomo_compare.py --sizes 1e4 1e5 [--no-record]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402  (benchmarks/run.py: generator preparation, floor worker, recording)


def worker_oreflow_pyomo(dataset: Path, out: Path) -> None:
    clock = time.perf_counter
    import oreflow
    from oreflow.model.lp import build_lp
    from oreflow.solvers.pyomo_backend import solve_pyomo

    network = oreflow.load_inputs(dataset)
    rss_loaded = harness._peak_mb()
    mark = clock()
    lp = build_lp(network)
    build_s = clock() - mark
    record = solve_pyomo(network, lp, "highs", {})
    m = {"lp_build_s": build_s, "model_build_s": record.timings["pyomo_build_s"], "solve_s": record.timings["solve_s"],
         "extract_s": record.timings["extract_s"], "objective": record.objective, "status": record.status,
         "rss_loaded_mb": rss_loaded, "peak_mb": harness._peak_mb(), "dual_sample": float(abs(record.row_dual).sum())}
    m["total_s"] = m["lp_build_s"] + m["model_build_s"] + m["solve_s"] + m["extract_s"]
    out.write_text(json.dumps(m), encoding="utf-8")


def worker_idiomatic(dataset: Path, out: Path) -> None:
    """The LP as a Pyomo user would write it from the tables (rule functions, Suffix duals)."""
    clock = time.perf_counter
    import pyomo.environ as pyo

    import oreflow
    from oreflow.model.lp import normalised_shares, recovery_table

    net = oreflow.load_inputs(dataset)
    rss_loaded = harness._peak_mb()
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
    prod_freight = dict(zip(zip(net.product_routes.refiner, net.product_routes.market),
                            net.product_routes.freight_usd_per_t))
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

    routes_from, routes_into = {}, {}
    for o, r in ore_freight:
        routes_from.setdefault(o, []).append((o, r))
        routes_into.setdefault(r, []).append((o, r))
    ships_from, ships_to = {}, {}
    for r, mk, p in ships:
        ships_from.setdefault((r, p), []).append((r, mk, p))
        ships_to.setdefault((mk, p), []).append((r, mk, p))

    def capacity_rule(m, r):
        terms = [m.x[a] for a in routes_into.get(r, [])]
        return sum(terms) <= capacity[r] if terms and capacity[r] != float("inf") else pyo.Constraint.Skip

    def balance_rule(m, r, p):
        made = sum(recovery[r, p] * share.get((o, p), 0.0) * m.x[o, r] for (o, _) in routes_into.get(r, [])
                   if share.get((o, p), 0.0) > 0)
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
    m.cost = pyo.Objective(expr=sum((mining[o] + ore_freight[o, r] + processing[r]) * m.x[o, r] for o, r in m.A)
                           + sum(prod_freight[r, mk] * m.s[r, mk, p] for r, mk, p in m.S)
                           + sum(1e7 * m.u[d] for d in m.D))
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    m.rc = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    build_s = clock() - mark
    mark = clock()
    result = pyo.SolverFactory("highs").solve(m)
    solve_s = clock() - mark
    mark = clock()
    duals = [m.dual.get(c, 0.0) for c in m.component_data_objects(pyo.Constraint, active=True)]
    rcs = [m.rc.get(v, 0.0) for v in m.component_data_objects(pyo.Var)]
    values = [pyo.value(v) for v in m.component_data_objects(pyo.Var)]
    extract_s = clock() - mark
    out.write_text(json.dumps({
        "model_build_s": build_s, "solve_s": solve_s, "extract_s": extract_s,
        "total_s": build_s + solve_s + extract_s, "objective": pyo.value(m.cost),
        "status": str(result.solver.termination_condition), "rss_loaded_mb": rss_loaded,
        "peak_mb": harness._peak_mb(), "n_duals": len(duals), "n_values": len(values), "n_rcs": len(rcs),
    }), encoding="utf-8")


WORKERS = {"oreflow-pyomo": worker_oreflow_pyomo, "idiomatic": worker_idiomatic}


def _run(kind: str, target: Path, workdir: Path, timeout: float, options: dict | None = None) -> dict:
    """One worker in a fresh interpreter: the floor is benchmarks/run.py's, the others this file's."""
    if kind == "floor":
        return harness._run_worker("floor", workdir, timeout, "--target", str(target), "--options",
                                   json.dumps(options or {}))
    return harness._run_worker(kind, workdir, timeout, "--target", str(target), script=Path(__file__).resolve())


def measure(size: int, seed: int, workdir: Path, timeout: float) -> dict:
    prep = harness._run_worker("prepare", workdir, timeout, "--size", str(size), "--seed", str(seed),
                               "--workdir", str(workdir))
    dataset, mps = Path(prep["dataset"]), Path(prep["mps"])
    floor = _run("floor", mps, workdir, timeout, prep["highs_options"])
    ours = _run("oreflow-pyomo", dataset, workdir, timeout)
    ref = _run("idiomatic", dataset, workdir, timeout)
    for name, got in (("oreflow-pyomo", ours), ("idiomatic", ref)):
        if abs(got["objective"] - floor["objective"]) > 1e-7 * abs(floor["objective"]):
            raise SystemExit(f"{name} objective {got['objective']} != floor {floor['objective']} at size {size}")
    return {"size": size, "variables": prep["describe"]["variables"], "floor": floor, "oreflow": ours,
            "idiomatic": ref}


def table(rows: list[dict]) -> str:
    lines = ["| size | variables | floor run s | idiomatic build / solve / extract s | oreflow-pyomo LP build / model build / "
             "solve / extract s | idiomatic overhead s | oreflow overhead s | **overhead ratio** (target <= 0.5) | "
             "floor MB | idiomatic MB | oreflow MB | **memory ratio** (target <= 0.6) |",
             "|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        f, o, i = r["floor"], r["oreflow"], r["idiomatic"]
        over_i = i["total_s"] - f["run_s"]
        over_o = o["total_s"] - f["run_s"]
        lines.append(
            f"| {harness._fmt_size(r['size'])} | {r['variables']:,} | {f['run_s']:.2f} | "
            f"{i['model_build_s']:.2f} / {i['solve_s']:.2f} / {i['extract_s']:.2f} | "
            f"{o['lp_build_s']:.2f} / {o['model_build_s']:.2f} / {o['solve_s']:.2f} / {o['extract_s']:.2f} | "
            f"{over_i:.2f} | {over_o:.2f} | **{over_o / over_i:.2f}** | {f['peak_mb']:.0f} | {i['peak_mb']:.0f} | "
            f"{o['peak_mb']:.0f} | **{o['peak_mb'] / i['peak_mb']:.2f}** |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1e4", "1e5"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        WORKERS[args.worker](args.target, args.worker_out)
        return 0
    sizes = harness._sizes(args.sizes)
    with tempfile.TemporaryDirectory(prefix="oreflow-pyomo-bench-") as work:
        rows = [measure(size, args.seed, Path(work), args.timeout) for size in sizes]
    text = table(rows)
    print(text)
    if not args.no_record:
        key = f"pyomo:sizes={','.join(map(str, sizes))};seed={args.seed}"
        info = harness.machine()
        body = (f"## Pyomo backend vs idiomatic Pyomo, sizes {', '.join(harness._fmt_size(s) for s in sizes)}\n\n"
                f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
                f"- Command: `python benchmarks/pyomo_compare.py --sizes {' '.join(args.sizes)}`\n"
                f"- Machine: nproc {info['nproc']}; CPU {info['cpu']}; RAM {info['ram']}; Pyomo + "
                f"{', '.join(f'{k} {v}' for k, v in info['versions'].items())}; oreflow {info['commit']}\n\n"
                "Overhead = build + solve + extract - HiGHS alone's solve, in seconds; one run each.\n\n" + text + "\n")
        harness.record(key, f"<!-- bench:{key} -->\n{body}<!-- /bench:{key} -->")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
