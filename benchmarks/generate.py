"""Seeded generator of realistic, feasible benchmark datasets for oreflow.

A generated dataset is an ordinary dataset folder: the CSV files of the data contract
(``model/tables.py``), nothing else, loadable with ``oreflow.load_inputs``::

    python benchmarks/generate.py --variables 100000 --seed 1 --out /tmp/bench/v1e5

Shape of an instance (all counts derived from the requested number of variables):

- 15 products (the separated oxides La ... Lu and Y);
- many origins (mines), each of one deposit type (bastnaesite, monazite, light or heavy
  ion-adsorption clay) with a composition over all 15 products, a few dominant ones,
  every share > 0 and the shares summing to 1;
- hundreds of refiners at the larger sizes, with capacities, recoveries 0.6-0.95 and
  processing costs 3,000-9,000 USD/t (efficient plants recover more and cost less);
  some refiners override the recovery of the heavy products (``recoveries.csv``);
- dozens of markets, each demanding most products;
- sparse routes biased towards nearby pairs: each origin ships to a subset of
  refiners (ore freight 20-300 USD/t by distance), each refiner to a subset of markets
  (product freight 200-500 USD/t by distance); mining costs 2,000-12,000 USD/t.

Variables: ``n_ore_routes + sum over product routes of the products demanded in the
route's market + n_demand`` (``count_variables``).

Feasibility by construction. Total ore supply is 1.3-1.6x total refining capacity. A
*reference plan* runs the market's merit order: ore routes are taken in order of margin
per tonne (value of the recovered products at indicative oxide prices, minus mining,
freight and processing), each as full as supply and capacity allow, so refiners end up
full wherever their routes reach ore. Each refiner's output is split over its markets
(by market size). Each demand is a fraction of what the plan delivers of that product
to that market: 0.82-0.85 for the magnet metals Nd, Pr, Dy, Tb, less for La/Ce and the
minor products (``DEMAND_WEIGHT``: the rare-earth balance problem, co-products in
surplus); never above 0.85 (``MAX_DEMAND_FRACTION``). The plan respects every supply and
capacity and delivers more than every demand, so unmet demand is 0 at the optimum.

Tightness: capacity is about 1.2x the feed the reference plan needs for the demand
(1 / 0.835). The optimum is smarter than the merit order (richer ore for the binding
products, better recoveries), so measured total capacity / optimal feed is ~1.3-1.5;
the cheap, efficient refiners bind (most refiners at the larger sizes) and the costly
ones idle. ``feasibility_report`` re-checks demand per product against supply and
capacity bounds; benchmarks/run.py verifies unmet demand and reports binding capacities.
The generator needs no solver: the same (variables, seed) gives the same CSV files.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

PRODUCTS = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y"]
HEAVY = ["Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y"]

#: Typical REO distribution (%) of each deposit type over PRODUCTS.
PROFILES = {
    "bastnaesite": [30.0, 49.0, 4.5, 14.0, 1.0, 0.15, 0.4, 0.02, 0.06, 0.01, 0.02, 0.004, 0.01, 0.002, 0.3],
    "monazite": [22.0, 46.0, 5.0, 18.0, 3.0, 0.1, 1.8, 0.3, 0.9, 0.1, 0.2, 0.02, 0.1, 0.01, 2.0],
    "ionic_light": [38.0, 3.5, 7.4, 30.0, 5.0, 0.5, 4.3, 0.6, 3.5, 0.6, 1.6, 0.3, 1.5, 0.2, 8.0],
    "ionic_heavy": [2.0, 0.7, 1.1, 3.5, 2.3, 0.1, 5.7, 1.1, 7.5, 1.6, 4.3, 0.6, 3.3, 0.5, 65.0],
}
TYPE_PROBABILITY = {"bastnaesite": 0.45, "monazite": 0.30, "ionic_light": 0.13, "ionic_heavy": 0.12}
#: Mining cost range (USD/t REO) of each deposit type; all within 2,000-12,000.
MINING_COST = {
    "bastnaesite": (2000.0, 6000.0),
    "monazite": (3000.0, 8000.0),
    "ionic_light": (6000.0, 11000.0),
    "ionic_heavy": (7000.0, 12000.0),
}
#: Production target of the reference plan relative to the merit-order plan's output,
#: per product: 1 for the magnet metals, less for La/Ce and the minor products (the
#: rare-earth balance problem: ores carry more of them than the market takes).
DEMAND_WEIGHT = {
    "La": 0.60, "Ce": 0.55, "Pr": 1.0, "Nd": 1.0, "Sm": 0.75, "Eu": 0.70, "Gd": 0.75, "Tb": 1.0,
    "Dy": 1.0, "Ho": 0.65, "Er": 0.75, "Tm": 0.60, "Yb": 0.60, "Lu": 0.65, "Y": 0.80,
}  # fmt: skip
#: Each demand is this fraction (drawn per demand) of the plan's target delivered there.
MIN_DEMAND_FRACTION, MAX_DEMAND_FRACTION = 0.82, 0.85
#: Indicative oxide prices (USD/t) that rank ores in the reference plan's merit order.
PRICE_USD_PER_T = {
    "La": 1e3, "Ce": 1e3, "Pr": 6e4, "Nd": 6e4, "Sm": 2e3, "Eu": 3e4, "Gd": 2.5e4, "Tb": 1e6,
    "Dy": 2.5e5, "Ho": 6e4, "Er": 4e4, "Tm": 1e4, "Yb": 1.5e4, "Lu": 7e5, "Y": 8e3,
}  # fmt: skip
ALWAYS_DEMANDED = ["La", "Ce", "Pr", "Nd", "Tb", "Dy"]
OTHER_DEMAND_PROBABILITY = 0.75

# Approximate (lon, lat) of the countries used, and who hosts what (weights).
COUNTRIES = {
    "CN": (110, 33), "US": (-100, 40), "AU": (134, -25), "MM": (96, 22), "BR": (-50, -12),
    "IN": (79, 22), "RU": (60, 56), "VN": (106, 16), "MG": (47, -19), "ZA": (25, -29),
    "TZ": (35, -6), "CA": (-100, 56), "GL": (-45, 66), "LA": (103, 19), "MY": (102, 4),
    "TH": (101, 15), "KZ": (67, 48), "NA": (17, -22), "MW": (34, -13), "SE": (15, 62),
    "EE": (25, 59), "FR": (2, 46), "JP": (138, 36), "KR": (128, 36), "DE": (10, 51),
    "GB": (-2, 53), "IT": (12, 43), "ES": (-4, 40), "PL": (19, 52), "CZ": (15, 50),
    "NL": (5, 52), "TR": (35, 39), "ID": (113, -1), "TW": (121, 24), "MX": (-102, 23),
    "SG": (104, 1), "AE": (54, 24), "SA": (45, 24),
}  # fmt: skip
ORIGIN_COUNTRIES = {
    "CN": 10, "US": 3, "AU": 5, "MM": 4, "BR": 3, "IN": 3, "RU": 2, "VN": 2, "MG": 1, "ZA": 1,
    "TZ": 1, "CA": 2, "GL": 1, "LA": 1, "MY": 1, "TH": 1, "KZ": 1, "NA": 1, "MW": 1, "SE": 1,
}  # fmt: skip
REFINER_COUNTRIES = {
    "CN": 14, "MY": 2, "US": 3, "EE": 1, "FR": 1, "JP": 2, "IN": 2, "RU": 1, "VN": 2, "KR": 1,
    "GB": 1, "DE": 1, "CA": 1, "AU": 2, "BR": 1, "TH": 1, "KZ": 1,
}  # fmt: skip
MARKET_COUNTRIES = {
    "CN": 8, "JP": 4, "KR": 3, "US": 5, "DE": 3, "FR": 2, "IT": 2, "GB": 2, "IN": 2, "VN": 2,
    "TH": 1, "MY": 1, "MX": 1, "BR": 1, "CA": 1, "PL": 1, "CZ": 1, "ES": 1, "SE": 1, "NL": 1,
    "TR": 1, "ID": 1, "TW": 2, "SG": 1, "AE": 1, "SA": 1, "AU": 1, "ZA": 1,
}  # fmt: skip

EARTH_RADIUS_KM = 6371.0
FAR_KM = 20000.0  # about half the circumference: the longest route


# ---------------------------------------------------------------------------------
# Sizing
# ---------------------------------------------------------------------------------


def plan_counts(variables: int) -> dict[str, int]:
    """Entity and route counts for about ``variables`` LP columns.

    Markets and refiners grow with the square root of the size (dozens and hundreds at
    1e5), origins and routes linearly; ~35 % of the columns (after the demand columns)
    are ore routes, ~65 % shipments.
    """
    v = max(int(variables), 300)
    root = math.sqrt(v)
    n_markets = int(np.clip(round(root / 8), 3, 60))
    n_refiners = int(np.clip(round(0.9 * root), 4, 600))
    demanded = len(ALWAYS_DEMANDED) + OTHER_DEMAND_PROBABILITY * (len(PRODUCTS) - len(ALWAYS_DEMANDED))
    rest = v - n_markets * demanded
    ore_degree = int(np.clip(round(0.15 * n_refiners), 2, 80))  # refiners per origin, on average
    n_ore_routes = max(int(round(0.35 * rest)), 2 * n_refiners)
    n_origins = max(int(round(n_ore_routes / ore_degree)), 3)
    n_ore_routes = min(n_ore_routes, n_origins * n_refiners)
    n_product_routes = int(
        np.clip(round(0.65 * rest / demanded), max(n_refiners, 3 * n_markets), n_refiners * n_markets)
    )
    return {
        "origins": n_origins,
        "refiners": n_refiners,
        "markets": n_markets,
        "ore_routes": n_ore_routes,
        "product_routes": n_product_routes,
    }


# ---------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------


def _places(
    rng: np.random.Generator, weights: dict[str, int], n: int, spread_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Country of each of ``n`` entities (by weight) and their (lon, lat) in degrees."""
    names = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    country = rng.choice(names, size=n, p=p / p.sum())
    centre = np.array([COUNTRIES[c] for c in country], dtype=float).reshape(n, 2)
    lonlat = centre + rng.normal(0.0, spread_deg, size=(n, 2))
    lonlat[:, 1] = np.clip(lonlat[:, 1], -80, 80)
    return country, lonlat


