"""Consistency rules of a dataset: one function per rule, all problems collected.

Each rule takes the typed tables (see :mod:`oreflow.model.reading`; each with its
``_line`` column) and returns the list of :class:`~oreflow.model.errors.Problem` it finds.
:func:`run_checks` runs them all; the caller raises one :class:`~oreflow.model.errors.InputError`.
Rules assume the columns exist (reading checks that first); cells that failed typing
are NaN and are not reported twice. A rule builds at most
:data:`~oreflow.model.errors.MAX_PROBLEMS` problems per kind and counts the others in the
last one's ``more``: a file of a million bad rows costs no million objects.

:func:`dataset_warnings` lists what is valid but probably not meant (an origin without
any ore route ...): :class:`~oreflow.model.errors.InputWarning`, never refused.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .arrays import Block
from .errors import InputWarning, Problem, cap_problems, first_positions, with_more
from .groups import explode_list
from .policies import PolicyTables, policy_coverage
from .tables import ANY_COUNTRY, BAD, LINE, POLICY_TABLES, SHARE_SUM_TOLERANCE, TABLES_BY_NAME, empty_table

Tables = dict[str, pd.DataFrame]
Labels = dict[str, str]  # table name -> file label used in problems


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _rows(label: str, frame: pd.DataFrame, mask: np.ndarray, column: str, expected: str, rule: str) -> list[Problem]:
    positions, more = first_positions(np.asarray(mask, dtype=bool))
    sub = frame.iloc[positions]
    problems = [
        Problem(label, int(line), column, "" if pd.isna(value) else str(value), expected, rule)
        for line, value in zip(sub[LINE].to_numpy(), sub[column].to_numpy())
    ]
    return with_more(problems, more)


def check_not_empty(tables: Tables, labels: Labels) -> list[Problem]:
    """Every required table has at least one data row."""
    return [
        Problem(labels[name], None, None, None, "at least one data row", "not_empty")
        for name, frame in tables.items()
        if frame is not None and len(frame) == 0 and not TABLES_BY_NAME[name].optional
    ]


def check_unique_keys(tables: Tables, labels: Labels) -> list[Problem]:
    """Ids are unique: one row per origin, refiner, market, route, (origin, product) ..."""
    problems: list[Problem] = []
    for name, frame in tables.items():
        if frame is None:
            continue
        key = list(TABLES_BY_NAME[name].key)
        dup = frame.duplicated(subset=key, keep="first").to_numpy()
        if not dup.any():
            continue
        first_line = frame.groupby(key, sort=False)[LINE].transform("min").to_numpy()
        positions, more = first_positions(dup)
        sub = frame.iloc[positions]
        found = []
        for line, first, values in zip(sub[LINE], first_line[positions], sub[key].itertuples(index=False)):
            shown = ", ".join(map(str, values))
            found.append(
                Problem(
                    labels[name],
                    int(line),
                    key[-1] if len(key) == 1 else "/".join(key),
                    shown,
                    f"a unique {'/'.join(key)} (already on line {int(first)})",
                    "unique_key",
                )
            )
        problems += with_more(found, more)
    return problems


# (table, column, referenced table, referenced column)
REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("composition", "origin", "origins", "origin"),
    ("recoveries", "refiner", "refiners", "refiner"),
    ("demand", "market", "markets", "market"),
    ("ore_routes", "origin", "origins", "origin"),
    ("ore_routes", "refiner", "refiners", "refiner"),
    ("product_routes", "refiner", "refiners", "refiner"),
    ("product_routes", "market", "markets", "market"),
    ("share_limits", "market", "markets", "market"),
)


def check_references(tables: Tables, labels: Labels) -> list[Problem]:
    """Every id used in a reference exists in the table that defines it."""
    problems: list[Problem] = []
    for name, column, target, target_column in REFERENCES:
        frame, defined = tables.get(name), tables.get(target)
        if frame is None or defined is None:
            continue
        known = defined[target_column]
        mask = ~frame[column].isin(known) & (frame[column] != "")
        problems += _rows(
            labels[name],
            frame,
            mask.to_numpy(),
            column,
            f"{_article(target_column)} {target_column} listed in {labels[target]}",
            "reference",
        )
    return problems


def check_product_references(tables: Tables, labels: Labels) -> list[Problem]:
    """Products named in demand, recoveries and the policy tables appear in composition (the
    product set); a policy's blank product means all of them."""
    composition = tables.get("composition")
    if composition is None:
        return []
    products = composition["product"]
    problems: list[Problem] = []
    for name in ("demand", "recoveries", "tariffs", "bans", "quotas", "share_limits", "contracts"):
        frame = tables.get(name)
        if frame is None:
            continue
        optional = next(c.optional for c in TABLES_BY_NAME[name].columns if c.name == "product")
        expected = f"a product listed in {labels['composition']}" + (", or blank for all" if optional else "")
        mask = ~frame["product"].isin(products) & (frame["product"] != "")
        problems += _rows(labels[name], frame, mask.to_numpy(), "product", expected, "reference")
    return problems


