"""The array LP: its sparse matrix, and agreement with a dense re-derivation on the micro model."""

from __future__ import annotations

import numpy as np
import pytest

import oreflow
from conftest import BASELINE_DATASET, micro_frames
from oreflow.model.arrays import CscMatrix
from oreflow.model.lp import build_lp


def test_csc_matrix_products_match_dense() -> None:
    rng = np.random.default_rng(3)
    dense = rng.normal(size=(7, 5)) * (rng.random((7, 5)) < 0.4)
    rows, cols = np.nonzero(dense)
    shuffle = rng.permutation(len(rows))
    matrix = CscMatrix.from_coo(rows[shuffle], cols[shuffle], dense[rows, cols][shuffle], dense.shape)
    x, y = rng.normal(size=5), rng.normal(size=7)
    np.testing.assert_allclose(matrix @ x, dense @ x)
    np.testing.assert_allclose(matrix.rmatvec(y), dense.T @ y)
    np.testing.assert_allclose(matrix.to_scipy().toarray(), dense)
    assert matrix.nnz == len(rows) and matrix.indptr.dtype == np.int32


def test_micro_lp_balance_coefficients() -> None:
    """balance[R2,P1] holds -recovery*share = -0.5*0.5 on x[A,R2] and +1 on s[R2,M,P1]."""
    lp = build_lp(oreflow.Network.from_frames(**micro_frames()))
    dense = lp.matrix.to_scipy().toarray()
    balance = lp.rows["balance"]
    row = balance.start + int(np.flatnonzero((balance.index.refiner == "R2") & (balance.index["product"] == "P1"))[0])
    x, s = lp.columns["x"], lp.columns["s"]
    x_a_r2 = x.start + int(np.flatnonzero(x.index.refiner == "R2")[0])
    s_r2 = s.start + int(np.flatnonzero(s.index.refiner == "R2")[0])
    assert dense[row, x_a_r2] == pytest.approx(-0.25)
    assert dense[row, s_r2] == 1.0
    assert np.count_nonzero(dense[row]) == 2


def test_baseline_lp_has_no_policy_rows_and_no_scipy_needed() -> None:
    lp = build_lp(oreflow.load_inputs(BASELINE_DATASET))
    assert [len(lp.rows[f].index) for f in ("ban", "quota", "share_limit")] == [0, 0, 0]
    assert lp.matrix.nnz == int(np.count_nonzero(lp.matrix.data))
