"""GraphSH and the SeqRes baseline as flat functional tf_keras models, built from a :class:`ModelConfig`.
Saving and loading them (safely: nothing stored in a file runs) is :mod:`graphsh_tf.model_io`.

Layer names mirror the reference's state_dict keys with dots replaced by underscores
(``gconv_layers.1.gconv3.gconv.W`` → layer ``gconv_layers_1_gconv3_gconv``, weight ``W``), which is what
:mod:`graphsh_tf.torch_import` relies on.
"""
from __future__ import annotations

from typing import Union

from graphsh_tf.config import ModelConfig
from graphsh_tf.contract import InputContract
from graphsh_tf.layers import graph_conv_block, graph_hourglass, model_input_layer, se_block
from graphsh_tf.layers.confidence import confidence_entry
from graphsh_tf.layers.graph_conv import graph_conv
from graphsh_tf.layers.initializers import torch_dense
from graphsh_tf.layers.temporal import FoldTime, NewestFrame, UnfoldTime, causal_temporal_block

import numpy as np
import tf_keras as keras

INPUT_NAME = "keypoints_2d"


def _normalized(inp, cfg: ModelConfig):
    """The network's view of its input: as is, or through its input contract's model step (``input_norm="pose"``,
    on x and y), then what its confidence entry (:mod:`graphsh_tf.layers.confidence`) makes of it."""
    return confidence_entry(model_input_layer(inp, InputContract.for_model(cfg)), cfg.confidence_input)


