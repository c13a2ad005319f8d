"""GraphSH and the SeqRes baseline as flat functional tf_keras models; building, saving and loading them.

Layer names mirror the reference's state_dict keys with dots replaced by underscores
(``gconv_layers.1.gconv3.gconv.W`` → layer ``gconv_layers_1_gconv3_gconv``, weight ``W``), which is what
:mod:`graphsh_tf.torch_import` relies on.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Union

import numpy as np
import tf_keras as keras

from graphsh_tf.config import ConfigError, ModelConfig, RunConfig
from graphsh_tf.io import atomic_save
from graphsh_tf.layers import CUSTOM_OBJECTS, PoseNormalize, graph_conv_block, graph_hourglass, se_block
from graphsh_tf.layers.graph_conv import GraphConv
from graphsh_tf.layers.initializers import torch_dense

INPUT_NAME = "keypoints_2d"


class ModelFileError(ValueError):
    """A model file is missing, corrupt or not a GraphSH model; the message names the file and the fix."""


def _normalized(inp, cfg: ModelConfig):
    """The network's view of its input: as is, or pose-normalized (``input_norm="pose"``)."""
    return PoseNormalize(name="pose_normalize")(inp) if cfg.input_norm == "pose" else inp


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


def save_model(model: keras.Model, path: Union[str, Path]) -> Path:
    """Save a complete model (architecture + weights + config) to ``.h5`` atomically."""
    def write(tmp: str) -> None:
        model.save(tmp, save_format="h5", include_optimizer=False)
        cfg = getattr(model, "graphsh_config", None)
        if cfg is not None:
            import h5py

            with h5py.File(tmp, "a") as f:
                f.attrs["graphsh_config"] = cfg.to_json()

    return atomic_save(path, write)


_REEXPORT = "re-export it with graphsh_tf.models.save_model (or python -m graphsh_tf.torch_import)"