def check_shares_sum_to_one(tables: Tables, labels: Labels) -> list[Problem]:
    """Each origin's composition shares sum to 1 (within SHARE_SUM_TOLERANCE)."""
    origins, composition = tables.get("origins"), tables.get("composition")
    if origins is None or composition is None:
        return []
    if composition["share"].isna().any():
        return []  # a bad share is reported already; a sum would only repeat it
    sums = composition.groupby("origin", sort=False)["share"].sum()
    totals = origins["origin"].map(sums).fillna(0.0).to_numpy()
    positions, more = first_positions(np.abs(totals - 1.0) > SHARE_SUM_TOLERANCE)
    sub = origins.iloc[positions]
    problems = [
        Problem(
            labels["composition"],
            None,
            "share",
            f"{total:.6g} for origin {origin}",
            f"shares of each origin summing to 1 (±{SHARE_SUM_TOLERANCE:g}); origin {origin} is on "
            f"line {int(line)} of {labels['origins']}",
            "shares_sum",
        )
        for origin, line, total in zip(sub["origin"], sub[LINE], totals[positions])
    ]
    return with_more(problems, more)


def check_demand_is_producible(tables: Tables, labels: Labels) -> list[Problem]:
    """Demand is only for products that some origin contains (share > 0)."""
    demand, composition = tables.get("demand"), tables.get("composition")
    if demand is None or composition is None:
        return []
    # a share that failed typing (NaN) is reported already; count it as contained
    contained = composition.loc[(composition["share"] > 0) | composition["share"].isna(), "product"]
    listed = composition["product"]
    mask = demand["product"].isin(listed) & ~demand["product"].isin(contained) & (demand["demand_t"] > 0)
    return _rows(
        labels["demand"],
        demand,
        mask.to_numpy(),
        "product",
        "a product that at least one origin contains (share > 0 in composition)",
        "demand_producible",
    )


# ---- policy tables ----------------------------------------------------------------------


def _countries(tables: Tables, *names: str) -> pd.Series:
    found = [tables[n]["country"] for n in names if tables.get(n) is not None]
    return pd.concat(found, ignore_index=True) if found else pd.Series(dtype=object)


def _group_problems(
    label: str,
    frame: pd.DataFrame,
    column: str,
    known: pd.Series,
    expected: str,
    allow_any: bool = False,
    only: np.ndarray | None = None,
) -> list[Problem]:
    """Problems for every country of a ``;`` group in ``column`` that is not in ``known``."""
    rows = frame if only is None else frame.loc[only]
    values = rows[column]
    if allow_any:
        values = values.where(values != ANY_COUNTRY, "")
    items = explode_list(values, "country")
    positions, more = first_positions(~items["country"].isin(known).to_numpy())
    bad = items.iloc[positions]
    lines = rows[LINE].to_numpy()
    problems = [
        Problem(label, int(lines[r]), column, country, expected, "reference")
        for r, country in zip(bad["_row"], bad["country"])
    ]
    return with_more(problems, more)


