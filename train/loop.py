"""One optimisation step of a triplet-loss model, shared by the digits and the face runs."""
from __future__ import annotations

import keras
import tensorflow as tf

from .losses import triplet_loss


def make_train_step(model: keras.Model, optimizer: keras.optimizers.Optimizer,
                    strategy: str, margin: float, training: bool = True):
    """Return step(x, labels) -> (loss, stats), compiled with tf.function.

    training: passed to the model; False keeps BatchNorm statistics and Dropout as they are
    (what fine-tuning a pretrained network on a few photos needs), True updates them.
    """
    @tf.function(reduce_retracing=True)
    def step(x, labels):
        with tf.GradientTape() as tape:
            loss, stats = triplet_loss(model(x, training=training), labels, strategy, margin)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, stats

    return step
