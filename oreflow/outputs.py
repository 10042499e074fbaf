"""Writing outputs: atomically, one writer per output folder; every Result table as CSV plus summary.json.

Outputs are written into a fresh staging folder beside the target (``.<name>.partial-<hex>``)
and moved into place only when complete: a failed run leaves no partial folder, and the
previous good output stays intact until the new one is whole (it is moved aside to
``.<name>.previous-<hex>`` for the instant of the swap, then removed).

One writer per output folder: every writer holds the folder's lock (:func:`lock`,
:func:`claim`) from before its destination check until its output is in place — ``oreflow
run`` for its solve and write, ``oreflow sweep`` and ``oreflow stress`` for the whole run,
since their journal sits beside the output folder too. A second writer fails at once with
an InputError naming the folder. The lock is an ``fcntl.flock`` on ``.<name>.lock`` beside
the folder; the kernel drops it when its holder exits, however it exits (``kill -9``).

- The lock file is removed by its holder, while still holding it, when the write is done
  (no file is left behind). That is safe because a writer, once it has the flock, checks
  that the file it locked is still the one at ``.<name>.lock`` (same inode) and starts again
  on the new file when it is not: two writers can never hold locks on two different files.
  A lock file left by a killed run is simply taken over and removed by the next one.
- Holding the lock proves that no live writer is staging into this destination, so the
  leftovers of killed runs are cleaned when the lock is taken: every ``.<name>.partial-*``
  is removed, and so is every ``.<name>.previous-*`` — unless the output folder itself is
  missing (a kill between the two renames of the swap), in which case the earlier output
  is put back first.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import re
import secrets
import shutil
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oreflow.errors import InputError, Problem
from oreflow.manifest import SUMMARY, OutputKind, kind_of
from oreflow.result import Result

if sys.platform != "win32":
    import fcntl


def _refused(folder: str, expected: str, rule: str = "output_folder") -> InputError:
    """The InputError refusing an output folder (or its lock file): what was expected of it."""
    return InputError(Problem("output", None, "output", folder, expected, rule))


def check_destination(target: Path, protect: tuple[Path, ...] = ()) -> None:
    """Refuse an output folder whose replacement would destroy anything but an earlier
    oreflow output. An existing folder must be empty, or an oreflow output holding only
    what oreflow writes (:func:`foreign_entries`); it must not be, or contain, any of
    ``protect`` (the job file, the dataset). Raises InputError (before anything is solved)."""
    target = Path(target).resolve()
    inside = [p for p in protect if Path(p).resolve().is_relative_to(target)]
    if inside:
        raise _refused(
            str(target), f"an output folder that does not contain the job's own files ({inside[0]})", "output_folder"
        )
    if not target.exists():
        return
    if not target.is_dir():
        raise _refused(str(target), "a folder, not a file", "output_folder")
    if not any(target.iterdir()):
        return
    if not is_output(target):
        raise _refused(
            str(target),
            "a new or empty folder, or the output folder of an earlier oreflow run: this one "
            "holds other files, which writing would delete",
            "output_folder",
        )
    foreign = foreign_entries(target)
    if foreign:
        shown = ", ".join(str(p.relative_to(target)) for p in foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise _refused(
            str(target),
            f"an earlier oreflow output holding only what oreflow writes; it also holds "
            f"{shown}, which writing would delete (move them out first)",
            "output_folder",
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
    """Call ``fill(staging)`` then swap ``staging`` into ``target``; clean up on any failure.

    Runs under ``target``'s lock (:func:`lock`; a caller that holds it already keeps it),
    and checks ``target`` first (:func:`check_destination`)."""
    target = Path(target).resolve()
    with lock(target):
        check_destination(target, protect)
        staging = _staging(target)
        backup: Path | None = None
        try:
            fill(staging)
            if target.exists():
                backup = _sibling(target, "previous")
                os.replace(target, backup)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if backup is not None and backup.exists() and not target.exists():
                os.replace(backup, target)
            raise
        if backup is not None:
            _discard(target, backup)
    return target


def write_text_atomically(path: Path, text: str) -> None:
    """Write one file whole or not at all: a hidden temporary name beside it, then renamed."""
    staging = path.with_name(f".{path.name}.partial")
    staging.write_text(text, encoding="utf-8")
    os.replace(staging, path)


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


# ---- one writer per output folder ---------------------------------------------------------


def lock_path(target: Path) -> Path:
    """The lock file of output folder ``target``: ``.<name>.lock`` beside it."""
    target = Path(target).resolve()
    return target.with_name(f".{target.name}.lock")


@contextmanager
def lock(target: Path) -> Iterator[Path]:
    """Hold the lock of output folder ``target`` for the with-block (yields ``target`` resolved).

    Raises InputError at once when another oreflow process (or another thread of this one)
    holds it. Re-entrant in the thread that holds it: :func:`write_atomically` inside a
    caller's ``with lock(...)`` keeps the caller's lock. Taking it afresh cleans the
    leftovers of killed runs (:func:`clean_leftovers`)."""
    target = Path(target).resolve()
    hold, fresh = _take(target, claimed=False)
    try:
        if fresh:
            clean_leftovers(target)
        yield target
    finally:
        _let_go(target, hold, claimed=False)


def claim(target: Path) -> Path:
    """Take the lock of output folder ``target`` until :func:`release` (or until this
    process exits), for a writer whose run does not fit one with-block (a sweep: claimed
    before its destination check, released once its outputs are in place).

    A thread runs one command at a time: a claim this thread still holds when it claims
    again was left by an earlier run of it that failed before releasing; that claim is kept
    (the same folder) or released (another folder). Raises InputError like :func:`lock`."""
    target = Path(target).resolve()
    _, fresh = _take(target, claimed=True)
    if fresh:
        try:
            clean_leftovers(target)
        except BaseException:
            release(target)
            raise
    return target


def release(target: Path) -> None:
    """End a :func:`claim` of output folder ``target`` (nothing when there is none)."""
    target = Path(target).resolve()
    with _HOLDS_LOCK:
        hold = _HOLDS.get(target)
        if hold is not None:
            hold.claimed = False
            if hold.depth <= 0:
                _drop(target)


def clean_leftovers(target: Path) -> list[Path]:
    """Remove what killed writers of ``target`` left beside it (call only under its lock):
    every staging folder ``.<name>.partial-*`` and backup ``.<name>.previous-*``; when
    ``target`` itself is missing (a kill between the two renames of a swap) the newest
    backup that is an oreflow output is put back as ``target`` first. Returns what was
    removed. Best effort: what cannot be removed is left for a later run."""
    target = Path(target).resolve()
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(partial|previous)-[a-z0-9_]+")
    try:
        found = [(p, m.group(1)) for p in target.parent.iterdir() if (m := pattern.fullmatch(p.name))]
    except OSError:
        return []
    leftovers = [p for p, _ in found]
    if not target.exists() and not target.is_symlink():
        backups = [p for p, what in found if what == "previous" and _is_dir(p) and is_output(p)]
        if backups:
            newest = max(backups, key=lambda p: p.stat().st_mtime)
            try:
                os.replace(newest, target)
                leftovers.remove(newest)
            except OSError:
                pass
    for path in leftovers:
        try:
            if _is_dir(path):
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError:
            pass
    return leftovers


@dataclass
class _Hold:
    """This process's hold on one output folder's lock."""

    fd: int
    path: Path  # the lock file
    thread: int  # the thread holding it
    pid: int  # the process holding it (not a child forked since)
    depth: int = 0  # open lock() blocks
    claimed: bool = False  # held by claim() until release()


_HOLDS: dict[Path, _Hold] = {}
_HOLDS_LOCK = threading.Lock()


def _forget_after_fork() -> None:
    """A forked child holds no output lock: the flocks are its parent's (shared descriptions),
    so it must neither re-enter nor remove them."""
    global _HOLDS_LOCK
    _HOLDS_LOCK = threading.Lock()
    _HOLDS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _take(target: Path, claimed: bool) -> tuple[_Hold, bool]:
    """Take (or re-enter) ``target``'s lock for this thread: (the hold, whether newly taken)."""
    me = threading.get_ident()
    with _HOLDS_LOCK:
        hold = _HOLDS.get(target)
        if hold is not None and hold.pid != os.getpid():  # inherited from a parent: not ours
            _HOLDS.pop(target)
            hold = None
        if hold is not None and hold.thread != me:
            raise _busy(target, "another oreflow run in this process")
        if claimed:  # this thread's claims on other folders belong to earlier runs that failed
            for other in [t for t, h in _HOLDS.items() if t != target and h.thread == me and h.claimed]:
                _HOLDS[other].claimed = False
                if _HOLDS[other].depth <= 0:
                    _drop(other)
        fresh = hold is None
        if hold is None:
            hold = _HOLDS[target] = _Hold(_acquire(target), lock_path(target), me, os.getpid())
        if claimed:
            hold.claimed = True
        else:
            hold.depth += 1
    return hold, fresh


