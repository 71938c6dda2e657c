"""Pooling on (N, C, H, W): MaxPool2D, AvgPool2D (PyTorch's ``max_pool2d``/``avg_pool2d``) and GlobalAvgPool2D.

Each channel is pooled on its own over windows of kh×kw positions, moved by the stride (default: the kernel
size, so windows do not overlap). With padding (ph, pw) the output size is PyTorch's (``ceil_mode=False``):

    Ho = ⌊(H + 2·ph − kh) / sh⌋ + 1,      Wo = ⌊(W + 2·pw − kw) / sw⌋ + 1

As in PyTorch, the padding may be at most half the kernel size. Max pooling pads with −∞ (padding is never
the maximum); average pooling pads with 0 and counts the padding in the average (PyTorch's default
``count_include_pad=True``), so every window is divided by kh·kw.

Reference and fast path. Each class has, right under its docstring, ``reference(x, training=False) ->
(y, backward)``: the definition as a loop over output positions, where ``backward(dy) -> dx`` sends each
output's gradient back onto its window (the layer contract of :mod:`minnet.nn.layer`). Under
:func:`minnet.textbook` ``forward`` runs it. The fast paths view every window at once (``sliding_window_view``,
see :mod:`minnet.nn.conv`); the tests prove both paths equal.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minnet.nn.conv import Padding, Pair, add_windows, as_pair, output_shape, pad_input, unpad, windows
from minnet.nn.layer import Layer
from minnet.textbook import is_textbook
from minnet.validation import all_finite

_NO_DILATION = (1, 1)
Backward = Callable[[np.ndarray], np.ndarray]


def _as_float4(layer: Layer, x: np.ndarray) -> np.ndarray:
    """x as a floating (N, C, H, W) array (non-float input becomes float64), or a ValueError naming ``layer``."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{layer!r}: expected input of shape (N, C, H, W), got an array of shape {x.shape}")
    return x if x.dtype.kind == "f" else x.astype(np.float64)


class _Pool2D(Layer):
    """What MaxPool2D and AvgPool2D share: kernel, stride, padding, output size and the two paths."""

    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None = None, padding: int | Pair = 0) -> None:
        super().__init__()
        where = type(self).__name__
        self.kernel_size = as_pair(kernel_size, "kernel_size", where)
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride", where)
        self.padding = as_pair(padding, "padding", where, minimum=0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"{where}: padding must be at most half the kernel size (as in PyTorch), got padding "
                             f"{self.padding} for kernel_size {self.kernel_size}")
        ph, pw = self.padding
        self._pad: Padding = (ph, ph, pw, pw)
        self._cache: dict[str, Any] | None = None
        self._reference_backward: Backward | None = None
        self._y_shape: tuple[int, ...] | None = None

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        raise NotImplementedError

    def _under(self, i: int, j: int) -> tuple[slice, slice]:
        """Rows and columns of xp under output position (i, j): i·sh … i·sh + kh − 1, j·sw … j·sw + kw − 1."""
        (sh, sw), (kh, kw) = self.stride, self.kernel_size
        return slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)

    def _window(self, xp: np.ndarray, i: int, j: int) -> np.ndarray:
        """The window under output position (i, j), flattened: (N, C, kh·kw)."""
        rows, cols = self._under(i, j)
        return xp[:, :, rows, cols].reshape(*xp.shape[:2], -1)

    def _shape(self, x: np.ndarray) -> Pair:
        return output_shape(self, x, self.kernel_size, self.stride, self._pad, _NO_DILATION)

    def _windows(self, xp: np.ndarray) -> np.ndarray:
        return windows(xp, self.kernel_size, self.stride, _NO_DILATION)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = _as_float4(self, x)
        self._shape(x)                                                          # refuse too small inputs
        if is_textbook():
            self._cache = None
            y, self._reference_backward = self.reference(x, training)
        else:
            self._reference_backward = None
            y, kept = self._fast_forward(x)
            ph, pw = self.padding
            self._cache = {**kept, "dtype": x.dtype,
                           "xp_shape": (*x.shape[:2], x.shape[2] + 2 * ph, x.shape[3] + 2 * pw)}
        self._y_shape = y.shape
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._cache is None and self._reference_backward is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        dy = np.asarray(dy)
        if dy.shape != self._y_shape:
            raise ValueError(f"{self!r}: expected dy of shape {self._y_shape}, got {dy.shape}")
        if self._reference_backward is not None:
            return self._reference_backward(dy)
        assert self._cache is not None
        dxp = np.zeros(self._cache["xp_shape"], dtype=np.result_type(dy.dtype, self._cache["dtype"]))
        self._scatter(dxp, dy)
        return unpad(dxp, self._pad)

    def _fast_forward(self, x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        """y by the fast path, and what ``_scatter`` needs from this forward."""
        raise NotImplementedError

    def _scatter(self, dxp: np.ndarray, dy: np.ndarray) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding}


