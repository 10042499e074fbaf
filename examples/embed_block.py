"""oreflow inside an energy-system model written in Pyomo: the hard link (docs/embedding.md).

A small, made-up outer model of the EU's yearly build-out, every figure stated here:

- ``REQUIRED_MW`` of new wind capacity a year, built as direct-drive turbines (permanent
  magnets: ``NDPR_T_PER_MW`` = 0.2 t of NdPr oxide per MW, about 600 kg of NdFeB magnet at
  ~30 % NdPr) or as geared turbines (no rare-earth magnets, ``GEARED_PREMIUM_USD_PER_MW``
  = 12,400 USD per MW a year dearer, annualised; so direct drive wins while NdPr costs less
  than 12,400 / 0.2 = 62,000 USD/t);
- ``EV_THOUSANDS`` thousand electric vehicles a year, a mandate (no choice), each motor
  with 0.5 kg of NdPr oxide (``NDPR_T_PER_THOUSAND_EV`` = 0.5 t per thousand);
- the EU's NdPr demand is the dataset's (2,211 t in 2024) plus what the build-out needs; it
  is the outer model's expression, and oreflow's block supplies it at least cost, its
  ``total_cost`` (USD/yr) added to the outer objective.

Solved jointly with HiGHS through Pyomo, the build-out weighs the cost of magnets as the
rare-earth supply chain sets it. Two checks that the link is right (tests/test_embedding.py):
the joint optimum's oreflow cost equals oreflow solved alone at the demand the joint optimum
chose; and where the outer model has no choice that depends on NdPr (``choice=False``: direct
drive only) the joint optimum equals solving the outer model, then oreflow, in sequence.

Run: ``.venv/bin/python examples/embed_block.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyomo.environ as pyo

import oreflow
from oreflow.model.pyomo_block import fixed_demand

DATASET = Path(__file__).resolve().parent.parent / "inputs" / "rare_earths_2024"
MARKET, PRODUCT = "EU", "NdPr"
REQUIRED_MW = 15_000.0  # new wind capacity a year, MW
DIRECT_DRIVE_USD_PER_MW = 120_000.0  # annualised cost of a direct-drive turbine, USD per MW a year
GEARED_PREMIUM_USD_PER_MW = 12_400.0  # a geared turbine costs this much more, USD per MW a year
NDPR_T_PER_MW = 0.2  # t NdPr oxide per MW of direct-drive wind
EV_THOUSANDS = 2_000.0  # thousand EVs a year (a mandate)
EV_USD_PER_THOUSAND = 30_000_000.0  # USD per thousand EVs
NDPR_T_PER_THOUSAND_EV = 0.5  # t NdPr oxide per thousand EVs


def energy_model(
    network: oreflow.Network,
    *,
    required_mw: float = REQUIRED_MW,
    ev_thousands: float = EV_THOUSANDS,
    choice: bool = True,
    with_oreflow: bool = True,
    market: oreflow.MarketOptions | None = None,
) -> pyo.ConcreteModel:
    """The outer model: wind (direct drive or, with ``choice``, geared) and the EV mandate,
    EU NdPr demand as their expression, and (``with_oreflow``) oreflow's block supplying it."""
    base_t = float(
        network.demand.loc[
            (network.demand["market"] == MARKET) & (network.demand["product"] == PRODUCT), "demand_t"
        ].iloc[0]
    )
    m = pyo.ConcreteModel(name="EU build-out")
    m.direct_mw = pyo.Var(within=pyo.NonNegativeReals, doc="direct-drive wind built, MW a year")
    m.geared_mw = pyo.Var(within=pyo.NonNegativeReals, bounds=(0, None if choice else 0), doc="geared wind, MW")
    m.ev_thousands = pyo.Var(within=pyo.NonNegativeReals, doc="EVs built, thousands a year")
    m.wind = pyo.Constraint(expr=m.direct_mw + m.geared_mw >= required_mw)
    m.ev_mandate = pyo.Constraint(expr=m.ev_thousands >= ev_thousands)
    m.ndpr_t = pyo.Expression(
        expr=base_t + NDPR_T_PER_MW * m.direct_mw + NDPR_T_PER_THOUSAND_EV * m.ev_thousands,
        doc="EU NdPr demand, t oxide a year",
    )
    m.build_cost = pyo.Expression(
        expr=DIRECT_DRIVE_USD_PER_MW * m.direct_mw
        + (DIRECT_DRIVE_USD_PER_MW + GEARED_PREMIUM_USD_PER_MW) * m.geared_mw
        + EV_USD_PER_THOUSAND * m.ev_thousands,
        doc="USD a year",
    )
    if with_oreflow:
        m.oreflow = oreflow.pyomo_block(network, demand={(MARKET, PRODUCT): m.ndpr_t}, market=market)
        m.cost = pyo.Objective(expr=m.build_cost + m.oreflow.total_cost)
    else:
        m.cost = pyo.Objective(expr=m.build_cost)
    return m