def check_policy_countries(tables: Tables, labels: Labels) -> list[Problem]:
    """Policy countries (each country of a ``;`` group) exist in the dataset.

    tariffs/bans: from_country and to_country are countries of origins, refiners or
    markets, or ``*``; quotas: refiner countries (kinds refining, export) or origin
    countries (kind mining); share_limits: refiner countries.
    """
    everywhere = _countries(tables, "origins", "refiners", "markets")
    refiner_countries = _countries(tables, "refiners")
    origin_countries = _countries(tables, "origins")
    problems: list[Problem] = []
    for name in ("tariffs", "bans"):
        frame = tables.get(name)
        if frame is None:
            continue
        for column in ("from_country", "to_country"):
            problems += _group_problems(
                labels[name],
                frame,
                column,
                everywhere,
                "a country of an origin, refiner or market (or a ; group of them, or *)",
                allow_any=True,
            )
    quotas = tables.get("quotas")
    if quotas is not None:
        mining = (quotas["kind"] == "mining").to_numpy()
        problems += _group_problems(
            labels["quotas"], quotas, "country", origin_countries, "a country with origins (kind mining)", only=mining
        )
        other = quotas["kind"].isin(("refining", "export")).to_numpy()
        problems += _group_problems(
            labels["quotas"],
            quotas,
            "country",
            refiner_countries,
            "a country with refiners (kinds refining, export)",
            only=other,
        )
    limits = tables.get("share_limits")
    if limits is not None:
        problems += _group_problems(
            labels["share_limits"],
            limits,
            "country",
            refiner_countries,
            "a country with refiners (or a ; group of them)",
        )
    return problems


def check_policy_products(tables: Tables, labels: Labels) -> list[Problem]:
    """Only product-stage tariffs and bans and export quotas name a product (an unknown
    product is reported by check_product_references)."""
    composition = tables.get("composition")
    if composition is None:
        return []
    products = composition["product"]
    problems: list[Problem] = []
    for name in ("tariffs", "bans", "quotas"):
        frame = tables.get(name)
        if frame is None:
            continue
        unknown = ~frame["product"].isin(products) & (frame["product"] != "")
        if "stage" in frame:
            on_ore = (frame["stage"] == "ore") & (frame["product"] != "") & ~unknown
            problems += _rows(
                labels[name],
                frame,
                on_ore.to_numpy(),
                "product",
                "a blank product for stage ore (ore carries every product)",
                "policy_product",
            )
        if "kind" in frame:
            not_export = (frame["kind"].isin(("refining", "mining"))) & (frame["product"] != "") & ~unknown
            problems += _rows(
                labels[name],
                frame,
                not_export.to_numpy(),
                "product",
                "a blank product for quota kinds refining and mining (they cap t REO)",
                "policy_product",
            )
    return problems


def check_quota_members(tables: Tables, labels: Labels) -> list[Problem]:
    """Quota members are refiners (refining, export) or origins (mining) of the quota's country group."""
    quotas = tables.get("quotas")
    if quotas is None or quotas.empty:
        return []
    members = explode_list(quotas["members"], "member")
    if members.empty:
        return []
    mining = (quotas["kind"] == "mining").to_numpy()[members["_row"]]
    owners = {}
    for name, key in (("refiners", "refiner"), ("origins", "origin")):
        frame = tables.get(name)
        # a repeated id is reported by check_unique_keys; its first row stands for it here
        owners[name] = (
            frame.drop_duplicates(key).set_index(key)["country"] if frame is not None else pd.Series(dtype=object)
        )
    country = np.where(mining, members["member"].map(owners["origins"]), members["member"].map(owners["refiners"]))
    groups = explode_list(quotas["country"], "country")
    inside = pd.MultiIndex.from_arrays([members["_row"], country]).isin(pd.MultiIndex.from_frame(groups))
    positions, more = first_positions(~inside)
    bad = members.iloc[positions]
    lines, group_of = quotas[LINE].to_numpy(), quotas["country"].to_numpy()
    problems = [
        Problem(
            labels["quotas"],
            int(lines[r]),
            "members",
            member,
            f"a{'n origin' if mining_row else ' refiner'} id of {group_of[r]} listed in "
            f"{labels.get('origins' if mining_row else 'refiners')}",
            "quota_members",
        )
        for r, member, mining_row in zip(bad["_row"], bad["member"], mining[positions])
    ]
    return with_more(problems, more)


