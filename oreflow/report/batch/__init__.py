"""The report of a scenario batch: its comparison charts (:mod:`.charts`) and the comparison
page (:mod:`.pages`) linking to every case's own report (:mod:`oreflow.report.run`)."""
