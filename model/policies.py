"""Trade policies as LP terms: tariffs (a cost term) and bans, quotas, share limits (rows).

Each policy table is optional (docs/formulation.md, "Policies"). Matching policy rows to
flows is done with pandas merges, never a Python loop over flows or rows:

- an ore flow x[o,r] goes from the origin's country to the refiner's country;
- a product flow s[r,m,p] goes from the refiner's country to the market's country;
- a policy country ``*`` matches any country (``to_country = *``: any country other
  than ``from_country``); a blank ``product`` matches every product.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import Block, RowFamily
from .network import Network
from .tables import ANY_COUNTRY


def ore_flows(network: Network, x_index: pd.DataFrame) -> pd.DataFrame:
    """The ore routes with ``from_country`` (origin's) and ``to_country`` (refiner's)."""
    origin_country = network.origins.set_index("origin")["country"]
    refiner_country = network.refiners.set_index("refiner")["country"]
    return pd.DataFrame(
        {
            "from_country": x_index["origin"].map(origin_country).to_numpy(),
            "to_country": x_index["refiner"].map(refiner_country).to_numpy(),
            "product": "",
        }
    )


def product_flows(network: Network, s_index: pd.DataFrame) -> pd.DataFrame:
    """The shipments with ``from_country`` (refiner's), ``to_country`` (market's) and product."""
    refiner_country = network.refiners.set_index("refiner")["country"]
    market_country = network.markets.set_index("market")["country"]
    return pd.DataFrame(
        {
            "from_country": s_index["refiner"].map(refiner_country).to_numpy(),
            "to_country": s_index["market"].map(market_country).to_numpy(),
            "product": s_index["product"].to_numpy(),
        }
    )


def match_flows(policy: pd.DataFrame, flows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (policy row position, flow position) where a policy row applies to a flow.

    ``policy`` has ``from_country``, ``to_country`` and ``product`` (blank = all); the
    flows have the same three columns. Wildcards are handled by merging each wildcard
    pattern separately on the columns that are not wildcards.
    """
    policy = policy.reset_index(drop=True).assign(_row=lambda f: np.arange(len(f)))
    flows = flows.reset_index(drop=True).assign(_flow=lambda f: np.arange(len(f)))
    pairs_row, pairs_flow = [], []
    any_from = policy["from_country"] == ANY_COUNTRY
    any_to = policy["to_country"] == ANY_COUNTRY
    any_product = policy["product"] == ""
    for wild_from in (False, True):
        for wild_to in (False, True):
            for wild_product in (False, True):
                group = policy.loc[(any_from == wild_from) & (any_to == wild_to) & (any_product == wild_product)]
                if group.empty:
                    continue
                on = [c for c, wild in (("from_country", wild_from), ("to_country", wild_to),
                                        ("product", wild_product)) if not wild]
                left = group[on + ["_row"]]
                if on:
                    matched = left.merge(flows, on=on, how="inner", sort=False)
                else:
                    matched = left.merge(flows, how="cross")
                if wild_to:  # "*" as destination: any country other than the origin's
                    matched = matched.loc[matched["to_country"] != matched["from_country"]]
                pairs_row.append(matched["_row"].to_numpy())
                pairs_flow.append(matched["_flow"].to_numpy())
    if not pairs_row:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(pairs_row).astype(np.int64), np.concatenate(pairs_flow).astype(np.int64)


def policy_rows_of_stage(table: pd.DataFrame, stage: str) -> pd.DataFrame:
    """The rows of a tariff or ban table that apply to ``stage`` (``ore`` or ``product``)."""
    return table.loc[table["stage"] == stage]


def explode_members(quotas: pd.DataFrame) -> pd.DataFrame:
    """One row per (quota position, member id); quotas without members are left out."""
    listed = quotas.reset_index(drop=True).assign(_row=lambda f: np.arange(len(f)))
    listed = listed.loc[listed["members"] != ""]
    members = listed.assign(member=listed["members"].str.split(";")).explode("member")
    members["member"] = members["member"].str.strip()
    return members.loc[members["member"] != "", ["_row", "member"]]


# ---------------------------------------------------------------------------------
# Cost term and constraint families
# ---------------------------------------------------------------------------------


def tariff_costs(network: Network, x: Block, s: Block) -> dict[str, np.ndarray]:
    """tariffs: + sum over matching tariff rows of usd_per_t, per t of each matching flow.

    Stage ``ore``: USD per t REO on x[o,r] from the origin's to the refiner's country.
    Stage ``product``: USD per t on s[r,m,p] from the refiner's to the market's country
    (``product`` blank = every product). Several matching rows add up. Reported as the
    ``tariffs`` line of the cost breakdown. Empty dict when the dataset has no tariffs.
    """
    tariffs = network.tariffs
    if tariffs.empty:
        return {}
    terms = {}
    for block, stage, flows in (("x", "ore", ore_flows(network, x.index)), ("s", "product",
                                                                              product_flows(network, s.index))):
        rows = policy_rows_of_stage(tariffs, stage)
        policy, flow = match_flows(rows, flows)
        usd = rows["usd_per_t"].to_numpy(float)
        terms[block] = np.bincount(flow, weights=usd[policy], minlength=len(flows)).astype(float)
    return terms


