"""What the benchmark scripts share: worker processes, timing, pinning, formatting, recording.

Imported by every script in benchmarks/ (``sys.path.insert(0, HERE)``, then ``import harness``).
It imports only the standard library: the processes that start workers import it, and on
Linux a child's ``ru_maxrss`` starts from the RSS of the process it was forked from, so a
lean parent keeps each worker's peak its own (highspy is imported inside the floor helpers,
which run in the workers).
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "RESULTS.md"
#: The script whose workers ``_run_worker`` starts when given no other (its ``prepare`` and
#: ``floor`` workers serve other scripts too).
RUN_SCRIPT = HERE / "run.py"
#: Repetitions of algorithms.py and warm.py when --repeat is not given: SMALL_REPEAT below
#: LARGE_SIZE variables, 1 from LARGE_SIZE up.
SMALL_REPEAT = 3
LARGE_SIZE = 100_000
REPEAT_HELP = f"repetitions per size (default {SMALL_REPEAT} below 1e5 variables, 1 from 1e5)"
#: Largest size accepted without --max-variables (keep shared machines usable).
MAX_VARIABLES = 250_000


def _peak_mb() -> float:
    """This process's peak resident set size so far, MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rel_diff(a: float, b: float) -> float:
    """Relative difference of ``a`` from the reference ``b`` (absolute below |b| = 1)."""
    return abs(a - b) / max(1.0, abs(b))


