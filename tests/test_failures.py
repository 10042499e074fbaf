"""Failures end honestly and cleanly (issue 12): an infeasibility report claims only what
was proved, and every command's expected failures are a message and an exit status, no
traceback.

- Three min shares of 99 % on one small refiner (EE_Neo_Silmet) in the default dataset:
  the set reported is irreducible (checked here by re-solving it without each member), the
  model has other conflicts, so "relax any one of them" is not claimed and no move of 0 is
  printed; every move given is checked by re-solving the whole model with it.
- The micro model's impossible share keeps its exact message (there it is all true).
- ``oreflow report`` on a broken folder, and Ctrl-C of each command.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

import oreflow
from conftest import BAN_AND_INFEASIBLE, BASELINE_DATASET, micro_frames, write_dataset
from oreflow import commands
from oreflow.cli import main
from oreflow.model.arrays import LinearProgram
from oreflow.model.infeasibility import HEAD_ANY_ONE, HEAD_SUBSET, ConflictRows, InfeasibilityReport, explain
from oreflow.model.lp import build_lp
from oreflow.model.network import load_inputs
from oreflow.model.tables import DEFAULT_UNMET_PENALTY_USD_PER_T

EE_SHARES = "market,product,country,max_share,min_share\nUS,NdPr,EE,,0.99\nEU,NdPr,EE,,0.99\nJP,NdPr,EE,,0.99\n"


# --- an independent feasibility check (scipy's linprog, not oreflow's HiGHS code) -------


def feasible(lp: LinearProgram, rows: np.ndarray | None = None, lower=None, upper=None) -> bool:
    """Whether ``lp`` restricted to ``rows`` (all rows by default; ``lower``/``upper``
    replacing the row bounds) has a solution, every column bound kept."""
    rows = np.arange(lp.n_rows) if rows is None else np.asarray(rows, dtype=np.int64)
    lower = lp.row_lower if lower is None else lower
    upper = lp.row_upper if upper is None else upper
    matrix = lp.matrix.to_scipy().tocsr()[rows]
    lo, up = lower[rows], upper[rows]
    blocks, rhs = [], []
    if np.isfinite(up).any():
        blocks.append(matrix[np.isfinite(up)])
        rhs.append(up[np.isfinite(up)])
    if np.isfinite(lo).any():
        blocks.append(-matrix[np.isfinite(lo)])
        rhs.append(-lo[np.isfinite(lo)])
    import scipy.sparse as sp

    solved = linprog(
        np.zeros(lp.n_cols),
        A_ub=sp.vstack(blocks) if blocks else None,
        b_ub=np.concatenate(rhs) if rhs else None,
        bounds=list(zip(lp.col_lower, [None if not np.isfinite(u) else u for u in lp.col_upper])),
        method="highs",
    )
    assert solved.status in (0, 2), solved.message  # 0 solved, 2 infeasible
    return solved.status == 0


def without(lp: LinearProgram, row: int) -> tuple[np.ndarray, np.ndarray]:
    """Row bounds of ``lp`` with ``row`` dropped."""
    lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
    lower[row], upper[row] = -np.inf, np.inf
    return lower, upper


def moved(lp: LinearProgram, row: int, amount: float) -> tuple[np.ndarray, np.ndarray]:
    """Row bounds of ``lp`` with ``row`` loosened by ``amount`` (LP units)."""
    lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
    if lp.row_is_upper[row]:
        upper[row] += amount
    else:
        lower[row] -= amount
    return lower, upper


def check_report(lp: LinearProgram, report: InfeasibilityReport, amounts: np.ndarray | None) -> None:
    """What the report says holds: the set cannot hold; if irreducible, without any one
    member the rest can; each move given restores feasibility, each "cannot" is so."""
    rows = report.rows
    assert len(rows) and not feasible(lp, rows)
    if report.irreducible:
        for k in range(len(rows)):
            assert feasible(lp, np.delete(rows, k)), f"{report.constraints[k]} is not needed: not irreducible"
    text = str(report)
    assert " by 0 " not in text and " by -" not in text
    for k, (row, alone) in enumerate(zip(rows, report.alone)):
        if alone is True:
            assert amounts is not None and report.moves[k]
            amount = float(amounts[k])
            assert feasible(lp, None, *moved(lp, int(row), amount * (1 + 1e-6) + 1e-6))
            assert not feasible(lp, None, *moved(lp, int(row), amount * 0.99))  # and no less would do
        elif alone is False:
            assert not feasible(lp, None, *without(lp, int(row)))
            assert "cannot restore feasibility" in text
    if report.any_one_restores:
        assert report.irreducible and text.startswith(HEAD_ANY_ONE)
    else:
        assert "relax any one of them to restore feasibility" not in text


# --- the share-limit reproduction ------------------------------------------------------


@pytest.fixture(scope="module")
def ee_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ee") / "ds"
    shutil.copytree(BASELINE_DATASET, folder)
    (folder / "share_limits.csv").write_text(EE_SHARES, encoding="utf-8")
    return folder


def test_min_shares_beyond_one_refiner_are_reported_for_what_was_proved(ee_dataset: Path) -> None:
    network = load_inputs(ee_dataset)
    with pytest.raises(oreflow.SolveError) as caught:
        oreflow.solve(network)
    report = caught.value.report
    assert caught.value.status == "infeasible" and report.constraints
    assert any(name.startswith("share_limit[") and "EE >= 99%" in name for name in report.constraints)
    from oreflow.solvers.highs import infeasible_subset_of

    lp = build_lp(network, DEFAULT_UNMET_PENALTY_USD_PER_T)
    rows, cols, amounts = infeasible_subset_of(lp)
    assert rows is not None and list(rows) == list(report.rows)
    check_report(lp, report, amounts)
    # the other min shares remain when one is relaxed: not every member can do it alone
    assert report.irreducible and not report.any_one_restores
    assert "irreducible infeasible subset" in str(report) and "other conflicts" in str(report)
    share = next(k for k, name in enumerate(report.constraints) if name.startswith("share_limit["))
    assert report.alone[share] is False and report.moves[share] == ""


def test_the_command_line_says_the_same(ee_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.toml"
    job.write_text(f'dataset = "{ee_dataset}"\noutput = "out"\n', encoding="utf-8")
    assert main(["run", str(job)]) == 1
    err = capsys.readouterr().err
    assert "irreducible infeasible subset" in err and "cannot restore feasibility" in err
    assert "relax any one of them" not in err and " by 0 " not in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_elastic_filter_set_is_reduced_to_an_irreducible_one(ee_dataset: Path) -> None:
    """HiGHS's elastic filter alone (no irreducibility pass) gives a reducible set: every
    min share of EE; the deletion filter keeps only what the conflict needs."""
    import highspy

    from oreflow.solvers.highs import _deletion_filter, new_highs, pass_lp

    lp = build_lp(load_inputs(ee_dataset), DEFAULT_UNMET_PENALTY_USD_PER_T)
    h = new_highs()
    pass_lp(h, lp)
    h.run()
    h.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyFromLp))
    status, iis = h.getIis()
    subset = np.asarray(iis.row_index_, dtype=np.int64)
    assert not feasible(lp, subset)
    reduced = _deletion_filter(lp, subset)
    assert reduced is not None and set(reduced) <= set(subset) and not feasible(lp, reduced)
    for k in range(len(reduced)):
        assert feasible(lp, np.delete(reduced, k))


def test_a_set_not_proved_irreducible_says_so(ee_dataset: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the set cannot be checked (here: the check made to fail) and HiGHS does not
    call it irreducible, the report says it is not proved irreducible."""
    from oreflow.solvers import highs

    monkeypatch.setattr(highs, "_deletion_filter", lambda *args, **kwargs: None)
    monkeypatch.setattr(highs, "IIS_IRREDUCIBLE", -99)
    with pytest.raises(oreflow.SolveError) as caught:
        oreflow.solve(load_inputs(ee_dataset))
    report = caught.value.report
    assert not report.irreducible and report.kind == "infeasible subset"
    text = str(report)
    assert text.startswith(HEAD_SUBSET) and "not proved irreducible" in text
    assert "relaxing one of them alone may not be enough" in text and " by 0 " not in text
    assert "relax any one of them to restore feasibility" not in str(caught.value)


