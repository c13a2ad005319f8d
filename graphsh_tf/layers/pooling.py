"""Skeletal pooling and unpooling as constant matrix products (no gathers: TFLite- and int8-friendly)."""
from __future__ import annotations

from graphsh_tf import skeleton as sk

import tensorflow as tf
import tf_keras as keras


@keras.utils.register_keras_serializable(package="graphsh_tf")
class SkeletalPool(keras.layers.Layer):
    """Max over fixed joint pairs: ``(B, J, C) → (B, J/2, C)`` for J = 16 or 8.

    Computed as ``max(S_a @ x, S_b @ x)`` with constant 0/1 selection matrices from :mod:`graphsh_tf.skeleton`.
    """

    def __init__(self, num_in: int = sk.NUM_JOINTS, **kwargs):
        super().__init__(**kwargs)
        self.num_in = int(num_in)
        self._sel_a, self._sel_b = sk.pool_selections(self.num_in)

    @property
    def selections(self):
        """The constant 0/1 selection matrices ``(S_a, S_b)``, each ``(J/2, J)``: output = max(S_a x, S_b x)."""
        return self._sel_a, self._sel_b

    def call(self, x):
        a = tf.matmul(tf.cast(self._sel_a, x.dtype), x)
        b = tf.matmul(tf.cast(self._sel_b, x.dtype), x)
        return tf.maximum(a, b)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape((input_shape[0], self.num_in // 2, input_shape[-1]))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_in=self.num_in)
        return cfg


@keras.utils.register_keras_serializable(package="graphsh_tf")
class SkeletalUnpool(keras.layers.Layer):
    """Copy every pooled joint back to its members: ``(B, J/2, C) → (B, J, C)`` for J = 16 or 8 (``U @ x``)."""

    def __init__(self, num_out: int = sk.NUM_JOINTS, **kwargs):
        super().__init__(**kwargs)
        self.num_out = int(num_out)
        self._copy = sk.unpool_copy(self.num_out)

    @property
    def copy_matrix(self):
        """The constant 0/1 matrix ``U (J, J/2)``: output = U x."""
        return self._copy

    def call(self, x):
        return tf.matmul(tf.cast(self._copy, x.dtype), x)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape((input_shape[0], self.num_out, input_shape[-1]))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_out=self.num_out)
        return cfg
