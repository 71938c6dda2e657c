"""History: what ``mn.fit`` measured, one row per epoch."""

from __future__ import annotations

import csv
import math
import os
from typing import IO, Any, Iterator

from minnet.io.files import write_text_atomic


class History:
    """Per-epoch records of a training run, with dict-like access.

    ``history["loss"]`` is the list of training losses, one per epoch; the other
    standard keys are ``"accuracy"`` (classification only), ``"val_loss"``,
    ``"val_accuracy"`` (with validation data), ``"lr"`` and ``"seconds"``. Monitors
    (:mod:`minnet.train.monitors`) add their own keys, e.g. ``"dead_fraction/1"``.

    ``diverged`` is True when training stopped on a NaN or infinite loss, and
    ``divergence`` then holds ``{"epoch": ..., "step": ..., "loss": ...}``.
    """

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.diverged: bool = False
        self.divergence: dict[str, Any] | None = None

    def append(self, record: dict[str, Any]) -> None:
        """Add the record of one finished epoch."""
        self.records.append(dict(record))

    def keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for record in self.records:
            seen.update(dict.fromkeys(record))
        return list(seen)

    def __getitem__(self, key: str) -> list[Any]:
        if key not in self.keys():
            raise KeyError(f"History has no {key!r}; it has: {', '.join(self.keys()) or 'nothing yet'}")
        return [record.get(key, math.nan) for record in self.records]

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def items(self) -> Iterator[tuple[str, list[Any]]]:
        for key in self.keys():
            yield key, self[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.records)

    def to_dict(self) -> dict[str, list[Any]]:
        return dict(self.items())

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write one row per epoch, a column per key.

        Written atomically by :func:`minnet.io.files.write_text_atomic` (a unique temporary file,
        fsync, rename; removed on error): readers never see half a file, a symlink at ``path`` is
        kept and its target written, and a directory, FIFO or device at ``path`` raises
        :class:`minnet.errors.NotARegularFileError` before anything is written.
        """
        columns = self.keys()

        def write(f: IO[str]) -> None:
            writer = csv.DictWriter(f, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows(self.records)

        write_text_atomic(path, write, "History.to_csv")

    def __repr__(self) -> str:
        last = self.records[-1] if self.records else {}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items() if isinstance(v, float))
        state = ", diverged" if self.diverged else ""
        return f"History(epochs={len(self)}{state}{', last: ' + shown if shown else ''})"
