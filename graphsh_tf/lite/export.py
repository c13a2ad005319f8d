"""Export orchestration: a model, or a training run, → ``graphsh_<variant>.tflite`` files with their metadata.

The only module that brings quantization-aware training (:mod:`graphsh_tf.lite.qat`) and the converter
(:mod:`graphsh_tf.lite.convert`) together. int8 calibration and QAT fine-tuning use the run's training split
(:func:`graphsh_tf.run.load_data`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Union

import numpy as np
import tf_keras as keras

from graphsh_tf import run as rundir
from graphsh_tf.lite.calibrate import representative_poses
from graphsh_tf.lite.convert import CALIBRATED, convert
from graphsh_tf.lite.folded import ExportError
from graphsh_tf.lite.metadata import (ALL_VARIANTS, QAT_WEIGHTS, VARIANTS, build_metadata, variant_filename,
                                      write_model)


def _config_dict(model: keras.Model) -> dict:
    cfg = getattr(model, "graphsh_config", None)
    return cfg.to_dict() if cfg is not None else {}


def export_variants(model: keras.Model, out_dir: Union[str, Path], variants: Sequence[str] = VARIANTS,
                    representative: Optional[np.ndarray] = None, io: str = "float", batch: int = 1,
                    qat_model: Optional[keras.Model] = None, config: Optional[dict] = None,
                    formulation: str = "conv", log: Callable[[str], None] = lambda s: None,
                    per_channel: bool = False) -> Dict[str, Path]:
    """Convert ``model`` to each variant into ``out_dir`` (``graphsh_<variant>.tflite`` + ``.json`` sidecar, metadata
    embedded). ``qat_model``: the float model after quantization-aware fine-tuning (for ``qat_int8``).
    ``per_channel``: per-channel int8 weight scales for int8 (and qat_int8, as its fine-tuning used them); int16x8
    always has them."""
    unknown = [v for v in variants if v not in ALL_VARIANTS]
    if unknown:
        raise ExportError(f"unknown variant(s) {unknown}; choose from {', '.join(ALL_VARIANTS)}")
    written = {}
    for variant in variants:
        src = model
        if variant == "qat_int8":
            if qat_model is None:
                raise ExportError("variant qat_int8 needs the quantization-aware fine-tuned model (qat_model=)")
            src = qat_model
        hooks = getattr(src, "qat_hooks", None) if variant == "qat_int8" and formulation == "conv" else None
        pc = True if variant == "int16x8" else (per_channel if variant in ("int8", "qat_int8") else None)
        data = convert(src, variant, representative, io=io, batch=batch, formulation=formulation, hooks=hooks,
                       per_channel=pc)
        meta = build_metadata(data, variant, config if config is not None else _config_dict(model))
        path = write_model(Path(out_dir) / variant_filename(variant, batch), data, meta)
        written[variant] = path
        log(f"{variant}: {path} ({path.stat().st_size} bytes)")
    return written


def export_run(run_dir: Union[str, Path], out_dir: Union[str, Path, None] = None, variants: Sequence[str] = VARIANTS,
               io: str = "float", batch: int = 1, qat_steps: int = 300, calib_samples: int = 500,
               data_spec: Optional[str] = None, formulation: str = "conv", seed: int = 0,
               log: Callable[[str], None] = lambda s: None, qat_method: str = "folded",
               per_channel: bool = False) -> Dict[str, Path]:
    """Export a training run's best model to ``out_dir`` (default ``RUN_DIR/tflite``): the conversions of
    :func:`export_variants`; int8 calibration and QAT fine-tuning use the run's training split. ``qat_method``:
    ``folded`` (fake quantization on the exported graph) or ``tfmot`` (tfmot QuantizeConfigs on the Keras layers),
    see :func:`graphsh_tf.lite.qat.qat_finetune`. ``per_channel``: per-channel int8 weights for int8 / qat_int8
    (~30 % larger files; measured in benchmarks/README.md, int8)."""
    run = rundir.Run(run_dir)
    doc = run.read_document()
    model = rundir.load_model(run)
    bad = [w.name for w in model.weights if not np.isfinite(w.numpy()).all()]
    if bad:
        raise ExportError(f"{run_dir}: the run's weights hold NaN/inf ({len(bad)} tensors, e.g. {bad[0]}): the "
                          "training diverged; nothing was exported. Retrain (a lower --lr) or resume from a finite "
                          "checkpoint")
    out_dir = Path(out_dir) if out_dir else run.tflite_dir
    if any(v in ("int8", "qat_int8") for v in variants) and (doc.get("model") or {}).get("input_norm",
                                                                                      "screen") != "pose":
        log("note: this model sees screen coordinates; full-int8 variants of a model trained with "
            "fit.py --input-norm pose have about half the per-pose error tail (benchmarks/README.md, int8)")
    rep = qat = None
    if any(v in CALIBRATED for v in variants):
        train = rundir.load_data(run, data_spec).train
        rep = representative_poses(train.poses_2d, calib_samples, seed)
        if "qat_int8" in variants:
            from graphsh_tf.io import atomic_save
            from graphsh_tf.lite.qat import qat_finetune

            log(f"quantization-aware fine-tuning ({qat_method}): {qat_steps} steps")
            qat = qat_finetune(model, train.poses_2d, train.poses_3d, steps=qat_steps, seed=seed, log=log,
                               per_channel=per_channel,
                               method=qat_method)
            atomic_save(out_dir / QAT_WEIGHTS, lambda tmp: qat.save_weights(tmp))
    return export_variants(model, out_dir, variants, representative=rep, io=io, batch=batch, qat_model=qat,
                           config=doc.get("model") or _config_dict(model), formulation=formulation, log=log,
                           per_channel=per_channel)
