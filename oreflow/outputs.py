"""Writing a run's outputs atomically: every Result table as CSV plus summary.json.

Outputs are written into a fresh temporary folder beside the target and moved into
place only when complete: a failed run leaves no partial folder, and the previous good
output stays intact until the new one is whole.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oreflow.errors import InputError, Problem
from oreflow.manifest import SUMMARY, OutputKind, kind_of
from oreflow.result import Result


def check_destination(target: Path, protect: tuple[Path, ...] = ()) -> None:
    """Refuse an output folder whose replacement would destroy anything but an earlier
    oreflow output. An existing folder must be empty, or an oreflow output holding only
    what oreflow writes (:func:`foreign_entries`); it must not be, or contain, any of
    ``protect`` (the job file, the dataset). Raises InputError (before anything is solved)."""
    target = Path(target).resolve()
    inside = [p for p in protect if Path(p).resolve().is_relative_to(target)]
    if inside:
        raise InputError(
            Problem(
                "output",
                None,
                "output",
                str(target),
                f"an output folder that does not contain the job's own files ({inside[0]})",
                "output_folder",
            )
        )
    if not target.exists():
        return
    if not target.is_dir():
        raise InputError(Problem("output", None, "output", str(target), "a folder, not a file", "output_folder"))
    if not any(target.iterdir()):
        return
    if not is_output(target):
        raise InputError(
            Problem(
                "output",
                None,
                "output",
                str(target),
                "a new or empty folder, or the output folder of an earlier oreflow run: this one "
                "holds other files, which writing would delete",
                "output_folder",
            )
        )
    foreign = foreign_entries(target)
    if foreign:
        shown = ", ".join(str(p.relative_to(target)) for p in foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise InputError(
            Problem(
                "output",
                None,
                "output",
                str(target),
                f"an earlier oreflow output holding only what oreflow writes; it also holds "
                f"{shown}, which writing would delete (move them out first)",
                "output_folder",
            )
        )


def output_kind(folder: Path) -> OutputKind | None:
    """The kind of oreflow output ``folder`` is (its summary.json says; :mod:`oreflow.manifest`),
    or None when it is not one."""
    try:
        summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return kind_of(summary)


def is_output(folder: Path) -> bool:
    """Whether ``folder`` is an oreflow output (a run, a case, a batch, a sweep or a stress test)."""
    return output_kind(folder) is not None


def foreign_entries(folder: Path) -> list[Path]:
    """Entries of an output folder that oreflow did not write, by the manifest of its kind
    (a batch's cases, outputs themselves, are looked into)."""
    kind = output_kind(folder)
    foreign = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            foreign += foreign_entries(entry) if kind is not None and kind.cases and is_output(entry) else [entry]
        elif kind is None or not kind.written(entry.name):
            foreign.append(entry)
    return foreign


def write_atomically(target: Path, fill: Callable[[Path], None], protect: tuple[Path, ...] = ()) -> Path:
    """Call ``fill(tmp_dir)`` then swap ``tmp_dir`` into ``target``; clean up on any failure.

    ``target`` is checked first (:func:`check_destination`)."""
    check_destination(target, protect)
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    backup: Path | None = None
    try:
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; give it mkdir's mode
        fill(staging)
        if target.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.previous-", dir=target.parent))
            backup.rmdir()
            os.replace(target, backup)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if backup is not None and backup.exists() and not target.exists():
            os.replace(backup, target)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    return target


def write_text_atomically(path: Path, text: str) -> None:
    """Write one file whole or not at all: a hidden temporary name beside it, then renamed."""
    staging = path.with_name(f".{path.name}.partial")
    staging.write_text(text, encoding="utf-8")
    os.replace(staging, path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_tables(result: Result, folder: Path) -> list[str]:
    """Write every table of ``result`` as ``<name>.csv`` in ``folder``; return the file names."""
    names = []
    for name, frame in result.tables().items():
        frame.to_csv(folder / f"{name}.csv", index=False)
        names.append(f"{name}.csv")
    return names


def write_summary_json(summary: dict[str, Any], folder: Path) -> None:
    """Write ``summary.json`` (non-finite numbers written as the strings "inf"/"-inf"/"nan")."""
    text = json.dumps(_json_safe(summary), indent=2, sort_keys=False)
    (folder / "summary.json").write_text(text + "\n", encoding="utf-8")


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value
