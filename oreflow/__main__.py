"""``python -m oreflow`` is the ``oreflow`` command."""

from oreflow.cli import main

raise SystemExit(main())
