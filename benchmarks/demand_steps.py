"""How many steps a demand curve needs: accuracy and time on the 2024 base case.

For each number of steps (and the ``linear`` QP), solve ``inputs/baseline.toml`` with that
option and report: the LP's columns, the median wall time of ``oreflow.solve`` (build,
solve, ranging, result), NdPr/Dy/Tb prices in China, and how far each curve's reported
(quantity, price) lies from its continuous curve: the largest relative gap between the
reported price and the curve's price at the reported quantity, over every demand row.
With a price on a step the gap is at most half a step; at a step end (the reference point
is one) it can be a whole step.

    .venv/bin/python benchmarks/demand_steps.py               # print a Markdown table
    .venv/bin/python benchmarks/demand_steps.py --record      # and replace its section of RESULTS.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import harness  # noqa: E402  (benchmarks/harness.py: recording; stdlib only)

import oreflow  # noqa: E402
from oreflow.model.market import MarketOptions  # noqa: E402

STEPS = (20, 60, 100, 200, 400, 800)
MARKER = "<!-- bench:demand_steps -->"
END = "<!-- /bench:demand_steps -->"


def curve_gap(result: oreflow.Result, form: str) -> float:
    """The largest |reported price / curve price at the reported quantity - 1| over curve rows."""
    market = result.market.loc[result.market["curve"].astype(bool)]
    assert result.network is not None
    demand = result.network.demand.set_index(["market", "product"])
    keys = list(zip(market["market"], market["product"]))
    q0 = demand.loc[keys, "demand_t"].to_numpy(float)
    p0 = demand.loc[keys, "reference_price_usd_per_t"].to_numpy(float)
    e = demand.loc[keys, "elasticity"].to_numpy(float)
    q = market["quantity_t"].to_numpy(float)
    if form.startswith("linear"):
        curve = p0 + p0 / (e * q0) * (q - q0)
    else:
        curve = p0 * (q / q0) ** (1.0 / e)
    return float(np.max(np.abs(market["price_usd_per_t"].to_numpy(float) / curve - 1.0)))


def measure(options: MarketOptions, repeat: int) -> dict[str, float]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = oreflow.solve(ROOT / "inputs" / "baseline.toml", market=options)
        times.append(time.perf_counter() - started)
    assert result is not None and result.lp is not None
    price = result.market.set_index(["market", "product"])["price_usd_per_t"]
    return {
        "columns": float(result.lp.n_cols),
        "seconds": statistics.median(times),
        "NdPr": price[("CN", "NdPr")] / 1000,
        "Dy": price[("CN", "Dy")] / 1000,
        "Tb": price[("CN", "Tb")] / 1000,
        "gap": curve_gap(result, options.demand_form),
        "welfare": result.welfare["welfare"] / 1e9,
    }


def table(repeat: int) -> str:
    header = (
        "| form | steps | LP columns | solve s (median) | NdPr CN USD/kg | Dy CN | Tb CN "
        "| largest gap to the curve | welfare bn USD |"
    )
    rows = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    cases = [("steps", n) for n in STEPS] + [("linear", 2), ("linear_steps", 200)]
    for form, steps in cases:
        m = measure(MarketOptions(demand_form=form, demand_steps=steps), repeat)
        rows.append(
            f"| {form} | {steps if form != 'linear' else '—'} | {m['columns']:,.0f} | {m['seconds']:.3f} | "
            f"{m['NdPr']:.2f} | {m['Dy']:.1f} | {m['Tb']:.1f} | {100 * m['gap']:.2f} % | {m['welfare']:.3f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--record", action="store_true", help="replace the section in benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    text = table(args.repeat)
    print(text)
    if args.record:
        section = (
            f"{MARKER}\n## Demand steps: accuracy and time on the 2024 base case ({time.strftime('%Y-%m-%d')})\n\n"
            f"Command: `python benchmarks/demand_steps.py --record` ({args.repeat} repetitions). The gap is the "
            "largest relative distance of a reported price from its continuous curve at the reported quantity, "
            "over the 30 demand rows (the `linear` rows are measured against the linear curve).\n\n"
            f"{text}\n{END}"
        )
        harness.replace_section(harness.RESULTS, MARKER, END, section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
