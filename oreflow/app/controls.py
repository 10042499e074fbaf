"""The app's controls: what an analyst moves, each turned into scenario changes.

A control is a kind (:data:`KINDS`), the key fields that say what it acts on (a refiner, an
origin, two countries, ...) and a value. :func:`parse` checks a control sent by the page
(bad values are :class:`~oreflow.errors.InputError` problems named like bad data:
``control refiner_capacity``, the field, the value, what was expected) and
:func:`changes_of` turns it into :class:`oreflow.job.Change` entries on the base dataset's
tables: a set or scale of an existing column (re-solved in place; a voided contract's
minimum 0 and maximum none, as a stress test voids it), or an added policy row (a tariff,
ban, export quota or share limit: validated and built once, then moved in place while the
same rows stay). The values the changes produce are checked again by the
dataset's own rules when solved (a recovery above 1, a negative capacity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oreflow.errors import InputError, Problem
from oreflow.job import Change
from oreflow.model.families import BAN, CAPACITY, CONTRACT, DEMAND, FAMILIES_BY_NAME, QUOTA, SHARE_LIMIT, SUPPLY
from oreflow.model.network import Network
from oreflow.model.tables import NUMBER_LIMIT
from oreflow.sweep.stress import void_changes

#: The country whose processing cost and recovery the first two controls move.
CHINA = "CN"

ORIGINS = FAMILIES_BY_NAME[SUPPLY].table
REFINERS = FAMILIES_BY_NAME[CAPACITY].table
DEMAND_TABLE = FAMILIES_BY_NAME[DEMAND].table
BANS = FAMILIES_BY_NAME[BAN].table
QUOTAS = FAMILIES_BY_NAME[QUOTA].table
SHARES = FAMILIES_BY_NAME[SHARE_LIMIT].table
TARIFFS = "tariffs"
#: the column naming a quota (its first key)
QUOTA_NAME = FAMILIES_BY_NAME[QUOTA].keys[0]
CONTRACTS = FAMILIES_BY_NAME[CONTRACT].table
CONTRACT_NAME = FAMILIES_BY_NAME[CONTRACT].keys[0]
RECOVERIES = "recoveries"
STAGES = ("ore", "product")


@dataclass(frozen=True)
class Kind:
    """One kind of control: its key fields, its value's meaning and the slider's range."""

    name: str
    label: str
    keys: tuple[str, ...]
    value: str  # what the value is, with its unit
    low: float
    high: float
    step: float
    default: float
    #: the value may be any number >= 0 (the slider's range is a suggestion), else low..high
    open_above: bool = False
    #: for a control that is on or off (no value): what its button says
    action: str = ""
    #: it may add a policy row, which the page asks the server to get ready before it moves
    adds_rows: bool = False


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("cn_cost", "Chinese processing cost", (), "x the dataset's cost", 0.25, 3.0, 0.05, 1.0),
        Kind("cn_recovery", "Chinese recovery", (), "x the dataset's recovery", 0.5, 1.2, 0.01, 1.0),
        Kind("refiner_capacity", "A refiner's feed capacity", ("refiner",), "t REO per year", 0, 300000, 500, 0, True),
        Kind("origin_capacity", "An origin's capacity", ("origin",), "t REO per year", 0, 300000, 500, 0, True),
        Kind("origin_supply", "An origin's supply (disruption)", ("origin",), "x the dataset's supply", 0, 2, 0.05, 1),
        Kind(
            "tariff",
            "A tariff between two countries",
            ("from_country", "to_country", "stage", "product"),
            "USD per t",
            0,
            50000,
            250,
            0,
            True,
            adds_rows=True,
        ),
        Kind(
            "trade_ban",
            "A ban between two countries",
            ("from_country", "to_country", "stage", "product"),
            "on",
            1,
            1,
            1,
            1,
            action="apply the ban",
            adds_rows=True,
        ),
        Kind("contract_void", "Void a contract", (CONTRACT_NAME,), "on", 1, 1, 1, 1, action="void the contract"),
        Kind(
            "export_quota",
            "An export quota",
            ("country", "product"),
            "t per year",
            0,
            20000,
            10,
            1000,
            True,
            adds_rows=True,
        ),
        Kind(
            "market_share",
            "A share limit",
            ("market", "product", "country"),
            "most share of the market",
            0,
            1,
            0.01,
            1,
            adds_rows=True,
        ),
        Kind(
            "product_demand", "Demand for a product", ("product", "market"), "x the dataset's demand", 0.25, 3, 0.05, 1
        ),
        Kind("demand_growth", "Demand growth for a product", ("product", "years"), "% per year", -20, 30, 0.5, 0),
    )
}

#: Key fields that may be left blank (all products, all markets).
OPTIONAL_KEYS = {"product", "market"}


@dataclass(frozen=True)
class Control:
    """A checked control: its kind, its key (field -> text) and its value."""

    kind: str
    key: tuple[tuple[str, str], ...]
    value: float

    @property
    def id(self) -> str:
        """What identifies it in a session: a second control with the same id replaces it."""
        return "|".join([self.kind, *(v for _, v in self.key)])

    @property
    def fields(self) -> dict[str, str]:
        return dict(self.key)

    def describe(self) -> str:
        """One line, e.g. ``Chinese processing cost: 1.5 x the dataset's cost``."""
        kind = KINDS[self.kind]
        what = ", ".join(f"{k} {v}" for k, v in self.key if v)
        value = "" if kind.action else f" = {self.value:g} {kind.value}"
        return f"{kind.label}{f' ({what})' if what else ''}{value}"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, **self.fields, "value": self.value, "text": self.describe()}


