"""The app's state: the job's base case, shared and read-only, and each session's own.

:class:`Base` loads the job once (its dataset, market options and solver options) and solves
the base case. A :class:`Session` (one per page load: a browser tab) holds its controls, the
scenario it loaded, its own :class:`oreflow.Resolver` (forked from the base case's on its
first change; every change re-solves from the last basis, :meth:`oreflow.Resolver.solve_changes`) and its last
good answer, which an infeasible change or bad values leave in place. :class:`Sessions` keeps
the newest :data:`MAX_SESSIONS`, each behind its own lock. Nothing is ever written into the
dataset: changes live in memory only.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from oreflow.app import controls as ctl
from oreflow.app import figures
from oreflow.app import plan as plan_view
from oreflow.app.plan import PlanSolver
from oreflow.embed import Resolver
from oreflow.errors import InputError, Problem, SolveError
from oreflow.job import Change, JobFile, Scenario, load_job, market_options
from oreflow.model.market import MarketOptions
from oreflow.model.network import Network, load_inputs
from oreflow.result import Result, make_result

T = TypeVar("T")

#: What the page says under an infeasible change that the session keeps, not applied.
KEPT_HINT = (
    "The last good answer stays below. The change stays in the list, marked not applied: change another "
    "control (e.g. void the contract it breaks) or remove it."
)

#: Sessions kept (the oldest unused one is dropped beyond this).
MAX_SESSIONS = 32


@dataclass
class Base:
    """The job's base case: loaded and solved once, shared by every session."""

    job_file: JobFile
    network: Network
    market: MarketOptions
    solver_options: dict[str, Any]
    result: Any  # a Result; for a plan, a PlanResult
    figures: dict[str, Any]
    view: dict[str, Any]
    #: the base case loaded in HiGHS; each session re-solves in a fork of it (Resolver.fork;
    #: for a plan, PlanSolver.fork)
    resolver: Any = field(repr=False)

    @classmethod
    def load(cls, job: str | Path) -> Base:
        """Load and solve ``job`` (a job of one year, or a plan: one with a [horizon])."""
        job_file = load_job(job)
        network = load_inputs(job_file.dataset)
        market = market_options(job_file.job)
        options = dict(job_file.job.solver_options)
        if job_file.job.horizon is not None:
            solver = PlanSolver(job_file, network)
            found = plan_view.figures(solver.base)
            view = plan_view.view(solver.base, found, found)
            return cls(job_file, network, market, options, solver.base, found, view, solver)
        resolver = Resolver(network, market, options, ranging=True)  # fragile prices flagged, as the report
        result = _result(resolver.base.network or network, resolver.base)
        found = figures.figures(result)
        return cls(job_file, network, market, options, result, found, figures.view(result, found, found), resolver)

    @property
    def is_plan(self) -> bool:
        """Whether the job is a plan: its answers are PlanResults, shown as the plan report."""
        return self.job_file.job.horizon is not None

    @property
    def slots(self) -> tuple[str, ...]:
        """The page's chart slots."""
        return plan_view.SLOTS if self.is_plan else figures.SLOTS

    def result_of(self, answer: Any) -> Any:
        """What a re-solver's answer is shown as: a Result, or for a plan its PlanResult as is."""
        return answer if self.is_plan else _result(answer.network or self.network, answer)

    def view_of(self, result: Any) -> dict[str, Any]:
        """The page's view of ``result`` against the base case's figures."""
        return (plan_view if self.is_plan else figures).view(result, self.figures)

    @property
    def dataset(self) -> Path:
        return self.job_file.dataset

    @property
    def scenarios(self) -> dict[str, Scenario]:
        return {s.name: s for s in self.job_file.job.scenarios}


def _result(network: Network, answer: Any) -> Result:
    """The Result of a Resolver answer (its tables as :func:`oreflow.solve` builds them, with
    the ranging of the answer's basis: fragile prices flagged)."""
    return make_result(network, answer.lp, answer.record, "highs", {"solve_s": answer.solve_s})


