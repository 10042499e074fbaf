"""What links the years of a plan: builds, build limits and stockpiles (docs/formulation.md,
"Planning over years").

Each is a :class:`~oreflow.model.plan.HorizonPart`: columns of the horizon (not of one year),
its own rows, and the entries by which its columns enter the years' rows. Inputs are the
optional tables ``builds.csv``, ``build_limits.csv`` and ``stockpiles.csv``
(:data:`~oreflow.model.tables.PLANNING_TABLES`), read by :func:`read_planning` and checked
against the dataset with the file, line and column of each problem.

- **builds** b[c,s] (t/yr of capacity whose construction starts in period s): online from
  ``start + lead_time_years`` for ``lifetime_years``; in each modelled year it adds
  ``f x b`` to the site's capacity row (refining) or supply row (mining), f the share of the
  period's years it is online. Cost (present value, USD per t/yr):
  ``sum over its online years t in the horizon of (a + fixed_om) x d(t)``, with the annuity
  ``a = capital x (1 + r)^lead x CRF(r, lifetime)`` (``capital / lifetime`` at r = 0): capital
  spent when construction starts, repaid over the plant's life; years past the horizon are not
  charged. Row ``build_size[c]``: ``sum_s b[c,s] <= max_t``.
- **build limits** ``build_limit[country, stage, s]``: ``sum b[c,s] over the country's builds
  of that stage <= limit_t_per_year x period_years[s]``: the capacity a country can start
  building per year (engineers, permits). Price per t of building capability, in that
  period's money.
- **stockpiles** fill f[k,y], draw d[k,y] (t/yr) and level l[k,y] (t at the end of period y):
  ``l[y] - l[y-1] - n_y f[y] + n_y d[y] = 0`` (``initial_t`` on the right for the first);
  ``min_t <= l <= max_t``; the draw adds to and the fill takes from the market's demand row
  of that year (consumption = shipments + draw - fill). Holding cost
  ``holding_usd_per_t_year x l x weight[y]``.

Time paths (``paths.csv``) may change the columns of :data:`~.paths.PLANNING_PATH_COLUMNS`
by year (:meth:`PlanningTables.at`): a build's capital and fixed O&M are those of the year its
construction starts, a build limit and a stockpile's bounds and holding cost those of the
period.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, Problem, cap_problems
from .network import Network
from .paths import PATHS_FILE, PLANNING_PATH_COLUMNS, Paths, apply_path, read_paths, selections
from .paths import _validated as validated_paths
from .plan import Horizon, HorizonPart
from .reading import frame_table
from .tables import BUILD_LIMITS, BUILDS, LINE, STOCKPILES, TableSpec
from .workbook import PATHS_SHEET, in_rows, is_workbook, read_table, read_workbook, rows_error, sheet_raw, table_label


@dataclass(frozen=True)
class PlanningTables:
    """The planning tables of a dataset (empty tables where a file is absent), and the time
    paths of the dataset that change them (``paths.csv`` rows naming a planning table:
    :data:`~.paths.PLANNING_PATH_COLUMNS`); :meth:`at` gives a year's values."""

    builds: pd.DataFrame
    build_limits: pd.DataFrame
    stockpiles: pd.DataFrame
    paths: Paths | None = None

    @property
    def empty(self) -> bool:
        return not (len(self.builds) or len(self.build_limits) or len(self.stockpiles))

    def with_paths(self, paths: Paths, check: bool = True) -> PlanningTables:
        """These tables with ``paths`` (those naming a planning table), with ``check``
        checked against them: a ``where`` that selects nothing, two set paths of one cell
        (InputError)."""
        mine = Paths(tuple(p for p in paths if p.table in PLANNING_PATH_COLUMNS), paths.label)
        if not len(mine):
            return dataclasses.replace(self, paths=None)
        problems = selections(mine, self)[1] if check else []
        if problems:
            raise InputError(cap_problems(problems), heading=f"invalid {paths.label}")
        return dataclasses.replace(self, paths=mine)

    def at(self, year: int) -> PlanningTables:
        """The tables with their paths applied at ``year`` (a build's capital and fixed O&M
        for construction started that year, a build limit and a stockpile's bounds and
        holding cost in that period); these tables when no path names them."""
        if self.paths is None:
            return self
        tables = {name: getattr(self, name) for name in PLANNING_PATH_COLUMNS}
        copied: set[str] = set()
        for path, mask in zip(self.paths, selections(self.paths, self)[0]):
            apply_path(tables, path, mask, year, copied)
        return PlanningTables(**tables)

    def check_years(self, network: Network, years: tuple[int, ...]) -> None:
        """What paths can break, year by year (:meth:`at`): a stockpile's min_t above its
        max_t in a period, or its initial_t outside the first period's bounds (later periods
        may move the bounds away from initial_t: the level follows by filling or drawing).
        InputError naming stockpiles.csv with the year, the line and the paths concerned."""
        del network  # the other rules of the planning tables concern columns paths cannot change
        if self.paths is None or not len(self.stockpiles):
            return
        named = ", ".join(f"{p.name!r} (line {p.line})" for p in self.paths if p.table == "stockpiles")
        problems: list[Problem] = []
        for position, year in enumerate(years):
            stock = self.at(year).stockpiles.reset_index(drop=True)
            low, high = stock["min_t"].fillna(0.0).to_numpy(float), stock["max_t"].to_numpy(float)
            bad = low > high
            if position == 0:
                initial = stock["initial_t"].to_numpy(float)
                bad |= (initial < low) | (initial > high)
            for line, name in zip(np.flatnonzero(bad) + 2, stock["stockpile"].to_numpy(object)[bad]):
                problems.append(
                    Problem(
                        f"stockpiles.csv [{year}]",
                        int(line),
                        "min_t",
                        str(name),
                        "min_t <= max_t in every period (and initial_t within the first period's bounds) "
                        f"with paths.csv applied: paths {named}",
                        "stockpile_bounds_in_year",
                    )
                )
        if problems:
            raise InputError(cap_problems(problems), heading="the stockpiles with paths.csv applied are invalid")


