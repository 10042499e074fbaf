"""What a run's report is built from: the CSV tables and summary.json of its output folder.

The tables read are the manifest's (``KINDS["run"].tables``, :mod:`oreflow.manifest`):
every table of the Result, ``flows_by_product`` (the per-product Sankey) and one
``shadow_prices_<family>`` per family of the registry included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from oreflow.manifest import INFEASIBILITY, KINDS
from oreflow.report.common.data import display_name, read_csv, read_summary


@dataclass
class RunData:
    """One run (or one case of a batch) as read back from its folder."""

    folder: Path
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)  # derived tables, e.g. Sankey links

    @property
    def name(self) -> str:
        """The name its pages show."""
        return display_name(self.summary, self.folder)

    @property
    def status(self) -> str:
        """The solve's status as summary.json records it."""
        return str(self.summary.get("status", "unknown"))

    @property
    def solved(self) -> bool:
        """Solved to optimality, with its tables written."""
        return self.status == "optimal" and "allocations" in self.tables

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` (empty when the folder does not hold it)."""
        return self.tables.get(name, pd.DataFrame())

    def prices(self, family: str) -> pd.DataFrame:
        """The shadow-price table of constraint family ``family`` (empty when not written)."""
        return self.table(f"shadow_prices_{family}")

    def products(self) -> list[str]:
        """Products in the order of the data (production rows, then demand rows)."""
        seen = list(self.table("production").get("product", [])) + list(self.table("unmet").get("product", []))
        return list(dict.fromkeys(str(p) for p in seen))


def load_run(folder: Path) -> RunData:
    """Read a run's (or case's) summary.json and every table of the manifest it holds."""
    folder = Path(folder)
    tables = {
        name: read_csv(folder / f"{name}.csv") for name in KINDS["run"].tables if (folder / f"{name}.csv").is_file()
    }
    return RunData(folder, read_summary(folder), tables)


def infeasibility(run: RunData) -> list[str]:
    """The conflicting constraints of a failed case, each with what relaxing it alone does where
    that is known (summary.json; an older one names the constraints only; else infeasibility.txt)."""
    listed = run.summary.get("infeasibility_items") or run.summary.get("infeasibility")
    if listed:
        return [str(line) for line in listed]
    path = run.folder / INFEASIBILITY
    if path.is_file():
        return [
            line.strip().lstrip("- ").strip()
            for line in path.read_text(encoding="utf-8").splitlines()[1:]
            if line.strip()
        ]
    return []
