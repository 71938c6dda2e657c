"""Exceptions minnet raises on purpose, so users can catch them by name."""

from __future__ import annotations


class DivergedError(FloatingPointError):
    """Training produced a NaN or infinite loss.

    Attributes ``epoch`` (1-based) and ``step`` (1-based batch within the epoch) say
    where. The usual cause is a learning rate that is too high; inputs that are not
    standardised, or a loss fed probabilities instead of logits, are others.
    """

    def __init__(self, message: str, epoch: int, step: int, loss: float) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.step = step
        self.loss = loss
