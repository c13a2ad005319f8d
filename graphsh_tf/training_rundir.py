"""The training run directory: atomic file writes, config.json, history.csv and the resume compatibility check.

Layout (written by the chief worker only)::

    RUN_DIR/config.json        {"model": ModelConfig, "train": TrainConfig, "data": {spec, keypoints, downsample, summary}}
    RUN_DIR/best.weights.h5    weights of the epoch with the lowest val_mpjpe_mm
    RUN_DIR/last.weights.h5    weights after the last finished epoch
    RUN_DIR/ckpt/              tf.train.Checkpoint of model + optimizer (moments, step counter) + epoch, for --resume
    RUN_DIR/history.csv        epoch,loss,val_mpjpe_mm,lr (one row per finished epoch)
    RUN_DIR/tb/                TensorBoard logs
    RUN_DIR/eval.json, eval.md, curves.png, skeletons.png
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Union

from graphsh_tf.config import ConfigError, ModelConfig, TrainConfig
from graphsh_tf.io import atomic_save, atomic_write_text, tmp_path_for  # noqa: F401  (re-exported)

#: TrainConfig fields that may change between a run and its --resume (they do not change what is learned per step).
RESUME_MUTABLE_TRAIN_FIELDS = ("epochs", "strategy", "val_every", "flip_test", "jit_compile")
#: data fields that may change on --resume.
RESUME_MUTABLE_DATA_FIELDS = ("summary",)
HISTORY_FIELDS = ("epoch", "loss", "val_mpjpe_mm", "lr")


class RunDirError(ValueError):
    """A run directory cannot be used (missing, foreign config, unreadable); the message names the file and fix."""


def save_weights_atomic(model, path: Union[str, Path]) -> Path:
    """``model.save_weights`` atomically (``*.weights.h5`` → the format ``model.load_weights`` expects)."""
    return atomic_save(path, lambda tmp: model.save_weights(tmp))


# --- config.json ------------------------------------------------------------------------------------------------

def run_config(model_cfg: ModelConfig, train_cfg: TrainConfig, data: Dict) -> Dict:
    """The config.json document."""
    return {"model": model_cfg.to_dict(), "train": train_cfg.to_dict(), "data": dict(data)}


def write_run_config(run_dir: Union[str, Path], doc: Dict) -> Path:
    return atomic_write_text(Path(run_dir) / "config.json", json.dumps(doc, indent=2, sort_keys=True) + "\n")


def read_run_config(run_dir: Union[str, Path]) -> Dict:
    path = Path(run_dir) / "config.json"
    if not path.exists():
        raise RunDirError(f"{path}: not found; --resume needs a run directory written by training/fit.py "
                          "(drop --resume to start a new run)")
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise RunDirError(f"{path}: not valid JSON ({e}); delete the run directory or fix the file") from None
    if not isinstance(doc, dict) or not {"model", "train", "data"} <= set(doc):
        raise RunDirError(f"{path}: expected keys model, train, data; re-create the run without --resume")
    return doc


def config_differences(old: Dict, new: Dict) -> List[str]:
    """``section.field: old -> new`` for every field that differs and may not change on resume."""
    diffs = []
    for section, mutable in (("model", ()), ("train", RESUME_MUTABLE_TRAIN_FIELDS), ("data", RESUME_MUTABLE_DATA_FIELDS)):
        a, b = old.get(section, {}) or {}, new.get(section, {}) or {}
        for key in sorted(set(a) | set(b)):
            if key in mutable:
                continue
            if a.get(key) != b.get(key):
                diffs.append(f"{section}.{key}: {a.get(key)!r} -> {b.get(key)!r}")
    return diffs


def check_resume_compatible(run_dir: Union[str, Path], new: Dict) -> Dict:
    """Raise :class:`RunDirError` naming every differing field when ``new`` is not the config of ``run_dir``."""
    old = read_run_config(run_dir)
    try:
        ModelConfig.from_dict(old["model"], source=f"{run_dir}/config.json")
        TrainConfig.from_dict(old["train"], source=f"{run_dir}/config.json")
    except ConfigError as e:
        raise RunDirError(str(e)) from None
    diffs = config_differences(old, new)
    if diffs:
        raise RunDirError(f"{Path(run_dir) / 'config.json'}: --resume with a different config ({'; '.join(diffs)}); "
                          "use the original flags or a new --out directory")
    return old


# --- history.csv ------------------------------------------------------------------------------------------------

def read_history(path: Union[str, Path]) -> List[Dict[str, Optional[float]]]:
    """Rows of history.csv as dicts (``epoch`` int, other fields float or None); [] when the file is absent."""
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            out: Dict[str, Optional[float]] = {}
            for key in HISTORY_FIELDS:
                v = row.get(key, "")
                out[key] = (int(v) if key == "epoch" else float(v)) if v not in ("", None) else None
            rows.append(out)
    return rows


def write_history(path: Union[str, Path], rows: Iterable[Dict]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HISTORY_FIELDS)
    for r in rows:
        w.writerow(["" if r.get(k) is None else (int(r[k]) if k == "epoch" else f"{float(r[k]):.6g}")
                    for k in HISTORY_FIELDS])
    return atomic_write_text(path, buf.getvalue())


def best_val(rows: Iterable[Dict]) -> float:
    vals = [r["val_mpjpe_mm"] for r in rows if r.get("val_mpjpe_mm") is not None]
    return min(vals) if vals else float("inf")
