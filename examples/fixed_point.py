"""An outer fixed-point loop between oreflow's NdPr price and a magnet maker's demand: the soft
link (docs/embedding.md).

A magnet maker buys the EU's NdPr and answers the price it pays with a constant-elasticity
demand, q = a p^e (e < 0), through (q0, p0): q(p) = q0 (p / p0)^e. oreflow prices NdPr given
that demand (the EU row a fixed demand the maker sets: ``fixed_demand``, so that oreflow's
own curve for the row does not respond a second time); the maker answers; the demand moves
part of the way (``damping``) towards the answer; repeat until both the price and the demand
settle (|dp|/p and |dq|/q below ``tolerance``, 1e-6). Every re-solve is in place from the last
basis (:class:`oreflow.Resolver`).

With the maker's curve equal to the dataset's own for the row (2,211 t at 56,000 USD/t,
elasticity -0.3), the fixed point is the equilibrium oreflow finds with its own curve
(the price equal, the quantity within the stepped curve's accuracy; tests/test_embedding.py).

Run: ``.venv/bin/python examples/fixed_point.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import oreflow

DATASET = Path(__file__).resolve().parent.parent / "inputs" / "rare_earths_2024"
MARKET, PRODUCT = "EU", "NdPr"


@dataclass
class FixedPoint:
    """The loop's outcome: whether it converged, the last price (USD/t) and demand (t/yr),
    and one row per iteration (``iteration``, ``demand_t``, ``price_usd_per_t``,
    ``response_t``, ``solve_ms``)."""

    converged: bool
    price_usd_per_t: float
    demand_t: float
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def iterations(self) -> int:
        return len(self.history)


def response(price: float, q0: float, p0: float, elasticity: float) -> float:
    """The magnet maker's demand at ``price``: q0 (price / p0)^elasticity, t a year."""
    return q0 * (price / p0) ** elasticity


def fixed_point(
    resolver: oreflow.Resolver,
    q0: float,
    p0: float,
    elasticity: float,
    *,
    start_t: float | None = None,
    damping: float = 0.5,
    tolerance: float = 1e-6,
    max_iterations: int = 200,
) -> FixedPoint:
    """Iterate oreflow's price and the maker's demand for (MARKET, PRODUCT), from
    ``start_t`` t a year (default q0)."""
    demand = q0 if start_t is None else start_t
    last_price: float | None = None
    history: list[dict[str, float]] = []
    for iteration in range(1, max_iterations + 1):
        answer = resolver.solve(demand=pd.DataFrame({"market": [MARKET], "product": [PRODUCT], "demand_t": [demand]}))
        price = answer.price(MARKET, PRODUCT)
        wanted = response(price, q0, p0, elasticity)
        following = (1.0 - damping) * demand + damping * wanted
        history.append(
            {
                "iteration": iteration,
                "demand_t": demand,
                "price_usd_per_t": price,
                "response_t": wanted,
                "solve_ms": answer.solve_s * 1000.0,
            }
        )
        settled = last_price is not None and abs(price - last_price) <= tolerance * price
        if settled and abs(following - demand) <= tolerance * demand:
            return FixedPoint(True, price, demand, history)
        last_price, demand = price, following
    return FixedPoint(False, history[-1]["price_usd_per_t"], demand, history)


def main(start: float = 3.0, damping: float = 0.5, tolerance: float = 1e-6, quiet: bool = False) -> FixedPoint:
    """Run the loop on the 2024 dataset with the maker's curve equal to the dataset's own for
    the EU's NdPr, from a first guess of ``start`` x its reference demand; print each
    iteration unless ``quiet``."""
    network = oreflow.load_inputs(DATASET)
    row = network.demand[(network.demand["market"] == MARKET) & (network.demand["product"] == PRODUCT)].iloc[0]
    q0, p0, elasticity = float(row["demand_t"]), float(row["reference_price_usd_per_t"]), float(row["elasticity"])
    started = time.perf_counter()
    resolver = oreflow.Resolver(network, fixed_demand=[(MARKET, PRODUCT)])
    loaded = time.perf_counter() - started
    found = fixed_point(resolver, q0, p0, elasticity, start_t=start * q0, damping=damping, tolerance=tolerance)
    if not quiet:
        print(f"loaded and solved the base case in {loaded:.2f} s")
        print(f"{'iteration':>9} {'demand t':>12} {'price USD/kg':>13} {'response t':>12} {'ms':>6}")
        for step in found.history:
            print(
                f"{step['iteration']:>9.0f} {step['demand_t']:>12.3f} {step['price_usd_per_t'] / 1000:>13.4f} "
                f"{step['response_t']:>12.3f} {step['solve_ms']:>6.1f}"
            )
        verdict = "converged" if found.converged else "did not converge"
        print(
            f"{verdict} after {found.iterations} iterations: {found.demand_t:,.2f} t of {PRODUCT} in {MARKET} "
            f"at {found.price_usd_per_t / 1000:,.3f} USD/kg"
        )
        own = oreflow.solve(network, ranging=False).market
        mine = own[(own["market"] == MARKET) & (own["product"] == PRODUCT)].iloc[0]
        print(
            f"oreflow with its own demand curve for the row: {mine['quantity_t']:,.2f} t "
            f"at {mine['price_usd_per_t'] / 1000:,.3f} USD/kg"
        )
    return found


if __name__ == "__main__":
    main()
