"""What a sweep or stress report is built from: ``summary.json`` and ``points.csv`` of its folder.

``points.csv`` holds one row per solved point: ``point``, ``label``, ``param.<name>``,
``status``, ``error``, ``objective_usd``, ``cost.<component>_usd``, ``unmet_t``,
``unmet_t.<market>/<product>``, ``feed_t.<country>``, ``ore_t.<country>``,
``price.<family>.<key>`` and ``solve_s`` (stress folders add ``kind`` and ``element``); with
demand curves also ``welfare_usd`` and ``quantity_t.<market>/<product>``.
Failed points have NaN in every numeric result column. Units of the price columns are
in summary.json's ``columns``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from oreflow.model.families import price_unit
from oreflow.prices import objective_meaning
from oreflow.report.common import fmt
from oreflow.report.common.data import TINY, display_name, read_csv, read_summary

TEXT = ("label", "status", "error", "kind", "element")
#: Units of the result columns that summary.json does not list, by prefix.
UNITS = {
    "objective_usd": "USD per year",
    "welfare_usd": "USD per year",
    "quantity_t.": "t",
    "cost.": "USD per year",
    "unmet_t": "t",
    "feed_t.": "t REO",
    "ore_t.": "t REO",
    "solve_s": "s",
}


@dataclass
class PointsData:
    """A sweep's (or stress test's) folder as read back: its summary and its points table."""

    folder: Path
    summary: dict[str, Any]
    points: pd.DataFrame

    @property
    def name(self) -> str:
        """The name its page shows."""
        return display_name(self.summary, self.folder)

    @property
    def parameters(self) -> list[dict[str, Any]]:
        """The parameters varied, as summary.json records them."""
        return list(self.summary.get("parameters") or [])

    @property
    def ok(self) -> pd.DataFrame:
        """The optimal points only."""
        return self.points.loc[self.points["status"] == "optimal"]

    @property
    def failed(self) -> pd.DataFrame:
        """The points without a solution."""
        return self.points.loc[self.points["status"] != "optimal"]

    @cached_property
    def by_first(self) -> pd.DataFrame:
        """Every point, sorted by the first parameter (built once: several charts draw against it)."""
        return self.points.sort_values(f"param.{self.parameters[0]['name']}", kind="stable")

    @property
    def curves(self) -> bool:
        """Whether demand has curves (points.csv records welfare): then the objective is
        total cost - willingness to pay."""
        return "welfare_usd" in self.points.columns

    @property
    def objective_name(self) -> str:
        """What ``objective_usd`` is, in words (``total cost``, or ``total cost - willingness to pay``)."""
        return objective_meaning(self.curves)

    def columns(self, prefix: str) -> list[str]:
        """The columns of points.csv starting with ``prefix``."""
        return [c for c in self.points.columns if c.startswith(prefix)]

    def meta(self, column: str) -> dict[str, str]:
        """family, key and unit of a ``price.*`` column (from summary.json, else from its name
        and the registry's unit of its family)."""
        known = (self.summary.get("columns") or {}).get(column)
        if known:
            return {k: str(v) for k, v in known.items()}
        family, _, key = column.removeprefix("price.").partition(".")
        return {"family": family, "key": key, "unit": price_unit(family)}

    def unit(self, column: str) -> str:
        """The unit of a result column of points.csv (a plan's totals in present value)."""
        if column.startswith("price."):
            return self.meta(column)["unit"]
        unit = next((u for prefix, u in UNITS.items() if column.startswith(prefix)), "")
        if self.summary.get("plan") and unit == "USD per year" and "@" not in column:
            return money_unit(self.summary)
        return unit

    def families(self) -> list[str]:
        """Price families in the order of their first column."""
        return list(dict.fromkeys(self.meta(c)["family"] for c in self.columns("price.")))

    def family_columns(self, family: str) -> list[str]:
        """The ``price.*`` columns of one price family."""
        return [c for c in self.columns("price.") if self.meta(c)["family"] == family]


def read_text_csv(path: Path) -> pd.DataFrame:
    """A CSV file with its text columns (:data:`TEXT`, also description and top_price_moves) as str, blank as ''."""
    text = TEXT + ("description", "top_price_moves")
    frame = read_csv(path, dtype=dict.fromkeys(text, str))
    for column in text:
        if column in frame:
            frame[column] = frame[column].fillna("")
    return frame


def per_year(summary: dict[str, Any]) -> str:
    """How a sweep's money figures are counted, after an amount: " per year", or for the
    points of a plan (summary.json ``plan``) " in present value"."""
    return " in present value" if summary.get("plan") else " per year"


def money_unit(summary: dict[str, Any]) -> str:
    """The unit of a sweep's money figures: "USD per year", or "USD, present value" for a plan's."""
    return "USD, present value" if summary.get("plan") else "USD per year"


def base_cost(summary: dict[str, Any]) -> float:
    """The base case's total cost (USD per year) from summary.json; NaN when not recorded."""
    value = summary.get("base_objective_usd")
    return float("nan") if value is None else float(value)


def load_points(folder: Path) -> PointsData:
    """Read summary.json and points.csv; numeric columns as floats (blank or unparsable: NaN)."""
    folder = Path(folder)
    summary = read_summary(folder)
    points = read_text_csv(folder / "points.csv")
    for column in points.columns:
        if column not in TEXT and column != "point":
            points[column] = pd.to_numeric(points[column], errors="coerce")
    return PointsData(folder, summary, points)


def spread(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """max − min of each column over the frame's rows (NaN ignored)."""
    if not columns or frame.empty:
        return pd.Series(dtype=float)
    values = frame[columns]
    return (values.max() - values.min()).fillna(0.0)


def varying(frame: pd.DataFrame, columns: list[str], top: int | None = 8) -> list[str]:
    """The columns whose value changes across the rows, the widest range first (at most ``top``)."""
    ranges = spread(frame, columns)
    size = frame[columns].abs().max().fillna(0.0).clip(lower=1.0) if columns and not frame.empty else ranges
    moving = ranges.loc[ranges > TINY * size].sort_values(ascending=False, kind="stable")
    return list(moving.index[:top] if top else moving.index)


def is_share(parameter: dict[str, Any]) -> bool:
    """Whether the parameter is a share (0-1, shown in percent)."""
    return str(parameter.get("unit", "")).startswith("share")


def value_text(parameter: dict[str, Any], value: float) -> str:
    """A parameter's value for a sentence: ``40 %`` (a share), ``×0.75`` (a factor), ``60,000 t``."""
    if is_share(parameter):
        return fmt.pct(value)
    text = fmt.num(value) if abs(value) >= 1000 else f"{value:.4g}"
    unit = str(parameter.get("unit") or "")
    return f"×{text}" if unit == "factor" else f"{text} {unit}".strip()


def axis_title(parameter: dict[str, Any]) -> str:
    """A parameter as an axis title, with its unit (``cn_share, share, %``)."""
    unit = "share, %" if is_share(parameter) else str(parameter.get("unit") or "")
    return f"{parameter['name']}, {unit}" if unit else str(parameter["name"])


def describe(parameter: dict[str, Any]) -> str:
    """``scale refiners.capacity_t where refiner = CN_Baotou``."""
    where = ", ".join(f"{k} = {v}" for k, v in (parameter.get("where") or {}).items())
    return f"{parameter.get('action', 'set')} {parameter.get('table')}.{parameter.get('column')}" + (
        f" where {where}" if where else ""
    )


def percentiles(frame: pd.DataFrame, columns: list[str], qs: tuple[float, ...] = (5, 50, 95)) -> pd.DataFrame:
    """One row per column: P5, P50, P95 over the rows (NaN ignored)."""
    found = frame[columns].quantile([q / 100 for q in qs]).T
    found.columns = [f"P{q:g}" for q in qs]
    return found