def check_share_limits(tables: Tables, labels: Labels) -> list[Problem]:
    """Each share limit has a max or min share (min <= max) on a demand row with demand_t > 0."""
    limits = tables.get("share_limits")
    if limits is None or limits.empty:
        return []
    label = labels["share_limits"]
    unbounded = limits["max_share"].isna() & limits["min_share"].isna() & ~limits[BAD]
    problems = _rows(
        label, limits, unbounded.to_numpy(), "max_share", "a max_share or a min_share (fraction 0-1)", "share_limit"
    )
    crossed = (limits["min_share"] > limits["max_share"]).to_numpy()
    problems += _rows(label, limits, crossed, "min_share", "min_share <= max_share", "share_limit")
    demand = tables.get("demand")
    if demand is not None:
        positive = demand.loc[demand["demand_t"] > 0, ["market", "product"]]
        keys = pd.MultiIndex.from_frame(limits[["market", "product"]])
        known = limits["market"].isin(demand["market"]).to_numpy()
        missing = ~keys.isin(pd.MultiIndex.from_frame(positive)) & known
        problems += _rows(
            label,
            limits,
            missing,
            "market",
            f"a market and product with demand_t > 0 in {labels['demand']} (the share is of demand)",
            "share_limit",
        )
    return problems


def check_demand_curves(tables: Tables, labels: Labels) -> list[Problem]:
    """A demand row's elasticity needs its reference price (the curve passes through
    (demand_t, reference price)), and a row with a curve needs demand_t > 0."""
    demand = tables.get("demand")
    if demand is None or demand.empty or "elasticity" not in demand:
        return []
    label = labels["demand"]
    price = demand["reference_price_usd_per_t"] if "reference_price_usd_per_t" in demand else np.nan
    elastic = demand["elasticity"].notna()
    problems = _rows(
        label,
        demand,
        (elastic & pd.Series(price, index=demand.index).isna() & ~demand[BAD]).to_numpy(),
        "reference_price_usd_per_t",
        "a reference price (USD/t) where an elasticity is given: the demand curve passes through "
        "(demand_t, reference_price_usd_per_t)",
        "demand_curve",
    )
    problems += _rows(
        label,
        demand,
        (elastic & (demand["demand_t"] == 0)).to_numpy(),
        "demand_t",
        "a reference demand > 0 on a row with a demand curve",
        "demand_curve",
    )
    steep = (demand["elasticity"] < ELASTICITY_RANGE[0]) | (demand["elasticity"] > ELASTICITY_RANGE[1])
    problems += _rows(
        label,
        demand,
        (steep & ~demand[BAD]).to_numpy(),
        "elasticity",
        f"an elasticity from {ELASTICITY_RANGE[0]:g} to {ELASTICITY_RANGE[1]:g} (beyond, the curve's steps "
        "reach quantities far outside any market and its prices lose their accuracy)",
        "demand_curve",
    )
    return problems


#: The elasticities a demand curve may have: commodity demand is rarely beyond -3 in the short run.
ELASTICITY_RANGE = (-10.0, -0.01)


