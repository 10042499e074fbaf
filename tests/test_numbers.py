"""The one range rule for numbers that reach the solver (issue 12): every finite number of a
dataset is >= 0 and below NUMBER_LIMIT (model/tables.py), whether it comes from a CSV file,
a DataFrame, a scenario change or a sweep point; beyond it the input is refused naming the
file, line, column and the limit, never solved into a wrong answer or a traceback. A sweep
point never reports another point's figures. Bytes that are not UTF-8 are reported by line.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oreflow
from conftest import BASELINE_DATASET, micro_frames, write_dataset, write_job
from oreflow.cli import main
from oreflow.errors import InputError
from oreflow.job import Change, Scenario, load_job
from oreflow.model import reading
from oreflow.model.reading import number_text
from oreflow.model.tables import DEFAULT_UNMET_PENALTY_USD_PER_T, NUMBER_LIMIT
from oreflow.scenarios import apply_scenario
from oreflow.sweep import engine as engine_module
from oreflow.sweep.run import execution_of, run_sweep

#: The rule as every message states it.
RULE = f"a number >= 0 and below {number_text(NUMBER_LIMIT)}"
#: The demand row of the default dataset the reproductions change: demand.csv line 5.
US_NDPR = {"market": "US", "product": "NdPr"}
#: The sweep of the issue: numbers at or beyond HiGHS's infinity (1e20), and beyond the limit.
ISSUE_VALUES = [1e30, 1, 2, 1e16, 1e18, 1e25]


@functools.lru_cache(maxsize=1)
def fixed_dataset() -> Path:
    """The default dataset with fixed demand (its demand curves left out): these tests are about
    numbers reaching the solver, and read unmet demand at the penalty as issue 12 did."""
    folder = Path(tempfile.mkdtemp(prefix="oreflow-fixed-")) / "ds"
    shutil.copytree(BASELINE_DATASET, folder)
    demand = pd.read_csv(folder / "demand.csv")
    demand[["market", "product", "demand_t"]].to_csv(folder / "demand.csv", index=False)
    return folder


#: US/NdPr demand of the default dataset (demand.csv line 5), t.
US_NDPR_T = int(
    pd.read_csv(BASELINE_DATASET / "demand.csv").set_index(["market", "product"]).loc[("US", "NdPr"), "demand_t"]
)


def demand_sweep(tmp_path: Path, values: list[float], workers: int = 1) -> pd.DataFrame:
    """A grid sweep setting demand_t of US/NdPr on the default dataset; its points table."""
    text = f"""
