"""``oreflow calibrate JOB.toml|FOLDER``: the base case against the dataset's observed figures."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from oreflow.commands.shared import Command, load_target
from oreflow.errors import InputError, Problem

HELP = "compare the base case with the dataset's observed figures (exit 1 if any is outside its tolerance)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The job or dataset folder."""
    parser.description = (
        "Solve the base case of a job (its scenarios are not run) and compare it with the figures "
        "in observed.csv of its dataset folder (docs/calibration.md). Prints one line per figure: "
        "model, observed, band, relative error and ok or MISS. Writes nothing. Exit status: 0 when "
        "every figure is within its tolerance, 1 when any is not (or the input is invalid)."
    )
    parser.add_argument("job", type=Path, help="job file (.toml) or dataset folder")


def handle(args: argparse.Namespace) -> int:
    """Load the job and its observed figures (both checked before solving), solve, compare, print."""
    from oreflow.api import solve
    from oreflow.calibration import (
        OBSERVED_FILE,
        OBSERVED_SPEC,
        calibrate,
        check_against,
        observed_for,
        observed_path,
        table_text,
    )
    from oreflow.model.errors import DatasetWarning

    job_file, network = load_target(args.job, dataset_allowed=True)
    for warning in network.warnings:  # the same lines `oreflow run` prints
        print(f"warning: {warning}", file=sys.stderr)
    dataset = job_file.dataset if job_file is not None else Path(args.job)
    observed = observed_for(network)  # observed.csv of a folder, the observed sheet of a workbook
    if observed is None:
        where = (
            f"an {OBSERVED_SPEC.name!r} sheet in {dataset}"
            if dataset.suffix.lower() == ".xlsx"
            else f"{OBSERVED_FILE} in {dataset}"
        )
        raise InputError(
            Problem(
                str(dataset if dataset.suffix.lower() == ".xlsx" else observed_path(dataset)),
                None,
                None,
                None,
                f"the dataset's observed figures, {where} (docs/calibration.md)",
                "observed_present",
            )
        )
    problems = check_against(network, observed)  # figures naming what the dataset lacks: before solving
    if problems:
        raise InputError(problems, heading="observed figures the dataset does not have")
    with warnings.catch_warnings():  # printed above already
        warnings.simplefilter("ignore", DatasetWarning)
        # the job's own settings (backend, solver, options, penalty, ...), as `oreflow.solve` reads them
        result = solve(args.job, ranging=False)  # no figure reads the ranging
    frame = calibrate(result, observed)
    print(table_text(frame))
    return 0 if bool(frame["within"].all()) else 1


COMMAND = Command(
    "calibrate",
    HELP,
    add_arguments,
    handle,
    examples=(("oreflow calibrate inputs/baseline.toml", "the base case against the dataset's observed.csv"),),
)
