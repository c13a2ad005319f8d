"""Import a reference GraphSH state_dict (tamasino52/GraphSH, PyTorch) into the Keras model.

Sources: ``.npz`` (keys are the state_dict keys, optionally prefixed ``state_dict/``; always available) or
``.pth`` / ``.pth.tar`` (needs ``pip install graphsh-tf[torch]``; a bare state_dict or the reference's checkpoint
dict ``{'state_dict': ..., 'epoch': ...}``). Nothing read runs code: ``.npz`` loads with ``allow_pickle=False`` and
``.pth`` with ``torch.load(weights_only=True)``; a file that needs more is refused. NaN/Inf weights are refused.

The conv type, hidden size and stack count are inferred from the tensors; flags may override them.

Command line::

    python -m graphsh_tf.torch_import IN.npz|IN.pth OUT.h5 [--gcn G] [--hid-dim H] [--stacks S]
"""
from __future__ import annotations

import argparse
import contextlib
import re
import sys
from pathlib import Path
from typing import Dict, Optional, Union

from graphsh_tf.config import ModelConfig

import numpy as np


class StateDictError(ValueError):
    """The state_dict cannot be read or does not fit the model; the message names the tensor and the likely cause."""


StateDict = Dict[str, np.ndarray]

_BN = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"}
_IGNORED = ("num_batches_tracked",)


def read_state_dict(path: Union[str, Path]) -> StateDict:
    """Read a state_dict into ``{key: float32 array}`` from ``.npz`` or ``.pth``/``.pth.tar``."""
    from graphsh_tf.io import require_file

    path = require_file(path, StateDictError, "pass the reference's checkpoint (.pth.tar) or its state_dict (.npz)")
    name = path.name.lower()
    if name.endswith(".npz"):
        with open(path, "rb") as f:
            if f.read(2) != b"PK":   # an .npz is a zip archive; numpy would try anything else as text or pickle
                raise StateDictError(f"{path}: not an .npz file (no zip signature 'PK': text, .npy or corrupt); "
                                     "write the state_dict with numpy.savez(path, **arrays)")
        try:
            with np.load(path, allow_pickle=False) as z:
                raw = {k: z[k] for k in z.files}
        except ValueError as e:
            if "allow_pickle" not in str(e):
                raise StateDictError(f"{path}: not a readable .npz ({type(e).__name__}: {e})") from None
            raise StateDictError(f"{path}: a member holds pickled Python objects, which are never loaded; save "
                                 "plain numeric arrays (numpy.savez(path, **{name: tensor.numpy()}))") from None
        except Exception as e:  # noqa: BLE001
            raise StateDictError(f"{path}: not a readable .npz ({type(e).__name__}: {e})") from None
        sd = {k[len("state_dict/"):]: v for k, v in raw.items() if k.startswith("state_dict/")}
        if not sd:
            sd = {k: v for k, v in raw.items() if "." in k}    # tensor names look like 'layer.weight'
        for k, v in sd.items():
            if v.dtype.kind not in "fiub":
                raise StateDictError(f"{path}: tensor {k!r} holds {v.dtype} values, not numbers; save the tensors "
                                     "as float arrays")
    elif name.endswith((".pth", ".pth.tar", ".pt", ".tar")):
        try:
            import torch
        except ImportError:
            raise StateDictError(f"{path}: reading PyTorch files needs torch: pip install -e .[torch] "
                               "(or export the state_dict to .npz)") from None
        obj = _torch_load(torch, path)
        if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
            obj = obj["state_dict"]
        if not isinstance(obj, dict):
            raise StateDictError(f"{path}: expected a state_dict or a checkpoint dict with key 'state_dict', "
                               f"got {type(obj).__name__}")
        sd = {k[len("module."):] if k.startswith("module.") else k: v.detach().cpu().numpy()
              for k, v in obj.items() if hasattr(v, "detach")}
    else:
        raise StateDictError(f"{path}: unknown file type; expected .npz, .pth or .pth.tar")
    sd = {k: np.asarray(v, dtype=np.float32) for k, v in sd.items() if not k.endswith(_IGNORED)}
    if "gconv_input.gconv.W" not in sd:
        raise StateDictError(f"{path}: no tensor 'gconv_input.gconv.W'; this is not a GraphSH state_dict "
                           f"(first keys: {sorted(sd)[:5]})")
    for key, value in sd.items():
        bad = int(value.size - np.count_nonzero(np.isfinite(value)))
        if bad:
            raise StateDictError(f"{path}: tensor {key!r} has {bad} non-finite value(s) (NaN/Inf) of {value.size}; "
                               "the checkpoint is corrupt or from a diverged run, use an earlier one")
    return sd


