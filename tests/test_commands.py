"""The front door by command: the dispatch table of oreflow/commands/, the parser built from it,
the routing of ``main`` through it, its shared error handling and the one loader of a job."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import oreflow.commands
from conftest import write_job
from oreflow.cli import main
from oreflow.commands import COMMANDS, Command, load_target
from oreflow.errors import InputError, Problem, SolveError

NAMES = [command.name for command in COMMANDS]


def _positional(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target")


def _with(monkeypatch: pytest.MonkeyPatch, table: tuple[Command, ...]) -> None:
    """Make ``table`` the dispatch table for the rest of the test."""
    monkeypatch.setattr(oreflow.commands, "COMMANDS", table)


# --- the table and the parser ----------------------------------------------------------------


def test_the_parser_offers_exactly_the_table_in_its_order(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    stdout = capsys.readouterr().out
    choices = re.search(r"usage: oreflow \[-h\] \[--version\]\s+\{([a-z,]+)\}", stdout)
    assert choices is not None, stdout
    assert choices.group(1).split(",") == NAMES
    assert len(set(NAMES)) == len(NAMES)
    for command in COMMANDS:
        assert re.search(rf"^\s+{command.name}\s+{re.escape(command.help.split()[0])}", stdout, re.M), command.name


@pytest.mark.parametrize("name", NAMES)
def test_every_command_has_its_own_usage_and_examples(name, capsys):
    """Each command's help ends with examples: command lines of that command, each explained."""
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: oreflow {name} ")
    examples = out.split("examples:\n", 1)[1].splitlines()
    assert examples and all(line.startswith(f"  oreflow {name}") for line in examples[::2]), out
    assert all(line.startswith("      ") and line.strip() for line in examples[1::2]), out


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert re.fullmatch(r"oreflow \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


def test_every_command_module_is_in_the_table():
    """Each Command a module of oreflow/commands/ declares is listed, and the table lists nothing else."""
    declared = []
    for info in pkgutil.iter_modules(oreflow.commands.__path__):
        module = importlib.import_module(f"oreflow.commands.{info.name}")
        declared += [value for value in vars(module).values() if isinstance(value, Command)]
    assert sorted(c.name for c in declared) == sorted(NAMES)
    assert all(any(c is entry for entry in COMMANDS) for c in declared)


def test_a_command_cannot_be_declared_without_a_handler():
    with pytest.raises(TypeError):
        Command("ping", "answer", _positional)
    with pytest.raises(TypeError, match="'ping'"):
        Command("ping", "answer", _positional, None)


# --- main dispatches through the table --------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_main_runs_the_handler_of_the_named_command(name, monkeypatch):
    called: list[argparse.Namespace] = []

    def handler(args: argparse.Namespace) -> int:
        called.append(args)
        return 7

    _with(monkeypatch, tuple(dataclasses.replace(c, handler=handler) if c.name == name else c for c in COMMANDS))
    assert main([name, "x"]) == 7
    assert [args.command for args in called] == [name]


def test_the_table_alone_decides_what_can_be_run(monkeypatch, capsys):
    ping = Command("ping", "answer", _positional, lambda args: 3)
    _with(monkeypatch, (*COMMANDS[1:], ping))
    assert main(["ping", "x"]) == 3
    with pytest.raises(SystemExit) as info:
        main([COMMANDS[0].name, "x"])  # no longer in the table: argparse rejects it
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("error", "code", "messages"),
    [
        (
            InputError(Problem("a.csv", 2, "c", "v", "a number")),
            1,
            ["oreflow: invalid input: 1 problem(s)", "a.csv, line 2, column 'c'", "Nothing was solved or written."],
        ),
        (
            SolveError("infeasible", "check the bans"),
            1,
            ["oreflow: solve ended with status 'infeasible': check the bans", "No output was written."],
        ),
        (KeyboardInterrupt(), 130, ["oreflow: interrupted.", "No output was written."]),
        (
            OSError("disk full"),
            1,
            ["oreflow: could not write outputs: disk full", "The previous output, if any, is unchanged."],
        ),
    ],
)
def test_main_reports_a_failing_handler(error, code, messages, monkeypatch, capsys):
    def fail(args: argparse.Namespace) -> int:
        raise error

    _with(monkeypatch, (Command("fail", "fails", _positional, fail),))
    assert main(["fail", "x"]) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    for message in messages:
        assert message in captured.err


def test_an_unexpected_error_is_not_hidden(monkeypatch):
    def fail(args: argparse.Namespace) -> int:
        raise RuntimeError("bug")

    _with(monkeypatch, (Command("fail", "fails", _positional, fail),))
    with pytest.raises(RuntimeError, match="bug"):
        main(["fail", "x"])


# --- the shared loader ------------------------------------------------------------------------


def test_load_target_reads_a_job_or_a_dataset_folder(tmp_path, micro_dataset):
    job = write_job(tmp_path / "job.toml", "micro")
    for allowed in (True, False):
        job_file, network = load_target(job, dataset_allowed=allowed)
        assert job_file is not None and job_file.path == job.resolve()
        assert network.source == micro_dataset.resolve()
    job_file, network = load_target(micro_dataset, dataset_allowed=True)
    assert job_file is None and network.source == micro_dataset.resolve()


def test_load_target_refuses_a_folder_when_a_job_is_needed(micro_dataset):
    with pytest.raises(InputError) as info:
        load_target(micro_dataset, dataset_allowed=False)
    [problem] = info.value.problems
    assert problem.file == str(micro_dataset)
    assert problem.expected.startswith("a job file (.toml), not a dataset folder")
    assert problem.rule == "job_file_required"


def test_load_target_missing_path(tmp_path):
    with pytest.raises(InputError, match="expected an existing job file"):
        load_target(tmp_path / "nowhere", dataset_allowed=False)
    with pytest.raises(InputError) as info:
        load_target(tmp_path / "nowhere", dataset_allowed=True)  # read as a dataset folder
    assert "job file" not in str(info.value)


@pytest.mark.parametrize("name", ["sweep", "stress"])
def test_sweep_and_stress_refuse_a_dataset_folder(name, tmp_path, micro_dataset, capsys):
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main([name, str(micro_dataset)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{micro_dataset}: expected a job file (.toml), not a dataset folder" in captured.err
    assert "[sweep] section" in captured.err
    assert "Nothing was solved or written." in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --- as a real process ------------------------------------------------------------------------


def _oreflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oreflow", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_python_m_oreflow_help_lists_every_command(tmp_path):
    proc = _oreflow("--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for command in COMMANDS:
        assert re.search(rf"^\s+{command.name}\s", proc.stdout, re.M), command.name


def test_a_dataset_folder_given_to_sweep_fails_cleanly(tmp_path, micro_dataset):
    proc = _oreflow("sweep", str(micro_dataset), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("oreflow: invalid input: 1 problem(s)\n")
    assert f"{micro_dataset}: expected a job file (.toml), not a dataset folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_imports_no_solver_job_or_report_code(tmp_path):
    """``oreflow --help`` builds the parser only: every heavy import stays inside the handlers."""
    code = (
        "import json, sys\nfrom oreflow.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n"
        "    pass\nprint(json.dumps(sorted(sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stdout.splitlines()[-1]))
    heavy = {
        "scipy",
        "highspy",
        "pyomo",
        "pydantic",
        "plotly",
        "matplotlib",
        "fastparquet",
        "oreflow.api",
        "oreflow.job",
        "oreflow.runs",
        "oreflow.sweep",
        "oreflow.report",
        "oreflow.scenarios",
    }
    assert sorted(heavy & loaded) == []
