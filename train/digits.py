"""From-scratch mode: a small CNN learns an embedding of scikit-learn's 8x8 digits.

The fast, honest check that the loss and the mining learn: no pretrained weights, ten
"people" (the digits), and 1-nearest-neighbour accuracy on held-out images as the score.
"""
from __future__ import annotations

import logging
import time

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from .batches import pk_batches
from .loop import make_train_step

log = logging.getLogger(__name__)


def digits_model(embedding_size: int = 32) -> keras.Model:
    """(N, 8, 8, 1) float32 in [0, 1] -> (N, embedding_size) float32 (not normalised)."""
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(embedding_size),
    ], name="digits_embedding")


def run_digits(steps: int = 300, strategy: str = "semi-hard", margin: float = 0.2,
               p: int = 10, k: int = 8, lr: float = 1e-3, seed: int = 0) -> dict:
    """Train on 70 % of the digits, score 1-NN on the other 30 % (stratified split).

    Returns {"losses", "active"} per step, {"accuracy", "pixels_accuracy"} (1-NN on the
    learned embedding, and on raw pixels for comparison) and "seconds".
    """
    keras.utils.set_random_seed(seed)
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.3, stratify=digits.target, random_state=seed)
    model = digits_model()
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(lr, steps))
    step = make_train_step(model, optimizer, strategy, margin)
    start = time.perf_counter()
    losses, active = [], []
    for i, idx in enumerate(pk_batches(y_train, p, k, steps, np.random.default_rng(seed))):
        loss, stats = step(x_train[idx], y_train[idx])
        losses.append(float(loss))
        active.append(float(stats["active"]))
        if (i + 1) % 100 == 0:
            log.info("digits step %d/%d: loss %.4f, active %.1f%%", i + 1, steps,
                     np.mean(losses[-100:]), 100 * np.mean(active[-100:]))
    seconds = time.perf_counter() - start

    def one_nn(train_features, test_features):
        knn = KNeighborsClassifier(n_neighbors=1).fit(train_features, y_train)
        return float(knn.score(test_features, y_test))

    embed = lambda images: keras.ops.convert_to_numpy(model.predict(images, verbose=0))
    return {"strategy": strategy, "margin": margin, "steps": steps, "losses": losses,
            "active": active, "accuracy": one_nn(embed(x_train), embed(x_test)),
            "pixels_accuracy": one_nn(x_train.reshape(len(x_train), -1),
                                      x_test.reshape(len(x_test), -1)),
            "seconds": seconds}
