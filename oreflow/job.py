"""Job files: a TOML file naming a dataset, a backend, solver options and an output folder.

Example (``inputs/baseline.toml``)::

    name = "baseline"
    dataset = "rare_earths_2024"          # folder of CSV files, relative to this file
    output = "../outputs/baseline"         # relative to this file; --out overrides
    backend = "highs"                      # or "pyomo"
    unmet_penalty_usd_per_t = 1e7

    [solver_options]                       # passed to HiGHS (or the Pyomo solver)
    time_limit = 60

Every key and its default is declared once, in :class:`Job`; an unknown key is an error
that names it.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from oreflow.model.errors import InputError, Problem
from oreflow.model.families import BLOCKS, DEFAULT_PRICES, FAMILIES_BY_NAME
from oreflow.model.market import (
    DEFAULT_DEMAND_STEPS,
    DEFAULT_PENALTY_MULTIPLE,
    DEFAULT_PRICE_CAP_MULTIPLE,
    DEFAULT_PRICE_FLOOR_MULTIPLE,
    MarketOptions,
)
from oreflow.model.plan import Horizon
from oreflow.model.reading import number_text
from oreflow.model.tables import DEFAULT_UNMET_PENALTY_USD_PER_T, NUMBER_LIMIT
from oreflow.model.workbook import is_workbook


class Change(BaseModel):
    """One change of a scenario, applied to the dataset's tables in order.

    - ``set``: ``column`` := ``value`` on the rows ``where`` selects;
    - ``scale``: ``column`` *= ``factor`` on the rows ``where`` selects (a number column);
    - ``add``: append ``rows`` (each a mapping column -> value) to ``table``;
    - ``remove``: drop the rows ``where`` selects.

    ``where`` maps a column of ``table`` to a value or a list of values (a row matches
    when every listed column equals one of its values), e.g. ``{country = "CN"}`` or
    ``{refiner = ["CN_Baotou", "CN_Ganzhou_CREG"]}``; empty selects every row.

    In a job with a ``[horizon]`` a change applies to every year's tables after the year's
    paths (``paths.csv``), or with ``years`` only in the periods containing those years
    (a disruption: ``years = [2028]``); changes of ``builds``, ``build_limits`` and
    ``stockpiles`` apply once (docs/formulation.md, "Scenarios, sweeps and stress tests of a plan").
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["set", "scale", "add", "remove"]
    table: str
    where: dict[str, str | float | list[str | float]] = Field(default_factory=dict)
    column: str | None = None
    value: float | str | None = None
    factor: float | None = Field(None, allow_inf_nan=False)
    rows: list[dict[str, float | str]] = Field(default_factory=list)
    years: list[int] = Field(
        default_factory=list,
        description="Plans only: the years (each selects the period containing it) the change applies in; "
        "empty: every year.",
    )

    @model_validator(mode="after")
    def _fields_of_action(self) -> Change:
        needs = {"set": ("column", "value"), "scale": ("column", "factor"), "add": ("rows",), "remove": ()}
        allowed = {
            "set": {"where", "column", "value"},
            "scale": {"where", "column", "factor"},
            "add": {"rows"},
            "remove": {"where"},
        }
        missing = [name for name in needs[self.action] if getattr(self, name) in (None, [])]
        if missing:
            raise ValueError(f"action {self.action!r} needs {' and '.join(missing)}")
        extra = sorted(self.model_fields_set - allowed[self.action] - {"action", "table", "years"})
        if extra:
            raise ValueError(f"action {self.action!r} does not use {', '.join(extra)}")
        if self.action == "scale" and self.factor is not None and self.factor < 0:
            raise ValueError("factor must be >= 0")
        return self

    def describe(self) -> str:
        """One line, e.g. ``scale refiners.processing_cost_usd_per_t x 1.5 where country=CN``."""
        where = " where " + ", ".join(f"{k}={v}" for k, v in self.where.items()) if self.where else ""
        where += f" in {', '.join(str(y) for y in self.years)}" if self.years else ""
        if self.action == "set":
            return f"set {self.table}.{self.column} = {self.value}{where}"
        if self.action == "scale":
            return f"scale {self.table}.{self.column} x {self.factor:g}{where}"
        if self.action == "add":
            return f"add {len(self.rows)} row(s) to {self.table}{where}"
        return f"remove rows of {self.table}{where}"