def _empty(spec: TableSpec) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=object if c.kind == "id" else float) for c in spec.columns})


def read_planning(
    folder: Path | None, network: Network, frames: dict[str, pd.DataFrame] | None = None
) -> PlanningTables:
    """The planning tables of ``folder`` (or ``frames``), typed and checked against ``network``
    (the base year's): one InputError listing every problem with its file, line and column.
    ``folder`` may be a workbook dataset (its sheets ``builds``, ...: problems then name the
    sheet and row)."""
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    labels: dict[str, str] = {}
    for spec in (BUILDS, BUILD_LIMITS, STOCKPILES):
        labels[spec.name] = spec.file
        if frames is not None and spec.name in frames:
            table, found = frame_table(frames[spec.name], spec)
        elif folder is not None:
            table, found = read_table(Path(folder), spec)
            labels[spec.name] = table_label(Path(folder), spec)
        else:
            table, found = None, []
        problems += found
        tables[spec.name] = table if table is not None else _empty(spec).assign(**{LINE: pd.Series(dtype=int)})
    problems += _check(tables, network, labels)
    if problems:
        raise InputError(in_rows(problems), heading="planning tables")
    clean = {
        name: frame.drop(columns=[c for c in frame.columns if c.startswith("_")]) for name, frame in tables.items()
    }
    return PlanningTables(clean["builds"], clean["build_limits"], clean["stockpiles"])


def read_dataset_paths(source: Path | None, network: Network | None = None) -> Paths:
    """The time paths of the dataset ``source``: its folder's ``paths.csv`` or its workbook's
    ``paths`` sheet (problems then by sheet and row), read and checked as
    :func:`~.paths.read_paths` does (against ``network`` when given); none when there is no
    such file or sheet, or the sheet has no path (or the dataset was built in memory)."""
    if source is None:
        return Paths()
    if not is_workbook(source):
        return read_paths(source / PATHS_FILE, network) if (source / PATHS_FILE).is_file() else Paths()
    sheets = read_workbook(source)
    raw = sheet_raw(sheets, PATHS_SHEET)[0] if PATHS_SHEET in sheets.cells else None
    if raw is None or not len(raw.frame):
        return Paths()
    try:
        return validated_paths(raw.frame, raw.header, raw.header_line, sheets.label(PATHS_SHEET), [], network)
    except InputError as exc:
        raise rows_error(exc) from None


