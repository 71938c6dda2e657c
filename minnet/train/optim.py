"""Optimizers: SGD (momentum, Nesterov), Adam, AdamW and RMSprop, step for step as PyTorch documents them.

Every optimizer updates ``Parameter.data`` in place from ``Parameter.grad``:

    opt = Adam(model, lr=1e-3)          # a model (anything with .parameters()) or a list of Parameters
    for x, y in batches:
        opt.zero_grad()
        loss.forward(model.forward(x, training=True), y)
        model.backward(loss.backward())
        opt.step()

Conventions shared by all of them:

- ``opt.lr`` is a plain float; learning-rate schedules (:mod:`minnet.train.schedules`) set it.
- Parameters with ``trainable=False`` are skipped entirely (frozen); parameters with
  ``weight_decay=False`` (e.g. PReLU slopes) get no weight decay of either kind.
- Per-parameter state (momentum buffers, moment estimates) lives in the optimizer,
  keyed by parameter, never on the layer. ``state_dict()`` returns it as lists of
  numpy arrays in parameter order, plus the step count; ``load_state_dict`` restores it.
- Speed: updates are written in place (``out=``, ``*=``, ``+=``) into a reusable scratch
  buffer, and every scalar is a Python float, so a float32 model is updated in float32
  with no float64 temporaries and no fresh arrays per step. On construction the optimizer moves its
  parameters, their gradients and its state into one flat buffer per dtype (each ``Parameter.data``,
  ``grad`` and state array a view, :mod:`minnet.train.flat`), so ``step()`` runs each formula once over
  every parameter of a dtype (``_kernel``, the same arithmetic as per parameter, bit for bit) and
  ``zero_grad()`` is one fill. Assigning ``p.data = array`` afterwards is fine: the optimizer notices
  before its next step and rebuilds its buffers from the current arrays (the values assigned are used; the
  array itself is not written to). Frozen parameters (and Adam parameters at different step counts)
  take the per-parameter path.

Notation in the docstrings: θ parameter, g gradient, γ learning rate, λ weight decay,
μ momentum, t step number (1 for the first step).

Reference and fast path. Each optimizer has, right under its docstring, ``reference_step()``: one
step written as the algorithm in its docstring, one line per formula (Adam's m, v, m̂, v̂ and update),
on the same state as ``step()`` (the same arrays, step counts and learning rate, so the two can be
interleaved). ``step()`` runs the fused in-place kernel — or, in textbook mode
(:mod:`minnet.textbook`), ``reference_step()``. SGD and RMSprop compute the same operations in the
same order either way, so they are bit-identical. Adam and AdamW fold the bias corrections into one
scalar factor and ε·√(1 − β2ᵗ) (see Adam's docstring), so their updates agree within a few ulps (m and
v themselves are bit-identical). Over training those ulps can grow: after one epoch on digits in float64
an MLP's parameters agree within a few ulps of each tensor's largest value, but with BatchNorm (whose
backward subtracts nearly equal terms) and Adam (which divides each gradient by its own scale) about
5e-13 of it (tests/test_optim.py measures both).

Subnormal state (fast path only). A gradient that is exactly 0 step after step (the weights of an input
pixel that is 0 in every image: 67 of MNIST's 784) makes momentum and Adam's m decay geometrically into
subnormal numbers, where they stay (0.9 × the smallest subnormal rounds back to it). Arithmetic on
subnormals is many times slower on most processors (a microcode assist per vector), and NumPy cannot
switch on flush-to-zero, so after every ``FLUSH_EVERY`` (64) fused or per-parameter steps ``step()``
sets the state values whose magnitude is below the dtype's smallest normal number (1.2e-38 in
float32) to 0. The update such a value would have made is below 1e-30 in size (m/(√v + ε) with
ε = 1e-8), far below an ulp of any normal parameter, so no parameter changes by flushing. The
textbook path (``reference_step``) keeps the subnormals, like PyTorch, and so does float16 state (SGD's
momentum; NumPy computes float16 in float32, where its subnormals are normal numbers and cost nothing).

float16 parameters: Adam, AdamW and RMSprop refuse them at construction. Their ε = 1e-8 rounds to 0 in
float16 and squared gradients below about 2.4e-4 underflow to 0, so √v + ε is 0 and the update is
inf or NaN. Convert the model to float32 (``model.astype(np.float32)``) first. SGD works in float16.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minnet.nn.parameter import Parameter
from minnet.train.flat import FlatGroup
from minnet.train.optimizer import Optimizer
from minnet.validation import check_choice, check_real


class _DecayInGradient(Optimizer):
    """The shared frame of SGD and RMSprop: weight decay λθ is added to the gradient (g ← ∇θ + λθ), then the
    subclass's ``_kernel(data, g, state, tmp)`` updates in place, for one parameter (``_update``) or for every
    parameter of a dtype at once over the flat buffers (``_fused_update``)."""

    weight_decay: float

    def _update(self, p: Parameter, state: dict[str, np.ndarray]) -> None:
        g_buf, tmp = self._work(p, 2)
        self._kernel(p.data, self._decayed_grad(p, self.weight_decay, out=g_buf), state, tmp)

    def _fused_update(self, group: FlatGroup) -> None:
        self._kernel(group.flat.data, group.decayed_gradient(self.weight_decay), group.state, group.scratch)

    def _kernel(self, data: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], tmp: np.ndarray) -> None:
        raise NotImplementedError(f"{type(self).__name__}._kernel is not implemented")


class SGD(_DecayInGradient):
    """Stochastic gradient descent with optional momentum and Nesterov momentum (PyTorch's algorithm, dampening 0).

    For each step t = 1, 2, …:

        g ← ∇θ + λθ                       (if λ ≠ 0: L2 weight decay added to the gradient)
        if μ ≠ 0:
            b ← g            if t = 1
            b ← μ·b + g      if t > 1     (b starts at 0, so b ← μ·b + g covers both)
            g ← g + μ·b      if nesterov
            g ← b            otherwise
        θ ← θ − γ·g

    Parameters
    ----------
    params : model or iterable of Parameters
    lr : float ≥ 0               γ, required.
    momentum : float ≥ 0         μ, default 0 (plain SGD).
    nesterov : bool              default False; requires momentum > 0.
    weight_decay : float ≥ 0     λ, default 0.

    State: ``momentum_buffer`` (b) per parameter when momentum > 0.
    References: Polyak (1964) heavy-ball momentum; Sutskever, Martens, Dahl, Hinton,
    "On the importance of initialization and momentum in deep learning", ICML 2013 (Nesterov form).
    """

    def reference_step(self) -> None:
        """One step of the algorithm above, line by line, on every trainable parameter."""
        lam, mu = self.weight_decay, self.momentum
        for p, state in self._begin_step():
            g = p.grad + lam * p.data if self._decays(p, lam) else p.grad    # g ← ∇θ + λθ
            if mu:
                b = state["momentum_buffer"]
                b[...] = mu * b + g                                          # b ← μ·b + g
                g = g + mu * b if self.nesterov else b                       # Nesterov: g + μ·b; else b
            p.data[...] = p.data - self.lr * g                               # θ ← θ − γ·g

    def __init__(self, params: Any, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        self.momentum = check_real(momentum, "momentum", "SGD", low=0, high_open=True)
        self.weight_decay = check_real(weight_decay, "weight_decay", "SGD", low=0, high_open=True)
        if nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov=True requires momentum > 0, got momentum=0.0")
        self.nesterov = bool(nesterov)
        super().__init__(params, lr)

    def _state_names(self) -> tuple[str, ...]:
        return ("momentum_buffer",) if self.momentum else ()

    def _kernel(self, data: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], tmp: np.ndarray) -> None:
        """θ ← θ − γ·(b or g) in place, g already holding the decay; ``tmp`` is scratch shaped like θ."""
        if self.momentum:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += g                                       # b = μ·b + g
        if self.nesterov:
            np.multiply(b, self.momentum, out=tmp)
            tmp += g                                     # g + μ·b
            tmp *= self.lr
        else:
            np.multiply(b if self.momentum else g, self.lr, out=tmp)
        data -= tmp                                      # θ = θ − γ·g

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}


class Adam(Optimizer):
    """Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", arXiv:1412.6980), PyTorch's form.

    For each step t = 1, 2, … (m, v start at 0):

        g  ← ∇θ + λθ                      (if λ ≠ 0: L2 penalty added to the gradient — Adam, not AdamW)
        m  ← β1·m + (1 − β1)·g             first-moment estimate
        v  ← β2·v + (1 − β2)·g²            second-moment estimate
        m̂  = m / (1 − β1ᵗ),  v̂ = v / (1 − β2ᵗ)     bias correction
        θ  ← θ − γ·m̂ / (√v̂ + ε)            (ε added after the square root)

    Implemented as θ ← θ − (γ·√(1−β2ᵗ)/(1−β1ᵗ)) · m / (√v + ε·√(1−β2ᵗ)), which is the
    same expression multiplied out and saves a pass over memory.

    Parameters
    ----------
    lr : float ≥ 0 = 1e-3;  betas : (β1, β2), each in [0, 1) = (0.9, 0.999);
    eps : float ≥ 0 = 1e-8;  weight_decay : float ≥ 0 = 0 (λ, L2 in the gradient).

    State per parameter: ``exp_avg`` (m), ``exp_avg_sq`` (v), and ``param_steps`` (t, counted per
    parameter as PyTorch does, so a parameter unfrozen later starts its bias correction at t = 1).
    """

    def reference_step(self) -> None:
        """One step of the algorithm above, line by line (AdamW's decoupled decay first, when ``decoupled``)."""
        beta1, beta2 = self.betas
        lam, lr = self.weight_decay, self.lr
        for p, state in self._begin_step():
            t = self.param_steps[p] = self.param_steps[p] + 1
            m, v = state["exp_avg"], state["exp_avg_sq"]
            g = p.grad
            if self._decays(p, lam) and self.decoupled:
                p.data[...] = p.data * (1 - lr * lam)                  # AdamW: θ ← θ − γλθ = θ·(1 − γλ)
            elif self._decays(p, lam):
                g = g + lam * p.data                                   # Adam: g ← ∇θ + λθ
            m[...] = beta1 * m + (1 - beta1) * g                       # m ← β1·m + (1 − β1)·g
            v[...] = beta2 * v + (1 - beta2) * g**2                    # v ← β2·v + (1 − β2)·g²
            m_hat = m / (1 - beta1**t)                                 # m̂ = m/(1 − β1ᵗ)
            v_hat = v / (1 - beta2**t)                                 # v̂ = v/(1 − β2ᵗ)
            p.data[...] = p.data - lr * (m_hat / (np.sqrt(v_hat) + self.eps))   # θ ← θ − γ·m̂/(√v̂ + ε)

    state_names = ("exp_avg", "exp_avg_sq")
    extra_state_keys = ("param_steps",)
    decoupled = False

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        name = type(self).__name__
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (check_real(beta1, "betas[0]", name, low=0, high=1, high_open=True),
                      check_real(beta2, "betas[1]", name, low=0, high=1, high_open=True))
        self.eps = check_real(eps, "eps", name, low=0, high_open=True)
        self.weight_decay = check_real(weight_decay, "weight_decay", name, low=0, high_open=True)
        super().__init__(params, lr)
        self._refuse_float16(self.eps)
        self.param_steps: dict[Parameter, int] = {p: 0 for p in self.params}

    def _update(self, p: Parameter, state: dict[str, np.ndarray]) -> None:
        self.param_steps[p] = t = self.param_steps[p] + 1
        g_buf, tmp = self._work(p, 2)
        if self.decoupled:
            if self._decays(p, self.weight_decay):
                p.data *= 1 - self.lr * self.weight_decay        # θ ← θ − γλθ (AdamW)
            g = p.grad
        else:
            g = self._decayed_grad(p, self.weight_decay, out=g_buf)   # g ← g + λθ (Adam)
        self._kernel(p.data, g, state, tmp, t)

    def _fused_applies(self) -> bool:
        return len(set(self.param_steps.values())) <= 1

    def _fused_update(self, group: FlatGroup) -> None:
        t = self.param_steps[group.params[0]] + 1
        for p in group.params:
            self.param_steps[p] = t
        if self.decoupled:
            if self.weight_decay:
                group.flat.data[:group.n_decayed] *= 1 - self.lr * self.weight_decay   # θ ← θ − γλθ (AdamW)
            g = group.flat.grad
        else:
            g = group.decayed_gradient(self.weight_decay)                              # g ← g + λθ (Adam)
        self._kernel(group.flat.data, g, group.state, group.scratch, t)

    def _kernel(self, data: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], tmp: np.ndarray,
                t: int) -> None:
        """The moments and the update in place at step t, g already holding any L2 term; ``tmp`` is scratch."""
        beta1, beta2 = self.betas
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        np.multiply(g, 1 - beta1, out=tmp)
        m += tmp                                              # m = β1·m + (1−β1)·g
        v *= beta2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - beta2
        v += tmp                                              # v = β2·v + (1−β2)·g²
        bc1, sqrt_bc2 = 1 - beta1 ** t, math.sqrt(1 - beta2 ** t)
        np.sqrt(v, out=tmp)
        tmp += self.eps * sqrt_bc2                            # √v + ε·√(1−β2ᵗ)
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr * sqrt_bc2 / bc1
        data -= tmp                                           # θ = θ − γ·m̂/(√v̂ + ε)

    def state_dict(self) -> dict[str, Any]:
        d = super().state_dict()
        d["param_steps"] = [self.param_steps[p] for p in self.params]
        return d

    def load_state_dict(self, d: dict[str, Any]) -> None:
        if "param_steps" in d and len(d["param_steps"]) != len(self.params):
            raise ValueError(f"{type(self).__name__}.load_state_dict: 'param_steps' has {len(d['param_steps'])} "
                             f"entries, expected one per parameter ({len(self.params)})")
        super().load_state_dict(d)
        self.param_steps = {p: int(s) for p, s in zip(self.params, d["param_steps"], strict=True)}

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay}


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
    Regularization", arXiv:1711.05101), PyTorch's form.

    For each step t = 1, 2, …:

        θ  ← θ − γ·λ·θ                    (decay applied to the weights, before the Adam step;
                                            it never enters m or v)
        m  ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
        m̂  = m / (1 − β1ᵗ),        v̂ = v / (1 − β2ᵗ)
        θ  ← θ − γ·m̂ / (√v̂ + ε)

    Defaults as PyTorch: lr = 1e-3, betas = (0.9, 0.999), eps = 1e-8, weight_decay = 1e-2.
    Note the decay is multiplied by the current lr, so a schedule scales it too.
    """

    decoupled = True

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


class RMSprop(_DecayInGradient):
    """RMSprop (Hinton, Coursera lecture 6e, 2012), PyTorch's form (not centered).

    For each step t = 1, 2, … (v and b start at 0):

        g ← ∇θ + λθ                       (if λ ≠ 0: L2 weight decay added to the gradient)
        v ← α·v + (1 − α)·g²               running average of squared gradients
        if μ > 0:
            b ← μ·b + g / (√v + ε)
            θ ← θ − γ·b
        else:
            θ ← θ − γ·g / (√v + ε)

    ε is added after the square root (PyTorch; TensorFlow adds it inside).

    Parameters
    ----------
    lr : float ≥ 0 = 1e-2;  alpha : float in [0, 1] = 0.99;  eps : float ≥ 0 = 1e-8;
    momentum : float ≥ 0 = 0;  weight_decay : float ≥ 0 = 0.

    State per parameter: ``square_avg`` (v) and, when momentum > 0, ``momentum_buffer`` (b).
    """

    def reference_step(self) -> None:
        """One step of the algorithm above, line by line, on every trainable parameter."""
        alpha, lam, mu = self.alpha, self.weight_decay, self.momentum
        for p, state in self._begin_step():
            g = p.grad + lam * p.data if self._decays(p, lam) else p.grad    # g ← ∇θ + λθ
            v = state["square_avg"]
            v[...] = alpha * v + (1 - alpha) * g**2                          # v ← α·v + (1 − α)·g²
            step = g / (np.sqrt(v) + self.eps)                               # g/(√v + ε)
            if mu:
                b = state["momentum_buffer"]
                b[...] = mu * b + step                                       # b ← μ·b + g/(√v + ε)
                step = b
            p.data[...] = p.data - self.lr * step                            # θ ← θ − γ·step

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self.alpha = check_real(alpha, "alpha", "RMSprop", low=0, high=1)
        self.eps = check_real(eps, "eps", "RMSprop", low=0, high_open=True)
        self.momentum = check_real(momentum, "momentum", "RMSprop", low=0, high_open=True)
        self.weight_decay = check_real(weight_decay, "weight_decay", "RMSprop", low=0, high_open=True)
        super().__init__(params, lr)
        self._refuse_float16(self.eps)

    def _state_names(self) -> tuple[str, ...]:
        return ("square_avg", "momentum_buffer") if self.momentum else ("square_avg",)

    def _kernel(self, data: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], tmp: np.ndarray) -> None:
        """v, b and θ in place, g already holding the decay; ``tmp`` is scratch shaped like θ."""
        v = state["square_avg"]
        v *= self.alpha
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.alpha
        v += tmp                                          # v = α·v + (1−α)·g²
        np.sqrt(v, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)                        # g / (√v + ε)
        if self.momentum:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += tmp                                      # b = μ·b + g/(√v + ε)
            np.multiply(b, self.lr, out=tmp)
        else:
            tmp *= self.lr
        data -= tmp

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "alpha": self.alpha, "eps": self.eps, "momentum": self.momentum,
                "weight_decay": self.weight_decay}


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop}


def get_optimizer(name: str, params: Any, **kwargs: Any) -> Optimizer:
    """Build an optimizer by name ("sgd", "adam", "adamw", "rmsprop") over ``params`` with keyword hyperparameters."""
    key = check_choice(name, "optimizer", "get_optimizer", OPTIMIZERS)
    return OPTIMIZERS[key](params, **kwargs)


__all__ = ["Adam", "AdamW", "OPTIMIZERS", "Optimizer", "RMSprop", "SGD", "get_optimizer"]