def test_moves_of_zero_or_unknown_are_not_printed() -> None:
    network = oreflow.Network.from_frames(
        **{
            **micro_frames(),
            "share_limits": pd.DataFrame(
                {"market": ["M"], "product": ["P1"], "country": ["X"], "max_share": [np.nan], "min_share": [0.9]}
            ),
        }
    )
    lp = build_lp(network, DEFAULT_UNMET_PENALTY_USD_PER_T)
    share = lp.rows["share_limit"].start
    capacity = lp.rows["capacity"].start
    balance = lp.rows["balance"].start
    rows = ConflictRows([capacity, balance, share], irreducible=True)
    report = explain(lp, rows, None, np.array([0.0, np.nan, np.inf]))
    assert report.alone == [None, None, False] and report.moves == ["", "", ""]
    text = str(report)
    assert " by 0" not in text and "relax any one" not in text and "cannot restore feasibility" in text
    plain = explain(lp, np.array([capacity, balance, share]), None, None)  # a plain array: not proved
    assert not plain.irreducible and str(plain).startswith(HEAD_SUBSET)


# --- the micro model keeps its message ---------------------------------------------------

MICRO_MESSAGE = "\n".join(
    [
        "these constraints cannot all hold (relax any one of them to restore feasibility):",
        "  - capacity[R1] <= 60 t (feed capacity of the refiner) — alone, it would have to rise by 12 t",
        "  - balance[R1, P1] (shipments of the product cannot exceed what the refiner recovers)"
        " — alone, it would have to rise by 6 t",
        "  - share_limit[M, P1, X >= 90%] — alone, it would have to fall by 15 percentage points",
    ]
)