def _distance_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distances (km) between every point of ``a`` (rows) and ``b`` (columns)."""
    lon1, lat1 = np.radians(a[:, 0])[:, None], np.radians(a[:, 1])[:, None]
    lon2, lat2 = np.radians(b[:, 0])[None, :], np.radians(b[:, 1])[None, :]
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _freight(rng: np.random.Generator, km: np.ndarray, low: float, high: float) -> np.ndarray:
    """Freight (USD/t) rising with distance from ``low`` to ``high``, with +-10 % noise."""
    base = low + (high - low) * (np.clip(km / FAR_KM, 0.0, 1.0) ** 0.7)
    return np.clip(np.round(base * rng.uniform(0.9, 1.1, size=km.shape), 1), low, high)


def _pick_routes(
    rng: np.random.Generator, km: np.ndarray, total: int, min_per_row: int, min_per_col: int, scale_km: float
) -> np.ndarray:
    """Boolean (rows x cols) route mask with ``total`` routes, biased to near pairs.

    Gumbel top-k sampling without replacement on weights exp(-km / scale_km) + 0.05;
    every row gets at least ``min_per_row`` routes and every column ``min_per_col``.
    """
    n_rows, n_cols = km.shape
    keys = np.log(np.exp(-km / scale_km) + 0.05) + rng.gumbel(size=km.shape)
    mask = np.zeros(km.shape, dtype=bool)
    k_row = min(min_per_row, n_cols)
    top = np.argpartition(-keys, k_row - 1, axis=1)[:, :k_row]
    mask[np.arange(n_rows)[:, None], top] = True
    k_col = min(min_per_col, n_rows)
    top = np.argpartition(-keys, k_col - 1, axis=0)[:k_col, :]
    mask[top, np.arange(n_cols)[None, :]] = True
    extra = total - int(mask.sum())
    if extra > 0:
        flat = np.where(mask.ravel(), -np.inf, keys.ravel())
        chosen = np.argpartition(-flat, extra - 1)[:extra]
        mask.ravel()[chosen] = True
    return mask


def _round_shares(shares: np.ndarray) -> np.ndarray:
    """Shares rounded to 6 decimals, every one >= 1e-6, each row summing to 1 (largest absorbs)."""
    out = np.maximum(np.round(shares, 6), 1e-6)
    rows = np.arange(len(out))
    biggest = out.argmax(axis=1)
    out[rows, biggest] = np.round(out[rows, biggest] + (1.0 - out.sum(axis=1)), 6)
    return out


def _merit_order_plan(
    shares: np.ndarray,
    rec: np.ndarray,
    mining: np.ndarray,
    processing: np.ndarray,
    supply: np.ndarray,
    capacity: np.ndarray,
    ore_o: np.ndarray,
    ore_r: np.ndarray,
    ore_freight: np.ndarray,
) -> np.ndarray:
    """Ore on each route in a plan that fills refiners with their most valuable ore.

    Routes are taken in order of margin per tonne of ore (value of the recovered
    products at PRICE_USD_PER_T minus mining, freight and processing) and each gets
    as much as its origin's remaining supply and its refiner's remaining capacity allow:
    a merit order, as the market would run it. Refiners end up full wherever their
    routes reach enough ore; the plan respects every supply and capacity.
    """
    price = np.array([PRICE_USD_PER_T[p] for p in PRODUCTS])
    value = (shares[ore_o] * rec[ore_r]) @ price
    margin = value - mining[ore_o] - ore_freight - processing[ore_r]
    left_supply = supply.astype(float).copy()
    left_capacity = capacity.astype(float).copy()
    x = np.zeros(len(ore_o))
    for k in np.argsort(-margin, kind="stable"):
        o, r = ore_o[k], ore_r[k]
        amount = min(left_supply[o], left_capacity[r])
        if amount > 0:
            x[k] = amount
            left_supply[o] -= amount
            left_capacity[r] -= amount
    return x


# ---------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------


def generate(variables: int, seed: int) -> dict[str, pd.DataFrame]:
    """A feasible dataset with about ``variables`` LP columns, as the contract's tables.

    Keys are table names (``origins``, ``composition``, ``refiners``, ``recoveries``,
    ``markets``, ``demand``, ``ore_routes``, ``product_routes``); the same
    ``(variables, seed)`` always gives the same tables.
    """
    rng = np.random.default_rng([int(seed), int(variables)])
    counts = plan_counts(variables)
    n_o, n_r, n_m = counts["origins"], counts["refiners"], counts["markets"]
    n_p = len(PRODUCTS)

    # --- origins: deposit type, composition, mining cost
    o_country, o_loc = _places(rng, ORIGIN_COUNTRIES, n_o, 4.0)
    types = np.array(list(TYPE_PROBABILITY))
    o_type = rng.choice(types, size=n_o, p=np.array(list(TYPE_PROBABILITY.values())))
    profile = np.array([PROFILES[t] for t in o_type]) / 100.0
    shares = rng.gamma(profile * 150.0 + 0.02)  # Dirichlet around the type's profile
    shares = np.maximum(shares / shares.sum(axis=1, keepdims=True), 2e-6)
    shares = _round_shares(shares / shares.sum(axis=1, keepdims=True))
    low = np.array([MINING_COST[t][0] for t in o_type])
    high = np.array([MINING_COST[t][1] for t in o_type])
    mining = np.round(rng.uniform(low, high), -1)
    origin_ids = np.array([f"O{i + 1:05d}_{c}" for i, c in enumerate(o_country)])

    # --- refiners: an efficiency drives recovery up and processing cost down
    r_country, r_loc = _places(rng, REFINER_COUNTRIES, n_r, 3.0)
    eff = rng.beta(2.0, 2.0, size=n_r)
    eff = np.where(r_country == "CN", np.minimum(eff + 0.25, 1.0), eff)
    recovery = np.round(np.clip(0.6 + 0.35 * eff + rng.normal(0, 0.02, n_r), 0.6, 0.95), 3)
    processing = np.round(np.clip(9000 - 6000 * eff + rng.normal(0, 400, n_r), 3000, 9000), -1)
    capacity = np.round(np.clip(rng.lognormal(np.log(3000.0), 0.8, n_r), 300, 60000), -1)
    refiner_ids = np.array([f"R{i + 1:04d}_{c}" for i, c in enumerate(r_country)])
    rec = np.repeat(recovery[:, None], n_p, axis=1)
    overrides = rng.random(n_r) < 0.15
    heavy_cols = np.array([PRODUCTS.index(p) for p in HEAVY])
    over_rec = np.round(
        np.clip(recovery[overrides, None] + rng.uniform(-0.1, 0.05, (overrides.sum(), len(HEAVY))), 0.6, 0.95), 3
    )
    rec[np.ix_(np.flatnonzero(overrides), heavy_cols)] = over_rec

    # --- markets: size and the products each demands
    m_country, m_loc = _places(rng, MARKET_COUNTRIES, n_m, 2.0)
    market_ids = np.array([f"M{i + 1:03d}_{c}" for i, c in enumerate(m_country)])
    size = rng.lognormal(0.0, 0.7, n_m)
    demanded = rng.random((n_m, n_p)) < OTHER_DEMAND_PROBABILITY
    demanded[:, [PRODUCTS.index(p) for p in ALWAYS_DEMANDED]] = True

    # --- routes
    km_or = _distance_km(o_loc, r_loc)
    ore_mask = _pick_routes(rng, km_or, counts["ore_routes"], 1, 2, 4000.0)
    ore_o, ore_r = np.nonzero(ore_mask)
    ore_freight = _freight(rng, km_or[ore_o, ore_r], 20.0, 300.0)
    km_rm = _distance_km(r_loc, m_loc)
    prod_mask = _pick_routes(rng, km_rm, counts["product_routes"], 1, 3, 6000.0)
    pr_r, pr_m = np.nonzero(prod_mask)
    prod_freight = _freight(rng, km_rm[pr_r, pr_m], 200.0, 500.0)

    # --- supply: independent of the plan, ~1.3-1.6x total capacity in all
    supply = rng.lognormal(0.0, 0.9, n_o)
    supply = np.ceil(supply / supply.sum() * capacity.sum() * rng.uniform(1.3, 1.6))

    # --- reference plan (see the module docstring) and demand
    x_ref = _merit_order_plan(shares, rec, mining, processing, supply, capacity, ore_o, ore_r, ore_freight)
    produced = np.asarray(sp.csr_matrix((x_ref, (ore_r, ore_o)), shape=(n_r, n_o)) @ shares) * rec  # r x p
    ws = size[pr_m] * rng.uniform(0.5, 1.5, len(pr_r))
    ws_sum = np.bincount(pr_r, weights=ws, minlength=n_r)
    split = sp.csr_matrix((ws / ws_sum[pr_r], (pr_m, pr_r)), shape=(n_m, n_r))
    delivered = np.asarray(split @ produced)  # t of product p arriving in market m under the plan
    weight = np.array([DEMAND_WEIGHT[p] for p in PRODUCTS]) * rng.uniform(0.95, 1.0, n_p)
    fraction = weight[None, :] * rng.uniform(MIN_DEMAND_FRACTION, MAX_DEMAND_FRACTION, (n_m, n_p))  # <= 0.85
    demand_t = np.floor(fraction * delivered * 100.0) / 100.0
    dm, dp = np.nonzero(demanded)

    return {
        "origins": pd.DataFrame(
            {"origin": origin_ids, "country": o_country, "supply_t": supply, "mining_cost_usd_per_t": mining}
        ),
        "composition": pd.DataFrame(
            {
                "origin": np.repeat(origin_ids, n_p),
                "product": np.tile(PRODUCTS, n_o),
                "share": shares.ravel(),
            }
        ),
        "refiners": pd.DataFrame(
            {
                "refiner": refiner_ids,
                "country": r_country,
                "capacity_t": capacity,
                "processing_cost_usd_per_t": processing,
                "recovery": recovery,
            }
        ),
        "recoveries": pd.DataFrame(
            {
                "refiner": np.repeat(refiner_ids[overrides], len(HEAVY)),
                "product": np.tile(HEAVY, int(overrides.sum())),
                "recovery": over_rec.ravel(),
            }
        ),
        "markets": pd.DataFrame({"market": market_ids, "country": m_country}),
        "demand": pd.DataFrame(
            {"market": market_ids[dm], "product": np.array(PRODUCTS)[dp], "demand_t": demand_t[dm, dp]}
        ),
        "ore_routes": pd.DataFrame(
            {"origin": origin_ids[ore_o], "refiner": refiner_ids[ore_r], "freight_usd_per_t": ore_freight}
        ),
        "product_routes": pd.DataFrame(
            {"refiner": refiner_ids[pr_r], "market": market_ids[pr_m], "freight_usd_per_t": prod_freight}
        ),
    }


def write(frames: dict[str, pd.DataFrame], folder: str | Path) -> Path:
    """Write the tables as a dataset folder (``<table>.csv`` each); return the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


