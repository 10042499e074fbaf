"""What each kind of output folder holds: the one list that writing, the output-folder
checks, the report and the tests read.

Every ``summary.json`` oreflow writes names its kind (``"kind": "run"``, ``"case"``,
``"batch"``, ``"sweep"`` or ``"stress"``). A run's tables are the Result's
(:meth:`oreflow.Result.tables`): fixed tables, one ``shadow_prices_<family>`` per family
of the registry (:mod:`oreflow.model.families`) and the ranging tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oreflow.model.families import CAPACITY, FAMILIES

SUMMARY = "summary.json"
REPORT = "report.html"
REPORT_PNGS = "report_*.png"
INFEASIBILITY = "infeasibility.txt"
#: The tables of a folder as one workbook (oreflow/excel.py): written on request in any kind of folder.
RESULTS_XLSX = "results.xlsx"

#: The tables of a solved run, in the order they are written (names without ``.csv``).
RESULT_TABLES: tuple[str, ...] = (
    "cost_breakdown",
    "allocations",
    "refinery",
    "production",
    "shipments",
    "unmet",
    "market",
    "welfare",
    "reduced_costs",
    "flows_by_product",
    *(f"shadow_prices_{spec.name}" for spec in FAMILIES),
    "ranging_costs",
    "ranging_rhs",
)
#: Tables of a run that exist only when it was ranged (``ranging = false`` leaves them out).
OPTIONAL_TABLES: tuple[str, ...] = ("ranging_costs", "ranging_rhs")
#: The tables of a run its report reads: the allocation tables and the shadow prices of every
#: family the report can show (all but those the summary does not show either, e.g. balance).
REPORT_TABLES: tuple[str, ...] = (
    "cost_breakdown",
    "allocations",
    "refinery",
    "production",
    "shipments",
    "unmet",
    "market",
    "welfare",
    "flows_by_product",
    *(f"shadow_prices_{spec.name}" for spec in FAMILIES if spec.summary != "none"),
    "calibration",  # written only when the dataset has observed.csv (oreflow/calibration.py)
)

#: The kinds of output folder, as summary.json records them.
RUN, CASE, BATCH, SWEEP, STRESS, PLAN = "run", "case", "batch", "sweep", "stress", "plan"
#: The horizon's own tables of a plan, written beside each year's tables stacked with a ``year``.
PLAN_TABLES: tuple[str, ...] = ("builds", "inventory", "horizon_prices", "costs_by_year")
#: The tables of a plan its report reads (oreflow/report/plan/).
PLAN_REPORT_TABLES: tuple[str, ...] = ("refinery", f"shadow_prices_{CAPACITY}", "market", "unmet", *PLAN_TABLES)


@dataclass(frozen=True)
class OutputKind:
    """One kind of output folder.

    Attributes:
        name: the ``kind`` its summary.json records.
        files: what oreflow writes into it: file names or glob patterns.
        tables: the CSV tables among them that the report reads (names without ``.csv``).
        cases: it holds sub-folders that are outputs themselves (a batch's cases).
        replaced: patterns of files another version of oreflow may have written there
            (a table since renamed), replaced with the folder like ``files``.
    """

    name: str
    files: tuple[str, ...]
    tables: tuple[str, ...] = ()
    cases: bool = False
    replaced: tuple[str, ...] = ("*.csv",)

    def written(self, name: str) -> bool:
        """Whether a file called ``name`` is oreflow's in this kind of folder (written by
        this version, or by another: ``replaced``)."""
        from fnmatch import fnmatchcase

        return any(fnmatchcase(name, pattern) for pattern in self.files + self.replaced)


_RUN_FILES = (SUMMARY, REPORT, REPORT_PNGS, RESULTS_XLSX, *(f"{t}.csv" for t in RESULT_TABLES), "calibration.csv")
_POINTS = ("points.parquet", "points.csv")

KINDS: dict[str, OutputKind] = {
    kind.name: kind
    for kind in (
        OutputKind(RUN, _RUN_FILES, REPORT_TABLES),
        OutputKind(CASE, (*_RUN_FILES, INFEASIBILITY), REPORT_TABLES),
        OutputKind(BATCH, (SUMMARY, REPORT, REPORT_PNGS, RESULTS_XLSX, "comparison.csv"), ("comparison",), cases=True),
        OutputKind(SWEEP, (SUMMARY, REPORT, REPORT_PNGS, RESULTS_XLSX, *_POINTS), ("points",)),
        OutputKind(
            PLAN,
            (SUMMARY, REPORT, REPORT_PNGS, RESULTS_XLSX, *(f"{t}.csv" for t in (*RESULT_TABLES, *PLAN_TABLES))),
            PLAN_REPORT_TABLES,
        ),
        OutputKind(
            STRESS,
            (
                SUMMARY,
                REPORT,
                REPORT_PNGS,
                RESULTS_XLSX,
                *_POINTS,
                "stress.csv",
                "stress_unmet.csv",
                "stress_prices.csv",
            ),
            ("stress", "stress_unmet", "stress_prices"),
        ),
    )
}


def kind_of(summary: Any) -> OutputKind | None:
    """The kind of output a summary.json's content belongs to; None when it is not oreflow's.

    Outputs written before summary.json recorded its kind are recognised by what they hold:
    ``cases`` (a batch), ``status`` (a run or a case: taken as a case, which may hold more).
    """
    if not isinstance(summary, dict) or "name" not in summary:
        return None
    kind = summary.get("kind")
    if kind is None:  # written before the kind was recorded
        kind = BATCH if "cases" in summary else CASE if "status" in summary else None
    return KINDS.get(kind) if isinstance(kind, str) else None
