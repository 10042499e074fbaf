"""What a plan's report is built from: the CSV tables and summary.json of its output folder.

Each year's tables are stacked with a leading ``year`` column (refinery.csv, market.csv,
shadow_prices_capacity.csv, unmet.csv, ...); the horizon's own tables are builds.csv,
inventory.csv, horizon_prices.csv and costs_by_year.csv (:data:`oreflow.manifest.PLAN_TABLES`).
The tables read are the manifest's (``KINDS["plan"].tables``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oreflow.manifest import KINDS, PLAN
from oreflow.model.families import CAPACITY
from oreflow.prices import flags
from oreflow.report.common.data import display_name, read_csv, read_summary


@dataclass
class PlanData:
    """One plan as read back from its folder."""

    folder: Path
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The name its page shows."""
        return display_name(self.summary, self.folder)

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` (empty when the folder does not hold it)."""
        return self.tables.get(name, pd.DataFrame())

    @property
    def horizon(self) -> dict[str, Any]:
        """summary.json's horizon: years, period_years, discount_rate, base_year."""
        return dict(self.summary.get("horizon") or {})

    @property
    def years(self) -> list[int]:
        """The first year of each period, in order."""
        years = self.horizon.get("years") or self.table("costs_by_year").get("year", [])
        return [int(y) for y in years]

    @property
    def periods(self) -> list[int]:
        """The years each period stands for (1 each when not recorded)."""
        found = self.horizon.get("period_years") or [1] * len(self.years)
        return [int(n) for n in found]

    @property
    def span(self) -> str:
        """``2024–2026``: the first year to the last year the horizon covers (``2024`` for one year)."""
        years, periods = self.years, self.periods
        if not years:
            return "—"
        last = years[-1] + periods[-1] - 1
        return str(years[0]) if last == years[0] else f"{years[0]}–{last}"

    @property
    def curves(self) -> bool:
        """Whether demand has curves (then each year's objective is total cost less willingness to pay)."""
        market = self.table("market")
        return bool("curve" in market and flags(market["curve"]).any())


def load_plan(folder: Path) -> PlanData:
    """Read a plan's summary.json and every table of the manifest it holds."""
    folder = Path(folder)
    tables = {
        name: read_csv(folder / f"{name}.csv") for name in KINDS[PLAN].tables if (folder / f"{name}.csv").is_file()
    }
    return PlanData(folder, read_summary(folder), tables)


def capacity_by_country(plan: PlanData) -> pd.DataFrame:
    """Per year and refining country: ``capacity_t`` (t/yr, built capacity included: the
    capacity rows' right-hand sides; NaN where some refiner has no limit), ``throughput_t`` and
    ``unlimited`` (how many of its refiners have no capacity limit)."""
    refinery = plan.table("refinery")
    if refinery.empty:
        return pd.DataFrame(columns=["year", "country", "capacity_t", "throughput_t", "unlimited"])
    frame = refinery[["year", "refiner", "country", "throughput_t", "capacity_t"]].copy()
    rows = plan.table(f"shadow_prices_{CAPACITY}")
    if not rows.empty:  # the rows' right-hand side includes what builds added (refinery.csv's capacity does not)
        rhs = rows.set_index(["year", "refiner"])["rhs"].astype(float)
        found = rhs.reindex(pd.MultiIndex.from_frame(frame[["year", "refiner"]])).to_numpy(float)
        frame["capacity_t"] = np.where(np.isnan(found), frame["capacity_t"].astype(float), found)
    frame["capacity_t"] = frame["capacity_t"].astype(float)
    frame["unlimited"] = ~np.isfinite(frame["capacity_t"])
    frame["country"] = frame["country"].astype(str)
    out = frame.groupby(["year", "country"], sort=False).agg(
        capacity_t=("capacity_t", "sum"), throughput_t=("throughput_t", "sum"), unlimited=("unlimited", "sum")
    )
    out = out.reset_index()
    out.loc[out["unlimited"] > 0, "capacity_t"] = np.nan
    return out
