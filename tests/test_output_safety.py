"""One writer per output folder, and no leftovers: the lock beside an output folder, the
cleaning of what killed runs leave, and real concurrent processes (issue 12).

Real processes run ``python -m oreflow``; where a test needs a process caught in the middle
of writing, it runs ``gated.py`` (written by :func:`gated_script`): ``python -m oreflow``
that, once it has written its first tables (a run) or its first journal chunk (a sweep or
stress test), creates ``$GATE_INSIDE`` and waits until ``$GATE_OPEN`` exists. Every wait is
bounded.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import oreflow.runs
import oreflow.sweep.run
import oreflow.sweep.stress
from conftest import BAN_AND_INFEASIBLE, write_job
from oreflow import outputs
from oreflow.cli import main
from oreflow.errors import InputError
from oreflow.sweep.journal import Journal

#: A sweep of R1's capacity on the micro model (conftest), one point per chunk.
SWEEP = """
[sweep]
[[sweep.parameters]]
name = "r1_capacity"
table = "refiners"
where = { refiner = "R1" }
column = "capacity_t"
action = "set"
values = [40, 50, 60, 70]

[execution]
chunk_size = 1
"""

#: Seconds any one wait of these tests may take (generous: the machine is shared).
TIMEOUT = 120

GATED = """
import os, runpy, sys, time
from pathlib import Path

import oreflow.outputs
from oreflow.sweep.journal import Journal


def wait():
    Path(os.environ["GATE_INSIDE"]).touch()
    deadline = time.monotonic() + 120
    while not Path(os.environ["GATE_OPEN"]).exists() and time.monotonic() < deadline:
        time.sleep(0.02)


real_tables = oreflow.outputs.write_tables


def write_tables(result, folder):
    names = real_tables(result, folder)
    wait()
    return names


real_save = Journal.save


def save(self, chunk, rows):
    real_save(self, chunk, rows)
    wait()


oreflow.outputs.write_tables = write_tables
Journal.save = save
sys.argv[0] = "oreflow"
runpy.run_module("oreflow", run_name="__main__", alter_sys=True)
"""

HOLDER = """
import sys
from contextlib import ExitStack

from oreflow.outputs import lock

with ExitStack() as stack:
    for folder in sys.argv[1:]:
        stack.enter_context(lock(folder))
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def job(tmp_path: Path, micro_dataset: Path) -> Path:
    """tmp_path/job.toml: the micro dataset, output tmp_path/out, and a small sweep."""
    return write_job(tmp_path / "job.toml", "micro", "out", SWEEP)


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def oreflow_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m oreflow ARGS`` in ``cwd``, to its end."""
    return subprocess.run(
        [sys.executable, "-m", "oreflow", *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, env=env()
    )


def gated(tmp_path: Path, tag: str, *args: str) -> subprocess.Popen[str]:
    """``gated.py ARGS`` started in ``tmp_path``: ``python -m oreflow`` stopping at the gate
    (``tmp_path/open``) once inside its write; it creates ``tmp_path/inside-<tag>`` there."""
    script = tmp_path / "gated.py"
    script.write_text(GATED, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env(), "GATE_INSIDE": str(tmp_path / f"inside-{tag}"), "GATE_OPEN": str(tmp_path / "open")},
    )


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out, err


def stop(*procs: subprocess.Popen[str]) -> None:
    """Kill what is still running (a failed test must not leave processes behind)."""
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(TIMEOUT)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    """Staging and backup folders, and lock files, beside the outputs in ``parent``."""
    return sorted(
        p.name for p in parent.iterdir() if ".partial-" in p.name or ".previous-" in p.name or p.suffix == ".lock"
    )


def busy_message(err: str, folder: Path) -> None:
    """``err`` is the clean refusal of a locked output folder (no traceback)."""
    assert "output folder in use" in err, err
    assert "another oreflow process (pid " in err and f"is writing {folder.resolve()} now" in err, err
    assert "Traceback" not in err, err


# ---- the lock itself --------------------------------------------------------------------


def test_the_lock_file_is_removed_after_use_and_a_stale_one_is_taken_over(tmp_path: Path) -> None:
    target = tmp_path / "out"
    path = outputs.lock_path(target)
    assert path == tmp_path / ".out.lock"
    with outputs.lock(target):
        assert path.read_text().strip() == str(os.getpid())
        with outputs.lock(target):  # re-entrant in the holding thread
            pass
        assert path.exists()
    assert not path.exists()
    path.write_text("999999999\n")  # left by a killed run: a file without its flock means nothing
    with outputs.lock(target):
        assert path.read_text().strip() == str(os.getpid())
    assert not path.exists()


def test_a_lock_on_a_removed_lock_file_does_not_count(tmp_path: Path) -> None:
    """The race that makes removing a lock file unsafe with plain flock: a writer opens the
    file, its holder removes it and lets go, the writer locks the removed file. Here that
    writer's lock must not keep anyone out: writers lock the file at the lock path."""
    import fcntl

    target = tmp_path / "out"
    with outputs.lock(target):
        late = os.open(outputs.lock_path(target), os.O_RDWR)
    try:
        fcntl.flock(late, fcntl.LOCK_EX | fcntl.LOCK_NB)  # succeeds: the file was removed
        with outputs.lock(target):
            assert outputs.lock_path(target).exists()
    finally:
        os.close(late)


