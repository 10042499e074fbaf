"""Excel in and out (issue 15; docs/excel.md): workbook datasets, the template, conversion both
ways without loss, and results.xlsx of a run, a plan and a batch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from conftest import BAN_AND_INFEASIBLE, REPO, write_dataset, write_job
from oreflow import outputs
from oreflow.cli import main
from oreflow.errors import InputError
from oreflow.excel import headers, sheet_names, unit_of, write_results_xlsx
from oreflow.job import load_job, market_options
from oreflow.manifest import KINDS, RESULTS_XLSX
from oreflow.model.network import load_inputs
from oreflow.model.paths import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from oreflow.model.tables import PLANNING_TABLES, TABLES
from oreflow.model.workbook import PATHS_COLUMNS, SheetProblem, folder_to_workbook, workbook_to_folder
from oreflow.plan_cases import PlanBase
from oreflow.planning import solve_plan

DEFAULT = REPO / "inputs" / "rare_earths_2024"
PLAN = REPO / "inputs" / "rare_earths_2024_2035"


def assert_same_network(a: object, b: object) -> None:
    """Two networks hold equal tables, table by table (values, dtypes, order)."""
    for spec in TABLES:
        pd.testing.assert_frame_equal(getattr(a, spec.name), getattr(b, spec.name), obj=spec.name)


def problems_of(book: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_inputs(book)
    return info.value


def shown(exc: InputError) -> list[str]:
    return [str(p) for p in exc.problems]


@pytest.fixture
def micro_book(tmp_path: Path) -> Path:
    """The micro model (tests/conftest.py) as a workbook, micro.xlsx."""
    folder = write_dataset(tmp_path / "micro")
    return folder_to_workbook(folder, tmp_path / "micro.xlsx").written


# ---- Excel in: a workbook dataset -----------------------------------------------------------------


def test_default_dataset_round_trips_through_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Folder -> workbook -> folder: the networks are equal table by table, and every file comes back
    byte for byte (the shipped CSV files are written in the canonical form docs/excel.md defines)."""
    book, back = tmp_path / "rare_earths_2024.xlsx", tmp_path / "back"
    assert main(["convert", str(DEFAULT), str(book)]) == 0
    assert main(["convert", str(book), str(back)]) == 0
    out = capsys.readouterr().out
    assert "into the workbook" in out and "into the folder" in out and "oreflow validate" in out

    original = load_inputs(DEFAULT)
    from_book = load_inputs(book)
    assert_same_network(from_book, original)
    assert from_book.source == book.resolve() and list(from_book.file_hashes) == [book.name]
    assert from_book.warnings == original.warnings == ()
    assert_same_network(load_inputs(back), original)

    assert sorted(p.name for p in back.iterdir()) == sorted(p.name for p in DEFAULT.iterdir())
    for path in DEFAULT.iterdir():  # tables, sources.csv, observed.csv and README.md
        assert (back / path.name).read_bytes() == path.read_bytes(), path.name

    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[:8] == [s.name for s in TABLES if (DEFAULT / s.file).is_file()][:8]
    origins = wb["origins"]
    assert [c.value for c in origins[1]] == [
        "origin",
        "country",
        "supply_t [t REO/yr]",
        "mining_cost_usd_per_t [USD/t REO]",
        "note",
    ]
    assert origins.freeze_panes == "A2"
    assert isinstance(origins["C2"].value, int) and isinstance(origins["A2"].value, str)  # numbers stay numbers
    assert wb["composition"]["C2"].data_type == "n"
    assert isinstance(wb["observed"]["B2"].value, float)  # an extra file's number, written back unchanged


def test_plan_dataset_round_trip_solves_to_the_same_plan(tmp_path: Path) -> None:
    """The plan dataset (paths and planning tables as sheets) gives the same paths, planning tables
    and plan objective from its workbook as from its folder; and comes back byte for byte."""
    book = folder_to_workbook(PLAN, tmp_path / "plan.xlsx").written
    job = load_job(REPO / "inputs" / "plan_2035.toml").job
    objectives, bases = [], []
    for source in (PLAN, book):
        base = PlanBase.read(load_inputs(source), job.horizon.horizon())
        networks, planning = base.inputs()
        objectives.append(solve_plan(networks, base.horizon, planning, market_options(job), ranging=False).objective)
        bases.append(base)
    assert objectives[0] == objectives[1]
    assert bases[1].paths.paths == bases[0].paths.paths and len(bases[1].paths) == 12  # same rows, same lines
    assert bases[1].paths.label == "plan.xlsx [paths]"
    for name in ("builds", "build_limits", "stockpiles"):
        pd.testing.assert_frame_equal(getattr(bases[1].planning, name), getattr(bases[0].planning, name))

    back = workbook_to_folder(book, tmp_path / "back").written
    for path in PLAN.iterdir():
        assert (back / path.name).read_bytes() == path.read_bytes(), path.name