def _choices(network: Network) -> dict[str, list[str]]:
    """The names each key field may take."""
    countries = sorted(
        set(network.origins["country"].astype(str))
        | set(network.refiners["country"].astype(str))
        | set(network.markets["country"].astype(str))
    )
    return {
        "refiner": network.refiners["refiner"].astype(str).tolist(),
        "origin": network.origins["origin"].astype(str).tolist(),
        "from_country": countries,
        "to_country": countries,
        "country": countries,
        "stage": list(STAGES),
        "product": list(dict.fromkeys(network.demand["product"].astype(str))),
        "market": network.markets["market"].astype(str).tolist(),
        CONTRACT_NAME: getattr(network, CONTRACTS)[CONTRACT_NAME].astype(str).tolist(),
    }


def options(network: Network) -> dict[str, Any]:
    """What the page needs to draw the controls: every kind and the names of its key fields."""
    return {
        "kinds": [
            {
                "name": k.name,
                "label": k.label,
                "keys": list(k.keys),
                "value": k.value,
                "low": k.low,
                "high": k.high,
                "step": k.step,
                "default": k.default,
                "action": k.action,
                "adds_rows": k.adds_rows,
            }
            for k in KINDS.values()
        ],
        "choices": _choices(network),
        # where a control's value is a level, not a factor: the dataset's value for each key, so
        # the slider starts where the dataset is (a finite capacity; inf shows as the slider's top)
        "initial": {
            "refiner_capacity": _levels(network.refiners, "refiner", "capacity_t", "refiner_capacity"),
            # a level, not a factor: an origin at 0 (a prospect, Pakistan) can be opened
            "origin_capacity": _levels(network.origins, "origin", "supply_t", "origin_capacity"),
        },
    }


def _levels(table: pd.DataFrame, key: str, column: str, kind: str) -> dict[str, float]:
    """The dataset's value of ``column`` per ``key``, where a level control's slider starts
    (no limit shows as the slider's top)."""
    top = KINDS[kind].high
    return {str(k): float(v) if np.isfinite(v) else top for k, v in zip(table[key], table[column].to_numpy(float))}


def _number(text: Any) -> float | None:
    if isinstance(text, bool):
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def parse(data: Any, network: Network) -> Control:
    """A control sent by the page (``{"kind": ..., key fields..., "value": ...}``), checked.

    Raises InputError with one named problem per bad field: an unknown kind, a name the
    dataset does not have, a value that is not a number in the control's range.
    """
    if not isinstance(data, dict):
        raise InputError(
            Problem("control", None, None, str(data)[:80], "a JSON object: kind, keys, value", "app_control")
        )
    kind = KINDS.get(str(data.get("kind")))
    if kind is None:
        raise InputError(
            Problem("control", None, "kind", str(data.get("kind")), f"one of {', '.join(KINDS)}", "app_control"),
            heading="invalid control (nothing solved)",
        )
    label = f"control {kind.name}"
    problems: list[Problem] = []
    choices = _choices(network)
    key: list[tuple[str, str]] = []
    for field in kind.keys:
        raw = data.get(field)
        text = "" if raw is None else str(raw).strip()
        if field == "years":
            years = _number(text)
            if years is None or not (0 < years <= 50) or years != int(years):
                problems.append(
                    Problem(label, None, field, text, "a whole number of years from 1 to 50", "app_control")
                )
            else:
                text = str(int(years))
            key.append((field, text))
            continue
        if text == "" and field in OPTIONAL_KEYS:
            key.append((field, ""))
            continue
        if text not in choices[field]:
            shown = ", ".join(choices[field][:12]) + (" ..." if len(choices[field]) > 12 else "")
            problems.append(Problem(label, None, field, text, f"one of the dataset's names: {shown}", "app_control"))
        key.append((field, text))
    fields = dict(key)
    if "from_country" in fields and fields["from_country"] and fields["from_country"] == fields.get("to_country"):
        problems.append(
            Problem(label, None, "to_country", fields["to_country"], "a country other than from_country", "app_control")
        )
    value = _number(data.get("value", kind.default))
    if value is None:
        problems.append(
            Problem(label, None, "value", str(data.get("value")), f"a number ({kind.value})", "app_control")
        )
    else:
        inside, expected = (
            (kind.low <= value < NUMBER_LIMIT, f"a number >= {kind.low:g} and below {NUMBER_LIMIT:g}")
            if kind.open_above
            else (kind.low <= value <= kind.high, f"a number from {kind.low:g} to {kind.high:g}")
        )
        if not inside:
            problems.append(Problem(label, None, "value", f"{value:g}", f"{expected} ({kind.value})", "app_control"))
    if problems:
        raise InputError(problems, heading="invalid control (nothing solved)")
    assert value is not None
    return Control(kind.name, tuple(key), value)


