"""Where the folded graph (:mod:`graphsh_tf.lite.folded`) reads its constants and where int8 quantizes its
activations: :class:`Hooks` (plain constants, the float graph), :class:`RangeHooks` (fixed int8 ranges as FakeQuant
ops, which the converter uses instead of calibrating) and TFLite's int8 weight scheme (:func:`fake_quant_weight`).
Quantization-aware training subclasses them (:class:`graphsh_tf.lite.qat.FoldedQATHooks`).
"""
from __future__ import annotations

from typing import Dict

import numpy as np
import tensorflow as tf


class Hooks:
    """Where the folded graph reads its constants and where int8 quantizes its activations.

    ``weight(key, arr, kind)``: the tensor for the constant ``arr`` (kind ``"w"``: a learned weight, ``"b"``: a
    bias, ``"const"``: a fixed matrix such as the joint mixing); ``act(key, x)``: the activation ``x`` at a tensor the
    int8 graph quantizes. Keys name the producing layer (``gconv_input_gconv/transform/w``, ``.../mix``, ``.../out``).
    The default: plain constants, no fake quantization (the float graph). ``per_channel``: whether the weights are
    fake-quantized per output channel (the converter then keeps per-channel scales).
    """

    per_channel = False

    def weight(self, key: str, arr: np.ndarray, kind: str = "w"):
        return tf.constant(np.asarray(arr, dtype=np.float32))

    def act(self, key: str, x):
        return x

    def float_weight(self, key: str, arr: np.ndarray, kind: str = "w"):
        """The tensor for ``arr`` where the graph stays float (:class:`FloatHooks`): never fake-quantized (a
        trainable variable where the hooks train, as in :class:`graphsh_tf.lite.qat.FoldedQATHooks`)."""
        return tf.constant(np.asarray(arr, dtype=np.float32))


PLAIN = Hooks()
"""The float graph's hooks."""


class FloatHooks(Hooks):
    """The hooks of the float region of a mixed-precision graph: ``inner`` 's constants
    (:meth:`Hooks.float_weight`) and no activation quantization, so nothing there is fake-quantized or given a
    range (the converter leaves those ops float: :func:`graphsh_tf.lite.convert.convert`)."""

    def __init__(self, inner: Hooks):
        self.inner = inner
        self.per_channel = inner.per_channel

    def weight(self, key: str, arr: np.ndarray, kind: str = "w"):
        return self.inner.float_weight(key, arr, kind)

    def float_weight(self, key: str, arr: np.ndarray, kind: str = "w"):
        return self.inner.float_weight(key, arr, kind)


def fake_quant_weight(w, narrow: bool = True, per_channel: bool = False):
    """TFLite's int8 weight scheme on ``w``: symmetric, scale ``max|w| / 127`` per tensor, or with ``per_channel``
    per output channel for CONV_2D filters (rank 4, channels last: the grouped per-joint transforms, which hold
    nearly all the weights). FULLY_CONNECTED weights stay per tensor: the converter transposes them to
    ``(out, in)`` and refuses a per-channel FakeQuant across that transpose. Straight-through gradients."""
    if per_channel and w.shape.rank == 4:
        m = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(w), axis=[0, 1, 2]), 1e-8))
        return tf.quantization.fake_quant_with_min_max_vars_per_channel(w, -m, m, num_bits=8, narrow_range=narrow)
    m = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(w)), 1e-8))
    return tf.quantization.fake_quant_with_min_max_vars(w, -m, m, num_bits=8, narrow_range=narrow)


class RangeHooks(Hooks):
    """Fixed int8 ranges: weights fake-quantized as TFLite quantizes them, activations with ``ranges[key] = (lo,
    hi)`` (``FakeQuant`` ops, which the converter uses instead of calibrating). Keys without a range are left to the
    converter's calibration."""

    def __init__(self, ranges: Dict[str, tuple], per_channel: bool = False, weights: bool = True):
        self.ranges = {k: (float(min(lo, 0.0)), float(max(hi, 0.0, lo + 1e-6))) for k, (lo, hi) in ranges.items()}
        self.per_channel = bool(per_channel)
        self.weights = bool(weights)        # False: weights stay plain constants (the converter quantizes them)

    def weight(self, key: str, arr: np.ndarray, kind: str = "w"):
        t = tf.constant(np.asarray(arr, dtype=np.float32))
        return t if kind == "b" or not self.weights else fake_quant_weight(t, per_channel=self.per_channel)

    def act(self, key: str, x):
        if key not in self.ranges:
            return x
        lo, hi = self.ranges[key]
        return tf.quantization.fake_quant_with_min_max_args(x, lo, hi, num_bits=8, narrow_range=False)
