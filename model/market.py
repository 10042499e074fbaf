"""Price-responsive demand: the demand curves of ``demand.csv`` and their LP columns.

A demand row with both ``reference_price_usd_per_t`` (P0) and ``elasticity`` (e < 0)
has a curve through (``demand_t`` = Q0, P0); the LP then maximises welfare, the
willingness to pay (WTP) of what is consumed minus every cost (docs/formulation.md,
"Price-responsive demand"). The consumed quantity is written as a change from Q0::

    consumed[m,p] = Q0 - sum_k down[m,p,k] + sum_k up[m,p,k]

``down`` steps give up consumption (each costs the WTP of the tonnes given up), ``up``
steps add consumption (each earns the WTP of the tonnes added, a negative cost). The
demand row stays ``sum_r s[r,m,p] + u[m,p] + sum_k down - sum_k up >= Q0``, so its dual
is the equilibrium price and its right-hand side is still ``demand_t``. The objective's
constant (``-WTP(Q0)``) makes the minimised quantity exactly ``total cost - WTP(consumed)``.

Curve forms (:attr:`MarketOptions.demand_form`):

- ``steps`` (default): the constant-elasticity curve P(q) = P0 (q/Q0)^(1/e), capped at
  ``price_cap_multiple`` x P0, by steps on a geometric price grid between the cap and
  ``price_floor_multiple`` x P0, each step priced at the curve's average price over it (so
  WTP is exact at every step's end); below the cap's quantity one step at the cap covers
  consumption down to 0. Above the floor's quantity there is no step: more product
  finds no buyer (its price falls to what disposal costs, 0 at the refiner).
- ``linear_steps``: the linear curve through (Q0, P0) with the same slope at Q0,
  P(q) = P0 + P0/(e Q0) (q - Q0), by equal-width steps from 0 to where P = 0, each at
  the curve's price at its middle (exact WTP).
- ``linear``: the same linear curve solved exactly as a convex QP (one column per curve,
  the change of consumption, between -Q0 and -e Q0); HiGHS gives duals but no ranging.

Nothing here loops in Python over curves or steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .network import Network
from .tables import DEFAULT_UNMET_PENALTY_USD_PER_T

#: The forms a demand curve is represented by (see the module docstring).
DEMAND_FORMS = ("steps", "linear", "linear_steps")
#: Steps per curve by default: measured on the 2024 base case (benchmarks/RESULTS.md,
#: "Demand steps"): every price within 1.2 % of its continuous curve, 0.11 s for the base case.
DEFAULT_DEMAND_STEPS = 200
#: Default price cap of a constant-elasticity curve, x its reference price.
DEFAULT_PRICE_CAP_MULTIPLE = 10.0
#: Default lowest price on a constant-elasticity curve, x its reference price.
DEFAULT_PRICE_FLOOR_MULTIPLE = 0.2
#: Default unmet penalty of a fixed-demand row with a reference price, x that price.
DEFAULT_PENALTY_MULTIPLE = 10.0


@dataclass(frozen=True)
class MarketOptions:
    """How demand is represented in the LP (job options, ``oreflow.solve`` keywords).

    Attributes:
        unmet_penalty_usd_per_t: USD per t of unmet demand of a row that gives neither its
            own penalty nor a reference price.
        demand_form: ``steps``, ``linear`` or ``linear_steps`` (module docstring).
        demand_steps: steps per curve (steps forms), at least 2.
        price_cap_multiple: the ``steps`` curve's highest price, x the reference price.
        price_floor_multiple: the ``steps`` curve's lowest price, x the reference price.
        penalty_multiple: a fixed-demand row with a reference price (and no penalty of its
            own) costs this multiple of its reference price per tonne unmet.
    """

    unmet_penalty_usd_per_t: float = DEFAULT_UNMET_PENALTY_USD_PER_T
    demand_form: str = "steps"
    demand_steps: int = DEFAULT_DEMAND_STEPS
    price_cap_multiple: float = DEFAULT_PRICE_CAP_MULTIPLE
    price_floor_multiple: float = DEFAULT_PRICE_FLOOR_MULTIPLE
    penalty_multiple: float = DEFAULT_PENALTY_MULTIPLE

    def __post_init__(self) -> None:
        problems = []
        if self.demand_form not in DEMAND_FORMS:
            problems.append(f"demand_form must be one of {', '.join(DEMAND_FORMS)}, not {self.demand_form!r}")
        if not (isinstance(self.demand_steps, int | np.integer) and 2 <= self.demand_steps <= 10_000):
            problems.append(f"demand_steps must be an integer from 2 to 10000, not {self.demand_steps!r}")
        if not (1.0 < self.price_cap_multiple < 1e6):
            problems.append(f"price_cap_multiple must be above 1 (and below 1e6), not {self.price_cap_multiple!r}")
        if not (0.0 < self.price_floor_multiple < 1.0):
            problems.append(f"price_floor_multiple must be between 0 and 1, not {self.price_floor_multiple!r}")
        if not (0.0 < self.penalty_multiple < 1e6):
            problems.append(f"penalty_multiple must be above 0 (and below 1e6), not {self.penalty_multiple!r}")
        if problems:
            raise ValueError("; ".join(problems))


def as_options(value: MarketOptions | float | None) -> MarketOptions:
    """``value`` as MarketOptions: a number is the unmet penalty (the older signature)."""
    if value is None:
        return MarketOptions()
    if isinstance(value, MarketOptions):
        return value
    return MarketOptions(unmet_penalty_usd_per_t=float(value))


@dataclass(frozen=True)
class Curves:
    """The demand rows with a curve: their positions in ``network.demand`` and parameters."""

    rows: np.ndarray  # positions in network.demand
    market: np.ndarray
    product: np.ndarray
    quantity_t: np.ndarray  # Q0
    price: np.ndarray  # P0, USD/t
    elasticity: np.ndarray  # e < 0


def curves(network: Network) -> Curves:
    """The demand rows that carry a curve (both reference price and elasticity given)."""
    demand = network.demand.reset_index(drop=True)
    price = _column(demand, "reference_price_usd_per_t")
    elasticity = _column(demand, "elasticity")
    rows = np.flatnonzero(~np.isnan(price) & ~np.isnan(elasticity))
    return Curves(
        rows,
        demand["market"].to_numpy(object)[rows],
        demand["product"].to_numpy(object)[rows],
        demand["demand_t"].to_numpy(float)[rows],
        price[rows],
        elasticity[rows],
    )


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(float) if name in frame else np.full(len(frame), np.nan)


def unmet_penalties(network: Network, options: MarketOptions) -> np.ndarray:
    """USD per t unmet of each demand row: its own ``unmet_penalty_usd_per_t``, else
    ``penalty_multiple`` x its reference price, else the options' penalty. A row with a
    curve never needs ``u`` (its ``down`` steps reach zero consumption), so its penalty is
    at least twice the curve's highest price: ``u`` then never ties with the dearest step."""
    demand = network.demand.reset_index(drop=True)
    own = _column(demand, "unmet_penalty_usd_per_t")
    by_price = options.penalty_multiple * _column(demand, "reference_price_usd_per_t")
    penalty = np.where(~np.isnan(own), own, np.where(~np.isnan(by_price), by_price, options.unmet_penalty_usd_per_t))
    c = curves(network)
    penalty[c.rows] = np.maximum(penalty[c.rows], 2.0 * highest_price(c, options))
    return penalty


