"""``oreflow report OUTPUT_DIR [--xlsx]``: rebuild report.html (and its PNGs) from a finished run's folder,
no re-solve; with ``--xlsx`` also results.xlsx (oreflow/excel.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oreflow.commands.shared import Command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The output folder to rebuild the report of, and --xlsx."""
    parser.add_argument("folder", type=Path, help="output folder of a run (or of a scenario batch)")
    parser.add_argument(
        "--xlsx",
        action="store_true",
        help="also write results.xlsx: a summary sheet, then a sheet per table with units (docs/excel.md)",
    )


def handle(args: argparse.Namespace) -> int:
    """Rebuild the report; exit 1 when the folder holds no finished run, or its summary.json or
    the files the report reads cannot be used (InputError: nothing written)."""
    from oreflow.errors import InputError
    from oreflow.manifest import SUMMARY
    from oreflow.report import rebuild

    folder = args.folder
    if not (folder / SUMMARY).is_file():
        print(f"oreflow: {folder} is not a finished run's output folder (it has no {SUMMARY})", file=sys.stderr)
        return 1
    try:
        written = rebuild(folder)  # InputError, before anything is written, for an unusable folder
        if args.xlsx:
            from oreflow.excel import write_results_xlsx

            print(f"Workbook written to {write_results_xlsx(folder).resolve()}")
    except InputError:  # a ValueError too, but one that already says what to fix
        raise
    except (ValueError, LookupError, TypeError) as exc:  # a table changed since oreflow wrote it
        print(
            f"oreflow: could not rebuild the report of {folder}: its files are not as oreflow wrote them "
            f"({type(exc).__name__}: {exc}). Run the command that wrote this folder again.",
            file=sys.stderr,
        )
        return 1
    print(f"Report written to {written.resolve()}")
    return 0


COMMAND = Command(
    "report",
    "rebuild report.html (and its PNGs) from a finished run's folder",
    add_arguments,
    handle,
    examples=(
        ("oreflow report outputs/baseline", "rebuild the run's report.html and report_*.png, no re-solve"),
        ("oreflow report outputs/baseline-sweep", "the same for a sweep, a stress test, a batch or a plan"),
        ("oreflow report outputs/baseline --xlsx", "also write results.xlsx, every table as a sheet with units"),
    ),
)
