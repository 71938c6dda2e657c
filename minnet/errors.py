"""Exceptions minnet raises on purpose, so users can catch them by name.

- :class:`DivergedError` (a ``FloatingPointError``): training produced a NaN or infinite
  loss, output or parameter; ``mn.fit(..., on_divergence="raise")`` raises it.
- :class:`ModelFileError` (a ``ValueError``): a file given to ``mn.load`` or
  ``mn.fit(..., resume_from=...)`` is not a minnet file, is truncated or corrupt
  (its checksum does not match), was written by a newer minnet, or does not fit the
  model it is loaded into.
- :class:`NotARegularFileError` (an ``OSError``): a file was to be written onto a path that
  holds a directory, a FIFO, a socket or a device (``/dev/null``); nothing was changed.

Everything else that is wrong with an argument raises a plain ``ValueError`` or
``TypeError`` naming the function or class, the bad value and what was expected.
"""

from __future__ import annotations


class DivergedError(FloatingPointError):
    """Training produced a NaN or infinite loss (or model output, or parameter).

    Attributes ``epoch`` (1-based) and ``step`` (1-based batch within the epoch) say
    where, ``loss`` is the offending loss (nan when the model's output was already not
    finite; for "parameters" the last, finite, loss) and ``reason`` says what was found:
    "output" (the model's output held NaN/inf), "loss" (the loss was NaN/inf),
    "parameters" (the last optimizer step of an epoch wrote NaN/inf into the parameters) or
    "validation output" (finite weights whose output on the validation data overflows).
    The usual cause is a learning rate that is too high; inputs that are not
    standardised, or a loss fed probabilities instead of logits, are others.
    """

    def __init__(self, message: str, epoch: int, step: int, loss: float, reason: str = "loss") -> None:
        super().__init__(message)
        self.epoch = epoch
        self.step = step
        self.loss = loss
        self.reason = reason


class ModelFileError(ValueError):
    """A model or checkpoint file cannot be used.

    Raised by ``mn.load`` and ``mn.fit(..., resume_from=path)`` when the file is not a
    minnet file, is truncated or corrupt, holds something minnet never writes (for
    example a pickled object array), was written by a newer format version, or does not
    fit the model, optimizer or schedule it is loaded into (the message names the
    parameter and both shapes). Missing or unreadable files raise the usual ``OSError``
    (``FileNotFoundError``, ``PermissionError``, ...) instead.
    """


class NotARegularFileError(OSError):
    """A path given to be written (``mn.save``, ``mn.Checkpoint``, ``History.to_csv``) is not a regular file.

    Raised, before anything is written, when the path names a directory, a FIFO, a socket or a
    character or block device (writing "onto" ``/dev/null`` as root would replace the device
    node with a regular file). Symbolic links are followed: the file they point to is written.
    """
