"""Calibration: the model's base case against observed figures (docs/calibration.md).

A dataset may hold :data:`OBSERVED_FILE` beside its tables: one row per observed figure
with its value, unit, the band the model's figure must fall in, and its source.
:func:`load_observed` reads and checks it, :func:`calibrate` computes each figure from a
:class:`~oreflow.Result` and compares; ``oreflow calibrate JOB`` prints the comparison.

A figure is named ``kind`` or ``kind:ARG:ARG``: the kind is one entry of :data:`FIGURES`
(a small function computing it from the Result's tables), the arguments say what it is
about (a country, a refiner, a market and a product), so which refiner or which price a
row measures is data of the dataset, not code::

    separation_share:CN                  share of all refiners' feed separated in CN
    separated_t:MY_Lynas_Kuantan         separated oxide produced at a refiner (all products)
    separated_t:US_MP_MountainPass:NdPr  ... of one product
    ore_t:US:CN                          ore from origins in US to refiners in CN
    mined_ore_used_share                 ore used / supply, over origins of finite supply
    price:CN:NdPr                        the price of NdPr in market CN

Tolerance: a row gives either ``tolerance``, relative (0.3: the model's figure must lie
within ±30 % of the observed value), or ``low`` and/or ``high``, absolute bounds in the
figure's unit (a blank side is unbounded: ``low`` alone means "at least"). Not both.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from oreflow.model.errors import InputError, Problem
from oreflow.model.families import CONTRACT, DEMAND, FAMILIES_BY_NAME
from oreflow.model.network import Network
from oreflow.model.reading import read_csv_table
from oreflow.model.tables import BAD, ID, LINE, NUMBER, Column, TableSpec
from oreflow.result import Result

#: The file of observed figures in a dataset folder.
OBSERVED_FILE = "observed.csv"
#: The comparison a run writes beside its tables when its dataset has observed figures.
CALIBRATION_TABLE = "calibration.csv"

#: The units a figure can have: tonnes (t REO for ore and feed, t oxide for products), a
#: share between 0 and 1, USD per tonne.
TONNES, SHARE, USD_PER_T = "t", "share", "USD/t"

#: Columns of the output of :func:`calibrate`, in order.
CALIBRATION_COLUMNS = (
    "figure",
    "description",
    "unit",
    "observed",
    "model",
    "relative_error",
    "low",
    "high",
    "within",
    "source",
    "held_by",
)

#: How far past a bound a figure may be and still count as within (rounding of the solve).
_BOUND_SLACK = 1e-9


class FigureUndefined(ValueError):
    """A figure that the result cannot give (e.g. a share of nothing)."""


# --------------------------------------------------------------------------------------
# The figures, one function each: (result, *arguments) -> float
# --------------------------------------------------------------------------------------


def separation_share(result: Result, country: str) -> float:
    """Share (0-1) of separation done in ``country``: the feed (``Result.refinery``
    ``throughput_t``, t REO) of the refiners whose country is ``country`` over the feed of
    all refiners. Undefined when no refiner separates anything."""
    refinery = result.refinery
    total = float(refinery["throughput_t"].sum())
    if total <= 0:
        raise FigureUndefined("no refiner has any feed")
    return float(refinery.loc[refinery["country"] == country, "throughput_t"].sum()) / total


def separated_t(result: Result, refiner: str, product: str | None = None) -> float:
    """Separated oxide produced at ``refiner`` (``Result.production`` ``produced_t``, t
    oxide): of ``product``, or summed over every product. "Separated" means the refiner's
    output, not its feed (feed x recovery x the ore's shares); it counts co-products left
    unsold (``unsold_t``, free disposal), as a plant's reported output does not when it
    rejects them early (Lynas with La/Ce)."""
    production = result.production
    rows = production["refiner"] == refiner
    if product is not None:
        rows &= production["product"] == product
    return float(production.loc[rows, "produced_t"].sum())


def ore_t(result: Result, origin_country: str, refiner_country: str) -> float:
    """Ore (t REO) shipped from origins in ``origin_country`` to refiners in
    ``refiner_country``: the sum of ``Result.allocations`` ``ore_t`` over those routes
    (countries of ``network.origins`` and ``network.refiners``)."""
    allocations = result.allocations
    rows = (allocations["origin_country"] == origin_country) & (allocations["refiner_country"] == refiner_country)
    return float(allocations.loc[rows, "ore_t"].sum())


def mined_ore_used_share(result: Result) -> float:
    """Share (0-1) of the ore mined that is used: ``Result.allocations`` ``ore_t`` from
    origins of finite ``supply_t`` over their total ``supply_t`` (``network.origins``).
    Origins without a supply limit (``inf``) are left out of both. Undefined when the
    finite supply sums to 0, or without the result's network."""
    network = _network(result)
    origins = network.origins
    finite = origins.loc[origins["supply_t"].map(math.isfinite), ["origin", "supply_t"]]
    total = float(finite["supply_t"].sum())
    if total <= 0:
        raise FigureUndefined("no origin has a finite supply above 0")
    allocations = result.allocations
    used = float(allocations.loc[allocations["origin"].isin(finite["origin"]), "ore_t"].sum())
    return used / total


def price(result: Result, market: str, product: str) -> float:
    """Price of ``product`` in ``market``, USD/t oxide: ``price_usd_per_t`` of a
    ``Result.market`` table when the result has one with that row; otherwise the demand
    row's shadow price (``Result.shadow_prices`` of the demand family, ``shadow_price``):
    the marginal delivered cost of one more tonne demanded there (docs/conventions.md)."""
    table = getattr(result, "market", None)
    if isinstance(table, pd.DataFrame) and {"market", "product", "price_usd_per_t"} <= set(table.columns):
        rows = table.loc[(table["market"] == market) & (table["product"] == product), "price_usd_per_t"]
        if len(rows) == 1:
            return float(rows.iloc[0])
    prices = result.shadow_prices[DEMAND]
    rows = prices.loc[(prices["market"] == market) & (prices["product"] == product), "shadow_price"]
    if len(rows) != 1:
        raise FigureUndefined(f"no demand row for market {market!r} and product {product!r}")
    return float(rows.iloc[0])


def _network(result: Result) -> Network:
    if result.network is None:
        raise FigureUndefined("the result carries no network (its origins' supply is needed)")
    return result.network


def _demand_row(network: Network, arguments: Sequence[str]) -> str | None:
    """A price needs a demand row for its market and product (its shadow price)."""
    market, product = arguments
    demand = network.demand
    if ((demand["market"] == market) & (demand["product"] == product)).any():
        return None
    return "a market and product with a row in demand.csv (a price is that row's shadow price)"


def _refiner_countries(network: Network) -> set[str]:
    return set(network.refiners["country"])


def _origin_countries(network: Network) -> set[str]:
    return set(network.origins["country"])


def _refiners(network: Network) -> set[str]:
    return set(network.refiners["refiner"])


def _products(network: Network) -> set[str]:
    return set(network.products)


def _markets(network: Network) -> set[str]:
    return set(network.markets["market"])


@dataclass(frozen=True)
class Parameter:
    """One argument of a figure: its placeholder (``COUNTRY``), what it is in words, and
    the values the dataset offers for it."""

    placeholder: str
    what: str
    known: Callable[[Network], set[str]]


COUNTRY = Parameter("COUNTRY", "a country of a refiner", _refiner_countries)
ORIGIN_COUNTRY = Parameter("ORIGIN_COUNTRY", "a country of an origin", _origin_countries)
REFINER_COUNTRY = Parameter("REFINER_COUNTRY", "a country of a refiner", _refiner_countries)
REFINER = Parameter("REFINER", "a refiner", _refiners)
PRODUCT = Parameter("PRODUCT", "a product", _products)
MARKET = Parameter("MARKET", "a market", _markets)


@dataclass(frozen=True)
class Figure:
    """One kind of figure: its name, its arguments (the last ``optional`` of them may be
    left out), its unit, the function computing it and a description template
    (``{0}``, ``{1}``: the arguments; ``describe_short`` when optional ones are left out).
    ``check(network, arguments)``, when given, says what was expected of arguments that
    each exist in the dataset but do not fit together (None when they do)."""

    name: str
    parameters: tuple[Parameter, ...]
    unit: str
    compute: Callable[..., float]
    describe_full: str
    describe_short: str = ""
    optional: int = 0
    check: Callable[[Network, Sequence[str]], str | None] | None = None

    @property
    def signature(self) -> str:
        """``separated_t:REFINER[:PRODUCT]``."""
        required = self.parameters[: len(self.parameters) - self.optional]
        text = ":".join([self.name, *(p.placeholder for p in required)])
        return text + "".join(f"[:{p.placeholder}]" for p in self.parameters[len(required) :])

    def accepts(self, count: int) -> bool:
        """Whether ``count`` arguments are a valid call."""
        return len(self.parameters) - self.optional <= count <= len(self.parameters)

    def describe(self, arguments: Sequence[str]) -> str:
        """The figure in words, for the given arguments."""
        full = len(arguments) == len(self.parameters)
        return (self.describe_full if full or not self.describe_short else self.describe_short).format(*arguments)


#: Every kind of figure, by name.
FIGURES: dict[str, Figure] = {
    figure.name: figure
    for figure in (
        Figure(
            "separation_share",
            (COUNTRY,),
            SHARE,
            separation_share,
            "share of all refiners' feed (t REO) separated at refiners in {0}",
        ),
        Figure(
            "separated_t",
            (REFINER, PRODUCT),
            TONNES,
            separated_t,
            "{1} produced at {0}, t oxide",
            "separated oxide produced at {0}, all products, t oxide",
            optional=1,
        ),
        Figure(
            "ore_t",
            (ORIGIN_COUNTRY, REFINER_COUNTRY),
            TONNES,
            ore_t,
            "ore from origins in {0} to refiners in {1}, t REO",
        ),
        Figure(
            "mined_ore_used_share",
            (),
            SHARE,
            mined_ore_used_share,
            "share of the finite ore supply used (ore used / supply_t)",
        ),
        Figure(
            "price",
            (MARKET, PRODUCT),
            USD_PER_T,
            price,
            "price of {1} in market {0}, USD/t oxide",
            check=_demand_row,
        ),
    )
}


# --------------------------------------------------------------------------------------
# observed.csv
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One row of an observed-figures file: the figure (``kind`` and its ``arguments``), the
    observed ``value`` in ``unit``, the band ``low``..``high`` the model's figure must lie in
    (from ``tolerance``, relative, or given; ``-inf``/``inf`` where unbounded), the
    ``source``, and where the row was read (``file``, ``line``)."""

    figure: str
    kind: str
    arguments: tuple[str, ...]
    value: float
    unit: str
    low: float
    high: float
    tolerance: float | None
    source: str
    file: str
    line: int

    @property
    def definition(self) -> Figure:
        return FIGURES[self.kind]

    def function(self) -> Callable[[Result], float]:
        """The figure as a function of a Result."""
        definition, arguments = self.definition, self.arguments
        return lambda result: definition.compute(result, *arguments)

    def within(self, model: float) -> bool:
        """Whether ``model`` lies in the band (NaN never does)."""
        if math.isnan(model):
            return False
        low_ok = model >= self.low - _BOUND_SLACK * max(1.0, abs(self.low))
        high_ok = model <= self.high + _BOUND_SLACK * max(1.0, abs(self.high))
        return bool(low_ok and high_ok)


#: The columns of an observed-figures file; other columns (a note) are ignored.
OBSERVED_SPEC = TableSpec(
    "observed",
    (
        Column("figure", ID),
        Column("value", NUMBER),
        Column("unit", ID),
        Column("tolerance", NUMBER, optional=True, minimum_exclusive=True, maximum=1.0),
        Column("low", NUMBER, optional=True),
        Column("high", NUMBER, optional=True),
        Column("source", ID),
    ),
    key=("figure",),
)


def observed_path(dataset: str | Path) -> Path:
    """Where a dataset folder keeps its observed figures."""
    return Path(dataset) / OBSERVED_FILE


def load_observed(path: str | Path) -> list[Observation]:
    """Read and check an observed-figures CSV file (:data:`OBSERVED_SPEC`'s columns).

    Raises :class:`~oreflow.model.errors.InputError` listing every problem, each naming the
    file, line and column, the bad value and what was expected: a missing column, a cell
    that is not a number, an unknown figure (the known ones listed), a wrong number of
    arguments, a unit other than the figure's, a row with both or neither of a tolerance
    and low/high bounds, a band not holding its value, a figure given twice.
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InputError(Problem(label, None, None, None, "a CSV file of observed figures", "file_present"))
    spec = dataclasses.replace(OBSERVED_SPEC, name=path.name.removesuffix(".csv"))
    if spec.file != path.name:
        raise InputError(Problem(label, None, None, None, "a .csv file of observed figures", "file_present"))
    table, found = read_csv_table(path.parent, spec)
    return _observations(table, [dataclasses.replace(p, file=label) for p in found], label)


def load_observed_sheet(book: str | Path) -> list[Observation] | None:
    """The observed figures of a workbook dataset's ``observed`` sheet (None without one),
    checked as :func:`load_observed` checks a file; problems name the sheet and row."""
    from oreflow.model.workbook import read_sheet_table, read_workbook, sheet_label

    sheets = read_workbook(book)
    if OBSERVED_SPEC.name not in sheets.cells:
        return None
    table, found, _ = read_sheet_table(sheets, OBSERVED_SPEC)
    return _observations(table, found, sheet_label(Path(book), OBSERVED_SPEC.name))


def _observations(table: pd.DataFrame | None, problems: list[Problem], label: str) -> list[Observation]:
    """The checked observations of a typed table of observed figures (``problems``: its typing's)."""
    observations: list[Observation] = []
    if table is not None:
        seen: dict[str, int] = {}
        for row in _rows(table):
            observation, row_problems = _observation(row, label, seen)
            problems += row_problems
            if observation is not None:
                observations.append(observation)
        if table.empty:
            problems.append(Problem(label, None, None, None, "at least one observed figure", "rows_present"))
    if problems:
        raise InputError(problems, heading=f"invalid observed figures {label}")
    return observations


@dataclass(frozen=True)
class _Row:
    """One typed row of the file (``bad``: a cell failed typing, already reported)."""

    line: int
    bad: bool
    figure: str
    value: float
    unit: str
    tolerance: float
    low: float
    high: float
    source: str


def _rows(table: pd.DataFrame) -> list[_Row]:
    columns = [LINE, BAD, "figure", "value", "unit", "tolerance", "low", "high", "source"]
    return [
        _Row(int(line), bool(bad), str(figure), float(value), str(unit), float(tol), float(low), float(high), str(src))
        for line, bad, figure, value, unit, tol, low, high, src in zip(*(table[c].tolist() for c in columns))
    ]


def _observation(row: _Row, label: str, seen: dict[str, int]) -> tuple[Observation | None, list[Problem]]:
    """The row as an Observation, or None with its problems (none repeated from typing)."""
    problems: list[Problem] = []

    def problem(column: str, value: object, expected: str, rule: str) -> None:
        problems.append(Problem(label, row.line, column, str(value), expected, rule))

    text = row.figure
    kind, *arguments = [part.strip() for part in text.split(":")] if text else [""]
    figure = FIGURES.get(kind)
    if text and figure is None:
        known = ", ".join(f.signature for f in FIGURES.values())
        problem("figure", text, f"a known figure: {known}", "figure_name")
    elif figure is not None and (not figure.accepts(len(arguments)) or not all(arguments)):
        problem("figure", text, f"{figure.signature} (arguments separated by ':')", "figure_arguments")
    elif text in seen:
        problem("figure", text, f"each figure once (it is also on line {seen[text]})", "figure_unique")
    if text:
        seen.setdefault(text, row.line)
    if figure is not None and row.unit and row.unit != figure.unit:
        problem("unit", row.unit, f"{figure.unit!r}, the unit of {figure.name}", "unit")
    if row.bad or problems or figure is None:
        return None, problems
    value, tolerance, low, high = row.value, row.tolerance, row.low, row.high
    bounded = not (math.isnan(low) and math.isnan(high))
    if not math.isnan(tolerance) and bounded:
        problem("tolerance", f"{tolerance:g}", "either a relative tolerance or low/high bounds, not both", "band")
    elif math.isnan(tolerance) and not bounded:
        problem("tolerance", "", "a relative tolerance (0.3 for ±30 %) or a low and/or high bound", "band")
    if figure.unit == SHARE:
        for column, number in (("value", value), ("low", low), ("high", high)):
            if number > 1:
                problem(column, f"{number:g}", "a share between 0 and 1", "share")
    if problems:
        return None, problems
    if not math.isnan(tolerance):
        low, high = value * (1 - tolerance), value * (1 + tolerance)
    else:
        low = -math.inf if math.isnan(low) else low
        high = math.inf if math.isnan(high) else high
        if low > high:
            problem("low", f"{low:g}", f"a bound <= high ({high:g})", "band")
        elif not low <= value <= high:
            problem("value", f"{value:g}", f"a value within its band low..high ({low:g}..{high:g})", "band")
    if problems:
        return None, problems
    observation = Observation(
        figure=text,
        kind=kind,
        arguments=tuple(arguments),
        value=value,
        unit=figure.unit,
        low=low,
        high=high,
        tolerance=None if math.isnan(tolerance) else tolerance,
        source=row.source,
        file=label,
        line=row.line,
    )
    return observation, []


# --------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------


def observed_for(network: Network) -> list[Observation] | None:
    """The observed figures of ``network``'s dataset folder (observed.csv) or workbook (its
    ``observed`` sheet), read and checked (an InputError naming the file's lines or the sheet's
    rows when bad); None when the network was not read from a dataset or it has none.
    ``oreflow run`` calls it before solving and writes the comparison as calibration.csv; a
    figure that names what the dataset does not have (e.g. a demand row a user removed) does
    not stop the run: it is reported there as not computable (``calibrate(..., strict=False)``)."""
    if network.source is None:
        return None
    if network.source.suffix.lower() == ".xlsx":  # a workbook dataset: its observed sheet
        return load_observed_sheet(network.source)
    if not observed_path(network.source).is_file():
        return None
    return load_observed(observed_path(network.source))


def check_against(network: Network, observed: Sequence[Observation]) -> list[Problem]:
    """The problems of figures whose arguments the dataset does not have (a refiner, market,
    product or country it does not name; a price with no demand row)."""
    problems = []
    for observation in observed:
        definition = observation.definition
        expected = [
            f"{parameter.what} of the dataset for {parameter.placeholder} ({', '.join(sorted(known))})"
            for parameter, argument in zip(definition.parameters, observation.arguments)
            if argument not in (known := parameter.known(network))
        ]
        if not expected and definition.check is not None:
            expected = [text for text in [definition.check(network, observation.arguments)] if text]
        problems += [
            Problem(observation.file, observation.line, "figure", observation.figure, text, "figure_argument")
            for text in expected
        ]
    return problems


def held_by(result: Result, observation: Observation) -> str:
    """The binding contracts (a minimum or a maximum with a non-zero price) on the flows a figure
    measures, joined by "; ": a figure they hold is an input of the model, not a result of it
    (the MP-Shenghe offtake holds US ore to China). Ore figures (``ore_t``) by the contracts'
    origin and refiner countries; refiner figures (``separated_t``) by their refiner."""
    table = result.shadow_prices.get(CONTRACT)
    if table is None or not len(table) or result.network is None:
        return ""
    held = table.loc[table["binding"].astype(bool) & (table["shadow_price"] != 0)]
    held = held.loc[held["stage"] == "ore"]
    kind, arguments = observation.kind, observation.arguments
    if kind == "ore_t":
        origin = held["from"].map(result.network.origins.set_index("origin")["country"])
        refiner = held["to"].map(result.network.refiners.set_index("refiner")["country"])
        held = held.loc[(origin == arguments[0]).to_numpy() & (refiner == arguments[1]).to_numpy()]
    elif kind == "separated_t":
        held = held.loc[held["to"] == arguments[0]]
    else:
        return ""
    return "; ".join(dict.fromkeys(held[FAMILIES_BY_NAME[CONTRACT].keys[0]].astype(str)))


def calibrate(result: Result, observed: Sequence[Observation], *, strict: bool = True) -> pd.DataFrame:
    """Each observed figure against the model's: one row per observation, columns
    :data:`CALIBRATION_COLUMNS` (``model`` NaN where the result cannot give the figure;
    ``relative_error`` = (model - observed) / observed, NaN when observed is 0; ``within``:
    low <= model <= high).

    Raises :class:`~oreflow.model.errors.InputError` (naming the observed file's lines) when
    a figure names what the result's dataset does not have; with ``strict=False`` such a
    figure is a row with ``model`` NaN (not within), its description saying why.
    """
    missing: dict[int, str] = {}
    if result.network is not None:
        for position, observation in enumerate(observed):
            problems = check_against(result.network, [observation])
            if problems and strict:
                raise InputError(
                    check_against(result.network, observed), heading="observed figures the dataset does not have"
                )
            if problems:
                missing[position] = "; ".join(p.expected for p in problems)
    rows = []
    for position, observation in enumerate(observed):
        try:
            model = math.nan if position in missing else observation.function()(result)
        except FigureUndefined:
            model = math.nan
        value = observation.value
        rows.append(
            {
                "figure": observation.figure,
                "description": (
                    f"not computable for this dataset: expected {missing[position]}"
                    if position in missing
                    else observation.definition.describe(observation.arguments)
                ),
                "unit": observation.unit,
                "observed": value,
                "model": model,
                "relative_error": (model - value) / value if value != 0 else math.nan,
                "low": observation.low,
                "high": observation.high,
                "within": observation.within(model),
                "source": observation.source,
                "held_by": "" if position in missing else held_by(result, observation),
            }
        )
    frame = pd.DataFrame(rows, columns=list(CALIBRATION_COLUMNS))
    frame["within"] = frame["within"].astype(bool)
    return frame


# --------------------------------------------------------------------------------------
# For people
# --------------------------------------------------------------------------------------


def _number(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.4f}" if unit == SHARE else f"{value:,.0f}"


def _band(low: float, high: float, unit: str) -> str:
    if math.isinf(low) and math.isinf(high):
        return "any"
    if math.isinf(high):
        return f">= {_number(low, unit)}"
    if math.isinf(low):
        return f"<= {_number(high, unit)}"
    return f"{_number(low, unit)} .. {_number(high, unit)}"


def calibration_line(frame: pd.DataFrame) -> str:
    """One line for a run's printed summary: how many observed figures are within tolerance,
    naming those that are not."""
    within = frame["within"].astype(bool)
    line = f"Calibration: {int(within.sum())} of {len(frame)} observed figures within tolerance ({CALIBRATION_TABLE})"
    missed = frame.loc[~within, "figure"].astype(str).tolist()
    return line + (f"; outside: {', '.join(missed)}" if missed else "")


def table_text(frame: pd.DataFrame) -> str:
    """The output of :func:`calibrate` as a plain-text table: figure, unit, model, observed,
    the band, the relative error and ``ok`` or ``MISS``; then how many are within."""
    header = ("figure", "unit", "model", "observed", "band", "error", "within")
    lines = [
        (
            str(row.figure),
            str(row.unit),
            _number(row.model, row.unit),
            _number(row.observed, row.unit),
            _band(row.low, row.high, row.unit),
            "n/a" if math.isnan(row.relative_error) else f"{row.relative_error:+.1%}",
            "ok" if row.within else "MISS",
        )
        for row in frame.itertuples(index=False)
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    right = {2, 3, 5}  # numbers align right

    def render(cells: tuple[str, ...]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    within = int(frame["within"].sum())
    out = [render(header), render(tuple("-" * w for w in widths)), *map(render, lines)]
    out.append(f"{within} of {len(frame)} figure(s) within tolerance")
    held = [f"{f} ({h})" for f, h in zip(frame["figure"], frame.get("held_by", [""] * len(frame))) if h]
    if held:
        out.append("held by a binding contract (an input of the model, not a result): " + ", ".join(held))
    return "\n".join(out)
