"""Section "epoch": one epoch of the same network trained the same way by minnet, scikit-learn and PyTorch.

ReLU, Adam lr 1e-3, batch 128, float32, one epoch per call, no early stopping: minnet's
``mn.fit(..., epochs=1)`` — once normally and once under ``mn.textbook()``, where every layer, loss
and optimizer runs its readable reference path — the README's hand-written loop on the same model and
batches (as written, with ``model.backward``, and with ``backward_to_parameters`` as ``mn.fit`` calls it,
so that the difference is fit's bookkeeping alone), scikit-learn's ``MLPClassifier.partial_fit`` and, when
it happens to be installed, PyTorch eager on the CPU.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

import minnet as mn
from minnet.bench.common import BATCH, DTYPE, LR, fmt, interleaved, median, spread


class MinnetRun:
    """minnet: ``mn.fit(model, CrossEntropyLoss, optimizer, X, y, epochs=1)`` per call.

    With ``textbook=True`` each epoch runs inside ``mn.textbook()``: the reference path of every component.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, layers: Sequence[int], optimizer: str = "adam",
                 seed: int = 0, textbook: bool = False) -> None:
        self.X, self.y = X, y
        self.textbook = textbook
        self.model = mn.mlp(layers[0], layers[-1], hidden=layers[1:-1], activation="relu", seed=seed, dtype=DTYPE)
        if optimizer == "adam":
            self.optimizer: mn.Optimizer = mn.Adam(self.model.parameters(), lr=LR)
        else:
            self.optimizer = mn.SGD(self.model.parameters(), lr=LR, momentum=0.9)
        self.loss = mn.CrossEntropyLoss()
        self.rng = np.random.default_rng(seed)

    def epoch(self) -> None:
        with mn.textbook(self.textbook):
            mn.fit(self.model, self.loss, self.optimizer, self.X, self.y, epochs=1, batch_size=BATCH,
                   seed=self.rng, progress=False)

    def step_on(self, xb: np.ndarray, yb: np.ndarray) -> None:
        """One training step on a given batch (the body of fit's loop, without its bookkeeping)."""
        self.optimizer.zero_grad()
        self.loss.forward(self.model.forward(xb, training=True), yb)
        self.model.backward_to_parameters(self.loss.backward())     # what mn.fit does
        self.optimizer.step()


class LoopRun(MinnetRun):
    """The README's hand-written loop over ``mn.batches`` (the same model, seed and batches as ``MinnetRun``).

    ``to_parameters=False`` is the README's loop as written (``model.backward``, which also computes the
    first layer's unused dL/dX); ``True`` calls ``backward_to_parameters`` like ``mn.fit``, so that
    ``mn.fit`` / this loop is the cost of fit's bookkeeping alone.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, layers: Sequence[int], to_parameters: bool) -> None:
        super().__init__(X, y, layers)
        self.to_parameters = to_parameters

    def epoch(self) -> None:
        model, loss_fn, optimizer = self.model, self.loss, self.optimizer
        backward = model.backward_to_parameters if self.to_parameters else model.backward
        for xb, yb in mn.batches(self.X, self.y, BATCH, rng=self.rng):
            optimizer.zero_grad()
            loss_fn.forward(model.forward(xb, training=True), yb)  # type: ignore[arg-type]  # y given: never None
            backward(loss_fn.backward())
            optimizer.step()


class SklearnRun:
    """scikit-learn: ``MLPClassifier(...).partial_fit(X, y)`` per call (one epoch of Adam updates).

    ``alpha=0`` (no L2 penalty) so that it optimises the same loss as the minnet network.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, layers: Sequence[int], seed: int = 0) -> None:
        from sklearn.neural_network import MLPClassifier

        self.X, self.y = X, y
        self.classes = np.arange(layers[-1])
        self.model = MLPClassifier(hidden_layer_sizes=tuple(layers[1:-1]), activation="relu", solver="adam",
                                   learning_rate_init=LR, batch_size=BATCH, alpha=0.0, early_stopping=False,
                                   shuffle=True, random_state=seed)

    def epoch(self) -> None:
        self.model.partial_fit(self.X, self.y, classes=self.classes)

    def dtype(self) -> str:
        coefs = getattr(self.model, "coefs_", None)
        return coefs[0].dtype.name if coefs else "?"