def test_a_writer_that_locked_a_removed_lock_file_starts_again(tmp_path: Path, monkeypatch) -> None:
    """The same race from the writer's side: the lock file it opened is removed (its holder
    finished) before it locks it. It must notice, and lock the file now at the lock path."""
    import fcntl

    target = tmp_path / "out"
    path = outputs.lock_path(target)
    real_open = os.open
    raced: list[int] = []

    def racing_open(file, flags, mode=0o777, **kwargs):
        fd = real_open(file, flags, mode, **kwargs)
        if file == path and not raced:
            raced.append(fd)
            os.unlink(path)  # the holder removes it and lets go, just after our open
        return fd

    monkeypatch.setattr(os, "open", racing_open)
    with outputs.lock(target):
        monkeypatch.undo()
        assert raced and path.exists()
        other = os.open(path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):  # the file at the lock path is the one held
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
    assert not path.exists()


def test_another_thread_is_refused_and_claims_of_failed_runs_are_taken_over(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    caught: list[BaseException] = []

    def other() -> None:
        try:
            with outputs.lock(a):
                pass
        except BaseException as exc:  # recorded for the assertion below
            caught.append(exc)

    outputs.claim(a)
    thread = threading.Thread(target=other)
    thread.start()
    thread.join(TIMEOUT)
    assert len(caught) == 1 and isinstance(caught[0], InputError)
    assert "another oreflow run in this process is writing" in str(caught[0])
    outputs.claim(a)  # again, as a run after one that failed before releasing: kept
    outputs.claim(b)  # a new run of this thread: the earlier claim is let go
    assert not outputs.lock_path(a).exists() and outputs.lock_path(b).exists()
    outputs.release(b)
    assert leftovers(tmp_path) == []


# ---- leftovers of killed runs --------------------------------------------------------------


@pytest.mark.parametrize(("command", "folder"), [("run", "out"), ("sweep", "out-sweep"), ("stress", "out-stress")])
def test_stale_partial_and_previous_folders_are_removed_by_the_next_run(
    tmp_path: Path, job: Path, command: str, folder: str
) -> None:
    extra = [] if command == "run" else ["--workers", "1"]
    assert main([command, str(job), "--quiet", *extra]) == 0
    out = tmp_path / folder
    for name in (f".{folder}.partial-1a2b3c4d", f".{folder}.partial-k3j_9x2a", f".{folder}.previous-0f0f0f0f"):
        shutil.copytree(out, tmp_path / name)  # a staging folder, one named by tempfile, a backup
    (tmp_path / f".{folder}.lock").write_text("")
    keep = [tmp_path / f".{folder}.partial-not.ours", tmp_path / ".other.partial-1a2b3c4d"]
    for path in keep:
        path.mkdir()
    assert main([command, str(job), "--quiet", *extra]) == 0
    assert leftovers(tmp_path) == sorted(p.name for p in keep)
    assert outputs.is_output(out) and outputs.foreign_entries(out) == []


def test_a_backup_left_by_a_kill_between_the_renames_is_put_back(tmp_path: Path, job: Path) -> None:
    """Killed after the earlier output was moved aside and before the new one took its place:
    the next run puts the earlier output back before anything else, so a failing run keeps it."""
    assert main(["run", str(job), "--quiet"]) == 0
    out = tmp_path / "out"
    before = snapshot(out)
    os.replace(out, tmp_path / ".out.previous-0f0f0f0f")
    write_job(job, "micro", "out", "[solver_options]\ntime_limit = 0.0\n")  # a solve that fails
    assert main(["run", str(job), "--quiet"]) == 1
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_run_killed_mid_write_leaves_leftovers_the_next_run_cleans(tmp_path: Path, job: Path, sig: int) -> None:
    assert main(["run", str(job), "--quiet"]) == 0
    out = tmp_path / "out"
    before = snapshot(out)
    proc = gated(tmp_path, "run", "run", "job.toml", "--quiet")
    try:
        wait_until(lambda: (tmp_path / "inside-run").exists() or proc.poll() is not None, "the run to be writing")
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(sig)
        proc.wait(TIMEOUT)
    finally:
        stop(proc)
    assert snapshot(out) == before  # the earlier output is intact
    left = leftovers(tmp_path)
    assert ".out.lock" in left and any(name.startswith(".out.partial-") for name in left)
    assert snapshot(tmp_path / next(n for n in left if ".partial-" in n))  # the tables it wrote
    done = oreflow_cli(tmp_path, "run", "job.toml", "--quiet")
    assert done.returncode == 0, done.stderr
    assert leftovers(tmp_path) == []
    assert outputs.is_output(out) and outputs.foreign_entries(out) == []


def test_a_stress_test_killed_mid_run_resumes_and_its_leftovers_are_cleaned(tmp_path: Path, job: Path) -> None:
    proc = gated(tmp_path, "stress", "stress", "job.toml", "--workers", "1", "--quiet")
    journal = tmp_path / ".out-stress.journal"
    try:
        wait_until(lambda: (tmp_path / "inside-stress").exists() or proc.poll() is not None, "a chunk journaled")
        assert proc.poll() is None, proc.communicate()
        proc.kill()
        proc.wait(TIMEOUT)
    finally:
        stop(proc)
    assert sorted(p.name for p in journal.iterdir()) == ["chunk-000000.json", "manifest.json"]
    (journal / ".chunk-000001.json.partial").write_text("[{")  # a save cut short
    assert not (tmp_path / "out-stress").exists() and leftovers(tmp_path) == [".out-stress.lock"]
    done = oreflow_cli(tmp_path, "stress", "job.toml", "--workers", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out-stress" / "summary.json").read_text(encoding="utf-8"))
    assert summary["resumed_points"] == 1
    assert not journal.exists() and leftovers(tmp_path) == []


# ---- a live lock holder: every writer refused at once ----------------------------------------


def test_a_live_lock_holder_refuses_every_writer_at_once(tmp_path: Path, job: Path, monkeypatch, capsys) -> None:
    batch = write_job(tmp_path / "batch.toml", "micro", "out", BAN_AND_INFEASIBLE)
    assert main(["run", str(job), "--quiet"]) == 0
    out, sweep, stress = tmp_path / "out", tmp_path / "out-sweep", tmp_path / "out-stress"
    journal = Journal(sweep, "an interrupted sweep")  # finished chunks of an earlier, interrupted sweep
    journal.load()
    journal.save(0, [{"point": 0, "label": "saved"}])
    before = {"out": snapshot(out), "journal": snapshot(journal.folder)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out), str(sweep), str(stress)],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        ready, _, _ = select.select([holder.stdout], [], [], TIMEOUT)
        assert ready and holder.stdout.readline() == "held\n", holder.stderr
        names = sorted(p.name for p in tmp_path.iterdir())

        def never(*args, **kwargs):
            raise AssertionError("solved while another process writes the output folder")

        monkeypatch.setattr(oreflow.runs, "_solve", never)
        monkeypatch.setattr(oreflow.sweep.run, "solve_points", never)
        monkeypatch.setattr(oreflow.sweep.stress, "solve_points", never)
        for command, folder in (
            (["run", str(job)], out),
            (["run", str(batch)], out),
            (["sweep", str(job)], sweep),
            (["stress", str(job)], stress),
        ):
            assert main([*command, "--quiet"]) == 1
            err = capsys.readouterr().err
            busy_message(err, folder)
            assert f"(pid {holder.pid})" in err and "Nothing was solved or written." in err
        cli = oreflow_cli(tmp_path, "stress", "job.toml", "--quiet")  # and as a real process
        assert cli.returncode == 1 and cli.stdout == ""
        busy_message(cli.stderr, stress)
        assert sorted(p.name for p in tmp_path.iterdir()) == names  # nothing written, nothing removed
        assert snapshot(out) == before["out"] and snapshot(journal.folder) == before["journal"]
    finally:
        try:
            holder.communicate("\n", timeout=TIMEOUT)  # let go: it releases its locks and exits
        finally:
            stop(holder)
    assert holder.returncode == 0
    assert leftovers(tmp_path) == []  # the holder removed its lock files
    monkeypatch.undo()
    assert main(["run", str(job), "--quiet"]) == 0


# ---- two real writers at once -----------------------------------------------------------------


@pytest.mark.parametrize(("command", "folder"), [("run", "out"), ("stress", "out-stress")])
def test_two_writers_at_once_one_wins_the_other_fails_cleanly(
    tmp_path: Path, micro_dataset: Path, command: str, folder: str
) -> None:
    """Two jobs (their names differ) written to one folder at once. The first to take the
    lock stops at the gate, inside its write, until the other has ended: that one must fail,
    at once and cleanly, without touching the winner's staging folder or journal."""
    for name in ("a", "b"):
        write_job(tmp_path / f"{name}.toml", "micro", "out", SWEEP)
    extra = [] if command == "run" else ["--workers", "1"]
    procs = {name: gated(tmp_path, name, command, f"{name}.toml", "--quiet", *extra) for name in ("a", "b")}
    try:
        wait_until(lambda: any(p.poll() is not None for p in procs.values()), "one writer to end")
        loser = next(name for name, p in procs.items() if p.poll() is not None)
        winner = "b" if loser == "a" else "a"
        status, stdout, err = finish(procs[loser])
        assert status == 1 and stdout == "", err
        busy_message(err, tmp_path / folder)
        assert f"(pid {procs[winner].pid})" in err
        wait_until(lambda: (tmp_path / f"inside-{winner}").exists(), "the winner to be writing")
        assert not (tmp_path / f"inside-{loser}").exists()
        if command == "stress":  # the winner's journal, as the winner left it: one chunk, no stray file
            journal = tmp_path / f".{folder}.journal"
            assert sorted(p.name for p in journal.iterdir()) == ["chunk-000000.json", "manifest.json"]
        (tmp_path / "open").touch()
        status, _, err = finish(procs[winner])
        assert status == 0, err
    finally:
        (tmp_path / "open").touch()
        stop(*procs.values())
    summary = json.loads((tmp_path / folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["name"] == winner
    assert outputs.foreign_entries(tmp_path / folder) == []
    assert leftovers(tmp_path) == [] and not (tmp_path / f".{folder}.journal").exists()
