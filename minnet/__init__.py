"""minnet: a from-scratch neural-network framework in NumPy, written to be read.

Manual backprop (every layer has a ``forward`` and a ``backward``), the activations
ReLU, LeakyReLU, PReLU, ELU and SELU, LeCun-normal initialisation, and
diagnostics of dead units and self-normalisation.
"""

import sys as _sys

from minnet import data, diagnostics, experiments, tutorial
from minnet._version import __version__
from minnet.errors import DivergedError, ModelFileError
from minnet.gradcheck import GradcheckResult, gradcheck, gradcheck_loss
from minnet.io import load, save
from minnet.nn.activations import (
    CELU,
    ELU,
    SELU,
    Activation,
    Identity,
    LeakyReLU,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Tanh,
    get_activation,
)
from minnet.nn.channel_dropout import Dropout2D
from minnet.nn.cnn import cnn
from minnet.nn.conv import Conv2D
from minnet.nn.dense import Dense
from minnet.nn.dropout import AlphaDropout, Dropout
from minnet.nn.layer import Layer
from minnet.nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss, get_loss
from minnet.nn.models import mlp
from minnet.nn.normalization import BatchNorm, LayerNorm
from minnet.nn.parameter import Parameter
from minnet.nn.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from minnet.nn.reshape import Flatten
from minnet.nn.sequential import Sequential
from minnet.textbook import is_textbook, set_textbook, textbook
from minnet.train.callbacks import Callback, EarlyStopping, TrainingState
from minnet.train.checkpoint import Checkpoint
from minnet.train.history import History
from minnet.train.loop import batches, evaluate, fit, infer, predict, predict_proba
from minnet.train.monitors import ActivationStatsMonitor, DeadUnitMonitor, GradientMonitor
from minnet.train.optim import SGD, Adam, AdamW, Optimizer, RMSprop, get_optimizer
from minnet.train.schedules import CosineAnnealingLR, ExponentialLR, LinearWarmup, LRSchedule, SequentialLR, StepLR

__all__ = [
    # layers
    "Layer", "Parameter", "Sequential", "Dense", "Dropout", "AlphaDropout", "BatchNorm", "LayerNorm",
    "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten", "Dropout2D",
    # activations
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "SiLU", "Tanh", "Sigmoid", "Identity",
    "get_activation",
    # models, initialisers, gradient checks
    "mlp", "cnn", "init", "gradcheck", "gradcheck_loss", "GradcheckResult",
    # losses, optimizers, schedules
    "Loss", "CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss", "get_loss",
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "get_optimizer",
    "LRSchedule", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearWarmup", "SequentialLR",
    # training
    "batches", "fit", "evaluate", "infer", "predict", "predict_proba", "History",
    "Callback", "EarlyStopping", "TrainingState", "DivergedError",
    # saving, loading, checkpoints
    "save", "load", "Checkpoint", "ModelFileError",
    # textbook mode: every component through its reference path
    "textbook", "set_textbook", "is_textbook",
    # diagnostics and monitors
    "diagnostics", "DeadUnitMonitor", "ActivationStatsMonitor", "GradientMonitor",
    # submodules
    "data", "experiments", "models", "monitors", "nn", "train", "tutorial", "__version__",
]

from minnet import nn, train  # noqa: E402
from minnet.nn import init, models  # noqa: E402
from minnet.train import monitors  # noqa: E402

# The modules moved into minnet.nn and minnet.train keep working under their first names
# (``import minnet.activations``, ``from minnet.training import fit``).
_MOVED = {
    "parameter": "nn.parameter", "layer": "nn.layer", "sequential": "nn.sequential", "dense": "nn.dense",
    "activations": "nn.activations", "dropout": "nn.dropout", "normalization": "nn.normalization",
    "init": "nn.init", "losses": "nn.losses", "models": "nn.models",
    "optim": "train.optim", "schedules": "train.schedules", "callbacks": "train.callbacks",
    "history": "train.history", "checkpoint": "train.checkpoint", "monitors": "train.monitors",
    "state": "train.state", "training": "train.loop",
}
for _old, _new in _MOVED.items():
    _sys.modules[f"{__name__}.{_old}"] = globals()[_old] = _sys.modules[f"{__name__}.{_new}"]
del _old, _new
