"""benchmarks/algorithms.py and benchmarks/warm.py: a fast smoke run, no timing assertions.

Both scripts run on the smallest generated size (~1e3 variables) with one repetition and
``--no-record``: they must print their tables, leave RESULTS.md alone, and their checks
must hold (every option set and every warm re-solve agrees on the objective).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO

BENCHMARKS = REPO / "benchmarks"
RESULTS = BENCHMARKS / "RESULTS.md"
SMALLEST = "1e3"
OPTION_SETS = ("default", "dual-serial", "dual-pami", "dual-sip", "primal", "ipm-crossover", "pdlp-crossover")


def _run(script: str, *args: str) -> str:
    before = RESULTS.read_bytes() if RESULTS.exists() else None
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--sizes", SMALLEST, "--repeat", "1", "--no-record", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(REPO),
    )
    assert proc.returncode == 0, proc.stderr
    assert (RESULTS.read_bytes() if RESULTS.exists() else None) == before
    return proc.stdout


def _table_rows(out: str, header: str) -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


@pytest.fixture(scope="module")
def algorithms_out() -> str:
    return _run("algorithms.py")


def test_algorithms_prints_one_row_per_option_set(algorithms_out: str) -> None:
    rows = _table_rows(algorithms_out, "| size | variables | nonzeros | option set |")
    assert [r[3] for r in rows] == list(OPTION_SETS)
    assert all(r[0] == SMALLEST for r in rows)


def test_all_option_sets_agree_on_the_objective(algorithms_out: str) -> None:
    header = "| size | variables | nonzeros | option set |"
    line = next(line for line in algorithms_out.splitlines() if line.startswith(header))
    cols = [c.strip() for c in line.strip().strip("|").split("|")]
    diff, status, basis = cols.index("obj. rel. diff"), cols.index("status"), cols.index("basis")
    for row in _table_rows(algorithms_out, header):
        assert float(row[diff]) <= 1e-7, row
        if row[3] != "pdlp-crossover":  # HiGHS 1.16 gives no basis after PDLP
            assert row[status] == "Optimal" and row[basis] == "yes", row
    assert re.search(r"Fastest set per size .*\*\*[a-z-]+\*\*", algorithms_out)


def test_warm_prints_its_tables_and_warm_equals_cold() -> None:
    out = _run("warm.py", "--points", "5")
    rows = _table_rows(out, "| size | variables | nonzeros | changed | measurement |")
    labels = " ".join(row[4] for row in rows)
    for label in ("(a) cold", "(b) warm", "(b') warm", "(c) warm", "(c') warm", "HighsModel's choice"):
        assert label in labels
    for row in rows:
        assert row[-1] == "optimal", row
        if "warm" in row[4]:
            assert float(row[-2]) <= 1e-7, row
    sweep = _table_rows(out, "| loop | solves/s (wall) |")
    assert len(sweep) == 3
    assert re.search(r"largest objective difference warm vs cold (\S+),", out)
    assert "Targets (issue 4):" in out