@pytest.mark.parametrize("backend", ["highs", "pyomo"])
def test_the_micro_models_impossible_share_keeps_its_message(backend: str) -> None:
    frames = micro_frames()
    frames["share_limits"] = pd.DataFrame({"market": ["M"], "product": ["P1"], "country": ["X"], "min_share": [0.9]})
    network = oreflow.Network.from_frames(**frames)
    with pytest.raises(oreflow.SolveError) as caught:
        oreflow.solve(network, backend=backend)
    report = caught.value.report
    assert str(report) == MICRO_MESSAGE
    assert report.irreducible and report.any_one_restores and report.alone == [True, True, True]
    from oreflow.solvers.highs import infeasible_subset_of

    lp = build_lp(network, DEFAULT_UNMET_PENALTY_USD_PER_T)
    check_report(lp, report, infeasible_subset_of(lp)[2])


# --- oreflow report on a folder it cannot use ----------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "not valid JSON"),
        (
            '{"kind": "banana", "name": "x"}',
            "got 'banana'; expected a 'kind' of run, case, batch, sweep, plan or stress",
        ),
        ('{"kind": "banana"}', "a 'name' and a 'kind'"),
        ("[1, 2]", "a JSON object (the summary oreflow writes), not a JSON array"),
        ('{"kind": "batch", "name": "x"}', "comparison.csv: expected this file, which a batch output holds"),
        ('{"kind": "sweep", "name": "x"}', "points.csv: expected this file, which a sweep output holds"),
    ],
)
def test_report_on_an_unusable_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str], content, said) -> None:
    folder = tmp_path / "F"
    folder.mkdir()
    (folder / "summary.json").write_text(content, encoding="utf-8")
    before = _files(folder)
    assert main(["report", str(folder)]) == 1
    err = capsys.readouterr().err
    assert said in err
    assert str(folder) in err and "Traceback" not in err
    assert _files(folder) == before  # nothing written


def test_report_on_a_summary_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "summary.json").write_bytes(b"\xff\xfe{")
    assert main(["report", str(tmp_path)]) == 1
    assert "UTF-8" in capsys.readouterr().err and not (tmp_path / "report.html").exists()


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("batch")
    write_dataset(root / "micro")
    job = root / "job.toml"
    job.write_text(f'dataset = "micro"\noutput = "out"\n{BAN_AND_INFEASIBLE}', encoding="utf-8")
    assert main(["run", str(job), "--quiet"]) == 1  # the impossible case fails
    return root / "out"


def test_report_on_a_batch_with_a_broken_case_writes_nothing(
    batch_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "batch"
    shutil.copytree(batch_out, copy)
    for page in copy.rglob("report.html"):
        page.unlink()
    (copy / "no_exports" / "summary.json").write_text("{not json", encoding="utf-8")
    before = _files(copy)
    assert main(["report", str(copy)]) == 1
    err = capsys.readouterr().err
    assert str(copy / "no_exports" / "summary.json") in err and "not valid JSON" in err and "Traceback" not in err
    assert _files(copy) == before


def test_report_on_a_table_changed_by_hand(batch_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "batch"
    shutil.copytree(batch_out, copy)
    (copy / "comparison.csv").write_text("nothing,like\nthe,table\n", encoding="utf-8")
    assert main(["report", str(copy)]) == 1
    err = capsys.readouterr().err
    assert "not as oreflow wrote them" in err and "Traceback" not in err


def test_a_failed_cases_summary_says_what_kind_of_set_it_is(batch_out: Path) -> None:
    failed = json.loads((batch_out / "impossible" / "summary.json").read_text(encoding="utf-8"))
    assert HEAD_ANY_ONE in failed["error"]  # the micro model: irreducible, each member alone restores
    assert HEAD_ANY_ONE in (batch_out / "impossible" / "infeasibility.txt").read_text(encoding="utf-8")


# --- Ctrl-C ------------------------------------------------------------------------------


def _interrupted(*_: object) -> int:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("argv", "resumes"),
    [
        (["run", "job.toml"], False),
        (["validate", "job.toml"], False),
        (["report", "out"], False),
        (["sweep", "job.toml"], True),
        (["stress", "job.toml"], True),
    ],
)
def test_ctrl_c_says_how_to_go_on(
    argv: list[str], resumes: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tuple(dataclasses.replace(c, handler=_interrupted) if c.name == argv[0] else c for c in commands.COMMANDS)
    monkeypatch.setattr(commands, "COMMANDS", table)
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert err.startswith("oreflow: interrupted") and "Traceback" not in err
    if resumes:
        assert "--fresh" in err and "resume" in err
    else:
        assert "--fresh" not in err and "resume" not in err
