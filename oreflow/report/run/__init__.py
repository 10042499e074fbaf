"""The report of one run (or one case of a batch): its tables as read back (:mod:`.data`),
the Sankey of its flows (:mod:`.sankey`), its charts (:mod:`.charts`) and their PNGs
(:mod:`.png`), and its page (:mod:`.pages`)."""
