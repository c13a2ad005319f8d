"""Validation of exported ``.tflite`` files against the float Keras model on the same inputs (the run's test split),
scored by the one evaluation (:func:`graphsh_tf.evaluate.score`). Above both :mod:`graphsh_tf.evaluate` and
:mod:`graphsh_tf.lite`: the door ``tflite/validate.py`` calls it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

from graphsh_tf.evaluate import keras_predictor, method_predictor, score, sequence_predictor
from graphsh_tf.lite.flatbuffer import model_ops
from graphsh_tf.lite.metadata import QAT_WEIGHTS, variant_of
from graphsh_tf.lite.runtime import TFLitePredictor

import numpy as np

#: Default flag threshold on the p99.9 of the per-pose |Δ| (mm).
TAIL_THRESHOLD_MM = 10.0
#: What the tail columns measure.
TAIL_DEFINITION = ("per-pose |Δ| = mean over the 16 joints of the Euclidean distance (mm) between the variant's and "
                   "the float model's predicted joint; p50/p99/p99.9/max over the poses")


def pose_delta_mm(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-pose |Δ| ``(N,)`` in mm between two predictions ``(N, J, 3)``: the mean over joints of the per-joint
    Euclidean distance (the MPJPE of ``pred`` with ``ref`` as ground truth, pose by pose, without root alignment:
    both are root-relative already)."""
    d = np.asarray(pred, np.float64) - np.asarray(ref, np.float64)
    return np.sqrt((d * d).sum(axis=-1)).mean(axis=-1)


def tail_stats(delta: np.ndarray) -> dict:
    """``{"p50", "p99", "p99_9", "max"}`` (mm) of per-pose |Δ| values (linear interpolation between poses)."""
    p50, p99, p999 = np.percentile(np.asarray(delta, np.float64), [50, 99, 99.9])
    return {"p50": float(p50), "p99": float(p99), "p99_9": float(p999), "max": float(np.max(delta))}


def _predict_counted(predictor, x2d: np.ndarray, progress=None, chunk: int = 1000) -> np.ndarray:
    """``predictor.predict_mm(x2d)``, in chunks counted on ``progress`` (when given)."""
    if progress is None:
        return predictor.predict_mm(x2d)
    parts = []
    for s in range(0, len(x2d), chunk):
        parts.append(predictor.predict_mm(x2d[s:s + chunk]))
        progress.update(len(parts[-1]))
    return np.concatenate(parts) if parts else predictor.predict_mm(x2d)


