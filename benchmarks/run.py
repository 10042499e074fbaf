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
import contextlib
import datetime as _dt
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "RESULTS.md"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
DEFAULT_REPEAT = 3
#: Repetitions of algorithms.py and warm.py when --repeat is not given: SMALL_REPEAT below
#: LARGE_SIZE variables, 1 from LARGE_SIZE up.
SMALL_REPEAT = 3
LARGE_SIZE = 100_000
REPEAT_HELP = f"repetitions per size (default {SMALL_REPEAT} below 1e5 variables, 1 from 1e5)"
#: Largest size accepted without --max-variables (keep shared machines usable).
MAX_VARIABLES = 250_000
#: Checks: unmet demand counts as zero below this (t); objectives must agree to this (relative).
UNMET_TOLERANCE_T = 1e-6
OBJECTIVE_RTOL = 1e-6


def _peak_mb() -> float:
    """This process's peak resident set size so far, MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rel_diff(a: float, b: float) -> float:
    """Relative difference of ``a`` from the reference ``b`` (absolute below |b| = 1)."""
    return abs(a - b) / max(1.0, abs(b))


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
    clock = time.perf_counter
    mark = clock()
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for name, value in (options or {}).items():
        h.setOptionValue(name, value)
    m: dict = {"import_s": clock() - mark, "rss_import_mb": _peak_mb()}
    mark = clock()
    status = h.readModel(str(mps))
    m["read_s"] = clock() - mark
    if status == highspy.HighsStatus.kError:
        raise SystemExit(f"HiGHS could not read {mps}")
    mark = clock()
    h.run()
    m["run_s"] = clock() - mark
    m["peak_mb"] = _peak_mb()
    info = h.getInfo()
    m.update(
        status=h.modelStatusToString(h.getModelStatus()),
        objective=float(info.objective_function_value),
        iterations=int(info.simplex_iteration_count) + int(getattr(info, "ipm_iteration_count", 0) or 0),
        version=h.version(),
    )
    out.write_text(json.dumps(m), encoding="utf-8")


def _run_worker(
    kind: str, workdir: Path, timeout: float, *args: str, script: Path | None = None, allow_timeout: bool = False
) -> dict:
    """Run one worker of ``script`` (default: this file) in a fresh interpreter; the JSON it wrote.

    Workers are started from this process, which imports only the standard library
    (no pandas, no oreflow): on Linux a child's ``ru_maxrss`` starts from the RSS of the
    process it was forked from, so a lean parent keeps each worker's peak its own. With
    ``allow_timeout`` a worker killed at ``timeout`` gives ``{"timeout": True}``.
    """
    fd, name = tempfile.mkstemp(prefix=f"{kind}-", suffix=".json", dir=workdir)
    os.close(fd)
    out = Path(name)
    cmd = [sys.executable, str(script or Path(__file__).resolve()), "--worker", kind, "--worker-out", str(out), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(workdir))
    except subprocess.TimeoutExpired:  # subprocess.run killed the child
        out.unlink(missing_ok=True)
        if allow_timeout:
            return {"timeout": True}
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed (exit {proc.returncode}): {' '.join(args)}\n{proc.stderr[-4000:]}")
    data = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return data


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


def _median(rows: list[dict], key: str) -> float:
    return float(statistics.median(r[key] for r in rows))


def _fmt_s(x: float) -> str:
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _fmt_size(n: int) -> str:
    exponent = int(math.floor(math.log10(n))) if n > 0 else 0
    mantissa = n / 10**exponent
    return f"{mantissa:g}e{exponent}" if abs(mantissa - round(mantissa, 1)) < 1e-9 else f"{n:,}"


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


def engine_state() -> str:
    """Short sha256 of oreflow's source (*.py under oreflow/, model/, solvers/) as it is now.

    Other people may edit the engine while a long run goes on; each size records the
    state at its start and end so that a change in between is visible in the results.
    """
    import hashlib

    digest = hashlib.sha256()
    for folder in ("oreflow", "model", "solvers"):
        for path in sorted((REPO / folder).rglob("*.py")):
            digest.update(str(path.relative_to(REPO)).encode())
            try:
                digest.update(path.read_bytes())
            except OSError:
                pass
    return digest.hexdigest()[:10]


def _command_output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=str(REPO)).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict:
    """nproc, CPU model, RAM, versions, repository state."""
    from importlib import metadata

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    ram = ""
    try:
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        ram = f"{int(found.group(1)) / 1024**2:.1f} GiB" if found else ""
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for name in ("highspy", "numpy", "pandas", "scipy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    commit = _command_output(["git", "rev-parse", "--short", "HEAD"])
    changed = _command_output(["git", "status", "--porcelain", "--untracked-files=no"]).splitlines()
    dirty = ", ".join(sorted(line.split(maxsplit=1)[-1] for line in changed if line.strip()))
    return {
        "nproc": _command_output(["nproc"]) or str(os.cpu_count()),
        "cpu": cpu or "unknown",
        "ram": ram or "unknown",
        "versions": versions,
        "commit": (commit + (f" with uncommitted changes to {dirty}" if dirty else "")) if commit else "unknown",
        "platform": platform.platform(),
        "engine": engine_state(),
    }


def note_engine_change(info: dict) -> None:
    """Append to ``info["engine"]`` (machine()'s, at the start) the engine state now, if it changed."""
    now = engine_state()
    if now != info["engine"]:
        info["engine"] += f" at the start, {now} at the end (the engine changed during the run)"


def header_lines(command: str, info: dict, highs: str | None = None) -> list[str]:
    """The date, command, machine, versions and oreflow lines of a section (``highs``: HiGHS's version)."""
    v = info["versions"]
    return [
        f"- Date: {_dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- Command: `{command}`",
        f"- Machine: nproc {info['nproc']}; CPU {info['cpu']}; RAM {info['ram']}; {info['platform']}",
        f"- Versions: Python {v['python']}, highspy {v['highspy']}"
        + (f" (HiGHS {highs})" if highs else "")
        + f", numpy {v['numpy']}, pandas {v['pandas']}, scipy {v['scipy']}",
        f"- oreflow: commit {info['commit']}; engine source {info['engine']}",
    ]


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


RESULTS_HEADER = """# oreflow benchmark results

Written by `benchmarks/run.py` (see [README.md](README.md) for what each column means).
Each section is one configuration (sizes, repetitions, seed); re-running a configuration
replaces its section, a new configuration is appended. The machine is shared and noisy:
compare the ratios (oreflow against HiGHS alone in the same run), not absolute seconds.
"""


def record_section(key: str, title: str, command: str, intro: str, table: str, machine_note: str = "") -> None:
    """Record a section made of a title, date, command, machine line, intro and table."""
    info = machine()
    body = (
        f"## {title}\n\n"
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
        f"- Command: `{command}`\n"
        f"- Machine: nproc {info['nproc']}; CPU {info['cpu']}; oreflow {info['commit']}{machine_note}\n\n"
        f"{intro}\n\n{table}\n"
    )
    record(key, f"<!-- bench:{key} -->\n{body}<!-- /bench:{key} -->")


def record(key: str, text: str, path: Path = RESULTS) -> None:
    """Replace the section ``key`` of RESULTS.md with ``text``, or append it."""
    current = path.read_text(encoding="utf-8") if path.exists() else RESULTS_HEADER
    pattern = re.compile(rf"<!-- bench:{re.escape(key)} -->.*?<!-- /bench:{re.escape(key)} -->", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _: text, current)
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(current, encoding="utf-8")


def publish(key: str, text: str, args: argparse.Namespace, tag: str) -> None:
    """Print a section and, unless ``--no-record``, record it in ``--results`` (add_run_arguments)."""
    print(text)
    if not args.no_record:
        record(key, text, args.results)
        print(f"[{tag}] recorded in {args.results}", file=sys.stderr)


def command_of(script: str, argv: list[str] | None) -> str:
    """The command line of ``script`` as given (``argv``, or this process's arguments)."""
    return f"python benchmarks/{script} {' '.join(argv if argv is not None else sys.argv[1:])}".strip()


# ---------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------


def add_run_arguments(
    parser: argparse.ArgumentParser, timeout: float, seed_help: str = "generator seed (default 1)"
) -> None:
    """The options of every script that measures generated sizes in worker processes."""
    parser.add_argument("--seed", type=int, default=1, help=seed_help)
    parser.add_argument(
        "--timeout",
        type=float,
        default=timeout,
        help=f"seconds allowed per measurement process (default {timeout:.0f})",
    )
    parser.add_argument("--no-record", action="store_true", help="print the tables only; leave RESULTS.md alone")
    parser.add_argument("--results", type=Path, default=RESULTS, help="results file to update (default RESULTS.md)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the generated datasets go (default: a temporary folder, removed)",
    )
    parser.add_argument("--max-variables", type=int, default=MAX_VARIABLES, help="refuse larger sizes")


def add_worker_arguments(parser: argparse.ArgumentParser, kinds: tuple[str, ...]) -> None:
    """The hidden options through which _run_worker starts a worker of the script (a ``kinds``)."""
    parser.add_argument("--worker", choices=kinds, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)


@contextlib.contextmanager
def work_folder(given: Path | None, prefix: str, keep: bool = False):
    """``given`` (created if missing, kept), or a temporary folder removed at the end unless ``keep``."""
    folder = given or Path(tempfile.mkdtemp(prefix=prefix))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield folder
    finally:
        if given is None and not keep:
            shutil.rmtree(folder, ignore_errors=True)


def repeat_of(size: int, repeat: int | None) -> int:
    """``repeat`` if given, else SMALL_REPEAT below LARGE_SIZE variables and 1 from there."""
    return repeat if repeat is not None else (SMALL_REPEAT if size < LARGE_SIZE else 1)


def repeat_note(sizes: list[int], repeat: int | None) -> str:
    """The repetitions of a run in words ("3 repetition(s)", or per size when they differ)."""
    if not sizes:
        return "-"
    reps = {repeat_of(s, repeat) for s in sizes}
    if len(reps) == 1:
        return f"{reps.pop()} repetition(s)"
    return ", ".join(f"{repeat_of(s, repeat)} repetition(s) at {_fmt_size(s)}" for s in sizes)


def _sizes(values: list[str]) -> list[int]:
    out = []
    for value in values:
        for part in value.replace(",", " ").split():
            out.append(int(float(part)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", help="target LP columns, e.g. 1e3 1e4 or 1e3,1e4 (default 1e3 1e4 1e5)")
    parser.add_argument("--repeat", type=int, default=None, help=f"repetitions per size (default {DEFAULT_REPEAT})")
    parser.add_argument("--quick", action="store_true", help="sizes 1e3, 1e4 with 1 repetition (smoke run)")
    parser.add_argument("--keep", action="store_true", help="keep the generated datasets and MPS files")
    add_run_arguments(parser, timeout=3600.0)
    add_worker_arguments(parser, ("prepare", "oreflow", "floor"))
    parser.add_argument("--options", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker == "prepare":
        worker_prepare(args.size, args.seed, args.workdir, args.worker_out)
        return 0
    if args.worker == "oreflow":
        worker_oreflow(args.target, args.worker_out)
        return 0
    if args.worker == "floor":
        worker_floor(args.target, args.worker_out, json.loads(args.options) if args.options else None)
        return 0

    sizes = _sizes(args.sizes) if args.sizes else list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else DEFAULT_REPEAT)
    if repeat < 1 or not sizes or min(sizes) < 1:
        parser.error("sizes and --repeat must be positive")
    if max(sizes) > args.max_variables:
        parser.error(f"size {max(sizes):,} is above --max-variables {args.max_variables:,}")

    info = machine()  # repository state at the start: other people may edit while this runs
    summaries = []
    with work_folder(args.workdir, "oreflow-bench-", keep=args.keep) as workdir:
        for size in sizes:
            prep = _run_worker(
                "prepare",
                workdir,
                args.timeout,
                "--size",
                str(size),
                "--seed",
                str(args.seed),
                "--workdir",
                str(workdir),
            )
            d = prep["describe"]
            print(
                f"[bench] size {size:,}: {d['variables']:,} variables, generated in {prep['generate_s']:.2f}s",
                file=sys.stderr,
                flush=True,
            )
            engine_before = engine_state()
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
            engine_after = engine_state()
            summary["engine"] = engine_before if engine_after == engine_before else f"{engine_before}→{engine_after}"
            summaries.append(summary)

    note_engine_change(info)
    key = f"sizes={','.join(str(s) for s in sizes)};repeat={repeat};seed={args.seed}"
    publish(key, section(key, summaries, repeat, args.seed, command_of("run.py", argv), info), args, "bench")
    failed = [s["size"] for s in summaries if not s["ok"]]
    if failed:
        print(f"[bench] CHECK FAILED for sizes {failed}: see the checks table", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
