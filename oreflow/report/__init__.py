"""The HTML report of a run: ``report.html`` (self-contained) and a PNG of each main chart.

Built from the written output folder only (the CSV tables and summary.json), so a run
and ``oreflow report DIR`` share one code path. plotly is used for its embedded
JavaScript bundle only and matplotlib for the PNGs; both are imported lazily here.

Files: ``report.html`` and ``report_<chart>.png`` in the folder.

- :func:`write_report`: one run's folder, or one case of a batch (a failed case shows
  its infeasibility explanation instead of charts).
- :func:`write_batch_report`: a batch folder: every case's report, then the comparison page.
- :func:`write_sweep_report`: a sweep's folder (summary.json of kind ``sweep``, points.csv).
- :func:`write_stress_report`: an N-1 stress test's folder (kind ``stress``, stress*.csv).
- :func:`write_plan_report`: a plan's folder (kind ``plan``: each year's tables with a ``year``,
  builds.csv, inventory.csv, horizon_prices.csv, costs_by_year.csv).
- :func:`rebuild`: whichever of these the folder holds (its kind, :func:`oreflow.manifest.kind_of`).

The sub-packages, by what they draw: :mod:`.common` (formats, the chart type, HTML, the
PNG base), :mod:`.run` (a run's charts, Sankey and page), :mod:`.batch` (a batch's
comparison), :mod:`.sweep` (sweeps and stress tests) and :mod:`.plan` (plans over years);
:mod:`.png` draws any chart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from oreflow.errors import InputError, Problem
from oreflow.manifest import BATCH, CASE, KINDS, PLAN, REPORT, RUN, STRESS, SUMMARY, SWEEP, kind_of
from oreflow.outputs import output_kind, write_text_atomically
from oreflow.report.common.data import display_name, read_summary
from oreflow.report.run.data import RunData, infeasibility, load_run

PNG_PREFIX = "report_"

__all__ = [
    "PNG_PREFIX",
    "REPORT",
    "rebuild",
    "write_batch_report",
    "write_plan_report",
    "write_report",
    "write_stress_report",
    "write_sweep_report",
]


def _pngs(folder: Path, charts: list[Any], draw: bool = True) -> dict[str, str]:
    """Draw ``report_<chart>.png`` beside report.html for each chart (stale ones removed
    first); with ``draw`` False only remove stale ones and draw nothing."""
    for old in folder.glob(f"{PNG_PREFIX}*.png"):
        old.unlink()
    if not draw:
        return {}
    from oreflow.report import png

    return {c.name: png.draw(c, folder / f"{PNG_PREFIX}{c.name}.png").name for c in charts}


def _in_batch(folder: Path) -> bool:
    """Whether ``folder`` is a case of a batch (its parent is an output that holds cases)."""
    parent = output_kind(folder.parent)
    return parent is not None and parent.cases


def _write_run(folder: Path, png: bool) -> RunData:
    """Write one run's (or case's) report; return the run as read back, for the caller to reuse."""
    from oreflow.report.run import charts, pages

    run = load_run(folder)
    in_batch = _in_batch(folder)
    if run.solved:
        found = charts.run_charts(run)
        text = pages.run_page(run, found, _pngs(folder, found, png), in_batch)
    else:
        text = pages.failed_page(run, in_batch)
    write_text_atomically(folder / REPORT, text)
    return run


def write_report(folder: Path, *, png: bool = True) -> Path:
    """Write ``report.html`` and (with ``png``) ``report_*.png`` for one run's (or one case's) folder."""
    folder = Path(folder)
    _write_run(folder, png)
    return folder / REPORT


def write_batch_report(folder: Path, *, png: bool = True) -> Path:
    """Every case's report, then the comparison page ``folder/report.html``."""
    from oreflow.report.batch.charts import comparison_charts, load_comparison
    from oreflow.report.batch.pages import comparison_page

    folder = Path(folder)
    table, summary, cases = load_comparison(folder)
    failures = {}
    for case in cases:
        if not (folder / case / SUMMARY).is_file():
            continue
        if summary.get("plan") and kind_of(read_summary(folder / case)) is KINDS[PLAN]:
            write_plan_report(folder / case, png=png)
            continue
        run = _write_run(folder / case, png)
        if not run.solved:
            failures[case] = infeasibility(run)
    if summary.get("plan"):  # a batch of plans (oreflow/plan_batch.py)
        from oreflow.report.plan.batch import plan_comparison_charts, plan_comparison_page

        status = {c["name"]: c["status"] for c in summary.get("cases", [])}
        status = {case: status.get(case, "") for case in cases}
        found = plan_comparison_charts(table, cases, status)
        page = plan_comparison_page
    else:
        found = comparison_charts(table, cases)
        page = comparison_page
    text = page(display_name(summary, folder), summary, table, cases, found, _pngs(folder, found, png), failures)
    write_text_atomically(folder / REPORT, text)
    return folder / REPORT


