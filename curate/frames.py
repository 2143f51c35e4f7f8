"""Arrow tables as pandas frames with fixed columns and dtypes (the API's and agreement's)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

STRING = pa.string()
TEXT = "string"  # pandas' string dtype (NA for missing)
WHEN = "datetime64[us, UTC]"


def to_frame(
    table: pa.Table, spec: dict[str, str], categories: dict[str, list[str]] | None = None
) -> pd.DataFrame:
    """The table as a frame with spec's columns, in its order and dtypes. A category column's
    categories are the given names in order, then any other value found, sorted."""
    frame = table.select([name for name in spec if name in table.column_names]).to_pandas(
        types_mapper={STRING: pd.StringDtype(), pa.large_string(): pd.StringDtype()}.get
    )
    for name, dtype in spec.items():
        if name not in frame:
            continue
        if dtype == "category":
            known = list((categories or {}).get(name, []))
            found = set(frame[name].dropna().unique()) - set(known)
            frame[name] = pd.Categorical(frame[name], categories=[*known, *sorted(found)])
        elif dtype != "object":
            frame[name] = frame[name].astype(dtype)
    return frame
