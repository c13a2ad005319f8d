"""The input layer of ``input_norm="pose"`` models: hip-centred, scale-normalized 2D (see
:func:`graphsh_tf.data.normalize.pose_normalize`, the numpy twin the runtimes apply)."""
from __future__ import annotations

import tensorflow as tf
import tf_keras as keras

from graphsh_tf.data.normalize import POSE_NORM_EPS


def pose_normalize_tf(x):
    """:func:`graphsh_tf.data.normalize.pose_normalize` in TensorFlow, for ``(B, J, 2)`` tensors."""
    d = x - x[:, :1, :]
    return d / tf.maximum(tf.reduce_max(tf.abs(d), axis=[1, 2], keepdims=True), POSE_NORM_EPS)


@keras.utils.register_keras_serializable(package="graphsh_tf")
class PoseNormalize(keras.layers.Layer):
    """``(B, J, 2)`` → ``(x - x_hip) / max(max |x - x_hip|, eps)``: every pose spans [-1, 1], the hip at 0.

    Exported ``.tflite`` files start AFTER this layer (their input is the normalized pose), so the int8 input tensor
    spends its 256 levels on the person rather than on the whole image."""

    def call(self, x):
        return pose_normalize_tf(x)
