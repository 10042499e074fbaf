"""Time paths (paths.csv): interpolation, selection, validation, and each year's network."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import oreflow
from conftest import micro_frames
from oreflow.model.errors import InputError, Problem
from oreflow.model.network import Network
from oreflow.model.paths import (
    PATHS_FILE,
    Paths,
    TimePath,
    check_paths,
    network_for_year,
    parse_where,
    paths_from_frame,
    read_paths,
    touched_columns,
    value_at,
)

HEADER = "path,table,column,where,mode,between,2024,2027,2030,2035,note"


def micro() -> Network:
    return Network.from_frames(**micro_frames())


def with_quotas() -> Network:
    """The micro model with two quotas on X: refining (blank product) and P1 exports."""
    frames = micro_frames()
    frames["quotas"] = pd.DataFrame(
        {
            "quota": ["qa", "qb"],
            "kind": ["refining", "export"],
            "country": ["X", "X"],
            "product": ["", "P1"],
            "members": ["", ""],
            "limit_t": [500.0, 400.0],
        }
    )
    return Network.from_frames(**frames)


def write_paths(folder: Path, *lines: str, header: str = HEADER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PATHS_FILE
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def problems_of(path: Path, network: Network | None = None) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        read_paths(path, network)
    return caught.value.problems


def one(path: Path, network: Network | None = None) -> Problem:
    found = problems_of(path, network)
    assert len(found) == 1, found
    return found[0]


def timepath(mode: str, between: str, years: tuple[int, ...], values: tuple[float, ...]) -> TimePath:
    return TimePath("p", "origins", "supply_t", (), mode, between, years, values, line=2)


# ---- interpolation ---------------------------------------------------------------------------


def test_linear_between_exact_before_and_after() -> None:
    path = timepath("scale", "linear", (2024, 2030, 2035), (1.0, 1.6, 1.1))
    assert value_at(path, 2024) == 1.0  # exact given years
    assert value_at(path, 2030) == 1.6
    assert value_at(path, 2035) == 1.1
    assert value_at(path, 2027) == pytest.approx(1.3)  # halfway
    assert value_at(path, 2026) == pytest.approx(1.0 + 0.6 * 2 / 6)
    assert value_at(path, 2033) == pytest.approx(1.6 - 0.5 * 3 / 5)
    assert value_at(path, 2020) == 1.0  # before the first: factor 1
    assert value_at(path, 2050) == 1.1  # after the last: the last value


def test_step_holds_the_latest_given_value() -> None:
    path = timepath("set", "step", (2024, 2027, 2035), (254000.0, 270000.0, 300000.0))
    assert value_at(path, 2023) is None  # before the first: the base value holds
    assert value_at(path, 2024) == 254000.0
    assert value_at(path, 2026) == 254000.0
    assert value_at(path, 2027) == 270000.0
    assert value_at(path, 2034) == 270000.0
    assert value_at(path, 2035) == 300000.0
    assert value_at(path, 2100) == 300000.0


def test_scale_before_first_year_is_one_and_set_is_none() -> None:
    assert value_at(timepath("scale", "step", (2030,), (0.0,)), 2029) == 1.0
    assert value_at(timepath("scale", "linear", (2030,), (0.0,)), 2031) == 0.0
    assert value_at(timepath("set", "linear", (2030,), (5.0,)), 2029) is None


def test_linear_stays_within_its_values_and_inf_holds() -> None:
    path = timepath("set", "linear", (2024, 2031), (0.1, 0.3))
    for year in range(2024, 2032):
        assert 0.1 <= value_at(path, year) <= 0.3
    assert value_at(timepath("set", "linear", (2024, 2030), (math.inf, math.inf)), 2027) == math.inf


# ---- reading, set and scale, where -----------------------------------------------------------


def test_read_paths_keeps_lines_years_and_defaults(tmp_path: Path) -> None:
    path = write_paths(
        tmp_path,
        "demand_growth,demand,demand_t,,scale,,1,,1.35,1.8,brief 2c",
        "",  # a blank line is skipped, lines still count
        'cap,refiners,capacity_t,refiner=R1,set,step,60,80,,100,"a note',
        'on two lines"',
        "shares,composition,share,origin=A&product=P1;P2,scale,linear,,,1,,",
    )
    paths = read_paths(path)
    assert [p.name for p in paths] == ["demand_growth", "cap", "shares"]
    assert [p.line for p in paths] == [2, 4, 6]
    growth, cap, shares = paths
    assert growth.between == "linear" and growth.where == () and growth.years == (2024, 2030, 2035)
    assert growth.values == (1.0, 1.35, 1.8)
    assert cap.mode == "set" and cap.between == "step" and cap.where == (("refiner", ("R1",)),)
    assert shares.where == (("origin", ("A",)), ("product", ("P1", "P2")))
    assert paths.years == (2024, 2027, 2030, 2035)
    assert paths.label == PATHS_FILE
    assert touched_columns(paths) == (("demand", "demand_t"), ("refiners", "capacity_t"), ("composition", "share"))


def test_paths_from_frame_takes_int_year_columns() -> None:
    frame = pd.DataFrame(
        {
            "path": ["p"],
            "table": ["origins"],
            "column": ["supply_t"],
            "mode": ["scale"],
            2024: [1.0],
            2030: [float("nan")],
            2035: [0.5],
        }
    )
    paths = paths_from_frame(frame)
    assert paths.paths[0].years == (2024, 2035) and paths.paths[0].values == (1.0, 0.5)
    assert paths.label == "paths.csv (DataFrame)"
    frame.loc[0, 2035] = -1.0
    with pytest.raises(InputError) as caught:
        paths_from_frame(frame, label="plan paths")
    assert [(p.file, p.line, p.column) for p in caught.value.problems] == [("plan paths", 2, "2035")]


def test_set_and_scale_over_the_years(tmp_path: Path) -> None:
    base = micro()
    paths = read_paths(
        write_paths(
            tmp_path,
            "supply,origins,supply_t,,scale,linear,1,,1.5,2,",
            "cap,refiners,capacity_t,refiner=R1,set,step,,80,,100,",
            "cap_up,refiners,capacity_t,refiner=R1,scale,step,,,1.5,,after the set: multiplies it",
        ),
        base,
    )
    supply = {year: network_for_year(base, paths, year).origins["supply_t"].tolist() for year in (2020, 2027, 2035)}
    assert supply == {2020: [200.0], 2027: [250.0], 2035: [400.0]}
    capacity = {year: network_for_year(base, paths, year).refiners["capacity_t"].tolist() for year in range(2024, 2037)}
    assert capacity[2024] == [60.0, math.inf]  # before the set's first year: the base value
    assert capacity[2027] == capacity[2029] == [80.0, math.inf]
    assert capacity[2030] == capacity[2034] == [120.0, math.inf]  # 80 x 1.5: the scale acts on the set value
    assert capacity[2035] == capacity[2036] == [150.0, math.inf]
    assert base.refiners["capacity_t"].tolist() == [60.0, math.inf]  # the base is not changed


def test_scale_by_zero_closes_an_infinite_capacity(tmp_path: Path) -> None:
    base = micro()
    paths = read_paths(write_paths(tmp_path, "shut,refiners,capacity_t,refiner=R2,scale,step,1,0,,,"), base)
    assert network_for_year(base, paths, 2027).refiners["capacity_t"].tolist() == [60.0, 0.0]


def test_where_with_and_alternatives_and_blank(tmp_path: Path) -> None:
    base = with_quotas()
    paths = read_paths(
        write_paths(
            tmp_path,
            "both,quotas,limit_t,quota=qa;qb&country=X,set,step,100,,,,",
            "one,composition,share,origin=A&product=P1,scale,step,1,,,,",
            "all,ore_routes,freight_usd_per_t,,scale,step,2,,,,",
            "blank_product,quotas,limit_t,product=&quota=qa;qb,scale,step,,,3,,",
        ),
        base,
    )
    network = network_for_year(base, paths, 2030)
    assert network.quotas["limit_t"].tolist() == [300.0, 100.0]  # the set, then x 3 on qa only
    assert network.ore_routes["freight_usd_per_t"].tolist() == [10.0, 10.0]
    assert parse_where("market = US ; EU & product=NdPr") == ((("market", ("US", "EU")), ("product", ("NdPr",))), None)
    assert parse_where("product=") == ((("product", ("",)),), None)  # rows whose product is blank
    assert parse_where("") == ((), None)


@pytest.mark.parametrize(
    "where",
    ["market", "=US", "market=US=EU", "market=US&market=EU", "market=US;;EU", "market=US;"],
)
def test_bad_where_syntax(where: str) -> None:
    conditions, reason = parse_where(where)
    assert conditions == () and reason


def test_network_for_year_solves(tmp_path: Path) -> None:
    """Ore at A falls to 50 t in 2030: R1 (recovery 1) makes 25 t of P1, 15 t go unmet."""
    base = micro()
    paths = read_paths(write_paths(tmp_path, "mine,origins,supply_t,origin=A,set,step,200,,50,,"), base)
    solved = {year: oreflow.solve(network_for_year(base, paths, year)) for year in (2024, 2030)}
    assert solved[2024].unmet["unmet_t"].sum() == pytest.approx(0.0)
    assert solved[2030].unmet["unmet_t"].sum() == pytest.approx(15.0)


def test_no_paths_is_the_network_itself() -> None:
    base = micro()
    assert network_for_year(base, Paths(), 2030) is base


# ---- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "column", "rule", "expected"),
    [
        ("p,origins,supply_t,,scale,linear,1,,x,,", "2030", "paths_factor", "a factor"),
        ("p,origins,supply_t,,set,linear,1,,x,,", "2030", "number", "a number >= 0"),
        ("p,refiners,recovery,refiner=R1,set,step,1,,1.5,,", "2030", "number", "<= 1"),
        ("p,origins,supply_t,,scale,linear,1,-0.5,,,", "2027", "paths_factor", "a number >= 0"),
        ("p,origins,supply_t,,scale,linear,1,inf,,,", "2027", "paths_factor", "a number >= 0"),
        ("p,origins,supply_t,,scale,linear,1,nan,,,", "2027", "paths_factor", "a number >= 0"),
        ("p,origins,supply_t,,sset,linear,1,,,,", "mode", "choice", "set or scale"),
        ("p,origins,supply_t,,,linear,1,,,,", "mode", "choice", "set or scale"),
        ("p,origins,supply_t,,scale,smooth,1,,,,", "between", "choice", "linear or step"),
        ("p,origin,supply_t,,scale,linear,1,,,,", "table", "paths_table", "one of the tables origins"),
        ("p,origins,supply,,scale,linear,1,,,,", "column", "paths_column", "a number column of origins.csv"),
        ("p,origins,country,,set,linear,1,,,,", "column", "paths_column", "not an id column"),
        ("p,origins,supply_t,origin,scale,linear,1,,,,", "where", "paths_where", "column=value"),
        ("p,origins,supply_t,supply_t=200,scale,linear,1,,,,", "where", "paths_where", "id columns of origins.csv"),
        ("p,origins,supply_t,mine=A,scale,linear,1,,,,", "where", "paths_where", "id columns of origins.csv"),
        ("p,origins,supply_t,,scale,linear,,,,,", None, "paths_values", "at least one year"),
        ("p,origins,supply_t,,set,linear,100,inf,,,", "2027", "paths_linear_inf", "use between=step"),
        ('"",origins,supply_t,,scale,linear,1,,,,', "path", "id_present", "a non-empty path name"),
    ],
)
def test_each_problem_names_file_line_and_column(
    tmp_path: Path, line: str, column: str | None, rule: str, expected: str
) -> None:
    problem = one(write_paths(tmp_path, "ok,demand,demand_t,,scale,linear,1,,,,", line))
    assert (problem.file, problem.line, problem.column, problem.rule) == (PATHS_FILE, 3, column, rule)
    assert expected in problem.expected
    if column and column.isdigit():
        assert str(problem).startswith(f"paths.csv, line 3, column '{column}': got ")


def test_set_inf_passes_where_the_column_allows_it(tmp_path: Path) -> None:
    paths = read_paths(write_paths(tmp_path, "p,origins,supply_t,,set,step,100,inf,,,"))
    assert value_at(paths.paths[0], 2030) == math.inf
    problem = one(write_paths(tmp_path, "p,origins,mining_cost_usd_per_t,,set,step,100,inf,,,"))
    assert (problem.line, problem.column, problem.value) == (2, "2027", "inf")


def test_all_problems_come_together(tmp_path: Path) -> None:
    found = problems_of(
        write_paths(
            tmp_path,
            "p,origins,supply_t,,scale,linear,1,,x,-1,",
            "p,nowhere,supply_t,,grow,linear,1,,,,",
        )
    )
    assert [(p.line, p.column) for p in found] == [(2, "2030"), (2, "2035"), (3, "path"), (3, "table"), (3, "mode")]
    assert "already on line 2" in found[2].expected


def test_header_problems(tmp_path: Path) -> None:
    missing = one(write_paths(tmp_path, "p,origins,supply_t,scale,1", header="path,table,column,mode_,2024"))
    assert (missing.line, missing.column, missing.rule) == (1, "mode", "column_present")
    no_year = one(write_paths(tmp_path, "p,origins,supply_t,scale,1", header="path,table,column,mode,y2024"))
    assert (no_year.line, no_year.column, no_year.rule) == (1, None, "paths_year")
    found = problems_of(
        write_paths(tmp_path, "p,origins,supply_t,scale,1,2,3", header="path,table,column,mode,2024,2024.0,2024")
    )
    assert [(p.line, p.column, p.rule) for p in found] == [(1, "2024.0", "paths_year"), (1, "2024", "paths_header")]
    old = one(write_paths(tmp_path, "p,origins,supply_t,scale,1,2", header="path,table,column,mode,1850,2030"))
    assert (old.column, old.rule) == ("1850", "paths_year")
    # extra columns (a note, a source) are ignored
    read_paths(write_paths(tmp_path, "p,origins,supply_t,scale,1,x", header="path,table,column,mode,2024,source"))


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_paths(tmp_path / PATHS_FILE)
    assert caught.value.problems[0].rule == "file_present"
    (tmp_path / PATHS_FILE).write_bytes(HEADER.encode() + b"\np,origins,supply_t,,scale,,1,,,,caf\xe9\n")
    found = problems_of(tmp_path / PATHS_FILE)
    assert found[0].file == PATHS_FILE and found[1].line == 2 and found[1].rule == "encoding"


def test_where_matching_nothing_needs_the_network(tmp_path: Path) -> None:
    path = write_paths(
        tmp_path,
        "ok,refiners,capacity_t,refiner=R1;R2,scale,step,1,,,,",
        "typo,refiners,capacity_t,refiner=R1;R3,scale,step,1,,,,",
        "none,refiners,capacity_t,refiner=R1&country=Y,scale,step,1,,,,",
        "empty,quotas,limit_t,,scale,step,1,,,,",
    )
    paths = read_paths(path)  # without a network: the format only
    found = problems_of(path, micro())
    assert [(p.file, p.line, p.column, p.rule) for p in found] == [
        (PATHS_FILE, 3, "where", "paths_selects_nothing"),
        (PATHS_FILE, 4, "where", "paths_selects_nothing"),
        (PATHS_FILE, 5, "where", "paths_selects_nothing"),
    ]
    assert "refiner=R3" in found[0].expected and found[0].value == "refiner=R1;R3"
    assert "matches rows of refiners.csv" in found[1].expected
    assert check_paths(paths, micro()) == found
    with pytest.raises(InputError) as caught:
        network_for_year(micro(), paths, 2030)
    assert caught.value.problems == found


def test_overlapping_set_paths_name_both_lines(tmp_path: Path) -> None:
    path = write_paths(
        tmp_path,
        "a,quotas,limit_t,quota=qa,set,step,100,,,,",
        "scaled,quotas,limit_t,,scale,step,2,,,,",  # a scale on the same rows is fine
        "b,quotas,limit_t,country=X,set,step,,200,,,",
        "c,quotas,limit_t,quota=qb,set,step,300,,,,",  # qb only, also set by b
    )
    found = problems_of(path, with_quotas())
    assert [(p.line, p.column, p.rule) for p in found] == [(4, "where", "paths_overlap"), (5, "where", "paths_overlap")]
    assert "path 'a' on line 2 sets 1 of the same rows" in found[0].expected
    assert "path 'b' on line 4" in found[1].expected
    read_paths(
        write_paths(tmp_path, "a,quotas,limit_t,quota=qa,set,step,1,,,,", "b,quotas,limit_t,quota=qb,set,step,2,,,,"),
        with_quotas(),
    )


# ---- re-validation per year -------------------------------------------------------------------------


def test_a_rule_broken_only_in_one_year_is_labelled_with_it(tmp_path: Path) -> None:
    """P1's share rises to 0.7 in 2030 while P2 stays 0.5: the shares of A sum to 1.2 then only."""
    base = micro()
    paths = read_paths(write_paths(tmp_path, "richer,composition,share,origin=A&product=P1,set,step,,,0.7,0.5,"), base)
    assert network_for_year(base, paths, 2027).composition["share"].tolist() == [0.5, 0.5]
    assert network_for_year(base, paths, 2035).composition["share"].tolist() == [0.5, 0.5]
    with pytest.raises(InputError) as caught:
        network_for_year(base, paths, 2030)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.column, problem.rule) == (
        "composition.csv [2030]",
        None,
        "share",
        "shares_sum",
    )
    assert "changed by path 'richer' (paths.csv, line 2)" in problem.expected
    assert "2030" in str(caught.value).splitlines()[0]


def test_a_scaled_cell_out_of_range_names_the_year_and_the_path(tmp_path: Path) -> None:
    base = micro()
    paths = read_paths(
        write_paths(
            tmp_path,
            "better,refiners,recovery,,scale,linear,1,,1.2,,",
            "cheaper,refiners,processing_cost_usd_per_t,refiner=R2,scale,step,1,,,,",
        ),
        base,
    )
    assert network_for_year(base, paths, 2024).refiners["recovery"].tolist() == [1.0, 0.5]
    with pytest.raises(InputError) as caught:
        network_for_year(base, paths, 2027)  # R1: 1.0 x 1.1
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.column, problem.rule) == (
        "refiners.csv [2027]",
        2,
        "recovery",
        "number",
    )
    assert problem.expected.endswith("the value comes from path 'better' (paths.csv, line 2)")
    assert len(caught.value.problems) == 1  # R2: 0.5 x 1.1 is fine
