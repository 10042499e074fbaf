"""What a report is built from: the CSV tables and summary.json of a written output folder.

The run and ``oreflow report DIR`` both read the folder, so they build the same report.
The per-product Sankey reads ``flows_by_product.csv``, a table of the Result like the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

TABLES = ("cost_breakdown", "allocations", "refinery", "production", "shipments", "unmet",
          "shadow_prices_capacity", "shadow_prices_demand", "shadow_prices_quota", "shadow_prices_ban",
          "shadow_prices_share_limit", "flows_by_product")
TINY = 1e-6  # tonnes (or a relative change) below this count as none


def display_name(summary: dict[str, Any], folder: Path) -> str:
    """The name a page shows: summary.json's ``name``, else the folder's."""
    return str(summary.get("name") or Path(folder).name)


@dataclass
class RunData:
    """One run (or one case of a batch) as read back from its folder."""

    folder: Path
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)  # derived tables, e.g. Sankey links

    @property
    def name(self) -> str:
        return display_name(self.summary, self.folder)

    @property
    def status(self) -> str:
        return str(self.summary.get("status", "unknown"))

    @property
    def solved(self) -> bool:
        return self.status == "optimal" and "allocations" in self.tables

    def table(self, name: str) -> pd.DataFrame:
        return self.tables.get(name, pd.DataFrame())

    def products(self) -> list[str]:
        """Products in the order of the data (production rows, then demand rows)."""
        seen = list(self.table("production").get("product", [])) + list(self.table("unmet").get("product", []))
        return list(dict.fromkeys(str(p) for p in seen))


def read_csv(path: Path, **options: Any) -> pd.DataFrame:
    # keep codes such as "NA" (Namibia) as text; "inf" is read as a float
    return pd.read_csv(path, keep_default_na=False, na_values=[""], **options)


def read_summary(folder: Path) -> dict[str, Any]:
    path = Path(folder) / "summary.json"
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a finished run's output folder (no summary.json)")
    return json.loads(path.read_text(encoding="utf-8"))


def load_run(folder: Path) -> RunData:
    folder = Path(folder)
    tables = {name: read_csv(folder / f"{name}.csv") for name in TABLES if (folder / f"{name}.csv").is_file()}
    return RunData(folder, read_summary(folder), tables)


def infeasibility(run: RunData) -> list[str]:
    """The conflicting constraints of a failed case (summary.json, else infeasibility.txt)."""
    listed = run.summary.get("infeasibility")
    if listed:
        return [str(line) for line in listed]
    path = run.folder / "infeasibility.txt"
    if path.is_file():
        return [line.strip().lstrip("- ").strip() for line in path.read_text(encoding="utf-8").splitlines()[1:]
                if line.strip()]
    return []