def pin_to_one_core(last: bool = False) -> int | None:
    """Pin this process to one of the CPUs it may use: the first, or with ``last`` the last one
    (the first usually takes the interrupts). The CPU pinned, or None where pinning is not
    available."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if not cpus:
        return None
    cpu = cpus[-1] if last else cpus[0]
    os.sched_setaffinity(0, {cpu})
    return cpu


# ---------------------------------------------------------------------------------
# Workers: each in its own process, writing one JSON object to ``--worker-out``
# ---------------------------------------------------------------------------------


def _run_worker(
    kind: str, workdir: Path, timeout: float, *args: str, script: Path | None = None, allow_timeout: bool = False
) -> dict:
    """Run one worker of ``script`` (default: benchmarks/run.py) in a fresh interpreter; the JSON it wrote.

    Workers are started from this process, which imports only the standard library
    (no pandas, no oreflow): on Linux a child's ``ru_maxrss`` starts from the RSS of the
    process it was forked from, so a lean parent keeps each worker's peak its own. With
    ``allow_timeout`` a worker killed at ``timeout`` gives ``{"timeout": True}``.
    """
    fd, name = tempfile.mkstemp(prefix=f"{kind}-", suffix=".json", dir=workdir)
    os.close(fd)
    out = Path(name)
    cmd = [sys.executable, str(script or RUN_SCRIPT), "--worker", kind, "--worker-out", str(out), *args]
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


def run_prepare(
    size: int, seed: int, workdir: Path, timeout: float, script: Path | None = None, allow_timeout: bool = False
) -> dict:
    """The ``prepare`` worker of ``script`` (as ``_run_worker``) for the generated ``size`` and
    ``seed``, writing into ``workdir``; what it recorded (paths, counts)."""
    return _run_worker(
        "prepare",
        workdir,
        timeout,
        "--size",
        str(size),
        "--seed",
        str(seed),
        "--workdir",
        str(workdir),
        script=script,
        allow_timeout=allow_timeout,
    )


def serve_worker(
    args: argparse.Namespace, prepare: Callable[[int, int, Path, Path], None], **workers: Callable[[], None]
) -> bool:
    """Run the worker ``args.worker`` names, if any (add_worker_arguments): ``prepare`` with
    ``--size``, ``--seed``, ``--workdir`` and ``--worker-out``, any other kind by its entry of
    ``workers``. True when this process was a worker (the script then exits 0)."""
    if args.worker is None:
        return False
    if args.worker == "prepare":
        prepare(args.size, args.seed, args.workdir, args.worker_out)
    else:
        workers[args.worker]()
    return True


def outcome(h: Any, info: Any, prefix: str = "") -> dict[str, Any]:
    """The model status (HiGHS's text) and objective of the last run of the HiGHS ``h``
    (``info``: its ``getInfo()``), as ``{prefix}status`` and ``{prefix}objective``."""
    return {
        f"{prefix}status": h.modelStatusToString(h.getModelStatus()),
        f"{prefix}objective": float(info.objective_function_value),
    }


def floor_read(mps: Path, options: dict | None = None) -> tuple[Any, dict]:
    """HiGHS alone, started as every floor worker starts: highspy imported and a Highs made with
    output off and ``options`` set (timed together: ``import_s``, then ``rss_import_mb``), the
    MPS file read (``read_s``). The Highs and the measurements so far."""
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
    return h, m


def floor_run(h: Any, m: dict, counts: tuple[str, ...]) -> None:
    """Run the HiGHS ``h`` of a floor worker and add to ``m``: ``run_s`` (its ``run()``), ``peak_mb``,
    the outcome, ``iterations`` (the sum of HiGHS's info fields ``counts``) and HiGHS's ``version``."""
    mark = time.perf_counter()
    h.run()
    m["run_s"] = time.perf_counter() - mark
    m["peak_mb"] = _peak_mb()
    info = h.getInfo()
    m.update(
        **outcome(h, info),
        iterations=sum(int(getattr(info, name, 0) or 0) for name in counts),
        version=h.version(),
    )


# ---------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------


def _median(rows: list[dict], key: str) -> float:
    """The median of ``key`` over ``rows``."""
    return float(statistics.median(r[key] for r in rows))


def _fmt_s(x: float) -> str:
    """Seconds with three significant digits or so (no decimals from 100 s up)."""
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _fmt_size(n: int) -> str:
    """A size as written on the command line: ``1e3``, ``2.5e4``; ``n:,`` when that is not exact."""
    exponent = int(math.floor(math.log10(n))) if n > 0 else 0
    mantissa = n / 10**exponent
    return f"{mantissa:g}e{exponent}" if abs(mantissa - round(mantissa, 1)) < 1e-9 else f"{n:,}"


# ---------------------------------------------------------------------------------
# The machine and the engine measured
# ---------------------------------------------------------------------------------


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
    """What ``cmd`` prints, run in the repository (empty when it cannot run)."""
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


# ---------------------------------------------------------------------------------
# Recording in RESULTS.md
# ---------------------------------------------------------------------------------

RESULTS_HEADER = """# oreflow benchmark results

Written by `benchmarks/run.py` (see [README.md](README.md) for what each column means).
Each section is one configuration (sizes, repetitions, seed); re-running a configuration
replaces its section, a new configuration is appended. The machine is shared and noisy:
compare the ratios (oreflow against HiGHS alone in the same run), not absolute seconds.
"""


def replace_section(path: Path, start: str, end: str, text: str, empty: str = "") -> None:
    """Replace what stands from the marker ``start`` to the marker ``end`` (both included) in
    ``path`` with ``text``, or append ``text`` after a blank line when the markers are not there
    (``empty``: the file's text when it does not exist yet)."""
    current = path.read_text(encoding="utf-8") if path.exists() else empty
    pattern = re.compile(rf"{re.escape(start)}.*?{re.escape(end)}", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _: text, current)
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(current, encoding="utf-8")


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
    replace_section(path, f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->", text, RESULTS_HEADER)


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
# Command lines
# ---------------------------------------------------------------------------------


def add_run_arguments(
    parser: argparse.ArgumentParser, timeout: float, seed_help: str = "generator seed (default 1)", keep: bool = False
) -> None:
    """The options of every script that measures generated sizes in worker processes (with
    ``keep``, first ``--keep``: for ``work_folder``)."""
    if keep:
        parser.add_argument("--keep", action="store_true", help="keep the generated datasets and MPS files")
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


def add_worker_arguments(parser: argparse.ArgumentParser, kinds: tuple[str, ...], *extra: str) -> None:
    """The hidden options through which _run_worker starts a worker of the script (a ``kinds``),
    and the script's ``extra`` ones (strings, e.g. ``--options``)."""
    parser.add_argument("--worker", choices=kinds, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    for name in extra:
        parser.add_argument(name, help=argparse.SUPPRESS)


def check_max_variables(parser: argparse.ArgumentParser, sizes: list[int], limit: int) -> None:
    """Stop with a usage error when a size is above ``limit`` (``--max-variables``)."""
    if sizes and max(sizes) > limit:
        parser.error(f"size {max(sizes):,} is above --max-variables {limit:,}")


@contextlib.contextmanager
def work_folder(given: Path | None, prefix: str, keep: bool = False) -> Iterator[Path]:
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
    """Sizes as given on the command line (``1e3``, ``1e3,1e4``, ``1000``) as whole numbers."""
    out = []
    for value in values:
        for part in value.replace(",", " ").split():
            out.append(int(float(part)))
    return out