# ---------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------


def count_variables(frames: dict[str, pd.DataFrame]) -> int:
    """LP columns of the dataset: ore routes + shipments (demanded products only) + demand rows."""
    per_market = frames["demand"].groupby("market").size()
    shipments = int(frames["product_routes"]["market"].map(per_market).fillna(0).sum())
    return len(frames["ore_routes"]) + shipments + len(frames["demand"])


def feasibility_report(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per product: total demand against two upper bounds on what can be produced.

    ``supply_bound``: every origin's whole supply refined at the best recovery any of
    its refiners has for the product. ``capacity_bound``: every refiner full, fed the
    richest ore it is connected to for the product. ``ratio`` = demand / min(bounds);
    a generated dataset has every ratio <= MAX_DEMAND_FRACTION (0.85). The joint
    check (all products from the same tonnes of ore) is the solve itself: unmet demand
    must be 0 at the optimum (benchmarks/run.py verifies it).
    """
    comp = frames["composition"].pivot(index="origin", columns="product", values="share")
    origins = frames["origins"].set_index("origin")
    refiners = frames["refiners"].set_index("refiner")
    products = list(pd.unique(frames["composition"]["product"]))
    comp = comp.loc[origins.index, products]
    rec = pd.DataFrame(
        np.repeat(refiners["recovery"].to_numpy()[:, None], len(products), axis=1),
        index=refiners.index,
        columns=products,
    )
    for row in frames.get("recoveries", pd.DataFrame(columns=["refiner", "product", "recovery"])).itertuples():
        rec.loc[row.refiner, row.product] = row.recovery
    routes = frames["ore_routes"]
    o_pos = origins.index.get_indexer(routes["origin"])
    r_pos = refiners.index.get_indexer(routes["refiner"])
    share_on_route = comp.to_numpy()[o_pos]  # routes x products
    rec_on_route = rec.to_numpy()[r_pos]
    best_rec = np.zeros((len(origins), len(products)))
    np.maximum.at(best_rec, o_pos, rec_on_route)
    richest = np.zeros((len(refiners), len(products)))
    np.maximum.at(richest, r_pos, share_on_route)
    supply_bound = (origins["supply_t"].to_numpy()[:, None] * comp.to_numpy() * best_rec).sum(axis=0)
    capacity_bound = (refiners["capacity_t"].to_numpy()[:, None] * richest * rec.to_numpy()).sum(axis=0)
    demand = frames["demand"].groupby("product")["demand_t"].sum().reindex(products).fillna(0.0).to_numpy()
    return pd.DataFrame(
        {
            "product": products,
            "demand_t": demand,
            "supply_bound_t": supply_bound,
            "capacity_bound_t": capacity_bound,
            "ratio": demand / np.minimum(supply_bound, capacity_bound),
        }
    )


def describe(frames: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Counts of the dataset (for reports)."""
    return {
        "variables": count_variables(frames),
        "origins": len(frames["origins"]),
        "refiners": len(frames["refiners"]),
        "markets": len(frames["markets"]),
        "products": frames["composition"]["product"].nunique(),
        "ore_routes": len(frames["ore_routes"]),
        "product_routes": len(frames["product_routes"]),
        "demand_rows": len(frames["demand"]),
        "total_capacity_t": float(frames["refiners"]["capacity_t"].sum()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a seeded, feasible oreflow benchmark dataset.")
    parser.add_argument("--variables", type=float, required=True, help="target LP columns, e.g. 1e5")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="dataset folder to write")
    args = parser.parse_args(argv)
    frames = generate(int(args.variables), args.seed)
    write(frames, args.out)
    info = describe(frames)
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v:,.0f}" for k, v in info.items()))
    report = feasibility_report(frames)
    print(
        f"max demand / producible over products: {report['ratio'].max():.3f} "
        f"({report.loc[report['ratio'].idxmax(), 'product']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
