"""Saving GraphSH / SeqRes models to ``.h5`` and loading them safely: nothing stored in a file is run.

A loaded model is always rebuilt by :func:`graphsh_tf.models.build_model` (from a given config, the file's
``graphsh_config`` attribute, a run's config.json, or for a plain Keras save the config inferred from its layer
list) and only the weight arrays are read. The file's Keras ``model_config`` is read as JSON data and compared with
the rebuilt model, never deserialized.
"""
from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Optional, Set, Union

from graphsh_tf.config import ModelConfig
from graphsh_tf.io import atomic_save_h5, require_file, weights_h5_bytes
from graphsh_tf.models import INPUT_NAME, build_model
from graphsh_tf.run import Run

import tf_keras as keras


class ModelFileError(ValueError):
    """A model file is missing, corrupt or not a GraphSH model; the message names the file and the fix."""


def save_model(model: keras.Model, path: Union[str, Path]) -> Path:
    """Save a complete model (architecture + weights + config) to ``.h5`` atomically."""
    def fill(f) -> None:
        from tf_keras.src.saving.legacy import hdf5_format

        hdf5_format.save_model_to_hdf5(model, f, include_optimizer=False)
        cfg = getattr(model, "graphsh_config", None)
        if cfg is not None:
            f.attrs["graphsh_config"] = cfg.to_json()

    return atomic_save_h5(path, fill)


_REEXPORT = "re-export it with graphsh_tf.model_io.save_model (or python -m graphsh_tf.torch_import)"


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
                             "with graphsh_tf.model_io.save_model or python -m graphsh_tf.torch_import") from None
    text, arch = (v.decode() if isinstance(v, bytes) else v for v in (text, arch))
    cfg = ModelConfig.from_json(text, source=f"{path} (attribute graphsh_config)") if text else None
    if arch is None:
        return cfg, None
    try:
        layers = [(str(layer["class_name"]), str(layer["config"]["name"]), layer["config"])
                  for layer in json.loads(arch)["config"]["layers"]]
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
    ours = {layer.name for layer in model.layers if not isinstance(layer, keras.layers.Dropout)}
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


def _h5_names(source) -> Set[str]:
    """Every group and dataset path in an HDF5 file (a path or a file object)."""
    import h5py

    names: Set[str] = set()
    with h5py.File(source, "r") as f:
        f.visit(names.add)
    return names


def _check_weight_groups(path: Path, model: keras.Model, source: str) -> None:
    """A ``.weights.h5`` must hold the weight groups of ``model`` and no other: tf_keras reads the groups its
    layers ask for and ignores the rest, so weights of another config (more stacks, another conv type) would load
    partly, without a word."""
    data = weights_h5_bytes(model)
    if data is None:   # another tf_keras layout: its own reader decides
        return
    ours = _h5_names(io.BytesIO(data))
    try:
        theirs = _h5_names(path)
    except OSError as e:
        raise ModelFileError(f"{path}: not a readable HDF5 weights file ({' '.join(str(e).split())}); train again "
                             "or pass the run's other weights file") from None
    # the model's own weights are under layers/ and vars/; what a compiled model adds beside them (optimizer state,
    # metrics) is not the model's and is never read
    theirs = {n for n in theirs if n.split("/")[0] in ("layers", "vars")}
    extra = sorted(n for n in theirs - ours if n.rpartition("/")[0] not in theirs - ours)
    missing = sorted({"/".join(n.split("/")[:2]) for n in ours - theirs
                      if n.split("/")[-1].isdigit()})
    cfg = model.graphsh_config
    summary = (f"the {cfg.arch} gcn={cfg.gcn} hid_dim={cfg.hid_dim} num_stacks={cfg.num_stacks} model built from "
               f"{source}")
    if extra:
        listed = ", ".join(extra[:6]) + (f" and {len(extra) - 6} more" if len(extra) > 6 else "")
        raise ModelFileError(f"{path}: refused: it holds weight groups that {summary} does not have ({listed}); "
                             "these are likely weights of another config (another gcn, hid_dim, num_stacks or "
                             "ablation): load them with the config of the run that wrote them")
    if missing:
        listed = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        raise ModelFileError(f"{path}: it lacks weight groups of {summary} ({listed}); these are likely weights of "
                             "another config: load them with the config of the run that wrote them")


