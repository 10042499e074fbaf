"""Lists inside a cell: country groups (``FR;EE;EU``) and quota members (``R1;R2``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .tables import GROUP_SEPARATOR


def explode_list(values: pd.Series, name: str) -> pd.DataFrame:
    """One row per (position in ``values``, item) for ``;``-separated lists; blanks dropped."""
    frame = pd.DataFrame({"_row": np.arange(len(values)), name: values.to_numpy()})
    frame[name] = frame[name].astype(str).str.split(GROUP_SEPARATOR)
    frame = frame.explode(name)
    frame[name] = frame[name].str.strip()
    return frame.loc[frame[name] != ""].reset_index(drop=True)