def check_min_shares_can_be_served(tables: Tables, labels: Labels) -> list[Problem]:
    """A min share needs a product route from a refiner of its country group to its market,
    and the min shares of one market and product add up to at most 100 %."""
    limits, routes, refiners = tables.get("share_limits"), tables.get("product_routes"), tables.get("refiners")
    if limits is None or limits.empty or routes is None or refiners is None:
        return []
    label = labels["share_limits"]
    with_min = limits["min_share"].notna().to_numpy() & (limits["min_share"] > 0).to_numpy()
    country = refiners.drop_duplicates("refiner").set_index("refiner")["country"]  # repeats: check_unique_keys
    served = routes.assign(country=routes["refiner"].map(country))
    groups = explode_list(limits["country"], "country").assign(market=lambda f: limits["market"].to_numpy()[f["_row"]])
    reachable = groups.merge(served[["market", "country"]], on=["market", "country"])["_row"].unique()
    unserved = with_min & ~np.isin(np.arange(len(limits)), reachable)
    problems = _rows(
        label,
        limits,
        unserved,
        "min_share",
        "a product route (product_routes.csv) from a refiner in the country group to the market",
        "share_limit",
    )
    total = limits.groupby(["market", "product"], sort=False)["min_share"].transform("sum").to_numpy()
    over = with_min & (total > 1 + 1e-9)
    problems += _rows(
        label, limits, over, "min_share", "min shares of one market and product adding up to at most 1", "share_limit"
    )
    return problems


# ---- contracts -----------------------------------------------------------------------------

#: Per stage of a contract: the table and id column defining its ``from``, those defining its
#: ``to``, and the table of routes (from, to) it must name.
CONTRACT_ENDS: dict[str, tuple[str, str, str, str, str]] = {
    "ore": ("origins", "origin", "refiners", "refiner", "ore_routes"),
    "product": ("refiners", "refiner", "markets", "market", "product_routes"),
}


def _contract_end_known(tables: Tables, contracts: pd.DataFrame, stage: str, column: str) -> np.ndarray:
    """Per contract: it is of ``stage`` and its ``column`` (from, to) names an id of the table
    that defines it (False where that table is absent: reported as missing already)."""
    from_table, from_key, to_table, to_key, _ = CONTRACT_ENDS[stage]
    table, key = (from_table, from_key) if column == "from" else (to_table, to_key)
    defined = tables.get(table)
    on_stage = (contracts["stage"] == stage).to_numpy()
    if defined is None:
        return np.zeros(len(contracts), dtype=bool)
    return on_stage & contracts[column].isin(defined[key]).to_numpy()


def check_contract_ends(tables: Tables, labels: Labels) -> list[Problem]:
    """A contract's ``from`` and ``to`` are ids of the dataset: an origin and a refiner for
    stage ore, a refiner and a market for stage product."""
    contracts = tables.get("contracts")
    if contracts is None or contracts.empty:
        return []
    problems: list[Problem] = []
    for stage, (from_table, from_key, to_table, to_key, _) in CONTRACT_ENDS.items():
        on_stage = (contracts["stage"] == stage).to_numpy()
        for column, table, key in (("from", from_table, from_key), ("to", to_table, to_key)):
            if tables.get(table) is None:
                continue
            given = (contracts[column] != "").to_numpy()
            unknown = on_stage & given & ~_contract_end_known(tables, contracts, stage, column)
            expected = f"{_article(key)} {key} listed in {labels[table]} (stage {stage})"
            problems += _rows(labels["contracts"], contracts, unknown, column, expected, "reference")
    return problems


def check_contract_routes(tables: Tables, labels: Labels) -> list[Problem]:
    """A contract's route exists: (from, to) is a row of ore_routes for stage ore, of
    product_routes for stage product. Unknown ends are reported by check_contract_ends."""
    contracts = tables.get("contracts")
    if contracts is None or contracts.empty:
        return []
    label = labels["contracts"]
    problems: list[Problem] = []
    for stage, (_, from_key, _, to_key, routes_name) in CONTRACT_ENDS.items():
        routes = tables.get(routes_name)
        if routes is None:
            continue
        known = _contract_end_known(tables, contracts, stage, "from")
        known &= _contract_end_known(tables, contracts, stage, "to")
        listed = pd.MultiIndex.from_frame(routes[[from_key, to_key]])
        missing = known & ~pd.MultiIndex.from_frame(contracts[["from", "to"]]).isin(listed)
        positions, more = first_positions(missing)
        sub = contracts.iloc[positions]
        found = [
            Problem(
                label,
                int(line),
                "from/to",
                f"{source}, {target}",
                f"{_article(stage)} {stage} route listed in {labels[routes_name]} (stage {stage})",
                "contract_route",
            )
            for line, source, target in zip(sub[LINE], sub["from"], sub["to"])
        ]
        problems += with_more(found, more)
    return problems