[sweep]
[[sweep.parameters]]
name = "us_ndpr"
table = "demand"
where = {{ market = "US", product = "NdPr" }}
column = "demand_t"
action = "set"
values = [{", ".join(repr(float(v)) for v in values)}]
"""
    job_file = load_job(write_job(tmp_path / "sweep.toml", str(fixed_dataset()), str(tmp_path / "out"), text))
    execution = execution_of(job_file, workers, None, True, False)
    _, _, folder = run_sweep(job_file, oreflow.load_inputs(job_file.dataset), None, execution)
    return pd.read_csv(folder / "points.csv", keep_default_na=False, na_values=[""])


def solved_alone(value: float) -> oreflow.Result:
    """The default dataset with US/NdPr demand ``value``, solved on its own."""
    change = Change(action="set", table="demand", column="demand_t", where=dict(US_NDPR), value=value)
    network = apply_scenario(oreflow.load_inputs(fixed_dataset()), Scenario(name="alone", changes=[change])).network
    return oreflow.solve(network, ranging=False)


def total_unmet(result: oreflow.Result) -> float:
    """Unmet demand of all markets (t): unique at the optimum where which market goes short is not."""
    return float(result.unmet["unmet_t"].sum())


# ---- sweeps ------------------------------------------------------------------------------


def test_the_issue_sweep_refuses_numbers_beyond_the_limit_and_solves_the_others(tmp_path: Path) -> None:
    """Issue 12, reproduction 1: each point is either solved right or invalid naming the rule."""
    table = demand_sweep(tmp_path, ISSUE_VALUES)
    assert table["param.us_ndpr"].tolist() == ISSUE_VALUES
    for _, point in table.iterrows():
        value = point["param.us_ndpr"]
        if value >= NUMBER_LIMIT:
            assert point["status"] == "invalid", point.to_dict()
            assert "demand.csv, line 5, column 'demand_t'" in point["error"] and RULE in point["error"]
            assert np.isnan(point["objective_usd"]) and np.isnan(point["unmet_t.US/NdPr"])
        else:
            alone = solved_alone(value)
            assert point["status"] == "optimal", point.to_dict()
            assert point["objective_usd"] == pytest.approx(alone.objective, rel=1e-9)
            assert point["unmet_t"] == pytest.approx(total_unmet(alone), abs=1e-6)
    solved = table.loc[table["status"] == "optimal", "objective_usd"]
    assert len(solved) == 2 and solved.is_unique  # no point repeats another's figures


def test_numbers_just_below_the_limit_solve_consistently(tmp_path: Path) -> None:
    """Near the limit the figures follow the value exactly: 1e8 t more demand is 1e8 t more
    unmet at the penalty; the limit itself is refused."""
    values = [0.4 * NUMBER_LIMIT, 0.5 * NUMBER_LIMIT, 0.999 * NUMBER_LIMIT, NUMBER_LIMIT]
    table = demand_sweep(tmp_path, values)
    assert table["status"].tolist() == ["optimal", "optimal", "optimal", "invalid"]
    assert RULE in table.loc[3, "error"]
    step = 0.1 * NUMBER_LIMIT
    assert table.loc[1, "unmet_t"] - table.loc[0, "unmet_t"] == pytest.approx(step, abs=1e-6)
    rise = table.loc[1, "objective_usd"] - table.loc[0, "objective_usd"]
    assert rise == pytest.approx(DEFAULT_UNMET_PENALTY_USD_PER_T * step, rel=1e-9)
    for i in range(3):
        alone = solved_alone(values[i])
        assert table.loc[i, "objective_usd"] == pytest.approx(alone.objective, rel=1e-9)
        assert table.loc[i, "unmet_t"] == pytest.approx(total_unmet(alone), abs=1e-4)


def test_a_value_highs_does_not_take_fails_the_point_instead_of_repeating_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cause of the silent repeats, with the number rule switched off: HiGHS rejects a >= row's
    lower bound at or beyond its infinity (1e20) and keeps the previous point's, still 'optimal'.
    The engine reads back what HiGHS holds: such a point is an error, and the next point is right."""
    monkeypatch.setattr(reading, "NUMBER_LIMIT", math.inf)
    table = demand_sweep(tmp_path, ISSUE_VALUES)
    failed = table["param.us_ndpr"] >= 1e20
    assert (table.loc[failed, "status"] == "error").all()
    assert table.loc[failed, "error"].str.contains("HiGHS did not take the point's values").all()
    assert table.loc[failed, "error"].str.contains("demand").all()
    assert (table.loc[~failed, "status"] == "optimal").all()
    assert table.loc[~failed, "objective_usd"].is_unique
    for _, point in table.loc[~failed].iterrows():  # each its own value's, not the point before's
        assert point["unmet_t.US/NdPr"] == pytest.approx(max(point["param.us_ndpr"] - US_NDPR_T, 0), rel=1e-6, abs=1e-6)
    after = table.loc[table["param.us_ndpr"] == 1].iloc[0]  # right after the failed 1e30
    assert after["objective_usd"] == pytest.approx(solved_alone(1).objective, rel=1e-9)


def test_a_resolve_without_verdict_is_solved_again_from_scratch(tmp_path: Path, monkeypatch) -> None:
    """A warm re-solve that ends without a verdict (HiGHS 'Not Set', seen after large cost changes
    from the previous basis) is solved from scratch, not reported as the point's answer."""
    real = engine_module.solve_in_place

    def no_verdict(*args, **kwargs):
        record = real(*args, **kwargs)
        return dataclasses.replace(record, status="other", solver_status="Not Set")

    monkeypatch.setattr(engine_module, "solve_in_place", no_verdict)
    values = [1000.0, 2010.0, 5000.0]
    table = demand_sweep(tmp_path, values)
    assert (table["status"] == "optimal").all() and not table["warm"].any()
    for value, objective in zip(values, table["objective_usd"]):
        assert objective == pytest.approx(solved_alone(value).objective, rel=1e-9)


# ---- files, scenario changes and DataFrames -----------------------------------------------


def baseline_copy(tmp_path: Path, demand_cell: str | None = None) -> Path:
    """A job on a copy of the default dataset, US/NdPr demand (demand.csv line 5) replaced."""
    shutil.copytree(fixed_dataset(), tmp_path / "ds")
    if demand_cell is not None:
        path = tmp_path / "ds" / "demand.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[4].startswith(f"US,NdPr,{US_NDPR_T}")
        lines[4] = lines[4].replace(f"US,NdPr,{US_NDPR_T}", f"US,NdPr,{demand_cell}", 1)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return write_job(tmp_path / "job.toml", "ds", "out")