def _torch_load(torch, path: Path):
    """``torch.load`` with ``weights_only=True``: tensors, plain containers and numbers (plus numpy arrays and
    scalars, e.g. an ``'error': np.float64``) load; anything else is refused unrun, with one line naming the
    offending global and the fix."""
    from graphsh_tf.safe_pickle import NUMPY_GLOBALS

    allowed = list({id(v): v for v in NUMPY_GLOBALS.values()}.values())
    allowed += [type(np.dtype(c)) for c in "?bhilqBHILQefdFD"]  # torch checks a dtype's class as well
    safe_globals = getattr(torch.serialization, "safe_globals", None)  # torch >= 2.5; older: plain weights_only
    try:
        with safe_globals(allowed) if safe_globals else contextlib.nullcontext():
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - one line for every failure
        msg = " ".join(str(e).split())
        unsafe = re.search(r"GLOBAL ([\w.]+)", msg)
        if unsafe:
            raise StateDictError(f"{path}: refused: the checkpoint holds {unsafe.group(1)}, and loading it would run "
                               "code; in a trusted environment re-save just the weights, e.g. "
                               "torch.save(torch.load(f, weights_only=False)['state_dict'], 'weights.pth')") from None
        if "Weights only load failed" in msg:
            raise StateDictError(f"{path}: not a readable tensor-only PyTorch file (corrupt, or it needs code to "
                               "load); re-download it, or re-save just its state_dict in a trusted environment"
                               ) from None
        raise StateDictError(f"{path}: torch.load failed ({type(e).__name__}: {msg}); the file is corrupt or "
                           "truncated, re-download or re-create it") from None