def _matching(frame: pd.DataFrame, fields: dict[str, str]) -> pd.Series:
    """Rows of ``frame`` whose columns equal ``fields`` (a blank optional column matches a blank)."""
    mask = pd.Series(True, index=frame.index)
    for column, value in fields.items():
        mask &= frame[column].astype(object).fillna("").astype(str).eq(value)
    return mask


def changes_of(control: Control, network: Network) -> list[Change]:
    """The scenario changes of ``control`` on ``network`` (the base dataset)."""
    f = control.fields
    v = control.value
    if control.kind == "cn_cost":
        return [
            Change(
                action="scale", table=REFINERS, column="processing_cost_usd_per_t", where={"country": CHINA}, factor=v
            )
        ]
    if control.kind == "cn_recovery":
        changes = [Change(action="scale", table=REFINERS, column="recovery", where={"country": CHINA}, factor=v)]
        chinese = network.refiners.loc[network.refiners["country"].astype(str) == CHINA, "refiner"].astype(str)
        overridden = sorted(set(network.recoveries["refiner"].astype(str)) & set(chinese))
        if overridden:  # recoveries.csv's per-product figures of Chinese refiners move with them
            changes.append(
                Change(
                    action="scale", table=RECOVERIES, column="recovery", where={"refiner": list(overridden)}, factor=v
                )
            )
        return changes
    if control.kind == "refiner_capacity":
        return [Change(action="set", table=REFINERS, column="capacity_t", where={"refiner": f["refiner"]}, value=v)]
    if control.kind == "origin_capacity":
        return [Change(action="set", table=ORIGINS, column="supply_t", where={"origin": f["origin"]}, value=v)]
    if control.kind == "origin_supply":
        return [Change(action="scale", table=ORIGINS, column="supply_t", where={"origin": f["origin"]}, factor=v)]
    if control.kind == "tariff":
        where = {k: f[k] for k in ("from_country", "to_country", "stage", "product")}
        if _matching(network.tariffs, where).any():
            return [Change(action="set", table=TARIFFS, column="usd_per_t", where=_where(where), value=v)]
        return [Change(action="add", table=TARIFFS, rows=[{**where, "usd_per_t": v}])]
    if control.kind == "trade_ban":
        return [
            Change(
                action="add", table=BANS, rows=[{k: f[k] for k in ("from_country", "to_country", "stage", "product")}]
            )
        ]
    if control.kind == "export_quota":
        where = {"kind": "export", "country": f["country"], "product": f["product"]}
        if _matching(network.quotas, where).any():
            return [Change(action="set", table=QUOTAS, column="limit_t", where=_where(where), value=v)]
        name = "_".join(filter(None, ["app_export", f["country"], f["product"]]))
        return [Change(action="add", table=QUOTAS, rows=[{QUOTA_NAME: name, **where, "limit_t": v}])]
    if control.kind == "market_share":
        where = {"market": f["market"], "product": f["product"], "country": f["country"]}
        if _matching(network.share_limits, where).any():
            return [Change(action="set", table=SHARES, column="max_share", where=where, value=v)]
        return [Change(action="add", table=SHARES, rows=[{**where, "max_share": v}])]
    if control.kind == "contract_void":  # its minimum 0, its maximum none: as a stress test voids it
        return list(void_changes(network, [f[CONTRACT_NAME]]))
    if control.kind == "product_demand":
        where = {k: f[k] for k in ("product", "market") if f[k]}
        return [Change(action="scale", table=DEMAND_TABLE, column="demand_t", where=where, factor=v)]
    if control.kind == "demand_growth":
        factor = (1 + v / 100) ** int(f["years"])
        return [
            Change(
                action="scale", table=DEMAND_TABLE, column="demand_t", where={"product": f["product"]}, factor=factor
            )
        ]
    raise AssertionError(control.kind)  # pragma: no cover: parse() knows every kind


def _where(fields: dict[str, str]) -> dict[str, str | float | list[str | float]]:
    """A change's ``where`` from key fields, blank optional columns left out (a blank in the
    table is read as missing, which a selection cannot name)."""
    return {k: v for k, v in fields.items() if v != ""}