def _write_built(
    folder: Path,
    load: Callable[[Path], Any],
    charts: Callable[[Any], list[Any]],
    page: Callable[[Any, list[Any], dict[str, str]], str],
    png: bool,
) -> Path:
    """Read a folder with ``load``, build its ``charts`` and write its ``page`` (and the PNGs)."""
    folder = Path(folder)
    read = load(folder)
    found = charts(read)
    write_text_atomically(folder / REPORT, page(read, found, _pngs(folder, found, png)))
    return folder / REPORT


def write_sweep_report(folder: Path, *, png: bool = True) -> Path:
    """Write ``report.html`` (and with ``png`` a ``report_<chart>.png`` per chart) for a sweep's folder."""
    from oreflow.report.sweep.charts import sweep_charts
    from oreflow.report.sweep.pages import sweep_page
    from oreflow.report.sweep.points import load_points

    return _write_built(folder, load_points, sweep_charts, sweep_page, png)


def write_stress_report(folder: Path, *, png: bool = True) -> Path:
    """Write ``report.html`` (and with ``png`` a ``report_<chart>.png`` per chart) for a stress test's folder."""
    from oreflow.report.sweep.pages import stress_page
    from oreflow.report.sweep.stress import load_stress, stress_charts

    return _write_built(folder, load_stress, stress_charts, stress_page, png)


def write_plan_report(folder: Path, *, png: bool = True) -> Path:
    """Write ``report.html`` (and with ``png`` a ``report_<chart>.png`` per chart) for a plan's folder."""
    from oreflow.report.plan.charts import plan_charts
    from oreflow.report.plan.data import load_plan
    from oreflow.report.plan.pages import plan_page

    return _write_built(folder, load_plan, plan_charts, plan_page, png)


#: Kind of output folder (:data:`oreflow.manifest.KINDS`) -> the function writing its report.
WRITERS: dict[str, Callable[[Path], Path]] = {
    RUN: write_report,
    CASE: write_report,
    BATCH: write_batch_report,
    SWEEP: write_sweep_report,
    STRESS: write_stress_report,
    PLAN: write_plan_report,
}


def rebuild(folder: Path) -> Path:
    """Rebuild the report of a finished folder (a run, a batch, a sweep, a stress test or a plan); no re-solve.

    Its kind is what its summary.json says (:func:`oreflow.manifest.kind_of`). Raises
    InputError, before anything is written, when the summary cannot be read or is no kind of
    oreflow output, or a file the report of that kind needs is missing
    (:func:`check_readable`).
    """
    folder = Path(folder)
    kind = check_readable(folder)
    return WRITERS[kind](folder)


#: Per kind of output, the files its report cannot do without.
NEEDED: dict[str, tuple[str, ...]] = {
    BATCH: ("comparison.csv",),
    SWEEP: ("points.csv",),
    STRESS: ("points.csv",),
    PLAN: tuple(f"{t}.csv" for t in KINDS[PLAN].tables),
}


def check_readable(folder: Path) -> str:
    """The kind of output ``folder`` is, after checking that its report can be built: its
    summary.json (and, for a batch, each case's) is an oreflow summary and the files the
    report reads (:data:`NEEDED`) are there. InputError naming the file and what was
    expected otherwise."""
    folder = Path(folder)
    summary = read_summary(folder)
    kind = kind_of(summary)
    path = str(folder / SUMMARY)
    if kind is None:
        kinds = f"{', '.join(list(KINDS)[:-1])} or {list(KINDS)[-1]}"
        found = summary.get("kind")
        if "name" not in summary:
            expected = f"the summary of an oreflow output: a 'name' and a 'kind' ({kinds})"
            problem = Problem(path, None, None, None, expected, "output_folder")
        else:
            expected = f"a 'kind' of {kinds} (the summary of an oreflow output)"
            problem = Problem(path, None, None, None if found is None else str(found), expected, "output_folder")
        raise InputError(problem, heading="not an oreflow output folder")
    problems = [
        Problem(
            str(folder / name),
            None,
            None,
            None,
            f"this file, which a {kind.name} output holds (its summary.json says kind {kind.name!r}): it is missing",
            "output_folder",
        )
        for name in NEEDED.get(kind.name, ())
        if not (folder / name).is_file()
    ]
    if problems:
        raise InputError(problems, heading="incomplete output folder")
    if kind.cases:
        for case in sorted(folder.iterdir()):
            if (case / SUMMARY).is_file():
                read_summary(case)
    return kind.name
