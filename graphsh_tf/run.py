"""A training run directory: the only module that knows the names of the files inside it.

Layout (written by the chief worker only)::

    RUN/config.json        RunConfig: {"model": ModelConfig, "train": TrainConfig, "data": DataConfig + "summary"}
    RUN/best.weights.h5    weights of the epoch with the lowest val_mpjpe_mm
    RUN/last.weights.h5    weights after the last finished epoch
    RUN/ckpt/              tf.train.Checkpoint of model + optimizer (moments, step counter) + epoch, for --resume
    RUN/history.csv        epoch,loss,val_mpjpe_mm,lr (one row per finished epoch)
    RUN/tb/                TensorBoard logs
    RUN/curves.png, skeletons.png
    RUN/<report>.json, <report>.md   for each of REPORTS: eval (fit, training/evaluate.py), validate, benchmark
    RUN/tflite/            exported .tflite files + sidecars (tflite/convert.py)

:class:`Run` is the one API. The run's model is loaded by :func:`graphsh_tf.model_io.load_model` (which asks a
:class:`Run` for its config and weights); :meth:`Run.load_data` rebuilds the run's data split exactly as training
loaded it (data seed and loader options from config.json).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple, Union

from graphsh_tf.config import ConfigError, DataConfig, ModelConfig, RunConfig, TrainConfig
from graphsh_tf.io import atomic_save_weights, atomic_write_text, write_json

#: TrainConfig fields that may change between a run and its --resume (they do not change what is learned per step).
RESUME_MUTABLE_TRAIN_FIELDS = ("epochs", "strategy", "val_every", "flip_test", "jit_compile")
#: data fields that may change on --resume.
RESUME_MUTABLE_DATA_FIELDS = ("summary",)
HISTORY_FIELDS = ("epoch", "loss", "val_mpjpe_mm", "lr")
#: Weight files, in the order a model is loaded from them: ``{which}.weights.h5``.
WEIGHTS = ("best", "last")
#: Reports written into a run directory, each as ``{name}.json`` + ``{name}.md``.
REPORTS = ("eval", "validate", "benchmark")

RunLike = Union[str, Path, "Run"]


class RunDirError(ValueError):
    """A run directory cannot be used (missing, foreign config, unreadable); the message names the file and fix."""


class Run:
    """One run directory: its paths, config.json, history.csv, weights and data split."""

    def __init__(self, path: RunLike):
        self.path = Path(path.path if isinstance(path, Run) else path)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    config_path = property(lambda self: self.path / "config.json")
    history_path = property(lambda self: self.path / "history.csv")
    ckpt_dir = property(lambda self: self.path / "ckpt")
    tb_dir = property(lambda self: self.path / "tb")
    tflite_dir = property(lambda self: self.path / "tflite")
    curves_path = property(lambda self: self.path / "curves.png")
    skeletons_path = property(lambda self: self.path / "skeletons.png")

    def is_run(self) -> bool:
        """True when the directory holds a config.json (a run written by training/fit.py)."""
        return self.config_path.is_file()

    def report_paths(self, name: str) -> Tuple[Path, Path]:
        """``(RUN/name.json, RUN/name.md)`` of one of :data:`REPORTS`."""
        if name not in REPORTS:
            raise ValueError(f"report {name!r}: not a run report; choose one of {', '.join(REPORTS)}")
        return self.path / f"{name}.json", self.path / f"{name}.md"

    def exported_dir(self) -> Path:
        """Where the run's ``.tflite`` files are: ``RUN/tflite`` when present, else the directory itself (a folder
        of ``.tflite`` files given directly)."""
        return self.tflite_dir if self.tflite_dir.is_dir() else self.path

    # --- weights --------------------------------------------------------------------------------------------------

    def weights_path(self, which: str) -> Path:
        """``RUN/best.weights.h5`` or ``RUN/last.weights.h5`` (``which``: one of :data:`WEIGHTS`)."""
        if which not in WEIGHTS:
            raise ValueError(f"weights {which!r}: choose one of {', '.join(WEIGHTS)}")
        return self.path / f"{which}.weights.h5"

    def model_weights(self) -> Optional[Path]:
        """The weights a model of this run is loaded from: best when present, else last, else None. "Present" counts
        anything of that name (a folder, a broken or looping link too), so the loader names what is wrong with it
        instead of quietly taking the other file."""
        return next((p for p in map(self.weights_path, WEIGHTS) if p.exists() or p.is_symlink()), None)

    def save_weights(self, model, which: str) -> Path:
        """``model.save_weights`` into :meth:`weights_path` atomically."""
        return atomic_save_weights(self.weights_path(which), model)

    # --- config.json ----------------------------------------------------------------------------------------------

    def read_document(self) -> Dict:
        """config.json as a dict (keys model, train, data); :class:`RunDirError` naming the file otherwise."""
        return RunConfig.read_document(self.config_path, RunDirError)

    def read_config(self) -> RunConfig:
        try:
            return RunConfig.from_dict(self.read_document(), str(self.config_path))
        except ConfigError as e:
            raise RunDirError(str(e)) from None

    def read_model_config(self) -> ModelConfig:
        """The ModelConfig of config.json (its ``model`` section; a bare ModelConfig file is accepted too)."""
        return RunConfig.read_model(self.config_path)

    def write_config(self, doc: Union[RunConfig, Dict]) -> Path:
        return write_json(self.config_path, doc.to_dict() if isinstance(doc, RunConfig) else doc)

    def check_resume(self, new: Union[RunConfig, Dict]) -> Dict:
        """The stored config.json document; :class:`RunDirError` naming every differing field when ``new`` is not
        the config of this run (fields in ``RESUME_MUTABLE_*`` may differ)."""
        new = new.to_dict() if isinstance(new, RunConfig) else new
        if not self.config_path.exists():
            raise RunDirError(f"{self.config_path}: not found; --resume needs a run directory written by "
                              "training/fit.py (drop --resume to start a new run)")
        old = self.read_document()
        try:
            ModelConfig.from_dict(old["model"], source=str(self.config_path))
            TrainConfig.from_dict(old["train"], source=str(self.config_path))
        except ConfigError as e:
            raise RunDirError(str(e)) from None
        diffs = config_differences(old, new)
        if diffs:
            raise RunDirError(f"{self.config_path}: --resume with a different config ({'; '.join(diffs)}); "
                              "use the original flags or a new --out directory")
        return old

    # --- history.csv ----------------------------------------------------------------------------------------------

    def read_history(self) -> List[Dict[str, Optional[float]]]:
        """Rows of history.csv as dicts (``epoch`` int, other fields float or None); [] when the file is absent."""
        if not self.history_path.exists():
            return []
        rows = []
        with open(self.history_path, newline="") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                out: Dict[str, Optional[float]] = {}
                for key in HISTORY_FIELDS:
                    v = row.get(key, "")
                    try:
                        out[key] = (int(v) if key == "epoch" else float(v)) if v not in ("", None) else None
                    except (TypeError, ValueError):
                        raise RunDirError(f"{self.history_path}: line {line}: field {key!r} is {v!r}, not a number; "
                                          "the file is garbled: fix that line, or delete the file to resume "
                                          "without the earlier epochs' history") from None
                rows.append(out)
        return rows

    def write_history(self, rows: Iterable[Dict]) -> Path:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(HISTORY_FIELDS)
        for r in rows:
            w.writerow(["" if r.get(k) is None else (int(r[k]) if k == "epoch" else f"{float(r[k]):.6g}")
                        for k in HISTORY_FIELDS])
        return atomic_write_text(self.history_path, buf.getvalue())

    # --- data -----------------------------------------------------------------------------------------------------

    def data_config(self, spec: Optional[str] = None, **overrides) -> DataConfig:
        """The run's DataConfig (seed and loader options as stored); ``spec`` / ``overrides`` replace its fields."""
        doc = self.read_document()
        section = dict(doc.get("data") or {})
        if spec:
            section["spec"] = spec
        section.update({k: v for k, v in overrides.items() if v is not None})
        if not section.get("spec"):
            raise RunDirError(f"{self.config_path}: field 'data.spec' missing; pass --data SPEC (e.g. synthetic)")
        try:
            return DataConfig.from_run_section(section, int((doc.get("train") or {}).get("seed", 0)),
                                               str(self.config_path))
        except ConfigError as e:
            raise RunDirError(str(e)) from None

    def load_data(self, spec: Optional[str] = None, **overrides):
        """The run's data set at 16 joints, split exactly as training split it (see :meth:`data_config`)."""
        return self.data_config(spec, **overrides).load()


def config_differences(old: Dict, new: Dict) -> List[str]:
    """``section.field: old -> new`` for every field of two config.json documents that differs and may not change
    on resume."""
    diffs = []
    mutable_fields = {"model": (), "train": RESUME_MUTABLE_TRAIN_FIELDS, "data": RESUME_MUTABLE_DATA_FIELDS}
    for section, mutable in mutable_fields.items():
        a, b = old.get(section, {}) or {}, new.get(section, {}) or {}
        for key in sorted(set(a) | set(b)):
            if key in mutable:
                continue
            if a.get(key) != b.get(key):
                diffs.append(f"{section}.{key}: {a.get(key)!r} -> {b.get(key)!r}")
    return diffs


def best_val(rows: Iterable[Dict]) -> float:
    """The lowest ``val_mpjpe_mm`` of history rows (inf when none was measured)."""
    vals = [r["val_mpjpe_mm"] for r in rows if r.get("val_mpjpe_mm") is not None]
    return min(vals) if vals else float("inf")
