"""scikit-learn estimators around minnet's MLP: :class:`NetClassifier` and :class:`NetRegressor`.

scikit-learn's own ``MLPClassifier`` offers only the identity, logistic, tanh and ReLU
activations. These wrappers put every minnet activation (ReLU, LeakyReLU, PReLU, ELU,
SELU, ...), initialiser (LeCun normal, He, Glorot, ...) and dropout kind (inverted
dropout, AlphaDropout) behind the scikit-learn estimator API, so that ``Pipeline``,
``GridSearchCV``, ``cross_val_score`` and ``clone`` can run ablations over them::

    from sklearn.model_selection import GridSearchCV
    from minnet.sklearn import NetClassifier

    search = GridSearchCV(NetClassifier(epochs=20),
                          {"activation": ["relu", "leaky_relu", "prelu", "elu", "selu"]}, cv=3)

What happens inside ``fit(X, y, sample_weight=None)``:

1. ``X`` and ``y`` are validated (``sklearn.utils.validation.validate_data``); class labels
   of any type (strings, non-contiguous integers) are mapped to 0..C−1 (``classes_[k]`` is
   the label of output k); regression targets are standardised, t = (y − y_mean_) / y_scale_.
2. The network is :func:`minnet.nn.models.mlp` — for each hidden size,
   Dense(init) → [BatchNorm] → activation → [Dropout | AlphaDropout] — and a final Dense
   with C outputs (classifier; logits z) or one output per target column (regressor). It
   computes in X's floating dtype, as scikit-learn's MLP does (float64 X → float64 network,
   float32 X → float32; other X becomes float64), unless ``dtype`` forces one.
3. It is trained by :func:`minnet.train.loop.fit` for at most ``epochs`` epochs of (``shuffle``)
   mini-batches with :func:`minnet.train.optim.get_optimizer` on
   CrossEntropyLoss  L = mean_i [logsumexp(z_i) − z_{i,y_i}]   (classifier; also for 2 classes) or
   MSELoss           L = mean (ŷ − t)²                        (regressor, on standardised targets);
   with ``sample_weight`` w, each batch's loss is the weighted mean Σ w_i·L_i / Σ w_i, as in
   scikit-learn's MLP.
4. Stopping, as ``MLPClassifier`` does it. Without early stopping, on the training loss: an epoch
   whose loss is not below ``best_loss_ − tol`` adds one to a counter (an improving epoch resets it),
   and training stops when the counter exceeds ``n_iter_no_change`` (``np.inf``: never).
   With ``early_stopping`` a (stratified) ``validation_fraction`` of the data is held out;
   training stops once the validation LOSS has not decreased by more than ``tol`` for
   ``n_iter_no_change`` epochs, and the weights of the epoch with the lowest validation loss are
   restored (:class:`minnet.train.callbacks.EarlyStopping`). The validation score (accuracy / R²) of
   every epoch is recorded in ``validation_scores_``.

   scikit-learn's MLP monitors the validation *score* instead. For a regressor the two agree
   (R² = 1 − MSE / Var(y_val) on a fixed split), but validation accuracy is coarse (steps of
   1/n_val) and plateaus early: with the defaults and patience 10, 5-fold CV accuracy on
   digits / breast_cancer / wine was 0.962 / 0.961 / 0.921 when stopping on accuracy and
   0.978 / 0.975 / 0.978 when stopping on the loss (0.979 / 0.975 / 0.978 without early stopping).

``warm_start=True`` makes ``fit`` continue from the current weights and optimizer state;
``partial_fit`` runs one epoch on the data it is given and never holds data out, so
``early_stopping`` does not apply to it (as in scikit-learn). Both work on an estimator loaded
with ``joblib.load(path, mmap_mode="r")``: read-only arrays are copied before training.

Weight decay: ``weight_decay`` λ is the optimizer's (PyTorch's convention: g ← g + λθ, or
AdamW's decoupled form) and applies to every parameter, biases included, unless
``decay_biases=False``. scikit-learn's ``alpha`` penalises weights only, and per sample:
its gradient term is α·W / batch size, so ``alpha`` ≈ ``weight_decay · batch_size`` with
``decay_biases=False``.

Predictions: ``predict_proba`` = softmax(z) computed in float64, ``predict`` = ``classes_[argmax z]``;
the regressor returns ŷ·y_scale_ + y_mean_ in float64, shaped like the ``y`` it was fitted on.

Works with scikit-learn ≥ 1.3 (``validate_data`` and ``__sklearn_tags__`` from 1.6 on, the
older ``_validate_data`` / ``_more_tags`` before). The package: :mod:`._base` (parameters,
building, training), :mod:`._training` (stopping rules, weighted losses), :mod:`.classifier`,
:mod:`.regressor`.
"""

from __future__ import annotations

from minnet.sklearn.classifier import NetClassifier
from minnet.sklearn.regressor import NetRegressor

__all__ = ["NetClassifier", "NetRegressor"]