def load_model(path: Union[str, Path, Run], config: Optional[ModelConfig] = None) -> keras.Model:
    """Load a model saved by :func:`save_model` / ``model.save(..h5)`` / the weight importer, a weights-only
    ``.h5`` (needs ``config``, or the config.json of the run it sits in), or a training run directory (its config
    and best weights, else last; see :class:`graphsh_tf.run.Run`). Returns a model ready to ``predict``.

    Nothing stored in the file is run: the model is always rebuilt by :func:`build_model` (from ``config``, the
    file's ``graphsh_config`` attribute, or for a plain Keras save the config inferred from its layer list) and
    only the weight arrays are read. A full-model file whose layers differ from the rebuilt model (e.g. a Lambda
    layer) is refused with :class:`ModelFileError`."""
    if not isinstance(path, Run) and Path(path).suffix == ".h5" and Path(path).is_dir() \
            and not Run(path).is_run():
        raise ModelFileError(f"{path}: is a folder, not a model or weights file; pass the .h5 file itself, or the "
                             "run directory that holds the run's weights")
    if isinstance(path, Run) or Path(path).is_dir():
        run = Run(path)
        if not run.is_run():
            if os.path.lexists(run.config_path):   # there, but a link loop, a broken link, a folder...
                require_file(run.config_path, ModelFileError, "a run directory needs its config.json (written by "
                             "training/fit.py); restore it, or pass the .h5 model file instead")
            raise ModelFileError(f"{run.config_path}: not found; a run directory needs it (written by "
                                 "training/fit.py); pass the .h5 model file instead")
        source = "the config argument" if config is not None else str(run.config_path)
        config = config or run.read_model_config()   # a broken config.json is named before missing weights
        weights = run.model_weights()
        if weights is None:
            raise ModelFileError(f"{run.path}: no {run.weights_path('best').name} or "
                                 f"{run.weights_path('last').name}; train first (training/fit.py)")
        if weights.is_dir():
            raise ModelFileError(f"{weights}: is a folder, not a weights file; a run's {weights.name} is the file "
                                 "training/fit.py writes: remove the folder (or put that file there) and run again")
        require_file(weights, ModelFileError, f"a run's {weights.name} is the weights file training/fit.py writes; "
                     "restore it or train again")
        return _load_file(weights, config, source)
    path = require_file(path, ModelFileError, "pass a model .h5, a .weights.h5 inside its run directory, or the "
                        "run directory")
    return _load_file(path, config, "the config argument")


def _load_file(path: Path, config: Optional[ModelConfig], config_source: str) -> keras.Model:
    """:func:`load_model` of one existing file (``config_source``: where ``config`` came from, for messages)."""
    cfg_attr, layers = _read_h5_info(path)
    if layers is not None:  # a full-model file: never keras.models.load_model, which would run stored code
        _refuse_code_layers(path, layers)
        if config is not None:
            cfg, source = config, config_source
        elif cfg_attr is not None:
            cfg, source = cfg_attr, "its graphsh_config attribute"
        else:  # a plain model.save(...h5): infer the config from the stored layer list (read as JSON data)
            cfg, source = _infer_config(path, layers), "its layer list"
        model = build_model(cfg)
        _check_layers(path, model, layers, source)
    else:
        cfg, source = config, config_source
        if cfg is None and cfg_attr is not None:
            cfg, source = cfg_attr, "its graphsh_config attribute"
        if cfg is None and Run(path.parent).is_run():
            cfg, source = Run(path.parent).read_model_config(), str(Run(path.parent).config_path)
        if cfg is None:
            raise ModelFileError(f"{path}: weights-only file without a model config; pass config=ModelConfig(...) "
                                 "or keep it in its run directory (beside the run's config)")
        model = build_model(cfg)
        if path.name.endswith(".weights.h5"):
            _check_weight_groups(path, model, source)
    try:
        model.load_weights(path)  # reads only arrays (from the model_weights group of a full-model file)
    except Exception as e:  # noqa: BLE001
        raise ModelFileError(f"{path}: weights do not fit the model {cfg.to_dict()} ({type(e).__name__}: "
                             f"{' '.join(str(e).split())}); check gcn, hid_dim and num_stacks") from None
    return model
