"""The README's quick start: a SELU network on scikit-learn's digits, trained by a hand-written loop and by mn.fit.

Run:  python examples/quickstart.py
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import minnet as mn

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
std[std == 0] = 1.0                      # pixels that are always blank in the training part
X_train, X_test = (X_train - mean) / std, (X_test - mean) / std


def make_model():
    return mn.Sequential(
        mn.Dense(64, 128, init="lecun_normal", rng=0), mn.SELU(),
        mn.Dense(128, 128, init="lecun_normal", rng=1), mn.SELU(),
        mn.Dense(128, 10, init="lecun_normal", rng=2),
    )


# 1. By hand: forward -> loss -> backward -> step
model = make_model()
loss_fn = mn.CrossEntropyLoss()
optimizer = mn.Adam(model.parameters(), lr=1e-3)
rng = np.random.default_rng(0)
for _epoch in range(10):
    for xb, yb in mn.batches(X_train, y_train, batch_size=32, rng=rng):
        optimizer.zero_grad()
        logits = model.forward(xb.astype(np.float32), training=True)
        loss = loss_fn.forward(logits, yb)
        model.backward(loss_fn.backward())
        optimizer.step()
print(f"hand-written loop: last batch loss {loss:.4f}, "
      f"test accuracy {np.mean(mn.predict(model, X_test) == y_test):.3f}")

# 2. The same with mn.fit (same seed, same numbers)
model2 = make_model()
history = mn.fit(model2, mn.CrossEntropyLoss(), mn.Adam(model2.parameters(), lr=1e-3), X_train, y_train,
                 epochs=10, batch_size=32, seed=0, validation_data=(X_test, y_test))
same = all(np.array_equal(a.data, b.data) for a, b in zip(model.parameters(), model2.parameters()))
print(f"mn.fit: test accuracy {history['val_accuracy'][-1]:.3f}; identical parameters: {same}")
