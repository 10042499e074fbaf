"""Trade policies as LP terms: tariffs (a cost term) and bans, quotas, share limits (rows);
and supply contracts (rows), optional tables handled alike.

Each policy table is optional (docs/formulation.md, "Policies"). Policy rows are matched
to flows with pandas merges, never a Python loop over flows or policy rows:

- an ore flow x[o,r] goes from the origin's country to the refiner's country; a product
  flow s[r,m,p] from the refiner's country to the market's country;
- a policy country is one country, a group of countries separated by ``;`` (e.g.
  ``FR;EE;EU``), or ``*``. ``*`` means any country outside the other side's group: ``US``
  -> ``*`` is every flow leaving the US, ``*`` -> ``CN`` every flow into China from
  abroad, ``*`` -> ``*`` every cross-border flow. Naming both sides matches exactly
  those countries, domestic flows included when the groups overlap;
- a blank ``product`` matches every product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from .arrays import Block, RowFamily
from .groups import explode_list
from .tables import ANY_COUNTRY


class Inputs(Protocol):
    """The tables the policy builders read: a :class:`~oreflow.model.network.Network`, or
    the typed tables validation checks (:class:`PolicyTables`, model/checks.py), so that the
    rule "a policy row covers some flow" is decided by the very code that builds the LP."""

    @property
    def origins(self) -> pd.DataFrame: ...
    @property
    def refiners(self) -> pd.DataFrame: ...
    @property
    def markets(self) -> pd.DataFrame: ...
    @property
    def demand(self) -> pd.DataFrame: ...
    @property
    def tariffs(self) -> pd.DataFrame: ...
    @property
    def bans(self) -> pd.DataFrame: ...
    @property
    def quotas(self) -> pd.DataFrame: ...
    @property
    def share_limits(self) -> pd.DataFrame: ...
    @property
    def contracts(self) -> pd.DataFrame: ...


@dataclass(frozen=True)
class PolicyTables:
    """:class:`Inputs` as plain tables (before a Network exists: validation)."""

    origins: pd.DataFrame
    refiners: pd.DataFrame
    markets: pd.DataFrame
    demand: pd.DataFrame
    tariffs: pd.DataFrame
    bans: pd.DataFrame
    quotas: pd.DataFrame
    share_limits: pd.DataFrame
    contracts: pd.DataFrame


def country_of(network: Inputs) -> dict[str, pd.Series]:
    """id -> country maps of origins, refiners and markets."""
    return {
        # validated tables have unique ids; tables still being validated may repeat one (reported
        # by check_unique_keys), whose first row stands for it
        "origin": network.origins.drop_duplicates("origin").set_index("origin")["country"],
        "refiner": network.refiners.drop_duplicates("refiner").set_index("refiner")["country"],
        "market": network.markets.drop_duplicates("market").set_index("market")["country"],
    }


def ore_flows(network: Inputs, x_index: pd.DataFrame) -> pd.DataFrame:
    """The ore routes with ``from_country`` (origin's) and ``to_country`` (refiner's)."""
    countries = country_of(network)
    return pd.DataFrame(
        {
            "from_country": x_index["origin"].map(countries["origin"]).to_numpy(),
            "to_country": x_index["refiner"].map(countries["refiner"]).to_numpy(),
            "product": "",
        }
    )


def product_flows(network: Inputs, s_index: pd.DataFrame) -> pd.DataFrame:
    """The shipments with ``from_country`` (refiner's), ``to_country`` (market's) and product."""
    countries = country_of(network)
    return pd.DataFrame(
        {
            "from_country": s_index["refiner"].map(countries["refiner"]).to_numpy(),
            "to_country": s_index["market"].map(countries["market"]).to_numpy(),
            "product": s_index["product"].to_numpy(),
        }
    )


def _in_group(rows: np.ndarray, countries: np.ndarray, groups: pd.DataFrame) -> np.ndarray:
    """For each (row, country) pair: is the country in that row's group?"""
    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    keys = pd.MultiIndex.from_arrays([rows, countries])
    return keys.isin(pd.MultiIndex.from_frame(groups[["_row", "country"]]))


