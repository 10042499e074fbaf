"""The two exception types users catch: bad input and a solve that is not optimal; and the
warnings a dataset that is valid but probably not what was meant carries."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

#: How many problems an :class:`InputError` lists one by one; the rest are counted by rule.
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as the data allows.

    ``line`` is the 1-based line in the file (the header is line 1), or None when the
    problem is about the whole file or table; ``column`` is None when it is about a row
    or a file as a whole. ``more`` counts further problems of the same ``rule`` that were
    found but not built one by one (a huge bad file: see :func:`cap_problems`).
    """

    file: str
    line: int | None
    column: str | None
    value: str | None
    expected: str
    rule: str = ""
    more: int = 0

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column!r}"
        got = "" if self.value is None else f"got {self.value!r}; "
        return f"{where}: {got}expected {self.expected}"


def first_positions(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """(positions of the first MAX_PROBLEMS True values of ``mask``, how many more there are):
    a rule builds Problems for those only and counts the rest (:func:`with_more`)."""
    positions = np.flatnonzero(mask)
    return positions[:MAX_PROBLEMS], max(len(positions) - MAX_PROBLEMS, 0)


def with_more(problems: list[Problem], more: int) -> list[Problem]:
    """``problems`` with ``more`` further ones of their kind counted in the last."""
    if more and problems:
        problems[-1] = dataclasses.replace(problems[-1], more=problems[-1].more + more)
    return problems


def cap_problems(problems: Iterable[Problem], keep: int = MAX_PROBLEMS) -> list[Problem]:
    """The first ``keep`` problems of each rule; the others are counted in the ``more`` of the
    last one kept of their rule (so memory stays bounded however many are found)."""
    kept: list[Problem] = []
    last: dict[str, int] = {}  # rule -> position in kept of its last problem
    shown: Counter[str] = Counter()
    extra: Counter[str] = Counter()
    for problem in problems:
        if shown[problem.rule] < keep:
            shown[problem.rule] += 1
            last[problem.rule] = len(kept)
            kept.append(problem)
        else:
            extra[problem.rule] += 1 + problem.more
    for rule, count in extra.items():
        at = last[rule]
        kept[at] = dataclasses.replace(kept[at], more=kept[at].more + count)
    return kept


def rule_counts(counts: Mapping[str, int]) -> str:
    """``999,950 'number', 12 'reference'``: counts by rule, largest first."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{count:,} {rule or 'other'!r}" for rule, count in ordered)


class InputError(ValueError):
    """Input data or a job file is unusable.

    ``problems`` lists the first :data:`MAX_PROBLEMS` problems found; ``omitted`` counts, by
    rule, every other one (the problems past the first MAX_PROBLEMS, those counted in a
    problem's ``more``, and ``omitted`` as given: a caller re-raising another InputError's
    ``problems`` passes its ``omitted`` on); ``count`` is how many were found in all.
    """

    def __init__(
        self,
        problems: Iterable[Problem] | Problem,
        heading: str = "invalid input",
        omitted: Mapping[str, int] | None = None,
    ) -> None:
        given = [problems] if isinstance(problems, Problem) else list(problems)
        self.omitted: Counter[str] = Counter(omitted or {})
        self.problems: list[Problem] = []
        for problem in given[:MAX_PROBLEMS]:
            if problem.more:
                self.omitted[problem.rule] += problem.more
                problem = dataclasses.replace(problem, more=0)
            self.problems.append(problem)
        for problem in given[MAX_PROBLEMS:]:
            self.omitted[problem.rule] += 1 + problem.more
        self.count = len(self.problems) + sum(self.omitted.values())
        self.heading = heading
        lines = [f"{heading}: {self.count:,} problem(s)"]
        lines += [f"  - {p}" for p in self.problems]
        if self.omitted:
            lines.append(f"  ... and {sum(self.omitted.values()):,} more: {rule_counts(self.omitted)}")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class InputWarning:
    """Something in a valid dataset that is probably not what was meant (a misspelled file
    name that is then ignored, an origin without any route): reported, never refused.

    ``line`` is the line of the row concerned (header = line 1), or None for a whole file.
    """

    file: str
    line: int | None
    message: str
    rule: str = ""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}, line {self.line}"
        return f"{where}: {self.message}"


class DatasetWarning(UserWarning):
    """The category of the Python warnings :func:`oreflow.solve` emits for a dataset's
    :class:`InputWarning` (filter them with ``warnings.filterwarnings``)."""


class SolveError(RuntimeError):
    """The solver did not reach an optimal solution; the message says what to check.

    ``report`` is, for an infeasible LP, an :class:`oreflow.model.infeasibility.InfeasibilityReport`
    naming the constraints that cannot hold together (None otherwise).
    """

    def __init__(self, status: str, message: str, report: Any = None) -> None:
        self.status = status
        self.report = report
        super().__init__(f"solve ended with status {status!r}: {message}")
