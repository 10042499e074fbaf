"""What the commands share: the :class:`Command` record each module declares, the one loader
of a command's job (:func:`load_target`) and the closing lines every solving command prints.

Everything heavy is imported inside the functions, so ``oreflow --help`` stays fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from oreflow.errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from oreflow.job import JobFile
    from oreflow.model.network import Network


@dataclass(frozen=True)
class Command:
    """One subcommand: its name and help line, what it adds to its argparse subparser, its
    handler, and ``examples``: command lines shown at the end of ``oreflow NAME --help``
    (each a (command line, what it does) pair; at least one is required).

    ``handler(args)`` runs the command and returns the exit status; it raises InputError,
    SolveError or OSError for :func:`oreflow.cli.main` to report. Both functions are required,
    so a command cannot be listed without something to run.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]
    examples: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not callable(self.add_arguments) or not callable(self.handler):
            raise TypeError(f"command {self.name!r}: add_arguments and handler must be functions")

    def epilog(self) -> str:
        """The examples as the end of the command's help."""
        lines = ["examples:"]
        for line, what in self.examples:
            lines += [f"  {line}", f"      {what}"]
        return "\n".join(lines)


@overload
def load_target(target: Path, *, dataset_allowed: Literal[False]) -> tuple[JobFile, Network]: ...


@overload
def load_target(target: Path, *, dataset_allowed: bool) -> tuple[JobFile | None, Network]: ...


def load_target(target: Path, *, dataset_allowed: bool) -> tuple[JobFile | None, Network]:
    """(job file or None, validated network) for a job file, or for a dataset folder if ``dataset_allowed``.

    A ``.toml`` path or an existing file is read as a job file and its dataset loaded; an
    ``.xlsx`` path is a workbook dataset (docs/excel.md); any other path is a dataset folder.
    Without ``dataset_allowed`` (sweep and stress, which need a job's settings) a folder or a
    workbook is refused and any other path is read as a job file. Raises InputError, naming
    the file and what was expected, when the input is unusable.
    """
    from oreflow.model.network import load_inputs
    from oreflow.model.workbook import is_workbook

    if dataset_allowed and is_workbook(target) and not target.is_dir():
        return None, load_inputs(target)
    if not dataset_allowed and (target.is_dir() or is_workbook(target)):
        raise InputError(
            Problem(
                str(target),
                None,
                None,
                None,
                "a job file (.toml), not a dataset folder or workbook: sweep and stress read their settings "
                "from a job file (its [sweep] section; [stress] is optional; docs/sensitivity.md)",
                "job_file_required",
            )
        )
    if not dataset_allowed or target.suffix == ".toml" or target.is_file():
        from oreflow.job import load_job

        job_file = load_job(target)
        return job_file, load_inputs(job_file.dataset)
    return None, load_inputs(target)


def finish(text: str, status: int, written: Path, quiet: bool) -> int:
    """Print what a command did (only the output folder with --quiet, unless it failed), then
    the output folder and, last, the report to open; return ``status``."""
    if not quiet or status != 0:
        print(text)
    print(f"Outputs written to {written}")
    report = written / "report.html"
    if not quiet and report.is_file():
        print(f"Report: {report}")
    return status
