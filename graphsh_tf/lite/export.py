"""Export orchestration: a model, or a training run, → ``graphsh_<variant>.tflite`` files with their metadata.

The only module that brings quantization-aware training (:mod:`graphsh_tf.lite.qat`) and the converter
(:mod:`graphsh_tf.lite.convert`) together. int8 calibration and QAT fine-tuning use the run's training split
(:meth:`graphsh_tf.run.Run.load_data`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Union

from graphsh_tf.lite.calibrate import representative_poses
from graphsh_tf.lite.convert import convert
from graphsh_tf.lite.hooks import RangeHooks
from graphsh_tf.lite.metadata import QAT_WEIGHTS, build_metadata, write_model
from graphsh_tf.lite.variants import ExportError, default_names
from graphsh_tf.lite.variants import variant as lookup
from graphsh_tf.model_io import load_model
from graphsh_tf.run import Run

import numpy as np
import tf_keras as keras


def _config_dict(model: keras.Model) -> dict:
    cfg = getattr(model, "graphsh_config", None)
    return cfg.to_dict() if cfg is not None else {}


def export_variants(model: keras.Model, out_dir: Union[str, Path], variants: Optional[Sequence[str]] = None,
                    representative: Optional[np.ndarray] = None, io: str = "float", batch: int = 1,
                    qat_model: Optional[keras.Model] = None, config: Optional[dict] = None,
                    formulation: str = "conv", log: Callable[[str], None] = lambda s: None,
                    per_channel: bool = False, qat_hooks: Optional[RangeHooks] = None) -> Dict[str, Path]:
    """Convert ``model`` to each variant (default: :func:`graphsh_tf.lite.variants.default_names`) into ``out_dir``
    (``graphsh_<variant>.tflite`` + ``.json`` sidecar, metadata embedded). ``qat_model``, ``qat_hooks``: the float
    model after quantization-aware fine-tuning and its fixed int8 ranges (:class:`graphsh_tf.lite.qat.QATResult`;
    without hooks the converter calibrates), for the variants with ``qat``. ``per_channel``: per-channel int8 weight
    scales where the variant leaves the choice to the caller
    (:meth:`graphsh_tf.lite.variants.Variant.per_channel_weights`)."""
    from graphsh_tf.lite.temporal import TEMPORAL_VARIANTS, window_of

    temporal = window_of(model) > 1
    if variants is None:
        variants = TEMPORAL_VARIANTS if temporal else default_names()
    table = [lookup(name) for name in variants]
    written = {}
    for v in table:
        if temporal:   # the Keras graph through the standard converter (graphsh_tf.lite.temporal)
            from graphsh_tf.lite.temporal import convert_temporal, temporal_metadata

            data = convert_temporal(model, v.name, batch)
            meta = temporal_metadata(data, v.name, config if config is not None else _config_dict(model))
            written[v.name] = path = write_model(Path(out_dir) / v.filename(batch), data, meta)
            log(f"{v.name}: {path} ({path.stat().st_size} bytes)")
            continue
        src, hooks = model, None
        if v.qat:
            if qat_model is None:
                raise ExportError(f"variant {v.name} needs the quantization-aware fine-tuned model (qat_model=)")
            src, hooks = qat_model, (qat_hooks if formulation == "conv" else None)
        parts = v.float_parts if io == "float" and formulation != "keras" else ()
        data = convert(src, v.name, representative, io=io, batch=batch, formulation=formulation, hooks=hooks,
                       per_channel=v.per_channel_weights(per_channel), float_parts=parts)
        meta = build_metadata(data, v.name, config if config is not None else _config_dict(model), parts)
        path = write_model(Path(out_dir) / v.filename(batch), data, meta)
        written[v.name] = path
        log(f"{v.name}: {path} ({path.stat().st_size} bytes)")
    return written


def export_run(run_dir: Union[str, Path], out_dir: Union[str, Path, None] = None,
               variants: Optional[Sequence[str]] = None,
               io: str = "float", batch: int = 1, qat_steps: int = 300, calib_samples: int = 500,
               data_spec: Optional[str] = None, formulation: str = "conv", seed: int = 0,
               log: Callable[[str], None] = lambda s: None, qat_method: str = "folded",
               per_channel: bool = False, progress=None) -> Dict[str, Path]:
    """Export a training run's best model to ``out_dir`` (default ``RUN_DIR/tflite``): the conversions of
    :func:`export_variants`; int8 calibration and QAT fine-tuning use the run's training split. ``qat_method``:
    ``folded`` (fake quantization on the exported graph) or ``tfmot`` (tfmot QuantizeConfigs on the Keras layers),
    see :func:`graphsh_tf.lite.qat.qat_finetune`. ``per_channel``: per-channel int8 weights for int8 / qat_int8
    (~30 % larger files; measured in benchmarks/README.md, int8). ``progress``: ``(total, unit, label) ->``
    :class:`graphsh_tf.progress.Progress` for the QAT steps (None: a loss line every 100 steps through ``log``)."""
    run = Run(run_dir)
    doc = run.read_document()
    model = load_model(run)
    bad = [w.name for w in model.weights if not np.isfinite(w.numpy()).all()]
    if bad:
        raise ExportError(f"{run_dir}: the run's weights hold NaN/inf ({len(bad)} tensors, e.g. {bad[0]}): the "
                          "training diverged; nothing was exported. Retrain (a lower --lr) or resume from a finite "
                          "checkpoint")
    out_dir = Path(out_dir) if out_dir else run.tflite_dir
    if variants is None and int((doc.get("model") or {}).get("temporal_window", 1)) > 1:
        from graphsh_tf.lite.temporal import TEMPORAL_VARIANTS

        variants = TEMPORAL_VARIANTS       # the temporal lifter: the float variants (graphsh_tf.lite.temporal)
    table = [lookup(name) for name in (default_names() if variants is None else variants)]
    if (io == "int8" and any(v.full_integer for v in table)
            and (doc.get("model") or {}).get("input_norm", "screen") != "pose"):
        log("note: this model sees screen coordinates; the all-int8 graph (--io int8) of a model trained with "
            "fit.py --input-norm pose has about half the per-pose error tail (benchmarks/README.md, int8)")
    rep = qat = None
    if int((doc.get("model") or {}).get("temporal_window", 1)) > 1:
        from graphsh_tf.lite.temporal import check_exportable

        for v in table:                   # before any data is loaded or file written
            check_exportable(model, v.name)
    elif any(v.calibrated for v in table):
        train = run.load_data(data_spec).train
        x_train = train.poses_2d
        if int(model.input_shape[-1]) == 3:   # (x, y, confidence): fed as in training, corrupted and clean
            from graphsh_tf.data.corrupt import model_inputs

            tcfg = doc.get("train") or {}
            x_train = model_inputs(train.poses_2d, train.image_size, tcfg.get("corruption") or "detector",
                                   float(tcfg.get("clean_fraction", 0.5)), seed)
        rep = representative_poses(x_train, calib_samples, seed)
        if any(v.qat for v in table):
            from graphsh_tf.io import atomic_save_weights
            from graphsh_tf.lite.qat import qat_finetune

            log(f"quantization-aware fine-tuning ({qat_method}): {qat_steps} steps")
            parts = next(v.float_parts for v in table if v.qat) if io == "float" else ()
            bar = progress(qat_steps, "steps", "qat") if progress else None
            qat = qat_finetune(model, x_train, train.poses_3d, steps=qat_steps, seed=seed, log=log,
                               per_channel=per_channel, method=qat_method, float_parts=parts, progress=bar)
            if bar is not None:
                bar.close()
            atomic_save_weights(out_dir / QAT_WEIGHTS, qat.model)
    return export_variants(model, out_dir, [v.name for v in table], representative=rep, io=io, batch=batch,
                           qat_model=qat.model if qat else None, qat_hooks=qat.hooks if qat else None,
                           config=doc.get("model") or _config_dict(model), formulation=formulation, log=log,
                           per_channel=per_channel)
