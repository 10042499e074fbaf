"""The points of a sweep: each a list of scenario changes with the values that made it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from oreflow.job import Change, Distribution, Sweep


@dataclass(frozen=True)
class Point:
    """One LP to solve: ``changes`` on top of the sweep's base dataset.

    ``values`` holds the swept parameters' values (columns ``param.<name>``) and ``tags``
    any other identifying columns (a stress test's ``kind`` and ``element``).
    """

    index: int
    label: str
    changes: tuple[Change, ...]
    values: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def sweep_points(sweep: Sweep) -> list[Point]:
    """Every point of ``sweep``: a grid's combinations (the first parameter varying
    slowest), or ``samples`` Monte Carlo draws (one seeded generator, parameters drawn in
    order), numbered from 0."""
    parameters = sweep.parameters
    if sweep.mode == "grid":
        rows = list(itertools.product(*(p.grid_values() for p in parameters)))
    else:
        rng = np.random.default_rng(sweep.seed)
        draws = [draw(p.distribution, sweep.samples or 0, rng) for p in parameters]
        rows = list(zip(*(d.tolist() for d in draws)))
    points = []
    for number, row in enumerate(rows):
        values = {p.name: float(v) for p, v in zip(parameters, row)}
        label = ", ".join(f"{name}={value:g}" for name, value in values.items())
        changes = tuple(p.change(v) for p, v in zip(parameters, row))
        points.append(Point(number, label, changes, values))
    return points


def draw(distribution: Distribution | None, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of ``distribution``."""
    d = distribution
    assert d is not None

    def given(value: float | None) -> float:
        assert value is not None  # Distribution checks that its kind's fields are given
        return value

    if d.kind == "uniform":
        return rng.uniform(given(d.low), given(d.high), n)
    if d.kind == "normal":
        return rng.normal(given(d.mean), given(d.sd), n)
    if d.kind == "lognormal":
        return rng.lognormal(given(d.mean), given(d.sigma), n)
    if d.kind == "triangular":
        if d.low == d.high:
            return np.full(n, given(d.low))
        return rng.triangular(given(d.low), given(d.mode), given(d.high), n)
    return rng.choice(np.asarray(d.values, dtype=float), n)
