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
- :func:`rebuild`: whichever of these the folder holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from oreflow.outputs import write_text_atomically
from oreflow.report.data import (
    RunData,
    display_name,
    infeasibility,
    load_run,
    read_summary,
)

REPORT = "report.html"
PNG_PREFIX = "report_"


def _pngs(folder: Path, charts: list[Any], draw: bool = True) -> dict[str, str]:
    """Draw ``report_<chart>.png`` beside report.html for each chart (stale ones removed
    first); with ``draw`` False only remove stale ones and draw nothing."""
    for old in folder.glob(f"{PNG_PREFIX}*.png"):
        old.unlink()
    if not draw:
        return {}
    from oreflow.report import png

    return {c.name: png.draw(c, folder / f"{PNG_PREFIX}{c.name}.png").name for c in charts}


def _write_run(folder: Path, png: bool) -> RunData:
    """Write one run's (or case's) report; return the run as read back, for the caller to reuse."""
    from oreflow.report import charts, pages

    run = load_run(folder)
    in_batch = (folder.parent / "comparison.csv").is_file()
    if run.solved:
        found = charts.run_charts(run)
        text = pages.run_page(run, found, _pngs(folder, found, png), in_batch)
    else:
        text = pages.failed_page(run, in_batch)
    write_text_atomically(folder / REPORT, text)
    return run


def write_report(folder: Path, png: bool = True) -> Path:
    """Write ``report.html`` and (with ``png``) ``report_*.png`` for one run's (or one case's) folder.
    """
    folder = Path(folder)
    _write_run(folder, png)
    return folder / REPORT


def write_batch_report(folder: Path, png: bool = True) -> Path:
    """Every case's report, then the comparison page ``folder/report.html``."""
    from oreflow.report import compare, pages

    folder = Path(folder)
    table, summary, cases = compare.load_comparison(folder)
    failures = {}
    for case in cases:
        if (folder / case / "summary.json").is_file():
            run = _write_run(folder / case, png)
            if not run.solved:
                failures[case] = infeasibility(run)
    found = compare.comparison_charts(table, cases)
    text = pages.comparison_page(display_name(summary, folder), summary, table, cases, found,
                                 _pngs(folder, found, png), failures)
    write_text_atomically(folder / REPORT, text)
    return folder / REPORT


def _write_built(folder: Path, load: Callable[[Path], Any], charts: Callable[[Any], list[Any]],
                 page: Callable[[Any, list[Any], dict[str, str]], str], png: bool) -> Path:
    """Read a folder with ``load``, build its ``charts`` and write its ``page`` (and the PNGs)."""
    folder = Path(folder)
    read = load(folder)
    found = charts(read)
    write_text_atomically(folder / REPORT, page(read, found, _pngs(folder, found, png)))
    return folder / REPORT


def write_sweep_report(folder: Path, png: bool = True) -> Path:
    """Write ``report.html`` (and with ``png`` a ``report_<chart>.png`` per chart) for a sweep's folder."""
    from oreflow.report.points import load_points
    from oreflow.report.sweep import sweep_charts
    from oreflow.report.sweep_pages import sweep_page

    return _write_built(folder, load_points, sweep_charts, sweep_page, png)


def write_stress_report(folder: Path, png: bool = True) -> Path:
    """Write ``report.html`` (and with ``png`` a ``report_<chart>.png`` per chart) for a stress test's folder."""
    from oreflow.report.stress import load_stress, stress_charts
    from oreflow.report.sweep_pages import stress_page

    return _write_built(folder, load_stress, stress_charts, stress_page, png)


def rebuild(folder: Path) -> Path:
    """Rebuild the report of a finished folder (a run, a batch, a sweep or a stress test); no re-solve."""
    folder = Path(folder)
    kind = read_summary(folder).get("kind")  # a clear error when this is not an output folder
    if kind == "sweep":
        return write_sweep_report(folder)
    if kind == "stress":
        return write_stress_report(folder)
    if (folder / "comparison.csv").is_file():
        return write_batch_report(folder)
    return write_report(folder)