def ban_rows(network: Network, x: Block, s: Block) -> RowFamily:
    """ban[i]:  sum of the flows that ban row i matches <= 0     (t per year).

    One row per row of bans.csv (keys from_country, to_country, stage, product). Stage
    ``ore`` matches ore routes x[o,r] (t REO), stage ``product`` shipments s[r,m,p]
    (t product). Shadow price (<= 0): USD the first tonne allowed through would save.
    """
    bans = network.bans.reset_index(drop=True)
    rows, cols = [], []
    for block, stage, flows in (("x", "ore", ore_flows(network, x.index)), ("s", "product",
                                                                             product_flows(network, s.index))):
        of_stage = policy_rows_of_stage(bans, stage)
        policy, flow = match_flows(of_stage, flows)
        rows.append(of_stage.index.to_numpy()[policy])
        cols.append(flow + (x.start if block == "x" else s.start))
    rows_a, cols_a = np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)
    return RowFamily(
        "ban",
        bans[["from_country", "to_country", "stage", "product"]],
        rows_a,
        cols_a,
        np.ones(len(rows_a)),
        np.zeros(len(bans)),
        "<=",
    )


def quota_rows(network: Network, x: Block, s: Block) -> RowFamily:
    """quota[q]:  sum of the flows quota q covers <= limit_t[q]     (t per year).

    kind ``refining``: feed x[o,r] of refiners r in ``country`` (t REO);
    kind ``mining``: output x[o,r] of origins o in ``country`` (t REO);
    kind ``export``: shipments s[r,m,p] from refiners in ``country`` to markets in any
    other country, of ``product`` (blank: all products) (t product).
    ``members`` (ids separated by ";") narrows the refiners (refining, export) or
    origins (mining) to those listed. Shadow price (<= 0): USD saved per extra tonne of
    quota.
    """
    quotas = network.quotas.reset_index(drop=True)
    x_frame = x.index.assign(
        origin_country=x.index["origin"].map(network.origins.set_index("origin")["country"]).to_numpy(),
        refiner_country=x.index["refiner"].map(network.refiners.set_index("refiner")["country"]).to_numpy(),
        _col=np.arange(x.start, x.stop),
    )
    s_frame = product_flows(network, s.index).assign(refiner=s.index["refiner"].to_numpy(),
                                                     _col=np.arange(s.start, s.stop))
    numbered = quotas.assign(_row=np.arange(len(quotas)))
    members = explode_members(quotas)
    quota_country = quotas["country"].to_numpy()
    quota_product = quotas["product"].to_numpy()
    rows, cols = [], []
    for kind, frame, member_col, country_col in (
        ("refining", x_frame, "refiner", "refiner_country"),
        ("mining", x_frame, "origin", "origin_country"),
        ("export", s_frame, "refiner", "from_country"),
    ):
        of_kind = numbered.loc[numbered["kind"] == kind]
        by_country = of_kind.loc[of_kind["members"] == "", ["_row", "country"]].merge(
            frame, left_on="country", right_on=country_col, how="inner", sort=False
        )
        by_member = members.loc[members["_row"].isin(of_kind["_row"])].merge(
            frame, left_on="member", right_on=member_col, how="inner", sort=False
        )
        pairs = pd.concat([by_country, by_member], ignore_index=True)
        if kind == "export":  # to another country, of the quota's product (blank: all)
            row = pairs["_row"].to_numpy()
            product = quota_product[row]
            keep = (pairs["to_country"].to_numpy() != quota_country[row]) & (
                (product == "") | (product == pairs["product"].to_numpy())
            )
            pairs = pairs.loc[keep]
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


def share_limit_rows(network: Network, s: Block) -> RowFamily:
    """share_limit[m,p,c,bound]:  sum_{r in c} s[r,m,p] <= max_share * demand_t[m,p]
    (bound ``max``) or >= min_share * demand_t[m,p] (bound ``min``)     (t product per year).

    The share of market m's demand for p that is refined in country c. One row per
    max_share and per min_share given. Reported in percentage points: rhs, activity and
    slack as % of demand_t, and the shadow price as USD per percentage point of the
    limit (<= 0 for a max share: loosening by one point saves; >= 0 for a min share: one
    more point of de-risking costs).
    """
    limits = network.share_limits.reset_index(drop=True)
    parts = []
    for bound, column, sense in (("max", "max_share", "<="), ("min", "min_share", ">=")):
        given = limits.loc[limits[column].notna()]
        parts.append(given[["market", "product", "country"]].assign(bound=bound, share=given[column].to_numpy(),
                                                                    _sense=sense))
    index = pd.concat(parts, ignore_index=True)
    demand = network.demand.set_index(["market", "product"])["demand_t"]
    demand_t = demand.reindex(pd.MultiIndex.from_frame(index[["market", "product"]])).to_numpy(float)
    refiner_country = s.index["refiner"].map(network.refiners.set_index("refiner")["country"])
    ships = s.index.assign(country=refiner_country.to_numpy(), _col=np.arange(s.start, s.stop))
    matched = index.assign(_row=np.arange(len(index))).merge(
        ships, on=["market", "product", "country"], how="inner", sort=False
    )
    with np.errstate(divide="ignore"):
        scale = 100.0 / demand_t
    return RowFamily(
        "share_limit",
        index[["market", "product", "country", "bound"]],
        matched["_row"].to_numpy(np.int64),
        matched["_col"].to_numpy(np.int64),
        np.ones(len(matched)),
        index["share"].to_numpy(float) * demand_t,
        index["_sense"].to_numpy(),
        report_scale=scale,
    )
