"""The registry: every column block, constraint family and cost term of the LP, as data.

Everything the rest of oreflow needs to know about a family lives in its
:class:`FamilySpec`: its builder, source table, key columns, sense, the units of its
right-hand side and of its price and the price's sign, the phrase that describes one
row, how a row is named and explained in words, whether sweeps record its price by
default and which inputs a sweep may change in place. :func:`~oreflow.model.lp.build_lp`,
the solution reader (:mod:`.solution`), the infeasibility report, the printed summary,
the job schema, sweeps, scenario comparison and the report all read these entries; a
new family is one builder plus one entry here (docs/architecture.md).

Order matters: blocks are placed as columns and families as rows in the order listed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .arrays import Block, LinearProgram, RowFamily
from .core import (
    balance_rows,
    capacity_rows,
    demand_rows,
    demand_step_columns,
    ore_route_columns,
    shipment_columns,
    supply_rows,
    unmet_columns,
)
from .market import MarketOptions
from .network import Network
from .policies import ban_rows, contract_rows, quota_rows, share_limit_rows, stage_pairs, tariff_costs

#: An input of the dataset: (table, column).
Input = tuple[str, str]
#: One row of a shadow-price table (its key columns, ``rhs``, ``shadow_price``, ...).
Row = Mapping[str, Any]

# Names of the column blocks, for the code that reads one block's values.
ORE_ROUTES, SHIPMENTS, UNMET, DEMAND_STEPS = "x", "s", "u", "q"
#: The cost term of the demand curves: minus the willingness to pay of what is consumed.
WILLINGNESS_TO_PAY = "willingness_to_pay"


# ---------------------------------------------------------------------------------
# Column blocks
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockColumns:
    """What a block's builder returns: the table naming each column, per cost term each
    column's unit cost, the columns' bounds (None: 0 and +inf), each cost term's constant
    (USD) and the diagonal of a quadratic cost (None: linear)."""

    index: pd.DataFrame
    costs: dict[str, np.ndarray]
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    offsets: dict[str, float] = field(default_factory=dict)
    hessian: np.ndarray | None = None


def _plain(built: tuple[pd.DataFrame, dict[str, np.ndarray]]) -> BlockColumns:
    return BlockColumns(*built)


def _demand_steps(network: Network, options: MarketOptions) -> BlockColumns:
    steps = demand_step_columns(network, options)
    return BlockColumns(
        steps.index,
        {WILLINGNESS_TO_PAY: steps.cost},
        steps.lower,
        steps.upper,
        {WILLINGNESS_TO_PAY: steps.offset} if len(steps.index) else {},
        steps.hessian,
    )


@dataclass(frozen=True)
class BlockSpec:
    """One block of columns (variables).

    Attributes:
        name: the variable's name (``x``), also its name in the Pyomo twin.
        build: ``(network, market options) -> BlockColumns``: the table naming each
            column, per cost term each column's unit cost, and its bounds.
        table: the input table its columns come from.
        keys: the columns of ``index``.
        unit: unit of a column's value.
        what: what one column is, in words ("ore flow").
        cost_inputs: inputs whose change moves only this block's cost terms (a sweep
            recomputes them in place with ``build``).
        flows: the name a sweep uses to record each column's value (``flows = [...]``
            in a job), and the prefix of those columns; None: not recordable.
    """

    name: str
    build: Callable[[Network, MarketOptions], BlockColumns]
    table: str
    keys: tuple[str, ...]
    unit: str
    what: str
    cost_inputs: tuple[Input, ...] = ()
    flows: tuple[str, str] | None = None


BLOCKS: tuple[BlockSpec, ...] = (
    BlockSpec(
        ORE_ROUTES,
        lambda n, options: _plain(ore_route_columns(n)),
        "ore_routes",
        ("origin", "refiner"),
        "t REO per year",
        "ore flow",
        cost_inputs=(
            ("origins", "mining_cost_usd_per_t"),
            ("refiners", "processing_cost_usd_per_t"),
            ("ore_routes", "freight_usd_per_t"),
        ),
        flows=("ore_routes", "flow_t"),
    ),
    BlockSpec(
        SHIPMENTS,
        lambda n, options: _plain(shipment_columns(n)),
        "product_routes",
        ("refiner", "market", "product"),
        "t product per year",
        "shipment",
        cost_inputs=(("product_routes", "freight_usd_per_t"),),
        flows=("shipments", "ship_t"),
    ),
    BlockSpec(
        UNMET,
        lambda n, options: _plain(unmet_columns(n, options)),
        "demand",
        ("market", "product"),
        "t product per year",
        "unmet demand",
        cost_inputs=(
            ("demand", "unmet_penalty_usd_per_t"),
            ("demand", "reference_price_usd_per_t"),
            ("demand", "elasticity"),  # a curve's highest price, below its row's penalty
        ),
    ),
    BlockSpec(
        DEMAND_STEPS,
        _demand_steps,
        "demand",
        ("market", "product", "side", "step"),
        "t product per year",
        "step of a demand curve",
        cost_inputs=(
            ("demand", "demand_t"),
            ("demand", "reference_price_usd_per_t"),
            ("demand", "elasticity"),
        ),
    ),
)
BLOCKS_BY_NAME: dict[str, BlockSpec] = {b.name: b for b in BLOCKS}


# ---------------------------------------------------------------------------------
# Cost terms
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostTerms:
    """What a cost term's builder returns: unit costs per block (``{}``: none in this
    dataset) and, for a policy table, the (table row, LP column) pairs it covers."""

    by_block: dict[str, np.ndarray]
    pairs: tuple[np.ndarray, np.ndarray] | None = None


@dataclass(frozen=True)
class CostTermSpec:
    """One component of the cost breakdown.

    Attributes:
        name: the component's name in ``Result.cost_breakdown`` and the output tables.
        label: how people read it ("ore freight").
        build: for a term that is not a block's own (e.g. tariffs), its builder
            ``(network, columns) -> CostTerms``; None for a term a block's builder returns.
        inputs: for a term with its own builder, the inputs a sweep recomputes in place.
        policy_keys: for a term read from a policy table, the columns that name one of
            its rows (a row covering no flow is reported as a problem).
        table: that policy table.
    """

    name: str
    label: str
    build: Callable[[Network, Mapping[str, Block]], CostTerms] | None = None
    inputs: tuple[Input, ...] = ()
    table: str | None = None
    policy_keys: tuple[str, ...] = ()


def _tariffs(network: Network, columns: Mapping[str, Block]) -> CostTerms:
    if not len(network.tariffs):
        return CostTerms({})
    x, s = columns[ORE_ROUTES], columns[SHIPMENTS]
    pairs = stage_pairs(network, network.tariffs, x, s)
    return CostTerms(tariff_costs(network, x, s, pairs), pairs)


COST_TERMS: tuple[CostTermSpec, ...] = (
    CostTermSpec("mining", "mining"),
    CostTermSpec("ore_freight", "ore freight"),
    CostTermSpec("processing", "processing"),
    CostTermSpec("product_freight", "product freight"),
    CostTermSpec("unmet_penalty", "unmet-demand penalty"),
    CostTermSpec(WILLINGNESS_TO_PAY, "minus willingness to pay of what is consumed"),
    CostTermSpec(
        "tariffs",
        "tariffs",
        build=_tariffs,
        inputs=(("tariffs", "usd_per_t"),),
        table="tariffs",
        policy_keys=("from_country", "to_country", "stage", "product"),
    ),
)
COST_TERMS_BY_NAME: dict[str, CostTermSpec] = {t.name: t for t in COST_TERMS}


def cost_label(term: str) -> str:
    """How people read a cost component ("ore freight"); an unknown name as written."""
    spec = COST_TERMS_BY_NAME.get(term)
    return spec.label if spec is not None else ("total" if term == "total" else term)


# ---------------------------------------------------------------------------------
# Constraint families
# ---------------------------------------------------------------------------------


def tonnes_text(value: float) -> str:
    """``1,234 t`` (no decimals from 100 t on), ``2.5 t`` below."""
    return f"{value:,.0f} t" if abs(value) >= 100 else f"{value:,.6g} t"


@dataclass(frozen=True)
class FamilySpec:
    """One family of constraints (rows).

    Attributes:
        name: the family's name (``capacity``): its Pyomo constraint, its
            ``shadow_prices_<name>`` table, ``price.<name>.<key>`` in sweeps.
        build: ``(network, columns) -> RowFamily`` (the builder; its docstring has the
            equation, units and price sign).
        table: the input table its rows come from.
        keys: the columns naming one row.
        sense: ``"<="``, ``">="`` or ``"per row"``.
        rhs_unit: unit of the right-hand side as reported (``t`` or ``%``).
        price_unit: the price's unit in words ("USD per t of quota").
        price_unit_short: the price's unit in tables and charts (``USD/t``, ``USD/pp``).
        price_sign: the price's sign and meaning, in words.
        what: what one row is, in words ("feed capacity of the refiner").
        title: the family as a heading ("refining capacity").
        label_keys: the key columns that name a row in a sweep's price columns and in
            scenario comparison (blanks left out); all ``keys`` when None.
        sweep_default: sweeps and stress tests record its prices unless a job says otherwise.
        rhs_inputs: inputs whose change moves only its right-hand sides (a sweep
            recomputes them in place with ``build``).
        coefficient_inputs: inputs whose change moves only the values of its matrix
            coefficients, never which entries exist nor any rule beyond their own cells (a
            refiner's recovery scales its yields): the LP is rebuilt without revalidating
            the dataset and re-solved in place (``HighsModel.set_matrix``).
        policy_keys: for a policy family, the columns of ``table`` that name one of its
            rows (a row covering no flow is reported as a problem); empty otherwise.
        summary: how the printed summary shows its binding priced rows: ``"resource"``
            (one line per row under ``binding_title``), ``"policy"`` (under "Binding
            policies", with :meth:`explain`), ``"grid"`` (the demand table) or ``"none"``.
        binding_title: the heading of a ``"resource"`` or ``"grid"`` family in the printed summary
            (a grid: the family's two keys across and down, e.g. market x product).
        ranged: the summary says over which rhs its binding prices hold.
        compare_metric: the metric scenario comparison records its prices under (None: not compared).
        describe: ``(keys, sign, rhs) -> str``: one row as a user would write it
            (infeasibility report); None: ``name[keys] sign rhs (what)``.
        explain_row: ``row -> (label, meaning, value)`` of a binding priced row, read
            as "label: meaning value USD"; None: a generic sentence.
        rhs: for a family with one row per row of ``table`` in table order and no report
            scale, ``network -> right-hand sides``: what a sweep recomputes in place without
            rebuilding the family (tests/test_sweep.py holds it equal to the builder's).
        price_terms: for a family whose price is more than its own dual (demand: its share
            limits' right-hand sides move with it), ``lp -> [PriceTerm, ...]``: the other
            rows whose duals enter its price. The price (:func:`family_price`) and whether
            it is unique (``oreflow.model.solution.price_uniqueness``) are both derived from
            them. None: the row's own dual over the report scale.
    """

    name: str
    build: Callable[[Network, Mapping[str, Block]], RowFamily]
    table: str
    keys: tuple[str, ...]
    sense: str
    rhs_unit: str
    price_unit: str
    price_unit_short: str
    price_sign: str
    what: str
    title: str
    label_keys: tuple[str, ...] | None = None
    sweep_default: bool = True
    rhs_inputs: tuple[Input, ...] = ()
    coefficient_inputs: tuple[Input, ...] = ()
    policy_keys: tuple[str, ...] = ()
    summary: str = "policy"
    binding_title: str = ""
    ranged: bool = True
    compare_metric: str | None = None
    describe: Callable[[Mapping[str, str], str, float], str] | None = None
    explain_row: Callable[[Row], tuple[str, str, float]] | None = None
    price_terms: Callable[[LinearProgram], list[PriceTerm]] | None = None
    rhs: Callable[[Network], np.ndarray] | None = None

    def row_name(self, keys: Mapping[str, str], sign: str, rhs: float) -> str:
        """One row in words, with its bound, e.g. ``capacity[CN_Baotou] <= 174,000 t (...)``."""
        if self.describe is not None:
            return self.describe(keys, sign, rhs)
        shown = f"{rhs:g}%" if self.rhs_unit == "%" else tonnes_text(rhs)
        return f"{self.name}[{', '.join(keys.values())}] {sign} {shown} ({self.what})"

    def explain(self, row: Row) -> tuple[str, str, float]:
        """(label, meaning, value) of a binding priced row: "label: meaning value USD"."""
        if self.explain_row is not None:
            return self.explain_row(row)
        keys = ", ".join(str(row[k]) for k in self.keys if str(row[k]) != "")
        rhs = f"{row['rhs']:g}%" if self.rhs_unit == "%" else tonnes_text(float(row["rhs"]))
        return (
            f"{self.name}[{keys}] ({self.what}, {rhs})",
            f"one more {'percentage point' if self.rhs_unit == '%' else 'tonne'} of right-hand side changes "
            "the cost by",
            float(row["shadow_price"]),
        )

    @property
    def naming_keys(self) -> tuple[str, ...]:
        """The columns naming a row in price columns and comparisons."""
        return self.label_keys if self.label_keys is not None else self.keys


def _ban_name(keys: Mapping[str, str], sign: str, rhs: float) -> str:
    product = keys["product"]
    return (
        f"ban[{keys['from_country']} -> {keys['to_country']}, {keys['stage']}{', ' + product if product else ''}] "
        "(no flow allowed)"
    )


def _quota_name(keys: Mapping[str, str], sign: str, rhs: float) -> str:
    product = keys["product"]
    return (
        f"quota[{keys['quota']}: {keys['kind']} {keys['country']}{' ' + product if product else ''}] {sign} "
        f"{tonnes_text(rhs)}"
    )


def _share_limit_name(keys: Mapping[str, str], sign: str, rhs: float) -> str:
    return f"share_limit[{keys['market']}, {keys['product']}, {keys['country']} {sign} {rhs:g}%]"


def _balance_name(keys: Mapping[str, str], sign: str, rhs: float) -> str:
    return f"balance[{', '.join(keys.values())}] ({BALANCE_WHAT})"


def _product(value: Any) -> str:
    return f" {value}" if isinstance(value, str) and value else ""


def _explain_quota(row: Row) -> tuple[str, str, float]:
    return (
        f"quota {row['quota']} ({row['kind']} {row['country']}{_product(row['product'])}, {row['rhs']:,.0f} t/yr)",
        "one more tonne would save",
        -float(row["shadow_price"]),
    )


def _explain_ban(row: Row) -> tuple[str, str, float]:
    return (
        f"ban {row['from_country']} -> {row['to_country']} ({row['stage']}{_product(row['product'])})",
        "the first tonne allowed would save",
        -float(row["shadow_price"]),
    )


def _explain_share_limit(row: Row) -> tuple[str, str, float]:
    at_most = row["bound"] == "max"
    label = (
        f"share limit: {'at most' if at_most else 'at least'} {row['rhs']:g}% of {row['market']} "
        f"{row['product']} refined in {row['country']}"
    )
    if at_most:
        return label, "each further point of de-risking costs", -float(row["shadow_price"])
    return label, "each further point costs", float(row["shadow_price"])


def _contract_flow(keys: Mapping[str, Any]) -> str:
    """``AU_MtWeld ore to MY_Lynas_Kuantan``, ``NdPr from MY_Lynas_Kuantan to JP``."""
    if keys["stage"] == "ore":
        return f"{keys['from']} ore to {keys['to']}"
    product = keys["product"]  # blank: every product; read back from a CSV file, NaN
    return f"{product if isinstance(product, str) and product else 'all products'} from {keys['from']} to {keys['to']}"


def _contract_name(keys: Mapping[str, str], sign: str, rhs: float) -> str:
    return f"contract[{keys['contract']}: {_contract_flow(keys)} {sign} {tonnes_text(rhs)}]"


def _explain_contract(row: Row) -> tuple[str, str, float]:
    label = f"contract {row['contract']} ({row['bound']} {tonnes_text(float(row['rhs']))} {_contract_flow(row)})"
    if row["bound"] == "min":
        return label, "each further tonne obliged costs", float(row["shadow_price"])
    return label, "each further tonne allowed would save", -float(row["shadow_price"])


@dataclass(frozen=True)
class PriceTerm:
    """Rows of another family whose duals enter a family's price: row ``i`` of ``family``
    adds ``weight[i]`` x its dual to the price of row ``target[i]``."""

    family: str
    target: np.ndarray
    weight: np.ndarray


def family_price(lp: LinearProgram, row_dual: np.ndarray, name: str) -> np.ndarray:
    """d(optimal cost)/d(rhs) of each row of family ``name`` in LP units (not yet cleaned):
    its own dual plus its registered ``price_terms``."""
    price = np.asarray(row_dual[lp.rows[name].slice], dtype=float).copy()
    terms = FAMILIES_BY_NAME[name].price_terms
    for term in terms(lp) if terms is not None else ():
        np.add.at(price, term.target, term.weight * row_dual[lp.rows[term.family].slice])
    return price


def _demand_price_terms(lp: LinearProgram) -> list[PriceTerm]:
    """A share limit's right-hand side is share x demand_t, so one more tonne demanded also
    moves every share limit on that market and product: share x its dual per tonne."""
    limits = lp.rows[SHARE_LIMIT]
    if not len(limits.index):
        return []
    demand = pd.MultiIndex.from_frame(lp.rows[DEMAND].index[["market", "product"]])
    target = demand.get_indexer(pd.MultiIndex.from_frame(limits.index[["market", "product"]]))
    share = lp.rhs(SHARE_LIMIT) * lp.report_scale(SHARE_LIMIT) / 100.0
    return [PriceTerm(SHARE_LIMIT, target, share)]


SUPPLY, CAPACITY, BALANCE, DEMAND, BAN, QUOTA, SHARE_LIMIT = (
    "supply",
    "capacity",
    "balance",
    "demand",
    "ban",
    "quota",
    "share_limit",
)
CONTRACT = "contract"
BALANCE_WHAT = "shipments of the product cannot exceed what the refiner recovers"

FAMILIES: tuple[FamilySpec, ...] = (
    FamilySpec(
        SUPPLY,
        lambda n, c: supply_rows(n, c[ORE_ROUTES]),
        "origins",
        ("origin",),
        "<=",
        "t",
        "USD per t REO of ore supply",
        "USD/t",
        "<= 0: minus what one more tonne of ore available would save",
        "ore supply of the origin",
        "ore supply",
        rhs_inputs=(("origins", "supply_t"),),
        rhs=lambda n: n.origins["supply_t"].to_numpy(float),
        summary="resource",
        binding_title="Binding ore supply (one more tonne of ore would save):",
    ),
    FamilySpec(
        CAPACITY,
        lambda n, c: capacity_rows(n, c[ORE_ROUTES]),
        "refiners",
        ("refiner",),
        "<=",
        "t",
        "USD per t REO of refining feed capacity",
        "USD/t",
        "<= 0: minus what one more tonne of feed capacity would save",
        "feed capacity of the refiner",
        "refining capacity",
        rhs_inputs=(("refiners", "capacity_t"),),
        rhs=lambda n: n.refiners["capacity_t"].to_numpy(float),
        summary="resource",
        binding_title="Binding refining capacity (one more tonne of feed capacity would save):",
        compare_metric="capacity_shadow_price",
    ),
    FamilySpec(
        BALANCE,
        lambda n, c: balance_rows(n, c[ORE_ROUTES], c[SHIPMENTS]),
        "refiners",
        ("refiner", "product"),
        "<=",
        "t",
        "USD per t of product at the refiner",
        "USD/t",
        "<= 0: minus the value of one more tonne of the product at the refiner",
        BALANCE_WHAT,
        "product at refiners",
        sweep_default=False,
        coefficient_inputs=(("refiners", "recovery"), ("recoveries", "recovery")),
        summary="none",
        ranged=False,
        describe=_balance_name,
    ),
    FamilySpec(
        DEMAND,
        lambda n, c: demand_rows(n, c[SHIPMENTS], c[UNMET], c[DEMAND_STEPS]),
        "demand",
        ("market", "product"),
        ">=",
        "t",
        "USD per t of product delivered",
        "USD/t",
        ">= 0: the marginal delivered cost of one more tonne demanded (share limits on it included)",
        "demand of the market",
        "demand (delivered cost)",
        rhs_inputs=(("demand", "demand_t"),),
        summary="grid",
        binding_title="Marginal delivered cost of one more tonne demanded (demand shadow price, USD/t):",
        compare_metric="delivered_marginal_cost",
        price_terms=_demand_price_terms,
        rhs=lambda n: n.demand["demand_t"].to_numpy(float),
    ),
    FamilySpec(
        BAN,
        lambda n, c: ban_rows(n, c[ORE_ROUTES], c[SHIPMENTS]),
        "bans",
        ("from_country", "to_country", "stage", "product"),
        "<=",
        "t",
        "USD per t of banned flow allowed",
        "USD/t",
        "<= 0: minus what the first tonne allowed through would save",
        "banned flows",
        "bans",
        sweep_default=False,
        policy_keys=("from_country", "to_country", "stage", "product"),
        ranged=False,
        describe=_ban_name,
        explain_row=_explain_ban,
    ),
    FamilySpec(
        QUOTA,
        lambda n, c: quota_rows(n, c[ORE_ROUTES], c[SHIPMENTS]),
        "quotas",
        ("quota", "kind", "country", "product"),
        "<=",
        "t",
        "USD per t of quota",
        "USD/t",
        "<= 0: minus what one more tonne of quota would save",
        "quota",
        "quotas",
        label_keys=("quota",),
        rhs_inputs=(("quotas", "limit_t"),),
        policy_keys=("quota",),
        compare_metric="quota_shadow_price",
        describe=_quota_name,
        explain_row=_explain_quota,
    ),
    FamilySpec(
        SHARE_LIMIT,
        lambda n, c: share_limit_rows(n, c[SHIPMENTS]),
        "share_limits",
        ("market", "product", "country", "bound"),
        "per row",
        "%",
        "USD per percentage point of the share limit",
        "USD/pp",
        "<= 0 for a max share (loosening by a point saves), >= 0 for a min share (a point more costs)",
        "share of the market's demand refined in the country",
        "share limits",
        rhs_inputs=(("demand", "demand_t"), ("share_limits", "max_share"), ("share_limits", "min_share")),
        policy_keys=("market", "product", "country"),
        compare_metric="share_limit_shadow_price",
        describe=_share_limit_name,
        explain_row=_explain_share_limit,
    ),
    FamilySpec(
        CONTRACT,
        lambda n, c: contract_rows(n, c[ORE_ROUTES], c[SHIPMENTS]),
        "contracts",
        ("contract", "stage", "from", "to", "product", "bound"),
        "per row",
        "t",
        "USD per t of contracted flow",
        "USD/t",
        ">= 0 for a min (one more tonne obliged costs), <= 0 for a max (one more tonne allowed saves)",
        "contracted flow on the route",
        "contracts",
        label_keys=("contract", "bound"),
        rhs_inputs=(("contracts", "min_t"), ("contracts", "max_t")),
        policy_keys=("contract",),
        compare_metric="contract_shadow_price",
        describe=_contract_name,
        explain_row=_explain_contract,
    ),
)
FAMILIES_BY_NAME: dict[str, FamilySpec] = {f.name: f for f in FAMILIES}
#: Families whose prices sweeps and stress tests record unless a job says otherwise.
DEFAULT_PRICES: tuple[str, ...] = tuple(f.name for f in FAMILIES if f.sweep_default)


def price_unit(name: str) -> str:
    """The unit of family ``name``'s price in words; a generic one for an unknown name."""
    spec = FAMILIES_BY_NAME.get(name)
    return spec.price_unit if spec is not None else "USD per unit of right-hand side"


# ---------------------------------------------------------------------------------
# Inputs a sweep may change in place
# ---------------------------------------------------------------------------------


def coefficient_inputs() -> frozenset[Input]:
    """The (table, column) inputs whose change moves only matrix coefficients' values
    (:attr:`FamilySpec.coefficient_inputs` of every family)."""
    return frozenset(key for spec in FAMILIES for key in spec.coefficient_inputs)


def in_place_inputs() -> dict[Input, tuple[str, ...]]:
    """(table, column) -> the pieces of the LP its value feeds: family names (their
    right-hand sides), ``<block>_cost`` (a block's cost terms) and cost-term names."""
    pieces: dict[Input, list[str]] = {}
    for spec in FAMILIES:
        for key in spec.rhs_inputs:
            pieces.setdefault(key, []).append(spec.name)
    for block in BLOCKS:
        for key in block.cost_inputs:
            pieces.setdefault(key, []).append(f"{block.name}_cost")
    for term in COST_TERMS:
        for key in term.inputs:
            pieces.setdefault(key, []).append(term.name)
    return {key: tuple(names) for key, names in pieces.items()}