class Scenario(BaseModel):
    """A named list of changes on top of the job's dataset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Also the scenario's output folder name.")
    description: str = ""
    changes: list[Change] = Field(min_length=1)


def _known_family(name: str) -> str:
    if name not in FAMILIES_BY_NAME:
        raise ValueError(f"one of {', '.join(repr(f) for f in FAMILIES_BY_NAME)}")
    return name


#: A constraint family whose shadow prices a sweep or stress test can record (any family
#: of the registry, :mod:`oreflow.model.families`).
PriceFamily = Annotated[str, AfterValidator(_known_family)]


def _known_flows(name: str) -> str:
    kinds = [b.flows[0] for b in BLOCKS if b.flows is not None]
    if name not in kinds:
        raise ValueError(f"one of {', '.join(repr(k) for k in kinds)}")
    return name


#: Per-column flows a sweep can record (the registry's blocks with ``flows``).
FlowKind = Annotated[str, AfterValidator(_known_flows)]


#: A number that must be finite (a solver option: HiGHS takes a NaN tolerance without a word).
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class Range(BaseModel):
    """``num`` evenly spaced values from ``start`` to ``stop``, both included."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: float = Field(allow_inf_nan=False)
    stop: float = Field(allow_inf_nan=False)
    num: int = Field(ge=2, le=1_000_000)


