"""The reports of sweeps and N-1 stress tests: the points read back (:mod:`.points`), the
chart builders (:mod:`.figures`) and their PNGs (:mod:`.png`), a sweep's charts for its
shape (:mod:`.charts`: :mod:`.lines`, :mod:`.frontier`, :mod:`.grid`, :mod:`.sample`), a
stress test's (:mod:`.stress`) and both pages (:mod:`.pages`)."""
