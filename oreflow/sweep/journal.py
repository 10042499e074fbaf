"""Finished chunks of an unfinished sweep, kept so an interrupted sweep can resume.

The journal is a hidden folder beside the output folder, ``.<output name>.journal``:
``manifest.json`` (the sweep's fingerprint: the job, the data, the chunking and oreflow's
own code) and one JSON file per finished chunk (its rows exactly as computed: numbers,
text, booleans and nulls; NaN and infinities as JSON extensions), each written whole
(temporary name, then renamed). A run whose
fingerprint differs (the job, the data or the chunking changed) starts afresh. The
journal is removed once the sweep's outputs are written.

One writer: a sweep holds its output folder's lock (:func:`oreflow.outputs.claim`, taken
by :func:`oreflow.sweep.run.destination_of`) for the whole run, so a second sweep or stress
test to the same folder fails before it touches the journal. Under that lock, temporary
files a killed run left in the journal are removed, and a file that cannot be read (a
damaged manifest, a damaged chunk) is not trusted: the chunk is solved again.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from oreflow.outputs import write_text_atomically


class Journal:
    """The finished chunks of one sweep (identified by ``fingerprint``)."""

    def __init__(self, destination: Path, fingerprint: str) -> None:
        destination = Path(destination).resolve()
        self.folder = destination.with_name(f".{destination.name}.journal")
        self.fingerprint = fingerprint

    def load(self, fresh: bool = False) -> dict[int, list[dict[str, Any]]]:
        """Rows of every chunk already finished by an earlier run of the same sweep
        (nothing, and the old journal cleared, when ``fresh`` or the sweep differs)."""
        manifest = self.folder / "manifest.json"
        if fresh or _read(manifest, dict).get("fingerprint") != self.fingerprint:
            self.clear()
            self.folder.mkdir(parents=True)
            write_text_atomically(manifest, json.dumps({"fingerprint": self.fingerprint}))
            return {}
        for stale in self.folder.glob(".*.partial"):  # a save cut short by a kill
            stale.unlink(missing_ok=True)
        done = {}
        for path in sorted(self.folder.glob("chunk-*.json")):
            rows = _read(path, list)
            number = path.stem.split("-")[1]
            if rows and number.isdigit():
                done[int(number)] = rows
        return done

    def save(self, chunk: int, rows: list[dict[str, Any]]) -> None:
        """Record a finished chunk."""
        write_text_atomically(self.folder / f"chunk-{chunk:06d}.json", json.dumps(rows, default=_plain))

    def clear(self) -> None:
        """Remove the journal."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _read(path: Path, kind: type) -> Any:
    """The JSON value of ``path`` if it is a ``kind``; an empty ``kind`` when the file is
    missing or unreadable."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return kind()
    return value if isinstance(value, kind) else kind()


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number or bool it holds."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot journal a {type(value).__name__}")
