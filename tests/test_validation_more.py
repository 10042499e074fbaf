"""Reliability of validation (issue 12): a capped error list, warnings for what is accepted
but probably not meant, `validate` agreeing with `run`, and the wording of job-file errors."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import pandas as pd
import pytest
from test_sweep import policy_network

import oreflow
from conftest import BASELINE_DATASET, micro_frames, write_dataset, write_job
from oreflow.cli import main
from oreflow.job import Change, load_job
from oreflow.model.checks import FOLLOW_UP_RULES, RULE_READS, RULES, check_policies_cover_flows, check_references
from oreflow.model.errors import MAX_PROBLEMS, DatasetWarning, InputError, Problem, cap_problems
from oreflow.model.lp import build_lp
from oreflow.model.network import revalidated
from oreflow.model.reading import with_lines
from oreflow.model.tables import BAD, LINE, TABLES
from oreflow.scenarios import changed_network


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def error_lines(err: str) -> list[str]:
    """The problem lines of a printed InputError (the path in the heading left out)."""
    return [line for line in err.splitlines() if line.startswith("  ")]


# ---- 4: the error list is capped --------------------------------------------------------


def test_a_huge_bad_file_prints_fifty_problems_and_counts_the_rest(tmp_path: Path, capsys) -> None:
    folder = write_dataset(tmp_path / "data")
    rows = 100_000
    junk = "".join(f"junk{i},R1,x\n" for i in range(rows))  # unknown origin, freight not a number
    with open(folder / "ore_routes.csv", "a", encoding="utf-8") as f:
        f.write(junk)
    status, _, err = cli(capsys, "validate", str(folder))
    assert status == 1
    assert len(err) < 20_000  # not 100,000 lines
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(problems) == MAX_PROBLEMS
    assert f"{2 * rows:,} problem(s)" in err
    assert f"  ... and {2 * rows - MAX_PROBLEMS:,} more: 100,000 'reference', 99,950 'number'" in err

    with pytest.raises(InputError) as caught:
        oreflow.load_inputs(folder)
    assert caught.value.count == 2 * rows and len(caught.value.problems) == MAX_PROBLEMS
    assert caught.value.omitted == {"reference": rows, "number": rows - MAX_PROBLEMS}


def test_a_rule_builds_at_most_fifty_problems(tmp_path: Path) -> None:
    # the million-row case costs no million Problem objects in the rules: the rest are counted
    n = 100_000
    routes = pd.DataFrame({"origin": [f"o{i}" for i in range(n)], "refiner": "R1", LINE: range(2, n + 2), BAD: False})
    origins = pd.DataFrame({"origin": ["A"], LINE: [2], BAD: [False]})
    refiners = pd.DataFrame({"refiner": ["R1"], LINE: [2], BAD: [False]})
    tables = {"ore_routes": routes, "origins": origins, "refiners": refiners}
    found = check_references(tables, {name: f"{name}.csv" for name in tables})
    assert len(found) == MAX_PROBLEMS
    assert found[-1].more == n - MAX_PROBLEMS and found[0].more == 0
    assert found[0].expected == "an origin listed in origins.csv"


def test_cap_problems_and_the_count_line() -> None:
    problems = [Problem("f.csv", i, "c", "x", "a number", "number") for i in range(2, 130)]
    problems += [Problem("g.csv", 2, None, None, "something", "other", more=9)]
    kept = cap_problems(problems)
    assert len(kept) == MAX_PROBLEMS + 1
    assert kept[MAX_PROBLEMS - 1].more == 128 - MAX_PROBLEMS and kept[-1].more == 9
    error = InputError(kept)
    assert error.count == 128 + 10
    assert str(error).splitlines()[0] == "invalid input: 138 problem(s)"
    assert str(error).splitlines()[-1] == "  ... and 88 more: 78 'number', 10 'other'"
    assert InputError(problems).count == 138  # an uncapped list is capped the same way
    assert all(p.more == 0 for p in error.problems)  # what is not listed is in omitted
    again = InputError(error.problems, "re-raised", omitted=error.omitted)
    assert (again.count, again.omitted) == (error.count, error.omitted)
    small = InputError([Problem("f.csv", 2, None, None, "x", "r")])
    assert "more" not in str(small) and small.count == 1


# ---- 8: validate agrees with run ----------------------------------------------------------


def uncovered_tariff_and_bad_recovery(folder: Path) -> Path:
    frames = micro_frames()
    frames["refiners"].loc[0, "recovery"] = 1.5
    write_dataset(folder, frames)
    # Y -> X at the ore stage: no ore route goes from Y to X (A is in X)
    (folder / "tariffs.csv").write_text("from_country,to_country,stage,product,usd_per_t\nY,X,ore,,10\n")
    return folder


def test_validate_and_run_report_the_same_problems_with_lines(tmp_path: Path, capsys) -> None:
    folder = uncovered_tariff_and_bad_recovery(tmp_path / "data")
    status_v, out_v, err_v = cli(capsys, "validate", str(folder))
    status_r, _, err_r = cli(capsys, "run", str(folder), "--out", str(tmp_path / "out"))
    assert status_v == status_r == 1 and "valid —" not in out_v
    assert (
        error_lines(err_v)
        == error_lines(err_r)
        == [
            "  - refiners.csv, line 2, column 'recovery': got '1.5'; expected a number > 0 and <= 1",
            "  - tariffs.csv, line 2: got 'from_country=Y, to_country=X, stage=ore'; expected a policy row that "
            "covers at least one route of the dataset (this one covers none)",
        ]
    )
    assert not (tmp_path / "out").exists()


def test_validation_finds_uncovered_policies_before_any_lp(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        oreflow.load_inputs(uncovered_tariff_and_bad_recovery(tmp_path / "data"))
    found = {(p.file, p.line, p.rule) for p in caught.value.problems}
    assert found == {("refiners.csv", 2, "number"), ("tariffs.csv", 2, "policy_unused")}


def test_a_row_already_reported_is_not_also_reported_as_covering_nothing(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "data")
    (folder / "bans.csv").write_text("from_country,to_country,stage,product\nX,ZZ,ore,\nX,Y,metal,\n")
    with pytest.raises(InputError) as caught:
        oreflow.load_inputs(folder)
    assert [(p.line, p.rule) for p in caught.value.problems] == [(3, "choice"), (2, "reference")]


POLICIES = {
    "tariffs": pd.DataFrame(
        {
            "from_country": ["X", "Y", "X", "X", "*"],
            "to_country": ["Y", "X", "Y", "Y", "*"],
            "stage": ["ore", "ore", "product", "product", "product"],
            "product": ["", "", "P1", "P2", ""],  # M demands no P2: no shipment of P2 exists
            "usd_per_t": [1.0, 1.0, 1.0, 1.0, 1.0],
        }
    ),
    "bans": pd.DataFrame(
        {"from_country": ["X", "X;Y"], "to_country": ["X", "*"], "stage": ["ore", "product"], "product": ["", ""]}
    ),
    "quotas": pd.DataFrame(
        {
            "quota": ["q1", "q2", "q3", "q4"],
            "kind": ["refining", "export", "export", "mining"],
            "country": ["Z", "X", "Z", "X"],
            "product": ["", "P1", "P2", ""],
            "members": ["", "", "", ""],
            "limit_t": [10.0, 10.0, 10.0, 10.0],
        }
    ),
    "share_limits": pd.DataFrame(
        {
            "market": ["M", "M"],
            "product": ["P1", "P1"],
            "country": ["X", "Z"],
            "max_share": [0.5, 0.5],
            "min_share": [float("nan"), float("nan")],
        }
    ),
}


def test_validation_and_the_lp_agree_on_which_policy_rows_cover_nothing() -> None:
    # A (X) -> R1 (X), R2 (Z) -> M (Y), which demands P1 only
    frames = micro_frames()
    frames["refiners"].loc[1, "country"] = "Z"
    tables = {name: frame.assign(**{LINE: range(2, len(frame) + 2), BAD: False}) for name, frame in frames.items()}
    tables.update({n: f.assign(**{LINE: range(2, len(f) + 2), BAD: False}) for n, f in POLICIES.items()})
    by_validation = {
        (p.file, p.line, p.value) for p in check_policies_cover_flows(tables, {n: f"{n}.csv" for n in tables})
    }

    unchecked = dataclasses.replace(oreflow.Network.from_frames(**frames), **POLICIES)  # around validation
    with pytest.raises(InputError) as caught:
        build_lp(unchecked)
    by_lp = {(p.file, p.value) for p in caught.value.problems}
    assert {(file, value) for file, _, value in by_validation} == by_lp
    assert by_validation == {
        ("tariffs.csv", 2, "from_country=X, to_country=Y, stage=ore"),
        ("tariffs.csv", 3, "from_country=Y, to_country=X, stage=ore"),
        ("tariffs.csv", 5, "from_country=X, to_country=Y, stage=product, product=P2"),
        ("bans.csv", 3, "from_country=X;Y, to_country=*, stage=product"),
        ("quotas.csv", 4, "quota=q3"),
    }
    with pytest.raises(InputError) as caught:  # and from_frames reports the same rows
        oreflow.Network.from_frames(**frames, **POLICIES)
    assert {(p.file.removesuffix(" (DataFrame)"), p.line, p.value) for p in caught.value.problems} == by_validation


# ---- 7: accepted, but with a word ----------------------------------------------------------


def test_a_misspelled_file_is_warned_about_with_the_name_meant(tmp_path: Path, capsys) -> None:
    folder = write_dataset(tmp_path / "data")
    (folder / "tarifs.csv").write_text("from_country,to_country,stage,product,usd_per_t\nX,Y,ore,,10\n")
    (folder / "sources.csv").write_text("table,note\norigins,a source\n")  # the dataset's own notes: no word
    network = oreflow.load_inputs(folder)
    assert [(w.file, w.rule) for w in network.warnings] == [("tarifs.csv", "unknown_file")]
    assert "did you mean tariffs.csv?" in network.warnings[0].message

    status, out, err = cli(capsys, "validate", str(folder))
    assert status == 0 and "valid" in out
    expected = "warning: tarifs.csv: not a table oreflow reads, so it is ignored; did you mean tariffs.csv?"
    assert err.splitlines() == [expected]
    status, _, err = cli(capsys, "run", str(folder), "--out", str(tmp_path / "out"), "--quiet")
    assert status == 0 and err.splitlines() == [expected]

    with pytest.warns(DatasetWarning, match="did you mean tariffs.csv"):
        oreflow.solve(folder)


def test_isolated_origin_refiner_and_market_are_warned_about(tmp_path: Path, capsys) -> None:
    frames = micro_frames()
    b = pd.DataFrame({"origin": ["B"], "country": ["X"], "supply_t": [5.0], "mining_cost_usd_per_t": [1.0]})
    frames["origins"] = pd.concat([frames["origins"], b])
    frames["composition"] = pd.concat(
        [frames["composition"], pd.DataFrame({"origin": ["B"], "product": ["P1"], "share": [1.0]})]
    )
    frames["markets"] = pd.DataFrame({"market": ["M", "N"], "country": ["Y", "Y"]})
    frames["demand"] = pd.DataFrame({"market": ["M", "N"], "product": ["P1", "P1"], "demand_t": [40.0, 1.0]})
    frames["product_routes"] = frames["product_routes"].iloc[:1]  # R2 ships nowhere
    folder = write_dataset(tmp_path / "data", frames)
    network = oreflow.load_inputs(folder)
    assert [str(w) for w in network.warnings] == [
        "origins.csv, line 3: origin 'B' has no ore route (ore_routes.csv): its ore cannot be used",
        "refiners.csv, line 3: refiner 'R2' has no product route out (product_routes.csv): "
        "its output cannot reach a market",
        "markets.csv, line 3: market 'N' has no product route in (product_routes.csv): "
        "nothing can reach it, so any demand there goes unmet",
    ]
    status, _, err = cli(capsys, "validate", str(folder))
    assert status == 0 and err.splitlines() == [f"warning: {w}" for w in network.warnings]
    from_frames = oreflow.Network.from_frames(**frames)
    files = ["origins.csv (DataFrame)", "refiners.csv (DataFrame)", "markets.csv (DataFrame)"]
    assert [w.file for w in from_frames.warnings] == files
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oreflow.solve(from_frames)
    assert [str(w.message) for w in caught if w.category is DatasetWarning] == [str(w) for w in from_frames.warnings]


def test_a_complete_dataset_has_no_warnings(micro_dataset: Path) -> None:
    assert oreflow.load_inputs(micro_dataset).warnings == ()


# ---- 9: wording -------------------------------------------------------------------------------

TWO_NAMED_A = """
[[scenarios]]
name = "a"
changes = [ { action = "remove", table = "bans" } ]