class Distribution(BaseModel):
    """A Monte Carlo distribution of one parameter (numpy's generator, seeded by the sweep).

    - ``uniform``: ``low``, ``high``;
    - ``normal``: ``mean``, ``sd``;
    - ``lognormal``: ``mean``, ``sigma`` of the underlying normal (the value is exp of it);
    - ``triangular``: ``low``, ``mode``, ``high``;
    - ``choice``: one of ``values``, equally likely.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["uniform", "normal", "lognormal", "triangular", "choice"]
    low: float | None = Field(None, allow_inf_nan=False)
    high: float | None = Field(None, allow_inf_nan=False)
    mean: float | None = Field(None, allow_inf_nan=False)
    sd: float | None = Field(None, ge=0, allow_inf_nan=False)
    sigma: float | None = Field(None, ge=0, allow_inf_nan=False)
    mode: float | None = Field(None, allow_inf_nan=False)
    values: list[float] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Distribution:
        needs = {
            "uniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "lognormal": ("mean", "sigma"),
            "triangular": ("low", "mode", "high"),
            "choice": ("values",),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) in (None, [])]
        if missing:
            raise ValueError(f"distribution {self.kind!r} needs {' and '.join(missing)}")
        extra = sorted(self.model_fields_set - set(needs) - {"kind"})
        if extra:
            raise ValueError(f"distribution {self.kind!r} does not use {', '.join(extra)}")
        if self.kind in ("uniform", "triangular"):
            low, high = self.low, self.high  # both given (checked above)
            mode = self.mode if self.mode is not None else low
            if low is None or high is None or mode is None or not low <= mode <= high:
                raise ValueError("needs low <= mode <= high" if self.kind == "triangular" else "needs low <= high")
        return self


class SweepParameter(BaseModel):
    """One swept input: ``column`` of the ``table`` rows that ``where`` selects, set to
    each value (``action = "set"``) or multiplied by it (``"scale"``, the default).

    A grid gives ``values`` or a ``range``; a Monte Carlo sample gives a ``distribution``.

    In a job with a ``[horizon]``: ``years`` limits the change to the periods containing
    those years; with ``draws = "year"`` the parameter's values are years instead: the
    change (its ``factor``, or ``value`` for ``set``, given here) applies in the period
    containing the year drawn (a disruption whose timing is uncertain).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Column param.<name> of the output.")
    table: str
    where: dict[str, str | float | list[str | float]] = Field(default_factory=dict)
    column: str
    action: Literal["set", "scale"] = "scale"
    values: list[float] = Field(default_factory=list)
    range: Range | None = None
    distribution: Distribution | None = None
    unit: str = Field("", description="Unit of the value, for tables and charts (e.g. 't', 'USD/t').")
    years: list[int] = Field(
        default_factory=list, description="Plans only: the years the change applies in; empty: every year."
    )
    draws: Literal["value", "year"] = Field(
        "value",
        description="Plans only: 'year': the values are years; the change (factor or value) applies in "
        "the period containing each.",
    )
    factor: float | None = Field(None, ge=0, allow_inf_nan=False, description='With draws = "year": the scale factor.')
    value: float | None = Field(None, allow_inf_nan=False, description='With draws = "year": the value set.')

    @model_validator(mode="after")
    def _one_source(self) -> SweepParameter:
        given = [name for name in ("values", "range", "distribution") if name in self.model_fields_set]
        if len(given) != 1:
            raise ValueError("give exactly one of values, range (grid) or distribution (monte_carlo)")
        if "values" in self.model_fields_set and not self.values:
            raise ValueError("values must list at least one number")
        if not all(math.isfinite(v) for v in self.grid_values()):
            raise ValueError("values must be finite numbers (a range's values too)")
        if self.draws == "year":
            needed = "factor" if self.action == "scale" else "value"
            if getattr(self, needed) is None:
                raise ValueError(f'draws = "year" with action {self.action!r} needs {needed} (what happens that year)')
            if self.years:
                raise ValueError('draws = "year" draws the year: give no years')
        elif self.factor is not None or self.value is not None:
            raise ValueError('factor and value are for draws = "year" (otherwise the values are the factor or value)')
        if (
            self.action == "scale"
            and self.draws == "value"
            and self.distribution is None
            and min(self.grid_values()) < 0
        ):
            raise ValueError('a scale factor must be >= 0 (to set a value, use action = "set")')
        return self

    def grid_values(self) -> list[float]:
        """The values of a grid parameter, in order."""
        if self.range is not None:
            r = self.range
            return [r.start + (r.stop - r.start) * k / (r.num - 1) for k in range(r.num)]
        return list(self.values)

    def change(self, value: float) -> Change:
        """The scenario change this parameter makes at ``value``.

        Not validated as a Change: a Monte Carlo draw may scale a column below zero, which
        makes that point invalid (recorded with the rule it breaks), not the sweep.
        """
        years, amount = list(self.years), value
        if self.draws == "year":
            # the drawn year (a draw between years counts as its floor; one that is not a finite
            # number as year 0, outside every horizon: the point is invalid, named so)
            years = [math.floor(value) if math.isfinite(value) else 0]
            amount = (self.factor if self.action == "scale" else self.value) or 0.0
        if self.action == "scale":
            return Change.model_construct(
                action="scale", table=self.table, where=self.where, column=self.column, factor=amount, years=years
            )
        return Change.model_construct(
            action="set", table=self.table, where=self.where, column=self.column, value=amount, years=years
        )


