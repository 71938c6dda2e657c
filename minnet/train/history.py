"""History: what ``mn.fit`` measured, one row per epoch."""

from __future__ import annotations

import csv
import math
import os
from typing import IO, Any, Iterator, Sequence

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

    def plot(self, metrics: Sequence[str] | None = None, *, logy: bool = False) -> Any:
        """Draw each metric per epoch, training and validation in one panel; return the matplotlib Figure.

        ``metrics`` are the base names to draw, one panel each (default: ``"loss"`` and, for a classifier,
        ``"accuracy"``; pass a monitor's keys, e.g. ``["loss", "dead_fraction/1"]``, to draw those).
        ``"loss"`` draws ``history["loss"]`` and, where present, ``history["val_loss"]``. ``logy`` puts the losses on a
        log scale. Needs matplotlib (the plot extra: ``pip install -e ".[plot]"`` in a clone of minnet).
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError('History.plot needs matplotlib, which comes with minnet\'s plot extra: '
                              'pip install -e ".[plot]" in a clone of minnet (or pip install matplotlib)') from exc
        names = [k for k in ("loss", "accuracy") if k in self] if metrics is None else list(metrics)
        for name in names:
            if name not in self:
                raise KeyError(f"History.plot: no {name!r} to plot; it has: {', '.join(self.keys()) or 'nothing'}")
        fig, axes = plt.subplots(1, max(1, len(names)), figsize=(4.5 * max(1, len(names)), 3.4), squeeze=False)
        epochs = self["epoch"] if "epoch" in self else list(range(1, len(self) + 1))
        for ax, name in zip(axes[0], names):
            ax.plot(epochs, self[name], "o-", ms=3, label=f"train {name}")
            if f"val_{name}" in self:
                ax.plot(epochs, self[f"val_{name}"], "s--", ms=3, label=f"validation {name}")
            if logy and "loss" in name:
                ax.set_yscale("log")
            ax.set(xlabel="epoch", ylabel=name, title=name)
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        last = self.records[-1] if self.records else {}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items() if isinstance(v, float))
        state = ", diverged" if self.diverged else ""
        return f"History(epochs={len(self)}{state}{', last: ' + shown if shown else ''})"