def _read_h5_info(path: Path):
    """``(graphsh_config attribute or None, stored layers or None)`` of an ``.h5``, read as data with h5py + json.

    The layers are ``(class_name, name, config)`` from the Keras ``model_config`` attribute of a full-model file
    (``None`` for a weights-only file); they are compared, never deserialized into Keras objects."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            text = f.attrs.get("graphsh_config")
            arch = f.attrs.get("model_config")
    except OSError as e:
        raise ModelFileError(f"{path}: not a readable HDF5 model file ({' '.join(str(e).split())}); re-create it "
                             "with graphsh_tf.models.save_model or python -m graphsh_tf.torch_import") from None
    text, arch = (v.decode() if isinstance(v, bytes) else v for v in (text, arch))
    cfg = ModelConfig.from_json(text, source=f"{path} (attribute graphsh_config)") if text else None
    if arch is None:
        return cfg, None
    try:
        layers = [(str(l["class_name"]), str(l["config"]["name"]), l["config"])
                  for l in json.loads(arch)["config"]["layers"]]
    except (ValueError, KeyError, TypeError) as e:
        raise ModelFileError(f"{path}: attribute model_config is not a Keras functional model ({type(e).__name__}: "
                             f"{e}); {_REEXPORT}") from None
    return cfg, layers


def _refuse_code_layers(path: Path, layers) -> None:
    """A Lambda layer (or any layer config carrying a ``function``) is Python code Keras would run: refuse."""
    for cls, name, conf in layers:
        if cls.split(">")[-1] == "Lambda" or (isinstance(conf, dict) and "function" in conf):
            raise ModelFileError(f"{path}: refused: layer {name!r} ({cls}) holds Python code that loading would run, "
                                 f"and GraphSH has no such layer; {_REEXPORT}")


def _infer_config(path: Path, layers) -> ModelConfig:
    """The ModelConfig of a plain ``model.save(...h5)`` of a GraphSH / SeqRes model, from its layer names and
    configs (the file lacks the ``graphsh_config`` attribute that :func:`save_model` writes)."""
    conf = {name: c if isinstance(c, dict) else {} for _, name, c in layers}
    first = conf.get("gconv_input_gconv", {})
    if "gcn" not in first or "units" not in first:
        raise ModelFileError(f"{path}: refused: no graphsh_config attribute and not a GraphSH architecture (no "
                             f"GraphConv layer 'gconv_input_gconv'), and rebuilding another architecture could run "
                             f"code stored in the file; {_REEXPORT}")
    try:
        stacks = {int(m.group(1)) for n in conf for m in [re.match(r"gconv_layers_(\d+)_", n)] if m}
        d = dict(gcn=first["gcn"], hid_dim=first["units"], num_stacks=max(1, len(stacks)),
                 dropout=conf.get("gconv_input_dropout", {}).get("rate", 0.0),
                 out_dim=conf.get("gconv_output", {}).get("units", 3))
        shape = conf.get(INPUT_NAME, {}).get("batch_input_shape")
        if shape:
            d.update(num_joints=shape[1], in_dim=shape[2])
        if "gconv_layers_0_add" in conf:
            d["arch"] = "seqres"
        else:
            d.update(pooling="gconv_layers_0_pool1" in conf, multi_level="conv_layers_0" in conf,
                     se="se_blocks_fc1" in conf)
            if d["se"]:
                d["se_ratio"] = max(1, conf["se_blocks_fc2"]["units"] // conf["se_blocks_fc1"]["units"])
        return ModelConfig.from_dict(d, source=str(path)).validate()
    except (ValueError, KeyError, TypeError, IndexError, ZeroDivisionError) as e:
        raise ModelFileError(f"{path}: no graphsh_config attribute and its GraphSH layers do not give a valid config "
                             f"({type(e).__name__}: {' '.join(str(e).split())}); {_REEXPORT}") from None


def _check_layers(path: Path, model: keras.Model, layers, source: str) -> None:
    """The stored layer names must be exactly those of the model rebuilt from ``source`` (Dropout aside: identity
    at inference), so a file is never silently loaded as a different architecture."""
    kind = {name: cls for cls, name, _ in layers}
    ours = {l.name for l in model.layers if not isinstance(l, keras.layers.Dropout)}
    theirs = {name for name, cls in kind.items() if cls != "Dropout"}
    extra, missing = sorted(theirs - ours), sorted(ours - theirs)
    cfg = model.graphsh_config
    summary = f"{cfg.arch} gcn={cfg.gcn} hid_dim={cfg.hid_dim} num_stacks={cfg.num_stacks} model built from {source}"
    if extra:
        raise ModelFileError(f"{path}: refused: its layer {extra[0]!r} ({kind[extra[0]]}) is not in the {summary}, "
                             "and only GraphSH layers are rebuilt (nothing stored in the file is run); pass the "
                             f"matching config=ModelConfig(...) or {_REEXPORT}")
    if missing:
        raise ModelFileError(f"{path}: it lacks layer {missing[0]!r} of the {summary}; pass the matching "
                             f"config=ModelConfig(...) or {_REEXPORT}")


def load_model(path: Union[str, Path], config: Union[ModelConfig, None] = None) -> keras.Model:
    """Load a model saved by :func:`save_model` / ``model.save(..h5)`` / the weight importer, a weights-only
    ``.h5`` (needs ``config``, or a ``config.json`` beside it), or a training run directory (``config.json`` plus
    ``best.weights.h5`` or ``last.weights.h5``). Returns a model ready to ``predict``.

    Nothing stored in the file is run: the model is always rebuilt by :func:`build_model` (from ``config``, the
    file's ``graphsh_config`` attribute, or for a plain Keras save the config inferred from its layer list) and
    only the weight arrays are read. A full-model file whose layers differ from the rebuilt model (e.g. a Lambda
    layer) is refused with :class:`ModelFileError`."""
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
    cfg_attr, layers = _read_h5_info(path)
    if layers is not None:  # a full-model file: never keras.models.load_model, which would run stored code
        _refuse_code_layers(path, layers)
        if config is not None:
            cfg, source = config, "the config argument"
        elif cfg_attr is not None:
            cfg, source = cfg_attr, "its graphsh_config attribute"
        else:  # a plain model.save(...h5): infer the config from the stored layer list (read as JSON data)
            cfg, source = _infer_config(path, layers), "its layer list"
        model = build_model(cfg)
        _check_layers(path, model, layers, source)
    else:
        cfg = config or cfg_attr
        if cfg is None and (path.parent / "config.json").exists():
            cfg = _config_from_run(path.parent / "config.json")
        if cfg is None:
            raise ModelFileError(f"{path}: weights-only file without a model config; pass config=ModelConfig(...) "
                                 "or keep the run's config.json beside it")
        model = build_model(cfg)
    try:
        model.load_weights(path)  # reads only arrays (from the model_weights group of a full-model file)
    except Exception as e:  # noqa: BLE001
        raise ModelFileError(f"{path}: weights do not fit the model {cfg.to_dict()} ({type(e).__name__}: "
                             f"{' '.join(str(e).split())}); check gcn, hid_dim and num_stacks") from None
    return model


def _config_from_run(cfg_file: Path) -> ModelConfig:
    return RunConfig.read_model(cfg_file)