def solve(model: pyo.ConcreteModel) -> None:
    """Solve ``model`` with HiGHS through Pyomo, reading duals back."""
    model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    result = pyo.SolverFactory("highs").solve(model)
    if str(result.solver.termination_condition) != "optimal":
        raise RuntimeError(f"the outer model did not solve: {result.solver.termination_condition}")


def standalone_cost(network: oreflow.Network, ndpr_t: float, market: oreflow.MarketOptions | None = None) -> float:
    """oreflow alone with the EU's NdPr demand fixed at ``ndpr_t``: its objective, USD a year."""
    return oreflow.solve(fixed_demand(network, {(MARKET, PRODUCT): ndpr_t}), market=market, ranging=False).objective


def main(
    required_mw: float = REQUIRED_MW,
    ev_thousands: float = EV_THOUSANDS,
    market: oreflow.MarketOptions | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Solve the build-out jointly with oreflow, check it against oreflow alone, and compare
    with solving in sequence; the figures, printed unless ``quiet``."""
    network = oreflow.load_inputs(DATASET)
    say = (lambda *args: None) if quiet else print

    # 1. jointly, with the choice of turbine: the NdPr price feeds back into the build-out
    joint = energy_model(network, required_mw=required_mw, ev_thousands=ev_thousands, market=market)
    solve(joint)
    ndpr_t = pyo.value(joint.ndpr_t)
    block_cost = pyo.value(joint.oreflow.total_cost)
    price = joint.dual[joint.oreflow.demand_linked[MARKET, PRODUCT]]
    alone = standalone_cost(network, ndpr_t, market)
    direct, geared = pyo.value(joint.direct_mw), pyo.value(joint.geared_mw)
    say(f"joint optimum: {direct:,.0f} MW direct drive, {geared:,.0f} MW geared")
    say(f"  EU NdPr demand {ndpr_t:,.1f} t at {price / 1000:,.2f} USD/kg (the demand row's dual)")
    say(f"  oreflow's cost in the joint optimum {block_cost:,.0f} USD/yr; oreflow alone there {alone:,.0f}")

    # 2. in sequence: the outer model ignoring magnets (all direct drive), then oreflow
    outer = energy_model(network, required_mw=required_mw, ev_thousands=ev_thousands, with_oreflow=False, market=market)
    solve(outer)
    sequence_t = pyo.value(outer.ndpr_t)
    sequence = pyo.value(outer.build_cost) + standalone_cost(network, sequence_t, market)
    say(f"in sequence: {pyo.value(outer.direct_mw):,.0f} MW direct drive, EU NdPr demand {sequence_t:,.1f} t")
    say(f"  total {sequence:,.0f} USD/yr against {pyo.value(joint.cost):,.0f} jointly")

    # 3. without feedback (direct drive only): joint and sequence must agree
    fixed = energy_model(network, required_mw=required_mw, ev_thousands=ev_thousands, choice=False, market=market)
    solve(fixed)
    no_choice = energy_model(
        network, required_mw=required_mw, ev_thousands=ev_thousands, choice=False, with_oreflow=False, market=market
    )
    solve(no_choice)
    no_choice_t = pyo.value(no_choice.ndpr_t)
    no_feedback_sequence = pyo.value(no_choice.build_cost) + standalone_cost(network, no_choice_t, market)
    say(f"without a choice: jointly {pyo.value(fixed.cost):,.0f} USD/yr, in sequence {no_feedback_sequence:,.0f}")
    return {
        "direct_mw": direct,
        "geared_mw": geared,
        "ndpr_t": ndpr_t,
        "ndpr_price_usd_per_t": price,
        "joint_usd": pyo.value(joint.cost),
        "block_usd": block_cost,
        "standalone_usd": alone,
        "sequence_usd": sequence,
        "no_feedback_joint_usd": pyo.value(fixed.cost),
        "no_feedback_sequence_usd": no_feedback_sequence,
    }


if __name__ == "__main__":
    main()