def validate_files(paths, keras_model, x2d: np.ndarray, y3d_mm: np.ndarray,
                   own_float: Optional[Dict] = None, tail_threshold_mm: float = TAIL_THRESHOLD_MM,
                   progress=None, sequences=None) -> dict:
    """Accuracy of each ``.tflite`` vs the float Keras model on ``x2d (N,16,2)`` / ``y3d_mm (N,16,3)``.
    ``progress``: a :class:`graphsh_tf.progress.Progress` of ``len(paths) * N`` poses.

    Returns ``{"float": {"mpjpe_mm", "p_mpjpe_mm", "num_poses"}, "tail": {"threshold_mm", "definition",
    "flagged"}, "variants": {name: {"file", "size_bytes", "mpjpe_mm", "delta_mpjpe_mm", "p_mpjpe_mm",
    "max_abs_diff_mm", "pose_delta_mm": {"p50", "p99", "p99_9", "max"}, "tail_flagged", "ops"}}}`` (delta = variant −
    float; max |Δ| = the largest coordinate difference of outputs vs Keras, in mm). ``pose_delta_mm``: the tail of
    the per-pose |Δ| against the float model (:func:`pose_delta_mm`); ``tail_flagged`` when its p99.9 exceeds
    ``tail_threshold_mm`` (``tail.flagged`` lists those variants). ``own_float``: ``{variant: keras model}`` for
    variants made from other float weights (``qat_int8``: the QAT-fine-tuned weights); they get
    ``own_float_mpjpe_mm``, ``delta_vs_own_float_mm`` and ``own_float_pose_delta_mm`` (the tail against those
    weights: the quantization alone) too; their flag stays against the float model.
    ``sequences``: the rows' sequence labels, needed for a temporal lifter, which predicts every row from the
    window of its sequence's last frames (:func:`graphsh_tf.evaluate.sequence_predictor`), the Keras model and
    each file alike.
    Raises :class:`graphsh_tf.lite.runtime.TFLiteModelError` for a corrupt, truncated or wrong-layout file.
    """
    y = np.asarray(y3d_mm, np.float32)
    ref = sequence_predictor(keras_predictor(keras_model), sequences)(x2d)
    base = score(ref, y)
    out = {"float": {"mpjpe_mm": base["mpjpe_mm"], "p_mpjpe_mm": base["p_mpjpe_mm"], "num_poses": int(len(y))},
           "tail": {"threshold_mm": float(tail_threshold_mm), "definition": TAIL_DEFINITION, "flagged": []},
           "variants": {}}
    preds = {}
    for path in paths:
        lite = TFLitePredictor(path)
        if lite.window > 1:
            pred = sequence_predictor(method_predictor(lite), sequences)(x2d)
            if progress is not None:
                progress.update(len(pred))
        else:
            pred = _predict_counted(lite, x2d, progress)
        s = score(pred, y)
        name = variant_of(path)
        tail = tail_stats(pose_delta_mm(pred, ref))
        preds[name] = pred
        out["variants"][name] = {
            "file": str(path), "size_bytes": int(Path(path).stat().st_size), "mpjpe_mm": s["mpjpe_mm"],
            "delta_mpjpe_mm": s["mpjpe_mm"] - base["mpjpe_mm"], "p_mpjpe_mm": s["p_mpjpe_mm"],
            "max_abs_diff_mm": float(np.max(np.abs(pred.astype(np.float64) - ref))),
            "pose_delta_mm": tail, "tail_flagged": bool(tail["p99_9"] > tail_threshold_mm),
            "ops": model_ops(Path(path).read_bytes())}
        if out["variants"][name]["tail_flagged"]:
            out["tail"]["flagged"].append(name)
    for name, model in (own_float or {}).items():
        if name in out["variants"]:
            own_pred = keras_predictor(model)(x2d)
            own = score(own_pred, y)["mpjpe_mm"]
            out["variants"][name]["own_float_mpjpe_mm"] = own
            out["variants"][name]["delta_vs_own_float_mm"] = out["variants"][name]["mpjpe_mm"] - own
            out["variants"][name]["own_float_pose_delta_mm"] = tail_stats(pose_delta_mm(preds[name], own_pred))
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
    """The table: accuracy, ΔMPJPE, the per-pose |Δ| tail against the float model (p50/p99/p99.9/max, mm) with a
    flag column (``FLAG p99.9 > T mm``), size and op count; a note on the tail definition and threshold below."""
    t = result.get("tail", {})
    thr = t.get("threshold_mm", TAIL_THRESHOLD_MM)
    rows = ["| variant | MPJPE (mm) | ΔMPJPE (mm) | P-MPJPE (mm) | max abs Δ (mm) | pose \\|Δ\\| p50 | p99 | p99.9 | "
            "max | tail | size (bytes) | ops |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
            f"| float Keras | {result['float']['mpjpe_mm']:.3f} | 0 | "
            f"{result['float'].get('p_mpjpe_mm', float('nan')):.3f}"
            " | 0 | 0 | 0 | 0 | 0 | | | |"]
    for name, v in result["variants"].items():
        if "own_float_mpjpe_mm" in v:
            rows.append(f"| {name} float weights | {v['own_float_mpjpe_mm']:.3f} | "
                        f"{v['own_float_mpjpe_mm'] - result['float']['mpjpe_mm']:+.4f} | | | | | | | | | |")
        d = v.get("pose_delta_mm") or {}

        def f(key):
            return f"{d[key]:.3f}" if key in d else "–"  # noqa: B023
        flag = f"FLAG p99.9 > {thr:g} mm" if v.get("tail_flagged") else "ok"
        rows.append(f"| {name} | {v['mpjpe_mm']:.3f} | {v['delta_mpjpe_mm']:+.4f} | {v['p_mpjpe_mm']:.3f} | "
                    f"{v['max_abs_diff_mm']:.4f} | {f('p50')} | {f('p99')} | {f('p99_9')} | {f('max')} | {flag} | "
                    f"{v['size_bytes']} | {len(v['ops'])} |")
    rows.append("")
    rows.append(f"Tail: {t.get('definition', TAIL_DEFINITION)}; flagged when p99.9 > {thr:g} mm "
                f"({', '.join(t.get('flagged') or []) or 'none'}); {result['float'].get('num_poses', '?')} poses.")
    return "\n".join(rows) + "\n"