def test_bad_cells_are_named_by_sheet_row_and_column(micro_book: Path) -> None:
    wb = openpyxl.load_workbook(micro_book)
    wb["origins"]["C2"] = -3  # supply_t
    wb["refiners"]["D3"] = "cheap"  # processing_cost_usd_per_t of R2
    wb["demand"]["A2"] = None  # market
    wb["composition"].insert_rows(2)  # a blank row: the rows below keep their spreadsheet numbers
    wb["composition"]["C4"] = 1.5  # share of P2, now on row 4
    wb.save(micro_book)
    exc = problems_of(micro_book)
    assert all(isinstance(p, SheetProblem) for p in exc.problems)
    text = shown(exc)
    assert (
        "micro.xlsx [origins], row 2, column 'supply_t': got '-3'; expected a number >= 0 and below 1e9 (or inf)"
    ) in text
    assert "micro.xlsx [refiners], row 3, column 'processing_cost_usd_per_t': got 'cheap'; " in "\n".join(text)
    assert "micro.xlsx [demand], row 2, column 'market': got ''; expected a non-empty id" in text
    assert any(t.startswith("micro.xlsx [composition], row 4, column 'share': got '1.5'") for t in text)
    assert "line" not in str(exc).split(":", 1)[1]  # rows throughout, never lines


def test_missing_sheet_unknown_column_and_wrong_unit_are_named(micro_book: Path) -> None:
    wb = openpyxl.load_workbook(micro_book)
    wb["markets"].title = "market"  # the sheet markets is missing; a sheet of a close name is there
    wb["origins"]["C1"] = "supply"  # a required column misspelt
    wb["refiners"]["C1"] = "capacity_t [kt REO/yr]"  # another unit than the column's
    wb.save(micro_book)
    text = "\n".join(shown(problems_of(micro_book)))
    assert "micro.xlsx [markets]: expected a sheet named 'markets' in micro.xlsx" in text
    assert "(there is a sheet 'market': a misspelling?)" in text
    assert "micro.xlsx [origins], row 1, column 'supply_t': expected a column named 'supply_t'" in text
    assert "(there is a column 'supply': a misspelling?)" in text
    assert "micro.xlsx [refiners], row 1, column 'capacity_t': got 'capacity_t [kt REO/yr]'; expected the unit" in text


def test_units_may_be_left_out_and_an_unknown_optional_column_is_warned(micro_book: Path) -> None:
    folder_network = load_inputs(micro_book.parent / "micro")
    wb = openpyxl.load_workbook(micro_book)
    wb["origins"]["C1"] = "supply_t"  # no unit: as a CSV header
    wb["demand"]["D1"] = "unmet_penalty_usd_per_tt"  # a misspelt optional column, empty: not read
    wb["demand"]["D2"] = 5e6
    wb.save(micro_book)
    network = load_inputs(micro_book)
    assert_same_network(network, folder_network)
    warned = [str(w) for w in network.warnings]
    assert any(
        w.startswith("micro.xlsx [demand], row 1: column 'unmet_penalty_usd_per_tt' is no column of demand")
        and "did you mean 'unmet_penalty_usd_per_t'?" in w
        for w in warned
    ), warned


