"""The data contract: which CSV files make a dataset, their columns and keys.

A dataset is a folder of CSV files. Flows are tonnes of contained rare-earth oxide
(t REO) from origin to refiner and tonnes of separated oxide from refiner to market;
money is USD. Extra columns (notes, sources) are allowed and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Column:
    """One column of a table.

    kind ``id`` is a non-empty string (one of ``choices`` when given); kind ``number``
    is a finite float >= 0 and below :data:`NUMBER_LIMIT`, or ``inf`` when ``allow_inf``
    (with ``negative``: a finite float < 0 and above ``-NUMBER_LIMIT``).
    An optional column may be absent or blank: a blank number is NaN (its default is
    resolved later, e.g. the job's penalty), a blank id is the empty string (e.g. "all
    products").
    """

    name: str
    kind: str  # "id" or "number"
    allow_inf: bool = False
    optional: bool = False
    minimum_exclusive: bool = False  # number must be > 0 rather than >= 0
    maximum: float | None = None  # inclusive upper bound, e.g. recovery <= 1
    choices: tuple[str, ...] | None = None  # allowed values of an id column
    negative: bool = False  # number must be < 0 (and above -NUMBER_LIMIT), e.g. an elasticity


@dataclass(frozen=True)
class TableSpec:
    """One CSV file of a dataset."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    optional: bool = False

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.optional)


ID = "id"
NUMBER = "number"

#: Every finite number of a dataset is below this (an exclusive limit): the one range rule for
#: each number that reaches the solver, whether it comes from a CSV file, a DataFrame, a scenario
#: change or a sweep point (model/reading.py). Why 1e9:
#:
#: - HiGHS takes |x| >= 1e20 as infinite: a capacity there is no capacity, a cost there forbids
#:   its flow, a demand there is rejected (a sweep point re-solved without it repeated another
#:   point's answer; a run ended in a traceback);
#: - the LP multiplies numbers: the objective sums cost x flow and penalty x unmet demand, so two
#:   cells just below the limit make at most 1e18, two orders inside HiGHS's infinity;
#: - HiGHS's feasibility and optimality tolerances are absolute (1e-7, on the unscaled LP), and a
#:   number x carries a rounding error of x * 2.2e-16: 2e-7 at 1e9, so every figure HiGHS
#:   certifies optimal is as exact as its tolerances. Beyond, the figures drift (an unmet demand
#:   of 1e15 t came back 0.125 t off, of 1e16 t 2 t off) and HiGHS fails (a penalty and a demand
#:   both at 1e17).
#:
#: Real data sit far below: world output about 4e5 t REO a year, costs up to about 1e6 USD/t, the
#: default unmet penalty 1e7 USD/t. ``inf`` stays allowed where a column allows it (no limit).
NUMBER_LIMIT = 1e9

ORIGINS = TableSpec(
    "origins",
    (
        Column("origin", ID),
        Column("country", ID),
        Column("supply_t", NUMBER, allow_inf=True),
        Column("mining_cost_usd_per_t", NUMBER),
    ),
    key=("origin",),
)
COMPOSITION = TableSpec(
    "composition",
    (Column("origin", ID), Column("product", ID), Column("share", NUMBER, maximum=1.0)),
    key=("origin", "product"),
)
REFINERS = TableSpec(
    "refiners",
    (
        Column("refiner", ID),
        Column("country", ID),
        Column("capacity_t", NUMBER, allow_inf=True),
        Column("processing_cost_usd_per_t", NUMBER),
        Column("recovery", NUMBER, minimum_exclusive=True, maximum=1.0),
    ),
    key=("refiner",),
)
RECOVERIES = TableSpec(
    "recoveries",
    (
        Column("refiner", ID),
        Column("product", ID),
        Column("recovery", NUMBER, minimum_exclusive=True, maximum=1.0),
    ),
    key=("refiner", "product"),
    optional=True,
)
MARKETS = TableSpec("markets", (Column("market", ID), Column("country", ID)), key=("market",))
DEMAND = TableSpec(
    "demand",
    (
        Column("market", ID),
        Column("product", ID),
        Column("demand_t", NUMBER),
        Column("unmet_penalty_usd_per_t", NUMBER, optional=True),
        # a demand curve (docs/formulation.md, "Price-responsive demand"): both or neither
        Column("reference_price_usd_per_t", NUMBER, optional=True, minimum_exclusive=True),
        Column("elasticity", NUMBER, optional=True, negative=True),
    ),
    key=("market", "product"),
)
ORE_ROUTES = TableSpec(
    "ore_routes",
    (Column("origin", ID), Column("refiner", ID), Column("freight_usd_per_t", NUMBER)),
    key=("origin", "refiner"),
)
PRODUCT_ROUTES = TableSpec(
    "product_routes",
    (Column("refiner", ID), Column("market", ID), Column("freight_usd_per_t", NUMBER)),
    key=("refiner", "market"),
)

# ---- policy tables (optional; docs/formulation.md, "Policies") -------------------------

#: A country column of a policy row may be ``*``: any country outside the other side's
#: group (model/policies.py); or a group of countries separated by GROUP_SEPARATOR.
ANY_COUNTRY = "*"
GROUP_SEPARATOR = ";"
STAGES = ("ore", "product")
QUOTA_KINDS = ("refining", "mining", "export")

