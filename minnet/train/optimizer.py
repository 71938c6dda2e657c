"""The optimizer base class: parameter bookkeeping, the flat layout of the fused step, state_dict.

:mod:`minnet.train.optim` holds the algorithms (SGD, Adam, AdamW, RMSprop), each a subclass of
:class:`Optimizer` with ``reference_step`` (the textbook update, per parameter) and ``_kernel`` (the fused
in-place update, run by ``step`` over every parameter of a dtype at once, see :mod:`minnet.train.flat`, or
per parameter when the flat layout does not apply).
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from minnet.nn.parameter import Parameter
from minnet.textbook import is_textbook
from minnet.train.flat import FlatGroup, build_groups
from minnet.validation import check_real

#: the dtypes whose subnormal state ``step`` flushes: float32 and float64, which NumPy computes in hardware (it
#: computes float16 in float32, where float16's subnormals are normal numbers and cost nothing, so they are kept)
_FLUSHED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def flush_subnormal(a: np.ndarray, scratch: np.ndarray | None = None) -> None:
    """Set the values of ``a`` whose magnitude is below the smallest normal number of its dtype to 0, in place
    (``scratch``, shaped and typed like ``a``, spares a temporary). Zeros stay zeros."""
    magnitude = np.abs(a, out=scratch)
    small = np.less(magnitude, np.finfo(a.dtype).tiny)
    small &= np.not_equal(a, 0)
    if small.any():
        a[small] = 0


def _collect_parameters(owner: str, params: Any) -> list[Parameter]:
    """A list of distinct Parameters from a model (``.parameters()``) or an iterable of Parameters."""
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Parameter):
        params = [params]
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"{owner}: expected a model with .parameters() or an iterable of Parameters, "
            f"got {type(params).__name__}"
        ) from None
    unique: list[Parameter] = []
    seen: set[int] = set()
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"{owner}: expected minnet.Parameter objects, got {type(p).__name__}")
        if id(p) not in seen:                     # a parameter shared by two layers is updated once
            seen.add(id(p))
            unique.append(p)
    if not unique:
        raise ValueError(f"{owner}: got an empty parameter list")
    return unique


class Optimizer:
    """Base class: parameter bookkeeping, state_dict, scratch buffers; subclasses write ``_update``.

    Attributes
    ----------
    params : list[Parameter]    Every parameter given (frozen ones are skipped in ``step``).
    lr : float                  Current learning rate (schedules set it).
    initial_lr : float | None   The lr before any schedule; recorded by the first schedule
                                attached, so chained schedules share one base lr.
    step_count : int            Number of ``step()`` calls so far.
    state : dict[Parameter, dict[str, np.ndarray]]  Per-parameter buffers, keyed by parameter,
                                allocated at construction with each parameter's dtype: convert the
                                model's dtype (``model.astype``) before creating its optimizer.
    """

    #: names of the per-parameter state arrays, in state_dict order
    state_names: tuple[str, ...] = ()
    #: every this many fast-path steps, state values below the smallest normal number become 0
    #: (:mod:`minnet.train.optim`, "Subnormal state")
    FLUSH_EVERY = 64
    #: further keys a subclass adds to state_dict
    extra_state_keys: tuple[str, ...] = ()

    def __init__(self, params: Any, lr: float) -> None:
        name = type(self).__name__
        self.params: list[Parameter] = _collect_parameters(name, params)
        self.lr = check_real(lr, "lr", name, low=0, high_open=True)
        self.initial_lr: float | None = None
        self.step_count = 0
        self.state: dict[Parameter, dict[str, np.ndarray]] = {
            p: {key: np.zeros_like(p.data) for key in self._state_names()} for p in self.params
        }
        self._scratch: dict[np.dtype, np.ndarray] = {}
        self._groups: list[FlatGroup] | None = self._build_groups()

    def _state_names(self) -> tuple[str, ...]:
        return self.state_names

    # --- the update -------------------------------------------------------------------------
    def step(self) -> None:
        """Apply one update to every trainable parameter, from its current ``grad``."""
        if is_textbook():
            self.reference_step()
            return
        groups = self._fused_groups()
        if groups is None:
            for p, state in self._begin_step():
                self._update(p, state)
        else:
            self.step_count += 1
            for group in groups:
                self._fused_update(group)
        if self.step_count % self.FLUSH_EVERY == 0:
            self._flush_subnormal_state(groups)

    def _flush_subnormal_state(self, groups: list[FlatGroup] | None) -> None:
        """Set every state value of magnitude below the dtype's smallest normal number to 0 (see the class
        attribute ``FLUSH_EVERY``): one pass per flat state buffer, or per state array without them."""
        arrays: list[tuple[np.ndarray, np.ndarray | None]]
        if groups is not None:
            arrays = [(buffer, group.scratch) for group in groups for buffer in group.state.values()]
        else:
            arrays = [(a, None) for state in self.state.values() for a in state.values()]
        for a, scratch in arrays:
            if a.dtype in _FLUSHED_DTYPES and a.flags.writeable:
                flush_subnormal(a, scratch)

    def reference_step(self) -> None:
        """The update of the class docstring, one line per formula. minnet's optimizers write their own; an
        optimizer that does not (one written by a student, say) runs its ``_update`` here too."""
        for p, state in self._begin_step():
            self._update(p, state)

    def _begin_step(self) -> Iterator[tuple[Parameter, dict[str, np.ndarray]]]:
        """Count the step, then yield (parameter, its state) for every trainable parameter."""
        self.step_count += 1
        return ((p, self.state[p]) for p in self.params if p.trainable)

    def _update(self, p: Parameter, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError(f"{type(self).__name__}._update is not implemented")

    # --- the fused path: one update over each dtype's flat buffers (minnet.train.flat) ----------------
    def _fused_update(self, group: FlatGroup) -> None:
        """The update of every parameter in ``group`` at once; an optimizer without one updates per parameter."""
        raise NotImplementedError

    def _fused_applies(self) -> bool:
        """Whether the state allows one update for all parameters (Adam: every parameter at the same step)."""
        return True

    def _build_groups(self) -> list[FlatGroup] | None:
        if type(self)._fused_update is Optimizer._fused_update:
            return None
        return build_groups(self.params, self.state, self._state_names())

    def _fused_groups(self) -> list[FlatGroup] | None:
        """The flat layout when the fused step applies, built again if a parameter, gradient or state array was
        re-bound since; None when it does not apply (a frozen parameter, an optimizer without ``_fused_update``)."""
        if not self._fused_applies():
            return None
        groups = self._groups
        if groups is None or not all(group.intact(self.state) for group in groups):
            groups = self._groups = self._build_groups()
        return groups

    def _decays(self, p: Parameter, weight_decay: float) -> bool:
        """True when weight decay λ applies to ``p`` (λ ≠ 0 and the parameter allows it)."""
        return bool(weight_decay) and p.weight_decay

    def _refuse_float16(self, eps: float) -> None:
        """Raise a TypeError naming the first float16 parameter (see the module docstring for why)."""
        for i, p in enumerate(self.params):
            if p.data.dtype == np.float16:
                raise TypeError(
                    f"{type(self).__name__}: parameter {i} ({p.name!r}) is float16, where eps={eps!r} rounds "
                    f"to {float(np.float16(eps))!r} and squared gradients below about 2.4e-4 underflow to 0, "
                    "so √v + eps is 0 and the update is inf or NaN; convert the model to float32 first "
                    "(model.astype(np.float32)), or use SGD"
                )

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0 in place: one fill per dtype while the flat buffers hold them."""
        groups = self._groups
        if groups is not None and all(group.flat.bound() for group in groups):
            for group in groups:
                group.flat.grad.fill(0)
                for p in group.params:
                    p.mark_grad_zero()        # so that a layer may write its first gradient straight in
            return
        for p in self.params:
            p.zero_grad()

    def _work(self, p: Parameter, n: int = 1) -> list[np.ndarray]:
        """``n`` scratch arrays shaped like ``p`` (contents undefined), carved from one reused buffer."""
        size, dtype = p.data.size, p.data.dtype
        buf = self._scratch.get(dtype)
        if buf is None or buf.size < n * size:
            largest = max(q.data.size for q in self.params if q.data.dtype == dtype)
            buf = self._scratch[dtype] = np.empty(n * max(size, largest), dtype=dtype)
        return [buf[i * size:(i + 1) * size].reshape(p.data.shape) for i in range(n)]

    def _decayed_grad(self, p: Parameter, weight_decay: float, out: np.ndarray) -> np.ndarray:
        """g + λθ (L2 penalty folded into the gradient), written into ``out``; just g when no decay applies.

        ``p.grad`` itself is never modified.
        """
        if self._decays(p, weight_decay):
            np.multiply(p.data, weight_decay, out=out)
            out += p.grad
            return out
        return p.grad

    # --- state ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Plain numbers and numpy arrays (copies): ``{"step": int, "lr": float, <state name>: [array per param]}``."""
        d: dict[str, Any] = {"step": self.step_count, "lr": self.lr}
        for key in self._state_names():
            d[key] = [self.state[p][key].copy() for p in self.params]
        return d

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (same parameter order and shapes); arrays are copied in."""
        name = type(self).__name__
        missing = {"step", "lr", *self._state_names(), *self.extra_state_keys} - set(d)
        if missing:
            raise ValueError(f"{name}.load_state_dict: missing keys {sorted(missing)}; got {sorted(d)}")
        for key in self._state_names():
            arrays = d[key]
            if len(arrays) != len(self.params):
                raise ValueError(
                    f"{name}.load_state_dict: {key!r} has {len(arrays)} entries, "
                    f"expected one per parameter ({len(self.params)})"
                )
            for i, (p, a) in enumerate(zip(self.params, arrays, strict=True)):
                a = np.asarray(a)
                if a.shape != p.data.shape:
                    raise ValueError(
                        f"{name}.load_state_dict: {key}[{i}] has shape {a.shape}, "
                        f"expected {p.data.shape} (parameter {p.name!r})"
                    )
        self.step_count = int(d["step"])
        self.lr = check_real(d["lr"], "lr", f"{name}.load_state_dict", low=0, high_open=True)
        for key in self._state_names():
            for p, a in zip(self.params, d[key], strict=True):
                self.state[p][key] = np.array(a, dtype=p.data.dtype)

    # --- description ------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Hyperparameters (constructor keyword arguments, with the current lr)."""
        return {"lr": self.lr}

    def __repr__(self) -> str:
        n = len(self.params)
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}(<{n} parameter{'s' if n != 1 else ''}>, {args})"