def price_caps(network: Network, options: MarketOptions) -> pd.DataFrame:
    """market, product and ``cap_usd_per_t`` of every demand row with a curve: the highest
    price its curve allows (:func:`highest_price`). A price there is the cap, not a market's."""
    c = curves(network)
    return pd.DataFrame({"market": c.market, "product": c.product, "cap_usd_per_t": highest_price(c, options)})


def highest_price(c: Curves, options: MarketOptions) -> np.ndarray:
    """The highest price each curve can give (as the LP represents it): the cap of the
    ``steps`` form, the price of the first step of ``linear_steps``, the linear curve's price
    at zero consumption, P0 (1 - 1/e), for ``linear``."""
    if options.demand_form == "steps":
        return options.price_cap_multiple * c.price
    if options.demand_form == "linear_steps":
        first = c.quantity_t / (options.demand_steps // 2) / 2  # the middle of the first step
        return linear_price(c, first[:, None])[:, 0]
    return c.price * (1.0 - 1.0 / c.elasticity)


@dataclass(frozen=True)
class StepColumns:
    """The demand-curve columns of one LP: index (market, product, side, step), the unit
    cost of each (USD/t: +WTP for ``down``, -WTP for ``up``, -P0 for a QP ``change``),
    bounds, the objective's constant (-WTP of the reference quantities) and, for the QP,
    the diagonal of the objective's Hessian (USD/t^2; the objective is 1/2 v'Hv + c'v)."""

    index: pd.DataFrame
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    offset: float
    hessian: np.ndarray | None = None
    #: demand row position (in network.demand) of each column, and its coefficient there
    demand_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    coefficient: np.ndarray = field(default_factory=lambda: np.zeros(0))


def step_columns(network: Network, options: MarketOptions) -> StepColumns:
    """The columns of every demand curve in the form ``options.demand_form``."""
    c = curves(network)
    if options.demand_form == "linear":
        return _qp_columns(c)
    if options.demand_form == "linear_steps":
        ends, prices, side = _linear_steps(c, options.demand_steps)
    else:
        ends, prices, side = _elastic_steps(c, options)
    # ends: (curves, steps + 1) quantities, increasing; side: per step, True = below Q0
    low, high = ends[:, :-1], ends[:, 1:]
    width = high - low
    n_curves, n_steps = width.shape
    curve = np.repeat(np.arange(n_curves), n_steps)
    step = np.tile(np.arange(n_steps), n_curves)
    down = np.tile(side, n_curves)
    wtp = prices.ravel()
    index = pd.DataFrame(
        {
            "market": c.market[curve] if n_curves else np.array([], dtype=object),
            "product": c.product[curve] if n_curves else np.array([], dtype=object),
            "side": np.where(down, "down", "up"),
            "step": step,
        }
    )
    offset = -float(np.sum(np.where(down, wtp * width.ravel(), 0.0)))
    return StepColumns(
        index,
        np.where(down, wtp, -wtp),
        np.zeros(len(index)),
        width.ravel(),
        offset,
        None,
        c.rows[curve],
        np.where(down, 1.0, -1.0),
    )


def _elastic_steps(c: Curves, options: MarketOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step ends (quantities, increasing), average prices and sides of each
    constant-elasticity curve: the cap step [0, q(cap)], n_down steps up to Q0 on a
    geometric price grid from the cap, n_up steps from Q0 down the grid to the floor."""
    n_down = options.demand_steps // 2
    n_up = options.demand_steps - n_down
    down_prices = options.price_cap_multiple ** (np.arange(n_down, -1, -1) / n_down)  # cap .. 1
    up_prices = options.price_floor_multiple ** (np.arange(1, n_up + 1) / n_up)  # below 1 .. floor
    ratio = np.concatenate([down_prices, up_prices])  # P/P0 at each step end, decreasing
    e = c.elasticity[:, None]
    q0 = c.quantity_t[:, None]
    ends_q = q0 * ratio[None, :] ** e  # increasing quantities
    ends = np.concatenate([np.zeros((len(c.rows), 1)), ends_q], axis=1)
    wtp = _ce_integral(c, ends[:, 1:]) - _ce_integral(c, ends[:, :-1])
    width = np.diff(ends, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(width > 0, wtp / np.where(width > 0, width, 1.0), 0.0)
    avg[:, 0] = options.price_cap_multiple * c.price  # the cap step: WTP = cap x q(cap)
    side = np.concatenate([np.ones(n_down + 1, bool), np.zeros(n_up, bool)])
    return ends, avg, side


def _ce_integral(c: Curves, q: np.ndarray) -> np.ndarray:
    """An antiderivative of the constant-elasticity curve at quantities q (> 0); at q = 0
    (the cap step's start) any value: the cap step is priced separately."""
    e = c.elasticity[:, None]
    p0 = c.price[:, None]
    q0 = c.quantity_t[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(q > 0, q / q0, 1.0)
        power = 1.0 + 1.0 / e
        unit = np.isclose(e, -1.0)
        general = p0 * q0 * ratio**power / np.where(unit, 1.0, power)
        log_form = p0 * q0 * np.log(ratio)
    return np.where(unit, log_form, general)


def _linear_steps(c: Curves, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Equal-width steps of the linear curve: n_down on [0, Q0], n_up on [Q0, Q0 (1 - e)]."""
    n_down = n // 2
    n_up = n - n_down
    q0 = c.quantity_t[:, None]
    q_zero = q0 * (1.0 - c.elasticity[:, None])  # where the linear curve reaches price 0
    below = q0 * (np.arange(n_down + 1) / n_down)[None, :]
    above = q0 + (q_zero - q0) * (np.arange(1, n_up + 1) / n_up)[None, :]
    ends = np.concatenate([below, above], axis=1)
    middle = (ends[:, :-1] + ends[:, 1:]) / 2
    prices = linear_price(c, middle)
    side = np.concatenate([np.ones(n_down, bool), np.zeros(n_up, bool)])
    return ends, prices, side


def linear_price(c: Curves, q: np.ndarray) -> np.ndarray:
    """The linear curve's price at quantities q (one row per curve)."""
    slope = c.price / (c.elasticity * c.quantity_t)  # USD/t per t, < 0
    return c.price[:, None] + slope[:, None] * (q - c.quantity_t[:, None])


def _qp_columns(c: Curves) -> StepColumns:
    """One column per curve: the change of consumption z in [-Q0, -e Q0]; cost -P0 z - slope z^2 / 2
    (slope < 0, so the Hessian -slope > 0 is convex); constant -WTP(Q0) = -(P(0) + P0) Q0 / 2."""
    slope = c.price / (c.elasticity * c.quantity_t)
    choke = c.price - slope * c.quantity_t  # P(0)
    index = pd.DataFrame({"market": c.market, "product": c.product, "side": "change", "step": 0})
    return StepColumns(
        index,
        -c.price,
        -c.quantity_t,
        -c.elasticity * c.quantity_t,
        -float(np.sum((choke + c.price) * c.quantity_t / 2)),
        -slope,
        c.rows,
        -np.ones(len(c.rows)),
    )
