"""``oreflow template OUT.xlsx``: write an empty, documented workbook dataset (docs/excel.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from oreflow.commands.shared import Command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The workbook to write, and --force."""
    parser.add_argument("out", type=Path, help="the workbook to write (.xlsx)")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")


def handle(args: argparse.Namespace) -> int:
    """Write the template: a ``notes`` sheet documenting every column, then a sheet per table with
    its header (units shown, frozen); InputError when OUT is no .xlsx path or exists (without --force)."""
    from oreflow.commands.convert import check_new_workbook
    from oreflow.model.workbook import write_template

    check_new_workbook(args.out, args.force)
    written = write_template(args.out)
    print(
        f"Template written to {written.resolve()}: a sheet per table with its header and units, and a "
        f"notes sheet on every column. Fill the sheets you need (an optional sheet left empty has no rows), then "
        f"check it with: oreflow validate {args.out}"
    )
    return 0


COMMAND = Command(
    "template",
    "write an empty, documented workbook dataset (.xlsx) to fill in a spreadsheet",
    add_arguments,
    handle,
    examples=(
        ("oreflow template my_dataset.xlsx", "a sheet per table (header with units, frozen) and a notes sheet"),
        ("oreflow template my_dataset.xlsx --force", "the same, replacing a workbook of that name"),
    ),
)