[[scenarios]]
name = "A"
changes = [ { action = "remove", table = "bans" } ]
"""


def job_problems(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_job(path)
    return caught.value.problems


def test_a_duplicate_scenario_name_names_the_duplicate_and_its_line(tmp_path: Path, micro_dataset: Path) -> None:
    path = write_job(tmp_path / "job.toml", "micro", "out", TWO_NAMED_A)
    (problem,) = job_problems(path)
    assert (problem.line, problem.column, problem.value) == (9, "scenarios.1.name", "A")
    assert "'a' is already on line 5" in problem.expected and "unique" in problem.expected
    assert "dataset" not in str(problem)  # not the whole job


def test_duplicate_and_reserved_names_in_inline_tables(tmp_path: Path, micro_dataset: Path) -> None:
    extra = (
        'name = "a"\nscenarios = [\n'
        '  { name = "a", changes = [ { action = "remove", table = "bans" } ] },\n'
        '  { name = "a", changes = [ { action = "remove", table = "bans" } ] },\n'
        '  { name = "Base", changes = [ { action = "remove", table = "bans" } ] },\n]\n'
    )
    problems = job_problems(write_job(tmp_path / "job.toml", "micro", "out", extra))
    assert [(p.line, p.column, p.value) for p in problems] == [
        (6, "scenarios.1.name", "a"),
        (7, "scenarios.2.name", "Base"),
    ]
    assert "base, comparison.csv, summary.json" in problems[1].expected


def test_the_scenario_name_pattern_is_shown_as_written(tmp_path: Path, micro_dataset: Path) -> None:
    extra = '[[scenarios]]\nname = "a b"\nchanges = [ { action = "remove", table = "bans" } ]\n'
    (problem,) = job_problems(write_job(tmp_path / "job.toml", "micro", "out", extra))
    assert "a string matching the pattern ^[A-Za-z0-9][A-Za-z0-9_.-]*$" in problem.expected


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("unmet_penalty_usd_per_t = -1\n", "a number > 0 for key 'unmet_penalty_usd_per_t'"),
        ("ranging = 3\n", "a boolean (true or false) for key 'ranging'"),
        ('backend = "cplex"\n', "'highs' or 'pyomo' for key 'backend'"),
        (
            "[solver_options]\ntime_limit = [1]\n",
            "a boolean (true or false), a whole number, a number or a string (in quotes)",
        ),
        (
            '[sweep]\nprices = ["nope"]\nparameters = [{ name = "p", table = "refiners", column = "capacity_t", '
            "values = [1] }]\n",
            "one of 'supply', 'capacity'",
        ),
    ],
)
def test_pydantic_phrasing_is_rephrased(tmp_path: Path, micro_dataset: Path, extra: str, expected: str) -> None:
    (problem,) = job_problems(write_job(tmp_path / "job.toml", "micro", "out", extra))
    assert expected in problem.expected
    assert "should" not in problem.expected.lower() and "input" not in problem.expected.lower()


def test_reference_problems_use_the_right_article(tmp_path: Path) -> None:
    frames = micro_frames()
    frames["ore_routes"].loc[1, "refiner"] = "R9"
    with pytest.raises(InputError) as caught:
        oreflow.Network.from_frames(**frames)
    (problem,) = caught.value.problems
    assert problem.expected == "a refiner listed in refiners.csv (DataFrame)"


# ---- revalidating only what changed ----------------------------------------------------


class _Recording(dict):
    """The tables a rule is given, recording which it reads (iterating them: all)."""

    def __init__(self, tables: dict) -> None:
        super().__init__(tables)
        self.read: set[str] = set()
        self.every = False

    def __getitem__(self, key: str):  # noqa: ANN204
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default=None):  # noqa: ANN001, ANN201
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)

    def items(self):  # noqa: ANN201
        self.every = True
        return super().items()

    def __iter__(self):  # noqa: ANN204
        self.every = True
        return super().__iter__()


def _rule_tables(network: oreflow.Network) -> dict[str, pd.DataFrame]:
    return {spec.name: with_lines(getattr(network, spec.name)) for spec in TABLES}


def test_each_rule_reads_only_the_tables_it_declares() -> None:
    """checks.RULE_READS is what Network revalidation trusts: a rule whose tables did not
    change is not run again. Each rule is run on datasets with every table filled (the
    default dataset with every kind of policy row, the micro model) and may read no other."""
    members = Change(  # quotas with members: every branch of check_quota_members reads its tables
        action="add",
        table="quotas",
        rows=[
            {"quota": "baotou", "kind": "refining", "country": "CN", "members": "CN_Baotou", "limit_t": 1e5},
            {"quota": "bayan", "kind": "mining", "country": "CN", "members": "CN_BayanObo", "limit_t": 1e5},
        ],
    )
    datasets = [
        oreflow.load_inputs(BASELINE_DATASET),
        policy_network(),
        changed_network(policy_network(), [members], "members"),
        oreflow.Network.from_frames(**micro_frames()),
    ]
    assert set(RULE_READS) == {*RULES, *FOLLOW_UP_RULES}
    for rule in (*RULES, *FOLLOW_UP_RULES):
        declared = RULE_READS[rule]
        for network in datasets:
            plain = _rule_tables(network)
            tables = _Recording(plain)
            rule(tables, {name: name for name in plain})
            if declared is None:
                continue
            assert not tables.every, f"{rule.__name__} reads every table but declares {sorted(declared)}"
            assert tables.read <= declared, f"{rule.__name__} reads {sorted(tables.read - declared)} undeclared"


def test_revalidating_changed_tables_equals_validating_the_whole() -> None:
    """Network revalidation (only the changed tables' cells and the rules reading them) gives
    the network, and for bad rows the problems, that validating every table gives."""
    base = oreflow.load_inputs(BASELINE_DATASET)
    cases = [
        [Change(action="add", table="tariffs", rows=[{"from_country": "CN", "to_country": "US", "usd_per_t": 9.0}])],
        [Change(action="add", table="bans", rows=[{"from_country": "CN", "to_country": "US", "stage": "product"}])],
        [Change(action="remove", table="ore_routes", where={"origin": "MM_Kachin_IAC"})],
        [Change(action="add", table="share_limits", rows=[{"market": "US", "product": "NdPr", "country": "CN"}])],
        [Change(action="add", table="tariffs", rows=[{"from_country": "XX", "to_country": "US", "usd_per_t": -1}])],
        [Change(action="add", table="quotas", rows=[{"quota": "q", "kind": "export", "country": "AU", "limit_t": 5}])],
    ]
    for changes in cases:
        raw = changed_network(base, changes, "t")
        touched = {c.table for c in changes}
        try:
            whole = oreflow.Network.from_frames(**{spec.name: getattr(raw, spec.name) for spec in TABLES})
        except InputError as exc:
            with pytest.raises(InputError) as caught:
                revalidated(base, {name: getattr(raw, name) for name in touched})
            assert [str(p) for p in caught.value.problems] == [str(p) for p in exc.problems]
            continue
        fast = revalidated(base, {name: getattr(raw, name) for name in touched})
        for spec in TABLES:
            pd.testing.assert_frame_equal(getattr(fast, spec.name), getattr(whole, spec.name), check_dtype=True)
        assert fast.source == base.source and fast.file_hashes == base.file_hashes
    # a rule reading a table that changed runs again, though the table it reports on did not
    member = {"quota": "baotou", "kind": "refining", "country": "CN", "members": "CN_Baotou", "limit_t": 1e5}
    with_quota = oreflow.Network.from_frames(
        **{
            spec.name: getattr(
                changed_network(base, [Change(action="add", table="quotas", rows=[member])], "t"), spec.name
            )
            for spec in TABLES
        }
    )
    moved = Change(action="set", table="refiners", column="country", where={"refiner": "CN_Baotou"}, value="MY")
    with pytest.raises(InputError, match="quota"):
        revalidated(with_quota, {"refiners": changed_network(with_quota, [moved], "t").refiners})