class MaxPool2D(_Pool2D):
    """Max pooling, PyTorch's ``nn.MaxPool2d`` (dilation 1, ``ceil_mode=False``).

    Shapes:    x (N, C, H, W) → y (N, C, Ho, Wo)
    Forward:   y[n, c, i, j] = max_{a, e} xp[n, c, i·sh + a, j·sw + e]        (xp: x padded with −∞)
    Backward:  the whole dy[n, c, i, j] goes to the window's **first** maximum in row-major order (a, then e);
               dx sums what every window sends to a position (windows overlap when stride < kernel_size).
               Ties: a window whose maximum occurs twice sends its gradient to the first occurrence only, so
               dx is a subgradient; PyTorch's CPU kernel documents no tie rule, and one-sided differences at a
               tie disagree anyway. A NaN in a window is its maximum (``np.argmax`` picks the first NaN).

    Parameters: ``kernel_size``, ``stride`` (default: kernel_size), ``padding`` (≤ kernel_size / 2); ints or pairs.
    """

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        """The formulas above, one output position (i, j) at a time: (y, backward), for a floating x."""
        xp = pad_input(x, self._pad, -np.inf)                                  # −∞ around x
        y = np.empty((*x.shape[:2], *self._shape(x)), dtype=x.dtype)
        first = np.empty(y.shape, dtype=np.intp)                                # a·kw + e of the first maximum
        for i, j in np.ndindex(*y.shape[2:]):
            window = self._window(xp, i, j)                                     # (N, C, kh·kw)
            first[:, :, i, j] = np.argmax(window, axis=-1)                      # the first maximum
            y[:, :, i, j] = np.take_along_axis(window, first[:, :, i, j, None], axis=-1)[..., 0]

        def backward(dy: np.ndarray) -> np.ndarray:
            dxp = np.zeros(xp.shape, dtype=np.result_type(dy.dtype, x.dtype))
            n, c = np.indices(x.shape[:2])
            (sh, sw), kw = self.stride, self.kernel_size[1]
            for i, j in np.ndindex(*y.shape[2:]):
                a, e = np.divmod(first[:, :, i, j], kw)                         # where the first maximum sits
                dxp[n, c, i * sh + a, j * sw + e] += dy[:, :, i, j]             # all of dy goes there
            return unpad(dxp, self._pad)
        return y, backward

    def _fast_forward(self, x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        y, first = self._fast_max(x)
        return y, {"first": first}

    def _fast_max(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(y, first) by a running maximum over the kh·kw kernel offsets, each a strided view of all windows.

        A later offset replaces the running maximum only when strictly greater, so ``first`` is the first
        maximum, as in :meth:`reference`. Inputs holding NaN take ``np.argmax`` over a copy of the windows,
        which makes the first NaN the maximum.
        """
        win = self._windows(pad_input(x, self._pad, -np.inf))                   # (N, C, Ho, Wo, kh, kw) view
        if not all_finite(x):
            flat = win.reshape(*win.shape[:4], -1)                              # one copy
            first = np.argmax(flat, axis=-1)
            return np.take_along_axis(flat, first[..., None], axis=-1)[..., 0], first
        kw, offsets = self.kernel_size[1], self.kernel_size[0] * self.kernel_size[1]
        y = win[..., 0, 0].copy()
        index_type = np.min_scalar_type(offsets - 1)
        first = np.zeros(y.shape, dtype=index_type)
        for k in range(1, offsets):
            candidate = win[..., k // kw, k % kw]
            # k exceeds every earlier offset, so "first = k where candidate > y" is a maximum (no branches):
            np.maximum(first, (candidate > y) * index_type.type(k), out=first)
            np.maximum(y, candidate, out=y)
        return y, first

    def _scatter(self, dxp: np.ndarray, dy: np.ndarray) -> None:
        """One addition per kernel offset (a, e): the windows whose first maximum sits there send it dy."""
        assert self._cache is not None
        first, kw = self._cache["first"], self.kernel_size[1]
        (sh, sw), (ho, wo) = self.stride, dy.shape[2:]
        for k in range(self.kernel_size[0] * kw):
            a, e = divmod(k, kw)
            dxp[:, :, a:a + sh * (ho - 1) + 1:sh, e:e + sw * (wo - 1) + 1:sw] += dy * (first == k)


class AvgPool2D(_Pool2D):
    """Average pooling, PyTorch's ``nn.AvgPool2d`` with its defaults ``count_include_pad=True``, ``ceil_mode=False``.

    Shapes:    x (N, C, H, W) → y (N, C, Ho, Wo)
    Forward:   y[n, c, i, j] = (1 / (kh·kw)) · Σ_{a, e} xp[n, c, i·sh + a, j·sw + e]      (xp: x padded with 0)
    Backward:  dx[n, c, i·sh + a − ph, j·sw + e − pw] += dy[n, c, i, j] / (kh·kw)   for every window and (a, e)

    Parameters: ``kernel_size``, ``stride`` (default: kernel_size), ``padding`` (≤ kernel_size / 2); ints or pairs.
    """

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        """The formulas above, one output position (i, j) at a time: (y, backward), for a floating x."""
        xp = pad_input(x, self._pad)                                            # zeros around x
        y = np.empty((*x.shape[:2], *self._shape(x)), dtype=x.dtype)
        for i, j in np.ndindex(*y.shape[2:]):
            y[:, :, i, j] = self._window(xp, i, j).mean(axis=-1)                # padding's zeros counted

        def backward(dy: np.ndarray) -> np.ndarray:
            dxp = np.zeros(xp.shape, dtype=np.result_type(dy.dtype, x.dtype))
            size = dxp.dtype.type(self.kernel_size[0] * self.kernel_size[1])    # kh·kw
            for i, j in np.ndindex(*y.shape[2:]):
                rows, cols = self._under(i, j)
                dxp[:, :, rows, cols] += dy[:, :, i, j, None, None] / size      # dy / (kh·kw) to every position
            return unpad(dxp, self._pad)
        return y, backward

    def _fast_forward(self, x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        return self._windows(pad_input(x, self._pad)).mean(axis=(-2, -1)), {}

    def _scatter(self, dxp: np.ndarray, dy: np.ndarray) -> None:
        share = dy / dxp.dtype.type(self.kernel_size[0] * self.kernel_size[1])
        dwin = np.broadcast_to(share[..., None, None], (*dy.shape, *self.kernel_size))
        add_windows(dxp, dwin, self.stride, _NO_DILATION)


class GlobalAvgPool2D(Layer):
    """The mean of each channel over all positions: (N, C, H, W) → (N, C).

    Forward:   y[n, c] = (1 / (H·W)) · Σ_{i, j} x[n, c, i, j]
    Backward:  dx[n, c, i, j] = dy[n, c] / (H·W)
    (PyTorch: ``nn.AdaptiveAvgPool2d(1)`` followed by flattening.)
    """

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        """The formulas above: (y, backward), for a floating x."""
        h, w = x.shape[2:]
        y = x.sum(axis=(2, 3)) / x.dtype.type(h * w)                           # (1/(H·W)) Σ_{i,j} x

        def backward(dy: np.ndarray) -> np.ndarray:
            return np.ones(x.shape, dtype=dy.dtype) * (dy / dy.dtype.type(h * w))[:, :, None, None]   # dy/(H·W)
        return y, backward

    def __init__(self) -> None:
        super().__init__()
        self._shape: tuple[int, ...] | None = None
        self._reference_backward: Backward | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """The fast path: ``mean`` (the same sum and division), and a broadcast copy in backward."""
        x = _as_float4(self, x)
        self._shape = x.shape
        if is_textbook():
            y, self._reference_backward = self.reference(x, training)
            return y
        self._reference_backward = None
        return x.mean(axis=(2, 3))

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._shape is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        n, c, h, w = self._shape
        dy = np.asarray(dy)
        if dy.shape != (n, c):
            raise ValueError(f"{self!r}: expected dy of shape {(n, c)}, got {dy.shape}")
        if self._reference_backward is not None:
            return self._reference_backward(dy)
        share = dy / dy.dtype.type(h * w)
        return np.broadcast_to(share[:, :, None, None], self._shape).copy()
