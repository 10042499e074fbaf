"""oreflow's direct HiGHS interface for Pyomo models (``solvers/pyomo_highs.py``), on hand-solved models.

The model of most tests, with a, b >= 0::

    min  2a + 3b + 1                 (the 1 is the objective's constant)
    c1:  a + b >= 4                  a matrix row (MatrixRows)
    c2:  a - b + 2 <= 3              a LinearExpression with a constant: a - b <= 1
    c3:  2 * (a + b) <= 20           a product, read through Pyomo's standard repn: 2a + 2b <= 20

a is cheaper, so it is pushed up to c2's limit: a = b + 1 and a + b = 4 give b = 1.5,
a = 2.5, cost 2 * 2.5 + 3 * 1.5 + 1 = 10.5. Duals from 2 = y1 + y2 (a) and 3 = y1 - y2 (b):
y1 = 2.5 (c1, a binding >= row: positive), y2 = -0.5 (c2, a binding <= row: negative), y3 = 0.
"""

from __future__ import annotations

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest

from oreflow.solvers.pyomo_arrays import MatrixRows
from oreflow.solvers.pyomo_highs import compile_model, pass_compiled


def hand_model() -> tuple[pyo.ConcreteModel, list, list]:
    m = pyo.ConcreteModel()
    m.a = pyo.Var(within=pyo.NonNegativeReals)
    m.b = pyo.Var(within=pyo.NonNegativeReals)
    m.c1 = MatrixRows(np.array([1.0, 1.0]), np.array([0, 1]), np.array([0, 2]), [4.0], [None], (m.a, m.b))
    m.c2 = pyo.Constraint(expr=m.a - m.b + 2 <= 3)
    m.c3 = pyo.Constraint(expr=2 * (m.a + m.b) <= 20)
    m.cost = pyo.Objective(expr=2 * m.a + 3 * m.b + 1)
    return m, [m.a, m.b], [m.c1[0], m.c2, m.c3]


def solved(model: pyo.ConcreteModel, variables: list, constraints: list) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    pass_compiled(h, compile_model(model, variables, constraints))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h


