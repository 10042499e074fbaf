"""The command line, one module per command under :mod:`oreflow.commands`:

- ``oreflow run JOB.toml|FOLDER [--out DIR] [--scenario NAME] [--quiet]``: solve and write the outputs;
- ``oreflow validate JOB.toml|FOLDER``: check a job (its dataset, scenarios, sweep) without solving;
- ``oreflow sweep JOB.toml`` and ``oreflow stress JOB.toml``: every point of the job's ``[sweep]``,
  or its N-1 disruptions (docs/sensitivity.md); a job file only, not a dataset folder;
- ``oreflow report OUTPUT_DIR [--xlsx]``: rebuild report.html (and results.xlsx) from a finished
  run's folder, no re-solve;
- ``oreflow calibrate JOB.toml``: the base case against the dataset's observed figures;
- ``oreflow runs list|show|compare|sql``: the store of every run (docs/store.md);
- ``oreflow template OUT.xlsx`` and ``oreflow convert SRC DST``: datasets as workbooks (docs/excel.md).

A dataset is a folder of CSV files or one .xlsx workbook; ``oreflow --version`` prints the version.

Exit status: 0 on success; 1 when the input is invalid, the solve is not optimal (the message
names what to fix), the outputs could not be written or an output folder given to ``report``
cannot be used; 2 on a usage error; 130 when interrupted (a sweep or stress run resumes from
its finished points when run again; any other command starts over).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from oreflow import commands
from oreflow.commands import Command
from oreflow.errors import InputError, SolveError


def _parser(table: Iterable[Command]) -> argparse.ArgumentParser:
    """The ``oreflow`` parser: one subcommand per command of ``table``, in its order."""
    parser = argparse.ArgumentParser(
        prog="oreflow",
        description="Least-cost allocation of rare-earth ore to refiners and markets, with shadow prices.",
        epilog="Start with: oreflow run inputs/baseline.toml   (then open outputs/baseline/report.html). "
        "Each command's help has examples: oreflow run --help",
    )
    parser.add_argument("--version", action="version", version=f"oreflow {version()}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in table:
        command.add_arguments(
            subparsers.add_parser(
                command.name,
                help=command.help,
                description=command.help[:1].upper() + command.help[1:] + ".",
                epilog=command.epilog(),
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
        )
    return parser


def version() -> str:
    """oreflow's version, from the installed package's metadata (the source tree's when not installed)."""
    from importlib import metadata

    try:
        return metadata.version("oreflow")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree without installing
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``oreflow`` command: parse ``argv``, run the command, return its exit status."""
    table = {command.name: command for command in commands.COMMANDS}
    args = _parser(table.values()).parse_args(argv)  # exits 2 on a usage error or an unknown command
    try:
        return table[args.command].handler(args)
    except InputError as exc:
        print(f"oreflow: {exc}", file=sys.stderr)
        print("Nothing was solved or written.", file=sys.stderr)
        return 1
    except SolveError as exc:
        print(f"oreflow: {exc}", file=sys.stderr)
        print("No output was written.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"oreflow: {interrupted_text(args)}", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"oreflow: could not write outputs: {exc}", file=sys.stderr)
        print("The previous output, if any, is unchanged.", file=sys.stderr)
        return 1


def interrupted_text(args: argparse.Namespace) -> str:
    """What an interruption (Ctrl-C) of the command of ``args`` leaves, and how to go on: a
    command taking ``--fresh`` (sweep, stress) keeps its finished points and resumes from
    them; any other starts over."""
    if getattr(args, "fresh", None) is not None:
        return (
            "interrupted. Finished points are kept: run the same command again to resume "
            "(--fresh to start over). No output was written."
        )
    if args.command == "report":
        return "interrupted. The report may be incomplete: run the same command again to rebuild it."
    return "interrupted. No output was written. The previous output, if any, is unchanged: run the command again."


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
