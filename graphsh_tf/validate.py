"""Validation of exported ``.tflite`` files against the float Keras model on the same inputs (the run's test split),
scored by the one evaluation (:func:`graphsh_tf.evaluate.score`). Above both :mod:`graphsh_tf.evaluate` and
:mod:`graphsh_tf.lite`: the door ``tflite/validate.py`` calls it."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

import numpy as np

from graphsh_tf.evaluate import keras_predictor, score
from graphsh_tf.lite.metadata import QAT_WEIGHTS, variant_of
from graphsh_tf.lite.runtime import TFLitePredictor, model_ops


def validate_files(paths, keras_model, x2d: np.ndarray, y3d_mm: np.ndarray,
                   own_float: Optional[Dict] = None) -> dict:
    """Accuracy of each ``.tflite`` vs the float Keras model on ``x2d (N,16,2)`` / ``y3d_mm (N,16,3)``.

    Returns ``{"float": {"mpjpe_mm", "p_mpjpe_mm", "num_poses"}, "variants": {name: {"file", "size_bytes",
    "mpjpe_mm", "delta_mpjpe_mm", "p_mpjpe_mm", "max_abs_diff_mm", "ops"}}}`` (delta = variant − float; max |Δ| of
    outputs vs Keras, in mm). ``own_float``: ``{variant: keras model}`` for variants made from other float weights
    (``qat_int8``: the QAT-fine-tuned weights); they get ``own_float_mpjpe_mm`` and ``delta_vs_own_float_mm`` too.
    Raises :class:`graphsh_tf.lite.runtime.TFLiteModelError` for a corrupt, truncated or wrong-layout file.
    """
    y = np.asarray(y3d_mm, np.float32)
    ref = keras_predictor(keras_model)(x2d)
    base = score(ref, y)
    out = {"float": {"mpjpe_mm": base["mpjpe_mm"], "p_mpjpe_mm": base["p_mpjpe_mm"], "num_poses": int(len(y))},
           "variants": {}}
    for path in paths:
        pred = TFLitePredictor(path).predict_mm(x2d)
        s = score(pred, y)
        out["variants"][variant_of(path)] = {
            "file": str(path), "size_bytes": int(Path(path).stat().st_size), "mpjpe_mm": s["mpjpe_mm"],
            "delta_mpjpe_mm": s["mpjpe_mm"] - base["mpjpe_mm"], "p_mpjpe_mm": s["p_mpjpe_mm"],
            "max_abs_diff_mm": float(np.max(np.abs(pred.astype(np.float64) - ref))),
            "ops": model_ops(Path(path).read_bytes())}
    for name, model in (own_float or {}).items():
        if name in out["variants"]:
            own = score(keras_predictor(model)(x2d), y)["mpjpe_mm"]
            out["variants"][name]["own_float_mpjpe_mm"] = own
            out["variants"][name]["delta_vs_own_float_mm"] = out["variants"][name]["mpjpe_mm"] - own
    return out


def load_qat_float(folder, config):
    """The QAT-fine-tuned float model saved by the export beside the ``.tflite`` files, or None when absent."""
    from graphsh_tf.models import build_model

    path = Path(folder) / QAT_WEIGHTS
    if not path.exists():
        return None
    model = build_model(config)
    try:
        model.load_weights(str(path))
    except Exception as e:  # noqa: BLE001 - an unreadable file is a user-facing error
        raise ValueError(f"{path}: cannot load the QAT float weights ({type(e).__name__}); "
                         "delete it or re-run tflite/convert.py --variants qat_int8") from None
    return model


def validate_markdown(result: dict) -> str:
    rows = ["| variant | MPJPE (mm) | ΔMPJPE (mm) | P-MPJPE (mm) | max abs Δ (mm) | size (bytes) | ops |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| float Keras | {result['float']['mpjpe_mm']:.3f} | 0 | {result['float'].get('p_mpjpe_mm', float('nan')):.3f}"
            " | 0 | | |"]
    for name, v in result["variants"].items():
        if "own_float_mpjpe_mm" in v:
            rows.append(f"| {name} float weights | {v['own_float_mpjpe_mm']:.3f} | "
                        f"{v['own_float_mpjpe_mm'] - result['float']['mpjpe_mm']:+.4f} | | | | |")
        rows.append(f"| {name} | {v['mpjpe_mm']:.3f} | {v['delta_mpjpe_mm']:+.4f} | {v['p_mpjpe_mm']:.3f} | "
                    f"{v['max_abs_diff_mm']:.4f} | {v['size_bytes']} | {len(v['ops'])} |")
    return "\n".join(rows) + "\n"
