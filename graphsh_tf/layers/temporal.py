"""The causal temporal part of the temporal lifter (``ModelConfig.temporal_window`` T > 1), as tf_keras layers.

The per-frame GraphSH runs on every frame of a window with shared weights: :class:`FoldTime` folds the time axis
into the batch (``(B, T, J, C)`` → ``(B*T, J, C)``) and :class:`UnfoldTime` unfolds the per-frame features again.
:func:`causal_temporal_block` is VideoPose3D's temporal convolution stack made causal: an expanding convolution of
kernel 3 (dilation 1) and residual blocks of kernel 3 with dilations 3, 9, ..., all "valid" over time, so T frames
shrink to one (receptive field ``1 + 2 (1 + 3 + ... + T/3) = T``) and the result depends on the window's frames only,
never on a frame after its newest. Each residual block adds the newest ``T'`` frames of its input
(:class:`CropTime`: the oldest ``2 d`` dropped, the causal alignment). :class:`NewestFrame` takes the last frame.

Every op has a static shape (reshape, strided slice, convolution, batch norm, add): the graph converts to TFLite
as is, without gathers.
"""
from __future__ import annotations

import tensorflow as tf
import tf_keras as keras


class FoldTime(keras.layers.Layer):
    """``(B, T, J, C)`` → ``(B*T, J, C)``: every frame of every window becomes one row of the batch."""

    def call(self, x):
        return tf.reshape(x, [-1, x.shape[2], x.shape[3]])

    def compute_output_shape(self, input_shape):
        return tf.TensorShape([None, input_shape[2], input_shape[3]])


class UnfoldTime(keras.layers.Layer):
    """``(B*T, J, C)`` → ``(B, T, J, C)``, the inverse of :class:`FoldTime` for windows of ``frames`` frames."""

    def __init__(self, frames: int, **kwargs):
        super().__init__(**kwargs)
        self.frames = int(frames)

    def call(self, x):
        return tf.reshape(x, [-1, self.frames, x.shape[1], x.shape[2]])

    def compute_output_shape(self, input_shape):
        return tf.TensorShape([None, self.frames, input_shape[1], input_shape[2]])

    def get_config(self):
        return {**super().get_config(), "frames": self.frames}


class CropTime(keras.layers.Layer):
    """``(B, T, C)`` → ``(B, T - drop, C)``: drops the ``drop`` oldest frames (a strided slice)."""

    def __init__(self, drop: int, **kwargs):
        super().__init__(**kwargs)
        self.drop = int(drop)

    def call(self, x):
        return x[:, self.drop:]

    def compute_output_shape(self, input_shape):
        t = input_shape[1]
        return tf.TensorShape([input_shape[0], None if t is None else t - self.drop, *input_shape[2:]])

    def get_config(self):
        return {**super().get_config(), "drop": self.drop}


class NewestFrame(keras.layers.Layer):
    """``(B, T, ...)`` → ``(B, ...)``: the last (newest) frame of each window."""

    def call(self, x):
        return x[:, -1]

    def compute_output_shape(self, input_shape):
        return tf.TensorShape([input_shape[0], *input_shape[2:]])


def dilations(frames: int) -> list:
    """The dilations of the stack for a window of ``frames`` (a power of 3): ``[1, 3, ..., frames / 3]``."""
    out, d = [], 1
    while 1 + 2 * sum(out) < frames:
        out.append(d)
        d *= 3
    if 1 + 2 * sum(out) != frames:
        raise ValueError(f"temporal window {frames}: not a power of 3 (the receptive field of kernel-3 convolutions "
                         "with dilations 1, 3, 9, ...)")
    return out


def _conv_bn_relu(x, channels: int, kernel: int, dilation: int, dropout: float, name: str):
    x = keras.layers.Conv1D(channels, kernel, dilation_rate=dilation, padding="valid", use_bias=False,
                            name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_bn")(x)
    x = keras.layers.ReLU(name=f"{name}_relu")(x)
    return keras.layers.Dropout(dropout, name=f"{name}_dropout")(x) if dropout > 0 else x


def causal_temporal_block(x, channels: int, dropout: float, name: str = "temporal"):
    """``x`` ``(B, T, C_in)`` per-frame features, oldest first → ``(B, 1, channels)`` for the newest frame: the
    expanding convolution (kernel 3, dilation 1), then per further dilation ``d`` a residual block (kernel 3 with
    dilation ``d``, a 1x1 convolution; batch norm, ReLU and dropout after each) added to the input's newest
    frames."""
    frames = int(x.shape[1])
    ds = dilations(frames)
    x = _conv_bn_relu(x, channels, 3, ds[0], dropout, f"{name}_expand")
    for i, d in enumerate(ds[1:]):
        res = CropTime(2 * d, name=f"{name}_block{i}_crop")(x)
        y = _conv_bn_relu(x, channels, 3, d, dropout, f"{name}_block{i}_dilated")
        y = _conv_bn_relu(y, channels, 1, 1, dropout, f"{name}_block{i}_pointwise")
        x = keras.layers.Add(name=f"{name}_block{i}_add")([res, y])
    return x
