"""The data contract: which CSV files make a dataset, their columns and keys.

A dataset is a folder of CSV files, or one ``.xlsx`` workbook with a sheet per table
(model/workbook.py, docs/excel.md). Flows are tonnes of contained rare-earth oxide
(t REO) from origin to refiner and tonnes of separated oxide from refiner to market;
money is USD. Extra columns (notes, sources) are allowed and ignored. Each column's
meaning and unit are written once, here (``Column.doc``, ``Column.unit``).
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
    #: the unit of a number as a workbook's header shows it (``supply_t [t REO/yr]``); "" for an
    #: id or a pure number (an elasticity)
    unit: str = ""
    #: what the column holds, in a sentence: the template's notes sheet (model/workbook.py) and
    #: docs/excel.md read it; the one place this is written
    doc: str = ""


@dataclass(frozen=True)
class TableSpec:
    """One CSV file of a dataset (one sheet of a workbook dataset, named ``name``)."""

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

#: Units of the dataset's numbers, as the workbook headers and the notes sheet show them.
T_REO_YR = "t REO/yr"  # tonnes of contained rare-earth oxide per year
T_YR = "t/yr"  # tonnes of separated product per year (or REO or product, by a row's stage)
USD_PER_T_REO = "USD/t REO"
USD_PER_T = "USD/t"
FRACTION = "fraction"

ORIGINS = TableSpec(
    "origins",
    (
        Column("origin", ID, doc="the origin's id: a mine or mining region (unique)"),
        Column("country", ID, doc="the country it is mined in (the policy tables match flows by country)"),
        Column(
            "supply_t",
            NUMBER,
            allow_inf=True,
            unit=T_REO_YR,
            doc="ore it can supply a year, in tonnes of contained rare-earth oxide (inf: no limit)",
        ),
        Column("mining_cost_usd_per_t", NUMBER, unit=USD_PER_T_REO, doc="cost of mining and concentrating a t REO"),
    ),
    key=("origin",),
)
COMPOSITION = TableSpec(
    "composition",
    (
        Column("origin", ID, doc="an origin of the origins table"),
        Column("product", ID, doc="a separated product (oxide); the products are those named here"),
        Column(
            "share",
            NUMBER,
            maximum=1.0,
            unit=FRACTION,
            doc="share of the product in the origin's REO (0-1); an origin's shares sum to 1",
        ),
    ),
    key=("origin", "product"),
)
REFINERS = TableSpec(
    "refiners",
    (
        Column("refiner", ID, doc="the refiner's id: a separation plant (unique)"),
        Column("country", ID, doc="the country it separates in"),
        Column(
            "capacity_t", NUMBER, allow_inf=True, unit=T_REO_YR, doc="ore feed it can separate a year (inf: no limit)"
        ),
        Column("processing_cost_usd_per_t", NUMBER, unit=USD_PER_T_REO, doc="cost of separating a t REO of feed"),
        Column(
            "recovery",
            NUMBER,
            minimum_exclusive=True,
            maximum=1.0,
            unit=FRACTION,
            doc="share of each product in the feed recovered as separated oxide (> 0, <= 1), "
            "unless the recoveries table overrides it",
        ),
    ),
    key=("refiner",),
)
RECOVERIES = TableSpec(
    "recoveries",
    (
        Column("refiner", ID, doc="a refiner of the refiners table"),
        Column("product", ID, doc="a product of the composition table"),
        Column(
            "recovery",
            NUMBER,
            minimum_exclusive=True,
            maximum=1.0,
            unit=FRACTION,
            doc="the refiner's recovery of this product (> 0, <= 1), instead of its own recovery",
        ),
    ),
    key=("refiner", "product"),
    optional=True,
)
MARKETS = TableSpec(
    "markets",
    (
        Column("market", ID, doc="the market's id (unique)"),
        Column("country", ID, doc="the country (or region) it is in"),
    ),
    key=("market",),
)
DEMAND = TableSpec(
    "demand",
    (
        Column("market", ID, doc="a market of the markets table"),
        Column("product", ID, doc="a product of the composition table"),
        Column(
            "demand_t",
            NUMBER,
            unit=T_YR,
            doc="demand a year, in t of separated oxide (with a curve: the quantity at the reference price)",
        ),
        Column(
            "unmet_penalty_usd_per_t",
            NUMBER,
            optional=True,
            unit=USD_PER_T,
            doc="cost of a tonne not supplied; blank: the job's penalty_multiple x the reference price, "
            "else the job's unmet_penalty_usd_per_t",
        ),
        # a demand curve (docs/formulation.md, "Price-responsive demand"): both or neither
        Column(
            "reference_price_usd_per_t",
            NUMBER,
            optional=True,
            minimum_exclusive=True,
            unit=USD_PER_T,
            doc="with elasticity, a demand curve through (demand_t, this price); blank: fixed demand",
        ),
        Column(
            "elasticity",
            NUMBER,
            optional=True,
            negative=True,
            doc="price elasticity of the demand curve (< 0); given with reference_price_usd_per_t or not at all",
        ),
    ),
    key=("market", "product"),
)
ORE_ROUTES = TableSpec(
    "ore_routes",
    (
        Column("origin", ID, doc="an origin of the origins table"),
        Column("refiner", ID, doc="a refiner of the refiners table; only the routes listed exist"),
        Column("freight_usd_per_t", NUMBER, unit=USD_PER_T_REO, doc="freight of a t REO of ore on the route"),
    ),
    key=("origin", "refiner"),
)
PRODUCT_ROUTES = TableSpec(
    "product_routes",
    (
        Column("refiner", ID, doc="a refiner of the refiners table"),
        Column("market", ID, doc="a market of the markets table; a route carries every product"),
        Column("freight_usd_per_t", NUMBER, unit=USD_PER_T, doc="freight of a t of separated product on the route"),
    ),
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
    Column(
        "from_country",
        ID,
        doc="where the flows come from (the origin's country for stage ore, the refiner's for product): "
        "a country, countries separated by ;, or * (any country outside to_country)",
    ),
    Column(
        "to_country",
        ID,
        doc="where they go (the refiner's country for ore, the market's for product): "
        "a country, countries separated by ;, or * (any country outside from_country)",
    ),
    Column("stage", ID, choices=STAGES, doc="ore (origin to refiner) or product (refiner to market)"),
    Column("product", ID, optional=True, doc="stage product: one product; blank: every product"),
)
TARIFFS = TableSpec(
    "tariffs",
    (
        *FLOW_SELECTOR,
        Column(
            "usd_per_t",
            NUMBER,
            unit=USD_PER_T,
            doc="added to the unit cost of every matching flow (per t REO for ore, per t product for product)",
        ),
    ),
    key=tuple(c.name for c in FLOW_SELECTOR),
    optional=True,
)
BANS = TableSpec("bans", FLOW_SELECTOR, key=tuple(c.name for c in FLOW_SELECTOR), optional=True)
QUOTAS = TableSpec(
    "quotas",
    (
        Column("quota", ID, doc="the quota's name (unique)"),
        Column(
            "kind",
            ID,
            choices=QUOTA_KINDS,
            doc="refining (feed of the country's refiners), mining (ore of its origins) "
            "or export (products its refiners ship abroad)",
        ),
        Column("country", ID, doc="the country, or countries separated by ;"),
        Column("product", ID, optional=True, doc="kind export: one product; blank: every product"),
        Column(
            "members",
            ID,
            optional=True,
            doc="ids separated by ; narrowing the quota to these refiners (refining, export) or origins "
            "(mining) of the country; blank: all of them",
        ),
        Column(
            "limit_t", NUMBER, unit=T_YR, doc="the cap a year (t REO for refining and mining, t product for export)"
        ),
    ),
    key=("quota",),
    optional=True,
)
SHARE_LIMITS = TableSpec(
    "share_limits",
    (
        Column("market", ID, doc="a market of the markets table"),
        Column("product", ID, doc="a product the market demands"),
        Column("country", ID, doc="the refiners' country, or countries separated by ;"),
        Column(
            "max_share",
            NUMBER,
            optional=True,
            maximum=1.0,
            unit=FRACTION,
            doc="at most this share of the market's demand refined in the country (0-1); blank: no maximum",
        ),
        Column(
            "min_share",
            NUMBER,
            optional=True,
            maximum=1.0,
            unit=FRACTION,
            doc="at least this share of the market's demand refined in the country (0-1); blank: no minimum",
        ),
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
        Column("contract", ID, doc="the contract's name (unique)"),
        Column("stage", ID, choices=STAGES, doc="ore (an ore route) or product (a product route)"),
        Column("from", ID, doc="stage ore: an origin; stage product: a refiner"),
        Column("to", ID, doc="stage ore: a refiner; stage product: a market"),
        Column(
            "product",
            ID,
            optional=True,
            doc="stage product: one product the market demands; blank: every product it demands",
        ),
        Column(
            "min_t",
            NUMBER,
            optional=True,
            unit=T_YR,
            doc="at least this flow a year (t REO for ore, t product for product); blank: no minimum",
        ),
        Column(
            "max_t",
            NUMBER,
            optional=True,
            allow_inf=True,
            unit=T_YR,
            doc="at most this flow a year; blank or inf: no maximum (at least one of min_t, max_t given)",
        ),
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
        Column("build", ID, doc="the candidate build's name (unique)"),
        Column("stage", ID, choices=STAGES_BUILT, doc="refining (adds refining capacity) or mining (adds ore supply)"),
        Column("site", ID, doc="a refiner (stage refining) or an origin (stage mining) of the dataset"),
        Column(
            "capital_usd_per_t",
            NUMBER,
            unit="USD/(t/yr)",
            doc="overnight capital per t/yr of capacity, spent when construction starts",
        ),
        Column(
            "fixed_om_usd_per_t_yr",
            NUMBER,
            optional=True,
            unit="USD/(t/yr)/yr",
            doc="fixed operating cost per t/yr of capacity, each year it is online; blank: none",
        ),
        Column(
            "lead_time_years",
            NUMBER,
            maximum=50,
            unit="yr",
            doc="whole years from the start of construction to the plant coming online",
        ),
        Column(
            "earliest_start",
            NUMBER,
            minimum_exclusive=True,
            doc="the first calendar year construction may start (a whole year, e.g. 2026)",
        ),
        Column("lifetime_years", NUMBER, minimum_exclusive=True, maximum=200, unit="yr", doc="years the plant runs"),
        Column("max_t", NUMBER, minimum_exclusive=True, unit="t/yr", doc="the most capacity the build may add"),
        Column(
            "min_t",
            NUMBER,
            optional=True,
            minimum_exclusive=True,
            unit="t/yr",
            doc="built whole or not at all: at least this capacity if built (the plan is then a MIP); blank: any size",
        ),
    ),
    key=("build",),
    optional=True,
)
BUILD_LIMITS = TableSpec(
    "build_limits",
    (
        Column("country", ID, doc="a country of a refiner or an origin of the dataset"),
        Column("stage", ID, choices=STAGES_BUILT, doc="refining or mining"),
        Column(
            "limit_t_per_year",
            NUMBER,
            unit="(t/yr)/yr",
            doc="capacity of that stage the country can start building a year, over all its builds",
        ),
    ),
    key=("country", "stage"),
    optional=True,
)
STOCKPILES = TableSpec(
    "stockpiles",
    (
        Column("stockpile", ID, doc="the stockpile's name (unique)"),
        Column("market", ID, doc="the market it serves: a market of the markets table"),
        Column("product", ID, doc="the product it holds (the market must demand it)"),
        Column("initial_t", NUMBER, unit="t", doc="the level at the start of the horizon"),
        Column("max_t", NUMBER, allow_inf=True, unit="t", doc="the highest level (inf: no limit)"),
        Column("min_t", NUMBER, optional=True, unit="t", doc="the lowest level (blank: 0)"),
        Column("holding_usd_per_t_year", NUMBER, unit="USD/t/yr", doc="cost of holding a tonne a year"),
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
