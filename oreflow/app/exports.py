"""What a session takes away: its changes as a ``[[scenarios]]`` entry or a new job file,
its tables as a zip of CSV files, its report.

The scenario text is TOML a user pastes into a job (its changes are the job file's own
:class:`~oreflow.job.Change` entries, checked by reading them back as a
:class:`~oreflow.job.Scenario`). A job file is written only into a folder the user names,
never into the dataset, and never over an existing file. The report is the one ``oreflow
run`` writes (tables, summary.json, :func:`oreflow.report.write_report`), built in a
temporary folder that is removed afterwards.
"""

from __future__ import annotations

import io
import json
import math
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from oreflow import outputs
from oreflow.errors import InputError, Problem
from oreflow.job import Change, JobFile, Scenario
from oreflow.planning import PlanResult
from oreflow.result import Result

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(value: Any) -> str:
    """One TOML value: a string, number, boolean, array or inline table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Path):
        return toml_value(str(value))
    raise TypeError(f"no TOML for {type(value).__name__}")


def toml_key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key)


def _plain_words(error: Any) -> str:
    """A validation error in the words of the page (the name's rule spelt out)."""
    if error.get("type") == "string_pattern_mismatch":
        return "a name of letters, digits, '_', '.' and '-', starting with a letter or digit (it names a folder)"
    if error.get("type") == "too_short" and "changes" in [str(p) for p in error.get("loc", ())]:
        return "at least one change (move a control first)"
    return str(error["msg"])


def scenario_toml(name: str, description: str, changes: list[Change]) -> str:
    """``changes`` as one ``[[scenarios]]`` entry; InputError for a bad name or no changes."""
    try:
        scenario = Scenario(name=name, description=description, changes=changes)
    except ValidationError as exc:
        problems = [
            Problem(
                "save scenario",
                None,
                ".".join(str(p) for p in e["loc"]) or None,
                str(e.get("input"))[:80],
                _plain_words(e),
                "app_scenario",
            )
            for e in exc.errors()
        ]
        raise InputError(problems, heading="the scenario cannot be saved") from None
    lines = ["[[scenarios]]", f"name = {toml_value(scenario.name)}"]
    if scenario.description:
        lines.append(f"description = {toml_value(scenario.description)}")
    lines.append("changes = [")
    lines += [f"  {toml_value(c.model_dump(exclude_unset=True))}," for c in scenario.changes]
    lines.append("]")
    return "\n".join(lines) + "\n"


#: Keys of the served job a saved job file does not copy (paths relative to the old file,
#: and sections of other commands).
NOT_COPIED = ("name", "dataset", "output", "scenarios", "sweep", "stress", "execution", "horizon", "store")


def job_toml(job_file: JobFile, name: str, scenario: str) -> str:
    """A job file: the served job's settings (a plan's horizon too), its dataset by absolute
    path, and ``scenario``."""
    keep = ("horizon",) if job_file.job.horizon is not None else ()
    raw = {k: v for k, v in job_file.raw.items() if k not in NOT_COPIED or k in keep}
    scalars = {k: v for k, v in raw.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in raw.items() if isinstance(v, dict)}
    lines = [
        f"# Written by `oreflow serve` from {job_file.path.name}: the served job's settings and the saved scenario.",
        f"name = {toml_value(name)}",
        f"dataset = {toml_value(str(job_file.dataset))}",
    ]
    lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in scalars.items()]
    for table, content in tables.items():
        lines += ["", f"[{toml_key(table)}]"] + [f"{toml_key(k)} = {toml_value(v)}" for k, v in content.items()]
    return "\n".join(lines) + "\n\n" + scenario


def write_job(folder: str, name: str, text: str, dataset: Path) -> Path:
    """Write ``text`` as ``<folder>/<name>.toml``: an existing folder given as an absolute
    path, outside the dataset; an existing file is never replaced."""
    label = "save job"
    target = Path(str(folder)).expanduser()
    if not target.is_absolute() or not target.is_dir():
        raise InputError(
            Problem(label, None, "folder", str(folder), "an existing folder, as an absolute path", "app_save")
        )
    target = target.resolve()
    if target == dataset or dataset in target.parents:
        raise InputError(
            Problem(
                label,
                None,
                "folder",
                str(folder),
                "a folder outside the dataset (the app writes nothing into it)",
                "app_save",
            )
        )
    if not _BARE.match(name):
        raise InputError(Problem(label, None, "name", name, "a file name of letters, digits, _ and -", "app_save"))
    path = target / f"{name}.toml"
    if path.exists():
        raise InputError(
            Problem(label, None, "name", name, f"a job file that does not exist yet ({path} does)", "app_save")
        )
    path.write_text(text, encoding="utf-8")
    return path


def tables_zip(result: Result | PlanResult) -> bytes:
    """Every table of ``result`` as ``<name>.csv`` in a zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in result.tables().items():
            archive.writestr(f"{name}.csv", frame.to_csv(index=False))
    return buffer.getvalue()


def report_html(result: Result, name: str, job_file: JobFile, changes: list[Change]) -> str:
    """The report of ``result``, as ``oreflow run`` writes it, built in a temporary folder."""
    from oreflow import report
    from oreflow.summary import summary_dict

    summary = summary_dict(result, name=name, job=job_file.job.model_dump(mode="json"), job_path=str(job_file.path))
    if changes:
        summary["scenario"] = {
            "name": name,
            "description": "changes made in oreflow serve",
            "changes_applied": [
                {"change": i, "description": c.describe(), "rows": ""} for i, c in enumerate(changes, 1)
            ],
        }
    with tempfile.TemporaryDirectory(prefix="oreflow-serve-") as folder:
        where = Path(folder)
        outputs.write_tables(result, where)
        outputs.write_summary_json(summary, where)
        path = report.write_report(where, png=False)
        return path.read_text(encoding="utf-8")


def plan_report_html(result: PlanResult, name: str, job_file: JobFile, changes: list[Change]) -> str:
    """The report of a plan, as ``oreflow run`` writes it for a plan job, built in a
    temporary folder (every table, summary.json with the changes, the timeline report)."""
    from oreflow import report
    from oreflow.manifest import PLAN
    from oreflow.planning import plan_summary

    summary = plan_summary(result, name, job_file.job.model_dump(mode="json"), str(job_file.path))
    summary["kind"] = PLAN
    if changes:
        summary["scenario"] = {"name": name, "description": "changes made in oreflow serve"}
        summary["changes"] = [c.describe() for c in changes]
    with tempfile.TemporaryDirectory(prefix="oreflow-serve-") as folder:
        where = Path(folder)
        for table, frame in result.tables().items():
            frame.to_csv(where / f"{table}.csv", index=False)
        outputs.write_summary_json(summary, where)
        path = report.write_plan_report(where, png=False)
        return path.read_text(encoding="utf-8")