class Sweep(BaseModel):
    """``[sweep]``: a grid (every combination of the parameters' values) or a seeded Monte
    Carlo sample, each point solved; see docs/sensitivity.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["grid", "monte_carlo"] = "grid"
    samples: int | None = Field(None, ge=1, le=10_000_000, description="Monte Carlo: number of points.")
    seed: int = Field(0, description="Monte Carlo: seed of the random generator.")
    base_changes: list[Change] = Field(
        default_factory=list, description="Changes applied to the dataset once, before every point's own."
    )
    parameters: list[SweepParameter] = Field(min_length=1)
    prices: list[PriceFamily] = Field(
        default_factory=lambda: list(DEFAULT_PRICES),
        description="Shadow-price families recorded per point (columns price.<family>.<key>).",
    )
    flows: list[FlowKind] = Field(
        default_factory=list,
        description="Per-route flows recorded per point: flow_t.<origin>/<refiner> (t REO), "
        "ship_t.<refiner>/<market>/<product> (t); flows by country are always recorded.",
    )
    price_trust: bool = Field(
        False,
        description="Range every point's basis and record whether each price is unique "
        "(columns unique.<family>.<key>); costs a ranging per point.",
    )
    output: Path | None = Field(None, description="Output folder, relative to the job file; default <output>-sweep.")

    @model_validator(mode="after")
    def _consistent(self) -> Sweep:
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError("parameter names must be unique")
        if self.mode == "grid":
            if self.samples is not None:
                raise ValueError("samples is for mode 'monte_carlo'")
            if any(p.distribution is not None for p in self.parameters):
                raise ValueError("a grid needs values or range on every parameter, not distribution")
        else:
            if self.samples is None:
                raise ValueError("mode 'monte_carlo' needs samples")
            if any(p.distribution is None for p in self.parameters):
                raise ValueError("mode 'monte_carlo' needs a distribution on every parameter")
        return self


class Stress(BaseModel):
    """``[stress]``: the N-1 disruptions of ``oreflow stress`` (each listed kind removed in turn)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    origins: bool = Field(True, description="Each origin's supply to zero.")
    refiners: bool = Field(True, description="Each refiner's capacity to zero.")
    ore_route_groups: bool = Field(True, description="All ore from one origin country to one refining country banned.")
    product_route_groups: bool = Field(
        True, description="All products from one refining country to one market country banned."
    )
    prices: list[PriceFamily] = Field(
        default_factory=lambda: list(DEFAULT_PRICES), description="Shadow-price families compared with the base case."
    )
    top_prices: int = Field(10, ge=1, description="Price moves listed per disruption.")
    years: list[int] = Field(
        default_factory=list,
        description="Plans only: the years (each selects its period) a disruption lasts; empty: every year.",
    )
    output: Path | None = Field(None, description="Output folder, relative to the job file; default <output>-stress.")


class Execution(BaseModel):
    """``[execution]``: where sweep and stress points run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workers: int | None = Field(None, ge=1, description="Local worker processes; default one per core.")
    scheduler: str | None = Field(
        None, description="Address of a Dask distributed scheduler (needs `pip install oreflow[dask]`)."
    )
    chunk_size: int = Field(25, ge=1, description="Points per task; each task re-solves its points in order.")


class HorizonSpec(BaseModel):
    """``[horizon]``: plan over several years (docs/formulation.md, "Planning over years")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    years: list[int] = Field(min_length=1, description="The first year of each period, ascending.")
    period_years: list[int] | None = Field(
        None, description="Years each period represents; default: to the next year (the last as the one before)."
    )
    discount_rate: float = Field(0.0, ge=0, lt=1, allow_inf_nan=False, description="Real discount rate per year.")
    base_year: int | None = Field(None, description="Year of present values; default the first year.")

    @model_validator(mode="after")
    def _valid(self) -> HorizonSpec:
        self.horizon()  # raises ValueError naming what is wrong
        return self

    def horizon(self) -> Horizon:
        """The model's Horizon."""
        return Horizon.of(self.years, self.period_years, self.discount_rate, self.base_year)


