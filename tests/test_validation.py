"""Every validation rule of the data contract, against CSV folders written in tmp_path.

Each test breaks the micro model (tests/conftest.py) in one place and checks that the
InputError locates the problem exactly: file, line (header = line 1), column, value and
rule, and that the message shows them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oreflow
from conftest import micro_frames, write_dataset
from oreflow import InputError, Network, Problem, load_inputs

# The micro model's CSV files exactly as write_dataset writes them (see conftest.py).
HEADERS = {
    "origins": "origin,country,supply_t,mining_cost_usd_per_t",
    "composition": "origin,product,share",
    "refiners": "refiner,country,capacity_t,processing_cost_usd_per_t,recovery",
    "recoveries": "refiner,product,recovery",
    "markets": "market,country",
    "demand": "market,product,demand_t",
    "ore_routes": "origin,refiner,freight_usd_per_t",
    "product_routes": "refiner,market,freight_usd_per_t",
}
REQUIRED = ["origins", "composition", "refiners", "markets", "demand", "ore_routes", "product_routes"]


def csv(table: str, *rows: str) -> str:
    """The CSV text of ``table``: its header, then ``rows`` (line 2, 3, ...)."""
    return "\n".join([HEADERS[table], *rows]) + "\n"


def dataset(tmp_path: Path, **texts: str | None) -> Path:
    """The micro dataset with some files replaced by ``texts`` (None: file deleted)."""
    folder = write_dataset(tmp_path / "ds")
    for name, text in texts.items():
        path = folder / f"{name}.csv"
        if text is None:
            path.unlink()
        else:
            path.write_text(text, encoding="utf-8")
    return folder


def invalid(folder: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_inputs(folder)
    return info.value


def reported(exc: InputError, file: str, line: int | None, column: str | None, value: str | None, rule: str) -> Problem:
    """The problem with these fields; also checks the message shows it."""
    matches = [
        p for p in exc.problems if (p.file, p.line, p.column, p.value, p.rule) == (file, line, column, value, rule)
    ]
    assert matches, f"no problem ({file}, {line}, {column}, {value!r}, {rule}) in:\n{exc}\n{exc.problems}"
    problem = matches[0]
    message = str(exc)
    assert str(problem) in message
    assert file in message
    if line is not None:
        assert f"line {line}" in message
    if column is not None:
        assert repr(column) in message
    if value is not None:
        assert repr(value) in message
    return problem


# --- files and columns -------------------------------------------------------------


@pytest.mark.parametrize("table", REQUIRED)
def test_file_present_missing_required_file(tmp_path, table):
    exc = invalid(dataset(tmp_path, **{table: None}))
    reported(exc, f"{table}.csv", None, None, None, "file_present")


def test_file_present_optional_recoveries_absent_is_fine(tmp_path):
    folder = dataset(tmp_path)
    assert not (folder / "recoveries.csv").exists()
    network = load_inputs(folder)
    assert len(network.recoveries) == 0
    assert list(network.recoveries.columns) == ["refiner", "product", "recovery"]


def test_file_present_optional_recoveries_given_is_read(tmp_path):
    network = load_inputs(dataset(tmp_path, recoveries=csv("recoveries", "R2,P1,0.9")))
    assert network.recoveries.to_dict("records") == [{"refiner": "R2", "product": "P1", "recovery": 0.9}]


def test_folder_missing(tmp_path):
    exc = invalid(tmp_path / "nowhere")
    assert exc.problems[0].rule == "folder"
    assert "nowhere" in str(exc)


def test_column_present_missing_column(tmp_path):
    text = "origin,country,supply_t\nA,X,200\n"
    exc = invalid(dataset(tmp_path, origins=text))
    problem = reported(exc, "origins.csv", 1, "mining_cost_usd_per_t", None, "column_present")
    assert "columns present: origin, country, supply_t" in problem.expected
    assert "columns present: origin, country, supply_t" in str(exc)


def test_column_present_each_missing_column_reported(tmp_path):
    exc = invalid(dataset(tmp_path, refiners="refiner,country\nR1,X\nR2,Y\n"))
    for column in ("capacity_t", "processing_cost_usd_per_t", "recovery"):
        reported(exc, "refiners.csv", 1, column, None, "column_present")


def test_not_empty_header_only(tmp_path):
    exc = invalid(dataset(tmp_path, markets=csv("markets")))
    reported(exc, "markets.csv", None, None, None, "not_empty")


def test_not_empty_optional_recoveries_header_only_is_fine(tmp_path):
    network = load_inputs(dataset(tmp_path, recoveries=csv("recoveries")))
    assert len(network.recoveries) == 0


def test_file_readable_empty_file(tmp_path):
    exc = invalid(dataset(tmp_path, demand=""))
    problem = reported(exc, "demand.csv", None, None, "", "file_readable")
    assert "header" in problem.expected


# --- unique keys -------------------------------------------------------------------


def test_unique_key_duplicate_origin(tmp_path):
    exc = invalid(dataset(tmp_path, origins=csv("origins", "A,X,200,10", "A,X,100,10")))
    problem = reported(exc, "origins.csv", 3, "origin", "A", "unique_key")
    assert "line 2" in problem.expected
    assert "already on line 2" in str(exc)


def test_unique_key_duplicate_composite_ore_route(tmp_path):
    text = csv("ore_routes", "A,R1,5", "A,R2,5", "A,R1,7")
    exc = invalid(dataset(tmp_path, ore_routes=text))
    problem = reported(exc, "ore_routes.csv", 4, "origin/refiner", "A, R1", "unique_key")
    assert "already on line 2" in problem.expected
    assert [p.rule for p in exc.problems] == ["unique_key"]  # A/R2 and A/R1 differ: one duplicate only


def test_unique_key_same_origin_different_refiner_is_fine(tmp_path):
    network = load_inputs(dataset(tmp_path))
    assert len(network.ore_routes) == 2


def test_unique_key_duplicate_demand_names_first_line(tmp_path):
    exc = invalid(dataset(tmp_path, demand=csv("demand", "M,P1,40", "M,P2,5", "M,P1,10")))
    problem = reported(exc, "demand.csv", 4, "market/product", "M, P1", "unique_key")
    assert "already on line 2" in problem.expected


# --- references --------------------------------------------------------------------

REFERENCE_CASES = [
    # table, text, line, column, value
    ("composition", csv("composition", "A,P1,0.5", "A,P2,0.5", "Z,P1,1.0"), 4, "origin", "Z"),
    ("recoveries", csv("recoveries", "RX,P1,0.9"), 2, "refiner", "RX"),
    ("demand", csv("demand", "M,P1,40", "MX,P1,10"), 3, "market", "MX"),
    ("ore_routes", csv("ore_routes", "A,R1,5", "A,R2,5", "Z,R1,5"), 4, "origin", "Z"),
    ("ore_routes", csv("ore_routes", "A,R1,5", "A,R2,5", "A,RX,5"), 4, "refiner", "RX"),
    ("product_routes", csv("product_routes", "R1,M,1", "R2,M,2", "RX,M,1"), 4, "refiner", "RX"),
    ("product_routes", csv("product_routes", "R1,M,1", "R2,M,2", "R1,MX,1"), 4, "market", "MX"),
    ("demand", csv("demand", "M,P1,40", "M,PX,10"), 3, "product", "PX"),
    ("recoveries", csv("recoveries", "R1,PX,0.9"), 2, "product", "PX"),
]


@pytest.mark.parametrize(
    "table, text, line, column, value",
    REFERENCE_CASES,
    ids=[f"{c[0]}.{c[3]}" for c in REFERENCE_CASES],
)
def test_reference_unknown_id(tmp_path, table, text, line, column, value):
    exc = invalid(dataset(tmp_path, **{table: text}))
    reported(exc, f"{table}.csv", line, column, value, "reference")
    assert len(exc.problems) == 1


# --- numbers -----------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["abc", "nan", "NaN", "", "-5", "-0.1", "1e", "inf", "-inf"])
def test_number_bad_mining_cost(tmp_path, cell):
    exc = invalid(dataset(tmp_path, origins=csv("origins", f"A,X,200,{cell}")))
    problem = reported(exc, "origins.csv", 2, "mining_cost_usd_per_t", cell, "number")
    assert problem.expected.startswith("a number >= 0")
    assert len(exc.problems) == 1


@pytest.mark.parametrize("cell", ["abc", "nan", "", "-1", "-inf"])
def test_number_bad_supply(tmp_path, cell):
    exc = invalid(dataset(tmp_path, origins=csv("origins", f"A,X,{cell},10")))
    problem = reported(exc, "origins.csv", 2, "supply_t", cell, "number")
    assert "(or inf)" in problem.expected


def test_number_inf_accepted_in_supply_and_capacity(tmp_path):
    folder = dataset(
        tmp_path,
        origins=csv("origins", "A,X,inf,10"),
        refiners=csv("refiners", "R1,X,inf,20,1.0", "R2,Y,inf,50,0.5"),
    )
    network = load_inputs(folder)
    assert math.isinf(network.origins["supply_t"].iloc[0])
    assert np.isinf(network.refiners["capacity_t"]).all()


@pytest.mark.parametrize(
    "table, text, line, column",
    [
        ("origins", csv("origins", "A,X,200,inf"), 2, "mining_cost_usd_per_t"),
        ("demand", csv("demand", "M,P1,inf"), 2, "demand_t"),
        ("refiners", csv("refiners", "R1,X,60,inf,1.0", "R2,Y,inf,50,0.5"), 2, "processing_cost_usd_per_t"),
        ("ore_routes", csv("ore_routes", "A,R1,5", "A,R2,inf"), 3, "freight_usd_per_t"),
        ("product_routes", csv("product_routes", "R1,M,inf", "R2,M,2"), 2, "freight_usd_per_t"),
    ],
)
def test_number_inf_rejected_where_not_allowed(tmp_path, table, text, line, column):
    exc = invalid(dataset(tmp_path, **{table: text}))
    problem = reported(exc, f"{table}.csv", line, column, "inf", "number")
    assert "(or inf)" not in problem.expected


def test_number_negative_demand(tmp_path):
    exc = invalid(dataset(tmp_path, demand=csv("demand", "M,P1,-40")))
    reported(exc, "demand.csv", 2, "demand_t", "-40", "number")


def test_number_share_above_one(tmp_path):
    exc = invalid(dataset(tmp_path, composition=csv("composition", "A,P1,1.5", "A,P2,0")))
    problem = reported(exc, "composition.csv", 2, "share", "1.5", "number")
    assert "<= 1" in problem.expected
    assert "shares_sum" not in [p.rule for p in exc.problems]  # the bad cell is not summed again


def test_number_bad_share_is_reported_once(tmp_path):
    # regression: the NaN left by the bad share used to make P1 look "not contained"
    exc = invalid(dataset(tmp_path, composition=csv("composition", "A,P1,1.5", "A,P2,0")))
    assert [(p.file, p.line, p.rule) for p in exc.problems] == [("composition.csv", 2, "number")]


def test_number_share_exactly_one_is_fine(tmp_path):
    network = load_inputs(dataset(tmp_path, composition=csv("composition", "A,P1,1", "A,P2,0")))
    assert network.composition["share"].tolist() == [1.0, 0.0]


# --- shares sum to 1 -----------------------------------------------------------------


def test_shares_sum_within_tolerance_is_fine(tmp_path):
    network = load_inputs(dataset(tmp_path, composition=csv("composition", "A,P1,0.5005", "A,P2,0.5")))
    assert network.composition["share"].sum() == pytest.approx(1.0005)


def test_shares_sum_below_within_tolerance_is_fine(tmp_path):
    load_inputs(dataset(tmp_path, composition=csv("composition", "A,P1,0.4995", "A,P2,0.5")))


@pytest.mark.parametrize("first, total", [("0.502", "1.002"), ("0.4", "0.9")])
def test_shares_sum_off_by_more_than_tolerance(tmp_path, first, total):
    exc = invalid(dataset(tmp_path, composition=csv("composition", f"A,P1,{first}", "A,P2,0.5")))
    problem = reported(exc, "composition.csv", None, "share", f"{total} for origin A", "shares_sum")
    assert "line 2 of origins.csv" in problem.expected


def test_shares_sum_origin_without_composition(tmp_path):
    origins = csv("origins", "A,X,200,10", "B,X,100,10")
    exc = invalid(dataset(tmp_path, origins=origins))
    problem = reported(exc, "composition.csv", None, "share", "0 for origin B", "shares_sum")
    assert "line 3 of origins.csv" in problem.expected


# --- recovery ----------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["0", "-0.5", "1.2", "abc", ""])
def test_recovery_out_of_range(tmp_path, cell):
    exc = invalid(dataset(tmp_path, refiners=csv("refiners", "R1,X,60,20,1.0", f"R2,Y,inf,50,{cell}")))
    problem = reported(exc, "refiners.csv", 3, "recovery", cell, "number")
    assert "> 0 and <= 1" in problem.expected


def test_recovery_one_accepted(tmp_path):
    network = load_inputs(dataset(tmp_path, refiners=csv("refiners", "R1,X,60,20,1.0", "R2,Y,inf,50,1")))
    assert network.refiners["recovery"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("cell", ["0", "-0.1", "1.5", "inf"])
def test_recovery_override_out_of_range(tmp_path, cell):
    exc = invalid(dataset(tmp_path, recoveries=csv("recoveries", "R1,P2,0.8", f"R2,P1,{cell}")))
    reported(exc, "recoveries.csv", 3, "recovery", cell, "number")
    assert len(exc.problems) == 1


# --- demand ------------------------------------------------------------------------


def test_demand_producible_product_no_origin_contains(tmp_path):
    folder = dataset(
        tmp_path,
        composition=csv("composition", "A,P1,1.0", "A,P2,0"),
        demand=csv("demand", "M,P1,40", "M,P2,5"),
    )
    exc = invalid(folder)
    problem = reported(exc, "demand.csv", 3, "product", "P2", "demand_producible")
    assert "share > 0" in problem.expected
    assert len(exc.problems) == 1


def test_demand_producible_zero_demand_is_fine(tmp_path):
    folder = dataset(
        tmp_path,
        composition=csv("composition", "A,P1,1.0", "A,P2,0"),
        demand=csv("demand", "M,P1,40", "M,P2,0"),
    )
    assert len(load_inputs(folder).demand) == 2


def test_unmet_penalty_blank_is_accepted(tmp_path):
    text = "market,product,demand_t,unmet_penalty_usd_per_t\nM,P1,40,\nM,P2,5,2000\n"
    network = load_inputs(dataset(tmp_path, demand=text))
    penalty = network.demand["unmet_penalty_usd_per_t"]
    assert math.isnan(penalty.iloc[0]) and penalty.iloc[1] == 2000.0


def test_unmet_penalty_column_absent_is_nan(tmp_path):
    network = load_inputs(dataset(tmp_path))
    assert network.demand["unmet_penalty_usd_per_t"].isna().all()


@pytest.mark.parametrize("cell", ["-1", "abc", "inf"])
def test_unmet_penalty_bad_value(tmp_path, cell):
    text = f"market,product,demand_t,unmet_penalty_usd_per_t\nM,P1,40,{cell}\n"
    exc = invalid(dataset(tmp_path, demand=text))
    reported(exc, "demand.csv", 2, "unmet_penalty_usd_per_t", cell, "number")


# --- ids -----------------------------------------------------------------------------


def test_id_present_blank_id(tmp_path):
    exc = invalid(dataset(tmp_path, markets=csv("markets", "M,Y", ",Z")))
    reported(exc, "markets.csv", 3, "market", "", "id_present")


def test_ids_with_surrounding_spaces_are_stripped(tmp_path):
    folder = dataset(
        tmp_path,
        origins=" origin , country ,supply_t, mining_cost_usd_per_t\n  A  , X ,  200 , 10 \n",
        composition=csv("composition", "A ,P1 , 0.5", " A, P2,0.5"),
        ore_routes=csv("ore_routes", " A , R1 ,5", "A,R2 ,5"),
    )
    network = load_inputs(folder)
    assert network.origins.to_dict("records") == [
        {"origin": "A", "country": "X", "supply_t": 200.0, "mining_cost_usd_per_t": 10.0}
    ]
    assert network.composition["origin"].tolist() == ["A", "A"]
    assert network.composition["product"].tolist() == ["P1", "P2"]
    assert network.ore_routes["refiner"].tolist() == ["R1", "R2"]


def test_spaced_duplicate_is_still_a_duplicate(tmp_path):
    exc = invalid(dataset(tmp_path, markets=csv("markets", "M,Y", " M ,Z")))
    reported(exc, "markets.csv", 3, "market", "M", "unique_key")


def test_extra_columns_are_ignored(tmp_path):
    folder = dataset(
        tmp_path,
        origins="origin,note,country,supply_t,mining_cost_usd_per_t,source\nA,some text,X,200,10,S1\n",
    )
    network = load_inputs(folder)
    assert list(network.origins.columns) == ["origin", "country", "supply_t", "mining_cost_usd_per_t"]
    assert oreflow.solve(network).objective == pytest.approx(4750.0)


def test_extra_column_with_bad_values_is_ignored(tmp_path):
    folder = dataset(tmp_path, markets="market,country,note\nM,Y,\n")
    assert load_inputs(folder).markets["market"].tolist() == ["M"]


# --- reporting ---------------------------------------------------------------------


def test_all_problems_reported_at_once(tmp_path):
    folder = dataset(
        tmp_path,
        origins=csv("origins", "A,X,lots,10"),
        refiners=csv("refiners", "R1,X,60,20,1.0", "R2,Y,inf,50,1.2"),
        demand=csv("demand", "M,P1,40", "MX,P1,5"),
    )
    exc = invalid(folder)
    assert len(exc.problems) >= 3
    reported(exc, "origins.csv", 2, "supply_t", "lots", "number")
    reported(exc, "refiners.csv", 3, "recovery", "1.2", "number")
    reported(exc, "demand.csv", 3, "market", "MX", "reference")
    assert str(exc).count("\n  - ") == len(exc.problems)


def test_all_problems_in_one_file_reported(tmp_path):
    exc = invalid(dataset(tmp_path, origins=csv("origins", "A,X,-1,abc", ",X,5,5")))
    reported(exc, "origins.csv", 2, "supply_t", "-1", "number")
    reported(exc, "origins.csv", 2, "mining_cost_usd_per_t", "abc", "number")
    reported(exc, "origins.csv", 3, "origin", "", "id_present")


def test_line_numbers_survive_a_blank_line(tmp_path):
    text = "origin,country,supply_t,mining_cost_usd_per_t\nA,X,200,10\n\nB,X,100,-3\n"
    composition = csv("composition", "A,P1,0.5", "A,P2,0.5", "B,P1,1")
    exc = invalid(dataset(tmp_path, origins=text, composition=composition))
    reported(exc, "origins.csv", 4, "mining_cost_usd_per_t", "-3", "number")
    assert len(exc.problems) == 1


def test_line_numbers_survive_a_quoted_multiline_cell(tmp_path):
    # regression: lines used to be counted per record, not per physical line
    text = 'origin,country,supply_t,mining_cost_usd_per_t,note\nA,X,200,10,"two\nlines"\nB,X,100,-3,x\n'
    composition = csv("composition", "A,P1,0.5", "A,P2,0.5", "B,P1,1")
    exc = invalid(dataset(tmp_path, origins=text, composition=composition))
    reported(exc, "origins.csv", 4, "mining_cost_usd_per_t", "-3", "number")


def test_row_with_more_cells_than_header_is_reported_at_its_line(tmp_path):
    # regression: pandas used to take the first cell as the index and shift the others
    exc = invalid(dataset(tmp_path, origins=csv("origins", "A,X,200,10,extra")))
    assert [(p.file, p.line) for p in exc.problems] == [("origins.csv", 2)]
    assert "origins.csv, line 2" in str(exc)


def test_row_with_fewer_cells_reports_the_blank_cell(tmp_path):
    exc = invalid(dataset(tmp_path, origins=csv("origins", "A,X,200")))
    reported(exc, "origins.csv", 2, "mining_cost_usd_per_t", "", "number")


def test_bom_and_crlf_are_read(tmp_path):
    folder = dataset(tmp_path)
    (folder / "origins.csv").write_bytes(
        "\ufefforigin,country,supply_t,mining_cost_usd_per_t\r\nA,X,200,10\r\n".encode("utf-8")
    )
    assert load_inputs(folder).origins["origin"].tolist() == ["A"]


def test_file_readable_not_utf8(tmp_path):
    folder = dataset(tmp_path)
    (folder / "markets.csv").write_bytes(b"market,country\nM,\xff\n")
    exc = invalid(folder)
    problem = reported(exc, "markets.csv", None, None, None, "file_readable")
    assert "UTF-8" in problem.expected


def test_blank_lines_before_the_header_keep_data_lines(tmp_path):
    text = "\n\n" + csv("origins", "A,X,200,-10")
    exc = invalid(dataset(tmp_path, origins=text))
    reported(exc, "origins.csv", 4, "mining_cost_usd_per_t", "-10", "number")


def test_missing_column_names_the_header_line_after_blank_lines(tmp_path):
    exc = invalid(dataset(tmp_path, origins="\n\norigin,country,supply_t\nA,X,200\n"))
    reported(exc, "origins.csv", 3, "mining_cost_usd_per_t", None, "column_present")


def test_blank_lines_are_skipped(tmp_path):
    text = "origin,country,supply_t,mining_cost_usd_per_t\n\nA,X,200,10\n\n\n"
    assert load_inputs(dataset(tmp_path, origins=text)).origins["origin"].tolist() == ["A"]


def test_line_numbers_after_blank_line_for_duplicates(tmp_path):
    text = csv("markets", "M,Y", "", "N,Y", "M,Z")
    exc = invalid(dataset(tmp_path, markets=text))
    problem = reported(exc, "markets.csv", 5, "market", "M", "unique_key")
    assert "already on line 2" in problem.expected


def test_heading_names_the_dataset_folder(tmp_path):
    folder = dataset(tmp_path, demand=csv("demand", "M,P1,x"))
    exc = invalid(folder)
    assert str(folder.resolve()) in str(exc)
    assert str(exc).startswith(f"invalid dataset {folder.resolve()}: 1 problem(s)")


# --- the same rules through Network.from_frames --------------------------------------


def frames_invalid(frames: dict[str, pd.DataFrame | None]) -> InputError:
    with pytest.raises(InputError) as info:
        Network.from_frames(**frames)
    return info.value


def test_from_frames_valid_micro():
    network = Network.from_frames(**micro_frames())
    assert network.source is None and network.file_hashes == {}
    assert oreflow.solve(network).objective == pytest.approx(4750.0)


def test_from_frames_missing_table():
    frames = micro_frames()
    frames["markets"] = None
    exc = frames_invalid(frames)
    reported(exc, "markets.csv (DataFrame)", None, None, None, "file_present")


def test_from_frames_missing_column():
    frames = micro_frames()
    frames["origins"] = frames["origins"].drop(columns=["supply_t"])
    exc = frames_invalid(frames)
    problem = reported(exc, "origins.csv (DataFrame)", 1, "supply_t", None, "column_present")
    assert "origin, country, mining_cost_usd_per_t" in problem.expected


def test_from_frames_empty_table():
    frames = micro_frames()
    frames["demand"] = frames["demand"].iloc[0:0]
    exc = frames_invalid(frames)
    reported(exc, "demand.csv (DataFrame)", None, None, None, "not_empty")


def test_from_frames_negative_number():
    frames = micro_frames()
    frames["origins"]["mining_cost_usd_per_t"] = [-10.0]
    exc = frames_invalid(frames)
    reported(exc, "origins.csv (DataFrame)", 2, "mining_cost_usd_per_t", "-10.0", "number")


def test_from_frames_nan_number():
    frames = micro_frames()
    frames["demand"]["demand_t"] = [float("nan")]
    exc = frames_invalid(frames)
    reported(exc, "demand.csv (DataFrame)", 2, "demand_t", "nan", "number")


def test_from_frames_text_number():
    frames = micro_frames()
    frames["ore_routes"]["freight_usd_per_t"] = ["5", "five"]
    exc = frames_invalid(frames)
    reported(exc, "ore_routes.csv (DataFrame)", 3, "freight_usd_per_t", "five", "number")


def test_from_frames_inf_rules():
    frames = micro_frames()
    frames["origins"]["supply_t"] = [math.inf]
    Network.from_frames(**frames)  # inf supply is fine
    frames["demand"]["demand_t"] = [math.inf]
    exc = frames_invalid(frames)
    reported(exc, "demand.csv (DataFrame)", 2, "demand_t", "inf", "number")


def test_from_frames_recovery_range():
    frames = micro_frames()
    frames["refiners"]["recovery"] = [1.0, 0.0]
    exc = frames_invalid(frames)
    reported(exc, "refiners.csv (DataFrame)", 3, "recovery", "0.0", "number")


def test_from_frames_duplicate_and_line_follows_to_csv():
    frames = micro_frames()
    # a non-default index: the line is still the row's position in to_csv(index=False)
    frames["ore_routes"] = pd.DataFrame(
        {"origin": ["A", "A", "A"], "refiner": ["R1", "R2", "R1"], "freight_usd_per_t": [5.0, 5.0, 6.0]},
        index=[10, 20, 30],
    )
    exc = frames_invalid(frames)
    problem = reported(exc, "ore_routes.csv (DataFrame)", 4, "origin/refiner", "A, R1", "unique_key")
    assert "already on line 2" in problem.expected


def test_from_frames_unknown_reference():
    frames = micro_frames()
    frames["product_routes"] = pd.DataFrame(
        {"refiner": ["R1", "R9"], "market": ["M", "M"], "freight_usd_per_t": [1.0, 2.0]}
    )
    exc = frames_invalid(frames)
    reported(exc, "product_routes.csv (DataFrame)", 3, "refiner", "R9", "reference")


def test_from_frames_shares_sum():
    frames = micro_frames()
    frames["composition"]["share"] = [0.5, 0.6]
    exc = frames_invalid(frames)
    problem = reported(exc, "composition.csv (DataFrame)", None, "share", "1.1 for origin A", "shares_sum")
    assert "origins.csv (DataFrame)" in problem.expected


def test_from_frames_demand_not_producible():
    frames = micro_frames()
    frames["composition"]["share"] = [0.0, 1.0]
    exc = frames_invalid(frames)
    reported(exc, "demand.csv (DataFrame)", 2, "product", "P1", "demand_producible")


def test_from_frames_recovery_override_unknown_product():
    frames = micro_frames()
    frames["recoveries"] = pd.DataFrame({"refiner": ["R1"], "product": ["P7"], "recovery": [0.9]})
    exc = frames_invalid(frames)
    reported(exc, "recoveries.csv (DataFrame)", 2, "product", "P7", "reference")


def test_from_frames_blank_optional_penalty_and_stripped_ids():
    frames = micro_frames()
    frames["demand"] = pd.DataFrame(
        {"market": [" M "], "product": ["P1 "], "demand_t": [40.0], "unmet_penalty_usd_per_t": [np.nan]}
    )
    network = Network.from_frames(**frames)
    assert network.demand["market"].tolist() == ["M"] and network.demand["product"].tolist() == ["P1"]
    assert network.demand["unmet_penalty_usd_per_t"].isna().all()


def test_from_frames_all_problems_at_once():
    frames = micro_frames()
    frames["origins"]["supply_t"] = [-1.0]
    frames["refiners"]["recovery"] = [1.0, 2.0]
    frames["demand"]["market"] = ["Q"]
    exc = frames_invalid(frames)
    assert len(exc.problems) >= 3
    assert {p.file for p in exc.problems} >= {
        "origins.csv (DataFrame)",
        "refiners.csv (DataFrame)",
        "demand.csv (DataFrame)",
    }


# --- bad input never reaches the solver ----------------------------------------------


def test_bad_input_never_reaches_the_solver(tmp_path, monkeypatch):
    import oreflow.solvers.highs

    class Reached(Exception):
        pass

    def boom(*args, **kwargs):
        raise Reached("the solver was called")

    monkeypatch.setattr(oreflow.solvers.highs, "solve_highs", boom)
    monkeypatch.setattr(oreflow.api, "build_lp", boom)
    folder = dataset(tmp_path, origins=csv("origins", "A,X,200,-10"))
    with pytest.raises(InputError) as info:
        oreflow.solve(folder)
    reported(info.value, "origins.csv", 2, "mining_cost_usd_per_t", "-10", "number")
    frames = micro_frames()
    frames["demand"]["demand_t"] = [-1.0]
    with pytest.raises(InputError):
        oreflow.solve(Network.from_frames(**frames))
    # the patch is live: a good dataset does reach it
    with pytest.raises(Reached):
        oreflow.solve(dataset(tmp_path / "good"))


def test_equal_ids_are_one_string_object():
    """Every CSV cell is read as a new string; ids are shared so that a table holds one
    string per distinct id (at 1e6 variables the ore routes' ids were ~40 MB otherwise)."""
    from conftest import BASELINE_DATASET

    network = load_inputs(BASELINE_DATASET)
    for table, column in (
        ("ore_routes", "origin"),
        ("ore_routes", "refiner"),
        ("composition", "product"),
        ("product_routes", "market"),
    ):
        values = getattr(network, table)[column]
        assert values.dtype == object, (table, column)
        assert len({id(v) for v in values}) == values.nunique(), (table, column)