@dataclass
class Session:
    """One tab's state: its changes, its re-solver and its last good answer."""

    id: str
    base: Base
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    controls: OrderedDict[str, ctl.Control] = field(default_factory=OrderedDict)
    #: a scenario of the job loaded as the first changes: (name, its changes)
    loaded: tuple[str, list[Change]] | None = None
    result: Any = None  # a Result, for a plan a PlanResult; None: the base case's
    last_view: dict[str, Any] | None = None
    #: the controls and scenario of the answer on screen: after an infeasible change the
    #: session keeps every control (so another can make them feasible) but shows these
    shown: tuple[OrderedDict[str, ctl.Control], tuple[str, list[Change]] | None] = field(
        default_factory=lambda: (OrderedDict(), None)
    )
    resolver: Resolver | None = field(default=None, repr=False)
    used: float = field(default_factory=time.monotonic)
    #: requests that reached the session, and the one being served (Sessions.run)
    arrived: int = 0
    ticket: int = 0

    def changes(self) -> list[Change]:
        """The loaded scenario's changes, then each control's, in the order they were set
        (those not applied included: the session's whole set)."""
        return self._changes_of(self.controls, self.loaded)

    def shown_changes(self) -> list[Change]:
        """The changes of the answer on screen (what is saved, downloaded and reported)."""
        return self._changes_of(*self.shown)

    def _changes_of(
        self, controls: OrderedDict[str, ctl.Control], loaded: tuple[str, list[Change]] | None
    ) -> list[Change]:
        found = list(loaded[1]) if loaded else []
        for control in controls.values():
            found += ctl.changes_of(control, self.base.network)
        return found

    @property
    def pending(self) -> bool:
        """Whether the session's changes are not those of the answer on screen (the last
        change made the model infeasible: kept, not applied)."""
        return (list(self.controls.values()), self.loaded) != (list(self.shown[0].values()), self.shown[1])

    @property
    def current(self) -> Any:
        """The answer on screen: a Result (for a plan, a PlanResult)."""
        return self.result if self.result is not None else self.base.result

    def state(self) -> dict[str, Any]:
        """The current view and the changes it shows."""
        view = self.last_view if self.last_view is not None else self.base.view
        return {"ok": True, "view": view, **self._listing()}

    @property
    def not_applied(self) -> set[str]:
        """The ids of the session's controls the answer on screen does not include."""
        applied = set(self.shown[0].values())
        return {key for key, control in self.controls.items() if control not in applied}

    def _listing(self) -> dict[str, Any]:
        waiting = self.not_applied
        return {
            "controls": [{**c.as_json(), "applied": key not in waiting} for key, c in self.controls.items()],
            "scenario": self.loaded[0] if self.loaded else None,
            "changes": [c.describe() for c in self.shown_changes()],
            "pending": self.pending,
        }

    def sankey(self, product: Any) -> dict[str, Any]:
        """The Sankey of one product of the current answer (blank: all products)."""
        from oreflow.app.figures import sankey_view

        if self.base.is_plan:
            raise InputError(Problem("the Sankey", None, None, None, "a job of one year (a plan has none)", "choice"))

        return sankey_view(self.current, None if product in (None, "") else str(product))

    def set_control(self, data: Any) -> dict[str, Any]:
        """Check and apply one control (replacing one with the same id) and re-solve."""
        control = ctl.parse(data, self.base.network)
        proposed = OrderedDict(self.controls)
        proposed.pop(control.id, None)
        proposed[control.id] = control
        return self._change(proposed, f"control {control.kind}", moved=control.id)

    def _change(self, proposed: OrderedDict[str, ctl.Control], label: str, moved: str | None) -> dict[str, Any]:
        """Re-solve with the controls ``proposed`` (``moved``: the one set, None for a removal).

        While no control is pending (not applied) that is one solve: a control set that makes
        the model infeasible is kept, not applied; a removal that does is refused. While some
        are pending, first the answer on screen with this change alone (the controls applied,
        and the one moved): a removal it breaks is refused, a control it breaks is kept not
        applied; then every control, those still infeasible kept not applied. So moving an
        unrelated control applies it though a ban still waits for the contract it breaks."""
        waiting = self.not_applied - {moved}
        candidate = OrderedDict((key, c) for key, c in proposed.items() if key not in waiting)
        if waiting and list(candidate.values()) != list(self.shown[0].values()):
            first = self._solve(candidate, self.loaded, label, keep_infeasible=False)
            if not first["ok"]:
                if moved is not None and first["error"]["kind"] == "infeasible":  # kept, not applied, too
                    self.controls = proposed
                    return {**first, **self._listing(), "error": {**first["error"], "hint": KEPT_HINT}}
                return first
        return self._solve(proposed, self.loaded, label, keep_infeasible=moved is not None or bool(waiting))

    def prepare_control(self, data: Any) -> dict[str, Any]:
        """Get ready for a control about to be moved (the page calls this when its keys are
        chosen or its slider pressed): the LP of the session's changes with it found, and a new
        structure loaded (:meth:`oreflow.Resolver.prepare_changes`), so that the change itself is
        a move in place. Nothing is solved or shown; the session's state stays. Whatever goes
        wrong here is said again, in full, by the change itself."""
        started = time.perf_counter()
        if self.ticket != self.arrived or self.base.is_plan:  # out of date; a plan re-solves as a whole
            return {"ok": False, "prepared": None}
        try:
            control = ctl.parse(data, self.base.network)
            changes = ctl.changes_of(control, self.base.network)
            if control.id in self.controls or not any(c.action in ("add", "remove") for c in changes):
                return {"ok": True, "prepared": None}  # nothing to get ready: it moves in place
            proposed = OrderedDict(self.controls)
            proposed[control.id] = control
            if self.resolver is None:
                self.resolver = self.base.resolver.fork()
            path = self.resolver.prepare_changes(self._changes_of(proposed, self.loaded), f"control {control.kind}")
        except InputError:
            return {"ok": False, "prepared": None}
        return {"ok": True, "prepared": path, "timings": {"total_ms": 1000 * (time.perf_counter() - started)}}

    def remove_control(self, control_id: str) -> dict[str, Any]:
        """Drop one control and re-solve."""
        proposed = OrderedDict(self.controls)
        if proposed.pop(str(control_id), None) is None:
            raise InputError(Problem("remove", None, "id", str(control_id), "the id of a control set", "app_control"))
        return self._change(proposed, "remove", moved=None)

    def reset(self) -> dict[str, Any]:
        """Back to the base case."""
        return self._solve(OrderedDict(), None, "reset")

    def load_scenario(self, name: str) -> dict[str, Any]:
        """The job's scenario ``name`` as the session's changes (its controls cleared)."""
        scenario = self.base.scenarios.get(str(name))
        if scenario is None:
            known = ", ".join(self.base.scenarios) or "none in this job"
            raise InputError(
                Problem("load", None, "scenario", str(name), f"a scenario of the job ({known})", "app_scenario")
            )
        return self._solve(OrderedDict(), (scenario.name, list(scenario.changes)), f"scenario {scenario.name!r}")

    def _solve(
        self,
        controls: OrderedDict[str, ctl.Control],
        loaded: tuple[str, list[Change]] | None,
        label: str,
        keep_infeasible: bool = False,
    ) -> dict[str, Any]:
        """Re-solve with ``controls`` and ``loaded``; on success they become the session's,
        else the session keeps its last good answer and the response says why. Bad values are
        never kept; with ``keep_infeasible`` (a control set or moved) controls that make the
        model infeasible are kept, not applied, so that another control can make them feasible
        (a removal that would make applied controls infeasible, or an infeasible scenario, is
        refused instead; a removal while controls are not applied keeps the rest not applied)."""
        started = time.perf_counter()
        changes = self._changes_of(controls, loaded)
        timings: dict[str, Any] = {}
        try:
            if not changes:
                result, view = self.base.result, self.base.view
            else:
                if self.resolver is None:
                    mark = time.perf_counter()
                    self.resolver = self.base.resolver.fork()
                    timings["resolver_ms"] = 1000 * (time.perf_counter() - mark)
                mark = time.perf_counter()
                answer = self.resolver.solve_changes(changes, f"oreflow serve, {label}")
                timings["solve_ms"] = 1000 * (time.perf_counter() - mark)
                if hasattr(answer, "lp_path"):  # how a year's LP was found (a plan's answer has none)
                    timings["lp"] = answer.lp_path
                mark = time.perf_counter()
                result = self.base.result_of(answer)
                timings["result_ms"] = 1000 * (time.perf_counter() - mark)
                mark = time.perf_counter()
                view = self.base.view_of(result)
                timings["figures_ms"] = 1000 * (time.perf_counter() - mark)
        except InputError as exc:
            return self._failed("input", exc.heading, [str(p) for p in exc.problems], started)
        except SolveError as exc:
            report = exc.report  # the conflicting constraints in words, as the command line prints them
            if report is not None:
                if keep_infeasible:  # not applied: another control (voiding the contract a ban breaks) may fix it
                    self.controls, self.loaded = controls, loaded
                return self._failed(
                    "infeasible", f"Not applied: {report.heading}", report.items(), started, kept=keep_infeasible
                )
            return self._failed("solve", f"Not applied: {exc}", [], started)
        self.controls, self.loaded = controls, loaded
        self.shown = (OrderedDict(controls), loaded)
        self.result, self.last_view = (None, None) if result is self.base.result else (result, view)
        timings["total_ms"] = 1000 * (time.perf_counter() - started)
        return {**self.state(), "timings": timings}

    def _failed(self, kind: str, heading: str, lines: list[str], started: float, kept: bool = False) -> dict[str, Any]:
        """The response to a change that was not applied: why, and the last good answer (after
        an infeasible control, ``kept``: the session's controls include it, marked not applied)."""
        hint = KEPT_HINT if kept else "The last good answer stays below."
        return {
            **self.state(),
            "ok": False,
            "error": {"kind": kind, "heading": heading, "lines": lines, "hint": hint},
            "timings": {"total_ms": 1000 * (time.perf_counter() - started)},
        }


class Sessions:
    """The live sessions by id, the newest :data:`MAX_SESSIONS` kept."""

    def __init__(self, base: Base, limit: int = MAX_SESSIONS) -> None:
        self.base = base
        self.limit = limit
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def new(self) -> Session:
        """A fresh session at the base case."""
        session = Session(secrets.token_urlsafe(16), self.base)
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > self.limit:
                self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The session ``session_id`` (None: unknown or dropped)."""
        with self._lock:
            session = self._sessions.get(session_id or "")
            if session is not None:
                self._sessions.move_to_end(session.id)
                session.used = time.monotonic()
            return session

    def run(self, session: Session, action: Callable[[Session], T]) -> T:
        """``action(session)`` under the session's lock (one change at a time per session).
        Each request takes a ticket on arrival, before it waits for the lock: a preparation
        overtaken by a newer request is skipped (:meth:`Session.prepare_control`)."""
        with self._lock:
            session.arrived += 1
            ticket = session.arrived
        with session.lock:
            session.ticket = ticket
            return action(session)