class TorchRun:
    """PyTorch eager on the CPU: the textbook loop (randperm, index, zero_grad, backward, step)."""

    def __init__(self, torch: Any, X: np.ndarray, y: np.ndarray, layers: Sequence[int], seed: int = 0) -> None:
        self.torch = torch
        torch.manual_seed(seed)
        nn = torch.nn
        modules: list[Any] = []
        for i, (a, b) in enumerate(zip(layers[:-1], layers[1:], strict=True)):
            modules.append(nn.Linear(a, b))
            if i < len(layers) - 2:
                modules.append(nn.ReLU())
        self.model = nn.Sequential(*modules)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss = nn.CrossEntropyLoss()
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.generator = torch.Generator().manual_seed(seed)

    def epoch(self) -> None:
        torch = self.torch
        n = len(self.X)
        order = torch.randperm(n, generator=self.generator)
        for start in range(0, n, BATCH):
            idx = order[start:start + BATCH]
            self.optimizer.zero_grad()
            loss = self.loss(self.model(self.X[idx]), self.y[idx])
            loss.backward()
            self.optimizer.step()


def compare_epochs(X: np.ndarray, y: np.ndarray, source: str, layers: Sequence[int], rounds: int,
                   torch: Any | None, warmup: int = 1) -> dict[str, Any]:
    """Median seconds per epoch of every contender on (X, y), interleaved round by round."""
    runs: dict[str, Any] = {"minnet": MinnetRun(X, y, layers),
                            "minnet_textbook": MinnetRun(X, y, layers, textbook=True),
                            "readme_loop": LoopRun(X, y, layers, to_parameters=False),
                            "bare_loop": LoopRun(X, y, layers, to_parameters=True),
                            "sklearn": SklearnRun(X, y, layers)}
    if torch is not None:
        runs["torch"] = TorchRun(torch, X, y, layers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                   # sklearn's convergence chatter
        times = interleaved({name: run.epoch for name, run in runs.items()}, rounds=rounds, warmup=warmup)
    med = {name: median(t) for name, t in times.items()}
    ratio = {f"minnet/{name}": med["minnet"] / med[name] for name in ("sklearn", "torch") if name in med}
    ratio["textbook/minnet"] = med["minnet_textbook"] / med["minnet"]
    ratio["fit/readme_loop"] = med["minnet"] / med["readme_loop"]
    ratio["fit/bare_loop"] = med["minnet"] / med["bare_loop"]
    return {"data": source, "n_samples": len(X), "layers": list(layers), "batch_size": BATCH, "optimizer": "adam",
            "lr": LR, "rounds": rounds, "seconds": times, "median_s": med, "ratio": ratio,
            "sklearn_dtype": runs["sklearn"].dtype()}


def format_epochs(section: dict[str, Any], report: dict[str, Any]) -> list[str]:
    lines = ["Seconds per epoch (median; Adam lr 1e-3, batch 128, ReLU)   minnet  textbook  sklearn    torch  "
             "minnet/sklearn  minnet/torch  textbook/minnet"]
    for key, e in section.items():
        m, r = e["median_s"], e["ratio"]
        label = f"  {key} {'-'.join(map(str, e['layers']))}, {e['n_samples']} samples ({e['data']})"
        lines.append(f"{label:<62}{fmt(m['minnet']):>7}  {fmt(m.get('minnet_textbook')):>8}  {fmt(m['sklearn']):>7}  "
                     f"{fmt(m.get('torch')):>7}  {fmt(r.get('minnet/sklearn'), '.2f'):>14}  "
                     f"{fmt(r.get('minnet/torch'), '.2f'):>12}  {fmt(r.get('textbook/minnet'), '.2f'):>15}")
    lines.append("  textbook: the same epoch under mn.textbook(), every layer, loss and optimizer by its reference")
    lines.append("mn.fit against the README's hand-written loop (same model and batches)   readme loop  bare loop  "
                 "fit/readme  fit/bare")
    for key, e in section.items():
        m, r = e["median_s"], e["ratio"]
        lines.append(f"  {key:<70}{fmt(m['readme_loop']):>11}  {fmt(m['bare_loop']):>9}  "
                     f"{fmt(r['fit/readme_loop'], '.2f'):>10}  {fmt(r['fit/bare_loop'], '.2f'):>8}")
    lines.append("  readme loop: model.backward as in the README (also computes the first layer's dL/dX); bare loop: "
                 "backward_to_parameters, as mn.fit")
    lines.append("Spread of the repeats (min–max seconds per epoch)")
    for key, e in section.items():
        lines.append(f"  {key}: " + ",  ".join(f"{name} {spread(t)}" for name, t in e["seconds"].items()))
    return lines
