"""Calibration (oreflow/calibration.py, ``oreflow calibrate``): the observed-figures file, each
figure computed on a hand-solved micro model, the comparison and the command.

The micro model is tests/conftest.py's (hand-solved in tests/test_micro_models.py): origin A
(country X, supply 200 t) sends 60 t of ore to R1 (X, recovery 1) and 40 t to R2 (Y, recovery
0.5); R1 produces 30 t of P1 and 30 t of P2, R2 10 t of each; the price of P1 in M is 262 USD/t.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

import oreflow
from conftest import BASELINE_DATASET, micro_frames, write_job
from oreflow.calibration import (
    CALIBRATION_COLUMNS,
    FIGURES,
    OBSERVED_FILE,
    Observation,
    calibrate,
    check_against,
    load_observed,
    mined_ore_used_share,
    ore_t,
    price,
    separated_t,
    separation_share,
    table_text,
)
from oreflow.cli import main
from oreflow.errors import InputError

HEADER = "figure,value,unit,tolerance,low,high,source\n"

#: Every kind of figure on the micro model, each inside its band (model values in comments).
INSIDE = (
    HEADER
    + "separation_share:X,0.6,share,,0.5,0.7,hand\n"  # 60 / 100
    + "separated_t:R1,60,t,0.1,,,hand\n"  # 30 P1 + 30 P2
    + "separated_t:R2:P1,10,t,,5,,hand\n"
    + "ore_t:X:Y,40,t,0.01,,,hand\n"
    + "mined_ore_used_share,0.5,share,,0.4,,hand\n"  # 100 of 200
    + "price:M:P1,262,USD/t,0.3,,,hand\n"
)


def write_observed(folder: Path, text: str) -> Path:
    path = folder / OBSERVED_FILE
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list:
    with pytest.raises(InputError) as info:
        load_observed(path)
    return info.value.problems


@pytest.fixture(scope="module")
def two_refiners() -> oreflow.Result:
    return oreflow.solve(oreflow.Network.from_frames(**micro_frames()))


# --- observed.csv --------------------------------------------------------------------------------


def test_load_observed_reads_bands_both_ways(tmp_path):
    observed = load_observed(write_observed(tmp_path, INSIDE + "price:M:P2,100,USD/t,,,150,note\n"))
    by_name = {o.figure: o for o in observed}
    assert list(by_name) == [
        "separation_share:X",
        "separated_t:R1",
        "separated_t:R2:P1",
        "ore_t:X:Y",
        "mined_ore_used_share",
        "price:M:P1",
        "price:M:P2",
    ]
    tolerance = by_name["separated_t:R1"]
    assert (tolerance.kind, tolerance.arguments, tolerance.tolerance) == ("separated_t", ("R1",), 0.1)
    assert (tolerance.low, tolerance.high) == pytest.approx((54.0, 66.0))
    at_least = by_name["separated_t:R2:P1"]
    assert (at_least.low, at_least.high, at_least.tolerance) == (5.0, math.inf, None)
    at_most = by_name["price:M:P2"]
    assert (at_most.low, at_most.high) == (-math.inf, 150.0)
    assert (at_most.file, at_most.line, at_most.unit, at_most.source) == (
        str(tmp_path / OBSERVED_FILE),
        8,
        "USD/t",
        "note",
    )


def test_a_bad_number_is_named_by_file_line_and_column(tmp_path):
    path = write_observed(tmp_path, HEADER + "price:M:P1,262,USD/t,0.3,,,a\nore_t:X:Y,lots,t,0.1,,,b\n")
    [problem] = problems_of(path)
    assert (problem.file, problem.line, problem.column, problem.value) == (str(path), 3, "value", "lots")
    assert problem.expected.startswith("a number >= 0")
    with pytest.raises(InputError, match=rf"{OBSERVED_FILE}, line 3, column 'value': got 'lots'; expected a number"):
        load_observed(path)


def test_an_unknown_figure_is_named_with_the_known_ones(tmp_path):
    path = write_observed(tmp_path, HEADER + "price:M:P1,262,USD/t,0.3,,,a\nchina_share,0.9,share,0.1,,,b\n")
    [problem] = problems_of(path)
    assert (problem.file, problem.line, problem.column, problem.value) == (str(path), 3, "figure", "china_share")
    for figure in FIGURES.values():
        assert figure.signature in problem.expected
    assert "separated_t:REFINER[:PRODUCT]" in problem.expected and "price:MARKET:PRODUCT" in problem.expected


def test_a_missing_column_is_named(tmp_path):
    path = write_observed(tmp_path, "figure,value,tolerance,source\nprice:M:P1,262,0.3,a\n")
    [problem] = problems_of(path)
    assert (problem.file, problem.line, problem.column) == (str(path), 1, "unit")
    assert "a column named 'unit'" in problem.expected


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [
        ("price:M,262,USD/t,0.3,,,a", "figure", "price:MARKET:PRODUCT (arguments separated by ':')"),
        ("separation_share,0.5,share,0.1,,,a", "figure", "separation_share:COUNTRY"),
        ("price:M:P1,262,USD/kg,0.3,,,a", "unit", "'USD/t', the unit of price"),
        ("price:M:P1,262,USD/t,0.3,200,,a", "tolerance", "either a relative tolerance or low/high bounds"),
        ("price:M:P1,262,USD/t,,,,a", "tolerance", "a relative tolerance (0.3 for ±30 %) or a low"),
        ("price:M:P1,262,USD/t,1.5,,,a", "tolerance", "a number > 0 and <= 1"),
        ("price:M:P1,262,USD/t,,300,400,a", "value", "a value within its band low..high (300..400)"),
        ("price:M:P1,262,USD/t,,300,200,a", "low", "a bound <= high (200)"),
        ("separation_share:X,92,share,,85,93,a", "value", "a share between 0 and 1"),
        ("price:M:P1,262,USD/t,0.3,,,", "source", "a non-empty id"),
    ],
)
def test_each_row_rule_names_its_line_and_column(tmp_path, row, column, expected):
    path = write_observed(tmp_path, HEADER + "ore_t:X:Y,40,t,0.1,,,ok\n" + row + "\n")
    problems = problems_of(path)
    assert [(p.line, p.column) for p in problems][:1] == [(3, column)]
    assert expected in problems[0].expected


def test_a_figure_given_twice_names_the_first_line(tmp_path):
    path = write_observed(tmp_path, HEADER + "ore_t:X:Y,40,t,0.1,,,a\nore_t:X:Y,41,t,0.1,,,b\n")
    [problem] = problems_of(path)
    assert (problem.line, problem.column) == (3, "figure")
    assert "also on line 2" in problem.expected


def test_every_problem_is_reported_at_once_and_extra_columns_are_ignored(tmp_path):
    text = "figure,value,unit,tolerance,low,high,source,note\nnope,1,t,0.1,,,a,x\nore_t:X:Y,-4,t,0.1,,,b,y\n"
    problems = problems_of(write_observed(tmp_path, text))
    assert sorted((p.line, p.column) for p in problems) == [(2, "figure"), (3, "value")]


def test_a_file_without_rows_or_absent_is_refused(tmp_path):
    [problem] = problems_of(write_observed(tmp_path, HEADER))
    assert problem.expected == "at least one observed figure"
    [problem] = problems_of(tmp_path / "elsewhere" / OBSERVED_FILE)
    assert problem.file == str(tmp_path / "elsewhere" / OBSERVED_FILE)


# --- each figure on the micro model --------------------------------------------------------------


def test_separation_share_is_the_feed_share_of_a_country(two_refiners):
    assert separation_share(two_refiners, "X") == pytest.approx(0.6)
    assert separation_share(two_refiners, "Y") == pytest.approx(0.4)
    assert separation_share(two_refiners, "Z") == 0.0


def test_separated_t_is_the_oxide_produced_at_a_refiner(two_refiners):
    assert separated_t(two_refiners, "R1") == pytest.approx(60.0)  # co-product P2 counted (left unsold)
    assert separated_t(two_refiners, "R1", "P1") == pytest.approx(30.0)
    assert separated_t(two_refiners, "R2") == pytest.approx(20.0)  # 40 t of feed x recovery 0.5
    assert separated_t(two_refiners, "R2", "P1") == pytest.approx(10.0)


def test_ore_t_is_the_ore_between_two_countries(two_refiners):
    assert ore_t(two_refiners, "X", "X") == pytest.approx(60.0)
    assert ore_t(two_refiners, "X", "Y") == pytest.approx(40.0)
    assert ore_t(two_refiners, "Y", "X") == 0.0


def test_mined_ore_used_share_leaves_out_origins_without_a_limit():
    """Origin B (country Z, no supply limit, mining 5 USD/t) reaches only R2: A fills R1 (60 t,
    P1 at 71 USD/t) and the other 10 t of P1 come from B through R2 ((5 + 5 + 50) / 0.25 + 2 =
    242 USD/t, below A through R2 at 262). A's 60 of 200 t: 0.3; B's 40 t counts nowhere."""
    frames = micro_frames()
    frames["origins"] = pd.DataFrame(
        {
            "origin": ["A", "B"],
            "country": ["X", "Z"],
            "supply_t": [200.0, math.inf],
            "mining_cost_usd_per_t": [10.0, 5.0],
        }
    )
    frames["composition"] = pd.DataFrame(
        {"origin": ["A", "A", "B", "B"], "product": ["P1", "P2", "P1", "P2"], "share": [0.5] * 4}
    )
    frames["ore_routes"] = pd.DataFrame(
        {"origin": ["A", "A", "B"], "refiner": ["R1", "R2", "R2"], "freight_usd_per_t": [5.0] * 3}
    )
    result = oreflow.solve(oreflow.Network.from_frames(**frames))
    assert ore_t(result, "Z", "Y") == pytest.approx(40.0)
    assert mined_ore_used_share(result) == pytest.approx(0.3)


def test_mined_ore_used_share_of_the_micro_model(two_refiners):
    assert mined_ore_used_share(two_refiners) == pytest.approx(0.5)


def test_price_is_the_demand_shadow_price_or_a_market_table(two_refiners):
    assert price(two_refiners, "M", "P1") == pytest.approx(262.0)
    result = oreflow.solve(oreflow.Network.from_frames(**micro_frames()))
    result.market = pd.DataFrame({"market": ["M"], "product": ["P1"], "price_usd_per_t": [300.0]})
    assert price(result, "M", "P1") == 300.0  # a Result.market table, when there is one, comes first


def test_every_figure_documents_how_it_is_computed():
    for figure in FIGURES.values():
        assert figure.compute.__doc__ and "Result" in figure.compute.__doc__, figure.name


# --- calibrate -----------------------------------------------------------------------------------


def test_calibrate_compares_every_figure(tmp_path, two_refiners):
    observed = load_observed(write_observed(tmp_path, INSIDE + "separated_t:R2,30,t,0.2,,,x\n"))
    frame = calibrate(two_refiners, observed)
    assert list(frame.columns) == list(CALIBRATION_COLUMNS)
    assert frame["within"].dtype == bool
    table = frame.set_index("figure")
    assert table.loc["price:M:P1", "model"] == pytest.approx(262.0)
    assert table.loc["price:M:P1", "description"] == "price of P1 in market M, USD/t oxide"
    assert table.loc["separated_t:R1", "description"] == "separated oxide produced at R1, all products, t oxide"
    assert table.loc["separated_t:R2", "relative_error"] == pytest.approx((20 - 30) / 30)
    assert (table.loc["separated_t:R2", "low"], table.loc["separated_t:R2", "high"]) == pytest.approx((24.0, 36.0))
    assert table["within"].to_dict() == {name: name != "separated_t:R2" for name in table.index}
    assert table.loc["ore_t:X:Y", "source"] == "hand"
    text = table_text(frame)
    assert "6 of 7 figure(s) within tolerance" in text
    assert [line.split()[-1] for line in text.splitlines()[2:-1]] == ["ok"] * 6 + ["MISS"]


def test_calibrate_refuses_figures_the_dataset_does_not_have(tmp_path, two_refiners):
    text = HEADER + "separated_t:R9,1,t,0.1,,,a\nprice:M:P2,1,USD/t,0.1,,,b\nore_t:X:Q,1,t,0.1,,,c\n"
    observed = load_observed(write_observed(tmp_path, text))
    with pytest.raises(InputError) as info:
        calibrate(two_refiners, observed)
    problems = info.value.problems
    assert [(p.line, p.column, p.value) for p in problems] == [
        (2, "figure", "separated_t:R9"),
        (3, "figure", "price:M:P2"),  # P2 has no demand row, so no price
        (4, "figure", "ore_t:X:Q"),
    ]
    assert problems[0].expected == "a refiner of the dataset for REFINER (R1, R2)"
    assert "a row in demand.csv" in problems[1].expected
    assert problems[2].expected == "a country of a refiner of the dataset for REFINER_COUNTRY (X, Y)"


def test_a_figure_the_result_cannot_give_is_a_miss():
    frames = micro_frames()
    frames["origins"]["supply_t"] = math.inf  # no finite supply: the used share is undefined
    result = oreflow.solve(oreflow.Network.from_frames(**frames))
    figure = "mined_ore_used_share"
    observation = Observation(figure, figure, (), 1.0, "share", 0.9, 1.0, None, "s", "f", 2)
    [row] = calibrate(result, [observation]).to_dict("records")
    assert math.isnan(row["model"]) and math.isnan(row["relative_error"]) and row["within"] is False
    assert "n/a" in table_text(calibrate(result, [observation]))


def test_the_shipped_observed_figures_are_valid_and_fit_the_dataset():
    """Only that the file reads and names what the dataset has: whether the model meets the
    tolerances is the dataset's calibration, tested elsewhere."""
    observed = load_observed(BASELINE_DATASET / OBSERVED_FILE)
    assert {o.kind for o in observed} == set(FIGURES)
    assert all(o.source.startswith("data-brief §") for o in observed)
    assert check_against(oreflow.load_inputs(BASELINE_DATASET), observed) == []


