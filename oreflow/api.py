"""The public entry point :func:`solve`."""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oreflow.errors import InputError, Problem, SolveError
from oreflow.infeasibility import report_of
from oreflow.model.errors import DatasetWarning
from oreflow.model.lp import build_lp
from oreflow.model.market import MarketOptions, as_options
from oreflow.model.network import Network, load_inputs
from oreflow.model.reading import number_text
from oreflow.model.tables import NUMBER_LIMIT, TABLES
from oreflow.result import Result, make_result
from oreflow.solvers import solve_lp

if TYPE_CHECKING:  # pragma: no cover
    from oreflow.job import Change

_ADVICE = {
    "infeasible": "no allocation meets every constraint; check supply, capacity and routes against demand",
    "unbounded": "the cost can fall without limit; check for negative costs",
    "infeasible_or_unbounded": "check supply, capacity and routes against demand, and for negative costs",
    "time_limit": "the solver hit its time limit; raise solver_options time_limit or choose another algorithm",
    "iteration_limit": "the solver hit its iteration limit; raise the limit in solver_options",
}


def solve(
    inputs: Network | str | Path,
    backend: str | None = None,
    *,
    solver: str | None = None,
    solver_options: Mapping[str, Any] | None = None,
    unmet_penalty_usd_per_t: float | None = None,
    ranging: bool | None = None,
    market: MarketOptions | None = None,
    changes: Sequence[Change | Mapping[str, Any]] | None = None,
) -> Result:
    """Solve the least-cost allocation LP and return a :class:`~oreflow.Result`.

    Args:
        inputs: a :class:`~oreflow.Network`, a dataset folder of CSV files, or a job
            file (``.toml``) whose dataset, backend, solver options and penalty are used
            unless given here.
        backend: ``"highs"`` (default; highspy with the LP arrays) or ``"pyomo"``
            (a Pyomo model of the LP: with HiGHS through oreflow's direct interface,
            with any other solver through Pyomo's).
        solver: with backend ``"pyomo"``, the Pyomo solver name (default ``"highs"``).
        solver_options: passed to the solver unchanged (e.g. ``{"time_limit": 60}``).
        unmet_penalty_usd_per_t: cost of a tonne of unmet demand where demand.csv
            leaves it blank; default 1e7 USD/t.
        market: how demand is represented (:class:`~oreflow.model.market.MarketOptions`:
            demand-curve form, steps, price cap and floor, penalty multiple); default the
            job file's options, else the defaults. ``unmet_penalty_usd_per_t``, when
            given, overrides its penalty.
        ranging: range the optimal basis (``Result.ranging``; default True, or the job
            file's ``ranging``); False saves its time (about 9 % of the solve at 1e5
            variables) and leaves ``Result.ranging`` empty.
        changes: applied in order to the dataset before solving, as a scenario's changes
            (:class:`oreflow.job.Change`, or mappings with its fields: ``{"action": "set",
            "table": "demand", "where": {"market": "EU"}, "column": "demand_t", "value": 3000}``);
            the changed dataset is validated like a scenario's. For many re-solves of demand,
            supply or costs, :class:`oreflow.Resolver` re-solves in place (docs/embedding.md).

    Shadow prices follow docs/conventions.md: the change of the optimal total cost
    (USD) per one-unit increase of the constraint's right-hand side.

    The dataset's warnings (``Network.warnings``: a misspelled file name that is not read,
    an origin, refiner or market without routes) are emitted as Python warnings of category
    :class:`~oreflow.model.errors.DatasetWarning` (a ``UserWarning``) before solving.

    Raises:
        InputError: the inputs are invalid (nothing is solved).
        SolveError: the solver did not reach an optimal solution.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    options: dict[str, Any] = {}
    job_market = MarketOptions()
    job_ranging = True
    if isinstance(inputs, Network):
        network = inputs
    else:
        path = Path(inputs)
        if path.suffix == ".toml":
            from oreflow.job import load_job, market_options

            job_file = load_job(path)
            job = job_file.job
            backend = backend or job.backend
            solver = solver or job.solver
            options = dict(job.solver_options)
            job_market = market_options(job)
            job_ranging = job.ranging
            network = load_inputs(job_file.dataset)
        else:
            network = load_inputs(path)
    if changes:
        network = _changed(network, changes)
    timings["load_s"] = time.perf_counter() - started
    for warning in network.warnings:
        warnings.warn(str(warning), DatasetWarning, stacklevel=2)
    if solver_options:
        options.update(solver_options)
    bad = [name for name, value in options.items() if isinstance(value, float) and not math.isfinite(value)]
    if bad:
        raise InputError(
            [Problem("solve", None, name, repr(options[name]), "a finite number", "solver_option") for name in bad]
        )
    if unmet_penalty_usd_per_t is not None:
        if not (math.isfinite(unmet_penalty_usd_per_t) and 0 < unmet_penalty_usd_per_t < NUMBER_LIMIT):
            raise InputError(
                Problem(
                    "solve",
                    None,
                    "unmet_penalty_usd_per_t",
                    repr(unmet_penalty_usd_per_t),
                    f"a number > 0 and below {number_text(NUMBER_LIMIT)} (USD per t of unmet demand)",
                    "penalty",
                )
            )
    chosen = market or job_market
    if unmet_penalty_usd_per_t is not None:
        chosen = dataclasses.replace(chosen, unmet_penalty_usd_per_t=float(unmet_penalty_usd_per_t))
    return solve_network(
        network,
        backend or "highs",
        solver=solver,
        solver_options=options,
        market=chosen,
        timings=timings,
        ranging=job_ranging if ranging is None else ranging,
    )


def _changed(network: Network, changes: Sequence[Change | Mapping[str, Any]]) -> Network:
    """``network`` with ``changes`` applied in order and validated (InputError naming the change)."""
    from pydantic import ValidationError

    from oreflow.job import Change
    from oreflow.scenarios import changed_network

    label = "solve(changes=...)"
    parsed, problems = [], []
    for number, change in enumerate(changes, start=1):
        try:
            parsed.append(change if isinstance(change, Change) else Change.model_validate(change))
        except ValidationError as exc:
            reason = "; ".join(error["msg"] for error in exc.errors())
            problems.append(Problem(f"{label}, change {number}", None, None, str(change), reason, "change"))
    if problems:
        raise InputError(problems, heading=f"{label}: invalid changes")
    changed = changed_network(network, parsed, label)
    try:
        valid = Network.from_frames(**{spec.name: getattr(changed, spec.name) for spec in TABLES})
    except InputError as exc:
        raise InputError(exc.problems, heading=f"{label} leaves the dataset invalid", omitted=exc.omitted) from None
    return dataclasses.replace(valid, source=network.source, file_hashes=dict(network.file_hashes))


def solve_network(
    network: Network,
    backend: str,
    *,
    solver: str | None,
    solver_options: Mapping[str, Any],
    market: MarketOptions | float,
    timings: dict[str, float] | None = None,
    ranging: bool = True,
) -> Result:
    """Build, solve and tabulate one validated network (the shared core of every path);
    ``market`` is the LP's market options (a number: the unmet penalty)."""
    timings = dict(timings or {})
    mark = time.perf_counter()
    market = as_options(market)
    lp = build_lp(network, market)
    timings["build_s"] = time.perf_counter() - mark
    record = solve_lp(lp, backend, solver, solver_options, ranging)
    if record.status in ("infeasible", "infeasible_or_unbounded"):
        report = report_of(lp, record)
        raise SolveError(record.status, f"{record.solver_status}; {report}", report=report)
    if record.status != "optimal":
        raise SolveError(record.status, f"{record.solver_status}; {_ADVICE.get(record.status, 'check the solver log')}")
    mark = time.perf_counter()
    result = make_result(network, lp, record, backend, timings)
    result.timings["result_s"] = time.perf_counter() - mark
    return result
