"""The commands of ``oreflow``, one module each, and the dispatch table.

:data:`COMMANDS` is the table: :func:`oreflow.cli.main` builds its parser from it and runs
the handler of the command named on the command line, so every command listed here can be
reached and nothing else can. A command module declares a :class:`Command` and loads its
job with :func:`load_target` (both in :mod:`oreflow.commands.shared`); it imports anything
heavy inside its handler, so ``oreflow --help`` stays fast.
"""

from __future__ import annotations

from oreflow.commands import calibrate, convert, report, run, runs, serve, sweep, template, validate
from oreflow.commands.shared import Command, load_target

#: Every command, in the order ``oreflow --help`` lists them.
COMMANDS: tuple[Command, ...] = (
    run.COMMAND,
    validate.COMMAND,
    sweep.SWEEP,
    sweep.STRESS,
    report.COMMAND,
    calibrate.COMMAND,
    runs.COMMAND,
    template.COMMAND,
    convert.COMMAND,
    serve.COMMAND,
)

__all__ = ["COMMANDS", "Command", "load_target"]