def test_paths_and_planning_sheets_are_checked_by_sheet_and_row(tmp_path: Path) -> None:
    book = folder_to_workbook(PLAN, tmp_path / "plan.xlsx").written
    horizon = load_job(REPO / "inputs" / "plan_2035.toml").job.horizon.horizon()
    wb = openpyxl.load_workbook(book)
    paths = wb["paths"]
    year = next(c.column_letter for c in paths[1] if c.value == 2030)
    paths[f"{year}3"] = "lots"
    wb.save(book)
    with pytest.raises(InputError) as info:
        PlanBase.read(load_inputs(book), horizon)
    assert "plan.xlsx [paths], row 3, column '2030': got 'lots'" in str(info.value)

    wb = openpyxl.load_workbook(book)
    wb["paths"][f"{year}3"] = 1.35
    wb["builds"]["C2"] = "nowhere"  # site
    wb.save(book)
    with pytest.raises(InputError) as info:
        PlanBase.read(load_inputs(book), horizon)
    assert "plan.xlsx [builds], row 2, column 'site': got 'nowhere'" in str(info.value)


def test_run_and_validate_take_a_workbook(micro_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["validate", str(micro_book)]) == 0
    assert "valid" in capsys.readouterr().out
    out = tmp_path / "out"
    assert main(["run", str(micro_book), "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["dataset"] == str(micro_book.resolve()) and list(summary["input_sha256"]) == ["micro.xlsx"]
    wb = openpyxl.load_workbook(micro_book)
    wb["origins"]["C2"] = "many"
    wb.save(micro_book)
    assert main(["validate", str(micro_book)]) == 1
    assert "micro.xlsx [origins], row 2, column 'supply_t': got 'many'" in capsys.readouterr().err
    assert main(["sweep", str(micro_book)]) == 1  # a sweep needs a job file
    assert "not a dataset folder or workbook" in capsys.readouterr().err


def test_reading_csv_datasets_never_imports_openpyxl() -> None:
    code = (
        "import sys; from oreflow.model.network import load_inputs; "
        f"load_inputs({str(DEFAULT)!r}); print('openpyxl' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout == "False\n"


# ---- the template ----------------------------------------------------------------------------


def test_template_has_a_documented_sheet_per_table(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    book = tmp_path / "new.xlsx"
    assert main(["template", str(book)]) == 0
    assert "oreflow validate" in capsys.readouterr().out
    assert main(["template", str(book)]) == 1  # never replaced without --force
    assert "--force" in capsys.readouterr().err
    assert main(["template", str(book), "--force"]) == 0

    wb = openpyxl.load_workbook(book)
    specs = [*TABLES, *PLANNING_TABLES]
    assert wb.sheetnames == ["notes", *(s.name for s in specs), "paths"]
    for spec in specs:
        ws = wb[spec.name]
        assert ws.freeze_panes == "A2" and ws.max_row == 1
        header = [c.value for c in ws[1]]
        assert header == [f"{c.name} [{c.unit}]" if c.unit else c.name for c in spec.columns]
        assert all(cell.comment is not None and cell.comment.text for cell in ws[1])
    assert [c.value for c in wb["origins"][1]][2] == "supply_t [t REO/yr]"

    notes = pd.DataFrame(
        list(wb["notes"].iter_rows(min_row=2, values_only=True)), columns=[c.value for c in wb["notes"][1]]
    )
    assert list(notes.columns) == [
        "sheet",
        "column",
        "header",
        "kind",
        "unit",
        "sheet optional",
        "column optional",
        "rule",
        "meaning",
    ]
    expected = [(s.name, c.name) for s in specs for c in s.columns] + [("paths", c.name) for c in PATHS_COLUMNS]
    assert list(zip(notes["sheet"], notes["column"])) == expected
    assert notes["meaning"].notna().all() and notes["rule"].notna().all()
    supply = notes[(notes["sheet"] == "origins") & (notes["column"] == "supply_t")].iloc[0]
    assert supply["unit"] == "t REO/yr" and supply["rule"] == "a number >= 0 and below 1e9 (or inf)"
    assert [c.name for c in PATHS_COLUMNS if c.kind == "id"] == [
        *REQUIRED_COLUMNS[:3],
        OPTIONAL_COLUMNS[0],
        REQUIRED_COLUMNS[3],
        OPTIONAL_COLUMNS[1],
    ]


def test_a_filled_in_template_is_a_dataset(tmp_path: Path, micro: dict[str, pd.DataFrame]) -> None:
    """What a spreadsheet user does: fill the template's sheets (numbers typed as numbers, inf as
    text, optional sheets left empty) and run it."""
    book = tmp_path / "filled.xlsx"
    assert main(["template", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    for name, frame in micro.items():
        ws = wb[name]
        for row in frame.itertuples(index=False):
            ws.append(["inf" if isinstance(v, float) and np.isinf(v) else v for v in row])
    wb.save(book)
    assert_same_network(load_inputs(book), load_inputs(write_dataset(tmp_path / "micro")))


# ---- conversion ------------------------------------------------------------------------------


def test_conversion_keeps_what_excel_would_change(tmp_path: Path) -> None:
    """Text that looks like a formula or a number, leading zeros, 17-digit numbers, quoted commas
    and a README's blank lines come back as they were; a table's number written in another form
    comes back as the same float in the shortest form."""
    folder = write_dataset(tmp_path / "ds")
    (folder / "origins.csv").write_text(
        'origin,country,supply_t,mining_cost_usd_per_t,note\nA,X,200,0.30000000000000004,"=SUM(A1), not a formula"\n',
        encoding="utf-8",
    )
    (folder / "refiners.csv").write_text(
        "refiner,country,capacity_t,processing_cost_usd_per_t,recovery\nR1,X,60,2e1,1.0\nR2,Y,inf,50,0.5\n",
        encoding="utf-8",
    )
    extra = "code,amount,when\n007,1.50,2024\n  lead,10908,é\n"
    (folder / "sources.csv").write_text(extra, encoding="utf-8")
    readme = "# A dataset\n\n=====\nline with trailing space \n\n"
    (folder / "README.md").write_text(readme, encoding="utf-8")
    (folder / "chart.png").write_bytes(b"\x89PNG")

    converted = folder_to_workbook(folder, tmp_path / "ds.xlsx")
    assert converted.skipped == [("chart.png", "neither a CSV nor a text file (.md, .txt)")]
    back = workbook_to_folder(converted.written, tmp_path / "back").written
    assert (back / "sources.csv").read_text(encoding="utf-8") == extra
    assert (back / "README.md").read_text(encoding="utf-8") == readme
    assert (back / "origins.csv").read_text(encoding="utf-8") == (folder / "origins.csv").read_text(encoding="utf-8")
    assert (back / "refiners.csv").read_text(encoding="utf-8") == (
        "refiner,country,capacity_t,processing_cost_usd_per_t,recovery\nR1,X,60,20,1\nR2,Y,inf,50,0.5\n"
    )
    assert_same_network(load_inputs(back), load_inputs(folder))
    assert_same_network(load_inputs(converted.written), load_inputs(folder))
    wb = openpyxl.load_workbook(converted.written)
    assert wb["origins"]["E2"].data_type == "s" and wb["origins"]["D2"].data_type == "s"  # text, exact
    assert wb["sources"]["A2"].value == "007" and wb["sources"]["C2"].value == 2024


def test_convert_writes_beside_the_source_by_default(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = write_dataset(tmp_path / "micro")
    (folder / "notes.txt").write_bytes(b"windows\r\nline ends\r\n")
    assert main(["convert", str(folder)]) == 0
    book = tmp_path / "micro.xlsx"
    assert book.is_file()
    shutil.rmtree(folder)
    assert main(["convert", str(book)]) == 0  # back into micro/
    assert_same_network(load_inputs(folder), load_inputs(book))
    assert (folder / "notes.txt").read_bytes() == b"windows\nline ends\n"  # a workbook keeps \n only
    capsys.readouterr()


def test_convert_refuses_what_it_would_destroy_or_lose(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    book = tmp_path / "b.xlsx"
    book.write_bytes(b"keep me")
    assert main(["convert", str(DEFAULT), str(book)]) == 1
    assert book.read_bytes() == b"keep me"
    full = tmp_path / "full"
    full.mkdir()
    (full / "mine.txt").write_text("mine", encoding="utf-8")
    good = folder_to_workbook(DEFAULT, tmp_path / "good.xlsx").written
    assert main(["convert", str(good), str(full)]) == 1
    assert [p.name for p in full.iterdir()] == ["mine.txt"]
    odd = write_dataset(tmp_path / "odd")
    (odd / f"{'x' * 32}.csv").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(InputError, match="at most 31 characters"):
        folder_to_workbook(odd, tmp_path / "odd.xlsx")
    assert not (tmp_path / "odd.xlsx").exists()
    assert main(["convert", str(tmp_path / "nothing"), str(tmp_path / "x.xlsx")]) == 1
    capsys.readouterr()


# ---- Excel out: results.xlsx -----------------------------------------------------------------


def _book(folder: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(folder / RESULTS_XLSX)


def _check_tables(folder: Path, wb: openpyxl.Workbook) -> None:
    """Every table sheet: frozen header, units in headers as :func:`headers` gives, numbers numeric."""
    assert wb.sheetnames[0] == "summary"
    listed = {row[0]: row[1] for row in wb["summary"].iter_rows(values_only=True) if row[0] in wb.sheetnames}
    for sheet in wb.sheetnames[1:]:
        ws = wb[sheet]
        assert ws.freeze_panes == "A2", sheet
        if listed[sheet].endswith(".csv") and (folder / listed[sheet]).is_file():
            frame = pd.read_csv(folder / listed[sheet], keep_default_na=False, na_values=[""])
            assert [c.value for c in ws[1]] == headers(frame), sheet
            assert ws.max_row == len(frame) + 1, sheet
            for j, column in enumerate(frame.columns, start=1):
                values = frame[column]
                if pd.api.types.is_float_dtype(values) and np.isfinite(values).any():
                    i = int(np.flatnonzero(np.isfinite(values.to_numpy()))[0])
                    assert ws.cell(row=i + 2, column=j).data_type == "n", (sheet, column)


def test_results_workbook_of_a_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "baseline"
    assert main(["run", str(REPO / "inputs" / "baseline.toml"), "--out", str(folder), "--quiet"]) == 0
    assert main(["report", str(folder), "--xlsx"]) == 0
    assert "Workbook written to" in capsys.readouterr().out
    wb = _book(folder)
    tables = sorted(p.stem for p in folder.glob("*.csv"))
    assert sorted(wb.sheetnames[1:]) == tables
    _check_tables(folder, wb)

    summary = {row[0]: row[1:3] for row in wb["summary"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert summary["status"][0] == "optimal" and summary["kind"][0] == "run"
    written = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["objective_usd"] == (pytest.approx(written["objective_usd"], rel=1e-15), "USD/yr")
    assert summary["cost_breakdown_usd.mining"][1] == "USD/yr"
    assert any(k.startswith("market price CN NdPr") for k in summary)
    capacity = [c.value for c in wb["shadow_prices_capacity"][1]]
    assert "shadow_price [USD/t]" in capacity and "rhs [t]" in capacity
    assert "ore_t [t/yr]" in [c.value for c in wb["allocations"][1]]
    ranging = wb["ranging_costs"]
    lower = [c.value for c in ranging[1]].index("cost_lower_usd_per_t [USD/t]") + 1
    assert "-inf" in [ranging.cell(row=r, column=lower).value for r in range(2, ranging.max_row + 1)]
    assert isinstance(wb["reduced_costs"].cell(row=2, column=6).value, bool)

    # the folder stays an oreflow output: run again to it, results.xlsx is replaced with it
    assert outputs.foreign_entries(folder) == []
    assert main(["run", str(REPO / "inputs" / "baseline.toml"), "--out", str(folder), "--quiet"]) == 0


def test_results_workbook_of_a_plan(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    assert main(["run", str(REPO / "inputs" / "plan_2035.toml"), "--out", str(folder), "--quiet"]) == 0
    wb = openpyxl.load_workbook(write_results_xlsx(folder))
    assert {"builds", "inventory", "horizon_prices", "costs_by_year", "refinery"} <= set(wb.sheetnames)
    _check_tables(folder, wb)
    assert [c.value for c in wb["refinery"][1]][:2] == ["year", "refiner"]
    assert wb["refinery"]["A2"].value == 2024
    figures = {row[0]: row[1] for row in wb["summary"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert figures["kind"] == "plan" and "objective_pv_usd" in figures and figures["horizon.discount_rate"] == 0.08


def test_results_workbook_of_a_batch_stacks_its_cases(tmp_path: Path) -> None:
    write_dataset(tmp_path / "micro")
    job = write_job(tmp_path / "job.toml", "micro", "out", extra=BAN_AND_INFEASIBLE)
    assert main(["run", str(job), "--quiet"]) == 1  # one case is infeasible
    folder = tmp_path / "out"
    wb = openpyxl.load_workbook(write_results_xlsx(folder))
    assert wb.sheetnames[:2] == ["summary", "comparison"]
    allocations = pd.DataFrame(list(wb["allocations"].iter_rows(min_row=2, values_only=True)))
    assert [c.value for c in wb["allocations"][1]][0] == "case"
    assert set(allocations[0]) == {"base", "no_exports"}  # the infeasible case has no tables
    figures = {row[0]: row[1] for row in wb["summary"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert figures["case impossible.status"] == "infeasible" and figures["kind"] == "batch"
    assert outputs.foreign_entries(folder) == []


def test_written_inside_a_fill_function(tmp_path: Path) -> None:
    """How a run writes it (job option results_xlsx): on the staging folder, before the rename."""
    run = tmp_path / "run"
    assert main(["run", str(write_dataset(tmp_path / "micro")), "--out", str(run), "--quiet"]) == 0

    def fill(staging: Path) -> None:
        shutil.copytree(run, staging, dirs_exist_ok=True)
        write_results_xlsx(staging)

    target = outputs.write_atomically(tmp_path / "copy", fill)
    assert (target / RESULTS_XLSX).is_file() and not list(target.glob(".*"))
    assert all(kind.written(RESULTS_XLSX) for kind in KINDS.values())


def test_units_and_sheet_names_are_data() -> None:
    assert [unit_of(c) for c in ("ore_t", "cost_usd", "unit_cost_usd_per_t", "price_usd_per_kg", "level_t")] == [
        "t/yr",
        "USD/yr",
        "USD/t",
        "USD/kg",
        "t",
    ]
    assert unit_of("objective_usd@2030") == "USD/yr" and unit_of("origin") == ""
    mixed = pd.DataFrame({"rhs": [1.0, 2.0], "rhs_unit": ["t", "%"], "shadow_price": [0.0, 1.0], "price_unit": "USD/t"})
    assert headers(mixed) == ["rhs [see rhs_unit]", "rhs_unit", "shadow_price [USD/t]", "price_unit"]
    long = ["shadow_prices_a_very_long_family_name_one", "shadow_prices_a_very_long_family_name_two", "allocations"]
    names = sheet_names(long)
    assert names == {
        long[0]: "prices_a_very_long_family_name_",
        long[1]: "prices_a_very_long_family_nam~2",
        "allocations": "allocations",
    }
    assert all(len(n) <= 31 for n in names.values())


def test_a_job_may_name_a_workbook_and_ask_for_results_xlsx(micro_book: Path, tmp_path: Path) -> None:
    """``dataset = "x.xlsx"`` in a job file, and ``results_xlsx = true``: the run writes
    results.xlsx beside its tables (summary first), as a plan's and a scenario batch's do."""
    job = write_job(
        tmp_path / "job.toml", str(micro_book), str(tmp_path / "out"), "results_xlsx = true\nstore = false\n"
    )
    assert main(["run", str(job), "--quiet"]) == 0
    book = openpyxl.load_workbook(tmp_path / "out" / RESULTS_XLSX, read_only=True)
    assert book.sheetnames[0] == "summary" and "allocations" in book.sheetnames
    plan = write_job(
        tmp_path / "plan.toml",
        str(micro_book),
        str(tmp_path / "plan_out"),
        "results_xlsx = true\nstore = false\n[horizon]\nyears = [2024, 2025]\n",
    )
    assert main(["run", str(plan), "--quiet"]) == 0
    assert (tmp_path / "plan_out" / RESULTS_XLSX).is_file()


def test_a_workbook_s_observed_sheet_calibrates_the_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The default dataset as a workbook keeps observed.csv as its observed sheet: oreflow run
    writes calibration.csv from it, as from the folder, and its default output is named after
    the workbook's stem."""
    book = tmp_path / "re2024.xlsx"
    assert main(["convert", str(REPO / "inputs" / "rare_earths_2024"), str(book)]) == 0
    assert main(["run", str(book), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    calibration = pd.read_csv(tmp_path / "out" / "calibration.csv")
    assert len(calibration) == 8 and calibration["within"].all()
    assert main(["calibrate", str(book)]) == 0  # oreflow calibrate reads the sheet too
    from oreflow.runs import RunSpec

    assert RunSpec.of(None, book, None).destination == Path("outputs") / "re2024"
