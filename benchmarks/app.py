"""The what-if app's latency: from a change reaching the server to the new figures leaving it.

    python benchmarks/app.py                 # the default job, 15 moves per control; records RESULTS.md
    python benchmarks/app.py --moves 5 --no-record

`oreflow serve`'s app (oreflow.app.server.create_app) runs under uvicorn in a thread on a free
loopback port; one session moves each control back and forth between two values (a slider
dragged and released), each move a POST /api/control answered with the whole view (every
figure and number). Timed per move: the round trip seen by the client (HTTP on loopback,
JSON both ways) and the server's own total (the ``timings`` of the answer: finding the LP,
the re-solve, the result tables, the report's figures). The move that adds a control (for a
policy row: the changed tables validated and its LP built; timed in fresh sessions) and the first
change of a session (its re-solver forked from the base case's) are reported apart. Medians and 90th percentiles; the
target is 100 ms on the default dataset (issue 16), not asserted in a test.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import harness  # noqa: E402  (benchmarks/harness.py: recording; stdlib only)

#: control -> the two values a move alternates between
MOVES = {
    "cn_cost": ({"kind": "cn_cost"}, (1.5, 2.0)),
    "cn_recovery": ({"kind": "cn_recovery"}, (0.9, 0.95)),
    "refiner_capacity": ({"kind": "refiner_capacity", "refiner": "MY_Lynas_Kuantan"}, (15000, 25000)),
    "origin_supply": ({"kind": "origin_supply", "origin": "MM_Kachin_IAC"}, (0.5, 0.75)),
    "product_demand": ({"kind": "product_demand", "product": "NdPr", "market": ""}, (1.2, 1.4)),
    "tariff": ({"kind": "tariff", "from_country": "CN", "to_country": "US", "stage": "product"}, (5000, 20000)),
    "export_quota": ({"kind": "export_quota", "country": "CN", "product": "Dy"}, (200, 300)),
    "market_share": ({"kind": "market_share", "market": "US", "product": "NdPr", "country": "CN"}, (0.5, 0.7)),
    "trade_ban": ({"kind": "trade_ban", "from_country": "CN", "to_country": "US", "stage": "product"}, (1, 1)),
}


def post(base: str, path: str, body: dict, session: str) -> tuple[dict, float]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data, {"Content-Type": "application/json", "X-Oreflow-Session": session}, method="POST"
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        answer = json.loads(response.read())
    return answer, 1000 * (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", default=str(REPO / "inputs" / "baseline.toml"))
    parser.add_argument("--moves", type=int, default=15)
    parser.add_argument("--adds", type=int, default=5, help="fresh sessions timed adding each control")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    import re

    import uvicorn

    from oreflow.app.server import bind, create_app

    app = create_app(args.job)
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"

    def new_session() -> str:
        page = urllib.request.urlopen(base + "/").read().decode()
        found = re.search(r'data-session="([^"]+)"', page)
        assert found is not None, "the page names no session"
        return found.group(1)

    firsts = [post(base, "/api/control", {"kind": "cn_cost", "value": 1.1}, new_session())[1] for _ in range(args.adds)]
    first = statistics.median(firsts)
    session = new_session()
    post(base, "/api/control", {"kind": "cn_cost", "value": 1.1}, session)
    rows = []
    for name, (control, values) in MOVES.items():
        post(base, "/api/reset", {}, session)
        trip, total, solve, paths = [], [], [], []
        answer: dict = {}
        for i in range(args.moves + 1):
            if name == "trade_ban" and i % 2:  # a ban toggled: lifted, then imposed again
                answer, ms = post(base, "/api/remove", {"id": answer["controls"][0]["id"]}, session)
            else:
                answer, ms = post(base, "/api/control", {**control, "value": values[i % 2]}, session)
            assert answer["ok"], answer.get("error")
            if not i:  # the move that adds the control: timed apart, in fresh sessions below
                continue
            if name == "trade_ban" and i % 2:  # lifting the last control shows the base case: not timed
                continue
            trip.append(ms)
            total.append(answer["timings"]["total_ms"])
            solve.append(answer["timings"].get("solve_ms", 0.0))
            paths.append(answer["timings"].get("lp", "base"))
        # adding the control in a session that has not met it (a new policy row: validated and built),
        # as is and as the page does it: prepared first (its keys chosen, its slider pressed; not timed)
        adds: dict[bool, list[float]] = {False: [], True: []}
        for prepared in (False, True):
            for _ in range(args.adds):
                fresh = new_session()
                post(base, "/api/control", {"kind": "cn_cost", "value": 1.1}, fresh)  # its re-solver forked
                if prepared:
                    post(base, "/api/prepare", {**control, "value": values[1]}, fresh)
                answer, ms = post(base, "/api/control", {**control, "value": values[0]}, fresh)
                assert answer["ok"], answer.get("error")
                adds[prepared].append(ms)
        added = statistics.median(adds[False])
        added_prepared = statistics.median(adds[True])
        rows.append(
            (
                name,
                ", ".join(dict.fromkeys(p.replace("_", " ") for p in paths)),
                added,
                added_prepared,
                statistics.median(trip),
                sorted(trip)[int(0.9 * (len(trip) - 1))],
                statistics.median(total),
                statistics.median(solve),
            )
        )
    server.should_exit = True
    thread.join(timeout=5)

    head = (
        "| control | LP of a move | adding it, median | adding it prepared, median | move: round trip, median "
        "| p90 | server total, median | re-solve, median |"
    )
    lines = [head, "|---|---|---:|---:|---:|---:|---:|---:|"]
    lines += [
        f"| {n} | {k} | {f:.0f} ms | {g:.0f} ms | {a:.0f} ms | {b:.0f} ms | {c:.0f} ms | {d:.1f} ms |"
        for n, k, f, g, a, b, c, d in rows
    ]
    table = "\n".join(lines)
    print(table)
    print(f"first change of a session (forks the base case's re-solver): {first:.0f} ms")
    if not args.no_record:
        record(table, first, args.moves, args.adds)
    return 0


def record(table: str, first: float, moves: int, adds: int) -> None:
    """Replace the section between the app markers at the end of RESULTS.md."""
    start, end = "<!-- app:notes -->", "<!-- /app:notes -->"
    section = (
        f"{start}\n## The what-if app: latency of a change (benchmarks/app.py)\n\n"
        f"The default job, one session, {moves} moves per control after the one that adds it "
        f"({platform.machine()}, Python {platform.python_version()}); the round trip is a POST "
        "/api/control on loopback answered with the whole view (every figure and number).\n\n"
        f"{table}\n\nThe first change of a session forks the base case's re-solver: {first:.0f} ms "
        f"(median of {adds} sessions). How a move's LP is found (oreflow/sweep/changed.py): *in place*, costs "
        "and right-hand sides recomputed; *shape*, a policy row added before with a new value, on the LP built "
        "when it was added; *coefficients*, a recovery's yields rebuilt without revalidating the dataset and "
        "changed in HiGHS in place. Every move re-solves from the last basis and ranges it (fragile prices). "
        f"*Adding it* is the median of {adds} sessions each adding the control once, after a first change: a "
        "new policy row revalidates the changed tables and builds its LP (a tariff: recomputes its costs); a "
        "new structure (a quota, share limit or ban row) is loaded in HiGHS and starts from the base basis. "
        "*Prepared*: as the page adds it, after POST /api/prepare (sent when the control's keys are chosen or "
        "its slider or button pressed, not timed), which does that work before the change arrives. "
        "Most of the rest is the report's figures (a product's Sankey is drawn only when the page asks for it) "
        "and the result's tables.\n"
        f"{end}"
    )
    harness.replace_section(harness.RESULTS, start, end, section)


if __name__ == "__main__":
    raise SystemExit(main())