@pytest.mark.parametrize("cell", ["1e20", "1e300", number_text(NUMBER_LIMIT)])
def test_a_csv_cell_beyond_the_limit_is_an_input_error(tmp_path: Path, cell: str, capsys) -> None:
    """Issue 12, reproduction 2: no RuntimeError from HiGHS, an InputError naming the cell and the limit."""
    job = baseline_copy(tmp_path, cell)
    with pytest.raises(InputError) as caught:
        oreflow.solve(job)
    problems = [p for p in caught.value.problems if p.rule == "number"]
    assert [(p.file, p.line, p.column, p.value, p.expected) for p in problems] == [
        ("demand.csv", 5, "demand_t", cell, RULE)
    ]
    assert main(["run", str(job), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert f"demand.csv, line 5, column 'demand_t': got '{cell}'; expected {RULE}" in err
    assert "RuntimeError" not in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_csv_cell_just_below_the_limit_solves(tmp_path: Path) -> None:
    """Every tonne demanded beyond what can be delivered is unmet, to the tonne's millionth."""
    value = 0.999 * NUMBER_LIMIT
    result = oreflow.solve(baseline_copy(tmp_path, repr(value)), ranging=False)
    lower = solved_alone(1e6)  # far beyond what can be delivered too
    assert result.status == "optimal"
    assert total_unmet(result) - total_unmet(lower) == pytest.approx(value - 1e6, abs=1e-6)
    assert result.objective - lower.objective == pytest.approx(
        DEFAULT_UNMET_PENALTY_USD_PER_T * (value - 1e6), rel=1e-12
    )


def test_a_scenario_set_beyond_the_limit_is_an_input_error(tmp_path: Path, capsys) -> None:
    """Issue 12, reproduction 2 (scenario): the change is refused, naming file, line, column, limit."""
    job = baseline_copy(tmp_path)
    with job.open("a", encoding="utf-8") as handle:
        handle.write(
            '\n[[scenarios]]\nname = "huge"\nchanges = [ { action = "set", table = "demand", column = "demand_t", '
            'where = { market = "US", product = "NdPr" }, value = 1e300 } ]\n'
        )
    assert main(["run", str(job), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "demand.csv after scenario 'huge', change 1" in err and "line 5, column 'demand_t'" in err
    assert f"expected {RULE}" in err and "RuntimeError" not in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    change = Change(action="set", table="demand", column="demand_t", where=dict(US_NDPR), value=1e300)
    with pytest.raises(InputError) as caught:
        apply_scenario(oreflow.load_inputs(BASELINE_DATASET), Scenario(name="huge", changes=[change]))
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.value, problem.expected) == (5, "demand_t", "1e+300", RULE)


def test_a_scale_that_overflows_is_refused_not_taken_as_inf() -> None:
    """A finite capacity scaled past the largest float would read as inf (no capacity)."""
    network = oreflow.Network.from_frames(**micro_frames())
    change = Change(action="scale", table="refiners", column="capacity_t", where={"refiner": "R1"}, factor=1e308)
    with pytest.raises(InputError) as caught:
        apply_scenario(network, Scenario(name="overflow", changes=[change]))
    (problem,) = caught.value.problems
    assert problem.rule == "scenario_value" and problem.column == "factor"
    assert f"below {number_text(NUMBER_LIMIT)}" in problem.expected


def test_a_dataframe_with_huge_numbers_is_an_input_error() -> None:
    frames = micro_frames()
    frames["demand"].loc[0, "demand_t"] = 1e20
    frames["origins"].loc[0, "supply_t"] = 1e300  # a column that allows inf, but not a huge finite number
    frames["ore_routes"].loc[1, "freight_usd_per_t"] = 5e9
    with pytest.raises(InputError) as caught:
        oreflow.Network.from_frames(**frames)
    found = {(p.file, p.line, p.column, p.value): p.expected for p in caught.value.problems}
    assert found == {
        ("demand.csv (DataFrame)", 2, "demand_t", "1e+20"): RULE,
        ("origins.csv (DataFrame)", 2, "supply_t", "1e+300"): RULE + " (or inf)",
        ("ore_routes.csv (DataFrame)", 3, "freight_usd_per_t", "5000000000.0"): RULE,
    }
    frames = micro_frames()
    frames["origins"].loc[0, "supply_t"] = math.inf  # inf stays allowed where the column allows it
    assert math.isinf(oreflow.Network.from_frames(**frames).origins["supply_t"].iloc[0])


# ---- encoding ------------------------------------------------------------------------------


def test_bytes_that_are_not_utf8_are_reported_by_line(tmp_path: Path) -> None:
    """Issue 12, reproduction 3: the line of each bad byte, not its offset in the file."""
    folder = write_dataset(tmp_path / "micro")
    (folder / "markets.csv").write_bytes(b"market,country\r\nM,Y\r\nN,caf\xe9\r\nO,\xff\xfe\r\n")
    with pytest.raises(InputError) as caught:
        oreflow.load_inputs(folder)
    lines = {(p.line, p.value) for p in caught.value.problems if p.file == "markets.csv" and p.rule == "encoding"}
    assert lines == {(3, "N,caf\\xe9"), (4, "O,\\xff\\xfe")}
    message = str(caught.value)
    assert "markets.csv, line 3" in message and "markets.csv, line 4" in message
    assert "not UTF-8 on lines 3, 4" in message and "position" not in message
