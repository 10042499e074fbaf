"""The command line: ``oreflow run JOB.toml [--out DIR]``, ``oreflow validate JOB.toml|FOLDER``,
``oreflow sweep JOB.toml`` and ``oreflow stress JOB.toml`` (docs/sensitivity.md), and
``oreflow report OUTPUT_DIR`` (rebuild report.html from a finished run's folder, no re-solve).

Exit status: 0 on success, 1 when the input is invalid or the solve is not optimal
(the message names what to fix), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from oreflow.errors import InputError, Problem, SolveError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oreflow",
        description="Least-cost allocation of rare-earth ore to refiners and markets, with shadow prices.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="solve a job and write its outputs")
    run.add_argument("job", type=Path, help="job file (.toml) or dataset folder")
    run.add_argument("--out", type=Path, default=None, help="output folder (overrides the job's 'output')")
    run.add_argument("--quiet", action="store_true", help="print only the output folder")
    run.add_argument("--scenario", default=None, help="run the base case and only this scenario of the job")
    validate = commands.add_parser("validate", help="check a job file or dataset folder without solving")
    validate.add_argument("target", type=Path, help="job file (.toml) or dataset folder")
    for name, what in (("sweep", "solve every point of the job's [sweep] (grid or Monte Carlo)"),
                       ("stress", "N-1 disruptions: each origin, refiner and route group lost in turn")):
        command = commands.add_parser(name, help=what)
        command.add_argument("job", type=Path, help="job file (.toml)")
        command.add_argument("--out", type=Path, default=None, help=f"output folder (default: <output>-{name})")
        command.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
        command.add_argument("--scheduler", default=None, help="address of a Dask scheduler to run the points on")
        command.add_argument("--fresh", action="store_true", help="ignore points saved by an interrupted run")
        command.add_argument("--quiet", action="store_true", help="no progress bar; print only the output folder")
    report = commands.add_parser("report", help="rebuild report.html (and its PNGs) from a finished run's folder")
    report.add_argument("folder", type=Path, help="output folder of a run (or of a scenario batch)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``oreflow`` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args.job, args.out, args.quiet, args.scenario)
        if args.command == "report":
            return _report(args.folder)
        if args.command in ("sweep", "stress"):
            return _sweep(args)
        return _validate(args.target)
    except InputError as exc:
        print(f"oreflow: {exc}", file=sys.stderr)
        print("Nothing was solved or written.", file=sys.stderr)
        return 1
    except SolveError as exc:
        print(f"oreflow: {exc}", file=sys.stderr)
        print("No output was written.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("oreflow: interrupted. Finished points are kept: run the same command again to resume "
              "(--fresh to start over). No output was written.", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"oreflow: could not write outputs: {exc}", file=sys.stderr)
        print("The previous output, if any, is unchanged.", file=sys.stderr)
        return 1


def _load(target: Path) -> tuple[Any, Any]:
    """(job file or None, validated network) for a job file or a dataset folder."""
    from oreflow.model.network import load_inputs

    if target.suffix == ".toml" or target.is_file():
        from oreflow.job import load_job

        job_file = load_job(target)
        return job_file, load_inputs(job_file.dataset)
    return None, load_inputs(target)


def _validate(target: Path) -> int:
    job_file, network = _load(target)
    what = f"job {job_file.path}" if job_file else f"dataset {network.source}"
    if job_file is not None and job_file.job.scenarios:
        from oreflow.scenarios import apply_all

        apply_all(network, list(job_file.job.scenarios))
        what += f" and its {len(job_file.job.scenarios)} scenario(s)"
    if job_file is not None and job_file.job.sweep is not None:
        from oreflow.sweep.points import sweep_points
        from oreflow.sweep.run import check_parameters, sweep_base

        check_parameters(sweep_base(job_file, network), job_file.job.sweep, job_file)
        points = sweep_points(job_file.job.sweep)
        what += f" and its sweep of {len(points):,} point(s)"
    print(
        f"{what}: valid — {len(network.origins)} origins, {len(network.refiners)} refiners, "
        f"{len(network.markets)} markets, {len(network.products)} products, "
        f"{len(network.ore_routes)} ore routes, {len(network.product_routes)} product routes, "
        f"{len(network.demand)} demand rows"
    )
    return 0


def _report(folder: Path) -> int:
    from oreflow.report import rebuild

    if not (folder / "summary.json").is_file():
        print(f"oreflow: {folder} is not a finished run's output folder (it has no summary.json)", file=sys.stderr)
        return 1
    print(f"Report written to {rebuild(folder).resolve()}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from oreflow.job import load_job
    from oreflow.model.network import load_inputs
    from oreflow.sweep.run import execution_of, run_sweep
    from oreflow.sweep.stress import run_stress

    if args.workers is not None and args.workers < 1:
        raise InputError(Problem("command line", None, "--workers", str(args.workers), "a number >= 1", "workers"))
    job_file = load_job(args.job)
    network = load_inputs(job_file.dataset)
    execution = execution_of(job_file, args.workers, args.scheduler, args.fresh, not args.quiet)
    runner = run_sweep if args.command == "sweep" else run_stress
    text, status, written = runner(job_file, network, args.out, execution)
    return _finish(text, status, written, args.quiet)


def _run(target: Path, out: Path | None, quiet: bool, scenario: str | None) -> int:
    from oreflow.runs import RunSpec, run_batch, run_single

    started = time.perf_counter()
    job_file, network = _load(target)
    spec = RunSpec.of(job_file, target, out)
    if spec.job.scenarios or scenario is not None:
        text, status, written = run_batch(spec, network, scenario)
    else:
        text, status, written = run_single(spec, network, time.perf_counter() - started)
    return _finish(text, status, written, quiet)


def _finish(text: str, status: int, written: Path, quiet: bool) -> int:
    """Print what a command did (only the output folder with --quiet, unless it failed)."""
    if not quiet or status != 0:
        print(text)
    print(f"Outputs written to {written}")
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