def _rows(file: str, frame: pd.DataFrame, mask: np.ndarray, column: str, expected: str, rule: str) -> list[Problem]:
    sub = frame.loc[mask]
    return [
        Problem(file, int(line), column, "" if pd.isna(value) else str(value), expected, rule)
        for line, value in zip(sub[LINE].to_numpy(), sub[column].to_numpy())
    ]


def _check(tables: dict[str, pd.DataFrame], network: Network, labels: dict[str, str]) -> list[Problem]:
    """Lead times and earliest starts are whole years; a build's min_t <= max_t; sites are
    refiners (refining) or origins (mining) of the dataset; build-limit countries
    are countries of such sites; a stockpile's market and product form a demand row; a
    stockpile's min_t <= initial_t and max_t. Problems name each table by ``labels``."""
    problems: list[Problem] = []
    builds = tables["builds"]
    if len(builds):
        for column in ("lead_time_years", "earliest_start"):  # plants come online at the start of a year
            value = builds[column].to_numpy(float)
            problems += _rows(
                labels["builds"],
                builds,
                np.isfinite(value) & (value != np.round(value)),
                column,
                "a whole number of years",
                "build_whole_years",
            )
        if "min_t" in builds:
            low, high = builds["min_t"].to_numpy(float), builds["max_t"].to_numpy(float)
            problems += _rows(
                labels["builds"], builds, np.isfinite(low) & (low > high), "min_t", "min_t <= max_t", "build_min_max"
            )
        refiners, origins = set(network.refiners["refiner"]), set(network.origins["origin"])
        refining = (builds["stage"] == "refining").to_numpy()
        known = np.where(refining, builds["site"].isin(refiners), builds["site"].isin(origins))
        problems += _rows(
            labels["builds"],
            builds,
            ~known & builds["site"].notna().to_numpy(),
            "site",
            "a refiner of refiners.csv (stage refining) or an origin of origins.csv (stage mining)",
            "build_site",
        )
    limits = tables["build_limits"]
    if len(limits):
        countries = set(network.refiners["country"]) | set(network.origins["country"])
        problems += _rows(
            labels["build_limits"],
            limits,
            ~limits["country"].isin(countries).to_numpy(),
            "country",
            "a country of a refiner or an origin of the dataset",
            "build_limit_country",
        )
    stock = tables["stockpiles"]
    if len(stock):
        demand = pd.MultiIndex.from_frame(network.demand[["market", "product"]])
        keys = pd.MultiIndex.from_frame(stock[["market", "product"]].astype(str))
        problems += _rows(
            labels["stockpiles"],
            stock,
            ~keys.isin(demand),
            "product",
            "a market and product with a demand row in demand.csv",
            "stockpile_demand",
        )
        low = stock["min_t"].fillna(0.0)
        problems += _rows(
            labels["stockpiles"],
            stock,
            ((low > stock["initial_t"]) | (low > stock["max_t"]) | (stock["initial_t"] > stock["max_t"])).to_numpy(),
            "initial_t",
            "min_t <= initial_t <= max_t",
            "stockpile_bounds",
        )
    return problems


# ---------------------------------------------------------------------------------
# Builds and build limits
# ---------------------------------------------------------------------------------


#: The kind of a build column that is capacity (t/yr); the others are the whole-plant binaries.
BUILT_CAPACITY = "capacity_t"


def annuity_factor(rate: float, lifetime: np.ndarray) -> np.ndarray:
    """CRF(r, L) = r / (1 - (1 + r)^-L); 1 / L at r = 0."""
    lifetime = np.asarray(lifetime, dtype=float)
    if rate == 0:
        return 1.0 / lifetime
    return rate / (1.0 - (1.0 + rate) ** -lifetime)


