"""Numbers and names for people: thousands separators, units, money in M/bn, country names,
constraint families by their registry title."""

from __future__ import annotations

import math
from collections.abc import Iterable

from oreflow.model.families import FAMILIES_BY_NAME

#: Country (or market) codes of the shipped data, as people read them; unknown codes stay as written.
COUNTRY_NAMES = {
    "AU": "Australia",
    "BR": "Brazil",
    "CA": "Canada",
    "CN": "China",
    "DE": "Germany",
    "EE": "Estonia",
    "EU": "European Union",
    "FR": "France",
    "GB": "United Kingdom",
    "GL": "Greenland",
    "IN": "India",
    "JP": "Japan",
    "KR": "South Korea",
    "LA": "Laos",
    "MM": "Myanmar",
    "MY": "Malaysia",
    "PK": "Pakistan",
    "RoW": "rest of world",
    "RU": "Russia",
    "TH": "Thailand",
    "US": "United States",
    "VN": "Vietnam",
    "ZA": "South Africa",
}


def country(code: object) -> str:
    """``'China (CN)'`` for a known code, else the code itself."""
    text = str(code)
    name = COUNTRY_NAMES.get(text)
    return f"{name} ({text})" if name and name != text else text


def family_title(family: str) -> str:
    """A constraint family as a heading (its registry title, "refining capacity"); an unknown one as written."""
    spec = FAMILIES_BY_NAME.get(family)
    return spec.title if spec is not None else family


def num(value: float, digits: int = 0) -> str:
    """``1,234,567`` (or ``1,234.5`` with digits); ``—`` for NaN, ``no limit`` for inf."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "no limit" if value > 0 else "−no limit"
    text = f"{value:,.{digits}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # -0 reads 0


def tonnes(value: float) -> str:
    """Tonnes with a sensible number of decimals: ``83 t``, ``2.4 t``, ``0.31 t``."""
    digits = 0 if abs(value) >= 100 or value == 0 else (1 if abs(value) >= 1 else 2)
    return f"{num(value, digits)} t"


def usd(value: float, per: str = "") -> str:
    """Money for a sentence: ``2.69 bn USD``, ``104 M USD``, ``66,308 USD/t`` (per='t')."""
    unit = "USD" + (f"/{per}" if per else "")
    size = abs(value)
    if not per and size >= 0.9995e9:  # 999.97 M reads 1.00 bn, not 1,000 M
        return f"{value / 1e9:,.2f} bn {unit}"
    if not per and size >= 1e6:
        return f"{value / 1e6:,.{0 if size >= 1e8 else 1}f} M {unit}"
    return f"{num(value)} {unit}"


def signed_usd(value: float, per: str = "") -> str:
    """:func:`usd` with its sign: ``+104 M USD``, ``−2.4 M USD``, ``±0 USD``."""
    text = usd(abs(value), per)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def money_scale(values: Iterable[float]) -> tuple[float, str]:
    """(divisor, unit) so that the largest |value| reads well on an axis: USD, M USD or bn USD."""
    top = max((abs(v) for v in values if v == v and not math.isinf(v)), default=0.0)
    if top >= 5e9:
        return 1e9, "bn USD"
    if top >= 5e6:
        return 1e6, "M USD"
    return 1.0, "USD"


def pct(fraction: float, digits: int = 0) -> str:
    """``87 %``; a share that is nearly but not quite all or nothing says so (``99.96 %``, ``0.04 %``)."""
    value = fraction * 100
    while digits < 2 and 0 < abs(value) < 100 and round(value, digits) in (0, 100):
        digits += 1
    return f"{value:,.{digits}f} %"
