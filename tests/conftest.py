"""Shared fixtures: the two-refiner micro model as DataFrames and as a dataset folder.

The micro model (hand-solved in tests/test_micro_models.py):

- origin A (country X): supply 200 t, mining 10 USD/t; ore is 50 % P1, 50 % P2;
- refiner R1 (X): capacity 60 t, processing 20 USD/t, recovery 1.0;
  refiner R2 (Y): capacity inf, processing 50 USD/t, recovery 0.5;
- ore freight A->R1 5, A->R2 5 USD/t; product freight R1->M 1, R2->M 2 USD/t;
- market M (Y) demands 40 t of P1; P2 has no demand (left unsold).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
BASELINE_JOB = REPO / "inputs" / "baseline.toml"
BASELINE_DATASET = REPO / "inputs" / "rare_earths_2024"


#: Two scenarios on the micro model: one ban that forces all P1 through R2 (cost 10,480 USD),
#: one min share that R1 cannot meet (infeasible).
BAN_AND_INFEASIBLE = """
[[scenarios]]
name = "no_exports"
changes = [ { action = "add", table = "bans", rows = [ { from_country = "X", to_country = "*", stage = "product" } ] } ]

[[scenarios]]
name = "impossible"
changes = [ { action = "add", table = "share_limits", rows = [
  { market = "M", product = "P1", country = "X", min_share = 0.9 } ] } ]
"""


def micro_frames() -> dict[str, pd.DataFrame]:
    """The micro model's tables, keyed by table name (see the module docstring)."""
    return {
        "origins": pd.DataFrame(
            {"origin": ["A"], "country": ["X"], "supply_t": [200.0], "mining_cost_usd_per_t": [10.0]}
        ),
        "composition": pd.DataFrame({"origin": ["A", "A"], "product": ["P1", "P2"], "share": [0.5, 0.5]}),
        "refiners": pd.DataFrame(
            {
                "refiner": ["R1", "R2"],
                "country": ["X", "Y"],
                "capacity_t": [60.0, math.inf],
                "processing_cost_usd_per_t": [20.0, 50.0],
                "recovery": [1.0, 0.5],
            }
        ),
        "markets": pd.DataFrame({"market": ["M"], "country": ["Y"]}),
        "demand": pd.DataFrame({"market": ["M"], "product": ["P1"], "demand_t": [40.0]}),
        "ore_routes": pd.DataFrame({"origin": ["A", "A"], "refiner": ["R1", "R2"], "freight_usd_per_t": [5.0, 5.0]}),
        "product_routes": pd.DataFrame(
            {"refiner": ["R1", "R2"], "market": ["M", "M"], "freight_usd_per_t": [1.0, 2.0]}
        ),
    }


def write_dataset(folder: Path, frames: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write tables as a dataset folder of CSV files (``inf`` written as ``inf``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (frames or micro_frames()).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def write_job(path: Path, dataset: str, output: str | None = None, extra: str = "") -> Path:
    """Write a job file naming ``dataset`` (and ``output``), relative to the job file."""
    lines = [f'dataset = "{dataset}"']
    if output is not None:
        lines.append(f'output = "{output}"')
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


@pytest.fixture
def micro() -> dict[str, pd.DataFrame]:
    return micro_frames()


@pytest.fixture
def micro_dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "micro")
