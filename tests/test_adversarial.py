"""Adversarial inputs (issue 12): a mutated default dataset either fails with an InputError
naming a file (and, for a cell, its column) or solves to optimality; it never ends in
another exception, and a failed run writes nothing.

Mutations of one CSV of inputs/rare_earths_2024: a cell replaced by junk, a huge, tiny,
negative, NaN or non-numeric value; a row dropped or duplicated; a column renamed.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import BASELINE_DATASET, write_job
from oreflow.cli import main
from oreflow.errors import InputError, SolveError

FILES = (
    "origins",
    "composition",
    "refiners",
    "recoveries",
    "markets",
    "demand",
    "ore_routes",
    "product_routes",
    "tariffs",
    "share_limits",
    "quotas",
)
#: Policy tables added to the copied dataset so that mutations reach the policy rules too.
POLICIES = {
    "tariffs": "from_country,to_country,stage,product,usd_per_t\nUS,CN,ore,,500\n",
    "share_limits": "market,product,country,max_share,min_share\nEU,NdPr,CN,0.8,\n",
    "quotas": "quota,kind,country,product,members,limit_t\nCN_refining,refining,CN,,,300000\n",
}
VALUES = (
    "",
    "junk",
    "1e400",
    "1e300",
    "1e25",
    "1e20",
    "1e16",
    "-1",
    "-0.0",
    "0",
    "1e-300",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "1,5",
    " 7 ",
    "NA",
    "None",
    "✓",
    "１２",
    "1e15",
    "0.5",
    "2",
    "999999999",
)


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, int, int, str]:
    """(file, kind, row, column, value) of one mutation."""
    name = draw(st.sampled_from(FILES))
    kind = draw(st.sampled_from(("cell", "cell", "cell", "drop_row", "duplicate_row", "rename_column")))
    return name, kind, draw(st.integers(0, 10_000)), draw(st.integers(0, 10)), draw(st.sampled_from(VALUES))


def mutate(folder: Path, mutation: tuple[str, str, int, int, str]) -> None:
    name, kind, row, column, value = mutation
    path = folder / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row, column = row % len(frame), column % len(frame.columns)
    if kind == "cell":
        frame.iat[row, column] = value
    elif kind == "drop_row":
        frame = frame.drop(index=frame.index[row])
    elif kind == "duplicate_row":
        frame = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
    else:
        frame = frame.rename(columns={frame.columns[column]: frame.columns[column] + "_x"})
    frame.to_csv(path, index=False)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_a_mutated_dataset_fails_cleanly_or_solves(mutation):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(BASELINE_DATASET, folder / "ds")
        for name, text in POLICIES.items():
            (folder / "ds" / f"{name}.csv").write_text(text, encoding="utf-8")
        mutate(folder / "ds", mutation)
        job = write_job(folder / "job.toml", "ds", "out", "ranging = false\n")
        try:
            import oreflow

            oreflow.solve(job)
        except InputError as exc:
            event("input error")
            assert exc.problems, mutation
            for problem in exc.problems:
                assert problem.file, (mutation, str(problem))
                if problem.rule == "number":
                    assert problem.column and problem.line, (mutation, str(problem))
            assert main(["run", str(job), "--quiet"]) == 1
            assert not (folder / "out").exists(), mutation
            return
        except SolveError as exc:
            # a contract's minimum that a mutated limit cannot meet: infeasible, the conflict named
            event("infeasible")
            assert exc.status == "infeasible" and exc.report is not None and exc.report.constraints, mutation
            assert main(["run", str(job), "--quiet"]) == 1
            assert not (folder / "out").exists(), mutation
            return
        event("solved")
        assert main(["run", str(job), "--quiet"]) == 0, mutation
        assert (folder / "out" / "summary.json").is_file()
