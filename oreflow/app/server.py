"""The app's Starlette application and its server (uvicorn): one page and a JSON API.

Routes (a session is named by the ``X-Oreflow-Session`` header, or ``?session=`` on a
download link; each page load starts one):

- ``GET /``: the page (a new session); ``GET /assets/plotly.min.js``: plotly.js from the
  installed plotly package;
- ``GET /api/options``: the controls, their names and the job's scenarios;
- ``GET /api/state``; ``POST /api/control`` (a control), ``/api/prepare`` (a control about to
  be moved: its LP made ready, nothing shown), ``/api/remove`` (``{"id"}``),
  ``/api/reset``, ``/api/load`` (``{"name"}``: a scenario of the job): the view after the
  change, or (``ok`` false) why it was not applied with the last good view;
- ``POST /api/scenario`` (``{"name", "description"}``): the ``[[scenarios]]`` TOML;
  ``POST /api/save-job`` (``{"name", "folder"}``): a job file written into that folder;
- ``GET /api/tables.zip``, ``GET /api/report.html``: the current tables and report;
- ``GET /dataset/{path}``: a file of the job's dataset; anything resolving outside it is
  refused (404), as is every other path.

Starlette and uvicorn are the ``app`` extra; only ``oreflow serve`` imports this module.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from oreflow.app import controls as ctl
from oreflow.app import exports, page
from oreflow.app.session import Base, Session, Sessions
from oreflow.errors import InputError
from oreflow.report.common.html import plotly_js

HEADER = "X-Oreflow-Session"
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _json(content: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(content, status_code=status, headers=NO_STORE)


def _problems(exc: InputError) -> dict[str, Any]:
    return {"ok": False, "error": {"kind": "input", "heading": exc.heading, "lines": [str(p) for p in exc.problems]}}


def create_app(job: str | Path, allowed_hosts: list[str] | None = None) -> Starlette:
    """The app of ``job`` (its base case solved now). ``allowed_hosts``: the Host headers
    accepted (None: any; ``oreflow serve`` on loopback accepts only loopback names)."""
    base = Base.load(job)
    sessions = Sessions(base)
    dataset = base.dataset.resolve()

    def session_of(request: Request) -> Session | None:
        return sessions.get(request.headers.get(HEADER) or request.query_params.get("session"))

    def gone() -> JSONResponse:
        return _json({"ok": False, "detail": "unknown session: reload the page to start a new one"}, 404)

    async def index(request: Request) -> HTMLResponse:
        session = sessions.new()
        return HTMLResponse(page.render(session.id, base.job_file.name, str(dataset), base.slots), headers=NO_STORE)

    async def plotly(request: Request) -> Response:
        return Response(plotly_js(), media_type="application/javascript", headers={"Cache-Control": "max-age=3600"})

    async def options(request: Request) -> JSONResponse:
        return _json({**ctl.options(base.network), "scenarios": list(base.scenarios)})

    async def body_of(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def acting(action: Callable[[Session, dict[str, Any]], dict[str, Any]]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> JSONResponse:
            session = session_of(request)
            if session is None:
                return gone()
            data = await body_of(request) if request.method == "POST" else {}

            def run() -> dict[str, Any]:
                try:
                    return sessions.run(session, lambda s: action(s, data))
                except InputError as exc:
                    return {**session.state(), **_problems(exc)}

            return _json(await run_in_threadpool(run))

        return endpoint

    def scenario_of(s: Session, data: dict[str, Any], name: str) -> str:
        """The answer on screen as a [[scenarios]] entry (controls not applied left out, said so)."""
        text = exports.scenario_toml(name, str(data.get("description", "")), s.shown_changes())
        waiting = len(s.not_applied)
        if waiting:
            note = f"# the answer on screen: {waiting} change(s) not applied (infeasible with the others) left out"
            text = f"{note}\n{text}"
        return text

    def save_scenario(s: Session, data: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "toml": scenario_of(s, data, str(data.get("name", "")))}

    def save_job(s: Session, data: dict[str, Any]) -> dict[str, Any]:
        name = str(data.get("name", ""))
        scenario = scenario_of(s, data, name)
        text = exports.job_toml(base.job_file, name, scenario)
        path = exports.write_job(str(data.get("folder", "")), name, text, dataset)
        return {"ok": True, "path": str(path)}

    async def tables(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return gone()
        data = await run_in_threadpool(lambda: sessions.run(session, lambda s: exports.tables_zip(s.current)))
        headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{base.job_file.name}-tables.zip"'}
        return Response(data, media_type="application/zip", headers=headers)

    async def report(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return gone()

        def build(s: Session) -> str:  # under the session's lock: the answer and its changes together
            changes = s.shown_changes()
            name = f"{base.job_file.name} (oreflow serve)" if changes else base.job_file.name
            if base.is_plan:
                return exports.plan_report_html(s.current, name, base.job_file, changes)
            return exports.report_html(s.current, name, base.job_file, changes)

        text = await run_in_threadpool(lambda: sessions.run(session, build))
        return HTMLResponse(text, headers=NO_STORE)

    async def dataset_file(request: Request) -> Response:
        """A file of the dataset; a path resolving outside it (``..``, a link) is refused."""
        wanted = request.path_params["path"]
        if not dataset.is_dir():
            return _json({"detail": "not found"}, 404)
        target = (dataset / wanted).resolve()
        if dataset not in target.parents or not target.is_file():
            return _json({"detail": "not found"}, 404)
        return FileResponse(target, headers=NO_STORE)

    routes = [
        Route("/", index),
        Route("/assets/plotly.min.js", plotly),
        Route("/api/options", options),
        Route("/api/state", acting(lambda s, d: s.state())),
        Route("/api/sankey", acting(lambda s, d: s.sankey(d.get("product"))), methods=["POST"]),
        Route("/api/control", acting(lambda s, d: s.set_control(d)), methods=["POST"]),
        Route("/api/prepare", acting(lambda s, d: s.prepare_control(d)), methods=["POST"]),
        Route("/api/remove", acting(lambda s, d: s.remove_control(d.get("id", ""))), methods=["POST"]),
        Route("/api/reset", acting(lambda s, d: s.reset()), methods=["POST"]),
        Route("/api/load", acting(lambda s, d: s.load_scenario(d.get("name", ""))), methods=["POST"]),
        Route("/api/scenario", acting(save_scenario), methods=["POST"]),
        Route("/api/save-job", acting(save_job), methods=["POST"]),
        Route("/api/tables.zip", tables),
        Route("/api/report.html", report),
        Route("/dataset/{path:path}", dataset_file),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)] if allowed_hosts else []
    app = Starlette(routes=routes, middleware=middleware)
    app.state.base = base
    app.state.sessions = sessions
    return app


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(job: str | Path, host: str = "127.0.0.1", port: int = 0, quiet: bool = False) -> int:
    """Serve the app of ``job`` until interrupted; print its address first."""
    import uvicorn

    loopback = is_loopback(host)
    if not loopback:
        print(
            f"warning: binding to {host}, beyond loopback: anyone who can reach this address can use the app "
            "(it reads the dataset and writes job files where a user asks)",
            file=sys.stderr,
        )
    app = create_app(job, allowed_hosts=["127.0.0.1", "localhost", "[::1]", "::1"] if loopback else None)
    sock = bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    print(f"oreflow serve: http://{shown}:{sock.getsockname()[1]}/  (Ctrl+C to stop)", flush=True)
    config = uvicorn.Config(app, log_level="warning" if quiet else "info", access_log=not quiet)
    uvicorn.Server(config).run(sockets=[sock])
    return 0
