"""Supply contracts (contracts.csv, family ``contract``): micro models solved by hand, prices
checked against finite differences, validation, the Pyomo backend, scenarios and sweeps.

Sign convention (docs/conventions.md): shadow price = d(optimal cost)/d(rhs). A binding
``min`` contract has a price >= 0 (what one more tonne of obligation costs), a binding
``max`` a price <= 0 (minus what one more tonne allowed would save).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import oreflow
from conftest import micro_frames, write_dataset, write_job
from oreflow.cli import main
from oreflow.job import Change, Scenario
from oreflow.model.lp import build_lp
from oreflow.scenarios import apply_scenario

NAN = float("nan")
HEADER = "contract,stage,from,to,product,min_t,max_t\n"

#: Contracts on the two-refiner micro model (tests/conftest.py), used by tests/test_pyomo_backend.py too.
ORE_CONTRACT = {
    "contracts": {
        "contract": ["k"],
        "stage": ["ore"],
        "from": ["A"],
        "to": ["R2"],
        "product": [""],
        "min_t": [60.0],
        "max_t": [NAN],
    }
}
PRODUCT_CONTRACT = {
    "contracts": {
        "contract": ["k"],
        "stage": ["product"],
        "from": ["R1"],
        "to": ["M"],
        "product": ["P1"],
        "min_t": [NAN],
        "max_t": [20.0],
    }
}


def contract(name: str = "k", stage: str = "ore", source: str = "B", target: str = "R", **bounds: float) -> dict:
    """One contracts.csv row as a column dict (``min_t`` / ``max_t`` blank unless given)."""
    return {
        "contract": [name],
        "stage": [stage],
        "from": [source],
        "to": [target],
        "product": [bounds.pop("product", "")],
        "min_t": [bounds.get("min_t", NAN)],
        "max_t": [bounds.get("max_t", NAN)],
    }


def price(result: oreflow.Result, bound: str, name: str = "k") -> float:
    table = result.shadow_prices["contract"]
    row = table.loc[(table["contract"] == name) & (table["bound"] == bound)]
    assert len(row) == 1
    return float(row["shadow_price"].iloc[0])


def flow(result: oreflow.Result, origin: str, refiner: str) -> float:
    a = result.allocations
    return float(a.loc[(a.origin == origin) & (a.refiner == refiner), "ore_t"].iloc[0])


# ---------------------------------------------------------------------------------------
# Model 1: a min ore contract forces flow onto a dearer route
#
# Origins A (mining 100 USD/t) and B (mining 300 USD/t), unlimited, both 100 % product P;
# one refiner R (cost 0, recovery 1, unlimited); freight 0; market M demands 15 t of P.
# Without a contract all 15 t come from A: cost 1,500 USD.
# Contract k: at least 5 t REO from B to R. Optimum: B->R 5 t, A->R 10 t,
# cost 5 * 300 + 10 * 100 = 2,500 USD. One more tonne obliged on B->R replaces a tonne
# from A: it costs 300 - 100 = 200 USD, the contract's price (>= 0). The demand price
# stays 100 USD/t (A is marginal).
# ---------------------------------------------------------------------------------------


def two_origins(contracts: dict | None = None) -> oreflow.Network:
    return oreflow.Network.from_frames(
        origins=pd.DataFrame(
            {
                "origin": ["A", "B"],
                "country": ["X", "X"],
                "supply_t": [math.inf, math.inf],
                "mining_cost_usd_per_t": [100.0, 300.0],
            }
        ),
        composition=pd.DataFrame({"origin": ["A", "B"], "product": ["P", "P"], "share": [1.0, 1.0]}),
        refiners=pd.DataFrame(
            {
                "refiner": ["R"],
                "country": ["X"],
                "capacity_t": [math.inf],
                "processing_cost_usd_per_t": [0.0],
                "recovery": [1.0],
            }
        ),
        markets=pd.DataFrame({"market": ["M"], "country": ["X"]}),
        demand=pd.DataFrame({"market": ["M"], "product": ["P"], "demand_t": [15.0]}),
        ore_routes=pd.DataFrame({"origin": ["A", "B"], "refiner": ["R", "R"], "freight_usd_per_t": [0.0, 0.0]}),
        product_routes=pd.DataFrame({"refiner": ["R"], "market": ["M"], "freight_usd_per_t": [0.0]}),
        contracts=pd.DataFrame(contracts) if contracts is not None else None,
    )


def test_min_ore_contract_forces_the_dearer_route() -> None:
    assert oreflow.solve(two_origins()).objective == pytest.approx(1500.0)
    r = oreflow.solve(two_origins(contract(min_t=5.0)))
    assert r.objective == pytest.approx(2500.0)
    assert flow(r, "B", "R") == pytest.approx(5.0) and flow(r, "A", "R") == pytest.approx(10.0)
    assert price(r, "min") == pytest.approx(200.0)  # 300 - 100: B's tonne instead of A's
    row = r.shadow_prices["contract"].iloc[0]
    assert (row["stage"], row["from"], row["to"], row["product"], row["bound"]) == ("ore", "B", "R", "", "min")
    assert row["rhs"] == 5.0 and row["activity"] == pytest.approx(5.0) and bool(row["binding"])
    assert bool(row["dual_unique"])
    assert float(r.shadow_prices["demand"]["shadow_price"].iloc[0]) == pytest.approx(100.0)


def test_min_ore_contract_price_is_the_finite_difference() -> None:
    base = oreflow.solve(two_origins(contract(min_t=5.0)))
    bumped = oreflow.solve(two_origins(contract(min_t=6.0)))
    assert bumped.objective - base.objective == pytest.approx(price(base, "min"))
    assert price(base, "min") == pytest.approx(200.0)


def test_a_slack_max_and_a_binding_min_give_two_rows() -> None:
    """min_t and max_t on one contract: two rows (min first); the slack max has price 0."""
    r = oreflow.solve(two_origins(contract(min_t=5.0, max_t=8.0)))
    table = r.shadow_prices["contract"]
    assert table["bound"].tolist() == ["min", "max"]
    assert price(r, "min") == pytest.approx(200.0) and price(r, "max") == 0.0
    assert table["slack"].tolist() == pytest.approx([0.0, 3.0])


def test_max_ore_contract_binding_has_a_negative_price() -> None:
    """A max on the cheap route A->R of 10 t: B makes the other 5 t; one more tonne allowed
    saves 300 - 100 = 200 USD."""
    r = oreflow.solve(two_origins(contract(source="A", max_t=10.0)))
    assert r.objective == pytest.approx(2500.0)
    assert price(r, "max") == pytest.approx(-200.0)
    bumped = oreflow.solve(two_origins(contract(source="A", max_t=11.0)))
    assert bumped.objective - r.objective == pytest.approx(-200.0)


def test_an_unlimited_max_is_a_row_that_never_binds() -> None:
    r = oreflow.solve(two_origins(contract(min_t=5.0, max_t=math.inf)))
    table = r.shadow_prices["contract"].set_index("bound")
    assert math.isinf(table.loc["max", "rhs"]) and math.isinf(table.loc["max", "slack"])
    assert not bool(table.loc["max", "binding"]) and table.loc["max", "shadow_price"] == 0.0


# ---------------------------------------------------------------------------------------
# Model 2: the two-refiner micro model (tests/conftest.py; tests/test_micro_models.py)
#
# Base: R1 runs at its 60 t capacity (30 t P1), R2 makes the other 10 t; cost 4,750 USD.
# Delivered P1 via R1: 2 t ore * 35 + 1 = 71 USD/t; via R2: 4 t ore * 65 + 2 = 262 USD/t.
#
# Max product contract: at most 20 t of P1 from R1 to M. R1 ships 20 t (40 t ore), R2 the
# other 20 t (80 t ore): cost 40 * 35 + 80 * 65 + 20 * 1 + 20 * 2 = 6,660 USD. One more
# tonne allowed replaces a tonne via R2: 71 - 262 = -191 USD/t, the contract's price.
#
# Min ore contract: at least 60 t REO from A to R2. R2 makes 15 t P1, R1 the other 25 t
# (50 t ore, capacity slack): 50 * 35 + 60 * 65 + 25 * 1 + 15 * 2 = 5,705 USD. One more
# tonne on A->R2 costs 65 + 0.25 * 2 and replaces 0.25 t P1 via R1 (0.25 * 71):
# 65.5 - 17.75 = 47.75 USD/t.
# ---------------------------------------------------------------------------------------


def micro(contracts: dict) -> oreflow.Network:
    frames = micro_frames()
    frames["contracts"] = pd.DataFrame(contracts)
    return oreflow.Network.from_frames(**frames)


def test_max_product_contract_binds_with_a_negative_price() -> None:
    r = oreflow.solve(micro(PRODUCT_CONTRACT["contracts"]))
    assert r.objective == pytest.approx(6660.0)
    assert flow(r, "A", "R1") == pytest.approx(40.0) and flow(r, "A", "R2") == pytest.approx(80.0)
    assert price(r, "max") == pytest.approx(-191.0)
    bumped = oreflow.solve(micro(dict(PRODUCT_CONTRACT["contracts"], max_t=[21.0])))
    assert bumped.objective - r.objective == pytest.approx(-191.0)
    assert float(r.shadow_prices["capacity"].set_index("refiner").loc["R1", "shadow_price"]) == 0.0


def test_a_blank_product_sums_every_demanded_product() -> None:
    """Blank product: the sum over the products market M demands (P1 and, here, P2)."""
    frames = micro_frames()
    frames["demand"] = pd.DataFrame({"market": ["M", "M"], "product": ["P1", "P2"], "demand_t": [40.0, 10.0]})
    frames["contracts"] = pd.DataFrame(dict(PRODUCT_CONTRACT["contracts"], product=[""], max_t=[25.0]))
    network = oreflow.Network.from_frames(**frames)
    lp = build_lp(network)
    rows = lp.matrix.to_scipy().toarray()[lp.rows["contract"].slice]
    ships = lp.columns["s"].index
    covered = ships.iloc[[c - lp.columns["s"].start for c in rows[0].nonzero()[0]]]
    assert covered[["refiner", "market"]].drop_duplicates().values.tolist() == [["R1", "M"]]
    assert sorted(covered["product"]) == ["P1", "P2"]
    r = oreflow.solve(network)
    shipped = r.shipments.loc[r.shipments["refiner"] == "R1", "shipped_t"].sum()
    assert shipped == pytest.approx(25.0) and price(r, "max") < 0


def test_min_ore_contract_on_the_micro_model() -> None:
    r = oreflow.solve(micro(ORE_CONTRACT["contracts"]))
    assert r.objective == pytest.approx(5705.0)
    assert flow(r, "A", "R2") == pytest.approx(60.0) and flow(r, "A", "R1") == pytest.approx(50.0)
    assert price(r, "min") == pytest.approx(47.75)
    bumped = oreflow.solve(micro(dict(ORE_CONTRACT["contracts"], min_t=[61.0])))
    assert bumped.objective - r.objective == pytest.approx(47.75)


def test_binding_contracts_read_in_words() -> None:
    from oreflow.summary import summary_text

    text = summary_text(oreflow.solve(micro(PRODUCT_CONTRACT["contracts"])), "t")
    assert "contract k (max 20 t P1 from R1 to M): each further tonne allowed would save 191 USD" in text
    text = summary_text(oreflow.solve(micro(ORE_CONTRACT["contracts"])), "t")
    assert "contract k (min 60 t A ore to R2): each further tonne obliged costs 48 USD" in text
    binding = oreflow.solve(micro(ORE_CONTRACT["contracts"])).binding()
    assert binding.loc[binding["family"] == "contract", "key"].tolist() == ["k/ore/A/R2//min"]


def test_a_contract_beyond_supply_is_reported_as_the_conflict() -> None:
    frames = micro_frames()
    frames["contracts"] = pd.DataFrame(dict(ORE_CONTRACT["contracts"], min_t=[250.0]))
    with pytest.raises(oreflow.SolveError) as caught:
        oreflow.solve(oreflow.Network.from_frames(**frames))
    assert "contract[k: A ore to R2 >= 250 t]" in caught.value.report.constraints
    assert "supply[A] <= 200 t (ore supply of the origin)" in caught.value.report.constraints


# ---------------------------------------------------------------------------------------
# The Pyomo backend and the readable twin
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("contracts", [ORE_CONTRACT, PRODUCT_CONTRACT], ids=["min ore", "max product"])
def test_pyomo_backend_gives_the_same_duals(contracts: dict) -> None:
    network = micro(contracts["contracts"])
    direct, via = oreflow.solve(network, backend="highs"), oreflow.solve(network, backend="pyomo")
    assert via.objective == pytest.approx(direct.objective, rel=1e-9)
    pd.testing.assert_frame_equal(via.shadow_prices["contract"], direct.shadow_prices["contract"], atol=1e-6)


def test_pyomo_twin_has_the_contract_constraint() -> None:
    import pyomo.environ as pyo

    model = oreflow.build_pyomo_model(two_origins(contract(min_t=5.0, max_t=math.inf)))
    assert list(model.CONTRACTS) == [("k", "min"), ("k", "max")]
    assert " ".join(str(model.contract["k", "min"].expr).split()) == "5.0 <= x[B,R]"
    assert ("k", "max") not in model.contract  # max_t = inf: skipped, price 0
    pyo.SolverFactory("highs").solve(model)
    assert pyo.value(model.total_cost) == pytest.approx(2500.0)


# ---------------------------------------------------------------------------------------
# Validation: each rule names contracts.csv, the line and the column
# ---------------------------------------------------------------------------------------


def contract_folder(tmp_path: Path, rows: str) -> Path:
    """The micro model plus a refiner R3 without routes and a market M2 reached from R1 but
    without demand, with ``contracts.csv`` holding a valid row (line 2) and ``rows``."""
    frames = micro_frames()
    frames["refiners"] = pd.concat(
        [
            frames["refiners"],
            pd.DataFrame(
                {
                    "refiner": ["R3"],
                    "country": ["X"],
                    "capacity_t": [10.0],
                    "processing_cost_usd_per_t": [1.0],
                    "recovery": [1.0],
                }
            ),
        ],
        ignore_index=True,
    )
    frames["markets"] = pd.DataFrame({"market": ["M", "M2"], "country": ["Y", "Y"]})
    frames["product_routes"] = pd.DataFrame(
        {"refiner": ["R1", "R2", "R1"], "market": ["M", "M", "M2"], "freight_usd_per_t": [1.0, 2.0, 1.0]}
    )
    folder = write_dataset(tmp_path / "data", frames)
    (folder / "contracts.csv").write_text(HEADER + "ok,ore,A,R1,,1,\n" + rows, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("row", "column", "value", "rule", "expected"),
    [
        ("k,ore,Z,R1,,5,\n", "from", "Z", "reference", "an origin listed in origins.csv (stage ore)"),
        ("k,product,R1,R2,,,5\n", "to", "R2", "reference", "a market listed in markets.csv (stage product)"),
        ("k,ore,A,R3,,5,\n", "from/to", "A, R3", "contract_route", "an ore route listed in ore_routes.csv"),
        ("k,product,R3,M,,,5\n", "from/to", "R3, M", "contract_route", "a product route listed in product_routes"),
        ("k,product,R1,M,P2,,5\n", "product", "P2", "contract", "a product the market `to` demands"),
        ("k,product,R1,M,P9,,5\n", "product", "P9", "reference", "a product listed in composition.csv"),
        ("k,ore,A,R1,P1,5,\n", "product", "P1", "contract", "a blank product for stage ore"),
        ("k,ore,A,R1,,10,5\n", "min_t", "10.0", "contract", "min_t <= max_t"),
        ("k,ore,A,R1,,,\n", "min_t", "", "contract", "a min_t or a max_t"),
        ("k,rail,A,R1,,5,\n", "stage", "rail", "choice", "one of ore, product"),
        ("k,ore,A,R1,,-5,\n", "min_t", "-5", "number", ">= 0"),
        ("ok,ore,A,R2,,5,\n", "contract", "ok", "unique_key", "a unique contract (already on line 2)"),
    ],
)
def test_validation_names_file_line_and_column(
    tmp_path: Path, row: str, column: str, value: str, rule: str, expected: str
) -> None:
    with pytest.raises(oreflow.InputError) as caught:
        oreflow.load_inputs(contract_folder(tmp_path, row))
    problems = caught.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    p = problems[0]
    assert (p.file, p.line, p.column, p.value, p.rule) == ("contracts.csv", 3, column, value, rule)
    assert expected in p.expected


def test_a_contract_covering_no_flow_is_an_error_with_its_line(tmp_path: Path) -> None:
    """R1 -> M2 is a product route, but M2 demands nothing: no shipment to cover."""
    with pytest.raises(oreflow.InputError) as caught:
        oreflow.load_inputs(contract_folder(tmp_path, "k,product,R1,M2,,,5\n"))
    (p,) = caught.value.problems
    assert (p.file, p.line, p.rule) == ("contracts.csv", 3, "policy_unused")
    assert "contract=k" in str(p.value) and "covers none" in p.expected


def test_valid_contracts_load_with_their_types(tmp_path: Path) -> None:
    network = oreflow.load_inputs(contract_folder(tmp_path, "k,product,R1,M,P1,2,inf\n"))
    table = network.contracts
    assert table["contract"].tolist() == ["ok", "k"] and table["product"].tolist() == ["", "P1"]
    assert table["min_t"].tolist() == [1.0, 2.0] and math.isnan(table["max_t"].iloc[0])
    assert math.isinf(table["max_t"].iloc[1])


def test_frames_name_the_table_as_a_dataframe() -> None:
    with pytest.raises(oreflow.InputError) as caught:
        micro(contract(source="A", target="R1", min_t=10.0, max_t=5.0))
    (p,) = caught.value.problems
    assert (p.file, p.line, p.column) == ("contracts.csv (DataFrame)", 2, "min_t")


# ---------------------------------------------------------------------------------------
# Scenarios and sweeps
# ---------------------------------------------------------------------------------------


def test_scenario_adds_a_contract_row() -> None:
    change = Change(
        action="add", table="contracts", rows=[{"contract": "k", "stage": "ore", "from": "B", "to": "R", "min_t": 5}]
    )
    applied = apply_scenario(two_origins(), Scenario(name="contracted", changes=[change]))
    assert applied.network.contracts["contract"].tolist() == ["k"]
    assert math.isnan(applied.network.contracts["max_t"].iloc[0])
    r = oreflow.solve(applied.network)
    assert r.objective == pytest.approx(2500.0) and price(r, "min") == pytest.approx(200.0)


def test_scenario_adding_a_bad_contract_names_the_change() -> None:
    change = Change(
        action="add", table="contracts", rows=[{"contract": "k", "stage": "ore", "from": "B", "to": "M", "min_t": 5}]
    )
    with pytest.raises(oreflow.InputError) as caught:
        apply_scenario(two_origins(), Scenario(name="bad", changes=[change]))
    (p,) = caught.value.problems
    assert p.file.startswith("contracts.csv after scenario 'bad', change 1") and p.column == "to"


def test_job_scenario_and_sweep_of_a_contract(tmp_path: Path) -> None:
    """A TOML scenario adds a contract (``from`` is a plain TOML key); a sweep moves its
    min_t in place, records its price, and a point with min_t > max_t is invalid."""
    frames = micro_frames()
    frames["contracts"] = pd.DataFrame(dict(ORE_CONTRACT["contracts"], min_t=[50.0], max_t=[70.0]))
    dataset = write_dataset(tmp_path / "data", frames)
    scenarios = """
