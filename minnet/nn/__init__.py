"""The network: parameters, the layer contract, layers, activations, initialisers, losses and model builders.

Data flows one way through this package: a :class:`~minnet.nn.parameter.Parameter` holds ``data`` and
``grad``; every :class:`~minnet.nn.layer.Layer` has ``forward`` and a hand-written ``backward``;
:class:`~minnet.nn.sequential.Sequential` chains them. Nothing here imports :mod:`minnet.train`.
"""