# --- oreflow calibrate ---------------------------------------------------------------------------


def dataset_copy(tmp_path: Path, micro_dataset: Path, observed: str | None) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(micro_dataset, folder)
    if observed is not None:
        write_observed(folder, observed)
    return folder


def test_calibrate_command_exits_0_when_every_figure_is_within(tmp_path, micro_dataset, capsys):
    folder = dataset_copy(tmp_path, micro_dataset, INSIDE)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(["calibrate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "6 of 6 figure(s) within tolerance" in out and "MISS" not in out
    assert "price:M:P1" in out and "262" in out
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written
    job = write_job(tmp_path / "job.toml", "data")  # the same through a job file
    assert main(["calibrate", str(job)]) == 0


def test_calibrate_command_exits_1_when_a_figure_is_outside(tmp_path, micro_dataset, capsys):
    folder = dataset_copy(tmp_path, micro_dataset, INSIDE.replace("price:M:P1,262,", "price:M:P1,100,"))
    assert main(["calibrate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "5 of 6 figure(s) within tolerance" in out
    [miss] = [line for line in out.splitlines() if line.endswith("MISS")]
    assert miss.startswith("price:M:P1") and "+162.0%" in miss


def test_calibrate_command_needs_the_observed_file(tmp_path, micro_dataset, capsys):
    folder = dataset_copy(tmp_path, micro_dataset, None)
    assert main(["calibrate", str(folder)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{folder / OBSERVED_FILE}: expected the dataset's observed figures, {OBSERVED_FILE} in" in captured.err
    assert "Nothing was solved or written." in captured.err


def test_calibrate_command_help_states_the_exit_status(capsys):
    with pytest.raises(SystemExit):
        main(["calibrate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "0 when every figure is within its tolerance, 1 when any is not" in out
