"""The manifest (oreflow/manifest.py) is what runs write and what the output checks accept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import oreflow
from conftest import BAN_AND_INFEASIBLE, micro_frames, write_job
from oreflow.cli import main
from oreflow.manifest import KINDS, OPTIONAL_TABLES, RESULT_TABLES, kind_of
from oreflow.model.families import FAMILIES
from oreflow.outputs import foreign_entries, is_output, output_kind


def summary_of(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def test_result_tables_are_the_manifest_s():
    result = oreflow.solve(oreflow.Network.from_frames(**micro_frames()))
    assert tuple(result.tables()) == RESULT_TABLES
    unranged = oreflow.solve(oreflow.Network.from_frames(**micro_frames()), ranging=False)
    assert tuple(unranged.tables()) == tuple(t for t in RESULT_TABLES if t not in OPTIONAL_TABLES)
    assert {f"shadow_prices_{spec.name}" for spec in FAMILIES} <= set(RESULT_TABLES)


def test_every_summary_names_its_kind_and_only_manifest_files_are_written(tmp_path, micro_dataset):
    job = write_job(tmp_path / "job.toml", "micro", "out", BAN_AND_INFEASIBLE)
    assert main(["run", str(job), "--quiet"]) == 1  # its infeasible scenario fails; the batch is written
    batch = tmp_path / "out"
    assert summary_of(batch)["kind"] == "batch"
    assert foreign_entries(batch) == []
    for case in ("base", "no_exports", "impossible"):
        assert summary_of(batch / case)["kind"] == "case", case
    assert (batch / "impossible" / "infeasibility.txt").is_file()

    single = write_job(tmp_path / "single.toml", "micro", "one")
    assert main(["run", str(single), "--quiet"]) == 0
    assert summary_of(tmp_path / "one")["kind"] == "run"
    written = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert all(KINDS["run"].written(name) for name in written)
    assert foreign_entries(tmp_path / "one") == []


@pytest.mark.parametrize(
    ("summary", "kind"),
    [
        ({"name": "x", "kind": "sweep", "points": 3}, "sweep"),
        ({"name": "x", "kind": "stress"}, "stress"),
        ({"name": "x", "status": "optimal", "versions": {}}, "case"),  # written before the kind was recorded
        ({"name": "x", "cases": []}, "batch"),
        ({"name": "x", "kind": "banana"}, None),
        ({"kind": "run"}, None),
        (["not", "a", "summary"], None),
    ],
)
def test_kind_of_summary(summary, kind):
    found = kind_of(summary)
    assert (found.name if found is not None else None) == kind


def test_a_file_another_kind_writes_is_foreign(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"kind": "run", "name": "r", "status": "optimal"}))
    (run / "allocations.csv").write_text("x\n")
    (run / "old_table.csv").write_text("x\n")  # a table an earlier version wrote: replaced with the folder
    assert is_output(run) and output_kind(run) is KINDS["run"]
    assert foreign_entries(run) == []
    (run / "points.parquet").write_text("not a run's")
    (run / "notes.txt").write_text("mine")
    assert [p.name for p in foreign_entries(run)] == ["notes.txt", "points.parquet"]


def test_every_kind_has_a_report_writer():
    from oreflow.report import WRITERS

    assert set(WRITERS) == set(KINDS)