#: The columns that say which flows a tariff or a ban applies to (model/policies.py), its key.
FLOW_SELECTOR = (
    Column("from_country", ID),
    Column("to_country", ID),
    Column("stage", ID, choices=STAGES),
    Column("product", ID, optional=True),
)
TARIFFS = TableSpec(
    "tariffs", (*FLOW_SELECTOR, Column("usd_per_t", NUMBER)), key=tuple(c.name for c in FLOW_SELECTOR), optional=True
)
BANS = TableSpec("bans", FLOW_SELECTOR, key=tuple(c.name for c in FLOW_SELECTOR), optional=True)
QUOTAS = TableSpec(
    "quotas",
    (
        Column("quota", ID),
        Column("kind", ID, choices=QUOTA_KINDS),
        Column("country", ID),
        Column("product", ID, optional=True),
        Column("members", ID, optional=True),
        Column("limit_t", NUMBER),
    ),
    key=("quota",),
    optional=True,
)
SHARE_LIMITS = TableSpec(
    "share_limits",
    (
        Column("market", ID),
        Column("product", ID),
        Column("country", ID),
        Column("max_share", NUMBER, optional=True, maximum=1.0),
        Column("min_share", NUMBER, optional=True, maximum=1.0),
    ),
    key=("market", "product", "country"),
    optional=True,
)
#: Supply contracts (docs/formulation.md, "Contracts"): a minimum and/or maximum flow on one
#: route, ``from`` -> ``to``: origin -> refiner for stage ore (t REO), refiner -> market for
#: stage product (t product; ``product`` blank = every product the market demands).
CONTRACTS = TableSpec(
    "contracts",
    (
        Column("contract", ID),
        Column("stage", ID, choices=STAGES),
        Column("from", ID),
        Column("to", ID),
        Column("product", ID, optional=True),
        Column("min_t", NUMBER, optional=True),
        Column("max_t", NUMBER, optional=True, allow_inf=True),
    ),
    key=("contract",),
    optional=True,
)

#: The policy tables, in the order their constraint families appear. Contracts are commercial
#: rather than trade policy, but are handled alike (optional, checked to cover some flow).
POLICY_TABLES: tuple[TableSpec, ...] = (TARIFFS, BANS, QUOTAS, SHARE_LIMITS, CONTRACTS)

#: Every table of a dataset, in the order they are read and reported.
TABLES: tuple[TableSpec, ...] = (
    ORIGINS,
    COMPOSITION,
    REFINERS,
    RECOVERIES,
    MARKETS,
    DEMAND,
    ORE_ROUTES,
    PRODUCT_ROUTES,
    *POLICY_TABLES,
)
TABLES_BY_NAME: dict[str, TableSpec] = {t.name: t for t in TABLES}

# ---- planning tables (optional; read only by a job with a horizon: model/planning.py) -----

STAGES_BUILT = ("refining", "mining")
BUILDS = TableSpec(
    "builds",
    (
        Column("build", ID),
        Column("stage", ID, choices=STAGES_BUILT),
        Column("site", ID),  # a refiner (refining) or an origin (mining) of the dataset
        Column("capital_usd_per_t", NUMBER),  # overnight capital per t/yr of capacity
        Column("fixed_om_usd_per_t_yr", NUMBER, optional=True),
        Column("lead_time_years", NUMBER, maximum=50),
        Column("earliest_start", NUMBER, minimum_exclusive=True),
        Column("lifetime_years", NUMBER, minimum_exclusive=True, maximum=200),
        Column("max_t", NUMBER, minimum_exclusive=True),
        Column("min_t", NUMBER, optional=True, minimum_exclusive=True),  # built whole or not at all: a MIP
    ),
    key=("build",),
    optional=True,
)
BUILD_LIMITS = TableSpec(
    "build_limits",
    (Column("country", ID), Column("stage", ID, choices=STAGES_BUILT), Column("limit_t_per_year", NUMBER)),
    key=("country", "stage"),
    optional=True,
)
STOCKPILES = TableSpec(
    "stockpiles",
    (
        Column("stockpile", ID),
        Column("market", ID),
        Column("product", ID),
        Column("initial_t", NUMBER),
        Column("max_t", NUMBER, allow_inf=True),
        Column("min_t", NUMBER, optional=True),
        Column("holding_usd_per_t_year", NUMBER),
    ),
    key=("stockpile",),
    optional=True,
)
#: The planning tables, in the order they are read.
PLANNING_TABLES: tuple[TableSpec, ...] = (BUILDS, BUILD_LIMITS, STOCKPILES)

#: Tolerance on the sum of an origin's composition shares.
SHARE_SUM_TOLERANCE = 1e-3

#: Built-in penalty for a tonne of unmet demand (USD/t), above any real delivered cost.
DEFAULT_UNMET_PENALTY_USD_PER_T = 1e7

#: Hidden column carrying each row's line in its source file (header = line 1).
LINE = "_line"
#: Hidden column: True where a cell of the row failed typing (already reported).
BAD = "_bad"


def empty_table(name: str) -> pd.DataFrame:
    """A table with the spec's columns and no rows (an absent optional file)."""
    spec = TABLES_BY_NAME[name]
    return pd.DataFrame({c.name: pd.Series(dtype=object if c.kind == ID else float) for c in spec.columns})
