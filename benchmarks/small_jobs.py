"""Small jobs: the wall time of `oreflow run inputs/baseline.toml` as a whole process.

Python start-up and imports included (Pyomo must not be imported by a highs run); the
median of ``--repeat`` runs, each writing to a fresh temporary folder. Target (issue 4):
<= 1.0 s wall.

    .venv/bin/python benchmarks/small_jobs.py [--repeat 7] [--no-record]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402  (benchmarks/harness.py: arguments, workers, recording, formatting; stdlib only)

TARGET_S = 1.0


def wall_times(repeat: int, job: Path) -> list[float]:
    oreflow_cmd = Path(sys.executable).with_name("oreflow")
    times = []
    with tempfile.TemporaryDirectory(prefix="oreflow-small-") as work:
        for i in range(repeat):
            out = Path(work) / f"run{i}"
            mark = time.perf_counter()
            subprocess.run(
                [str(oreflow_cmd), "run", str(job), "--out", str(out), "--quiet"], check=True, stdout=subprocess.DEVNULL
            )
            times.append(time.perf_counter() - mark)
    return times


def imports_pyomo(job: Path) -> bool:
    code = (
        "import sys, oreflow.cli, tempfile; d = tempfile.mkdtemp(); "
        f"oreflow.cli.main(['run', {str(job)!r}, '--out', d + '/o', '--quiet']); "
        "print('pyomo' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1] == "True"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--job", type=Path, default=REPO / "inputs" / "baseline.toml")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    times = wall_times(args.repeat, args.job)
    median = statistics.median(times)
    pyomo = imports_pyomo(args.job)
    verdict = "met" if median <= TARGET_S else f"missed by {median - TARGET_S:.2f} s"
    text = (
        f"| job | runs | median wall s | min s | max s | target | verdict | imports Pyomo |\n"
        f"|---|---:|---:|---:|---:|---:|---|---|\n"
        f"| `oreflow run {args.job.relative_to(REPO) if args.job.is_relative_to(REPO) else args.job}` | "
        f"{args.repeat} | {median:.2f} | {min(times):.2f} | {max(times):.2f} | <= {TARGET_S:.1f} | {verdict} | "
        f"{'yes' if pyomo else 'no'} |"
    )
    print(text)
    if not args.no_record:
        harness.record_section(
            "small-jobs",
            "Small jobs: a whole `oreflow run` process",
            f"python benchmarks/small_jobs.py --repeat {args.repeat}",
            "Wall time from process start to exit (Python start-up, imports, load, solve, tables, summary.json and "
            "report.html written; no PNGs by default).",
            text,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
