"""The layout keeps its promises (docs/architecture.md).

- imports point one way: the front door (``oreflow/``) -> ``solvers/`` -> ``model/``;
- no two modules import each other (directly or through others);
- importing the ground floor runs no part of the front door;
- no constraint-family name appears as a literal outside ``model/`` (the registry
  ``oreflow.model.families`` is read instead);
- the registry agrees with what is built: every family and block of an LP, every cost
  term, every in-place input and every policy table.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, micro_frames
from oreflow.model import families as registry
from oreflow.model.families import BLOCKS, COST_TERMS, FAMILIES, FAMILIES_BY_NAME, in_place_inputs
from oreflow.model.lp import build_lp
from oreflow.model.network import Network, load_inputs
from oreflow.model.tables import NUMBER, TABLES_BY_NAME

#: Source folder -> the package it is installed as (pyproject.toml's package-dir).
PACKAGES = {"oreflow": "oreflow", "model": "oreflow.model", "solvers": "oreflow.solvers"}
#: Which packages each layer may import.
ALLOWED = {"oreflow.model": ("oreflow.model",), "oreflow.solvers": ("oreflow.model", "oreflow.solvers")}


def modules() -> dict[str, Path]:
    """Every module of the three source folders, by its installed dotted name."""
    found = {}
    for folder, package in PACKAGES.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = list(path.relative_to(REPO / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    """The oreflow modules ``name`` imports anywhere in its file (top level or in a function),
    relative imports resolved; ``from pkg import mod`` counts as importing ``pkg.mod`` (not
    ``pkg``'s own names) when ``mod`` is a module."""
    known = modules()
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = {f"{target}.{alias.name}" for alias in node.names} & set(known)
            found.update(submodules)
            if len(submodules) < len(node.names):  # names defined in the package or module itself
                found.add(target)
    return {m for m in found if m in known and m != name}


def test_ground_floor_imports_point_down():
    """model/ imports only model/; solvers/ only model/ and solvers/ (never the front door)."""
    wrong = []
    for name, path in modules().items():
        layer = next((layer for layer in ALLOWED if name == layer or name.startswith(layer + ".")), None)
        if layer is None:
            continue
        for imported in imports_of(name, path):
            if not any(imported == ok or imported.startswith(ok + ".") for ok in ALLOWED[layer]):
                wrong.append(f"{path.relative_to(REPO)} imports {imported}")
    assert wrong == []


def test_no_import_cycles():
    """No module imports itself through others (re-exporting shims included)."""
    graph = {name: imports_of(name, path) for name, path in modules().items()}
    graph = {name: {m for m in targets if m != "oreflow"} for name, targets in graph.items()}  # the package root
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join(stack[stack.index(target) :] + [target]))
            elif target not in state:
                visit(target, stack + [target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_importing_the_ground_floor_runs_no_front_door():
    code = (
        "import json, sys; import oreflow.model.tables, oreflow.model, oreflow.solvers, oreflow.model.lp; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('oreflow'))))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
    front_door = [m for m in loaded if m != "oreflow" and not m.startswith(("oreflow.model", "oreflow.solvers"))]
    assert front_door == []
    assert "oreflow.api" not in loaded


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """(line, value) of every string constant that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_family_name_literal_outside_model():
    """The front door and the solvers name families through the registry only."""
    names = set(FAMILIES_BY_NAME)
    found = []
    for name, path in modules().items():
        if name.startswith("oreflow.model"):
            continue
        found += [
            f"{path.relative_to(REPO)}:{line}: {value!r}" for line, value in _string_literals(path) if value in names
        ]
    assert found == []


# ---------------------------------------------------------------------------------
# The registry agrees with what is built
# ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def every_policy() -> Network:
    """The micro model with one row of every policy table (each covering a flow)."""
    frames = micro_frames()
    import pandas as pd

    frames["tariffs"] = pd.DataFrame(
        {"from_country": ["X"], "to_country": ["Y"], "stage": ["ore"], "product": [""], "usd_per_t": [3.0]}
    )
    frames["bans"] = pd.DataFrame({"from_country": ["X"], "to_country": ["Y"], "stage": ["ore"], "product": [""]})
    frames["quotas"] = pd.DataFrame(
        {"quota": ["q"], "kind": ["refining"], "country": ["X"], "product": [""], "members": [""], "limit_t": [500.0]}
    )
    frames["share_limits"] = pd.DataFrame(
        {"market": ["M"], "product": ["P1"], "country": ["Y"], "max_share": [1.0], "min_share": [float("nan")]}
    )
    frames["contracts"] = pd.DataFrame(
        {
            "contract": ["k"],
            "stage": ["ore"],
            "from": ["A"],
            "to": ["R1"],
            "product": [""],
            "min_t": [10.0],
            "max_t": [float("nan")],
        }
    )
    return Network.from_frames(**frames)


def test_lp_has_the_registry_s_blocks_families_and_terms_in_order(every_policy):
    lp = build_lp(every_policy)
    assert list(lp.columns) == [b.name for b in BLOCKS]
    assert list(lp.rows) == [f.name for f in FAMILIES]
    assert set(lp.cost_terms) <= {t.name for t in COST_TERMS}
    assert "tariffs" in lp.cost_terms
    for spec in FAMILIES:
        assert list(lp.rows[spec.name].index.columns) == list(spec.keys), spec.name
    for spec in BLOCKS:
        assert list(lp.columns[spec.name].index.columns) == list(spec.keys), spec.name
    for spec in FAMILIES:  # each builder makes the rows its entry declares
        built = spec.build(every_policy, lp.columns)
        assert built.name == spec.name, spec.name
        senses = set(np.atleast_1d(built.sense).tolist())
        assert senses == {spec.sense} if spec.sense != "per row" else senses <= {"<=", ">="}, spec.name


def test_registry_entries_are_complete():
    for spec in FAMILIES:
        assert spec.table in TABLES_BY_NAME, spec.name
        assert spec.sense in ("<=", ">=", "per row"), spec.name
        assert spec.rhs_unit in ("t", "%"), spec.name
        assert spec.summary in ("resource", "policy", "grid", "none"), spec.name
        assert spec.summary != "resource" or spec.binding_title, spec.name
        assert set(spec.naming_keys) <= set(spec.keys), spec.name
        assert set(spec.policy_keys) <= {c.name for c in TABLES_BY_NAME[spec.table].columns}, spec.name
        for word in (spec.price_unit, spec.price_unit_short, spec.price_sign, spec.what, spec.title):
            assert word, spec.name
    for (table, column), pieces in in_place_inputs().items():
        columns = {c.name: c.kind for c in TABLES_BY_NAME[table].columns}
        assert columns.get(column) == NUMBER, (table, column)
        assert pieces


def test_every_family_is_documented_and_in_the_pyomo_twin():
    """docs/formulation.md names each family; the readable Pyomo twin has a component of each name."""
    import oreflow

    formulation = (REPO / "docs" / "formulation.md").read_text(encoding="utf-8")
    network = load_inputs(REPO / "inputs" / "rare_earths_2024")
    model = oreflow.build_pyomo_model(network)
    for spec in FAMILIES:
        assert f"{spec.name}[" in formulation or f"`{spec.name}`" in formulation, spec.name
        assert model.component(spec.name) is not None, spec.name
    for block in BLOCKS:
        assert model.component(block.name) is not None, block.name


def test_every_family_row_reads_in_words(every_policy):
    """Each family names its rows for the infeasibility report and explains binding prices."""
    from oreflow.model.infeasibility import row_name

    lp = build_lp(every_policy)
    shown = [spec for spec in FAMILIES if len(lp.rows[spec.name].index)]
    assert len(shown) >= 8  # every family shipped today has a row in the fixture
    for spec in shown:
        text = row_name(lp, lp.rows[spec.name].start)
        assert text.startswith(f"{spec.name}["), text
        row = {**lp.rows[spec.name].index.iloc[0].to_dict(), "rhs": 10.0, "shadow_price": -2.0}
        label, meaning, value = spec.explain(row)
        assert label and meaning and value in (2.0, -2.0)


def test_cost_labels_cover_every_term():
    assert [registry.cost_label(t.name) for t in COST_TERMS] == [t.label for t in COST_TERMS]
    assert registry.cost_label("total") == "total"


def test_validation_and_the_lp_know_the_same_policy_tables(every_policy):
    """Validation's coverage rule (policies.policy_coverage) lists every policy table the
    registry declares, so a new policy family cannot be guarded in build_lp yet pass validation."""
    from oreflow.model.policies import policy_coverage

    lp = build_lp(every_policy)
    coverage = policy_coverage(every_policy, lp.columns["x"], lp.columns["s"])
    declared = {spec.table for spec in FAMILIES if spec.policy_keys}
    declared |= {term.table for term in COST_TERMS if term.policy_keys}
    assert set(coverage) == declared
    assert all(covered.all() for covered in coverage.values())  # the fixture's rows each cover a flow
