"""``oreflow serve``: a local web app that re-solves the job's dataset as its controls move.

- :mod:`.controls`: what the analyst can move, each control turned into scenario changes
  (:class:`oreflow.job.Change`) and checked into named :class:`~oreflow.errors.InputError`
  problems;
- :mod:`.session`: the job's base case (solved once) and each browser tab's own state: its
  controls, its :class:`oreflow.Resolver` (re-solves in place from the last basis), its last
  good answer;
- :mod:`.figures`: a view of a result with the report's own figures and wording
  (:mod:`oreflow.report.run`), and each figure's change against the base case;
- :mod:`.exports`: the current changes as a ``[[scenarios]]`` entry or a job file, the
  current tables as a zip of CSV files, the current report;
- :mod:`.page`: the one HTML page and its script; :mod:`.server`: the Starlette app.

Starlette and uvicorn (the ``app`` extra) are imported by :mod:`.server` only, which only
``oreflow serve`` imports: ``oreflow run`` never loads them.
"""
