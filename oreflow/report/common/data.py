"""Reading a written output folder: its summary.json and its CSV tables.

Every report is built from the folder only, so a run and ``oreflow report DIR`` build
the same report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from oreflow.manifest import SUMMARY

TINY = 1e-6  # tonnes (or a relative change) below this count as none


def display_name(summary: dict[str, Any], folder: Path) -> str:
    """The name a page shows: summary.json's ``name``, else the folder's."""
    return str(summary.get("name") or Path(folder).name)


def read_csv(path: Path, **options: Any) -> pd.DataFrame:
    """A table oreflow wrote; codes such as ``NA`` (Namibia) stay text, ``inf`` is read as a float."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""], **options)


def read_summary(folder: Path) -> dict[str, Any]:
    """The folder's summary.json; FileNotFoundError saying so when it has none."""
    path = Path(folder) / SUMMARY
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a finished run's output folder (no {SUMMARY})")
    return json.loads(path.read_text(encoding="utf-8"))