def test_compiled_arrays_of_the_hand_model():
    compiled = compile_model(*hand_model())
    np.testing.assert_array_equal(compiled.cost, [2.0, 3.0])
    assert compiled.objective_offset == 1.0 and not compiled.maximise
    np.testing.assert_array_equal(compiled.row_lower, [4.0, -np.inf, -np.inf])
    np.testing.assert_array_equal(compiled.row_upper, [np.inf, 1.0, 20.0])  # c2: its constant moved
    np.testing.assert_array_equal(compiled.starts, [0, 2, 4, 6])
    np.testing.assert_array_equal(compiled.index, [0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal(compiled.value, [1.0, 1.0, 1.0, -1.0, 2.0, 2.0])


def test_hand_model_optimum_and_duals():
    h = solved(*hand_model())
    solution = h.getSolution()
    assert h.getInfo().objective_function_value == pytest.approx(10.5)
    np.testing.assert_allclose(solution.col_value, [2.5, 1.5])
    np.testing.assert_allclose(solution.row_dual, [2.5, -0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(solution.col_dual, [0.0, 0.0], atol=1e-12)


def test_fixed_variable_is_held_at_its_value():
    """b fixed at 2: c1 needs a >= 2, c2 allows a <= 3; cost 2 * 2 + 3 * 2 + 1 = 11."""
    model, variables, constraints = hand_model()
    model.b.fix(2.0)
    h = solved(model, variables, constraints)
    assert h.getInfo().objective_function_value == pytest.approx(11.0)
    np.testing.assert_allclose(h.getSolution().col_value, [2.0, 2.0])


def test_fixed_variable_in_plain_expressions_and_matrix_rows():
    """A fixed variable is a constant wherever it appears (LinearExpression terms without a
    constant, matrix rows, the objective) and its column keeps both bounds at its value.

    min a + 2b with rows a + b >= 3 (LinearExpression) and b - a <= 0 (MatrixRows, x in
    the order (b, a)), b fixed at 1: a >= 2 and a >= 1, so a = 2, cost 2 + 2 * 1 = 4.
    """
    m = pyo.ConcreteModel()
    m.a = pyo.Var(within=pyo.NonNegativeReals)
    m.b = pyo.Var(within=pyo.NonNegativeReals)
    m.sum = pyo.Constraint(expr=m.a + m.b >= 3)
    m.order = MatrixRows(np.array([1.0, -1.0]), np.array([0, 1]), np.array([0, 2]), [None], [0.0], (m.b, m.a))
    m.cost = pyo.Objective(expr=m.a + 2 * m.b)
    m.b.fix(1.0)
    compiled = compile_model(m, [m.a, m.b], [m.sum, m.order[0]])
    np.testing.assert_array_equal(compiled.cost, [1.0, 0.0])
    assert compiled.objective_offset == 2.0
    np.testing.assert_array_equal(compiled.row_lower, [2.0, -np.inf])
    np.testing.assert_array_equal(compiled.row_upper, [np.inf, -1.0])  # b - a <= 0 with b = 1: -a <= -1
    np.testing.assert_array_equal(compiled.index, [0, 0])
    np.testing.assert_array_equal(compiled.value, [1.0, -1.0])
    np.testing.assert_array_equal(compiled.col_lower, [0.0, 1.0])
    np.testing.assert_array_equal(compiled.col_upper, [np.inf, 1.0])
    h = solved(m, [m.a, m.b], [m.sum, m.order[0]])
    assert h.getInfo().objective_function_value == pytest.approx(4.0)
    np.testing.assert_allclose(h.getSolution().col_value, [2.0, 1.0])


def test_matrix_rows_map_their_own_variable_order():
    """A MatrixRows whose x lists the variables in another order than the columns:
    min a + 3b with 2b + a >= 4 stated over x = (b, a), and a <= 1. a covers 1 per USD, b
    2/3: a = 1, b = 1.5, cost 5.5 (read as x = (a, b), the row 2a + b >= 4 would cost 7)."""
    m = pyo.ConcreteModel()
    m.a = pyo.Var(bounds=(0, 1))
    m.b = pyo.Var(within=pyo.NonNegativeReals)
    m.rows = MatrixRows(np.array([2.0, 1.0]), np.array([0, 1]), np.array([0, 2]), [4.0], [None], (m.b, m.a))
    m.cost = pyo.Objective(expr=m.a + 3 * m.b)
    compiled = compile_model(m, [m.a, m.b], [m.rows[0]])
    np.testing.assert_array_equal(compiled.index, [0, 1])  # columns sorted within the row
    np.testing.assert_array_equal(compiled.value, [1.0, 2.0])
    h = solved(m, [m.a, m.b], [m.rows[0]])
    assert h.getInfo().objective_function_value == pytest.approx(5.5)
    np.testing.assert_allclose(h.getSolution().col_value, [1.0, 1.5])


def test_equality_and_ranged_rows_with_constants():
    """a + 1 == 3 and 0 <= b - 2 <= 5 (constants in the bodies): a = 2, b in [2, 7]; min a + b = 4."""
    m = pyo.ConcreteModel()
    m.a = pyo.Var()
    m.b = pyo.Var()
    m.eq = pyo.Constraint(expr=m.a + 1 == 3)
    m.ranged = pyo.Constraint(expr=pyo.inequality(0, m.b - 2, 5))
    m.cost = pyo.Objective(expr=m.a + m.b)
    compiled = compile_model(m, [m.a, m.b], [m.eq, m.ranged])
    np.testing.assert_array_equal(compiled.row_lower, [2.0, 2.0])
    np.testing.assert_array_equal(compiled.row_upper, [2.0, 7.0])
    np.testing.assert_array_equal(compiled.col_lower, [-np.inf, -np.inf])
    h = solved(m, [m.a, m.b], [m.eq, m.ranged])
    assert h.getInfo().objective_function_value == pytest.approx(4.0)


def test_a_variable_repeated_in_a_row_is_summed():
    """x + x <= 4 (Pyomo keeps both terms) and a matrix row repeating a column: one
    coefficient each, 2 and 3; max x with 3x <= 9 also: x = 2."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeReals)
    m.twice = pyo.Constraint(expr=m.x + m.x <= 4)
    m.thrice = MatrixRows(np.array([1.0, 2.0]), np.array([0, 1]), np.array([0, 2]), [None], [9.0], (m.x, m.x))
    m.value = pyo.Objective(expr=m.x, sense=pyo.maximize)
    compiled = compile_model(m, [m.x], [m.twice, m.thrice[0]])
    np.testing.assert_array_equal(compiled.starts, [0, 1, 2])
    np.testing.assert_array_equal(compiled.index, [0, 0])
    np.testing.assert_array_equal(compiled.value, [2.0, 3.0])
    h = solved(m, [m.x], [m.twice, m.thrice[0]])
    assert h.getInfo().objective_function_value == pytest.approx(2.0)


def test_maximisation_keeps_its_sense():
    """max 3a + b with a + b <= 4 (c3 loosened): a = 4, b = 0, value 12."""
    m = pyo.ConcreteModel()
    m.a = pyo.Var(within=pyo.NonNegativeReals)
    m.b = pyo.Var(within=pyo.NonNegativeReals)
    m.c = pyo.Constraint(expr=m.a + m.b <= 4)
    m.value = pyo.Objective(expr=3 * m.a + m.b, sense=pyo.maximize)
    h = solved(m, [m.a, m.b], [m.c])
    assert h.getInfo().objective_function_value == pytest.approx(12.0)
    np.testing.assert_allclose(h.getSolution().col_value, [4.0, 0.0])


def test_a_row_not_stated_goes_as_an_empty_free_row():
    """None in the rows keeps the positions: HiGHS gets a free row there, with dual 0."""
    model, variables, constraints = hand_model()
    model.c3.deactivate()
    h = solved(model, variables, [constraints[0], None, constraints[1]])
    assert h.getInfo().objective_function_value == pytest.approx(10.5)
    np.testing.assert_allclose(h.getSolution().row_dual, [2.5, 0.0, -0.5], atol=1e-12)


def test_an_active_constraint_left_out_is_an_error():
    model, variables, constraints = hand_model()
    with pytest.raises(ValueError, match="c3 is active in the model but not among the rows"):
        compile_model(model, variables, constraints[:2])


def test_a_variable_not_among_the_columns_is_an_error():
    model, variables, constraints = hand_model()
    with pytest.raises(ValueError, match="uses variable b, which is not among the columns"):
        compile_model(model, variables[:1], constraints)


def test_a_nonlinear_row_is_an_error():
    model, variables, constraints = hand_model()
    model.c4 = pyo.Constraint(expr=model.a * model.b <= 1)
    with pytest.raises(ValueError, match="c4 is not linear"):
        compile_model(model, variables, [*constraints, model.c4])


def test_an_integer_variable_is_an_error():
    """The interface solves LPs: a MIP is refused rather than solved as its relaxation."""
    model, variables, constraints = hand_model()
    model.a.domain = pyo.NonNegativeIntegers
    with pytest.raises(ValueError, match="a is not continuous"):
        compile_model(model, variables, constraints)


def test_an_sos_constraint_is_an_error():
    model, variables, constraints = hand_model()
    model.y = pyo.Var([1, 2], within=pyo.NonNegativeReals)
    model.sos = pyo.SOSConstraint(var=model.y, sos=1)
    with pytest.raises(ValueError, match="sos"):
        compile_model(model, variables, constraints)


def test_the_model_needs_one_objective():
    model, variables, constraints = hand_model()
    model.cost.deactivate()
    with pytest.raises(ValueError, match="0 active objectives"):
        compile_model(model, variables, constraints)


# ---------------------------------------------------------------------------------
# Quadratic objectives with a diagonal Hessian (the linear demand form's QP)
# ---------------------------------------------------------------------------------


def test_a_diagonal_quadratic_objective_goes_to_highs_as_its_hessian():
    """min (a - 1)^2 + b^2 + 2b with the hand model's rows. On c1 alone (a + b = 4) the
    optimum a = 3, b = 1 breaks c2 (a - b <= 1), so c1 and c2 bind: a = 2.5, b = 1.5,
    objective 1.5^2 + 1.5^2 + 3 = 7.5; duals from the gradient (2(a - 1), 2b + 2) = (3, 5)
    = y1 (1, 1) + y2 (1, -1): y1 = 4, y2 = -1."""
    model, variables, constraints = hand_model()
    model.cost.deactivate()
    model.qp = pyo.Objective(expr=(model.a - 1) ** 2 + model.b**2 + 2 * model.b)
    compiled = compile_model(model, variables, constraints)
    np.testing.assert_array_equal(compiled.hessian, [2.0, 2.0])
    np.testing.assert_array_equal(compiled.cost, [-2.0, 2.0])
    assert compiled.objective_offset == 1.0
    h = solved(model, variables, constraints)
    assert h.getInfo().objective_function_value == pytest.approx(7.5, abs=1e-6)
    np.testing.assert_allclose(h.getSolution().col_value, [2.5, 1.5], atol=1e-6)
    np.testing.assert_allclose(h.getSolution().row_dual, [4.0, -1.0, 0.0], atol=1e-6)


def test_a_concave_quadratic_objective_is_maximised():
    """max 4a - a^2 with a + b <= 4: a = 2, value 4 (HiGHS takes the negative Hessian when maximising)."""
    m = pyo.ConcreteModel()
    m.a = pyo.Var(within=pyo.NonNegativeReals)
    m.b = pyo.Var(within=pyo.NonNegativeReals)
    m.c = pyo.Constraint(expr=m.a + m.b <= 4)
    m.value = pyo.Objective(expr=4 * m.a - m.a**2, sense=pyo.maximize)
    compiled = compile_model(m, [m.a, m.b], [m.c])
    assert compiled.maximise
    np.testing.assert_array_equal(compiled.hessian, [-2.0, 0.0])
    h = solved(m, [m.a, m.b], [m.c])
    assert h.getInfo().objective_function_value == pytest.approx(4.0, abs=1e-6)
    assert h.getSolution().col_value[0] == pytest.approx(2.0, abs=1e-5)


def test_a_linear_objective_with_a_constant_keeps_the_fast_path(monkeypatch):
    """A LinearExpression holding a constant (the array models' objective with demand curves)
    is read term by term, without Pyomo's standard repn; its Hessian is None."""
    from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

    import oreflow.solvers.pyomo_highs as pyomo_highs

    model, variables, constraints = hand_model()
    model.cost.deactivate()
    model.linear = pyo.Objective(
        expr=LinearExpression([MonomialTermExpression((2.0, model.a)), MonomialTermExpression((3.0, model.b)), 1.0])
    )
    model.c3.deactivate()  # the one row read through the standard repn

    def refuse(*args, **kwargs):
        raise AssertionError("generate_standard_repn called")

    monkeypatch.setattr(pyomo_highs, "generate_standard_repn", refuse)
    compiled = compile_model(model, variables, [constraints[0], constraints[1], None])
    np.testing.assert_array_equal(compiled.cost, [2.0, 3.0])
    assert compiled.objective_offset == 1.0 and compiled.hessian is None


def test_an_off_diagonal_quadratic_term_is_an_error():
    model, variables, constraints = hand_model()
    model.cost.deactivate()
    model.qp = pyo.Objective(expr=model.a**2 + model.a * model.b)
    with pytest.raises(ValueError, match="of two different variables.*diagonal Hessian only"):
        compile_model(model, variables, constraints)


def test_a_nonconvex_quadratic_objective_is_an_error():
    model, variables, constraints = hand_model()
    model.cost.deactivate()
    model.qp = pyo.Objective(expr=model.a - model.b**2)
    with pytest.raises(ValueError, match=r"-1.0 \* b\*\*2 is not convex"):
        compile_model(model, variables, constraints)


def test_an_objective_beyond_degree_two_is_an_error():
    model, variables, constraints = hand_model()
    model.cost.deactivate()
    model.cubic = pyo.Objective(expr=model.a**3 + model.b)
    with pytest.raises(ValueError, match="neither linear nor quadratic"):
        compile_model(model, variables, constraints)
