"""Diagnostics records as an aligned text table (:func:`format_table`, :func:`report`)."""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from minnet.diagnostics.walk import (
    Record,
)


# --- text report ----------------------------------------------------------------------------
def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, numbers.Number, np.generic))


def _format_value(value: Any, precision: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return f"{float(value):.{precision}g}"
    return str(value)


def format_table(records: Sequence[Record], columns: Sequence[str] | None = None, precision: int = 4) -> str:
    """The records as an aligned text table: a header, a rule, one row per record.

    ``columns`` picks and orders the columns (default: every key of the records whose
    values are scalars, in first-seen order — per-unit arrays such as ``dead_mask`` are
    left out). Numbers are right-aligned; floats are shown with ``precision`` significant
    digits; None (a value that does not apply, e.g. ``z_mean`` of a Dense layer) as "-".
    """
    records = list(records)
    if not records:
        return "(no records)"
    for i, r in enumerate(records):
        if not isinstance(r, dict):
            raise TypeError(f"format_table: record {i} is a {type(r).__name__}, expected a dict")
    if columns is None:
        seen: dict[str, None] = {}
        for r in records:
            seen.update({k: None for k, v in r.items() if _is_scalar(v)})
        columns = list(seen)
    else:
        columns = list(columns)
        missing = [c for c in columns if all(c not in r for r in records)]
        if missing:
            raise ValueError(f"format_table: no record has the column(s) {missing}; available: {sorted(records[0])}")
    cells = [[_format_value(r.get(c), precision) for c in columns] for r in records]
    numeric = [all(r.get(c) is None or (isinstance(r.get(c), (numbers.Number, np.generic))
                                        and not isinstance(r.get(c), (bool, np.bool_))) for r in records)
               for c in columns]
    widths = [max(len(c), *(len(row[j]) for row in cells)) for j, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric, strict=True)).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out)


def report(records: Sequence[Record], columns: Sequence[str] | None = None, precision: int = 4) -> None:
    """Print :func:`format_table` of the records (for a terminal or a notebook)."""
    print(format_table(records, columns=columns, precision=precision))
