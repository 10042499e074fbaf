"""Finished chunks of an unfinished sweep, kept so an interrupted sweep can resume.

The journal is a hidden folder beside the output folder, ``.<output name>.journal``:
``manifest.json`` (the sweep's fingerprint: the job, the data, the chunking and oreflow's
own code) and one JSON file per finished chunk (its rows exactly as computed: numbers,
text, booleans and nulls; NaN and infinities as JSON extensions), each written whole
(temporary name, then renamed). A run whose
fingerprint differs (the job, the data or the chunking changed) starts afresh. The
journal is removed once the sweep's outputs are written.
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
        same = manifest.is_file() and json.loads(manifest.read_text()).get("fingerprint") == self.fingerprint
        if fresh or not same:
            self.clear()
            self.folder.mkdir(parents=True)
            write_text_atomically(manifest, json.dumps({"fingerprint": self.fingerprint}))
            return {}
        done = {}
        for path in sorted(self.folder.glob("chunk-*.json")):
            done[int(path.stem.split("-")[1])] = json.loads(path.read_text(encoding="utf-8"))
        return done

    def save(self, chunk: int, rows: list[dict[str, Any]]) -> None:
        """Record a finished chunk."""
        write_text_atomically(self.folder / f"chunk-{chunk:06d}.json", json.dumps(rows, default=_plain))

    def clear(self) -> None:
        """Remove the journal."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number or bool it holds."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot journal a {type(value).__name__}")