def check_contract_products(tables: Tables, labels: Labels) -> list[Problem]:
    """A contract names a product only for stage product (ore carries every product), and
    then one its market demands: a shipment of a product the market does not demand is not
    modelled (docs/formulation.md). An unknown product is reported by check_product_references."""
    contracts, composition = tables.get("contracts"), tables.get("composition")
    if contracts is None or contracts.empty or composition is None:
        return []
    label = labels["contracts"]
    named = (contracts["product"] != "").to_numpy() & contracts["product"].isin(composition["product"]).to_numpy()
    on_ore = named & (contracts["stage"] == "ore").to_numpy()
    problems = _rows(
        label, contracts, on_ore, "product", "a blank product for stage ore (ore carries every product)", "contract"
    )
    demand = tables.get("demand")
    if demand is not None:
        to_market = _contract_end_known(tables, contracts, "product", "to")
        demanded = pd.MultiIndex.from_frame(contracts[["to", "product"]]).isin(
            pd.MultiIndex.from_frame(demand[["market", "product"]])
        )
        problems += _rows(
            label,
            contracts,
            named & to_market & ~demanded,
            "product",
            f"a product the market `to` demands (a row of {labels['demand']}), or blank for all it demands",
            "contract",
        )
    return problems


def check_contract_bounds(tables: Tables, labels: Labels) -> list[Problem]:
    """Each contract has a min_t or a max_t (t per year), and min_t <= max_t."""
    contracts = tables.get("contracts")
    if contracts is None or contracts.empty:
        return []
    label = labels["contracts"]
    neither = (contracts["min_t"].isna() & contracts["max_t"].isna() & ~contracts[BAD]).to_numpy()
    problems = _rows(label, contracts, neither, "min_t", "a min_t or a max_t (t per year)", "contract")
    crossed = (contracts["min_t"] > contracts["max_t"]).to_numpy()
    problems += _rows(label, contracts, crossed, "min_t", "min_t <= max_t", "contract")
    return problems


# ---- policies cover flows -------------------------------------------------------------


def _table(tables: Tables, name: str) -> pd.DataFrame:
    """A table, or an empty one with its spec's columns when the (optional) file is absent."""
    frame = tables.get(name)
    if frame is not None:
        return frame
    return empty_table(name).assign(**{LINE: pd.Series(dtype=np.int64), BAD: pd.Series(dtype=bool)})


def _flows(tables: Tables) -> tuple[PolicyTables, Block, Block] | None:
    """The policy builders' inputs and the LP's columns ``x`` (ore routes) and ``s`` (each
    product route times each product its market demands, as model/core.py builds them), or
    None while the ids they join on are not right yet (reported by the rules above)."""
    needed = ("origins", "refiners", "markets", "demand", "ore_routes", "product_routes")
    if any(tables.get(name) is None for name in needed):
        return None
    origins, refiners, markets = tables["origins"], tables["refiners"], tables["markets"]
    demand, ore, product = tables["demand"], tables["ore_routes"], tables["product_routes"]
    ids_ok = all(
        frame[key].is_unique and not (frame["country"] == "").any()
        for frame, key in ((origins, "origin"), (refiners, "refiner"), (markets, "market"))
    )
    resolved = (
        ore["origin"].isin(origins["origin"]).all()
        and ore["refiner"].isin(refiners["refiner"]).all()
        and product["refiner"].isin(refiners["refiner"]).all()
        and product["market"].isin(markets["market"]).all()
    )
    if not (ids_ok and resolved) or demand.duplicated(subset=["market", "product"]).any():
        return None
    inputs = PolicyTables(
        origins=origins,
        refiners=refiners,
        markets=markets,
        demand=demand,
        **{spec.name: _table(tables, spec.name).reset_index(drop=True) for spec in POLICY_TABLES},
    )
    x = Block("x", 0, ore[["origin", "refiner"]].reset_index(drop=True))
    ships = product[["refiner", "market"]].merge(demand[["market", "product"]], on="market", how="inner", sort=False)
    s = Block("s", len(x.index), ships[["refiner", "market", "product"]].reset_index(drop=True))
    return inputs, x, s


