"""``oreflow convert FOLDER OUT.xlsx`` and ``oreflow convert BOOK.xlsx FOLDER``: a dataset folder as a
workbook and back, without loss (docs/excel.md; :func:`oreflow.model.workbook.folder_to_workbook`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from oreflow.commands.shared import Command
from oreflow.errors import InputError, Problem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The source (a dataset folder or a workbook), the destination, and --force."""
    parser.add_argument("source", type=Path, help="a dataset folder, or a workbook dataset (.xlsx)")
    parser.add_argument(
        "dest",
        type=Path,
        nargs="?",
        default=None,
        help="the workbook to write (.xlsx), or a new or empty folder (default: the source's name beside it, "
        "FOLDER.xlsx or the workbook's name without .xlsx)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the destination workbook if it exists (a destination folder must be new or empty)",
    )


def check_new_workbook(path: Path, force: bool) -> None:
    """Refuse a workbook destination that is no ``.xlsx`` path, or that exists (unless ``force``)."""
    from oreflow.model.workbook import is_workbook

    if not is_workbook(path):
        raise InputError(Problem(str(path), None, None, None, "a workbook path ending in .xlsx", "output_file"))
    if path.is_dir() or (path.exists() and not force):
        raise InputError(
            Problem(str(path), None, None, None, "a new file (it exists: --force replaces it)", "output_file")
        )


def handle(args: argparse.Namespace) -> int:
    """Convert one way or the other, by what the source is; print what was carried and left out.
    InputError (nothing written) for a source that is neither, or a destination that exists."""
    from oreflow.model.workbook import folder_to_workbook, is_workbook, workbook_to_folder

    source, dest = args.source, args.dest
    if dest is None:
        dest = source.with_name(source.name + ".xlsx") if source.is_dir() else source.with_suffix("")
    if source.is_dir():
        check_new_workbook(dest, args.force)
        done = folder_to_workbook(source, dest)
        what = f"{len(done.carried)} files of {source} into the workbook {done.written.resolve()}"
    elif is_workbook(source) and source.is_file():
        done = workbook_to_folder(source, dest)
        what = f"{len(done.carried)} sheets of {source} into the folder {done.written.resolve()}"
    else:
        raise InputError(
            Problem(str(source), None, None, None, "a dataset folder or an existing workbook (.xlsx)", "convert_source")
        )
    print(f"Converted {what}: {', '.join(done.carried)}")
    for name, why in done.skipped:
        print(f"  not carried: {name} ({why})")
    print(f"Check it with: oreflow validate {dest}")
    return 0


COMMAND = Command(
    "convert",
    "convert a dataset folder to a workbook (.xlsx), or a workbook to a folder, without loss",
    add_arguments,
    handle,
    examples=(
        ("oreflow convert inputs/rare_earths_2024 rare_earths_2024.xlsx", "the folder's CSV files as sheets"),
        ("oreflow convert rare_earths_2024.xlsx my_dataset", "the workbook's sheets as CSV files of a new folder"),
        ("oreflow convert my_dataset", "the folder as my_dataset.xlsx beside it"),
    ),
)
