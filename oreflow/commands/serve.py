"""``oreflow serve [JOB.toml] [--host H] [--port P]``: the interactive what-if app of a job.

Starlette and uvicorn (``pip install 'oreflow[app]'``) are imported inside the handler only:
the other commands never load them (tests/test_app.py checks ``oreflow run``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oreflow.commands.shared import Command

#: The job served when none is given: inputs/baseline.toml of the current folder, else of
#: the source tree oreflow runs from.
DEFAULT_JOB = Path("inputs") / "baseline.toml"


def default_job() -> Path:
    """inputs/baseline.toml in the current folder, else beside oreflow's package folder."""
    if DEFAULT_JOB.is_file():
        return DEFAULT_JOB
    return Path(__file__).resolve().parents[2] / DEFAULT_JOB


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The job, --host and --port."""
    parser.add_argument(
        "job", type=Path, nargs="?", default=None, help="job file (.toml); default inputs/baseline.toml"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one, printed)")


def handle(args: argparse.Namespace) -> int:
    """Load and solve the job's base case, print the address, serve until Ctrl+C."""
    try:
        from oreflow.app.server import serve
    except ImportError as exc:
        print(f"oreflow serve needs the app extra: pip install 'oreflow[app]' ({exc})", file=sys.stderr)
        return 1
    job = args.job if args.job is not None else default_job()
    if not 0 <= args.port <= 65535:
        print(f"oreflow serve: --port {args.port}: expected a port from 0 (a free one) to 65535", file=sys.stderr)
        return 1
    return serve(job, host=args.host, port=args.port)


COMMAND = Command(
    "serve",
    "a local web app: move a control, the model re-solves and every chart follows",
    add_arguments,
    handle,
    examples=(
        ("oreflow serve", "the default job (inputs/baseline.toml) on 127.0.0.1 and a free port, printed"),
        ("oreflow serve inputs/scenarios_2024.toml --port 8050", "a job with scenarios to load, on port 8050"),
        ("oreflow serve inputs/baseline.toml --host 0.0.0.0", "reachable from other machines (a warning is printed)"),
    ),
)
