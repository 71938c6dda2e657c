"""Conv2D: the 2-D convolution (cross-correlation) of PyTorch's ``nn.Conv2d``, on (N, C, H, W).

With input x (N, C, H, W), weight W (O, C, kh, kw), bias b (O,), stride (sh, sw), dilation (dh, dw) and
x zero-padded to xp (N, C, H + pt + pb, W + pl + pr), the output y (N, O, Ho, Wo) is

    y[n, o, i, j] = b[o] + Σ_{c, a, e} W[o, c, a, e] · xp[n, c, i·sh + a·dh, j·sw + e·dw]

    Ho = ⌊(H + pt + pb − dh·(kh − 1) − 1) / sh⌋ + 1       (PyTorch's formula; Wo likewise)

**im2col.** Gather every window of xp into a matrix of columns, cols (N, K, L) with K = C·kh·kw rows (one per
weight of a filter) and L = Ho·Wo columns (one per output position); the convolution is then one matrix
product per sample, and so is each gradient:

    forward    y  = W₂ @ cols + b          W₂ = W.reshape(O, K);   y: (N, O, L) → (N, O, Ho, Wo)
    backward   dW₂ += Σ_n dy_n @ cols_nᵀ    (O, K)
               db  += Σ_{n, i, j} dy        (O,)
               dcols = W₂ᵀ @ dy_n           (N, K, L); col2im adds each column back onto the window it came
                                            from, dx = Σ over windows (windows overlap when stride < span)

The windows are views (``numpy.lib.stride_tricks.sliding_window_view``); only the ``reshape`` into cols copies.

**Memory.** cols holds K·L numbers per sample (for 64 channels, 3×3, 32×32: 2.4 MB in float32), so a batch of
thousands would need gigabytes. The layer therefore works on chunks of samples sized so that cols and dcols of
one chunk together stay within ``workspace_bytes`` (default :data:`WORKSPACE_BYTES` = 256 MB; at least one
sample per chunk). When the whole batch fits, forward keeps cols for backward; otherwise forward keeps only the
padded input and backward rebuilds cols chunk by chunk.

**Reference path.** :meth:`Conv2D.reference` ``(x, training=False) -> (y, backward)``, right under the class
docstring, writes the sums above as a loop over output positions (one ``einsum`` per position, reading like the
formula); ``backward(dy) -> dx`` adds dW and db into the parameters' ``grad``, as ``Layer.backward`` does. Under
:func:`minnet.textbook` the layer runs it; the tests prove both paths equal (the same sums in another order).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minnet.nn.init import Initializer, get_initializer, initializer_name
from minnet.nn.layer import Layer
from minnet.nn.parameter import Parameter
from minnet.rng import make_rng
from minnet.textbook import is_textbook
from minnet.validation import check_positive_int

#: Extra memory (bytes) the im2col buffers of one chunk may use: 256 MB.
WORKSPACE_BYTES = 256 * 2**20

Pair = tuple[int, int]
Padding = tuple[int, int, int, int]          # top, bottom, left, right
Backward = Callable[[np.ndarray], np.ndarray]


# --- geometry shared with the pooling layers --------------------------------------------------------
def as_pair(value: Any, name: str, where: str, minimum: int = 1) -> Pair:
    """An int or a pair of ints, each ≥ ``minimum``, as a pair; a ValueError naming ``name`` otherwise."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    ok = len(items) == 2 and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and int(v) >= minimum for v in items)
    if not ok:
        raise ValueError(f"{where}: {name} must be an int ≥ {minimum} or a pair of them, got {value!r}")
    return int(items[0]), int(items[1])


def span(kernel: Pair, dilation: Pair) -> Pair:
    """How many input rows and columns one (dilated) window covers: d·(k − 1) + 1."""
    return dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1


