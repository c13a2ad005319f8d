"""Squeeze-and-excitation over the joint axis, built from stock layers (quantizable by tfmot as is).

Unlike the reference (whose ``squeeze()`` drops the batch axis at batch size 1), this works for any batch size.
"""
from __future__ import annotations

from graphsh_tf.layers.initializers import torch_dense

import tf_keras as keras


def se_block(x, ratio: int = 8, name: str = "se_blocks"):
    """``x`` ``(B, J, C)`` → ``x * sigmoid(fc2(relu(fc1(mean_J x))))``, fc1 to ``C // ratio`` channels."""
    channels = int(x.shape[-1])
    s = keras.layers.GlobalAveragePooling1D(name=f"{name}_gap")(x)                       # (B, C)
    hidden = max(1, channels // ratio)
    s = torch_dense(hidden, channels, f"{name}_fc1", activation="relu")(s)
    s = torch_dense(channels, hidden, f"{name}_fc2", activation="sigmoid")(s)
    s = keras.layers.Reshape((1, channels), name=f"{name}_expand")(s)                     # (B, 1, C)
    return keras.layers.Multiply(name=f"{name}_scale")([x, s])
