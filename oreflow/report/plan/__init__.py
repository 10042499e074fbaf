"""The report of a plan over years (``oreflow run`` on a job with a ``[horizon]``): timelines of
capacity and its use, the builds, the market prices, the stockpiles and the costs, and the
binding build limits (:mod:`.data` reads the folder, :mod:`.figures` builds the year charts,
:mod:`.charts` states their findings, :mod:`.pages` writes the page, :mod:`.png` draws the PNGs)."""
