"""GraphSH and the SeqRes baseline as flat functional tf_keras models; building, saving and loading them.

Layer names mirror the reference's state_dict keys with dots replaced by underscores
(``gconv_layers.1.gconv3.gconv.W`` → layer ``gconv_layers_1_gconv3_gconv``, weight ``W``), which is what
:mod:`graphsh_tf.torch_import` relies on.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Union

import numpy as np
import tf_keras as keras

from graphsh_tf.config import ConfigError, ModelConfig
from graphsh_tf.layers import CUSTOM_OBJECTS, graph_conv_block, graph_hourglass, se_block
from graphsh_tf.layers.graph_conv import GraphConv

INPUT_NAME = "keypoints_2d"


class ModelFileError(ValueError):
    """A model file is missing, corrupt or not a GraphSH model; the message names the file and the fix."""


def _graphsh(cfg: ModelConfig) -> keras.Model:
    inp = keras.Input(shape=(cfg.num_joints, cfg.in_dim), name=INPUT_NAME)
    out = graph_conv_block(inp, cfg.hid_dim, cfg.gcn, cfg.num_joints, cfg.dropout, "gconv_input")
    per_stack = max(1, cfg.hid_dim // cfg.num_stacks)
    features = []
    for layer in range(cfg.num_stacks):
        out = graph_hourglass(out, cfg.hid_dim, cfg.gcn, cfg.dropout, f"gconv_layers_{layer}", pooling=cfg.pooling)
        if cfg.multi_level:
            features.append(keras.layers.Dense(per_stack, name=f"conv_layers_{layer}")(out))
    if cfg.multi_level:
        feats = features[0] if len(features) == 1 else keras.layers.Concatenate(axis=-1, name="concat")(features)
    else:
        feats = out
    if cfg.se:
        feats = se_block(feats, cfg.se_ratio, name="se_blocks")
    joints = keras.layers.Dense(cfg.out_dim, name="gconv_output")(feats)
    return keras.Model(inp, joints, name=f"graphsh_{cfg.gcn}_h{cfg.hid_dim}_s{cfg.num_stacks}")


def _seqres(cfg: ModelConfig) -> keras.Model:
    """Sequential residual baseline (paper Table 3): input block, ``num_stacks`` residual blocks of two graph
    conv blocks each, graph-conv output layer."""
    inp = keras.Input(shape=(cfg.num_joints, cfg.in_dim), name=INPUT_NAME)
    out = graph_conv_block(inp, cfg.hid_dim, cfg.gcn, cfg.num_joints, cfg.dropout, "gconv_input")
    for layer in range(cfg.num_stacks):
        y = graph_conv_block(out, cfg.hid_dim, cfg.gcn, cfg.num_joints, cfg.dropout, f"gconv_layers_{layer}_gconv1")
        y = graph_conv_block(y, cfg.hid_dim, cfg.gcn, cfg.num_joints, cfg.dropout, f"gconv_layers_{layer}_gconv2")
        out = keras.layers.Add(name=f"gconv_layers_{layer}_add")([out, y])
    joints = GraphConv(cfg.out_dim, gcn=cfg.gcn, num_joints=cfg.num_joints, name="gconv_output")(out)
    return keras.Model(inp, joints, name=f"seqres_{cfg.gcn}_h{cfg.hid_dim}_s{cfg.num_stacks}")


def build_model(config: Union[ModelConfig, dict, None] = None, **overrides) -> keras.Model:
    """Build a GraphSH or SeqRes model from a :class:`ModelConfig` (or a dict of its fields, or keyword overrides).

    Input ``keypoints_2d`` ``(batch, 16, 2)`` normalized screen coordinates; output ``(batch, 16, 3)``
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


def custom_objects() -> dict:
    return dict(CUSTOM_OBJECTS)


def _atomic_target(path: Path) -> Path:
    return path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")


def save_model(model: keras.Model, path: Union[str, Path]) -> Path:
    """Save a complete model (architecture + weights + config) to ``.h5`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _atomic_target(path)
    model.save(tmp, save_format="h5", include_optimizer=False)
    cfg = getattr(model, "graphsh_config", None)
    if cfg is not None:
        import h5py

        with h5py.File(tmp, "a") as f:
            f.attrs["graphsh_config"] = cfg.to_json()
    os.replace(tmp, path)
    return path


def _read_config_attr(path: Path):
    import h5py

    try:
        with h5py.File(path, "r") as f:
            text = f.attrs.get("graphsh_config")
            has_model = "model_config" in f.attrs
    except OSError as e:
        raise ModelFileError(f"{path}: not a readable HDF5 model file ({e}); re-create it with "
                             "graphsh_tf.models.save_model or python -m graphsh_tf.torch_import") from None
    if isinstance(text, bytes):
        text = text.decode()
    cfg = ModelConfig.from_json(text, source=f"{path} (attribute graphsh_config)") if text else None
    return cfg, has_model


def load_model(path: Union[str, Path], config: Union[ModelConfig, None] = None) -> keras.Model:
    """Load a model saved by :func:`save_model` / ``model.save(..h5)`` / the weight importer, a weights-only
    ``.h5`` (needs ``config``, or a ``config.json`` beside it), or a training run directory (``config.json`` plus
    ``best.weights.h5`` or ``last.weights.h5``). Returns a model ready to ``predict``."""
    path = Path(path)
    if path.is_dir():
        cfg_file = path / "config.json"
        if not cfg_file.exists():
            raise ModelFileError(f"{path}: a run directory needs config.json (written by training/fit.py); "
                                 "pass the .h5 model file instead")
        cfg = config or _config_from_run(cfg_file)
        for name in ("best.weights.h5", "last.weights.h5"):
            if (path / name).exists():
                return load_model(path / name, cfg)
        raise ModelFileError(f"{path}: no best.weights.h5 or last.weights.h5; train first (training/fit.py)")
    if not path.exists():
        raise ModelFileError(f"{path}: model file not found")
    cfg_attr, has_model = _read_config_attr(path)
    if has_model and config is None:
        try:
            model = keras.models.load_model(path, custom_objects=custom_objects(), compile=False)
        except Exception as e:  # noqa: BLE001 - any failure to deserialize is a bad model file to the user
            raise ModelFileError(f"{path}: could not load the model ({type(e).__name__}: {e}); the file is corrupt "
                                 "or was written by another program") from None
        model.graphsh_config = cfg_attr
        return model
    cfg = config or cfg_attr
    if cfg is None and (path.parent / "config.json").exists():
        cfg = _config_from_run(path.parent / "config.json")
    if cfg is None:
        raise ModelFileError(f"{path}: weights-only file without a model config; pass config=ModelConfig(...) "
                             "or keep the run's config.json beside it")
    model = build_model(cfg)
    try:
        model.load_weights(path)
    except Exception as e:  # noqa: BLE001
        raise ModelFileError(f"{path}: weights do not fit the model {cfg.to_dict()} ({type(e).__name__}: {e}); "
                             "check gcn, hid_dim and num_stacks") from None
    return model


def _config_from_run(cfg_file: Path) -> ModelConfig:
    try:
        d = json.loads(cfg_file.read_text())
    except json.JSONDecodeError as e:
        raise ConfigError(f"{cfg_file}: not valid JSON ({e})") from None
    return ModelConfig.from_dict(d.get("model", d), source=str(cfg_file))