def build_part(tables: PlanningTables, horizon: Horizon, networks: dict[int, Network], year_lps: dict) -> HorizonPart:
    """The builds' columns b[c,s], their size rows and their entries in the years' capacity
    (refining) or supply (mining) rows; and the build-limit rows (see the module docstring)."""
    from .families import CAPACITY, SUPPLY

    builds = tables.builds.reset_index(drop=True)
    years = np.asarray(horizon.years)
    n_years = np.asarray(horizon.period_years)
    # candidates: every (build, period) whose start year is allowed and whose plant comes online in the horizon
    b_idx = np.repeat(np.arange(len(builds)), len(years))
    s_idx = np.tile(np.arange(len(years)), len(builds))
    start = years[s_idx]
    lead = builds["lead_time_years"].to_numpy(float)[b_idx]
    life = builds["lifetime_years"].to_numpy(float)[b_idx]
    online = start + lead
    end_of_horizon = years[-1] + n_years[-1]
    keep = (start >= builds["earliest_start"].to_numpy(float)[b_idx]) & (online < end_of_horizon)
    b_idx, s_idx, start, lead, life, online = (a[keep] for a in (b_idx, s_idx, start, lead, life, online))
    columns = pd.DataFrame(
        {
            "build": builds["build"].to_numpy(object)[b_idx],
            "start_year": start.astype(int),
            "online_year": online.astype(int),
        }
    )
    # present value of each column's charges: (annuity + fixed O&M) x discount over its online years
    covered = horizon.covered()
    delta = np.asarray(horizon.discount(covered), dtype=float)
    active = (covered[None, :] >= online[:, None]) & (covered[None, :] < (online + life)[:, None])
    rate = horizon.discount_rate
    # capital and fixed O&M of the year construction starts (paths.csv may change them by year)
    per_year = [tables.at(int(y)).builds.reset_index(drop=True) for y in years]
    capital = np.stack([b["capital_usd_per_t"].to_numpy(float) for b in per_year])[s_idx, b_idx]
    om = np.stack([b["fixed_om_usd_per_t_yr"].fillna(0.0).to_numpy(float) for b in per_year])[s_idx, b_idx]
    annuity = capital * (1.0 + rate) ** lead * annuity_factor(rate, life)
    cost = (annuity + om) * (active * delta[None, :]).sum(axis=1)
    # entries in the years' capacity / supply rows: -share of the period's years online
    into: list[tuple[np.ndarray, ...]] = []
    stage = builds["stage"].to_numpy(object)[b_idx]
    site = builds["site"].to_numpy(object)[b_idx]
    missing: list[Problem] = []
    for year, n in zip(years, n_years):
        span = np.arange(year, year + n)
        share = ((span[None, :] >= online[:, None]) & (span[None, :] < (online + life)[:, None])).mean(axis=1)
        lp = year_lps[int(year)]
        for family, key, which in ((CAPACITY, "refiner", "refining"), (SUPPLY, "origin", "mining")):
            rows = lp.rows[family]
            local = pd.Index(rows.index[key]).get_indexer(site)
            online_here = (stage == which) & (share > 0)
            hit = online_here & (local >= 0)
            cols = np.flatnonzero(hit)
            into.append((np.full(len(cols), int(year)), rows.start + local[hit], cols, -share[hit]))
            for name, where in dict.fromkeys(
                zip(columns["build"].to_numpy(object)[online_here & (local < 0)], site[online_here & (local < 0)])
            ):
                missing.append(
                    Problem(
                        "builds.csv",
                        None,
                        "site",
                        str(where),
                        f"a site that exists in {int(year)}, when build {name!r} is online (a scenario or path "
                        f"removed it, or closed its {family} row)",
                        "build_site_in_year",
                    )
                )
    if missing:
        raise InputError(missing, heading="builds online at a site that is gone")
    # own rows: build_size per build, build_limit per (country, stage, period); a build with a
    # minimum size gets a binary z[c] (built or not): min_t z <= sum_s b[c,s] <= max_t z
    n_b = len(columns)
    whole = builds["min_t"].notna().to_numpy() if "min_t" in builds else np.zeros(len(builds), dtype=bool)
    z_builds = np.flatnonzero(whole)
    z_cols = n_b + np.arange(len(z_builds))
    columns = pd.concat(
        [
            columns.assign(kind=BUILT_CAPACITY),
            pd.DataFrame(
                {
                    "build": builds["build"].to_numpy(object)[z_builds],
                    "start_year": 0,
                    "online_year": 0,
                    "kind": "built",
                }
            ),
        ],
        ignore_index=True,
    )
    z_cost = np.zeros(len(z_builds))
    size_rows = pd.DataFrame({"kind": "build_size", "key": builds["build"].to_numpy(object), "year": 0})
    b_rows = pd.Index(builds["build"]).get_indexer(columns["build"].to_numpy(object)[:n_b])
    own_r = [b_rows, z_builds]
    own_c = [np.arange(n_b), z_cols]
    own_v = [np.ones(n_b), -builds["max_t"].to_numpy(float)[z_builds]]
    row_upper = [np.where(whole, 0.0, builds["max_t"].to_numpy(float))]
    min_rows = pd.DataFrame({"kind": "build_min", "key": builds["build"].to_numpy(object)[z_builds], "year": 0})
    if len(z_builds):
        # build_min[c]: min_t z[c] - sum_s b[c,s] <= 0, one row per whole build (position k)
        position = np.full(len(builds), -1)
        position[z_builds] = np.arange(len(z_builds))
        members = np.flatnonzero(position[b_rows] >= 0)
        own_r += [len(builds) + position[b_rows[members]], len(builds) + np.arange(len(z_builds))]
        own_c += [members, z_cols]
        own_v += [-np.ones(len(members)), builds["min_t"].to_numpy(float)[z_builds]]
        row_upper.append(np.zeros(len(z_builds)))
    limits = tables.build_limits.reset_index(drop=True)
    # build_limit[country/stage, s]: one row per limit (li) and period (si), row li x T + si;
    # each period's limit from paths.csv where it changes it
    limit_of = np.stack([tables.at(int(y)).build_limits["limit_t_per_year"].to_numpy(float) for y in years])
    limit_rows = pd.DataFrame(
        {
            "kind": "build_limit",
            "key": np.repeat(
                (limits["country"].astype(str) + "/" + limits["stage"].astype(str)).to_numpy(object), len(years)
            ),
            "year": np.tile(years.astype(int), len(limits)),
        }
    )
    if len(limits):
        country = site_countries(networks[int(years[0])], stage, site)
        offset = len(builds) + len(z_builds)
        candidates = pd.DataFrame({"country": country, "stage": stage, "si": s_idx, "col": np.arange(len(s_idx))})
        keyed = limits[["country", "stage"]].assign(li=np.arange(len(limits)))
        hit = candidates.merge(keyed, on=["country", "stage"], how="inner")
        own_r.append(offset + hit["li"].to_numpy() * len(years) + hit["si"].to_numpy())
        own_c.append(hit["col"].to_numpy())
        own_v.append(np.ones(len(hit)))
        row_upper.append((limit_of.T * n_years[None, :]).ravel())  # li-major, as the rows
    rows = pd.concat([size_rows, min_rows, limit_rows], ignore_index=True)
    upper = np.concatenate(row_upper) if row_upper else np.zeros(0)
    price_weight = np.where(
        rows["kind"].to_numpy() == "build_limit",
        np.asarray(horizon.discount(rows["year"].to_numpy(float)), dtype=float),
        1.0,
    )
    return HorizonPart(
        name="build",
        columns=columns,
        cost=np.concatenate([cost, z_cost]),
        lower=np.zeros(len(columns)),
        upper=np.concatenate([np.full(n_b, np.inf), np.ones(len(z_builds))]),
        integer=np.concatenate([np.zeros(n_b, dtype=bool), np.ones(len(z_builds), dtype=bool)]),
        rows=rows,
        row_lower=np.full(len(rows), -np.inf),
        row_upper=upper,
        row_is_upper=np.ones(len(rows), dtype=bool),
        own=(np.concatenate(own_r), np.concatenate(own_c), np.concatenate(own_v)),
        into_years=_stacked(into),
        row_price_weight=price_weight,
    )


