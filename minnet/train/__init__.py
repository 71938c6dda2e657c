"""Training: optimizers and schedules, the fit loop, callbacks, history, checkpoints and monitors.

Everything here drives the layers of :mod:`minnet.nn`; nothing in :mod:`minnet.nn` imports this package.
"""