# --- the export gate -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """What a variant must reach against its float weights: ΔMPJPE at most ``delta_pct`` % of the float MPJPE or
    ``delta_mm`` mm, whichever is larger; the per-pose |Δ| p99.9 at most ``p99_9_mm`` and its max at most
    ``max_mm``."""

    delta_pct: float
    delta_mm: float = 0.0
    p99_9_mm: float = 8.0
    max_mm: float = 20.0

    def delta_limit(self, float_mpjpe_mm: float) -> float:
        return max(self.delta_pct / 100.0 * float_mpjpe_mm, self.delta_mm)


#: The targets of the int8 variants (post-training int8 within 1.5 % of the float model; QAT int8 within
#: max(1 %, 0.5 mm) of its own fine-tuned float weights; both with the per-pose tail p99.9 <= 8 mm, max <= 20 mm).
#: Other variants are reported without a target.
TARGETS = {"int8": Target(1.5), "qat_int8": Target(1.0, 0.5)}


def gate(result: dict) -> list:
    """One row per variant of a :func:`validate_files` result: ``(variant, line, missed)``, ``line`` = what the file
    costs its user: its ΔMPJPE (mm and % of the float weights it is measured against: its own for QAT), how far 1
    pose in 1000 moves (per-pose |Δ| p99.9) and the worst, and for the int8 variants whether that is within what an
    int8 file usually costs (:data:`TARGETS`) or what to ship instead; ``missed``: the list of bounds exceeded
    (empty when within them or without one)."""
    rows = []
    for name, v in result["variants"].items():
        own = "own_float_mpjpe_mm" in v
        base = v["own_float_mpjpe_mm"] if own else result["float"]["mpjpe_mm"]
        delta = v["delta_vs_own_float_mm"] if own else v["delta_mpjpe_mm"]
        tail = v.get("own_float_pose_delta_mm") if own else v.get("pose_delta_mm")
        tail = tail or {"p99_9": float("nan"), "max": float("nan")}
        line = (f"{name}: costs {delta:+.3f} mm MPJPE ({100.0 * delta / base:+.2f} %"
                f"{' of its own float' if own else ''}); 1 pose in 1000 moves more than {tail['p99_9']:.2f} mm, "
                f"the worst {tail['max']:.2f} mm")
        t = TARGETS.get(name)
        missed = []
        if t is not None:
            limit = t.delta_limit(base)
            if not delta <= limit:
                missed.append(f"ΔMPJPE <= {limit:.2f} mm")
            if not tail["p99_9"] <= t.p99_9_mm:
                missed.append(f"p99.9 <= {t.p99_9_mm:g} mm")
            if not tail["max"] <= t.max_mm:
                missed.append(f"max <= {t.max_mm:g} mm")
            line += (f"; more than an int8 file usually costs ({', '.join(missed)}): where single poses must be "
                     "right, ship fp16 or qat_int8" if missed else "; within what an int8 file usually costs")
        rows.append((name, line, missed))
    return rows
