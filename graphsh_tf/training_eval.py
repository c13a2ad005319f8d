"""Evaluation of a lifter (Keras model or ``.tflite``) on a :class:`~graphsh_tf.data.dataset.PoseData` test set.

One code path: every model is wrapped as ``predict_mm(x2d (N, 16, 2)) -> (N, 16, 3) mm`` and scored by
:func:`graphsh_tf.metrics.evaluate_predictions`.
"""
from __future__ import annotations

from pathlib import Path
import json
from typing import Callable, Dict, Optional, Tuple, Union

import numpy as np

from graphsh_tf import metrics
from graphsh_tf import skeleton as sk

PredictFn = Callable[[np.ndarray], np.ndarray]


class ModelInputError(ValueError):
    """The MODEL argument is neither a run directory, a Keras .h5 nor a .tflite file."""


def keras_predict_mm(model, batch_size: int = 2048) -> PredictFn:
    """Wrap a Keras lifter (metres out) as ``predict_mm`` (mm out), inference mode (no dropout, BN moving stats)."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def _call(x):
        return model(x, training=False)

    def predict_mm(x2d: np.ndarray) -> np.ndarray:
        x2d = np.asarray(x2d, dtype=np.float32)
        out = [(_call(tf.constant(x2d[i:i + batch_size])).numpy()) for i in range(0, len(x2d), batch_size)]
        return (np.concatenate(out) if out else np.zeros((0, x2d.shape[1], 3), np.float32)) * 1000.0

    return predict_mm


def flip_averaged(predict_mm: PredictFn, skeleton: sk.Skeleton = sk.H36M16) -> PredictFn:
    """Test-time flip augmentation (:func:`graphsh_tf.data.pipeline.flip_test`) around ``predict_mm``."""
    from graphsh_tf.data.pipeline import flip_test

    return lambda x2d: np.asarray(flip_test(predict_mm, x2d, skeleton), dtype=np.float32)


def load_predictor(model_path: Union[str, Path]) -> Tuple[PredictFn, Dict]:
    """``(predict_mm, model_config_dict)`` for a run directory, a Keras ``.h5`` model or a ``.tflite`` file.

    ``.tflite`` files run through :class:`graphsh_tf.tflite_run.TFLitePredictor` (outputs already in mm)."""
    path = Path(model_path)
    if path.suffix == ".tflite":
        from graphsh_tf.tflite_run import TFLitePredictor

        if not path.exists():
            raise ModelInputError(f"{path}: .tflite file not found; pass a run directory or an existing .tflite")
        cfg: Dict = {"tflite": str(path)}
        sidecar = path.with_suffix(".json")
        if sidecar.exists():
            try:
                cfg["sidecar"] = json.loads(sidecar.read_text())
            except json.JSONDecodeError:
                pass
        return TFLitePredictor(path).predict_mm, cfg
    if not path.exists():
        raise ModelInputError(f"{path}: not found; MODEL is a run directory (training/fit.py --out), a Keras .h5 "
                              "or a .tflite file")
    from graphsh_tf.models import load_model

    model = load_model(path)
    cfg = getattr(model, "graphsh_config", None)
    return keras_predict_mm(model), (cfg.to_dict() if cfg is not None else {})


def evaluate_on_data(predict_mm: PredictFn, data, flip_test: bool = False,
                     model_config: Optional[Dict] = None) -> Dict:
    """Score ``predict_mm`` on ``data.test`` (16 joints). Returns the stable eval.json document:

    ``{"mpjpe_mm", "p_mpjpe_mm", "mean_pose_mpjpe_mm", "pck150", "auc", "n_poses", "flip_test",
    "per_action": {name: {"mpjpe_mm", "p_mpjpe_mm", "n_poses"}}, "model": {...}}``.
    """
    data = data.to_16_joints()
    fn = flip_averaged(predict_mm, data.skeleton) if flip_test else predict_mm
    pred = np.asarray(fn(data.test.poses_2d), np.float32)
    # Protocol #1 is root-relative: the network's root output is near, not exactly, 0 (the reference and
    # VideoPose3D zero it before scoring too); the targets' root is exactly 0.
    pred = pred - pred[:, :1]
    result = metrics.evaluate_predictions(pred, data.test.poses_3d, actions=data.test.actions,
                                          train_true_mm=data.train.poses_3d if len(data.train) else None)
    if "mean_pose_mpjpe_mm" not in result:
        result["mean_pose_mpjpe_mm"] = None  # no training poses (e.g. MPI-INF-3DHP test only)
    result["flip_test"] = bool(flip_test)
    result["model"] = dict(model_config or {})
    result["_pred_mm"] = pred  # dropped before writing; used for skeleton plots
    return result


def public_result(result: Dict) -> Dict:
    """``result`` without private (underscore) keys, JSON-ready."""
    return {k: v for k, v in result.items() if not k.startswith("_")}
