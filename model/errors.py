"""The two exception types users catch: bad input and a solve that is not optimal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as the data allows.

    ``line`` is the 1-based line in the file (the header is line 1), or None when the
    problem is about the whole file or table; ``column`` is None when it is about a row
    or a file as a whole.
    """

    file: str
    line: int | None
    column: str | None
    value: str | None
    expected: str
    rule: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column!r}"
        got = "" if self.value is None else f"got {self.value!r}; "
        return f"{where}: {got}expected {self.expected}"


class InputError(ValueError):
    """Input data or a job file is unusable. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem] | Problem, heading: str = "invalid input") -> None:
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        self.heading = heading
        lines = [f"{heading}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class SolveError(RuntimeError):
    """The solver did not reach an optimal solution; the message says what to check.

    ``report`` is, for an infeasible LP, an :class:`oreflow.infeasibility.InfeasibilityReport`
    naming the constraints that cannot hold together (None otherwise).
    """

    def __init__(self, status: str, message: str, report: Any = None) -> None:
        self.status = status
        self.report = report
        super().__init__(f"solve ended with status {status!r}: {message}")