def pad_input(x: np.ndarray, padding: Padding, value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) padded with ``value``: (N, C, H + top + bottom, W + left + right); x itself if no padding."""
    top, bottom, left, right = padding
    if not any(padding):
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def output_shape(layer: Layer, x: np.ndarray, kernel: Pair, stride: Pair, padding: Padding,
                 dilation: Pair) -> Pair:
    """(Ho, Wo) = ⌊(size + padding − span) / stride⌋ + 1, or a ValueError naming ``layer`` if a size is < 1."""
    if x.ndim != 4:
        raise ValueError(f"{layer!r}: expected input of shape (N, C, H, W), got an array of shape {x.shape}")
    padded = (x.shape[2] + padding[0] + padding[1], x.shape[3] + padding[2] + padding[3])
    covered = span(kernel, dilation)
    if padded[0] < covered[0] or padded[1] < covered[1]:
        raise ValueError(f"{layer!r}: the padded input is {padded[0]}×{padded[1]}, smaller than one window "
                         f"{covered[0]}×{covered[1]} (input shape {x.shape})")
    return (padded[0] - covered[0]) // stride[0] + 1, (padded[1] - covered[1]) // stride[1] + 1


def windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """Every window of the padded input as a view: (N, C, Ho, Wo, kh, kw), ``[..., i, j, a, e]`` =
    ``xp[..., i·sh + a·dh, j·sw + e·dw]``."""
    view = sliding_window_view(xp, span(kernel, dilation), axis=(2, 3))
    return view[:, :, ::stride[0], ::stride[1], ::dilation[0], ::dilation[1]]


def add_windows(dxp: np.ndarray, dwin: np.ndarray, stride: Pair, dilation: Pair) -> None:
    """col2im: add each window's gradient dwin (N, C, Ho, Wo, kh, kw) onto the positions of dxp it came from.

    One strided addition per kernel offset (a, e), so overlapping windows accumulate correctly.
    """
    ho, wo, kh, kw = dwin.shape[2:]
    for a in range(kh):
        for e in range(kw):
            rows = slice(a * dilation[0], a * dilation[0] + stride[0] * (ho - 1) + 1, stride[0])
            cols = slice(e * dilation[1], e * dilation[1] + stride[1] * (wo - 1) + 1, stride[1])
            dxp[:, :, rows, cols] += dwin[:, :, :, :, a, e]


def unpad(dxp: np.ndarray, padding: Padding) -> np.ndarray:
    """The part of a padded-input gradient that belongs to the unpadded input."""
    top, bottom, left, right = padding
    return dxp[:, :, top:dxp.shape[2] - bottom, left:dxp.shape[3] - right]


def _conv_padding(padding: Any, kernel: Pair, stride: Pair, dilation: Pair) -> Padding:
    """(top, bottom, left, right) from an int, a pair, "valid" (0) or "same" (stride 1; as PyTorch, the odd
    extra row/column of an even span goes to the bottom/right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding != "same":
            raise ValueError(f"Conv2D: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"Conv2D: padding='same' needs stride 1 (as in PyTorch), got stride {stride}")
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2
    ph, pw = as_pair(padding, "padding", "Conv2D", minimum=0)
    return ph, ph, pw, pw


class Conv2D(Layer):
    """2-D convolution, PyTorch's ``nn.Conv2d`` (zero padding, groups = 1): see the module docstring.

    Shapes:    x (N, C, H, W) → y (N, O, Ho, Wo);  weight (O, C, kh, kw) as in PyTorch;  bias (O,)

    Forward:   y[n, o, i, j] = b[o] + Σ_{c, a, e} W[o, c, a, e] · xp[n, c, i·sh + a·dh, j·sw + e·dw]
    Backward:  dx[n, c, i·sh + a·dh − pt, j·sw + e·dw − pl] += Σ_o W[o, c, a, e] · dy[n, o, i, j]   (N, C, H, W)
               dW[o, c, a, e] += Σ_{n, i, j} dy[n, o, i, j] · xp[n, c, i·sh + a·dh, j·sw + e·dw]   (O, C, kh, kw)
               db[o]          += Σ_{n, i, j} dy[n, o, i, j]                                         (O,)
    (gradients that land on padding are dropped). Computed by im2col: ``cols`` (N, C·kh·kw, Ho·Wo), then
    y = W₂ @ cols, dW₂ = Σ_n dy_n @ cols_nᵀ, dcols = W₂ᵀ @ dy_n with W₂ = W.reshape(O, C·kh·kw).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, dilation : int or (int, int)
    padding : int, (int, int), "valid" (no padding) or "same" (stride 1 only: output size = input size;
        an odd total padding puts the extra row/column at the bottom/right, as PyTorch does)
    bias : bool, default True
    init : str or callable, default "lecun_normal"
        Weight initialiser from :mod:`minnet.nn.init`, called with shape (C, O, kh, kw) — so fan_in = C·kh·kw and
        fan_out = O·kh·kw, PyTorch's fans for a convolution — and transposed to (O, C, kh, kw). Biases start at 0.
    rng : int, Generator or None
        Seed or generator for the initial weights.
    dtype : default np.float32
        dtype of the parameters; inputs are converted to it.

    Attribute ``workspace_bytes`` (default 256 MB) bounds the im2col buffers of one chunk of samples.
    """

    def reference(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, Backward]:
        """The formulas above, one output position (i, j) at a time: (y, backward), for x of the layer's dtype.

        ``backward(dy) -> dx`` adds dW and db into the parameters' ``grad``; dx is the gradient of x, the part
        of dxp that falls on padding dropped.
        """
        W, b = self.weight.data, self.bias
        xp = pad_input(x, self._pad)                                            # zeros around x
        ho, wo = output_shape(self, x, self.kernel_size, self.stride, self._pad, self.dilation)
        y = np.zeros((x.shape[0], self.out_channels, ho, wo), dtype=self.dtype)
        for i, j in np.ndindex(ho, wo):
            window = xp[:, :, self._rows(i), self._cols(j)]                     # (N, C, kh, kw)
            y[:, :, i, j] = np.einsum("ncae,ocae->no", window, W)               # Σ_{c,a,e} W·xp
        if b is not None:
            y += b.data.reshape(1, -1, 1, 1)                                    # + b[o]

        def backward(dy: np.ndarray) -> np.ndarray:
            dxp, dw = np.zeros_like(xp), np.zeros_like(W)
            for i, j in np.ndindex(ho, wo):
                rows, cols = self._rows(i), self._cols(j)
                dw += np.einsum("no,ncae->ocae", dy[:, :, i, j], xp[:, :, rows, cols])   # Σ dy·xp
                dxp[:, :, rows, cols] += np.einsum("no,ocae->ncae", dy[:, :, i, j], W)   # Σ_o W·dy
            self.weight.grad += dw
            if b is not None:
                b.grad += dy.sum(axis=(0, 2, 3))                                # Σ_{n,i,j} dy
            return unpad(dxp, self._pad)
        return y, backward

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Pair, stride: int | Pair = 1,
                 padding: int | Pair | str = 0, dilation: int | Pair = 1, bias: bool = True,
                 init: str | Initializer = "lecun_normal", rng: int | np.random.Generator | None = None,
                 dtype: np.dtype | type = np.float32) -> None:
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels", "Conv2D")
        self.out_channels = check_positive_int(out_channels, "out_channels", "Conv2D")
        self.kernel_size = as_pair(kernel_size, "kernel_size", "Conv2D")
        self.stride = as_pair(stride, "stride", "Conv2D")
        self.dilation = as_pair(dilation, "dilation", "Conv2D")
        self.padding = padding if isinstance(padding, str) else as_pair(padding, "padding", "Conv2D", minimum=0)
        self._pad = _conv_padding(padding, self.kernel_size, self.stride, self.dilation)
        self.init = init
        self.dtype = np.dtype(dtype)
        self.workspace_bytes = WORKSPACE_BYTES
        c, o, (kh, kw) = self.in_channels, self.out_channels, self.kernel_size
        w = np.asarray(get_initializer(init)((c, o, kh, kw), rng=make_rng(rng), dtype=self.dtype))
        if w.shape != (c, o, kh, kw):
            raise ValueError(f"Conv2D: init returned shape {w.shape}, expected {(c, o, kh, kw)}")
        self.weight = Parameter(np.ascontiguousarray(w.transpose(1, 0, 2, 3), dtype=self.dtype), "weight")
        self.bias = Parameter(np.zeros(o, dtype=self.dtype), "bias") if bias else None
        self._parameters = [self.weight] + ([self.bias] if self.bias is not None else [])
        self._cache: dict[str, Any] | None = None
        self._reference_backward: Backward | None = None
        self._y_shape: tuple[int, ...] | None = None

    def _rows(self, i: int) -> slice:
        """Rows of xp under output row i: i·sh + a·dh for a = 0 … kh − 1."""
        start = i * self.stride[0]
        return slice(start, start + self.dilation[0] * (self.kernel_size[0] - 1) + 1, self.dilation[0])

    def _cols(self, j: int) -> slice:
        start = j * self.stride[1]
        return slice(start, start + self.dilation[1] * (self.kernel_size[1] - 1) + 1, self.dilation[1])

    # --- the layer contract and the fast path (im2col) ---------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        x = self._check_input(x)
        if is_textbook():
            self._cache = None
            y, self._reference_backward = self.reference(x, training)
            self._y_shape = y.shape
            return y
        self._reference_backward = None
        xp = pad_input(x, self._pad)
        ho, wo = output_shape(self, x, self.kernel_size, self.stride, self._pad, self.dilation)
        n, w2 = x.shape[0], self.weight.data.reshape(self.out_channels, -1)
        y = np.empty((n, self.out_channels, ho * wo), dtype=self.dtype)
        step = self._chunk(n, ho * wo)
        kept = None
        for start in range(0, n, step):
            cols = self._im2col(xp[start:start + step])
            np.matmul(w2, cols, out=y[start:start + step])
            kept = cols if step >= n else None                           # one chunk: keep cols for backward
        if self.bias is not None:
            y += self.bias.data.reshape(1, -1, 1)
        self._cache = {"xp": xp, "cols": kept, "step": step}
        self._y_shape = (n, self.out_channels, ho, wo)
        return y.reshape(self._y_shape)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx = self._backward(dy, need_dx=True)
        assert dx is not None
        return dx

    def backward_to_parameters(self, dy: np.ndarray) -> None:
        """dW and db like ``backward``, without dx (a first layer's dx is never used in training)."""
        self._backward(dy, need_dx=False)

    def _backward(self, dy: np.ndarray, need_dx: bool) -> np.ndarray | None:
        if self._cache is None and self._reference_backward is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        dy = np.asarray(dy)
        if dy.shape != self._y_shape:
            raise ValueError(f"{self!r}: expected dy of shape {self._y_shape}, got {dy.shape}")
        if self._reference_backward is not None:                            # forward ran the reference
            return self._reference_backward(dy)
        assert self._cache is not None
        xp, kept, step = self._cache["xp"], self._cache["cols"], self._cache["step"]
        n, o, ho, wo = dy.shape
        dy3 = dy.reshape(n, o, ho * wo)
        w2 = self.weight.data.reshape(o, -1)
        dw2 = np.zeros_like(w2)
        dxp = np.zeros_like(xp) if need_dx else None
        for start in range(0, n, step):
            cols = kept if kept is not None else self._im2col(xp[start:start + step])
            dy_chunk = dy3[start:start + step]
            dw2 += np.matmul(dy_chunk, cols.transpose(0, 2, 1)).sum(axis=0)   # Σ_n dy_n @ cols_nᵀ
            if dxp is not None:
                dcols = np.matmul(w2.T, dy_chunk)                           # (n, K, L)
                dwin = dcols.reshape(len(dcols), self.in_channels, *self.kernel_size, ho, wo)
                add_windows(dxp[start:start + step], dwin.transpose(0, 1, 4, 5, 2, 3), self.stride, self.dilation)
        self._add_grads(dw2.reshape(self.weight.shape), dy3.sum(axis=(0, 2)))
        return None if dxp is None else unpad(dxp, self._pad)

    def _add_grads(self, dw: np.ndarray, db: np.ndarray) -> None:
        self.weight.add_to_grad(dw)
        if self.bias is not None:
            self.bias.add_to_grad(db)

    # --- helpers ---------------------------------------------------------------------------------------
    def _check_input(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r}: expected input of shape (N, {self.in_channels}, H, W), got {x.shape}")
        return x.astype(self.dtype, copy=False)

    def _im2col(self, xp: np.ndarray) -> np.ndarray:
        """cols (n, C·kh·kw, Ho·Wo): row (c, a, e) of sample n holds xp[n, c, i·sh + a·dh, j·sw + e·dw] over (i, j)."""
        win = windows(xp, self.kernel_size, self.stride, self.dilation)  # (n, C, Ho, Wo, kh, kw) view
        n, c, ho, wo, kh, kw = win.shape
        return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, ho * wo)

    def _chunk(self, n: int, positions: int) -> int:
        """Samples per chunk: cols and dcols of one chunk (2·K·L numbers each sample) within workspace_bytes."""
        per_sample = 2 * self.in_channels * math.prod(self.kernel_size) * positions * self.dtype.itemsize
        return max(1, min(n, self.workspace_bytes // per_sample))

    def get_config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding,
                "dilation": self.dilation, "bias": self.bias is not None, "init": initializer_name(self.init),
                "dtype": self.dtype.name}
