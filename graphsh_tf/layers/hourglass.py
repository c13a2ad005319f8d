"""Graph-conv block and graph hourglass, as functional sub-graphs of flat layers.

They are builders rather than nested layers on purpose: a flat functional model is what tfmot's
quantization-aware training and the TFLite converter handle best, and every layer keeps a stable name that maps
to the reference's state_dict key (``gconv_layers.0.gconv1.bn`` → ``gconv_layers_0_gconv1_bn``).
"""
from __future__ import annotations

from graphsh_tf import skeleton as sk
from graphsh_tf.layers.graph_conv import graph_conv
from graphsh_tf.layers.pooling import SkeletalPool, SkeletalUnpool

import tf_keras as keras


def _several_replicas() -> bool:
    """Whether the model is built under a tf.distribute strategy with more than one replica: its BatchNorm then
    normalizes with the statistics of the whole global batch (synchronized across replicas), so data-parallel
    training computes what one device computes on the same global batch."""
    import tensorflow as tf

    return tf.distribute.has_strategy() and tf.distribute.get_strategy().num_replicas_in_sync > 1


def graph_conv_block(x, units: int, gcn: str, num_joints: int, dropout: float, name: str):
    """GraphConv → BatchNorm → ReLU → Dropout: ``(B, J, C_in) → (B, J, units)``."""
    x = graph_conv(units, gcn, num_joints, name=f"{name}_gconv")(x)
    x = keras.layers.BatchNormalization(epsilon=1e-5, momentum=0.9, synchronized=_several_replicas(),
                                        name=f"{name}_bn")(x)
    x = keras.layers.ReLU(name=f"{name}_relu")(x)
    if dropout and dropout > 0:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def graph_hourglass(x, hid_dim: int, gcn: str, dropout: float, name: str, pooling: bool = True):
    """One graph hourglass: 16 → 8 → 4 joints and back, channels hid → 1.5 hid → 2 hid, residual at every scale.

    ``x`` ``(B, 16, hid_dim)`` → ``(B, 16, hid_dim)``. With ``pooling=False`` (the ablation) every scale stays at
    16 joints.
    """
    mid, low = int(hid_dim * 1.5), hid_dim * 2
    n_full, n_mid, n_low = sk.SCALES if pooling else (sk.NUM_JOINTS,) * 3
    skip1 = x
    skip2 = graph_conv_block(skip1, mid, gcn, n_full, dropout, f"{name}_gconv1")
    y = SkeletalPool(n_full, name=f"{name}_pool1")(skip2) if pooling else skip2
    skip3 = graph_conv_block(y, low, gcn, n_mid, dropout, f"{name}_gconv2")
    y = SkeletalPool(n_mid, name=f"{name}_pool2")(skip3) if pooling else skip3
    y = graph_conv_block(y, low, gcn, n_low, dropout, f"{name}_gconv3")
    y = SkeletalUnpool(n_mid, name=f"{name}_unpool2")(y) if pooling else y
    y = keras.layers.Add(name=f"{name}_add3")([y, skip3])
    y = graph_conv_block(y, mid, gcn, n_mid, dropout, f"{name}_gconv4")
    y = SkeletalUnpool(n_full, name=f"{name}_unpool1")(y) if pooling else y
    y = keras.layers.Add(name=f"{name}_add2")([y, skip2])
    y = graph_conv_block(y, hid_dim, gcn, n_full, dropout, f"{name}_gconv5")
    return keras.layers.Add(name=f"{name}_add1")([y, skip1])