def check_policies_cover_flows(tables: Tables, labels: Labels) -> list[Problem]:
    """Every policy row (tariffs, bans, quotas, share_limits, contracts) covers at least one flow of
    the dataset: one that covers none changes nothing, and is almost always a typo or the
    wrong stage. Decided by the builders the LP is assembled with
    (:func:`~oreflow.model.policies.policy_coverage`), so validation and the LP agree.
    Rows with a cell already reported are left out."""
    present = [spec.name for spec in POLICY_TABLES if tables.get(spec.name) is not None and len(tables[spec.name])]
    if not present:
        return []
    flows = _flows(tables)
    if flows is None:
        return []
    coverage = policy_coverage(*flows)
    problems: list[Problem] = []
    for name in present:
        frame = tables[name].reset_index(drop=True)
        keys = list(TABLES_BY_NAME[name].key)
        positions, more = first_positions(~coverage[name] & ~frame[BAD].to_numpy(dtype=bool))
        found = [
            Problem(
                labels[name],
                int(frame.at[i, LINE]),
                None,
                ", ".join(f"{k}={frame.at[i, k]}" for k in keys if frame.at[i, k] != ""),
                "a policy row that covers at least one route of the dataset (this one covers none)",
                "policy_unused",
            )
            for i in positions
        ]
        problems += with_more(found, more)
    return problems


#: The rules, in the order they run.
RULES: tuple[Callable[[Tables, Labels], list[Problem]], ...] = (
    check_not_empty,
    check_unique_keys,
    check_references,
    check_product_references,
    check_shares_sum_to_one,
    check_demand_is_producible,
    check_policy_countries,
    check_policy_products,
    check_quota_members,
    check_share_limits,
    check_demand_curves,
    check_min_shares_can_be_served,
    check_contract_ends,
    check_contract_routes,
    check_contract_products,
    check_contract_bounds,
)

#: Rules about a row as a whole, run after RULES: a row they find that RULES reported
#: already (e.g. a tariff whose country is unknown, so it covers nothing) is not reported again.
FOLLOW_UP_RULES: tuple[Callable[[Tables, Labels], list[Problem]], ...] = (check_policies_cover_flows,)

_POLICIES = ("tariffs", "bans", "quotas", "share_limits")
_NODES = ("origins", "refiners", "markets")

