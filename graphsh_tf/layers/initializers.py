"""The reference's (PyTorch's) weight initialization rules as tf_keras initializers: the whole-tensor Xavier
fans of the graph convs, and the default ``nn.Linear`` / ``nn.Conv1d`` init of the dense layers (measured in
``tests/test_init_parity.py``)."""
from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
import tf_keras as keras


def torch_fans(shape) -> tuple:
    """(fan_in, fan_out) of a weight tensor by PyTorch's rule for ``nn.init.xavier_*`` on the WHOLE tensor:
    ``fan_in = shape[1] * prod(shape[2:])``, ``fan_out = shape[0] * prod(shape[2:])``.

    For a stacked graph-conv weight ``(2, in, out)`` this gives ``fan_in = in*out`` and ``fan_out = 2*out``, not the
    per-matrix ``(in, out)``: the reference initializes its graph convs on this scale (6x smaller bound for
    ``(2, 64, 64)``, ~24x for dc_preagg's ``(2, 16, 64, 64)``), and because every graph conv is followed by
    BatchNorm, that scale is what sets the effective step size of Adam. Measured in ``benchmarks/README.md``.
    """
    shape = [int(d) for d in shape]
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


@keras.utils.register_keras_serializable(package="graphsh_tf")
class TorchXavierUniform(keras.initializers.Initializer):
    """``U(±gain·sqrt(6 / (fan_in + fan_out)))`` with the fans of :func:`torch_fans` (the reference's
    ``nn.init.xavier_uniform_(W, gain=1.414)`` on the whole stacked tensor)."""

    def __init__(self, gain: float = 1.414, seed=None):
        self.gain = float(gain)
        self.seed = seed

    def bound(self, shape) -> float:
        fan_in, fan_out = torch_fans(shape)
        return self.gain * math.sqrt(6.0 / (fan_in + fan_out))

    def __call__(self, shape, dtype=None, **kwargs):
        b = self.bound(shape)
        return keras.initializers.RandomUniform(-b, b, seed=self.seed)(shape, dtype=dtype or tf.float32)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


def torch_default_uniform(fan_in: int, seed=None) -> keras.initializers.Initializer:
    """PyTorch's default for ``nn.Linear`` / ``nn.Conv1d`` weights and biases (and the graph convs' biases):
    ``U(±1/sqrt(fan_in))`` (kaiming_uniform with a=sqrt(5) reduces to exactly this bound)."""
    bound = 1.0 / math.sqrt(max(1, int(fan_in)))
    return keras.initializers.RandomUniform(-bound, bound, seed=seed)


def torch_dense(units: int, fan_in: int, name: str, activation=None) -> keras.layers.Dense:
    """A Dense layer initialized as the reference's ``nn.Linear(fan_in, units)`` / ``nn.Conv1d(fan_in, units, 1)``
    (weight and bias ``U(±1/sqrt(fan_in))``), not with Keras' glorot-uniform kernel and zero bias."""
    return keras.layers.Dense(units, activation=activation, name=name,
                              kernel_initializer=torch_default_uniform(fan_in),
                              bias_initializer=torch_default_uniform(fan_in))
