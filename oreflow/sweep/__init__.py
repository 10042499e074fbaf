"""Sweeps, Monte Carlo samples and N-1 stress tests: many variants of one LP, solved by
re-solving the LP built once (docs/sensitivity.md).

- :mod:`.points`: the points of a grid or Monte Carlo sweep;
- :mod:`.engine`: a worker's LP, changed in place and re-solved per point;
- :mod:`.extract`: one row of figures per point, from the solution arrays;
- :mod:`.execute`: chunks run here, on local processes, or on a Dask cluster; the journal;
- :mod:`.run`, :mod:`.stress`: the ``oreflow sweep`` and ``oreflow stress`` commands' outputs.
"""