class Job(BaseModel):
    """A job file's content. Paths are relative to the job file's folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, description="Run name; defaults to the job file's stem.")
    description: str = Field("", description="Free text, copied into summary.json.")
    dataset: Path = Field(
        description="Folder of CSV files, or one .xlsx workbook with a sheet per table, relative to the job file."
    )
    output: Path | None = Field(
        None, description="Output folder, relative to the job file; default outputs/<name> beside the job file."
    )
    backend: Literal["highs", "pyomo"] = Field("highs", description="'highs' (highspy direct) or 'pyomo'.")
    solver: str | None = Field(
        None, description="Pyomo solver name for backend 'pyomo' (default 'highs'); not used by 'highs'."
    )
    solver_options: dict[str, bool | int | FiniteFloat | str] = Field(
        default_factory=dict, description="Options passed to the solver unchanged."
    )
    unmet_penalty_usd_per_t: float = Field(
        DEFAULT_UNMET_PENALTY_USD_PER_T,
        gt=0,
        lt=NUMBER_LIMIT,
        allow_inf_nan=False,
        description="Cost of a tonne of unmet demand where demand.csv gives neither a penalty nor a reference "
        "price (USD/t).",
    )
    demand_form: Literal["steps", "linear", "linear_steps"] = Field(
        "steps",
        description="How demand curves (demand.csv reference_price_usd_per_t + elasticity) enter: 'steps' "
        "(constant elasticity by steps, an LP), 'linear' (the linear curve with the same slope at the reference "
        "point, an exact QP: no ranging), 'linear_steps' (that linear curve by steps).",
    )
    demand_steps: int = Field(
        DEFAULT_DEMAND_STEPS, ge=2, le=10_000, description="Steps per demand curve (the steps forms)."
    )
    price_cap_multiple: float = Field(
        DEFAULT_PRICE_CAP_MULTIPLE,
        gt=1,
        lt=1e6,
        allow_inf_nan=False,
        description="Highest price of a constant-elasticity demand curve, x its reference price.",
    )
    price_floor_multiple: float = Field(
        DEFAULT_PRICE_FLOOR_MULTIPLE,
        gt=0,
        lt=1,
        allow_inf_nan=False,
        description="Lowest price of a constant-elasticity demand curve, x its reference price (no buyer below).",
    )
    penalty_multiple: float = Field(
        DEFAULT_PENALTY_MULTIPLE,
        gt=0,
        lt=1e6,
        allow_inf_nan=False,
        description="Unmet penalty of a fixed demand with a reference price (and no penalty of its own), "
        "x that price (USD/t).",
    )
    ranging: bool = Field(
        True,
        description="Range the optimal basis: ranging_costs.csv, ranging_rhs.csv and where each price holds "
        "(about 9 % of the solve at 1e5 variables); false skips it.",
    )
    report_png: bool = Field(
        False,
        description="Also draw report_<chart>.png for documents on every run (matplotlib, about 0.5 s); "
        "`oreflow report DIR` draws them on demand.",
    )
    results_xlsx: bool = Field(
        False,
        description="Also write results.xlsx beside the CSV tables: one sheet per table, units in the headers, "
        "a summary sheet first (`oreflow report DIR --xlsx` writes it on demand).",
    )
    store: Path | bool = Field(
        True,
        description="The store of every run (DuckDB): true for outputs/runs.duckdb beside the job's outputs "
        "(the parent of its output folder), a path (relative to the job file) for another, false for none.",
    )
    scenarios: list[Scenario] = Field(
        default_factory=list, description="Named scenarios, each run and compared with the base case."
    )
    horizon: HorizonSpec | None = Field(
        None,
        description="Plan over several years: `oreflow run` solves them in one LP with the dataset's paths.csv, "
        "builds.csv, build_limits.csv and stockpiles.csv.",
    )
    sweep: Sweep | None = Field(None, description="The sweep of `oreflow sweep` (docs/sensitivity.md).")
    stress: Stress = Field(default_factory=Stress, description="Options of `oreflow stress` (docs/sensitivity.md).")
    execution: Execution = Field(default_factory=Execution, description="Where sweep and stress points run.")

    @model_validator(mode="after")
    def _unique_scenario_names(self) -> Job:
        clashes = scenario_name_clashes([s.name for s in self.scenarios])
        if clashes:
            raise ValueError(
                "; ".join(f"scenario {self.scenarios[i].name!r}: {expected}" for i, _, expected in clashes)
            )
        return self

    @model_validator(mode="after")
    def _years_need_a_horizon(self) -> Job:
        if self.horizon is not None:
            return self
        timed = [
            f"scenario {s.name!r}, change {k}" for s in self.scenarios for k, c in enumerate(s.changes, 1) if c.years
        ]
        if self.sweep is not None:
            timed += [f"sweep base change {k}" for k, c in enumerate(self.sweep.base_changes, 1) if c.years]
            timed += [f"sweep parameter {p.name!r}" for p in self.sweep.parameters if p.years or p.draws == "year"]
        if self.stress.years:
            timed.append("[stress] years")
        if timed:
            raise ValueError(
                f'years (and draws = "year") apply to jobs with a [horizon] only; found in {", ".join(timed)}'
            )
        return self


#: Names a scenario cannot take: what a batch output folder holds besides the scenarios.
RESERVED_SCENARIO_NAMES = ("base", "comparison.csv", "summary.json")


def scenario_name_clashes(names: list[str]) -> list[tuple[int, int | None, str]]:
    """(position, position of the earlier scenario with that name or None, what was expected)
    for each scenario whose name repeats an earlier one, ignoring case (they are folder names,
    unique on any file system), or is reserved."""
    clashes: list[tuple[int, int | None, str]] = []
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        folded = name.lower()
        if folded in RESERVED_SCENARIO_NAMES:
            clashes.append((i, None, f"a scenario name other than {', '.join(RESERVED_SCENARIO_NAMES)}"))
        elif folded in first:
            clashes.append((i, first[folded], "a unique scenario name (ignoring case: it names a folder)"))
        else:
            first[folded] = i
    return clashes


def market_options(job: Job) -> MarketOptions:
    """How ``job`` represents demand (the LP's market options)."""
    return MarketOptions(
        unmet_penalty_usd_per_t=job.unmet_penalty_usd_per_t,
        demand_form=job.demand_form,
        demand_steps=job.demand_steps,
        price_cap_multiple=job.price_cap_multiple,
        price_floor_multiple=job.price_floor_multiple,
        penalty_multiple=job.penalty_multiple,
    )


class JobFile(BaseModel):
    """A job together with where it was read from (paths resolved)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: Path
    job: Job
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return self.job.name or self.path.stem

    @property
    def dataset(self) -> Path:
        return (self.path.parent / self.job.dataset).resolve()

    @property
    def output(self) -> Path:
        if self.job.output is not None:
            return (self.path.parent / self.job.output).resolve()
        return (self.path.parent / "outputs" / self.name).resolve()

    def output_of(self, command: str) -> Path:
        """Output folder of ``oreflow sweep`` / ``oreflow stress``: the section's ``output``,
        else the run's output folder with ``-sweep`` / ``-stress`` appended."""
        section = self.job.sweep if command == "sweep" else self.job.stress
        if section is not None and section.output is not None:
            return (self.path.parent / section.output).resolve()
        return self.output.with_name(f"{self.output.name}-{command}")


def load_job(path: str | Path) -> JobFile:
    """Read and check a job file; raises InputError naming the file, line and key."""
    path = Path(path)
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(Problem(label, None, None, None, "an existing job file (TOML)", "job_file")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(label, None, None, None, f"a readable UTF-8 job file ({exc})", "job_file")) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _line_of_error(str(exc))
        raise InputError(Problem(label, line, None, None, f"valid TOML ({exc})", "job_toml")) from None
    try:
        job = Job.model_validate(raw)
    except ValidationError as exc:
        raise InputError(_problems(label, text, raw, exc), heading=f"invalid job file {label}") from None
    job_file = JobFile(path=path.resolve(), job=job, raw=raw)
    if not (job_file.dataset.is_dir() or (is_workbook(job_file.dataset) and job_file.dataset.is_file())):
        raise InputError(
            Problem(
                label,
                _line_of_key(text, "dataset"),
                "dataset",
                str(job.dataset),
                f"a dataset folder or .xlsx workbook relative to the job file (looked for {job_file.dataset})",
                "job_dataset",
            )
        )
    return job_file


def _problems(label: str, text: str, raw: dict[str, Any], exc: ValidationError) -> list[Problem]:
    """One problem per offending key (pydantic reports a bad union value once per member)."""
    by_key: dict[str, list[ErrorDetails]] = {}
    for error in exc.errors():
        by_key.setdefault(_key_path(raw, error["loc"]), []).append(error)
    problems = []
    for key, errors in by_key.items():
        first = errors[0]
        if not key and isinstance(raw.get("scenarios"), list) and _scenario_names(raw):
            clashes = _name_problems(label, text, raw)
            if clashes:  # the Job's own check: name each clashing scenario, not the whole job
                problems += clashes
                continue
        line = line_of_path(text, key) if key else None
        scenario = _scenario_of(raw, key)
        if scenario is not None:
            name, place = scenario
            line = _line_of_value(text, "name", name) or line
            key = f"{key} (scenario {name!r}{place})"
        if first["type"] == "extra_forbidden":
            known = ", ".join(_section_of(first["loc"]).model_fields)
            expected, value = f"one of the known keys ({known})", key
        elif first["type"] == "missing":
            expected, value = f"a value for the required key {key!r}", None
        else:
            reasons = _either(list(dict.fromkeys(_expected(e) for e in errors)))
            expected, value = f"{reasons} for key {key!r}", repr(first.get("input"))
        problems.append(Problem(label, line, key, value, expected, "job_schema"))
    return problems


#: pydantic error type -> what was expected, in oreflow's words (``ctx`` fills the braces).
_EXPECTED = {
    "greater_than": "a number > {gt}",
    "greater_than_equal": "a number >= {ge}",
    "less_than": "a number below {lt}",
    "less_than_equal": "a number <= {le}",
    "finite_number": "a finite number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "a boolean (true or false)",
    "bool_parsing": "a boolean (true or false)",
    "string_type": "a string (in quotes)",
    "string_pattern_mismatch": "a string matching the pattern {pattern}",
    "literal_error": "{expected}",
    "too_short": "at least {min_length} item(s)",
    "too_long": "at most {max_length} item(s)",
    "list_type": "a list ([...])",
    "dict_type": "a table ({{...}} or a [section])",
    "model_type": "a table ({{...}} or a [section])",
    "model_attributes_type": "a table ({{...}} or a [section])",
}


def _expected(error: ErrorDetails) -> str:
    """What a pydantic error says was expected, phrased as oreflow's messages are ("a number > 0"),
    never lower-casing a pattern or a name. A validator's own ValueError is its text."""
    template = _EXPECTED.get(error["type"])
    if template is not None:
        ctx = {k: number_text(v) if isinstance(v, float) else v for k, v in error.get("ctx", {}).items()}
        try:
            return template.format(**ctx)
        except (KeyError, IndexError):
            pass
    message = error["msg"].removeprefix("Value error, ")
    message = re.sub(r"^(Input|Value|String|List|Dictionary|Object) should (be|have) ", "", message)
    return message[:1].lower() + message[1:] if message[1:2].islower() else message


def _either(choices: list[str]) -> str:
    """``a, b or c`` (what one value of a union may be)."""
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def _scenario_names(raw: dict[str, Any]) -> list[str]:
    """The scenarios' names as written (non-string names are reported by their own key)."""
    scenarios = raw.get("scenarios")
    if not isinstance(scenarios, list):
        return []
    return [str(s.get("name", "")) if isinstance(s, dict) else "" for s in scenarios]


def _name_problems(label: str, text: str, raw: dict[str, Any]) -> list[Problem]:
    """One problem per scenario whose name repeats an earlier one or is reserved, at its line."""
    names = _scenario_names(raw)
    problems = []
    for i, earlier, expected in scenario_name_clashes(names):
        line = _line_of_scenario_name(text, names, i)
        if earlier is not None:
            at = _line_of_scenario_name(text, names, earlier)
            where = f"on line {at}" if at else f"the name of scenario {earlier + 1}"
            expected += f"; {names[earlier]!r} is already {where}"
        problems.append(Problem(label, line, f"scenarios.{i}.name", names[i], expected, "job_schema"))
    return problems


def _line_of_scenario_name(text: str, names: list[str], i: int) -> int | None:
    """The line of the ``name`` of scenario ``i``: after its ``[[scenarios]]`` header, or else
    the n-th ``name = "..."`` line with that name (inline tables)."""
    lines = text.splitlines()
    headers = [n for n, line in enumerate(lines, start=1) if re.match(r"^\s*\[\[\s*scenarios\s*\]\]", line)]
    if len(headers) == len(names):
        return line_of_path(text, f"scenarios.{i}.name")
    start = _line_of_key(text, "scenarios") or 1  # scenarios = [ {name = "a", ...}, ... ]
    nth = names[:i].count(names[i])
    pattern = re.compile(rf"(^|[{{,\s])name\s*=\s*[\"']{re.escape(names[i])}[\"']")
    found = [n for n, line in enumerate(lines, start=1) if n >= start and pattern.search(line)]
    return found[nth] if nth < len(found) else None


def _section_of(loc: tuple[Any, ...]) -> type[BaseModel]:
    """The model (table of the job file) that holds the last key of ``loc``."""
    sections: dict[str, type[BaseModel]] = {
        "sweep": Sweep,
        "parameters": SweepParameter,
        "distribution": Distribution,
        "range": Range,
        "stress": Stress,
        "execution": Execution,
        "scenarios": Scenario,
        "changes": Change,
        "base_changes": Change,
    }
    names = [part for part in loc[:-1] if isinstance(part, str) and part in sections]
    return sections[names[-1]] if names else Job


def _key_path(raw: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """The dotted key of ``loc`` as written in the file (union-member suffixes dropped)."""
    parts: list[str] = []
    node: Any = raw
    for part in loc:
        if isinstance(node, dict) and part in node:
            parts.append(str(part))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            parts.append(str(part))
            node = node[part]
        else:
            break
    if not parts and loc:
        parts.append(str(loc[0]))
    return ".".join(parts)


def _scenario_of(raw: dict[str, Any], key: str) -> tuple[str, str] | None:
    """(scenario name, ", change N") for a key inside ``scenarios``, else None."""
    parts = key.split(".")
    if len(parts) < 2 or parts[0] != "scenarios" or not parts[1].isdigit():
        return None
    scenario = raw["scenarios"][int(parts[1])]
    name = str(scenario.get("name", f"#{int(parts[1]) + 1}")) if isinstance(scenario, dict) else f"#{parts[1]}"
    place = f", change {int(parts[3]) + 1}" if len(parts) > 3 and parts[2] == "changes" and parts[3].isdigit() else ""
    return name, place


def _line_of_value(text: str, key: str, value: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=\s*[\"']{re.escape(value)}[\"']")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line.strip()) or pattern.search(line):
            return number
    return None


def _line_of_key(text: str, key: str) -> int | None:
    # a "key = value" line or a "[key]" table header
    pattern = re.compile(rf"^\s*(\[\s*)?[\"']?{re.escape(key)}[\"']?\s*(=|\])")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def line_of_path(text: str, key: str) -> int | None:
    """The line of a dotted key; through an array of tables (``sweep.parameters.1.column``)
    by counting its ``[[sweep.parameters]]`` headers, then the key's line after that header."""
    parts = key.split(".")
    numbered = [i for i, part in enumerate(parts) if part.isdigit()]
    if not numbered:
        return _line_of_key(text, parts[-1])
    table = ".".join(parts[: numbered[0]])
    header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    starts = [n for n, line in enumerate(text.splitlines(), start=1) if header.match(line)]
    index = int(parts[numbered[0]])
    if index >= len(starts):
        return _line_of_key(text, parts[-1])
    rest = parts[numbered[0] + 1 :]
    if not rest:
        return starts[index]
    below = "\n".join(text.splitlines()[starts[index] :])
    found = _line_of_key(below, rest[0])
    return starts[index] + found if found is not None else starts[index]


def _line_of_error(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None
