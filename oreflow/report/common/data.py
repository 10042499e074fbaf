"""Reading a written output folder: its summary.json and its CSV tables.

Every report is built from the folder only, so a run and ``oreflow report DIR`` build
the same report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from oreflow.errors import InputError, Problem
from oreflow.manifest import SUMMARY

TINY = 1e-6  # tonnes (or a relative change) below this count as none


def display_name(summary: dict[str, Any], folder: Path) -> str:
    """The name a page shows: summary.json's ``name``, else the folder's."""
    return str(summary.get("name") or Path(folder).name)


def read_csv(path: Path, **options: Any) -> pd.DataFrame:
    """A table oreflow wrote; codes such as ``NA`` (Namibia) stay text, ``inf`` is read as a float."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""], **options)


#: JSON's name of each type ``json.loads`` returns (for messages).
JSON_TYPES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def read_summary(folder: Path) -> dict[str, Any]:
    """The folder's summary.json, a JSON object.

    Raises InputError naming the file and what was expected when the folder has none, or it
    cannot be read, is not JSON or not a JSON object.
    """
    path = Path(folder) / SUMMARY
    if not path.is_file():
        raise _unreadable(Path(folder), f"a finished run's output folder (it has no {SUMMARY})")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise _unreadable(
            path,
            f"the JSON summary oreflow writes (not valid JSON: {exc.msg} at column {exc.colno})",
            line=exc.lineno,
        ) from None
    except UnicodeDecodeError:
        raise _unreadable(path, "the JSON summary oreflow writes (UTF-8 text; this file is not)") from None
    except OSError as exc:
        raise _unreadable(path, f"a file oreflow can read ({exc.strerror or exc})") from None
    if not isinstance(content, dict):
        found = JSON_TYPES.get(type(content), type(content).__name__)
        raise _unreadable(path, f"a JSON object (the summary oreflow writes), not a JSON {found}")
    return content


def _unreadable(path: Path, expected: str, line: int | None = None) -> InputError:
    """The InputError of an output folder whose summary.json cannot be used."""
    return InputError(Problem(str(path), line, None, None, expected, "summary_json"), heading="unusable output folder")