def _graphsh_features(inp, cfg: ModelConfig):
    """GraphSH up to its per-frame feature ``(B, 16, F)``: input graph conv, the hourglasses, the multi-level
    concat and the SE gate (everything but the output layer)."""
    out = graph_conv_block(_normalized(inp, cfg), cfg.hid_dim, cfg.gcn, cfg.num_joints, cfg.dropout, "gconv_input")
    per_stack = max(1, cfg.hid_dim // cfg.num_stacks)
    features = []
    for layer in range(cfg.num_stacks):
        out = graph_hourglass(out, cfg.hid_dim, cfg.gcn, cfg.dropout, f"gconv_layers_{layer}", pooling=cfg.pooling)
        if cfg.multi_level:
            features.append(torch_dense(per_stack, cfg.hid_dim, f"conv_layers_{layer}")(out))
    if cfg.multi_level:
        feats = features[0] if len(features) == 1 else keras.layers.Concatenate(axis=-1, name="concat")(features)
    else:
        feats = out
    if cfg.se:
        feats = se_block(feats, cfg.se_ratio, name="se_blocks")
    return feats


def _graphsh(cfg: ModelConfig) -> keras.Model:
    if cfg.temporal_window > 1:
        return _temporal_graphsh(cfg)
    inp = keras.Input(shape=(cfg.num_joints, cfg.in_dim), name=INPUT_NAME)
    feats = _graphsh_features(inp, cfg)
    joints = torch_dense(cfg.out_dim, int(feats.shape[-1]), "gconv_output")(feats)
    return keras.Model(inp, joints, name=f"graphsh_{cfg.gcn}_h{cfg.hid_dim}_s{cfg.num_stacks}")


#: Layer names of the temporal lifter's seams: per-frame rows in, per-frame features out (unfolded to windows).
FRAME_ROWS, FRAME_FEATURES = "fold_time", "unfold_time"


def temporal_channels(cfg: ModelConfig) -> int:
    """Channels of the temporal convolutions: 4 x ``hid_dim`` (256 at the paper's hid 64)."""
    return 4 * cfg.hid_dim


def _temporal_graphsh(cfg: ModelConfig) -> keras.Model:
    """The causal temporal lifter: input ``(B, T, 16, C)``, the last T frames oldest first; the per-frame GraphSH
    (shared weights, T folded into the batch) up to its per-frame feature; the causal temporal stack
    (:func:`graphsh_tf.layers.temporal.causal_temporal_block`) over the T frames' flattened features; a Dense to
    the newest frame's ``(16, 3)``, initialized to zero and added to the per-frame prediction of the newest frame
    (GraphSH's own output layer on its feature), so that an untrained temporal part gives the single-frame model."""
    t, j = cfg.temporal_window, cfg.num_joints
    inp = keras.Input(shape=(t, j, cfg.in_dim), name=INPUT_NAME)
    rows = FoldTime(name=FRAME_ROWS)(inp)
    feats = _graphsh_features(rows, cfg)
    f = int(feats.shape[-1])
    window = UnfoldTime(t, name=FRAME_FEATURES)(feats)                               # (B, T, 16, F)
    newest = NewestFrame(name="newest_frame")(window)                                # (B, 16, F)
    per_frame = torch_dense(cfg.out_dim, f, "gconv_output")(newest)                  # (B, 16, 3)
    x = keras.layers.Reshape((t, j * f), name="temporal_flatten")(window)
    x = causal_temporal_block(x, temporal_channels(cfg), cfg.dropout, "temporal")    # (B, 1, C_t)
    x = keras.layers.Reshape((temporal_channels(cfg),), name="temporal_squeeze")(x)
    x = keras.layers.Dense(j * cfg.out_dim, kernel_initializer="zeros", name="temporal_output")(x)
    x = keras.layers.Reshape((j, cfg.out_dim), name="temporal_joints")(x)
    joints = keras.layers.Add(name="temporal_residual")([per_frame, x])
    return keras.Model(inp, joints, name=f"graphsh_{cfg.gcn}_h{cfg.hid_dim}_s{cfg.num_stacks}_t{t}")


def temporal_parts(model: keras.Model):
    """``(frame_model, window_model)`` of a temporal lifter, sharing its layers and weights: ``frame_model`` maps
    per-frame rows ``(N, 16, C)`` to per-frame features ``(N, 16, F)`` (the GraphSH trunk), ``window_model`` maps
    the per-frame features of windows ``(B, T, 16, F)`` to the newest frames' ``(B, 16, 3)`` (metres). Calling
    ``frame_model`` once per frame and ``window_model`` on cached features computes what the model computes on
    the windows."""
    rows = model.get_layer(FRAME_ROWS).output
    feats = model.get_layer(FRAME_FEATURES).input
    window = model.get_layer(FRAME_FEATURES).output
    return (keras.Model(rows, feats, name=f"{model.name}_frame"),
            keras.Model(window, model.output, name=f"{model.name}_window"))


def _seqres(cfg: ModelConfig) -> keras.Model:
    """Sequential residual baseline (paper Table 3): input block, ``num_stacks`` residual blocks of two graph
    conv blocks each, graph-conv output layer."""
    inp = keras.Input(shape=(cfg.num_joints, cfg.in_dim), name=INPUT_NAME)
    out = graph_conv_block(_normalized(inp, cfg), cfg.hid_dim, cfg.gcn, cfg.num_joints, cfg.dropout, "gconv_input")
    for layer in range(cfg.num_stacks):
        y = graph_conv_block(out, cfg.hid_dim, cfg.gcn, cfg.num_joints, cfg.dropout, f"gconv_layers_{layer}_gconv1")
        y = graph_conv_block(y, cfg.hid_dim, cfg.gcn, cfg.num_joints, cfg.dropout, f"gconv_layers_{layer}_gconv2")
        out = keras.layers.Add(name=f"gconv_layers_{layer}_add")([out, y])
    joints = graph_conv(cfg.out_dim, cfg.gcn, cfg.num_joints, name="gconv_output")(out)
    return keras.Model(inp, joints, name=f"seqres_{cfg.gcn}_h{cfg.hid_dim}_s{cfg.num_stacks}")


def build_model(config: Union[ModelConfig, dict, None] = None, **overrides) -> keras.Model:
    """Build a GraphSH or SeqRes model from a :class:`ModelConfig` (or a dict of its fields, or keyword overrides).

    Input ``keypoints_2d`` ``(batch, 16, 2)`` normalized screen coordinates, or ``(batch, 16, 3)`` with the per-joint
    confidence as third channel (``confidence_input`` not ``none``); with ``temporal_window`` T > 1 the input is
    ``(batch, T, 16, C)``, the last T frames oldest first, and the output the newest frame's; output ``(batch, 16, 3)``
    root-relative camera-space joints in metres (the reference's unit). The config is stored on the model as
    ``model.graphsh_config``.
    """
    if config is None:
        config = ModelConfig()
    elif isinstance(config, dict):
        config = ModelConfig.from_dict(config)
    if overrides:
        config = ModelConfig.from_dict({**config.to_dict(), **overrides})
    config.validate()
    model = _graphsh(config) if config.arch == "graphsh" else _seqres(config)
    model.graphsh_config = config
    return model


def count_params(model: keras.Model, trainable_only: bool = True) -> int:
    """Parameter count as PyTorch's ``sum(p.numel() for p in model.parameters())`` counts it: trainable weights
    only (BatchNorm running statistics are buffers there, not parameters)."""
    weights = model.trainable_weights if trainable_only else model.weights
    return int(sum(int(np.prod(w.shape)) for w in weights))