@atexit.register
def _release_all() -> None:
    """At exit, release what is still held (a claim of a run that failed before publishing):
    the kernel would drop the flocks anyway, but this also removes their lock files."""
    with _HOLDS_LOCK:
        for target in [t for t, h in _HOLDS.items() if h.pid == os.getpid()]:
            _drop(target)


def _let_go(target: Path, hold: _Hold, claimed: bool) -> None:
    with _HOLDS_LOCK:
        if _HOLDS.get(target) is not hold:
            return
        if claimed:
            hold.claimed = False
        else:
            hold.depth -= 1
        if hold.depth <= 0 and not hold.claimed:
            _drop(target)


def _drop(target: Path) -> None:
    """Forget ``target``'s hold: remove its lock file (still holding the lock) and unlock."""
    hold = _HOLDS.pop(target)
    try:
        if _same_file(hold.fd, hold.path):
            hold.path.unlink()
    except OSError:
        pass
    finally:
        os.close(hold.fd)


def _acquire(target: Path) -> int:
    """An open descriptor of ``target``'s lock file holding its flock; InputError when another
    process holds it. The flock is kept only if the file locked is still the one at the lock
    path (its holder may have removed it, and another writer created a new one, between our
    open and our flock): otherwise we start again on the new file."""
    if not target.name:
        raise _refused(str(target), "a folder below the file system's root", "output_folder")
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    # never through a symbolic link (a planted one would have us truncate its target), and not
    # inherited by processes this one starts
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        try:
            fd = os.open(path, flags, 0o666)
        except OSError as exc:
            raise _refused(str(path), f"a lock file oreflow can create ({exc})", "output_lock") from None
        try:
            if sys.platform != "win32":
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _same_file(fd, path):
                if not stat.S_ISREG(os.fstat(fd).st_mode) or os.fstat(fd).st_nlink != 1:  # not a hard link either
                    raise _refused(str(path), "a lock file that is a plain file", "output_lock")
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                return fd
        except BlockingIOError:
            os.close(fd)
            raise _busy(target, f"another oreflow process{_holder(path)}") from None
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # removed by the holder we raced with: lock the file now there
    raise _busy(target, "another oreflow process")


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` is (still) the file open as ``fd``."""
    try:
        here, mine = os.stat(path), os.fstat(fd)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)


def _holder(path: Path) -> str:
    """The process holding the lock file ``path`` as it wrote there (" (pid N)"); "" if unknown."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")[:32].strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


def _busy(target: Path, who: str) -> InputError:
    return InputError(
        Problem(
            "output",
            None,
            "output",
            str(target),
            f"an output folder that no other oreflow run is writing: {who} is writing {target} now; "
            "wait until it has finished, or write to another folder (--out)",
            "output_busy",
        ),
        heading="output folder in use",
    )


def _is_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _sibling(target: Path, what: str) -> Path:
    """A new name ``.<name>.<what>-<hex>`` beside ``target`` (nothing there yet)."""
    while True:
        path = target.with_name(f".{target.name}.{what}-{secrets.token_hex(4)}")
        if not path.exists() and not path.is_symlink():
            return path


def _staging(target: Path) -> Path:
    """A new empty staging folder beside ``target`` (mode as mkdir gives, following the umask)."""
    while True:
        path = _sibling(target, "partial")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue


def _discard(target: Path, backup: Path) -> None:
    """Remove the backup of a swap: renamed to a staging name first, so that a kill while it
    is being deleted leaves a ``.partial-`` leftover (garbage), never a half-deleted
    ``.previous-`` one (which a later run could put back)."""
    doomed = _sibling(target, "partial")
    try:
        os.replace(backup, doomed)
    except OSError:
        doomed = backup
    shutil.rmtree(doomed, ignore_errors=True)