def match_flows(policy: pd.DataFrame, flows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (policy row position, flow position) where a policy row applies to a flow.

    ``policy`` has ``from_country``, ``to_country`` (a country, a ``;`` group or ``*``)
    and ``product`` (blank = all); ``flows`` has ``from_country``, ``to_country`` and
    ``product``. See the module docstring for the meaning of ``*``.
    """
    policy = policy.reset_index(drop=True)
    flows = flows.reset_index(drop=True).assign(_flow=lambda f: np.arange(len(f)))
    any_from = (policy["from_country"] == ANY_COUNTRY).to_numpy()
    any_to = (policy["to_country"] == ANY_COUNTRY).to_numpy()
    from_groups = explode_list(policy["from_country"].where(~any_from, ""), "country")
    to_groups = explode_list(policy["to_country"].where(~any_to, ""), "country")
    # candidates: merge on a named side when there is one, else every flow
    by_from = from_groups.merge(flows, left_on="country", right_on="from_country", sort=False)
    only_to = to_groups.loc[any_from[to_groups["_row"].to_numpy()]]
    by_to = only_to.merge(flows, left_on="country", right_on="to_country", sort=False)
    both_any = np.flatnonzero(any_from & any_to)
    cross = pd.DataFrame({"_row": both_any}).merge(flows, how="cross")
    cand = pd.concat([by_from, by_to, cross], ignore_index=True)
    row = cand["_row"].to_numpy()
    keep = np.ones(len(cand), dtype=bool)
    product = policy["product"].to_numpy()[row] if len(row) else np.zeros(0, dtype=object)
    keep &= (product == "") | (product == cand["product"].to_numpy())
    cand_from, cand_to = cand["from_country"].to_numpy(), cand["to_country"].to_numpy()
    named_both = ~any_from[row] & ~any_to[row]
    keep &= ~named_both | _in_group(row, cand_to, to_groups)
    from_named_to_any = ~any_from[row] & any_to[row]
    keep &= ~from_named_to_any | ~_in_group(row, cand_to, from_groups)
    any_to_named = any_from[row] & ~any_to[row]
    keep &= ~any_to_named | ~_in_group(row, cand_from, to_groups)
    keep &= ~(any_from[row] & any_to[row]) | (cand_from != cand_to)
    return row[keep].astype(np.int64), cand["_flow"].to_numpy()[keep].astype(np.int64)


def stage_pairs(network: Inputs, table: pd.DataFrame, x: Block, s: Block) -> tuple[np.ndarray, np.ndarray]:
    """(policy row position, LP column) pairs of a tariff or ban table, both stages."""
    table = table.reset_index(drop=True)
    rows, cols = [], []
    for stage, block, flows in (
        ("ore", x, ore_flows(network, x.index)),
        ("product", s, product_flows(network, s.index)),
    ):
        positions = np.flatnonzero((table["stage"] == stage).to_numpy())
        policy, flow = match_flows(table.iloc[positions], flows)
        rows.append(positions[policy])
        cols.append(flow + block.start)
    return np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)


def explode_members(quotas: pd.DataFrame) -> pd.DataFrame:
    """One row per (quota position ``_row``, ``member`` id); quotas without members left out."""
    return explode_list(quotas["members"].reset_index(drop=True), "member")


# ---------------------------------------------------------------------------------
# Cost term and constraint families
# ---------------------------------------------------------------------------------


def _empty_family(name: str, index: pd.DataFrame, sense: str) -> RowFamily:
    """A family without rows (the dataset has no such policy): no merges at all."""
    none = np.zeros(0, dtype=np.int64)
    return RowFamily(name, index.iloc[:0], none, none, np.zeros(0), np.zeros(0), sense)


def tariff_costs(
    network: Inputs, x: Block, s: Block, pairs: tuple[np.ndarray, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """tariffs: + sum over matching tariff rows of usd_per_t, per t of each matching flow.

    Stage ``ore``: USD per t REO on x[o,r] from the origin's to the refiner's country.
    Stage ``product``: USD per t on s[r,m,p] from the refiner's to the market's country
    (``product`` blank = every product). Several matching rows add up. Reported as the
    ``tariffs`` line of the cost breakdown. Empty dict when the dataset has no tariffs.
    ``pairs``: the tariffs' (row, column) matches when already computed (:func:`stage_pairs`).
    """
    tariffs = network.tariffs.reset_index(drop=True)
    if tariffs.empty:
        return {}
    rows, cols = pairs if pairs is not None else stage_pairs(network, tariffs, x, s)
    per_col = np.bincount(cols, weights=tariffs["usd_per_t"].to_numpy(float)[rows], minlength=s.stop)
    return {"x": per_col[x.slice].astype(float), "s": per_col[s.slice].astype(float)}


def ban_rows(network: Inputs, x: Block, s: Block) -> RowFamily:
    """ban[from_country, to_country, stage, product]:  sum of the matching flows <= 0  (t per year).

    One row per row of bans.csv. Stage ``ore`` matches ore routes x[o,r] (t REO), stage
    ``product`` shipments s[r,m,p] (t product). Shadow price (<= 0): USD the first
    tonne allowed through would save.
    """
    bans = network.bans.reset_index(drop=True)
    if bans.empty:
        return _empty_family("ban", bans[["from_country", "to_country", "stage", "product"]], "<=")
    rows, cols = stage_pairs(network, bans, x, s)
    return RowFamily(
        "ban",
        bans[["from_country", "to_country", "stage", "product"]],
        rows,
        cols,
        np.ones(len(rows)),
        np.zeros(len(bans)),
        "<=",
    )


def quota_rows(network: Inputs, x: Block, s: Block) -> RowFamily:
    """quota[q]:  sum of the flows quota q covers <= limit_t[q]     (t per year).

    kind ``refining``: feed x[o,r] of refiners r in ``country`` (t REO);
    kind ``mining``: output x[o,r] of origins o in ``country`` (t REO);
    kind ``export``: shipments s[r,m,p] from refiners in ``country`` to markets outside
    it, of ``product`` (blank: all products) (t product). ``country`` may be a ``;``
    group. ``members`` (ids separated by ``;``) narrows the refiners (refining, export)
    or origins (mining) to those listed. Shadow price (<= 0): USD saved per extra tonne
    of quota.
    """
    quotas = network.quotas.reset_index(drop=True)
    if quotas.empty:
        return _empty_family("quota", quotas[["quota", "kind", "country", "product"]], "<=")
    countries = country_of(network)
    x_frame = x.index.assign(
        origin_country=x.index["origin"].map(countries["origin"]).to_numpy(),
        refiner_country=x.index["refiner"].map(countries["refiner"]).to_numpy(),
        _col=np.arange(x.start, x.stop),
    )
    s_frame = product_flows(network, s.index).assign(
        refiner=s.index["refiner"].to_numpy(), _col=np.arange(s.start, s.stop)
    )
    groups = explode_list(quotas["country"], "country")
    members = explode_members(quotas)
    kinds = quotas["kind"].to_numpy()
    has_members = (quotas["members"] != "").to_numpy()
    rows, cols = [], []
    for kind, frame, member_col, country_col in (
        ("refining", x_frame, "refiner", "refiner_country"),
        ("mining", x_frame, "origin", "origin_country"),
        ("export", s_frame, "refiner", "from_country"),
    ):
        by_country = groups.loc[(kinds[groups["_row"]] == kind) & ~has_members[groups["_row"]]]
        by_country = by_country.merge(frame, left_on="country", right_on=country_col, sort=False)
        by_member = members.loc[kinds[members["_row"]] == kind].merge(
            frame, left_on="member", right_on=member_col, sort=False
        )
        pairs = pd.concat([by_country, by_member], ignore_index=True)
        if kind == "export":  # to markets outside the group, of the quota's product (blank: all)
            row = pairs["_row"].to_numpy()
            product = quotas["product"].to_numpy()[row]
            outside = ~_in_group(row, pairs["to_country"].to_numpy(), groups)
            pairs = pairs.loc[outside & ((product == "") | (product == pairs["product"].to_numpy()))]
        rows.append(pairs["_row"].to_numpy())
        cols.append(pairs["_col"].to_numpy())
    rows_a, cols_a = np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)
    return RowFamily(
        "quota",
        quotas[["quota", "kind", "country", "product"]],
        rows_a,
        cols_a,
        np.ones(len(rows_a)),
        quotas["limit_t"].to_numpy(float),
        "<=",
    )


def share_limit_index(network: Inputs) -> pd.DataFrame:
    """One row per limit given: market, product, country, bound (max/min), share, sense, and
    ``table_row``, the position of its row in share_limits."""
    limits = network.share_limits.reset_index(drop=True)
    parts = []
    for bound, column, sense in (("max", "max_share", "<="), ("min", "min_share", ">=")):
        given = limits.loc[limits[column].notna()]
        parts.append(
            given[["market", "product", "country"]].assign(
                bound=bound, share=given[column].to_numpy(), sense=sense, table_row=given.index.to_numpy()
            )
        )
    return pd.concat(parts, ignore_index=True)


def share_limit_rows(network: Inputs, s: Block) -> RowFamily:
    """share_limit[m,p,c,bound]:  sum_{r in c} s[r,m,p] <= max_share * demand_t[m,p]
    (bound ``max``) or >= min_share * demand_t[m,p] (bound ``min``)     (t product per year).

    The share of market m's demand for p that is refined in country (or ``;`` group) c.
    One row per max_share and per min_share given. Reported in percentage points: rhs,
    activity and slack as % of demand_t, and the shadow price as USD per percentage point
    of the limit (<= 0 for a max share: loosening by one point saves; >= 0 for a min
    share: one more point of de-risking costs).
    """
    index = share_limit_index(network)
    if index.empty:
        family = _empty_family("share_limit", index[["market", "product", "country", "bound"]], "<=")
        return RowFamily(
            family.name,
            family.index,
            family.rows,
            family.cols,
            family.values,
            family.rhs,
            family.sense,
            report_scale=np.zeros(0),
        )
    demand = network.demand.drop_duplicates(["market", "product"]).set_index(["market", "product"])["demand_t"]
    demand_t = demand.reindex(pd.MultiIndex.from_frame(index[["market", "product"]])).to_numpy(float)
    refiner_country = s.index["refiner"].map(country_of(network)["refiner"])
    ships = s.index.assign(country=refiner_country.to_numpy(), _col=np.arange(s.start, s.stop))
    groups = explode_list(index["country"], "country").merge(
        index[["market", "product"]].assign(_row=np.arange(len(index))), on="_row"
    )
    matched = groups.merge(ships, on=["market", "product", "country"], sort=False)
    with np.errstate(divide="ignore"):
        scale = 100.0 / demand_t
    return RowFamily(
        "share_limit",
        index[["market", "product", "country", "bound"]],
        matched["_row"].to_numpy(np.int64),
        matched["_col"].to_numpy(np.int64),
        np.ones(len(matched)),
        index["share"].to_numpy(float) * demand_t,
        index["sense"].to_numpy(),
        report_scale=scale,
    )


# ---------------------------------------------------------------------------------
# Supply contracts
# ---------------------------------------------------------------------------------

#: The key columns of a contract row: the table's naming columns and which bound it is.
CONTRACT_KEYS = ["contract", "stage", "from", "to", "product", "bound"]


def contract_index(network: Inputs) -> pd.DataFrame:
    """One row per bound given, contract by contract (``min`` before ``max``): the
    CONTRACT_KEYS, ``limit_t`` (the bound), ``sense`` (``>=`` for min, ``<=`` for max) and
    ``table_row``, the position of its row in contracts."""
    contracts = network.contracts.reset_index(drop=True)
    parts = []
    for order, (bound, column, sense) in enumerate((("min", "min_t", ">="), ("max", "max_t", "<="))):
        given = contracts.loc[contracts[column].notna()]
        parts.append(
            given[["contract", "stage", "from", "to", "product"]].assign(
                bound=bound,
                limit_t=given[column].to_numpy(float),
                sense=sense,
                table_row=given.index.to_numpy(np.int64),
                _order=order,
            )
        )
    index = pd.concat(parts, ignore_index=True)
    index = index.iloc[np.lexsort((index["_order"].to_numpy(), index["table_row"].to_numpy()))]
    return index.drop(columns="_order").reset_index(drop=True)


def _contract_pairs(index: pd.DataFrame, x: Block, s: Block) -> tuple[np.ndarray, np.ndarray]:
    """(contract row position, LP column) pairs: stage ore rows match the ore route x[from,to],
    stage product rows the shipments s[from,to,p] of their product (blank: every product)."""
    rows = index[["stage", "from", "to", "product"]].assign(_row=np.arange(len(index)))
    ore = rows.loc[rows["stage"] == "ore"].merge(
        x.index.assign(_col=np.arange(x.start, x.stop)),
        left_on=["from", "to"],
        right_on=["origin", "refiner"],
        sort=False,
    )
    ships = rows.loc[rows["stage"] == "product"].merge(
        s.index.rename(columns={"product": "_product"}).assign(_col=np.arange(s.start, s.stop)),
        left_on=["from", "to"],
        right_on=["refiner", "market"],
        sort=False,
    )
    ships = ships.loc[(ships["product"] == "") | (ships["product"] == ships["_product"])]
    return (
        np.concatenate([ore["_row"].to_numpy(), ships["_row"].to_numpy()]).astype(np.int64),
        np.concatenate([ore["_col"].to_numpy(), ships["_col"].to_numpy()]).astype(np.int64),
    )


def contract_rows(network: Inputs, x: Block, s: Block) -> RowFamily:
    """contract[c,bound]:  min_t[c] <= sum of the flows contract c covers <= max_t[c]  (t per year).

    Stage ``ore``: the flow is x[from,to], ore from origin ``from`` to refiner ``to``
    (t REO per year). Stage ``product``: sum_p s[from,to,p], shipments from refiner
    ``from`` to market ``to`` of ``product`` (blank: every product the market demands)
    (t product per year). One row per bound given: ``min`` (>= min_t) and ``max``
    (<= max_t; ``inf`` = no limit). Shadow price (USD per t of contracted flow):
    >= 0 for a min (what one more tonne of obligation costs), <= 0 for a max (minus
    what one more tonne allowed would save).
    """
    index = contract_index(network)
    if index.empty:
        return _empty_family("contract", index[CONTRACT_KEYS], "<=")
    rows, cols = _contract_pairs(index, x, s)
    return RowFamily(
        "contract",
        index[CONTRACT_KEYS],
        rows,
        cols,
        np.ones(len(rows)),
        index["limit_t"].to_numpy(float),
        index["sense"].to_numpy(),
    )


def contract_coverage(network: Inputs, x: Block, s: Block) -> np.ndarray:
    """The positions of the rows of contracts that cover at least one LP column (one bound
    given is enough: a contract with no bound is reported by validation on its own)."""
    index = contract_index(network)
    if index.empty:
        return np.zeros(0, dtype=np.int64)
    rows, _ = _contract_pairs(index, x, s)
    return np.unique(index["table_row"].to_numpy(np.int64)[rows])


def policy_coverage(network: Inputs, x: Block, s: Block) -> dict[str, np.ndarray]:
    """Policy table -> for each of its rows, whether it covers at least one LP column.

    Decided by the builders the LP is assembled with (:func:`stage_pairs` for tariffs,
    :func:`ban_rows`, :func:`quota_rows`, :func:`share_limit_rows`, :func:`contract_rows`), so
    validation's rule "a policy row covers some flow" (model/checks.py) and the LP cannot disagree.
    """

    def covered(n: int, rows: np.ndarray) -> np.ndarray:
        hit = np.zeros(n, dtype=bool)
        hit[np.asarray(rows, dtype=np.int64)] = True
        return hit

    tariffs = network.tariffs.reset_index(drop=True)
    none = np.zeros(0, dtype=np.int64)
    limits = share_limit_rows(network, s)
    limit_rows = share_limit_index(network)["table_row"].to_numpy(np.int64)[np.unique(limits.rows)]
    return {
        "tariffs": covered(len(tariffs), stage_pairs(network, tariffs, x, s)[0] if len(tariffs) else none),
        "bans": covered(len(network.bans), ban_rows(network, x, s).rows),
        "quotas": covered(len(network.quotas), quota_rows(network, x, s).rows),
        "share_limits": covered(len(network.share_limits), limit_rows),
        "contracts": covered(len(network.contracts), contract_coverage(network, x, s)),
    }
