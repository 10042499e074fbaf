"""``oreflow report OUTPUT_DIR``: rebuild report.html (and its PNGs) from a finished run's folder, no re-solve."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oreflow.commands.shared import Command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The output folder to rebuild the report of."""
    parser.add_argument("folder", type=Path, help="output folder of a run (or of a scenario batch)")


def handle(args: argparse.Namespace) -> int:
    """Rebuild the report; exit 1 (nothing written) when the folder holds no finished run."""
    from oreflow.report import rebuild

    folder = args.folder
    if not (folder / "summary.json").is_file():
        print(f"oreflow: {folder} is not a finished run's output folder (it has no summary.json)", file=sys.stderr)
        return 1
    print(f"Report written to {rebuild(folder).resolve()}")
    return 0


COMMAND = Command("report", "rebuild report.html (and its PNGs) from a finished run's folder", add_arguments, handle)
