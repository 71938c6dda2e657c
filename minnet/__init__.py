"""minnet: a from-scratch neural-network framework in NumPy, written to be read.

Manual backprop (every layer has a ``forward`` and a ``backward``), the activations
ReLU, LeakyReLU, PReLU, ELU and SELU, LeCun-normal initialisation, and
diagnostics of dead units and self-normalisation.
"""

from minnet import data, diagnostics, experiments, init, models, monitors
from minnet.activations import (
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
from minnet.callbacks import Callback, EarlyStopping, TrainingState
from minnet.checkpoint import Checkpoint
from minnet.dense import Dense
from minnet.dropout import AlphaDropout, Dropout
from minnet.errors import DivergedError, ModelFileError
from minnet.gradcheck import GradcheckResult, gradcheck, gradcheck_loss
from minnet.history import History
from minnet.io import load, save
from minnet.layer import Layer
from minnet.losses import BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss, get_loss
from minnet.models import mlp
from minnet.monitors import ActivationStatsMonitor, DeadUnitMonitor, GradientMonitor
from minnet.normalization import BatchNorm, LayerNorm
from minnet.optim import SGD, Adam, AdamW, Optimizer, RMSprop, get_optimizer
from minnet.parameter import Parameter
from minnet.schedules import CosineAnnealingLR, ExponentialLR, LinearWarmup, LRSchedule, SequentialLR, StepLR
from minnet.sequential import Sequential
from minnet.training import batches, evaluate, fit, infer, predict, predict_proba

__version__ = "0.1.0"

__all__ = [
    # layers
    "Layer", "Parameter", "Sequential", "Dense", "Dropout", "AlphaDropout", "BatchNorm", "LayerNorm",
    # activations
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "SiLU", "Tanh", "Sigmoid", "Identity",
    "get_activation",
    # models, initialisers, gradient checks
    "mlp", "init", "gradcheck", "gradcheck_loss", "GradcheckResult",
    # losses, optimizers, schedules
    "Loss", "CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss", "get_loss",
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "get_optimizer",
    "LRSchedule", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearWarmup", "SequentialLR",
    # training
    "batches", "fit", "evaluate", "infer", "predict", "predict_proba", "History",
    "Callback", "EarlyStopping", "TrainingState", "DivergedError",
    # saving, loading, checkpoints
    "save", "load", "Checkpoint", "ModelFileError",
    # diagnostics and monitors
    "diagnostics", "DeadUnitMonitor", "ActivationStatsMonitor", "GradientMonitor",
    # submodules
    "data", "experiments", "models", "monitors",
]