def infer_config(sd: StateDict) -> ModelConfig:
    """Infer conv type, hidden size, stack count and the ablation switches from the tensors (each conv type says
    which tensors are its own, :meth:`graphsh_tf.layers.graph_conv.GraphConv.matches_reference`)."""
    from graphsh_tf.layers.graph_conv import CONV_TYPES

    w = sd["gconv_input.gconv.W"]
    found = [c for c in CONV_TYPES.values() if c.matches_reference(sd, "gconv_input.gconv.")]
    if len(found) != 1:
        names = sorted(k[len("gconv_input.gconv."):] for k in sd if k.startswith("gconv_input.gconv."))
        raise StateDictError(f"gconv_input.gconv: tensors {names} (W {tuple(w.shape)}) fit "
                             f"{[c.gcn for c in found] or 'no conv type'}; pass --gcn")
    conv = found[0]
    gcn = conv.gcn
    hid = int(w.shape[-1])
    stacks = len({int(m.group(1)) for k in sd for m in [re.match(r"gconv_layers\.(\d+)\.", k)] if m})
    multi_level = "conv_layers.0.weight" in sd
    se = "se_blocks.fc1.weight" in sd
    joints = conv.reference_joints(sd, "gconv_layers.0.gconv2.gconv.")   # the first hourglass's pooled scale
    pooling = True if joints is None else joints == 8
    se_ratio = 8
    if se:
        se_ratio = max(1, sd["se_blocks.fc1.weight"].shape[1] // max(1, sd["se_blocks.fc1.weight"].shape[0]))
    return ModelConfig(arch="graphsh", gcn=gcn, hid_dim=hid, num_stacks=max(1, stacks), multi_level=multi_level,
                       se=se, pooling=pooling, se_ratio=se_ratio, dropout=0.25)


def _keras_value(layer_kind: str, param: str, value: np.ndarray) -> tuple:
    """(keras weight name, value converted to the Keras layout)."""
    if layer_kind == "bn":
        return _BN[param], value
    if layer_kind == "dense":
        if param == "weight":
            return "kernel", (value[..., 0] if value.ndim == 3 else value).T
        return "bias", value
    return param, value  # GraphConv: W, bias, e, M, adj2 keep the reference's names and shapes


def load_state_dict(model, sd: StateDict, source: str = "state_dict") -> None:
    """Copy every tensor of ``sd`` into ``model``; every model weight must be covered exactly once.

    The reference network takes ``(x, y)``: its weights go into a model with the paper's 2-channel input only. A
    model with a confidence input (``ModelConfig.confidence_input``) is refused rather than given a zero weight row
    for the confidence: a network that never saw confidences would pass for a confidence-aware one; train one
    (``fit.py --recipe robust``) instead."""
    channels = int(model.input_shape[-1])
    if channels != 2:
        raise StateDictError(f"{source}: the reference weights take (x, y) input, but this model's input has "
                             f"{channels} channels (confidence_input="
                             f"{getattr(getattr(model, 'graphsh_config', None), 'confidence_input', '?')!r}); "
                             "build it with confidence_input='none'")
    by_layer: Dict[str, Dict[str, np.ndarray]] = {}
    for key, value in sd.items():
        module, param = key.rsplit(".", 1)
        by_layer.setdefault(module.replace(".", "_"), {})[param] = (key, value)
    cfg = getattr(model, "graphsh_config", None)
    hint = ("the model was built as " + str(cfg.to_dict()) if cfg else "") + \
        "; a mismatch usually means a wrong conv type (--gcn), hidden size (--hid-dim) or stack count (--stacks)"
    used = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        if layer.name not in by_layer:
            raise StateDictError(f"{source}: no tensors for layer {layer.name!r} "
                               f"(expected keys {layer.name.replace('_', '.')}.*){hint}")
        kind = "bn" if layer.__class__.__name__ == "BatchNormalization" else \
            "dense" if layer.__class__.__name__ == "Dense" else "gconv"
        converted = {}
        for param, (key, value) in by_layer[layer.name].items():
            if kind == "bn" and param not in _BN:
                continue
            wname, v = _keras_value(kind, param, value)
            converted[wname] = (key, v)
        new = []
        for w in layer.weights:
            wname = w.name.split("/")[-1].split(":")[0]
            if wname not in converted:
                raise StateDictError(f"{source}: layer {layer.name!r} needs weight {wname!r} but the state_dict has "
                                   f"only {sorted(by_layer[layer.name])}{hint}")
            key, v = converted[wname]
            if tuple(v.shape) != tuple(w.shape):
                raise StateDictError(f"{source}: tensor {key!r} has shape {tuple(sd[key].shape)} but the Keras "
                                   f"weight {layer.name}/{wname} needs {tuple(w.shape)} (after layout conversion "
                                   f"{tuple(v.shape)}){hint}")
            new.append(v)
            used.add(key)
        layer.set_weights(new)
    unused = sorted(set(k for k in sd) - used - {k for k in sd if k.rsplit(".", 1)[-1] in _IGNORED})
    if unused:
        raise StateDictError(f"{source}: tensors not used by the model: {unused[:6]}{hint}")


def import_state_dict(path: Union[str, Path], gcn: Optional[str] = None, hid_dim: Optional[int] = None,
                      num_stacks: Optional[int] = None):
    """Read ``path`` and return a Keras model holding its weights (config inferred; arguments override)."""
    from graphsh_tf.models import build_model

    sd = read_state_dict(path)
    cfg = infer_config(sd)
    overrides = {k: v for k, v in (("gcn", gcn), ("hid_dim", hid_dim), ("num_stacks", num_stacks)) if v is not None}
    cfg = ModelConfig.from_dict({**cfg.to_dict(), **overrides}, source=str(path))
    model = build_model(cfg)
    load_state_dict(model, sd, source=str(path))
    return model


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m graphsh_tf.torch_import",
                                description="Convert a reference GraphSH state_dict (.npz/.pth) to a Keras .h5 model.")
    p.add_argument("src", help=".npz (state_dict keys) or .pth/.pth.tar (needs torch)")
    p.add_argument("dst", help="output .h5 model file (opens with graphsh_tf.load_model)")
    p.add_argument("--gcn", help="override the inferred conv type")
    p.add_argument("--hid-dim", type=int, help="override the inferred hidden size")
    p.add_argument("--stacks", type=int, help="override the inferred number of stacks")
    from graphsh_tf import cli

    cli.add_verbose(p)
    args = p.parse_args(argv)

    def body():
        if not args.dst.endswith(".h5"):
            raise ValueError(f"{args.dst}: the output must be an .h5 file")
        model = import_state_dict(args.src, args.gcn, args.hid_dim, args.stacks)
        from graphsh_tf.model_io import save_model
        from graphsh_tf.models import count_params

        save_model(model, args.dst)
        cfg = model.graphsh_config
        print(f"imported {args.src} -> {args.dst}: gcn={cfg.gcn} hid_dim={cfg.hid_dim} stacks={cfg.num_stacks} "
              f"params={count_params(model):,}")

    return cli.run("", body, verbose=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