def site_countries(network: Network, stage: np.ndarray, site: np.ndarray) -> np.ndarray:
    """The country of each build's site: a refiner's (stage ``refining``) or an origin's
    (``mining``), looked up in the table its stage names (a refiner and an origin may share
    a name)."""
    refiner = dict(zip(network.refiners["refiner"], network.refiners["country"]))
    origin = dict(zip(network.origins["origin"], network.origins["country"]))
    return np.asarray([(refiner if st == "refining" else origin).get(si) for st, si in zip(stage, site)], dtype=object)


def _stacked(into: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The (year, row, column, value) entries of every year, concatenated."""
    if not into:
        return (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    years, rows, cols, values = (np.concatenate(parts) for parts in zip(*into))
    return years, rows, cols, values


# ---------------------------------------------------------------------------------
# Stockpiles
# ---------------------------------------------------------------------------------


def stock_part(tables: PlanningTables, horizon: Horizon, year_lps: dict) -> HorizonPart:
    """Fill, draw and level columns per stockpile and year; the balance rows; the fill's and
    draw's entries in the market's demand row of each year (see the module docstring)."""
    from .families import DEMAND

    stock = tables.stockpiles.reset_index(drop=True)
    years = np.asarray(horizon.years)
    n_years = np.asarray(horizon.period_years)
    weights = horizon.weights()
    k, t = len(stock), len(years)
    kinds = ("fill", "draw", "level")
    # columns: for each stockpile, for each year: fill, draw, level
    st = np.repeat(np.arange(k), t * 3)
    yi = np.tile(np.repeat(np.arange(t), 3), k)
    kind = np.tile(np.asarray(kinds, dtype=object), k * t)
    columns = pd.DataFrame(
        {"stockpile": stock["stockpile"].to_numpy(object)[st], "year": years[yi].astype(int), "kind": kind}
    )
    # each period's holding cost and bounds (paths.csv may change them by year)
    per_year = [tables.at(int(y)).stockpiles.reset_index(drop=True) for y in years]
    holding = np.stack([s["holding_usd_per_t_year"].to_numpy(float) for s in per_year])[yi, st]
    # holding cost on the level, per year it is held (the period's discounted years)
    cost = np.where(kind == "level", holding * weights[yi], 0.0)
    low = np.stack([s["min_t"].fillna(0.0).to_numpy(float) for s in per_year])[yi, st]
    high = np.stack([s["max_t"].to_numpy(float) for s in per_year])[yi, st]
    lower = np.where(kind == "level", low, 0.0)
    upper = np.where(kind == "level", high, np.inf)
    # balance rows: one per stockpile and year
    col = np.arange(len(columns))
    row = st * t + yi
    n = n_years[yi].astype(float)
    value = np.where(kind == "level", 1.0, np.where(kind == "fill", -n, n))
    prev = (kind == "level") & (yi < t - 1)  # level[y] enters next year's row with -1
    own_r = np.concatenate([row, row[prev] + 1])
    own_c = np.concatenate([col, col[prev]])
    own_v = np.concatenate([value, -np.ones(int(prev.sum()))])
    rhs = np.where(np.tile(np.arange(t), k) == 0, np.repeat(stock["initial_t"].to_numpy(float), t), 0.0)
    rows = pd.DataFrame(
        {"kind": "stock_balance", "key": np.repeat(stock["stockpile"].to_numpy(object), t), "year": np.tile(years, k)}
    )
    # entries: draw +1, fill -1 in the demand row of the market and product, per year
    into: list[tuple[np.ndarray, ...]] = []
    moving = np.flatnonzero(kind != "level")
    for year in years:
        lp = year_lps[int(year)]
        demand = lp.rows[DEMAND]
        keys = pd.MultiIndex.from_frame(demand.index[["market", "product"]])
        mine = moving[columns["year"].to_numpy()[moving] == year]
        target = keys.get_indexer(
            pd.MultiIndex.from_arrays(
                [stock["market"].to_numpy(object)[st[mine]], stock["product"].to_numpy(object)[st[mine]]]
            )
        )
        if (target < 0).any():
            lost = sorted(set(stock["stockpile"].to_numpy(object)[st[mine][target < 0]]))
            raise InputError(
                [
                    Problem(
                        "stockpiles.csv",
                        None,
                        "product",
                        name,
                        f"a market and product with a demand row in {int(year)} (a scenario or path removed it)",
                        "stockpile_demand_in_year",
                    )
                    for name in lost
                ],
                heading="stockpiles serving a demand row that is gone",
            )
        into.append(
            (np.full(len(mine), int(year)), demand.start + target, mine, np.where(kind[mine] == "draw", 1.0, -1.0))
        )
    return HorizonPart(
        name="stock",
        columns=columns,
        cost=cost,
        lower=lower,
        upper=upper,
        integer=np.zeros(len(columns), dtype=bool),
        rows=rows,
        row_lower=rhs,
        row_upper=rhs,
        row_is_upper=np.zeros(len(rows), dtype=bool),
        own=(own_r, own_c, own_v),
        into_years=_stacked(into),
        row_price_weight=np.asarray(horizon.discount(rows["year"].to_numpy(float)), dtype=float),
    )
