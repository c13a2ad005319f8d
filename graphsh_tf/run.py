"""A training run directory, owned in one place: its paths, config.json, history.csv, the resume checkpoint, and
the model and data it stands for.

Layout (written by the chief worker only)::

    RUN/config.json        RunConfig: {"model": ModelConfig, "train": TrainConfig, "data": DataConfig + "summary"}
    RUN/best.weights.h5    weights of the epoch with the lowest val_mpjpe_mm
    RUN/last.weights.h5    weights after the last finished epoch
    RUN/ckpt/              tf.train.Checkpoint of model + optimizer (moments, step counter) + epoch, for --resume
    RUN/history.csv        epoch,loss,val_mpjpe_mm,lr (one row per finished epoch)
    RUN/tb/                TensorBoard logs
    RUN/eval.json, eval.md, curves.png, skeletons.png
    RUN/tflite/            exported .tflite files + sidecars (tflite/convert.py)

:func:`load_model` and :func:`load_data` give back the run's model (best weights, else last) and its data split,
rebuilt exactly as training loaded it (data seed and loader options from config.json).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Union

from graphsh_tf.config import ConfigError, DataConfig, ModelConfig, RunConfig, TrainConfig
from graphsh_tf.io import atomic_save, atomic_write_text, write_json

#: TrainConfig fields that may change between a run and its --resume (they do not change what is learned per step).
RESUME_MUTABLE_TRAIN_FIELDS = ("epochs", "strategy", "val_every", "flip_test", "jit_compile")
#: data fields that may change on --resume.
RESUME_MUTABLE_DATA_FIELDS = ("summary",)
HISTORY_FIELDS = ("epoch", "loss", "val_mpjpe_mm", "lr")
WEIGHTS = ("best.weights.h5", "last.weights.h5")

RunLike = Union[str, Path, "Run"]


class RunDirError(ValueError):
    """A run directory cannot be used (missing, foreign config, unreadable); the message names the file and fix."""


class Run:
    """The paths of one run directory."""

    def __init__(self, path: RunLike):
        self.path = Path(path.path if isinstance(path, Run) else path)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    config_path = property(lambda self: self.path / "config.json")
    history_path = property(lambda self: self.path / "history.csv")
    ckpt_dir = property(lambda self: self.path / "ckpt")
    tb_dir = property(lambda self: self.path / "tb")
    tflite_dir = property(lambda self: self.path / "tflite")

    def weights_name(self) -> Optional[str]:
        """``best.weights.h5`` when present, else ``last.weights.h5`` when present, else None."""
        return next((name for name in WEIGHTS if (self.path / name).exists()), None)

    def read_document(self) -> Dict:
        """config.json as a dict (keys model, train, data); :class:`RunDirError` naming the file otherwise."""
        return RunConfig.read_document(self.config_path, RunDirError)

    def read_config(self) -> RunConfig:
        try:
            return RunConfig.from_dict(self.read_document(), str(self.config_path))
        except ConfigError as e:
            raise RunDirError(str(e)) from None

    def write_config(self, doc: Union[RunConfig, Dict]) -> Path:
        return write_json(self.config_path, doc.to_dict() if isinstance(doc, RunConfig) else doc)

    def read_history(self) -> List[Dict[str, Optional[float]]]:
        return read_history(self.history_path)

    def write_history(self, rows: Iterable[Dict]) -> Path:
        return write_history(self.history_path, rows)


# --- config.json --------------------------------------------------------------------------------------------------

def run_config(model_cfg: ModelConfig, train_cfg: TrainConfig, data: Union[DataConfig, Dict]) -> Dict:
    """The config.json document (``data``: a DataConfig dict plus ``summary``)."""
    data = data.to_dict() if isinstance(data, DataConfig) else dict(data)
    return {"model": model_cfg.to_dict(), "train": train_cfg.to_dict(), "data": data}


def write_run_config(run_dir: RunLike, doc: Dict) -> Path:
    return Run(run_dir).write_config(doc)


def read_run_config(run_dir: RunLike) -> Dict:
    return Run(run_dir).read_document()


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


def check_resume_compatible(run_dir: RunLike, new: Dict) -> Dict:
    """Raise :class:`RunDirError` naming every differing field when ``new`` is not the config of ``run_dir``."""
    run = Run(run_dir)
    if not run.config_path.exists():
        raise RunDirError(f"{run.config_path}: not found; --resume needs a run directory written by training/fit.py "
                          "(drop --resume to start a new run)")
    old = run.read_document()
    try:
        ModelConfig.from_dict(old["model"], source=str(run.config_path))
        TrainConfig.from_dict(old["train"], source=str(run.config_path))
    except ConfigError as e:
        raise RunDirError(str(e)) from None
    diffs = config_differences(old, new)
    if diffs:
        raise RunDirError(f"{run.config_path}: --resume with a different config ({'; '.join(diffs)}); "
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


# --- weights, model, data -----------------------------------------------------------------------------------------

def save_weights_atomic(model, path: Union[str, Path]) -> Path:
    """``model.save_weights`` atomically (``*.weights.h5`` → the format ``model.load_weights`` expects)."""
    return atomic_save(path, lambda tmp: model.save_weights(tmp))


def load_model(run: RunLike):
    """The run's model with its best weights (else the last), rebuilt from config.json (nothing in a file runs)."""
    from graphsh_tf.models import load_model as load_model_file

    return load_model_file(Run(run).path)


def data_config(run: RunLike, spec: Optional[str] = None, **overrides) -> DataConfig:
    """The run's DataConfig (seed and loader options as stored); ``spec`` / ``overrides`` replace its fields."""
    run = Run(run)
    doc = run.read_document()
    section = dict(doc.get("data") or {})
    if spec:
        section["spec"] = spec
    section.update({k: v for k, v in overrides.items() if v is not None})
    if not section.get("spec"):
        raise RunDirError(f"{run.config_path}: field 'data.spec' missing; pass --data SPEC (e.g. synthetic)")
    try:
        return DataConfig.from_run_section(section, int((doc.get("train") or {}).get("seed", 0)), str(run.config_path))
    except ConfigError as e:
        raise RunDirError(str(e)) from None


def load_data(run: RunLike, spec: Optional[str] = None, **overrides):
    """The run's data set at 16 joints, split exactly as training split it (see :func:`data_config`)."""
    return data_config(run, spec, **overrides).load()