#: The tables each rule reads (None: every table, one by one). A rule's verdict is a function of
#: these alone, so after a change to other tables of a valid dataset it need not run again
#: (:meth:`oreflow.model.network.Network.revalidated`). tests/test_validation_more.py records
#: what each rule reads and holds it to this.
RULE_READS: dict[Callable[[Tables, Labels], list[Problem]], frozenset[str] | None] = {
    check_not_empty: None,
    check_unique_keys: None,
    check_references: frozenset(
        {"composition", "demand", "markets", "ore_routes", "origins", "product_routes", "recoveries", "refiners"}
        | {"share_limits"}
    ),
    check_product_references: frozenset({"composition", "demand", "recoveries", "contracts", *_POLICIES}),
    check_shares_sum_to_one: frozenset({"composition", "origins"}),
    check_demand_is_producible: frozenset({"composition", "demand"}),
    check_policy_countries: frozenset({*_NODES, *_POLICIES}),
    check_policy_products: frozenset({"bans", "composition", "quotas", "tariffs"}),
    check_quota_members: frozenset({"quotas", "origins", "refiners"}),
    check_share_limits: frozenset({"demand", "share_limits"}),
    check_demand_curves: frozenset({"demand"}),
    check_min_shares_can_be_served: frozenset({"product_routes", "refiners", "share_limits"}),
    check_contract_ends: frozenset({"contracts", *_NODES}),
    check_contract_routes: frozenset({"contracts", "ore_routes", "product_routes", *_NODES}),
    check_contract_products: frozenset({"composition", "contracts", "demand", "markets"}),
    check_contract_bounds: frozenset({"contracts"}),
    check_policies_cover_flows: frozenset({"demand", "ore_routes", "product_routes", "contracts", *_NODES, *_POLICIES}),
}


def run_checks(tables: Tables, labels: Labels, changed: frozenset[str] | None = None) -> list[Problem]:
    """Run every rule and return the problems found: at most MAX_PROBLEMS built per rule,
    the others counted in the ``more`` of the last one kept. With ``changed`` (the tables
    that differ from a dataset that passed every rule), only the rules reading one of them."""

    def due(rule: Callable[[Tables, Labels], list[Problem]]) -> bool:
        reads = RULE_READS[rule]
        return changed is None or reads is None or not reads.isdisjoint(changed)

    problems: list[Problem] = []
    for rule in RULES:
        if due(rule):
            problems += rule(tables, labels)
    reported = {(p.file, p.line) for p in problems}
    for rule in FOLLOW_UP_RULES:
        if due(rule):
            problems += [p for p in rule(tables, labels) if (p.file, p.line) not in reported]
    return cap_problems(problems)


# ---- warnings ----------------------------------------------------------------------------


def _unlinked(
    tables: Tables, labels: Labels, name: str, key: str, routes: str, end: str, what: str
) -> list[InputWarning]:
    """A warning per row of ``name`` whose id is not at the ``end`` of any row of ``routes``."""
    frame, linked = tables.get(name), tables.get(routes)
    if frame is None or linked is None:
        return []
    positions, more = first_positions(~frame[key].isin(linked[end]).to_numpy())
    sub = frame.iloc[positions]
    found = [
        InputWarning(labels[name], int(line), f"{key} {ident!r} {what}", "isolated")
        for ident, line in zip(sub[key], sub[LINE])
    ]
    if more:
        found.append(InputWarning(labels[name], None, f"... and {more:,} more {key}s like that", "isolated"))
    return found


#: The tables :func:`dataset_warnings` reads.
WARNING_READS = frozenset({"ore_routes", "product_routes", *_NODES})


def dataset_warnings(tables: Tables, labels: Labels) -> list[InputWarning]:
    """What is valid but probably not meant: an origin without any ore route, a refiner
    without an ore route in or a product route out, a market without a product route in
    (they take no part in the allocation; a market's demand can then only go unmet)."""
    ore, product = labels.get("ore_routes", "ore_routes.csv"), labels.get("product_routes", "product_routes.csv")
    return [
        *_unlinked(
            tables,
            labels,
            "origins",
            "origin",
            "ore_routes",
            "origin",
            f"has no ore route ({ore}): its ore cannot be used",
        ),
        *_unlinked(
            tables,
            labels,
            "refiners",
            "refiner",
            "ore_routes",
            "refiner",
            f"has no ore route in ({ore}): it cannot be fed",
        ),
        *_unlinked(
            tables,
            labels,
            "refiners",
            "refiner",
            "product_routes",
            "refiner",
            f"has no product route out ({product}): its output cannot reach a market",
        ),
        *_unlinked(
            tables,
            labels,
            "markets",
            "market",
            "product_routes",
            "market",
            f"has no product route in ({product}): nothing can reach it, so any demand there goes unmet",
        ),
    ]