[[scenarios]]
name = "product_cap"
changes = [ { action = "add", table = "contracts", rows = [
  { contract = "cap", stage = "product", from = "R1", to = "M", product = "P1", max_t = 20 } ] } ]
"""
    job = write_job(tmp_path / "scen.toml", str(dataset), str(tmp_path / "out"), scenarios)
    assert main(["run", str(job), "--quiet"]) == 0
    prices = list(tmp_path.glob("out*/**/shadow_prices_contract.csv"))
    assert prices, "a shadow_prices_contract.csv is written"
    sweep = """
[sweep]
prices = ["contract"]

[[sweep.parameters]]
name = "obligation"
table = "contracts"
where = { contract = "k" }
column = "min_t"
action = "set"
values = [60, 61, 80]
"""
    job = write_job(tmp_path / "sweep.toml", str(dataset), str(tmp_path / "sw"), sweep)
    assert main(["sweep", str(job), "--quiet"]) == 1  # the point at 80 t > max_t 70 t fails
    (points,) = tmp_path.glob("sw*/points.csv")
    table = pd.read_csv(points, keep_default_na=False, na_values=[""])
    assert table["status"].tolist() == ["optimal", "optimal", "invalid"]
    assert "min_t" in table.loc[2, "error"] and "max_t" in table.loc[2, "error"]
    assert table.loc[0, "objective_usd"] == pytest.approx(5705.0)
    assert table.loc[1, "objective_usd"] - table.loc[0, "objective_usd"] == pytest.approx(47.75)
    assert table.loc[0, "price.contract.k/min"] == pytest.approx(47.75)
    assert table.loc[0, "price.contract.k/max"] == 0.0
