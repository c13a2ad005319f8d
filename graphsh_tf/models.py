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

import numpy as np
import tf_keras as keras

INPUT_NAME = "keypoints_2d"


def _normalized(inp, cfg: ModelConfig):
    """The network's view of its input: as is, or through its input contract's model step (``input_norm="pose"``,
    on x and y), then what its confidence entry (:mod:`graphsh_tf.layers.confidence`) makes of it."""
    return confidence_entry(model_input_layer(inp, InputContract.for_model(cfg)), cfg.confidence_input)


def _graphsh(cfg: ModelConfig) -> keras.Model:
    inp = keras.Input(shape=(cfg.num_joints, cfg.in_dim), name=INPUT_NAME)
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
    joints = torch_dense(cfg.out_dim, int(feats.shape[-1]), "gconv_output")(feats)
    return keras.Model(inp, joints, name=f"graphsh_{cfg.gcn}_h{cfg.hid_dim}_s{cfg.num_stacks}")


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
    confidence as third channel (``confidence_input`` not ``none``); output ``(batch, 16, 3)``
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
